import { sql, type Insertable, type Updateable } from 'kysely';
import { contains } from './contacts-repository.ts';
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
      // Every conversation is made for a message about to be written in it; a timestamp from the
      // start keeps it in the inbox's (last message, id) order, which cannot page past nulls.
      last_message_at: now,
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

/** The contact wrote: the thread needs the team again, whether it was waiting, snoozed or done. */
export async function markConversationInbound(db: Db, id: string, now: string): Promise<void> {
  await db
    .updateTable('conversations')
    .set({ unread_count: sql`unread_count + 1`, last_message_at: now, status: 'open', snoozed_until: null, resolved_at: null, updated_at: now })
    .where('id', '=', id)
    .execute();
}

/**
 * Updates the conversation only while its status is one of `from` (the guard that makes two
 * people resolving at once, or a wake-up racing a resolve, act once). Returns the new row.
 */
export async function transitionConversation(
  db: Db,
  accountId: string,
  id: string,
  from: ReadonlyArray<Conversation['status']>,
  patch: Updateable<ConversationsTable>,
): Promise<Conversation | undefined> {
  return db
    .updateTable('conversations')
    .set(patch)
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .where('status', 'in', [...from])
    .returningAll()
    .executeTakeFirst();
}

/** Writes `patch` to one of the account's conversations; returns the new row. */
export async function patchConversation(db: Db, accountId: string, id: string, patch: Updateable<ConversationsTable>): Promise<Conversation | undefined> {
  return db.updateTable('conversations').set(patch).where('account_id', '=', accountId).where('id', '=', id).returningAll().executeTakeFirst();
}

/**
 * Reopens snoozed conversations whose time has come, at most `limit` per call. The status and time
 * are checked again by the UPDATE itself, so when several processes tick at once on Postgres each
 * row is claimed by one of them (the others find it no longer snoozed once its lock is released).
 */
export async function wakeSnoozedConversations(db: Db, now: string, limit: number): Promise<Array<Pick<Conversation, 'id' | 'account_id' | 'snoozed_until'>>> {
  const due = db
    .selectFrom('conversations')
    .select('id')
    .where('status', '=', 'snoozed')
    .where('snoozed_until', '<=', now)
    .orderBy('snoozed_until')
    .limit(limit);
  return db
    .updateTable('conversations')
    .set({ status: 'open', snoozed_until: null, updated_at: now })
    .where('id', 'in', due)
    .where('status', '=', 'snoozed')
    .where('snoozed_until', '<=', now)
    .returning(['id', 'account_id'])
    .execute()
    .then((rows) => rows.map((r) => ({ ...r, snoozed_until: null })));
}

/** Whether the user belongs to the account (a conversation can only be assigned to its members). */
export async function isAccountMember(db: Db, accountId: string, userId: string): Promise<boolean> {
  const row = await db.selectFrom('memberships').select('id').where('account_id', '=', accountId).where('user_id', '=', userId).executeTakeFirst();
  return row !== undefined;
}

export interface ConversationListFilter {
  accountId: string;
  statuses?: ReadonlyArray<Conversation['status']>;
  lineId?: string;
  /** A user id, or null for "nobody". */
  assigneeUserId?: string | null;
  unread?: boolean;
  needsAttention?: boolean;
  /** Only this conversation (the detail view shares the list's query). */
  id?: string;
  /**
   * Only conversations where `text` is in the contact's name or email or in any of its messages
   * (ignoring case), or `digits` in the contact's number (null: the words are not a number).
   */
  search?: { text: string; digits: string | null };
  before?: PageCursor;
  limit: number;
}

/**
 * One page of the inbox with everything a row shows (line, contact, opt-out state, the last
 * message) in one statement: the page is chosen first, then joined to each row's last message by
 * its primary key, so the cost follows the page size and never the size of the account.
 */
export async function listConversationRows(db: Db, f: ConversationListFilter) {
  let page = db
    .selectFrom('conversations as cv')
    .innerJoin('contacts as ct', 'ct.id', 'cv.contact_id')
    .innerJoin('lines as ln', 'ln.id', 'cv.line_id')
    .selectAll('cv')
    .select([
      'ln.number as line_number',
      'ln.name as line_name',
      'ct.number as contact_number',
      'ct.name as contact_name',
      'ct.is_customer as contact_is_customer',
      'ct.blocked as contact_blocked',
    ])
    .select((eb) => [
      eb
        .selectFrom('messages as m')
        .select('m.id')
        .whereRef('m.conversation_id', '=', 'cv.id')
        .orderBy('m.created_at', 'desc')
        .orderBy('m.id', 'desc')
        .limit(1)
        .as('last_message_id'),
      eb
        .selectFrom('suppressions as s')
        .select('s.kind')
        .whereRef('s.account_id', '=', 'cv.account_id')
        .whereRef('s.number', '=', 'ct.number')
        .where('s.lifted_at', 'is', null)
        .limit(1)
        .as('suppression_kind'),
    ])
    .where('cv.account_id', '=', f.accountId);
  if (f.id !== undefined) page = page.where('cv.id', '=', f.id);
  if (f.statuses && f.statuses.length > 0) page = page.where('cv.status', 'in', [...f.statuses]);
  if (f.lineId !== undefined) page = page.where('cv.line_id', '=', f.lineId);
  if (f.assigneeUserId !== undefined) {
    page = f.assigneeUserId === null ? page.where('cv.assignee_user_id', 'is', null) : page.where('cv.assignee_user_id', '=', f.assigneeUserId);
  }
  if (f.unread !== undefined) page = page.where('cv.unread_count', f.unread ? '>' : '=', 0);
  if (f.needsAttention !== undefined) page = page.where('cv.needs_attention', '=', f.needsAttention ? 1 : 0);
  if (f.search) {
    const { text, digits } = f.search;
    // The contact's columns first: most searches are a name or a number, and a match there skips
    // reading the messages. The messages are read through their conversation index, and only
    // until the page is full (the rows come in the list's own order).
    page = page.where((eb) =>
      eb.or([
        contains(eb.ref('ct.name'), text),
        contains(eb.ref('ct.email'), text),
        ...(digits ? [eb('ct.number', 'like', `%${digits}%`)] : []),
        eb(
          eb
            .selectFrom('messages as sm')
            .select('sm.id')
            .whereRef('sm.conversation_id', '=', 'cv.id')
            .where((m) => contains(m.ref('sm.body'), text))
            .limit(1),
          'is not',
          null,
        ),
      ]),
    );
  }
  if (f.before) page = page.where(olderThan('cv.last_message_at', 'cv.id', f.before));
  page = page.orderBy('cv.last_message_at', 'desc').orderBy('cv.id', 'desc').limit(f.limit);
  return db
    .selectFrom(page.as('p'))
    .leftJoin('messages as lm', 'lm.id', 'p.last_message_id')
    .selectAll('p')
    .select((eb) => [
      'lm.direction as last_direction',
      'lm.status as last_status',
      'lm.created_at as last_at',
      eb.fn<string | null>('substr', ['lm.body', sql.lit(1), sql.lit(PREVIEW_CHARS)]).as('last_preview'),
    ])
    .orderBy('p.last_message_at', 'desc')
    .orderBy('p.id', 'desc')
    .execute();
}

export type ConversationRow = Awaited<ReturnType<typeof listConversationRows>>[number];

/** How much of the last message a list row shows (characters, as the database counts them). */
export const PREVIEW_CHARS = 140;

/** What a conversation's detail view counts, in one statement. */
export async function countConversationItems(db: Db, accountId: string, conversationId: string) {
  const row = await db
    .selectNoFrom((eb) => [
      eb
        .selectFrom('messages')
        .select((e) => e.fn.countAll<number>().as('n'))
        .where('account_id', '=', accountId)
        .where('conversation_id', '=', conversationId)
        .as('messages'),
      eb
        .selectFrom('notes')
        .select((e) => e.fn.countAll<number>().as('n'))
        .where('account_id', '=', accountId)
        .where('conversation_id', '=', conversationId)
        .as('notes'),
      eb
        .selectFrom('tasks')
        .select((e) => e.fn.countAll<number>().as('n'))
        .where('account_id', '=', accountId)
        .where('conversation_id', '=', conversationId)
        .where('status', '=', 'open')
        .as('open_tasks'),
    ])
    .executeTakeFirstOrThrow();
  return { messages: Number(row.messages ?? 0), notes: Number(row.notes ?? 0), openTasks: Number(row.open_tasks ?? 0) };
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

/** A receipt overtook the send: fill in what the receipt did not bring, never overwrite it. */
export async function recordCarrierIdIfMissing(db: Db, id: string, carrierMessageId: string, sentAt: string): Promise<void> {
  await db
    .updateTable('messages')
    .set((eb) => ({
      carrier_message_id: eb.fn.coalesce('carrier_message_id', eb.val(carrierMessageId)),
      sent_at: eb.fn.coalesce('sent_at', eb.val(sentAt)),
    }))
    .where('id', '=', id)
    .where((eb) => eb.or([eb('carrier_message_id', 'is', null), eb('sent_at', 'is', null)]))
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
