// The few places where SQLite and Postgres need different SQL, decided in one spot.
import { PostgresAdapter, sql, type SelectQueryBuilder } from 'kysely';
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

/**
 * Makes concurrent holders of `name` take turns until their transactions end (a Postgres
 * advisory lock). On SQLite, transactions already take turns.
 */
export async function serializeOn(db: Db, name: string): Promise<void> {
  if (isPostgres(db)) await sql`select pg_advisory_xact_lock(hashtext(${'ringback:' + name}))`.execute(db);
}
