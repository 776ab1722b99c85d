import { sql, type Insertable, type Updateable } from 'kysely';
import type { Db } from './database.ts';
import { olderThan, type PageCursor } from './paging.ts';
import type { Conversation, ConversationsTable, Message, MessagesTable, MessageStatus } from './schema.ts';
import { newId } from './ids.ts';

export async function ensureConversation(
  db: Db,
  ids: { accountId: string; lineId: string; contactId: string },
  now: string,
): Promise<Conversation> {
  const created = await db
    .insertInto('conversations')
    .values({
      id: newId('cv'),
      account_id: ids.accountId,
      line_id: ids.lineId,
      contact_id: ids.contactId,
      last_message_at: null,
      last_auto_text_at: null,
      last_person_contact_at: null,
      assignee_user_id: null,
      created_at: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.columns(['line_id', 'contact_id']).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (created) return created;
  return db
    .selectFrom('conversations')
    .selectAll()
    .where('line_id', '=', ids.lineId)
    .where('contact_id', '=', ids.contactId)
    .executeTakeFirstOrThrow();
}

export async function findConversationFor(db: Db, lineId: string, contactId: string): Promise<Conversation | undefined> {
  return db
    .selectFrom('conversations')
    .selectAll()
    .where('line_id', '=', lineId)
    .where('contact_id', '=', contactId)
    .executeTakeFirst();
}

export async function findConversation(db: Db, accountId: string, id: string): Promise<Conversation | undefined> {
  return db.selectFrom('conversations').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
}

export async function updateConversation(db: Db, id: string, patch: Updateable<ConversationsTable>): Promise<void> {
  await db.updateTable('conversations').set(patch).where('id', '=', id).execute();
}

export async function markConversationInbound(db: Db, id: string, now: string): Promise<void> {
  await db
    .updateTable('conversations')
    .set({ unread_count: sql`unread_count + 1`, last_message_at: now, status: 'open', updated_at: now })
    .where('id', '=', id)
    .execute();
}

export interface ConversationListFilter {
  accountId: string;
  status?: Conversation['status'];
  lineId?: string;
  before?: PageCursor;
  limit: number;
}

export async function listConversations(db: Db, f: ConversationListFilter) {
  let q = db
    .selectFrom('conversations')
    .innerJoin('contacts', 'contacts.id', 'conversations.contact_id')
    .innerJoin('lines', 'lines.id', 'conversations.line_id')
    .selectAll('conversations')
    .select(['contacts.number as contact_number', 'contacts.name as contact_name', 'lines.number as line_number'])
    .where('conversations.account_id', '=', f.accountId);
  if (f.status) q = q.where('conversations.status', '=', f.status);
  if (f.lineId) q = q.where('conversations.line_id', '=', f.lineId);
  if (f.before) q = q.where(olderThan('conversations.last_message_at', 'conversations.id', f.before));
  return q.orderBy('conversations.last_message_at', 'desc').orderBy('conversations.id', 'desc').limit(f.limit).execute();
}

export async function insertMessage(db: Db, row: Insertable<MessagesTable>): Promise<boolean> {
  const result = await db
    .insertInto('messages')
    .values(row)
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

export async function findMessage(db: Db, id: string): Promise<Message | undefined> {
  return db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findInboundByCarrierId(db: Db, lineId: string, carrierMessageId: string): Promise<Message | undefined> {
  return db
    .selectFrom('messages')
    .selectAll()
    .where('line_id', '=', lineId)
    .where('direction', '=', 'inbound')
    .where('carrier_message_id', '=', carrierMessageId)
    .executeTakeFirst();
}

/**
 * Moves a message to `status` only if it is currently in one of `from` — the guard that keeps
 * statuses from going backwards and two workers from both acting. Returns whether it moved.
 */
export async function transitionMessage(
  db: Db,
  id: string,
  from: MessageStatus[],
  patch: Updateable<MessagesTable> & { status: MessageStatus },
): Promise<boolean> {
  const result = await db.updateTable('messages').set(patch).where('id', '=', id).where('status', 'in', from).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Cancels the automated messages still waiting to go to this number; returns their ids. */
export async function cancelQueuedAutomatedMessages(
  db: Db,
  accountId: string,
  toNumber: string,
  reason: string,
  now: string,
): Promise<string[]> {
  const rows = await db
    .updateTable('messages')
    .set({ status: 'canceled', error_message: reason, updated_at: now })
    .where('account_id', '=', accountId)
    .where('to_number', '=', toNumber)
    .where('direction', '=', 'outbound')
    .where('author', 'in', ['automation', 'assistant'])
    .where('status', '=', 'queued')
    .returning('id')
    .execute();
  return rows.map((r) => r.id);
}

export async function listConversationMessages(db: Db, accountId: string, conversationId: string, limit: number, before?: PageCursor) {
  let q = db
    .selectFrom('messages')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('conversation_id', '=', conversationId);
  if (before) q = q.where(olderThan('created_at', 'id', before));
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}

export async function recordCarrierIdIfMissing(db: Db, id: string, carrierMessageId: string, sentAt: string): Promise<void> {
  await db
    .updateTable('messages')
    .set({ carrier_message_id: carrierMessageId, sent_at: sentAt })
    .where('id', '=', id)
    .where('carrier_message_id', 'is', null)
    .execute();
}

export async function findOutboundForConnection(db: Db, connectionId: string, ref: string | undefined, carrierMessageId: string): Promise<Message | undefined> {
  let q = db
    .selectFrom('messages')
    .innerJoin('lines', 'lines.id', 'messages.line_id')
    .selectAll('messages')
    .where('lines.carrier_connection_id', '=', connectionId)
    .where('messages.direction', '=', 'outbound');
  q = ref ? q.where('messages.id', '=', ref) : q.where('messages.carrier_message_id', '=', carrierMessageId);
  return q.executeTakeFirst();
}

/** A message with everything its send job checks, in one query. */
export async function findMessageForSending(db: Db, id: string) {
  return db
    .selectFrom('messages as m')
    .innerJoin('lines as l', 'l.id', 'm.line_id')
    .innerJoin('accounts as a', 'a.id', 'm.account_id')
    .innerJoin('contacts as c', 'c.id', 'm.contact_id')
    .innerJoin('conversations as cv', 'cv.id', 'm.conversation_id')
    .selectAll('m')
    .select((eb) => [
      'l.paused as line_paused',
      'l.messaging_enabled as line_messaging_enabled',
      'l.carrier_connection_id as carrier_connection_id',
      'a.paused as account_paused',
      'c.blocked as contact_blocked',
      'cv.last_person_contact_at as last_person_contact_at',
      eb
        .exists(
          eb
            .selectFrom('suppressions as s')
            .select('s.id')
            .whereRef('s.account_id', '=', 'm.account_id')
            .whereRef('s.number', '=', 'm.to_number')
            .where('s.lifted_at', 'is', null),
        )
        .as('suppressed'),
    ])
    .where('m.id', '=', id)
    .executeTakeFirst();
}
