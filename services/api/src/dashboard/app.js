// @ts-check
// agent-runner dashboard: plain JavaScript, no build step, no framework. It reads the API's own
// endpoints (GET /jobs, GET /jobs/{id}, GET /jobs/{id}/events, POST /jobs/{id}/cancel, GET /stats,
// GET /healthz) from the origin that served it. Every value from the API reaches the page through
// textContent, never as HTML. Type-checked (`npm run typecheck`, tsconfig.dashboard.json) against
// the API's own view types through the JSDoc below.

/** @typedef {import('../schemas/job-view.ts').JobView} JobView */
/** @typedef {import('../schemas/job-view.ts').JobList} JobList */
/** @typedef {import('../schemas/pipeline-view.ts').PipelineView} PipelineView */
/** @typedef {import('zod').output<typeof import('../schemas/stats.ts').StatsSchema>} Stats */
/** @typedef {import('../../../../shared/src/job-events/catalogue.ts').JobEventType} JobEventType */
/** @typedef {{ seq?: number, at?: string, attempt?: number, type: string, data?: unknown }} StreamedEvent */

import { eventsUrlFor, fetchWithKey, hasKey } from './auth.js';

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED', 'SKIPPED']);
const PRIORITIES = /** @type {const} */ (['critical', 'high', 'normal', 'low']);
/** Page size of the jobs table; the API allows up to 100. */
const PAGE = 50;
/**
 * EventSource delivers a named event only to a listener for that name, so the page listens for
 * every type in the event catalogue (shared/src/job-events/catalogue.ts), which the API writes
 * into the page (dashboard-router.ts), and for unnamed ones (`message`).
 */
const EVENT_TYPES = /** @type {JobEventType[]} */ (
  (document.querySelector('meta[name="job-event-types"]')?.getAttribute('content') ?? '').split(' ').filter(Boolean)
);

/**
 * The element with this id, checked to be of `type`.
 * @template {HTMLElement} E
 * @param {string} id
 * @param {{ new (): E }} [type]
 * @returns {E}
 */
function $(id, type) {
  const node = document.getElementById(id);
  if (!(node instanceof (type ?? HTMLElement))) throw new Error(`#${id} is missing or not a ${(type ?? HTMLElement).name}`);
  return /** @type {E} */ (node);
}

const state = {
  /** @type {string} */
  status: '',
  /** @type {string} */
  type: '',
  /** @type {JobView[]} */
  jobs: [],
  /** @type {string | null} */
  nextCursor: null,
  /** @type {string | null} */
  selectedId: null,
  /** @type {JobView | null} */
  selectedJob: null,
  /** @type {EventSource | null} */
  stream: null,
  /** The job whose stream reached its end: reopening its detail does not replay it again. @type {string | null} */
  streamEndedFor: null,
  /** The selected job's pipeline is still running: its detail keeps refreshing after the job ended. */
  pipelineRunning: false,
  statsAvailable: true,
  /** @type {Set<string>} */
  knownTypes: new Set(),
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  timer: undefined,
};

// ---------------------------------------------------------------------------------------------
// API

class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} message
   */
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/**
 * @param {string} path
 * @param {RequestInit} [init]
 * @returns {Promise<any>} the JSON body (typed by the caller: it knows the route)
 */
async function api(path, init = {}) {
  const res = await fetchWithKey(path, { ...init, headers: { accept: 'application/json', ...(init.headers || {}) } });
  const isJson = (res.headers.get('content-type') || '').includes('json');
  const body = isJson ? await res.json().catch(() => null) : await res.text();
  if (!res.ok) throw new ApiError(res.status, body?.detail || `${res.status} ${res.statusText}`);
  return body;
}

/** @param {Record<string, string | number | null | undefined>} extra */
function jobsQuery(extra) {
  const q = new URLSearchParams();
  if (state.status) q.set('status', state.status);
  if (state.type) q.set('job_type', state.type);
  for (const [k, v] of Object.entries(extra)) if (v !== undefined && v !== null) q.set(k, String(v));
  return `/jobs?${q}`;
}

// ---------------------------------------------------------------------------------------------
// Formatting

/** @param {number} ms */
function formatDuration(ms) {
  if (!(ms >= 0)) ms = 0;
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const two = (/** @type {number} */ n) => String(Math.floor(n)).padStart(2, '0');
  if (s < 3600) return `${Math.floor(s / 60)}m${two(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${two((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d${two((s % 86400) / 3600)}h`;
}

/** @param {JobView} job */
function runTimeMs(job) {
  if (!job.started_at) return null;
  const end = job.finished_at ? Date.parse(job.finished_at) : Date.now();
  return end - Date.parse(job.started_at);
}

/** @param {number} usd */
function formatUsd(usd) {
  return usd >= 1 ? `$${usd.toFixed(2)}` : `$${usd.toFixed(4)}`;
}

/** @param {string | null | undefined} iso */
function clock(iso) {
  return iso ? new Date(iso).toLocaleTimeString([], { hour12: false }) : '';
}

/**
 * Builds an element; children are nodes or strings (strings become text, never HTML).
 * @param {string} tag
 * @param {Record<string, any>} [props]
 * @param {...(Node | string | null | undefined)} children
 */
function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'dataset') Object.assign(node.dataset, value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

/** @param {string} status */
function badge(status) {
  return el('span', { class: 'badge', dataset: { status } }, status);
}

// ---------------------------------------------------------------------------------------------
// Jobs table

async function loadJobs() {
  const limit = Math.min(100, Math.max(PAGE, state.jobs.length));
  try {
    const page = /** @type {JobList} */ (await api(jobsQuery({ limit })));
    state.jobs = page.jobs;
    state.nextCursor = page.next_cursor;
    $('jobs-error').hidden = true;
  } catch (error) {
    showJobsError(error);
  }
  renderJobs();
}

async function loadMoreJobs() {
  if (!state.nextCursor) return;
  try {
    const page = /** @type {JobList} */ (await api(jobsQuery({ limit: PAGE, cursor: state.nextCursor })));
    state.jobs = state.jobs.concat(page.jobs);
    state.nextCursor = page.next_cursor;
  } catch (error) {
    showJobsError(error);
  }
  renderJobs();
}

/** @param {unknown} error */
function showJobsError(error) {
  $('jobs-error').textContent = `Could not load jobs: ${error instanceof Error ? error.message : String(error)}`;
  $('jobs-error').hidden = false;
}

function renderJobs() {
  const rows = state.jobs.map((job) => {
    state.knownTypes.add(job.job_type);
    const ran = runTimeMs(job);
    const cost = job.cost_usd;
    return el(
      'tr',
      {
        dataset: { jobId: job.job_id, status: job.status },
        class: job.job_id === state.selectedId ? 'selected' : '',
        onclick: () => openJob(job.job_id),
      },
      el('td', { title: job.job_id }, el('code', {}, `…${job.job_id.slice(-10)}`)),
      el('td', {}, job.job_type),
      el('td', {}, badge(job.status)),
      el('td', {}, job.priority),
      el('td', { class: 'num', title: job.created_at }, formatDuration(Date.now() - Date.parse(job.created_at))),
      el('td', { class: 'num' }, ran === null ? '—' : formatDuration(ran)),
      el('td', { class: 'num' }, `${job.attempt}/${job.max_attempts}`),
      el('td', { class: 'num' }, cost === null ? '—' : formatUsd(cost)),
    );
  });
  tableBody('jobs-table').replaceChildren(...rows);
  $('jobs-empty').hidden = state.jobs.length > 0;
  $('load-more').hidden = !state.nextCursor;
  $('known-types').replaceChildren(...[...state.knownTypes].sort().map((t) => el('option', { value: t })));
}

// ---------------------------------------------------------------------------------------------
// At a glance: queue depth from GET /stats (sampled by the API on an interval), running jobs
// counted from the job list (up to 100 per status).

async function loadGlance() {
  if (state.statsAvailable) {
    try {
      renderDepth(/** @type {Stats} */ (await api('/stats')));
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        state.statsAvailable = false;
        $('depth').hidden = true;
        $('depth-unavailable').hidden = false;
      }
    }
  }
  try {
    const [running, dispatched] = /** @type {[JobList, JobList]} */ (
      await Promise.all([api('/jobs?status=RUNNING&limit=100'), api('/jobs?status=DISPATCHED&limit=100')])
    );
    /** @type {Record<string, number>} */
    const byType = {};
    for (const job of running.jobs.concat(dispatched.jobs)) byType[job.job_type] = (byType[job.job_type] || 0) + 1;
    const total = running.jobs.length + dispatched.jobs.length;
    const more = running.next_cursor || dispatched.next_cursor;
    $('running-total').textContent = `${total}${more ? '+' : ''}`;
    const chips = Object.entries(byType)
      .sort((a, b) => b[1] - a[1])
      .map(([type, n]) => el('li', { dataset: { jobType: type } }, `${type} ${n}`));
    $('running-by-type').replaceChildren(...(chips.length ? chips : [el('li', { class: 'muted' }, 'none')]));
  } catch {
    $('running-total').textContent = '?';
  }
}

/** @param {Stats} stats */
function renderDepth(stats) {
  const depth = stats.queue_depth;
  $('depth-sampled').textContent = stats.sampled_at ? `at ${clock(stats.sampled_at)}` : 'not sampled yet';
  const rows = PRIORITIES.map((p) => {
    const d = depth ? depth[p] : null;
    const cell = (/** @type {number | null | undefined} */ n) => el('td', { class: n ? 'nonzero' : '' }, d ? String(n) : '—');
    return el('tr', { dataset: { priority: p } }, el('td', {}, p), cell(d?.waiting), cell(d?.in_flight));
  });
  tableBody('depth').replaceChildren(...rows);
}

async function checkHealth() {
  try {
    await api('/healthz');
    $('health').dataset.state = 'ok';
    $('health').textContent = 'API up';
  } catch {
    $('health').dataset.state = 'down';
    $('health').textContent = 'API unreachable';
  }
}

// ---------------------------------------------------------------------------------------------
// Job detail and its live event stream

/** @param {string} jobId */
async function openJob(jobId) {
  if (state.selectedId !== jobId) {
    closeStream();
    state.selectedId = jobId;
    state.selectedJob = null;
    $('detail-output').textContent = '';
    $('detail-events').replaceChildren();
    $('detail-event-count').textContent = '0';
    $('stream-state').textContent = '';
    history.replaceState(null, '', `${location.pathname}${location.search}#job=${encodeURIComponent(jobId)}`);
  }
  $('detail').hidden = false;
  for (const row of tableBody('jobs-table').rows) row.classList.toggle('selected', row.dataset.jobId === jobId);
  await refreshDetail();
  const job = state.selectedJob;
  if (state.stream || !job || state.streamEndedFor === jobId) return;
  const eventsUrl = await eventsUrlFor(job);
  if (!state.stream && state.selectedJob === job) openStream(job, eventsUrl);
}

function closeJob() {
  closeStream();
  state.selectedId = null;
  state.selectedJob = null;
  $('detail').hidden = true;
  history.replaceState(null, '', `${location.pathname}${location.search}`);
  for (const row of tableBody('jobs-table').rows) row.classList.remove('selected');
}

async function refreshDetail() {
  const jobId = state.selectedId;
  if (!jobId) return;
  try {
    const job = /** @type {JobView} */ (await api(`/jobs/${encodeURIComponent(jobId)}`));
    if (state.selectedId !== jobId) return;
    state.selectedJob = job;
    $('detail-error-banner').hidden = true;
    renderDetail(job);
  } catch (error) {
    $('detail-error-banner').textContent =
      error instanceof ApiError && error.status === 404
        ? `Job ${jobId} not found.`
        : `Could not load the job: ${error instanceof Error ? error.message : String(error)}`;
    $('detail-error-banner').hidden = false;
  }
}

/** @param {JobView} job */
function renderDetail(job) {
  $('detail-title').textContent = job.job_id;
  const status = $('detail-status');
  status.textContent = job.status;
  status.dataset.status = job.status;
  $('detail-cancel').hidden = TERMINAL.has(job.status);

  const ran = runTimeMs(job);
  const cost = job.cost_usd;
  /** @type {[string, string | null | undefined][]} */
  const fields = [
    ['type', job.job_type],
    ['priority', job.priority],
    ['tenant', job.tenant],
    ['ordering key', job.ordering_key],
    ['created', `${clock(job.created_at)} (${formatDuration(Date.now() - Date.parse(job.created_at))} ago)`],
    ['started', clock(job.started_at) || '—'],
    ['finished', clock(job.finished_at) || '—'],
    ['duration', ran === null ? '—' : formatDuration(ran)],
    ['attempt', `${job.attempt} of ${job.max_attempts}, ${job.timeout_seconds}s each`],
    ['cost', cost === null ? null : formatUsd(cost)],
  ];
  $('detail-fields').replaceChildren(
    ...fields.flatMap(([k, v]) =>
      v === null || v === undefined || v === '' ? [] : [el('dt', {}, k), el('dd', { dataset: { field: k } }, v)],
    ),
  );

  const attempts = job.attempts.map((a) =>
    el(
      'tr',
      {},
      el('td', {}, String(a.number)),
      el('td', {}, a.outcome ? badge(a.outcome) : 'in progress'),
      el('td', {}, el('code', {}, a.worker_ref || '—')),
      el('td', {}, a.started_at && a.ended_at ? formatDuration(Date.parse(a.ended_at) - Date.parse(a.started_at)) : '—'),
      el('td', {}, a.error ? `${a.error.kind}: ${a.error.message}` : ''),
    ),
  );
  tableBody('detail-attempts').replaceChildren(...attempts);

  $('detail-error').hidden = !job.error;
  if (job.error) {
    preIn('detail-error').textContent = `${job.error.kind}${job.error.handler ? ` in ${job.error.handler}` : ''}: ${job.error.message}`;
  }
  $('detail-result').hidden = job.result === undefined;
  if (job.result !== undefined) preIn('detail-result').textContent = JSON.stringify(job.result, null, 2);
  void renderPipeline(job);
}

/**
 * A job that is a pipeline step shows its pipeline: every step as an indented list (indented by
 * its depth in the graph), with its status, what it needs, and a link to its own detail.
 * @param {JobView} job
 */
async function renderPipeline(job) {
  const box = $('detail-pipeline');
  if (!job.pipeline) {
    state.pipelineRunning = false;
    box.hidden = true;
    return;
  }
  /** @type {PipelineView} */
  let pipeline;
  try {
    pipeline = /** @type {PipelineView} */ (await api(job.pipeline.link));
  } catch {
    box.hidden = true;
    return;
  }
  if (state.selectedId !== job.job_id) return;
  state.pipelineRunning = pipeline.status === 'RUNNING';
  const status = $('detail-pipeline-status');
  status.textContent = pipeline.status;
  status.dataset.status = pipeline.status;
  /** @type {Map<string, number>} */
  const depth = new Map();
  for (const step of pipeline.steps) depth.set(step.name, 1 + Math.max(-1, ...step.needs.map((n) => depth.get(n) ?? 0)));
  $('detail-pipeline-steps').replaceChildren(
    ...pipeline.steps.map((step) =>
      el(
        'li',
        {
          dataset: { step: step.name, current: step.job_id === job.job_id ? 'true' : undefined },
          style: `margin-left: ${1.5 * (depth.get(step.name) ?? 0)}em`,
        },
        badge(step.status),
        ' ',
        el(
          'a',
          {
            href: `#job=${encodeURIComponent(step.job_id)}`,
            onclick: (/** @type {Event} */ e) => {
              e.preventDefault();
              void openJob(step.job_id);
            },
          },
          step.name,
        ),
        step.needs.length > 0 ? el('span', { class: 'muted' }, ` needs ${step.needs.join(', ')}`) : null,
        step.cost_usd !== null ? el('span', { class: 'muted' }, ` · ${formatUsd(step.cost_usd)}`) : null,
        step.error && step.status !== 'CANCELLED' ? el('span', { class: 'muted' }, ` · ${step.error.message}`) : null,
      ),
    ),
  );
  box.hidden = false;
}

/** @param {string} id a table's id */
function tableBody(id) {
  const body = $(id, HTMLTableElement).tBodies[0];
  if (!body) throw new Error(`#${id} has no tbody`);
  return body;
}

/** @param {string} id the id of an element holding a <pre> */
function preIn(id) {
  const pre = $(id).querySelector('pre');
  if (!pre) throw new Error(`#${id} has no pre`);
  return pre;
}

/**
 * Follows GET /jobs/{id}/events. EventSource reconnects by itself after a drop, sending the last
 * event id (Last-Event-ID), so the output continues without gaps or repeats; the `end` event says
 * the job is terminal and every event was sent.
 */
/**
 * @param {JobView} job
 * @param {string} eventsUrl
 */
function openStream(job, eventsUrl) {
  const source = new EventSource(eventsUrl);
  state.stream = source;
  const output = $('detail-output');
  const events = $('detail-events');
  let count = 0;
  $('stream-state').textContent = 'connecting…';

  /** @param {MessageEvent<string>} message */
  const onEvent = (message) => {
    if (state.stream !== source) return;
    /** @type {StreamedEvent} */
    let event;
    try {
      event = JSON.parse(message.data);
    } catch {
      event = { type: message.type, data: message.data };
    }
    $('stream-state').textContent = 'live';
    const text = textOf(event);
    if (text !== null) {
      const atBottom = output.scrollTop + output.clientHeight >= output.scrollHeight - 4;
      output.append(text);
      if (atBottom) output.scrollTop = output.scrollHeight;
      return;
    }
    count += 1;
    $('detail-event-count').textContent = String(count);
    const data = event.data === null || event.data === undefined ? '' : ` ${JSON.stringify(event.data)}`;
    events.append(el('li', { dataset: { type: event.type } }, `${clock(event.at)} #${event.attempt ?? '?'} ${event.type}${data}`));
    // A new attempt, an end of one: the record changed.
    if (event.type.startsWith('attempt_')) void refreshDetail();
  };
  for (const type of [...EVENT_TYPES, 'message']) source.addEventListener(type, onEvent);

  source.addEventListener('open', () => {
    if (state.stream === source) $('stream-state').textContent = 'live';
  });
  source.addEventListener('end', (/** @type {MessageEvent<string>} */ message) => {
    if (state.stream !== source) return;
    source.close();
    state.stream = null;
    let status = '';
    try {
      status = JSON.parse(message.data).status || '';
    } catch {
      // the status is only for the label
    }
    $('stream-state').textContent = `ended${status ? ` (${status})` : ''}`;
    state.streamEndedFor = job.job_id;
    void refreshDetail();
    void loadJobs();
  });
  // Both a connection failure and the API's own `event: error` (its store failed mid-stream, data
  // attached) arrive here; either way EventSource reconnects after the stream's `retry:`.
  source.addEventListener('error', () => {
    if (state.stream !== source) return;
    $('stream-state').textContent = source.readyState === EventSource.CLOSED ? 'disconnected' : 'reconnecting…';
    // A reconnect after the stream token expired is refused: start over with a fresh token.
    if (source.readyState === EventSource.CLOSED && hasKey()) {
      closeStream();
      $('detail-output').textContent = '';
      $('detail-events').replaceChildren();
      $('detail-event-count').textContent = '0';
      setTimeout(() => state.selectedId === job.job_id && void openJob(job.job_id), 1000);
    }
  });
}

/**
 * A text_delta's text, else null.
 * @param {StreamedEvent} event
 * @returns {string | null}
 */
function textOf(event) {
  if (event.type !== 'text_delta' || typeof event.data !== 'object' || event.data === null || !('text' in event.data)) return null;
  return typeof event.data.text === 'string' ? event.data.text : null;
}

function closeStream() {
  if (state.stream) state.stream.close();
  state.stream = null;
  state.streamEndedFor = null;
}

async function cancelSelected() {
  const jobId = state.selectedId;
  if (!jobId) return;
  $('detail-cancel', HTMLButtonElement).disabled = true;
  try {
    await api(`/jobs/${encodeURIComponent(jobId)}/cancel`, { method: 'POST' });
  } catch (error) {
    $('detail-error-banner').textContent = `Could not cancel: ${error instanceof Error ? error.message : String(error)}`;
    $('detail-error-banner').hidden = false;
  } finally {
    $('detail-cancel', HTMLButtonElement).disabled = false;
  }
  await Promise.all([refreshDetail(), loadJobs()]);
}

// ---------------------------------------------------------------------------------------------
// Refresh loop, filters, start-up

async function refreshAll() {
  const work = [checkHealth(), loadJobs(), loadGlance()];
  if (state.selectedJob && (!TERMINAL.has(state.selectedJob.status) || state.pipelineRunning)) work.push(refreshDetail());
  await Promise.all(work);
  $('updated').textContent = `updated ${new Date().toLocaleTimeString([], { hour12: false })}`;
}

function scheduleRefresh() {
  clearTimeout(state.timer);
  if (!$('auto-refresh', HTMLInputElement).checked) return;
  state.timer = setTimeout(
    async () => {
      if (!document.hidden) await refreshAll();
      scheduleRefresh();
    },
    Number($('refresh-every', HTMLSelectElement).value),
  );
}

/** @param {Event} [event] */
function applyFilters(event) {
  if (event) event.preventDefault();
  state.status = $('filter-status', HTMLSelectElement).value;
  state.type = $('filter-type', HTMLInputElement).value.trim();
  state.jobs = [];
  const q = new URLSearchParams();
  if (state.status) q.set('status', state.status);
  if (state.type) q.set('type', state.type);
  history.replaceState(null, '', `${location.pathname}${q.size ? `?${q}` : ''}${location.hash}`);
  void loadJobs();
}

function start() {
  const params = new URLSearchParams(location.search);
  state.status = params.get('status') || '';
  state.type = params.get('type') || '';
  $('filter-status', HTMLSelectElement).value = state.status;
  $('filter-type', HTMLInputElement).value = state.type;

  $('filters').addEventListener('submit', applyFilters);
  $('filter-status').addEventListener('change', () => applyFilters());
  $('load-more').addEventListener('click', () => void loadMoreJobs());
  $('detail-close').addEventListener('click', closeJob);
  $('detail-cancel').addEventListener('click', () => void cancelSelected());
  $('auto-refresh').addEventListener('change', scheduleRefresh);
  $('refresh-every').addEventListener('change', scheduleRefresh);
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && state.selectedId) closeJob();
  });

  const linked = /^#job=(.+)$/.exec(location.hash);
  void refreshAll().then(() => {
    if (linked?.[1]) void openJob(decodeURIComponent(linked[1]));
  });
  scheduleRefresh();
}

start();
