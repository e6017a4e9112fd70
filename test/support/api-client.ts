/** A minimal client for the API's HTTP surface, as a user's script would call it. */
export interface JobView {
  job_id: string;
  job_type: string;
  status: string;
  attempt: number;
  attempts: { number: number; worker_ref: string | null; outcome: string | null }[];
  result?: unknown;
  error?: { kind: string; message: string; handler: string | null } | null;
  [key: string]: unknown;
}

const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED', 'SKIPPED']);

export async function postJob(baseUrl: string, body: unknown): Promise<JobView> {
  const res = await fetch(`${baseUrl}/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 202) throw new Error(`POST /jobs answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as JobView;
}

export async function getJob(baseUrl: string, jobId: string): Promise<JobView> {
  const res = await fetch(`${baseUrl}/jobs/${jobId}`);
  if (res.status !== 200) throw new Error(`GET /jobs/${jobId} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as JobView;
}

/** Polls until every job is terminal; returns them in the given order. */
export async function waitUntilTerminal(baseUrl: string, jobIds: string[], timeoutMs: number): Promise<JobView[]> {
  const done = new Map<string, JobView>();
  const deadline = Date.now() + timeoutMs;
  while (done.size < jobIds.length) {
    for (const id of jobIds) {
      if (done.has(id)) continue;
      const job = await getJob(baseUrl, id);
      if (TERMINAL.has(job.status)) done.set(id, job);
    }
    if (done.size < jobIds.length) {
      if (Date.now() > deadline) {
        const pending = jobIds.filter((id) => !done.has(id));
        const sample = await Promise.all(pending.slice(0, 3).map((id) => getJob(baseUrl, id)));
        throw new Error(`${pending.length} of ${jobIds.length} jobs not terminal after ${timeoutMs} ms, e.g. ${JSON.stringify(sample)}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return jobIds.map((id) => done.get(id)!);
}
