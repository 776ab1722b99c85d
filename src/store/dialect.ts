// The few places where SQLite and Postgres need different SQL, decided in one spot.
import { PostgresAdapter, type SelectQueryBuilder } from 'kysely';
import type { Db } from './database.ts';

export function isPostgres(db: Db): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/**
 * Locks the selected rows until the transaction ends, on Postgres. SQLite needs nothing: its
 * writers already take turns, and it has no FOR UPDATE.
 */
export function lockForUpdate<DB, TB extends keyof DB, O>(db: Db, q: SelectQueryBuilder<DB, TB, O>): SelectQueryBuilder<DB, TB, O> {
  return isPostgres(db) ? q.forUpdate() : q;
}
