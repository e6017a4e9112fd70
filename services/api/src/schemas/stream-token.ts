import { z } from 'zod';

/** What POST /jobs/{id}/stream-token and POST /pipelines/{id}/stream-token answer (auth/event-stream-access.ts builds it). */
export const StreamTokenSchema = z
  .object({
    stream_token: z.string().nullable().describe('Null with auth off: the stream needs no token.'),
    expires_at: z.iso.datetime().nullable(),
    events_url: z.string().describe('The path to open with EventSource, token included.'),
  })
  .meta({ id: 'StreamToken' });
