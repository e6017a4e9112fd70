import { z } from 'zod';
import { defineJobType } from './job-type.ts';

/** Echoes a message back. Its knobs exist to exercise the system: simulated work and failures. */
export const echoJobType = defineJobType({
  name: 'echo',
  description: 'Echoes `message`; `sleep_ms` simulates work, `fail` throws a retryable or fatal error.',
  allowsPooled: true,
  payloadSchema: z.strictObject({
    message: z.string().max(100_000),
    sleep_ms: z.number().int().min(0).max(3_600_000).optional(),
    fail: z.enum(['retryable', 'fatal']).optional(),
  }),
});
