import { NonPublicAddressError } from '../net/net-errors.ts';
import type { ResolveHost } from '../net/public-lookup.ts';
import { requestPublicUrl } from '../net/public-request.ts';
import { webhookUrlProblem } from './webhook-url.ts';

/** A receiver gets this long for the whole exchange. */
export const WEBHOOK_TIMEOUT_MS = 10_000;
/** A receiver's answer is read this far and no further (it is only kept as evidence). */
export const WEBHOOK_MAX_RESPONSE_BYTES = 1024;

export interface WebhookSendRules {
  allowHttp: boolean;
  allowPrivate: boolean;
  resolve?: ResolveHost;
  timeoutMs?: number;
}

/**
 * delivered: 2xx. gone: 410 (the receiver wants no more). refused: nothing was sent (the URL is not
 * allowed, or its host is not public); retrying cannot help. failed: any other answer, or none.
 */
export type WebhookSendResult =
  | { kind: 'delivered' | 'gone' | 'failed'; statusCode: number; error: string | null }
  | { kind: 'refused' | 'failed'; statusCode: null; error: string };

/** POSTs a signed body to `url`: https only (unless allowed), to a checked public address, no redirects. */
export async function sendWebhook(
  url: string,
  body: string,
  headers: Record<string, string>,
  rules: WebhookSendRules,
): Promise<WebhookSendResult> {
  const problem = webhookUrlProblem(url, { allowHttp: rules.allowHttp });
  if (problem !== null) return { kind: 'refused', statusCode: null, error: `the URL ${problem}` };
  try {
    const response = await requestPublicUrl(new URL(url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'agent-runner-webhooks', ...headers },
      body,
      timeoutMs: rules.timeoutMs ?? WEBHOOK_TIMEOUT_MS,
      maxBodyBytes: WEBHOOK_MAX_RESPONSE_BYTES,
      allowPrivate: rules.allowPrivate,
      ...(rules.resolve ? { resolve: rules.resolve } : {}),
    });
    const status = response.status;
    if (status >= 200 && status < 300) return { kind: 'delivered', statusCode: status, error: null };
    if (status === 410) return { kind: 'gone', statusCode: status, error: 'HTTP 410 Gone: the receiver asked for no more deliveries' };
    // 3xx included: redirects are not followed (the new location would be unchecked).
    return { kind: 'failed', statusCode: status, error: `HTTP ${status}` };
  } catch (error) {
    if (error instanceof NonPublicAddressError) {
      return { kind: 'refused', statusCode: null, error: `${error.message}; webhooks go to public addresses only` };
    }
    const code = (error as NodeJS.ErrnoException).code;
    return { kind: 'failed', statusCode: null, error: `${code ? `${code}: ` : ''}${(error as Error).message}` };
  }
}
