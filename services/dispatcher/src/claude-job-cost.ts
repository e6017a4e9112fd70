import type { Job } from '@agent-runner/shared/domain/job.ts';
import { isJobTypeName, JOB_TYPES } from '@agent-runner/shared/job-types/catalogue.ts';
import type { ClaudeCost } from './claude-admission.ts';

/**
 * The job types whose worker calls the Messages API (their payloads name a `model`). A job of
 * another type is never held by Claude admission.
 */
export const CLAUDE_JOB_TYPES: ReadonlySet<string> = new Set(['claude_chat', 'claude_code', 'research', 'tool_agent']);

/** English text runs ~4 characters a token; 3 over-counts a little, so a job is held rather than refused. */
const CHARS_PER_TOKEN = 3;
/** The system prompt and wrapping a handler adds around the payload's text. */
const OVERHEAD_TOKENS = 50;
/** research sets its own max_tokens; its first call (the plan) asks for this many. */
const DEFAULT_OUTPUT_TOKENS = 1024;

export interface ClaudeJobCost {
  model: string;
  cost: ClaudeCost;
}

/**
 * What a Claude job's first model call will take from its model's limits: one request, its
 * `max_tokens` of output (the API reserves max_tokens when a call starts and gives back the unused
 * part when it ends), and its payload's size in tokens as input. Later calls of a multi-call job
 * (research, tool_agent) are paced by the API's own answers once it runs. Null: not a Claude job.
 */
export function claudeJobCost(
  job: Pick<Job, 'jobType' | 'payload' | 'payloadRef'>,
  defaultModel: string,
  inlineLimitBytes: number,
): ClaudeJobCost | null {
  if (!CLAUDE_JOB_TYPES.has(job.jobType) || !isJobTypeName(job.jobType)) return null;
  const parsed = JOB_TYPES[job.jobType].payloadSchema.safeParse(job.payload);
  const payload: Record<string, unknown> = parsed.success ? (parsed.data as Record<string, unknown>) : {};
  const model = typeof payload.model === 'string' ? payload.model : defaultModel;
  const maxTokens = typeof payload.max_tokens === 'number' ? payload.max_tokens : DEFAULT_OUTPUT_TOKENS;
  // A payload kept in the blob store is larger than the inline limit: count it as that large.
  const chars = job.payload !== null ? JSON.stringify(job.payload).length : job.payloadRef !== null ? inlineLimitBytes : 0;
  return {
    model,
    cost: { requests: 1, 'input-tokens': Math.ceil(chars / CHARS_PER_TOKEN) + OVERHEAD_TOKENS, 'output-tokens': maxTokens },
  };
}
