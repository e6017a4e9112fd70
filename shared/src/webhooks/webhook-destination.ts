import { UnavailableError, ValidationError } from '../domain/errors.ts';
import { NonPublicAddressError } from '../net/net-errors.ts';
import { resolvePublicAddresses, type ResolveHost } from '../net/public-lookup.ts';
import { assertWebhookUrl } from './webhook-url.ts';

export interface WebhookDestinationRules {
  allowHttp: boolean;
  /** Accept hosts that resolve to non-public addresses (AGENT_RUNNER_WEBHOOK_ALLOW_PRIVATE). */
  allowPrivate: boolean;
  /** Tests make names resolve where they need; default: the system resolver. */
  resolve?: ResolveHost;
  /** How long the resolution may take before the request is answered 503. Default 5 000 ms. */
  resolveTimeoutMs?: number;
}

/** A resolver that hangs must not hold a submit until the request times out: 5 s covers a retried DNS query. */
const DEFAULT_RESOLVE_TIMEOUT_MS = 5000;

/**
 * Refuses (400 naming `field`) a webhook URL that is malformed, not https, carries credentials, or
 * whose host is or resolves to a non-public address — loopback, private, link-local (the metadata
 * service), unique-local… — unless private addresses are allowed. Checked when the URL is given,
 * so a submitter learns at once; delivery checks again on every connection (DNS can change since).
 */
export async function checkWebhookDestination(url: string, rules: WebhookDestinationRules, field: string): Promise<void> {
  assertWebhookUrl(url, rules, field);
  if (rules.allowPrivate) return;
  const host = new URL(url).hostname;
  const timeoutMs = rules.resolveTimeoutMs ?? DEFAULT_RESOLVE_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new UnavailableError(`${field}: resolving ${host} took longer than ${timeoutMs / 1000} s; try again`)),
      timeoutMs,
    );
  });
  try {
    await Promise.race([
      resolvePublicAddresses(host, { allowPrivate: false, ...(rules.resolve ? { resolve: rules.resolve } : {}) }),
      timedOut,
    ]);
  } catch (error) {
    if (error instanceof UnavailableError) throw error;
    const message =
      error instanceof NonPublicAddressError
        ? `${error.message}; webhooks go to public addresses only (AGENT_RUNNER_WEBHOOK_ALLOW_PRIVATE=true lifts this)`
        : `the host ${host} does not resolve (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
    throw new ValidationError(`${field}: ${message}`, { problem: 'invalid-webhook', errors: [{ path: field, message }] });
  } finally {
    clearTimeout(timer);
  }
}
