import { echoJobType } from '@agent-runner/shared/job-types/echo.ts';
import { FatalError, RetryableError } from '@agent-runner/shared/domain/errors.ts';
import { defineHandler } from './job-handler.ts';
import { sleep } from './sleep-for.ts';

/** Echoes a message back. Its knobs exist to exercise the system: simulated work and failures. */
export const echoHandler = defineHandler({
  jobType: 'echo',
  definition: echoJobType,
  async run(payload, ctx) {
    if (payload.sleep_ms) await sleep(payload.sleep_ms, ctx.signal);
    if (payload.fail === 'retryable') throw new RetryableError('echo was asked to fail (retryable)');
    if (payload.fail === 'fatal') throw new FatalError('echo was asked to fail (fatal)');
    return {
      echoed_message: payload.message,
      processed_by: ctx.workerId,
      processed_at: ctx.now().toISOString(),
    };
  },
});
