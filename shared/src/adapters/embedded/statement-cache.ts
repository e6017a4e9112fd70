import type { DatabaseSync, StatementSync } from 'node:sqlite';

/** More distinct statements than any store makes (its SQL varies only with which fields a write sets). */
const MAX_STATEMENTS = 500;

/**
 * `db.prepare(sql)`, kept and reused: compiling a statement costs several times what running it
 * does (~85 µs against ~25 µs for a job update, measured), and a job's life runs the same dozen
 * statements in every process. Statements run synchronously, so one per SQL text is enough.
 */
export function statementCache(db: DatabaseSync): (sql: string) => StatementSync {
  const statements = new Map<string, StatementSync>();
  return (sql) => {
    let statement = statements.get(sql);
    if (!statement) {
      if (statements.size >= MAX_STATEMENTS) statements.clear();
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };
}
