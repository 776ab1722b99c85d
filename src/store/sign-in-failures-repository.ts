import type { Db } from './database.ts';
import { newId } from './ids.ts';

/** The times of the failures recorded for `key` since `since`, oldest first. */
export async function listFailuresSince(db: Db, key: string, since: string): Promise<string[]> {
  const rows = await db
    .selectFrom('sign_in_failures')
    .select('failed_at')
    .where('key', '=', key)
    .where('failed_at', '>', since)
    .orderBy('failed_at', 'asc')
    .execute();
  return rows.map((r) => r.failed_at);
}

export async function insertFailures(db: Db, keys: string[], failedAt: string): Promise<void> {
  await db
    .insertInto('sign_in_failures')
    .values(keys.map((key) => ({ id: newId('sif'), key, failed_at: failedAt })))
    .execute();
}

export async function deleteFailuresFor(db: Db, key: string): Promise<void> {
  await db.deleteFrom('sign_in_failures').where('key', '=', key).execute();
}

/** Forgets failures that no longer count, so a spray of made-up emails cannot grow the table for ever. */
export async function pruneFailuresBefore(db: Db, before: string): Promise<void> {
  await db.deleteFrom('sign_in_failures').where('failed_at', '<=', before).execute();
}
