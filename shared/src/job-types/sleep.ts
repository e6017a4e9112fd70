import { z } from 'zod';
import { defineJobType } from './job-type.ts';

/** Holds a worker for `ms`: for capacity drills, smoke tests of limits, and warm-up measurements. */
export const sleepJobType = defineJobType({
  name: 'sleep',
  description: 'Waits `ms` milliseconds, then reports how long it actually slept.',
  allowsPooled: true,
  payloadSchema: z.strictObject({ ms: z.number().int().min(0).max(3_600_000) }),
});
