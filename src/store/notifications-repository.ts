// Owner alerts: one row per (member, channel, happening), unique on dedupe_key so a replayed
// happening adds nothing. The row is also the delivery's idempotency record: its status moves
// only forward, through guarded updates, so two workers (or a retry) never both send it.
import type { Insertable, Updateable } from 'kysely';
import type { Db } from './database.ts';
import { olderThan, type PageCursor } from './paging.ts';
import type { Notification, NotificationsTable, NotificationStatus } from './schema.ts';

/** False when a row with the same dedupe_key exists (the happening was already alerted). */
export async function insertNotification(db: Db, row: Insertable<NotificationsTable>): Promise<boolean> {
  const result = await db
    .insertInto('notifications')
    .values(row)
    .onConflict((oc) => oc.column('dedupe_key').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

/** For the delivery job, which only has the id its own enqueue gave it. */
export async function findNotification(db: Db, id: string): Promise<Notification | undefined> {
  return db.selectFrom('notifications').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Moves one row from one of `from` to the patch's status; false when it was not in `from`. */
export async function transitionNotification(
  db: Db,
  id: string,
  from: readonly NotificationStatus[],
  patch: Updateable<NotificationsTable>,
): Promise<boolean> {
  const result = await db.updateTable('notifications').set(patch).where('id', '=', id).where('status', 'in', [...from]).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Held alerts whose time has come, oldest first (a digest lists them in the order they happened). */
export async function listDueHeld(db: Db, now: string, limit: number): Promise<Notification[]> {
  return db
    .selectFrom('notifications')
    .selectAll()
    .where('status', '=', 'held')
    .where('deliver_after', '<=', now)
    .orderBy('deliver_after')
    .orderBy('created_at')
    .orderBy('id')
    .limit(limit)
    .execute();
}

/**
 * Claims held rows for a digest: only the ones still held move (another process may have taken
 * some); returns the ids this call moved.
 */
export async function claimHeld(db: Db, ids: string[], patch: Updateable<NotificationsTable>): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .updateTable('notifications')
    .set(patch)
    .where('id', 'in', ids)
    .where('status', '=', 'held')
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}

export interface NotificationListFilter {
  accountId: string;
  limit: number;
  before?: PageCursor;
  userId?: string;
}

export async function listNotifications(db: Db, f: NotificationListFilter): Promise<Notification[]> {
  let q = db.selectFrom('notifications').selectAll().where('account_id', '=', f.accountId);
  if (f.userId) q = q.where('user_id', '=', f.userId);
  if (f.before) q = q.where(olderThan('created_at', 'id', f.before));
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(f.limit).execute();
}
