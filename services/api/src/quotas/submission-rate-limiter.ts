import type { Clock } from '@agent-runner/shared/domain/ids.ts';
import type { SubmitRate } from '@agent-runner/shared/domain/tenant-quotas.ts';
import { TokenBucket } from '@agent-runner/shared/runtime/token-bucket.ts';

/** The name of the one policy this API advertises (RateLimit-Policy / RateLimit). */
const POLICY = 'submit';

/** A tenant's bucket and the setting it was made for; a submission takes one token. */
interface Bucket {
  rate: SubmitRate;
  tokens: TokenBucket;
}

/** What a rate check decided, with the header fields that describe it. */
export interface RateDecision {
  admitted: boolean;
  /** When refused: whole seconds until a token is back. */
  retryAfterSeconds: number;
  /** `RateLimit-Policy` and `RateLimit` (draft-ietf-httpapi-ratelimit-headers-10 §2, §3). */
  headers: Record<string, string>;
}

/**
 * Per-tenant token buckets for POST /jobs, in this process's memory: a bucket holds at most the
 * rate's `limit` tokens and refills at `limit / windowSeconds` per second, each divided by the
 * number of API instances (AGENT_RUNNER_API_INSTANCES) so that instances behind a balancer admit
 * about the tenant's rate together. Not shared between instances: an unbalanced spread of one
 * tenant's requests gets less than its rate, and a restarted instance starts with full buckets.
 */
export class SubmissionRateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly clock: Clock;
  private readonly instances: number;
  private readonly maxTenants: number;

  constructor(clock: Clock, instances: number, maxTenants = 10_000) {
    this.clock = clock;
    this.instances = instances;
    this.maxTenants = maxTenants;
  }

  /** Takes a token from the tenant's bucket if there is one. */
  take(tenant: string, rate: SubmitRate): RateDecision {
    const capacity = Math.max(1, rate.limit / this.instances);
    const perSecond = rate.limit / rate.windowSeconds / this.instances;
    let bucket = this.buckets.get(tenant);
    // A changed setting starts a fresh bucket: the old one's tokens were counted in other units.
    if (!bucket || bucket.rate.limit !== rate.limit || bucket.rate.windowSeconds !== rate.windowSeconds) {
      bucket = { rate, tokens: new TokenBucket(perSecond, capacity, this.clock) };
    }
    this.remember(tenant, bucket);
    const admitted = bucket.tokens.tryTake();
    return {
      admitted,
      retryAfterSeconds: admitted ? 0 : Math.max(1, bucket.tokens.secondsUntil(1)),
      headers: {
        'RateLimit-Policy': `"${POLICY}";q=${Math.floor(capacity)};w=${rate.windowSeconds}`,
        // r: whole tokens left; t: seconds until the bucket is full again.
        RateLimit: `"${POLICY}";r=${Math.floor(bucket.tokens.available())};t=${bucket.tokens.secondsUntil(capacity)}`,
      },
    };
  }

  /**
   * Keeps at most `maxTenants` buckets, the most recently used: one forgotten starts full again,
   * which only a tenant idle while `maxTenants` others submitted can notice.
   */
  private remember(tenant: string, bucket: Bucket): void {
    this.buckets.delete(tenant);
    this.buckets.set(tenant, bucket);
    if (this.buckets.size > this.maxTenants) this.buckets.delete(this.buckets.keys().next().value!);
  }
}
