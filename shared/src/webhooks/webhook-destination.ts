import { ValidationError } from '../domain/errors.ts';
import { NonPublicAddressError } from '../net/net-errors.ts';
import { resolvePublicAddresses, type ResolveHost } from '../net/public-lookup.ts';
import { assertWebhookUrl } from './webhook-url.ts';

export interface WebhookDestinationRules {
  allowHttp: boolean;
  /** Accept hosts that resolve to non-public addresses (AGENT_RUNNER_WEBHOOK_ALLOW_PRIVATE). */
  allowPrivate: boolean;
  /** Tests make names resolve where they need; default: the system resolver. */
  resolve?: ResolveHost;
}

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
  try {
    await resolvePublicAddresses(host, { allowPrivate: false, ...(rules.resolve ? { resolve: rules.resolve } : {}) });
  } catch (error) {
    const message =
      error instanceof NonPublicAddressError
        ? `${error.message}; webhooks go to public addresses only (AGENT_RUNNER_WEBHOOK_ALLOW_PRIVATE=true lifts this)`
        : `the host ${host} does not resolve (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
    throw new ValidationError(`${field}: ${message}`, { problem: 'invalid-webhook', errors: [{ path: field, message }] });
  }
}
