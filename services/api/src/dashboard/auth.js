// The dashboard's API key, for an API that requires one (AGENT_RUNNER_AUTH=required). Asked for on
// the first 401, kept in this tab's sessionStorage (gone when the tab closes, never in a URL or a
// cookie) and sent as `Authorization: Bearer`. The live event stream cannot send a header
// (EventSource), so it opens with a short-lived stream token instead (POST /jobs/{id}/stream-token).
// Type-checked with app.js (tsconfig.dashboard.json).

/** @typedef {import('../schemas/job-view.ts').JobView} JobView */

const STORAGE_KEY = 'agent-runner.api-key';

/** One question at a time: requests refused meanwhile all wait for the same answer. */
/** @type {Promise<void> | null} */
let asking = null;

export function hasKey() {
  return Boolean(sessionStorage.getItem(STORAGE_KEY));
}

/**
 * fetch with the key; on a 401, asks for a key (again) and retries once it is given.
 * @param {string} path
 * @param {RequestInit} [init]
 * @returns {Promise<Response>}
 */
export async function fetchWithKey(path, init = {}) {
  for (;;) {
    const key = sessionStorage.getItem(STORAGE_KEY);
    const headers = { ...(init.headers || {}), ...(key ? { authorization: `Bearer ${key}` } : {}) };
    const res = await fetch(path, { ...init, headers });
    if (res.status !== 401) return res;
    if (key && sessionStorage.getItem(STORAGE_KEY) === key) sessionStorage.removeItem(STORAGE_KEY);
    await askForKey(key ? 'That key was refused (unknown or revoked).' : 'This API needs an API key.');
  }
}

/**
 * The URL to give EventSource for the job: with a stream token when a key is in use.
 * @param {JobView} job
 * @returns {Promise<string>}
 */
export async function eventsUrlFor(job) {
  if (!hasKey()) return job.links.events;
  const res = await fetchWithKey(`/jobs/${encodeURIComponent(job.job_id)}/stream-token`, {
    method: 'POST',
    headers: { accept: 'application/json' },
  });
  if (!res.ok) return job.links.events;
  return (await res.json()).events_url;
}

/**
 * @param {string} reason
 * @returns {Promise<void>}
 */
function askForKey(reason) {
  asking ??= new Promise(
    /** @param {(value: void) => void} resolve */ (resolve) => {
      const form = document.createElement('form');
      form.className = 'key-prompt';
      const label = document.createElement('label');
      label.textContent = `${reason} Key: `;
      const input = Object.assign(document.createElement('input'), {
        type: 'password',
        id: 'api-key',
        autocomplete: 'off',
        placeholder: 'ar_live_…',
        required: true,
        size: 40,
      });
      const button = Object.assign(document.createElement('button'), { type: 'submit', textContent: 'Use key' });
      label.append(input);
      form.append(label, button);
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        sessionStorage.setItem(STORAGE_KEY, input.value.trim());
        form.remove();
        asking = null;
        resolve();
      });
      document.body.prepend(form);
      input.focus();
    },
  );
  return asking;
}
