import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { LeaseScope } from '../../domain/concurrency-scopes.ts';
import type { AcquireResult, ConcurrencyLeases, HeldLease } from '../../ports/concurrency-leases.ts';
import { statementCache } from './statement-cache.ts';

/**
 * Concurrency leases in SQLite: one row per held slot. Acquiring counts each scope's rows and
 * inserts the holder's rows in one IMMEDIATE transaction, which takes SQLite's write lock up front,
 * so two dispatcher processes cannot both see a free slot.
 */
export class SqliteConcurrencyLeases implements ConcurrencyLeases {
  private readonly db: DatabaseSync;
  /** Prepared statements, reused (see statement-cache.ts). */
  private readonly sql: (sql: string) => StatementSync;

  constructor(db: DatabaseSync) {
    this.db = db;
    this.sql = statementCache(db);
    db.exec(`CREATE TABLE IF NOT EXISTS concurrency_leases (
      scope TEXT NOT NULL,
      holder TEXT NOT NULL,
      acquired_at TEXT NOT NULL,
      PRIMARY KEY (scope, holder)
    )`);
    db.exec('CREATE INDEX IF NOT EXISTS concurrency_leases_by_holder ON concurrency_leases (holder)');
  }

  async acquire(holder: string, scopes: readonly LeaseScope[], now: Date): Promise<AcquireResult> {
    const count = this.sql('SELECT COUNT(*) AS n FROM concurrency_leases WHERE scope = ?');
    const holds = this.sql('SELECT 1 FROM concurrency_leases WHERE scope = ? AND holder = ?');
    const insert = this.sql('INSERT INTO concurrency_leases (scope, holder, acquired_at) VALUES (?, ?, ?)');
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const full: string[] = [];
      const toTake: LeaseScope[] = [];
      for (const scope of scopes) {
        if (holds.get(scope.key, holder)) continue;
        const row = count.get(scope.key) as { n: number };
        if (row.n >= scope.limit) full.push(scope.key);
        else toTake.push(scope);
      }
      if (full.length > 0) {
        this.db.exec('ROLLBACK');
        return { acquired: false, fullScopes: full };
      }
      for (const scope of toTake) insert.run(scope.key, holder, now.toISOString());
      this.db.exec('COMMIT');
      return { acquired: true };
    } catch (error) {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      throw error;
    }
  }

  async release(holder: string): Promise<void> {
    this.sql('DELETE FROM concurrency_leases WHERE holder = ?').run(holder);
  }

  async list(): Promise<HeldLease[]> {
    const rows = this.sql('SELECT scope, holder, acquired_at FROM concurrency_leases ORDER BY scope, holder').all() as {
      scope: string;
      holder: string;
      acquired_at: string;
    }[];
    return rows.map((r) => ({ scope: r.scope, holder: r.holder, acquiredAt: r.acquired_at }));
  }
}
