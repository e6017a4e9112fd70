/** Retries stop once the next try would fall later than this after the event. */
export const WEBHOOK_RETRY_WINDOW_SECONDS = 24 * 3600;
/** No single wait is longer than this, so a receiver back after an outage hears within hours. */
export const WEBHOOK_MAX_DELAY_SECONDS = 4 * 3600;
/** No wait is shorter than this, whatever the jitter draws. */
const MIN_DELAY_SECONDS = 1;

/**
 * When to try a delivery again after its `failedAttempts`-th failed attempt: exponential backoff
 * with full jitter (a uniform draw in [0, ceiling], ceiling = base · 2^(n−1), capped at 4 h), so
 * receivers that failed together are not retried together. Null when that would be more than
 * 24 h after the event: the delivery has failed.
 */
export function nextWebhookAttemptAt(
  eventAt: Date,
  failedAttempts: number,
  now: Date,
  baseSeconds: number,
  random: () => number,
): Date | null {
  const ceiling = Math.min(WEBHOOK_MAX_DELAY_SECONDS, baseSeconds * 2 ** Math.max(0, failedAttempts - 1));
  const delay = Math.max(MIN_DELAY_SECONDS, random() * ceiling);
  const next = new Date(now.getTime() + Math.round(delay * 1000));
  return next.getTime() - eventAt.getTime() > WEBHOOK_RETRY_WINDOW_SECONDS * 1000 ? null : next;
}
