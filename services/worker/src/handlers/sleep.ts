import { z } from 'zod';
import { defineHandler } from './job-handler.ts';
import { sleep } from './sleep-for.ts';

/** Holds a worker for `ms`: for capacity drills, smoke tests of limits, and warm-up measurements. */
export const sleepHandler = defineHandler({
  jobType: 'sleep',
  description: 'Waits `ms` milliseconds, then reports how long it actually slept.',
  payloadSchema: z.strictObject({ ms: z.number().int().min(0).max(3_600_000) }),
  async run(payload, ctx) {
    const started = ctx.now().getTime();
    await sleep(payload.ms, ctx.signal);
    return { slept_ms: ctx.now().getTime() - started, processed_by: ctx.workerId };
  },
});
