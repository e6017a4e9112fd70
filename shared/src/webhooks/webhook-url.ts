import { ValidationError } from '../domain/errors.ts';

/** The longest webhook URL accepted: enough for any real receiver, small enough to store on every job. */
export const MAX_WEBHOOK_URL_LENGTH = 2048;

export interface WebhookUrlRules {
  /** Accept `http:` as well as `https:` (AGENT_RUNNER_WEBHOOK_ALLOW_HTTP). */
  allowHttp: boolean;
}

/**
 * What is wrong with `url` as a webhook destination, or null. Only the URL's form: where its host
 * resolves is checkWebhookDestination's question. Credentials in the URL are refused because a URL
 * is shown back (job views, listings, logs) and a secret must never be.
 */
export function webhookUrlProblem(url: string, rules: WebhookUrlRules): string | null {
  if (url.length > MAX_WEBHOOK_URL_LENGTH) return `at most ${MAX_WEBHOOK_URL_LENGTH} characters`;
  if (!URL.canParse(url)) return 'not an absolute URL';
  const parsed = new URL(url);
  if (parsed.protocol !== 'https:' && !(rules.allowHttp && parsed.protocol === 'http:')) {
    return rules.allowHttp
      ? 'must be an https: or http: URL'
      : 'must be an https: URL (http: only with AGENT_RUNNER_WEBHOOK_ALLOW_HTTP=true)';
  }
  if (parsed.username !== '' || parsed.password !== '') return 'must not carry a user name or password';
  if (parsed.hostname === '') return 'has no host';
  if (parsed.hash !== '') return 'must not have a #fragment (it is never sent)';
  return null;
}

/** webhookUrlProblem as a 400 naming `field`. */
export function assertWebhookUrl(url: string, rules: WebhookUrlRules, field: string): void {
  const problem = webhookUrlProblem(url, rules);
  if (problem !== null) {
    throw new ValidationError(`${field}: ${problem}`, { problem: 'invalid-webhook', errors: [{ path: field, message: problem }] });
  }
}
