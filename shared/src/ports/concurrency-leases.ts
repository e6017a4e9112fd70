import type { LeaseScope } from '../domain/concurrency-scopes.ts';

export type AcquireResult = { acquired: true } | { acquired: false; fullScopes: string[] };

export interface HeldLease {
  scope: string;
  holder: string;
  acquiredAt: string;
}

/**
 * Concurrency limits that hold across any number of dispatcher processes, taken with a conditional
 * write (DynamoDB transaction / SQLite transaction). A lease belongs to a job (its holder); it is
 * released by the worker when the job ends, by the dispatcher when a launch fails, and by the reaper
 * when it finds a holder whose job is no longer running — so a crashed holder never leaks a slot for
 * good. Every holder is recorded with the scopes it holds (a bare counter could not say whose slots
 * it counts, so a dead holder's could never be released). Limits hold because exactly one of two
 * racing conditional writes wins; test/integration/aws/emulator-fidelity.test.ts checks that the
 * emulator keeps that promise, which plain moto does not: see test/support/moto-server.py.
 */
export interface ConcurrencyLeases {
  /**
   * Takes one slot in every scope for `holder`, all or nothing. Acquired when the holder now holds
   * them (also when it already did: acquiring is idempotent per holder); otherwise names the scopes
   * that were full, so the scheduler can skip other jobs waiting on the same scope.
   */
  acquire(holder: string, scopes: readonly LeaseScope[], now: Date): Promise<AcquireResult>;
  /**
   * Releases every slot `holder` holds. Releasing nothing is not an error. `expectedScopes`: the
   * scope keys the caller believes the holder holds (the worker computes them from its job and the
   * limits its launch carried). A store may use them to release without first reading what is held
   * (DynamoDB: one write instead of a read and a write); when they are wrong it reads as usual.
   */
  release(holder: string, expectedScopes?: readonly string[]): Promise<void>;
  /** Every held slot (small: bounded by the sum of the limits). */
  list(): Promise<HeldLease[]>;
}
