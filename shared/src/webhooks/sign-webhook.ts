import { createHmac } from 'node:crypto';
import { webhookSecretKey } from './webhook-secret.ts';

/**
 * The Standard Webhooks headers for one send of `body`: `webhook-signature` holds one
 * `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` per secret, space-separated, so a receiver that
 * knows either secret of a rotation verifies it.
 */
export function webhookHeaders(
  deliveryId: string,
  timestampSeconds: number,
  body: string,
  secrets: readonly string[],
): Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string> {
  const signed = `${deliveryId}.${timestampSeconds}.${body}`;
  const signatures = secrets.map(
    (secret) => `v1,${createHmac('sha256', webhookSecretKey(secret)).update(signed, 'utf8').digest('base64')}`,
  );
  return { 'webhook-id': deliveryId, 'webhook-timestamp': String(timestampSeconds), 'webhook-signature': signatures.join(' ') };
}
