import { PRIORITIES, type Priority } from './job.ts';

/** critical = 0 … low = 3: lower runs first. */
export function classRank(priority: Priority): number {
  return PRIORITIES.indexOf(priority);
}

/**
 * Strict priority with aging, so a lower class always progresses: every `agingSeconds` a job waits
 * (since it was submitted) raises it by one class. With the default 60 s, a low job that waited
 * three minutes competes as critical. `agingSeconds` 0 disables aging (strict priority).
 */
export function effectiveRank(priority: Priority, waitedSeconds: number, agingSeconds: number): number {
  const promotion = agingSeconds > 0 ? Math.floor(Math.max(0, waitedSeconds) / agingSeconds) : 0;
  return classRank(priority) - promotion;
}

export interface Waiting {
  priority: Priority;
  /** Submission time, ms since epoch. */
  submittedAt: number;
}

/** Orders waiting jobs: best effective rank first, then the oldest. */
export function compareWaiting(nowMs: number, agingSeconds: number): (a: Waiting, b: Waiting) => number {
  return (a, b) =>
    effectiveRank(a.priority, (nowMs - a.submittedAt) / 1000, agingSeconds) -
      effectiveRank(b.priority, (nowMs - b.submittedAt) / 1000, agingSeconds) || a.submittedAt - b.submittedAt;
}
