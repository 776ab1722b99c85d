// Saved replies (migration 0006): an account's ready-made texts for the composer.
import type { Insertable, Updateable } from 'kysely';
import type { Db } from './database.ts';
import type { SavedRepliesTable, SavedReply } from './schema.ts';

/** Most replies a list returns: far more than a person picks from, and a bound on the answer. */
export const MAX_SAVED_REPLIES = 500;

export async function listSavedReplies(db: Db, accountId: string): Promise<SavedReply[]> {
  return db
    .selectFrom('saved_replies')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('title_key')
    .orderBy('id')
    .limit(MAX_SAVED_REPLIES)
    .execute();
}

export async function findSavedReply(db: Db, accountId: string, id: string): Promise<SavedReply | undefined> {
  return db.selectFrom('saved_replies').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
}

/** Another of the account's replies with this title key (`exceptId`: the reply being renamed). */
export async function findSavedReplyByTitle(db: Db, accountId: string, titleKey: string, exceptId?: string): Promise<SavedReply | undefined> {
  let q = db.selectFrom('saved_replies').selectAll().where('account_id', '=', accountId).where('title_key', '=', titleKey);
  if (exceptId !== undefined) q = q.where('id', '!=', exceptId);
  return q.executeTakeFirst();
}

export async function countSavedReplies(db: Db, accountId: string): Promise<number> {
  const row = await db
    .selectFrom('saved_replies')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('account_id', '=', accountId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Inserts unless the title is taken in the account (the unique key decides); returns whether it did. */
export async function insertSavedReply(db: Db, row: Insertable<SavedRepliesTable>): Promise<boolean> {
  const result = await db
    .insertInto('saved_replies')
    .values(row)
    .onConflict((oc) => oc.columns(['account_id', 'title_key']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

export async function updateSavedReply(db: Db, accountId: string, id: string, patch: Updateable<SavedRepliesTable>): Promise<SavedReply | undefined> {
  return db.updateTable('saved_replies').set(patch).where('account_id', '=', accountId).where('id', '=', id).returningAll().executeTakeFirst();
}

export async function deleteSavedReply(db: Db, accountId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom('saved_replies').where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
