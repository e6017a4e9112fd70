/**
 * Rate-limit-aware admission of Claude jobs: pure, no I/O, time passed in.
 *
 * The Messages API limits each model by requests, input tokens and output tokens per minute, and
 * says where a caller stands in `anthropic-ratelimit-<dimension>-{limit,remaining,reset}` headers
 * (`reset`: when the bucket is full again). The API's buckets refill continuously, so from one
 * response's headers the dispatcher can tell what is left at any later moment — less what it has
 * launched since. It launches a Claude job only when the job's estimated use fits every dimension,
 * and holds it otherwise, instead of launching it into 429s and retries.
 *
 * What it knows of a model:
 * - nothing yet: one job is launched as a probe (at most one per `probeMs`), to learn the limits
 *   from its response;
 * - a response without headers (a gateway that strips them): every job is admitted, as before
 *   admission existed;
 * - headers: a bucket per dimension, replayed forward from the newest snapshot through every job
 *   admitted since that the snapshot cannot reflect yet.
 */

export const DIMENSIONS = ['requests', 'input-tokens', 'output-tokens'] as const;
export type Dimension = (typeof DIMENSIONS)[number];

/** What one job is expected to take from each bucket. */
export type ClaudeCost = Record<Dimension, number>;

/** The rate-limit headers a worker recorded (names without `anthropic-ratelimit-`), and when. */
export interface RateLimitObservation {
  model: string;
  /** The job whose call saw them: its admission is reflected in this snapshot and later ones. */
  jobId: string;
  headers: Readonly<Record<string, unknown>>;
  observedAtMs: number;
}

export type AdmissionDecision = { admit: true } | { admit: false; retryInMs: number; dimension: Dimension | 'probe' };

interface Bucket {
  limit: number;
  remaining: number;
  atMs: number;
  /** Refill per ms. */
  rate: number;
  /** How far ahead of its snapshot the rate's best measure looked (longer: less rounding error). */
  rateSpanMs: number;
  rateAtMs: number;
}

interface Admission {
  jobId: string;
  atMs: number;
  cost: ClaudeCost;
  /** When a response to this job's own call was seen: snapshots from then on include it. */
  reflectedAtMs: number | null;
}

interface ModelState {
  headerless: boolean;
  probeAtMs: number | null;
  buckets: Partial<Record<Dimension, Bucket>>;
  admissions: Admission[];
}

export interface ClaudeAdmissionOptions {
  /** Without a snapshot, at most one probe job per this long (default 10 s). */
  probeMs?: number;
  /**
   * A job admitted this long before a snapshot is taken to have made its call by then (default
   * 120 s: a Fargate task's cold start and then some). Younger admissions not yet seen answered
   * are counted against the snapshot, at the risk of counting some twice — holding a little long
   * rather than launching into a 429.
   */
  maxLagMs?: number;
}

/** The API's limits are per minute: a bucket refills at least this fast. */
const WINDOW_MS = 60_000;
/** A rate measure this old is replaced by the next one, however short its span. */
const RATE_MAX_AGE_MS = 300_000;

export class ClaudeAdmission {
  private readonly models = new Map<string, ModelState>();
  private readonly probeMs: number;
  private readonly maxLagMs: number;

  constructor(options: ClaudeAdmissionOptions = {}) {
    this.probeMs = options.probeMs ?? 10_000;
    this.maxLagMs = options.maxLagMs ?? 120_000;
  }

  /**
   * Whether a job costing `cost` may launch now; if not, `retryInMs` says when the scarcest bucket
   * will have room, assuming no one else uses it meanwhile. A job that launches must then be
   * counted with `admitted`.
   */
  check(model: string, cost: ClaudeCost, nowMs: number): AdmissionDecision {
    const state = this.stateOf(model);
    if (state.headerless) return { admit: true };
    const known = DIMENSIONS.filter((d) => state.buckets[d] !== undefined);
    if (known.length === 0) {
      if (state.probeAtMs !== null && nowMs - state.probeAtMs < this.probeMs) {
        return { admit: false, retryInMs: state.probeAtMs + this.probeMs - nowMs, dimension: 'probe' };
      }
      return { admit: true };
    }
    let wait: { ms: number; dimension: Dimension } | null = null;
    for (const d of known) {
      const bucket = state.buckets[d]!;
      // A job larger than the whole bucket waits for a full one, rather than forever.
      const need = Math.min(cost[d], bucket.limit);
      const available = this.available(state, d, bucket, nowMs);
      if (available >= need) continue;
      const ms = Math.ceil((need - available) / bucket.rate);
      if (!wait || ms > wait.ms) wait = { ms, dimension: d };
    }
    return wait ? { admit: false, retryInMs: wait.ms, dimension: wait.dimension } : { admit: true };
  }

  /** The job launched: it counts against its model's buckets until a snapshot includes its call. */
  admitted(model: string, jobId: string, cost: ClaudeCost, nowMs: number): void {
    const state = this.stateOf(model);
    if (state.headerless) return;
    if (DIMENSIONS.every((d) => state.buckets[d] === undefined)) state.probeAtMs = nowMs;
    // A retried job's new attempt replaces its old admission.
    state.admissions = state.admissions.filter((a) => a.jobId !== jobId);
    state.admissions.push({ jobId, atMs: nowMs, cost, reflectedAtMs: null });
  }

  /** What a bucket holds at `nowMs` by this dispatcher's reckoning (for tests and logs). */
  availableAt(model: string, dimension: Dimension, nowMs: number): number | null {
    const state = this.models.get(model);
    const bucket = state?.buckets[dimension];
    return state && bucket ? this.available(state, dimension, bucket, nowMs) : null;
  }

  /** A worker's record of the latest headers it saw for `model`. Older snapshots than held are ignored. */
  observe(observation: RateLimitObservation, nowMs: number): void {
    const state = this.stateOf(observation.model);
    // Headers seen before the job's latest admission are an earlier attempt's: not this one's call.
    const admission = state.admissions.find((a) => a.jobId === observation.jobId && a.atMs <= observation.observedAtMs);
    if (admission && (admission.reflectedAtMs === null || admission.reflectedAtMs > observation.observedAtMs)) {
      admission.reflectedAtMs = observation.observedAtMs;
    }
    let any = false;
    for (const d of DIMENSIONS) {
      const snapshot = snapshotOf(observation.headers, d);
      if (!snapshot) continue;
      any = true;
      const held = state.buckets[d];
      if (held && held.atMs >= observation.observedAtMs) continue;
      state.buckets[d] = withRate(held, snapshot, observation.observedAtMs);
    }
    if (any) state.headerless = false;
    this.prune(state, nowMs);
  }

  /** A job of `model` made its calls and the API sent no rate-limit headers: admit as before. */
  observeHeaderless(model: string): void {
    const state = this.stateOf(model);
    if (DIMENSIONS.every((d) => state.buckets[d] === undefined)) state.headerless = true;
  }

  /** The job ended without any answer from the API (no call made): it uses nothing. */
  forget(model: string, jobId: string): void {
    const state = this.models.get(model);
    if (state) state.admissions = state.admissions.filter((a) => a.jobId !== jobId);
  }

  private stateOf(model: string): ModelState {
    let state = this.models.get(model);
    if (!state) {
      state = { headerless: false, probeAtMs: null, buckets: {}, admissions: [] };
      this.models.set(model, state);
    }
    return state;
  }

  /**
   * The snapshot's remaining count, replayed to `nowMs`: refilling at the bucket's rate up to its
   * limit, less each admission the snapshot does not include, at the moment it was admitted.
   */
  private available(state: ModelState, d: Dimension, bucket: Bucket, nowMs: number): number {
    let level = bucket.remaining;
    let t = bucket.atMs;
    for (const a of state.admissions) {
      if (!this.pendingAt(a, bucket.atMs)) continue;
      const at = Math.max(a.atMs, bucket.atMs);
      level = Math.min(bucket.limit, level + bucket.rate * (at - t)) - a.cost[d];
      t = at;
    }
    return Math.min(bucket.limit, level + bucket.rate * Math.max(0, nowMs - t));
  }

  /** Whether admission `a` may not yet be counted in a snapshot taken at `atMs`. */
  private pendingAt(a: Admission, atMs: number): boolean {
    if (a.reflectedAtMs !== null && a.reflectedAtMs <= atMs) return false;
    return a.atMs > atMs - this.maxLagMs;
  }

  /** Admissions every snapshot already includes (or too old to matter) are dropped. */
  private prune(state: ModelState, nowMs: number): void {
    const oldest = Math.min(...DIMENSIONS.map((d) => state.buckets[d]?.atMs ?? nowMs));
    state.admissions = state.admissions.filter((a) => this.pendingAt(a, oldest) && a.atMs > nowMs - 2 * this.maxLagMs);
  }
}

interface Snapshot {
  limit: number;
  remaining: number;
  resetMs: number | null;
}

/** `<d>-limit`, `<d>-remaining` and `<d>-reset` as numbers; null when the limit or remaining count is missing. */
function snapshotOf(headers: Readonly<Record<string, unknown>>, d: Dimension): Snapshot | null {
  const limit = Number(headers[`${d}-limit`]);
  const remaining = Number(headers[`${d}-remaining`]);
  if (!Number.isFinite(limit) || limit <= 0 || !Number.isFinite(remaining) || headers[`${d}-remaining`] === undefined) return null;
  const reset = headers[`${d}-reset`];
  const resetMs = typeof reset === 'string' ? Date.parse(reset) : Number.NaN;
  return { limit, remaining: Math.max(0, Math.min(limit, remaining)), resetMs: Number.isFinite(resetMs) ? resetMs : null };
}

/**
 * The refill rate: never slower than the limit per minute; faster when a snapshot's `reset` says
 * so. `reset` is given to the second, so the measure taken over the longest span (least rounding
 * error) is kept, until it is five minutes old.
 */
function withRate(held: Bucket | undefined, s: Snapshot, atMs: number): Bucket {
  const perMinute = s.limit / WINDOW_MS;
  const keep = held !== undefined && held.limit === s.limit && atMs - held.rateAtMs < RATE_MAX_AGE_MS;
  let { rate, rateSpanMs, rateAtMs } = keep ? held : { rate: perMinute, rateSpanMs: 0, rateAtMs: atMs };
  if (s.resetMs !== null && s.remaining < s.limit) {
    const span = s.resetMs - atMs;
    if (span > rateSpanMs) {
      rate = Math.max(perMinute, (s.limit - s.remaining) / span);
      rateSpanMs = span;
      rateAtMs = atMs;
    }
  }
  return { limit: s.limit, remaining: s.remaining, atMs, rate, rateSpanMs, rateAtMs };
}
