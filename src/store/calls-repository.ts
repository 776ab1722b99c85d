import type { Insertable, Updateable } from 'kysely';
import type { Db } from './database.ts';
import { lockForUpdate } from './dialect.ts';
import { olderThan, type PageCursor } from './paging.ts';
import type { Call, CallsTable } from './schema.ts';

/** Inserts the call unless the same carrier call or external id is already recorded; returns whether it inserted. */
export async function insertCallOnce(db: Db, row: Insertable<CallsTable>): Promise<boolean> {
  const result = await db
    .insertInto('calls')
    .values(row)
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

/** `lock`: hold the row until the transaction ends, so replays of one event handled by two processes take turns. */
export async function findCallByCarrierId(db: Db, lineId: string, carrierCallId: string, opts: { lock?: boolean } = {}): Promise<Call | undefined> {
  const q = db.selectFrom('calls').selectAll().where('line_id', '=', lineId).where('carrier_call_id', '=', carrierCallId);
  return (opts.lock ? lockForUpdate(db, q) : q).executeTakeFirst();
}

export async function findCallByExternalId(db: Db, accountId: string, externalId: string): Promise<Call | undefined> {
  return db
    .selectFrom('calls')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('external_id', '=', externalId)
    .executeTakeFirst();
}

export async function findCall(db: Db, accountId: string, id: string): Promise<Call | undefined> {
  return db.selectFrom('calls').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
}

export async function updateCall(db: Db, id: string, patch: Updateable<CallsTable>): Promise<void> {
  await db.updateTable('calls').set(patch).where('id', '=', id).execute();
}

export interface CallListFilter {
  accountId: string;
  lineId?: string;
  decision?: 'send' | 'skip';
  before?: PageCursor;
  limit: number;
}

export async function listCalls(db: Db, f: CallListFilter): Promise<Call[]> {
  let q = db.selectFrom('calls').selectAll().where('account_id', '=', f.accountId);
  if (f.lineId) q = q.where('line_id', '=', f.lineId);
  if (f.decision) q = q.where('decision', '=', f.decision);
  if (f.before) q = q.where(olderThan('started_at', 'id', f.before));
  return q.orderBy('started_at', 'desc').orderBy('id', 'desc').limit(f.limit).execute();
}

/** By id alone: for jobs, which carry only the id (the row says which account it belongs to). */
export async function findCallById(db: Db, id: string): Promise<Call | undefined> {
  return db.selectFrom('calls').selectAll().where('id', '=', id).executeTakeFirst();
}
