import { scopesFor } from '@agent-runner/shared/domain/concurrency-scopes.ts';
import { messageFor, type Job, type Priority } from '@agent-runner/shared/domain/job.ts';
import { compareWaiting } from '@agent-runner/shared/domain/priority-order.ts';
import type { DeliveryOutcome, JobDelivery } from '@agent-runner/shared/ports/job-queue.ts';
import { ACK, claimAndLaunch, triageDelivery } from './claim-and-launch.ts';
import type { DispatcherDeps } from './dispatcher-deps.ts';
import { TokenBucket } from '@agent-runner/shared/runtime/token-bucket.ts';

/** How soon after a new arrival the scheduler decides, so one receive round of every queue is seen. */
const SETTLE_MS = 15;
/** While jobs wait for capacity held elsewhere (workers in other processes), look again this often. */
const RECHECK_MS = 250;
/**
 * How long a recycled job keeps its place: until its fresh copy is received again (here or by a
 * peer), jobs it outranks do not start, or every recycle would let a worse job through.
 */
const RECYCLED_PLACE_MS = 5000;
/** After RunTask throttling, owe this many seconds of launch budget. */
const THROTTLE_PENALTY_SECONDS = 1;
/**
 * While every global slot is taken, hold at most this many messages (fewer under a smaller
 * AGENT_RUNNER_MAX_RUNNING) — of each priority class, where a queue carries one class: enough to
 * launch the best job the moment a slot frees, few enough that a dead dispatcher hides little and
 * a live one recycles little.
 */
export const LOOKAHEAD = 10;

interface Place {
  priority: Priority;
  submittedAt: number;
}

interface Waiter {
  delivery: JobDelivery;
  job: Job;
  enteredAt: number;
  /** The last round found one of its scopes full: it cannot use free global capacity. */
  blocked: boolean;
  settle(outcome: DeliveryOutcome): void;
  fail(error: unknown): void;
}

export interface SchedulerStats {
  waiting: number;
  launching: number;
}

/**
 * Decides what runs next. SQS has no priorities and no concurrency limits, so every delivered
 * message enters a waiting room; the scheduler launches the best waiting job — highest class after
 * aging, then oldest — whenever it can take a slot in each of the job's concurrency scopes (leases
 * shared by every dispatcher) and a launch token. A message that waits keeps its delivery in flight
 * and is recycled after AGENT_RUNNER_MAX_HOLD_SECONDS (see handBackLongWaiters). The feed receives
 * only what `room` says free capacity can use soon, so a dispatcher holds few messages — and a
 * dead one hides few from its peers.
 */
export class LaunchScheduler {
  private readonly deps: DispatcherDeps;
  private readonly bucket: TokenBucket;
  private readonly waiting = new Map<string, Waiter>();
  /** Jobs recycled by this dispatcher whose copies are not received yet, and until when they hold their place. */
  private readonly recycled = new Map<string, Place & { until: number }>();
  private readonly launching = new Set<Promise<void>>();
  /** Jobs whose slots are taken and whose launch is under way here. */
  private readonly launchingJobs = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  private ticking = false;
  /** Deliveries being read (admit) before they wait, by class: held, not yet counted in `waiting`. */
  private readonly admitting = new Map<Priority, number>();
  /** The last round found the global scope full. */
  private globalFull = false;
  private tickAgain = false;
  private stopped = false;

  constructor(deps: DispatcherDeps) {
    this.deps = deps;
    const { launchRatePerSecond, launchBurst } = deps.config.dispatch;
    this.bucket = new TokenBucket(launchRatePerSecond, launchBurst, deps.clock);
  }

  /** The feed's handler: resolves when the message may be deleted, or must go back to the queue. */
  async admit(delivery: JobDelivery): Promise<DeliveryOutcome> {
    if (this.stopped) return { kind: 'release', delaySeconds: 0 };
    const { jobId } = delivery.message;
    const { priority } = delivery.message;
    this.admitting.set(priority, (this.admitting.get(priority) ?? 0) + 1);
    let job: Job | null;
    try {
      job = await this.deps.jobs.get(jobId);
    } finally {
      this.admitting.set(priority, this.admitting.get(priority)! - 1);
    }
    const triage = triageDelivery(job, this.deps);
    if (triage !== 'launch') return triage;
    // A second copy of a message whose job already waits here is a duplicate delivery.
    if (this.waiting.has(jobId)) return ACK;
    this.recycled.delete(jobId);
    return new Promise<DeliveryOutcome>((settle, fail) => {
      this.waiting.set(jobId, { delivery, job: job!, enteredAt: this.deps.clock.now().getTime(), blocked: false, settle, fail });
      this.schedule(SETTLE_MS);
    });
  }

  /** Jobs this dispatcher holds slots for and is launching now: not orphans, however long it takes. */
  launchingJobIds(): ReadonlySet<string> {
    return this.launchingJobs;
  }

  /**
   * How many more messages free capacity can use soon — the feed receives no more. With global
   * slots free: up to AGENT_RUNNER_MAX_RUNNING launching or able to launch (waiters held back by a
   * full type, tenant or ordering scope do not count: they cannot use a global slot, and must not
   * keep other jobs from being received). With every global slot taken: LOOKAHEAD of the queue's
   * `priority` class (so a high job is at hand, not only the low ones received first), or in all
   * when the queue mixes classes (`null`).
   */
  room(priority: Priority | null = null): number {
    if (this.stopped) return 0;
    const { maxRunning } = this.deps.config.dispatch;
    const admitting = (of: Priority | null) => [...this.admitting].reduce((n, [p, count]) => (of === null || p === of ? n + count : n), 0);
    if (this.globalFull) {
      let held = 0;
      for (const waiter of this.waiting.values()) if (priority === null || waiter.delivery.message.priority === priority) held++;
      return Math.min(LOOKAHEAD, maxRunning) - held - admitting(priority);
    }
    let ready = 0;
    for (const waiter of this.waiting.values()) if (!waiter.blocked) ready++;
    return maxRunning - this.launching.size - ready - admitting(null);
  }

  stats(): SchedulerStats {
    return { waiting: this.waiting.size, launching: this.launching.size };
  }

  /** Hands every waiting message back to the queue and waits for launches under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    for (const [jobId, waiter] of this.waiting) {
      this.waiting.delete(jobId);
      waiter.settle({ kind: 'release', delaySeconds: 0 });
    }
    while (this.ticking || this.launching.size > 0) {
      await Promise.all([...this.launching]);
      if (this.ticking) await new Promise((r) => setTimeout(r, 5));
    }
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    const at = Date.now() + ms;
    if (this.timer && this.timerAt <= at) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerAt = Infinity;
      void this.tick();
    }, ms);
  }

  private async tick(): Promise<void> {
    if (this.ticking) {
      this.tickAgain = true;
      return;
    }
    this.ticking = true;
    let next = RECHECK_MS;
    try {
      next = await this.launchWhatFits();
    } catch (error) {
      this.deps.log.error({ err: error }, 'scheduling round failed');
    } finally {
      this.ticking = false;
    }
    if (this.tickAgain) {
      this.tickAgain = false;
      this.schedule(0);
    } else if (this.waiting.size > 0) {
      this.schedule(next);
    }
  }

  /** One scheduling round. Returns how long to wait before the next one. */
  private async launchWhatFits(): Promise<number> {
    const { config, clock, leases } = this.deps;
    const now = clock.now();
    const nowMs = now.getTime();
    this.handBackLongWaiters(nowMs);

    const order = compareWaiting(nowMs, config.dispatch.priorityAgingSeconds);
    const candidates = [...this.waiting.values()].sort((a, b) => order(placeOf(a.job), placeOf(b.job)));
    for (const [jobId, place] of this.recycled) if (place.until <= nowMs) this.recycled.delete(jobId);
    // Only while capacity is scarce: with global slots to spare, the copy finds one when it comes back.
    const bestInTransit = this.globalFull ? [...this.recycled.values()].sort(order)[0] : undefined;
    const fullScopes = new Set<string>();
    const groupsSeen = new Set<string>();
    this.globalFull = false;
    /** Set once the launch tokens ran out this round: later one-shot launches wait; pooled hand-offs need none. */
    let pacedWait = 0;
    this.deps.claudeAdmission?.beginRound();
    for (const [i, waiter] of candidates.entries()) {
      const { job } = waiter;
      if (bestInTransit && order(bestInTransit, placeOf(job)) < 0) {
        // Still scarce as far as this round knows: the next one holds the place too.
        this.globalFull = true;
        break;
      }
      // Within an ordering group only its oldest waiting job may start.
      if (job.orderingKey !== null) {
        if (groupsSeen.has(job.orderingKey)) {
          waiter.blocked = true;
          continue;
        }
        groupsSeen.add(job.orderingKey);
      }
      const scopes = scopesFor(job, config.dispatch);
      if (scopes.some((s) => fullScopes.has(s.key))) {
        waiter.blocked = true;
        continue;
      }
      // Held by its model's rate limits, it waits like a job whose scope is full.
      if (this.deps.claudeAdmission && !this.deps.claudeAdmission.fits(job, nowMs)) {
        waiter.blocked = true;
        continue;
      }
      // Pacing protects RunTask's rate limit and the machine from spawns; handing a pooled job to
      // a warm worker is an IPC message, so it is not paced (priority, ordering and limits still apply).
      const paced = job.isolation !== 'pooled';
      if (paced && pacedWait > 0) continue;
      const wait = paced ? this.bucket.msUntilNext() : 0;
      if (wait > 0) {
        pacedWait = wait;
        continue;
      }
      const lease = await leases.acquire(job.jobId, scopes, now);
      if (!lease.acquired) {
        waiter.blocked = true;
        for (const key of lease.fullScopes) fullScopes.add(key);
        if (fullScopes.has('global')) {
          this.globalFull = true;
          for (const rest of candidates.slice(i + 1)) rest.blocked = true;
          break;
        }
        continue;
      }
      waiter.blocked = false;
      this.deps.claudeAdmission?.admitted(job, nowMs);
      if (paced) this.bucket.tryTake();
      this.waiting.delete(job.jobId);
      this.launchInBackground(waiter);
    }
    return pacedWait > 0 ? pacedWait : RECHECK_MS;
  }

  /**
   * A message that waited AGENT_RUNNER_MAX_HOLD_SECONDS is replaced by a fresh copy: handing it
   * back (a visibility change) would count another receive, and after 5 the queue's redrive policy
   * would move a job that is merely waiting to the dead-letter queue. The copy is sent first and
   * only then is the old one deleted. Ordered jobs are not recycled — a copy would go to the back of
   * their group — they stay held, their visibility kept up by the feed, until their group is free.
   */
  private handBackLongWaiters(nowMs: number): void {
    const limit = this.deps.config.dispatch.maxHoldSeconds * 1000;
    for (const [jobId, waiter] of this.waiting) {
      if (nowMs - waiter.enteredAt < limit || waiter.job.orderingKey !== null) continue;
      this.waiting.delete(jobId);
      this.recycled.set(jobId, { ...placeOf(waiter.job), until: nowMs + RECYCLED_PLACE_MS });
      this.deps.queue.enqueue(messageFor(waiter.job), { deduplicationId: `${jobId}:wait:${nowMs}` }).then(
        () => waiter.settle(ACK),
        () => waiter.settle({ kind: 'release', delaySeconds: 0 }),
      );
    }
  }

  private launchInBackground(waiter: Waiter): void {
    const { jobId } = waiter.job;
    const run = (async () => {
      try {
        const outcome = await claimAndLaunch(this.deps, jobId, waiter.job);
        if (outcome.kind === 'launch-failed' && outcome.throttled) this.bucket.penalize(THROTTLE_PENALTY_SECONDS);
        if (outcome.kind === 'not-ours') {
          // Our slots are the job's slots (leases are held per job): release them only if nobody
          // else is running it, i.e. the job is finished or back in the queue.
          const job = await this.deps.jobs.get(jobId);
          if (
            !job ||
            job.status === 'QUEUED' ||
            job.status === 'SUCCEEDED' ||
            job.status === 'FAILED' ||
            job.status === 'TIMED_OUT' ||
            job.status === 'CANCELLED'
          ) {
            await this.deps.leases.release(jobId);
          }
          waiter.settle(triageDelivery(job, this.deps) === 'launch' ? { kind: 'release', delaySeconds: 0 } : ACK);
          return;
        }
        waiter.settle(ACK);
      } catch (error) {
        // The message is not acked: it comes back after its visibility timeout. Stale leases are
        // released by the reaper once it sees the job is not running.
        waiter.fail(error);
      }
    })();
    this.launching.add(run);
    this.launchingJobs.add(jobId);
    void run.finally(() => {
      this.launching.delete(run);
      this.launchingJobs.delete(jobId);
      // A slot or token may have freed up for someone else.
      if (this.waiting.size > 0) this.schedule(0);
    });
  }
}

function placeOf(job: Job): Place {
  return { priority: job.priority, submittedAt: Date.parse(job.createdAt) };
}
