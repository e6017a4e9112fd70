import { z } from 'zod';
import { ValidationError } from '@agent-runner/shared/domain/errors.ts';
import type { JsonValue } from '@agent-runner/shared/domain/job.ts';
import { defineTool, ToolError } from './agent-tool.ts';

/**
 * Job types a tool_agent may not start: another tool_agent could start more, without bound, each
 * holding a worker while it waits.
 */
const NOT_STARTABLE = new Set(['tool_agent']);

/** Starts another job (e.g. research, claude_code) and waits for its result. */
export const submitJobTool = defineTool({
  name: 'submit_job',
  description:
    'Starts a job of another type on this system and waits until it finishes, returning its status and result. ' +
    'Job types include claude_chat {prompt}, claude_code {specification, language}, research {topic} and echo {message}.',
  inputSchema: z.strictObject({
    job_type: z.string().min(1).max(100),
    payload: z.looseObject({}).describe("the job type's payload object"),
    timeout_seconds: z
      .number()
      .int()
      .min(1)
      .max(24 * 3600)
      .optional(),
  }),
  async run(input, ctx) {
    if (!ctx.childJobs) throw new ToolError('this worker cannot start jobs (no child job runner is configured)');
    if (NOT_STARTABLE.has(input.job_type)) throw new ToolError(`a tool_agent cannot start a ${input.job_type} job`);
    try {
      const outcome = await ctx.childJobs.runChildJob(
        {
          jobType: input.job_type,
          payload: input.payload as JsonValue,
          ...(input.timeout_seconds !== undefined ? { timeoutSeconds: input.timeout_seconds } : {}),
        },
        ctx.signal,
      );
      return {
        job_id: outcome.jobId,
        status: outcome.status,
        result: outcome.result,
        error: outcome.error ? { kind: outcome.error.kind, message: outcome.error.message } : null,
        cost_usd: outcome.costUsd,
      };
    } catch (error) {
      if (error instanceof ValidationError) throw new ToolError(error.message, { cause: error });
      throw error;
    }
  },
});
