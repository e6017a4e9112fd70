/**
 * The Messages API's rate limits, for the fake (fake-anthropic.ts): a token bucket per dimension
 * holding `limit` and refilling continuously over `windowMs` (a minute on the real API; tests and
 * the bench shorten it). A call takes one request, its input tokens and its max_tokens of output at
 * once; the unused output is given back when it ends. What it answers, as the API documents it:
 * `anthropic-ratelimit-{requests,input-tokens,output-tokens,tokens}-{limit,remaining,reset}` on
 * every response (`reset`: when the bucket is full again, RFC 3339 to the second), and when a
 * bucket lacks room, 429 with `retry-after` in whole seconds.
 */

export interface FakeRateLimits {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  /** The window the limits are per (default 60 000: per minute). */
  windowMs?: number;
}

type Dimension = 'requests' | 'input-tokens' | 'output-tokens';

interface Bucket {
  limit: number;
  level: number;
  atMs: number;
}

export type Taken = { ok: true; headers: Record<string, string> } | { ok: false; dimension: Dimension; headers: Record<string, string> };

export class FakeRateLimiter {
  private readonly buckets: Record<Dimension, Bucket>;
  private readonly windowMs: number;
  private readonly now: () => number;

  constructor(limits: FakeRateLimits, now: () => number = Date.now) {
    this.windowMs = limits.windowMs ?? 60_000;
    this.now = now;
    const at = now();
    const bucket = (limit: number): Bucket => ({ limit, level: limit, atMs: at });
    this.buckets = {
      requests: bucket(limits.requests),
      'input-tokens': bucket(limits.inputTokens),
      'output-tokens': bucket(limits.outputTokens),
    };
  }

  /** One call: takes from every bucket, or from none when one lacks room (then a 429). */
  take(call: { inputTokens: number; outputTokens: number }): Taken {
    const now = this.now();
    const cost: Record<Dimension, number> = { requests: 1, 'input-tokens': call.inputTokens, 'output-tokens': call.outputTokens };
    let short: { dimension: Dimension; ms: number } | null = null;
    for (const d of Object.keys(this.buckets) as Dimension[]) {
      const b = this.refill(d, now);
      if (b.level >= cost[d]) continue;
      const ms = ((cost[d] - b.level) / b.limit) * this.windowMs;
      if (!short || ms > short.ms) short = { dimension: d, ms };
    }
    if (short) {
      return {
        ok: false,
        dimension: short.dimension,
        headers: { ...this.headers(now), 'retry-after': String(Math.max(1, Math.ceil(short.ms / 1000))) },
      };
    }
    for (const d of Object.keys(this.buckets) as Dimension[]) this.buckets[d].level -= cost[d];
    return { ok: true, headers: this.headers(now) };
  }

  /** The output tokens a finished call reserved and did not use. */
  refundOutput(tokens: number): void {
    const b = this.refill('output-tokens', this.now());
    b.level = Math.min(b.limit, b.level + tokens);
  }

  private refill(d: Dimension, now: number): Bucket {
    const b = this.buckets[d];
    b.level = Math.min(b.limit, b.level + ((now - b.atMs) / this.windowMs) * b.limit);
    b.atMs = now;
    return b;
  }

  private headers(now: number): Record<string, string> {
    const out: Record<string, string> = {};
    let tightest: { d: Dimension; share: number } | null = null;
    for (const d of Object.keys(this.buckets) as Dimension[]) {
      const b = this.buckets[d];
      out[`anthropic-ratelimit-${d}-limit`] = String(b.limit);
      out[`anthropic-ratelimit-${d}-remaining`] = String(Math.max(0, Math.floor(b.level)));
      out[`anthropic-ratelimit-${d}-reset`] = resetOf(b, now, this.windowMs);
      if (d !== 'requests' && (!tightest || b.level / b.limit < tightest.share)) tightest = { d, share: b.level / b.limit };
    }
    // `tokens-*`: the most restrictive of the input and output token limits, as the API sends it.
    for (const field of ['limit', 'remaining', 'reset'])
      out[`anthropic-ratelimit-tokens-${field}`] = out[`anthropic-ratelimit-${tightest!.d}-${field}`]!;
    return out;
  }
}

/** When the bucket is full again, rounded up to the second (the API's precision). */
function resetOf(b: Bucket, now: number, windowMs: number): string {
  const fullAt = now + ((b.limit - b.level) / b.limit) * windowMs;
  return new Date(Math.ceil(fullAt / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
