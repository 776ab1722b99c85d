// Private notes on a conversation: for the team only, never sent to the contact.
import type { Insertable } from 'kysely';
import type { Db } from './database.ts';
import { olderThan, type PageCursor } from './paging.ts';
import type { Note, NotesTable } from './schema.ts';

export async function insertNote(db: Db, row: Insertable<NotesTable>): Promise<Note> {
  return db.insertInto('notes').values(row).returningAll().executeTakeFirstOrThrow();
}

/** Newest first, `limit` of them, older than `before`. */
export async function listConversationNotes(db: Db, accountId: string, conversationId: string, limit: number, before?: PageCursor): Promise<Note[]> {
  let q = db.selectFrom('notes').selectAll().where('account_id', '=', accountId).where('conversation_id', '=', conversationId);
  if (before) q = q.where(olderThan('created_at', 'id', before));
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}
