import { sleepJobType } from '@agent-runner/shared/job-types/sleep.ts';
import { defineHandler } from './job-handler.ts';
import { sleep } from './sleep-for.ts';

/** Holds a worker for `ms`: for capacity drills, smoke tests of limits, and warm-up measurements. */
export const sleepHandler = defineHandler({
  jobType: 'sleep',
  definition: sleepJobType,
  async run(payload, ctx) {
    const started = ctx.now().getTime();
    await sleep(payload.ms, ctx.signal);
    return { slept_ms: ctx.now().getTime() - started, processed_by: ctx.workerId };
  },
});
