import type { JobList, JobView } from '@agent-runner/api/schemas/job-view.ts';
import type { Problem } from '@agent-runner/api/schemas/problem.ts';
import type { SubmitJobRequest } from '@agent-runner/api/schemas/submit-job-request.ts';

export type { JobList, JobView, Problem, SubmitJobRequest };

/** The API could not be reached (refused, reset, DNS, timed out): exit code 3. */
export class ApiUnreachableError extends Error {
  readonly kind = 'unreachable';
}

/** The API answered with an error (problem+json, or something else that is not the answer expected): exit code 1. */
export class ApiRefusedError extends Error {
  readonly kind = 'refused';
  readonly status: number;
  /** The problem details when the body was problem+json. */
  readonly problem: Problem | null;
  constructor(status: number, problem: Problem | null, message: string) {
    super(message);
    this.status = status;
    this.problem = problem;
  }
}

export interface ListFilter {
  status?: string;
  jobType?: string;
  limit?: number;
  cursor?: string;
}

/** A client for the API's HTTP surface, as `agent-runner submit|get|list|logs|cancel` use it. */
export interface ApiClient {
  readonly baseUrl: string;
  submitJob(request: SubmitJobRequest): Promise<JobView>;
  getJob(jobId: string): Promise<JobView>;
  listJobs(filter: ListFilter): Promise<JobList>;
  cancelJob(jobId: string): Promise<JobView>;
  /** Opens GET /jobs/{id}/events; resumes after `lastEventId` when given. The caller reads the body. */
  openEvents(jobId: string, lastEventId: string | null, signal?: AbortSignal): Promise<ReadableStream<Uint8Array>>;
}

export interface ApiClientOptions {
  /** Per-request limit for everything but the event stream. Default 30 000 ms. */
  timeoutMs?: number;
  /** Sent as `Authorization: Bearer <key>` on every request. */
  apiKey?: string;
}

export function createApiClient(baseUrl: string, options: ApiClientOptions = {}): ApiClient {
  const base = baseUrl.replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 30_000;

  async function send(path: string, init: RequestInit & { expect: number[] }, signal?: AbortSignal): Promise<Response> {
    let res: Response;
    try {
      const headers = {
        ...(init.headers as Record<string, string> | undefined),
        ...(options.apiKey !== undefined && { authorization: `Bearer ${options.apiKey}` }),
      };
      res = await fetch(`${base}${path}`, { ...init, headers, signal: signal ?? AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new ApiUnreachableError(`cannot reach the API at ${base}: ${reasonOf(error)}`, { cause: error });
    }
    if (!init.expect.includes(res.status)) throw await refusal(res, `${init.method ?? 'GET'} ${path}`);
    return res;
  }
  const json = async <T>(res: Response): Promise<T> => {
    try {
      return (await res.json()) as T;
    } catch {
      throw new ApiRefusedError(res.status, null, `the API at ${base} answered ${res.status} with a body that is not JSON`);
    }
  };
  const jobPath = (jobId: string) => `/jobs/${encodeURIComponent(jobId)}`;

  return {
    baseUrl: base,
    async submitJob(request) {
      const body = JSON.stringify(request);
      return json(await send('/jobs', { method: 'POST', headers: { 'content-type': 'application/json' }, body, expect: [202] }));
    },
    async getJob(jobId) {
      return json(await send(jobPath(jobId), { expect: [200] }));
    },
    async listJobs(filter) {
      const query = new URLSearchParams();
      if (filter.status) query.set('status', filter.status);
      if (filter.jobType) query.set('job_type', filter.jobType);
      if (filter.limit !== undefined) query.set('limit', String(filter.limit));
      if (filter.cursor) query.set('cursor', filter.cursor);
      const qs = query.toString();
      return json(await send(`/jobs${qs ? `?${qs}` : ''}`, { expect: [200] }));
    },
    async cancelJob(jobId) {
      return json(await send(`${jobPath(jobId)}/cancel`, { method: 'POST', expect: [200, 202] }));
    },
    async openEvents(jobId, lastEventId, signal) {
      const headers: Record<string, string> = { accept: 'text/event-stream' };
      if (lastEventId !== null) headers['last-event-id'] = lastEventId;
      // No overall timeout: a followed stream lasts as long as the job. Connecting is bounded by the OS.
      const res = await send(`${jobPath(jobId)}/events`, { headers, expect: [200] }, signal ?? new AbortController().signal);
      if (!res.body) throw new ApiRefusedError(res.status, null, 'the event stream answered without a body');
      return res.body;
    },
  };
}

async function refusal(res: Response, request: string): Promise<ApiRefusedError> {
  const text = await res.text().catch(() => '');
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('json')) {
    try {
      const problem = JSON.parse(text) as Problem;
      if (typeof problem.detail === 'string') {
        const fields = (problem.errors ?? []).map((e) => `\n  ${e.path}: ${e.message}`).join('');
        return new ApiRefusedError(res.status, problem, `${problem.detail}${fields}`);
      }
    } catch {
      // not problem details after all: described below
    }
  }
  return new ApiRefusedError(
    res.status,
    null,
    `${request} answered ${res.status} ${res.statusText}${text ? `: ${text.slice(0, 200)}` : ''}`,
  );
}

function reasonOf(error: unknown): string {
  if (error instanceof DOMException && error.name === 'TimeoutError') return 'no answer in time';
  const cause = (error as { cause?: { code?: string; message?: string } } | null)?.cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}
