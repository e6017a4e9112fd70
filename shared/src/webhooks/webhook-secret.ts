import { randomBytes } from 'node:crypto';

export const WEBHOOK_SECRET_PREFIX = 'whsec_';

/** A new signing secret: `whsec_` + base64 of 32 random bytes (Standard Webhooks allows 24–64). */
export function newWebhookSecret(): string {
  return WEBHOOK_SECRET_PREFIX + randomBytes(32).toString('base64');
}

/** The HMAC key a secret stands for: the bytes after `whsec_`, base64-decoded. */
export function webhookSecretKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith(WEBHOOK_SECRET_PREFIX) ? secret.slice(WEBHOOK_SECRET_PREFIX.length) : secret, 'base64');
}

/** A tenant's secrets as stored: the newest has no expiry; a rotated-out one signs until `expiresAt`. */
export interface StoredWebhookSecret {
  secret: string;
  createdAt: string;
  expiresAt: string | null;
}

/** The secrets that sign now, newest first. */
export function liveSecrets(stored: readonly StoredWebhookSecret[], now: Date): string[] {
  const at = now.toISOString();
  return stored
    .filter((s) => s.expiresAt === null || s.expiresAt > at)
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
    .map((s) => s.secret);
}

/** The stored list after a rotation at `now`: every live secret expires after the overlap, the new one joins. */
export function rotatedSecrets(
  stored: readonly StoredWebhookSecret[],
  fresh: string,
  now: Date,
  overlapSeconds: number,
): StoredWebhookSecret[] {
  const at = now.toISOString();
  const until = new Date(now.getTime() + overlapSeconds * 1000).toISOString();
  const kept = stored
    .filter((s) => s.expiresAt === null || s.expiresAt > at)
    .map((s) => ({ ...s, expiresAt: s.expiresAt === null || s.expiresAt > until ? until : s.expiresAt }));
  return [...kept, { secret: fresh, createdAt: at, expiresAt: null }];
}
