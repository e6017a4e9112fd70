import { z } from 'zod';
import { PRIORITIES } from '@agent-runner/shared/domain/job.ts';

const QueueDepthSchema = z.object({
  waiting: z.int().min(0).describe('Messages ready to be received.'),
  in_flight: z.int().min(0).describe('Messages received and not yet deleted (being dispatched).'),
});

/** The body of GET /stats (see dashboard/stats-router.ts). */
export const StatsSchema = z
  .object({
    queue_depth: z.record(z.enum(PRIORITIES), QueueDepthSchema).nullable().describe('Per priority queue; null until the first sample.'),
    sampled_at: z.iso.datetime().nullable().describe('When `queue_depth` was read from the queue.'),
  })
  .meta({ id: 'Stats' });
