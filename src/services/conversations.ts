// The inbox: conversations, their messages and private notes, a person's own reply, and what a
// person does with a thread (assign, snooze, resolve, reopen, read, flag, pause automation).
// Every action is recorded (audit event, actor user:<id>) and told to open inboxes in the same
// transaction; an action that changes nothing records nothing.
import { humanReplyWarning } from '../domain/lawful-hours.ts';
import { measureText } from '../domain/templates.ts';
import { findAccount } from '../store/accounts-repository.ts';
import { findActiveSuppression, findContact, findLatestLeadOf, insertEvent } from '../store/contacts-repository.ts';
import * as repo from '../store/conversations-repository.ts';
import type { Tx } from '../store/database.ts';
import { newId } from '../store/ids.ts';
import { findAccountLine } from '../store/lines-repository.ts';
import { insertNote, listConversationNotes } from '../store/notes-repository.ts';
import type { PageCursor } from '../store/paging.ts';
import type { Account, Contact, Conversation, Line, Message, Note } from '../store/schema.ts';
import type { ModuleRegistry, ServiceContext } from './context.ts';
import { AppError, conflict, notFound, unprocessable } from './errors.ts';
import { liveEvent, type LiveEventData } from './live-events.ts';
import { queueOutbound } from './outbound.ts';
import { locateRecipient } from './recipient-location.ts';

export interface MessageView {
  id: string;
  conversationId: string;
  direction: Message['direction'];
  from: string;
  to: string;
  body: string;
  encoding: string;
  segments: number;
  status: Message['status'];
  author: Message['author'];
  reason: string;
  callId: string | null;
  carrierMessageId: string | null;
  error: { code: string | null; message: string | null } | null;
  createdAt: string;
  sentAt: string | null;
  deliveredAt: string | null;
}

export function presentMessage(m: Message): MessageView {
  return {
    id: m.id,
    conversationId: m.conversation_id,
    direction: m.direction,
    from: m.from_number,
    to: m.to_number,
    body: m.body,
    encoding: m.encoding,
    segments: m.segments,
    status: m.status,
    author: m.author,
    reason: m.reason,
    callId: m.call_id,
    carrierMessageId: m.carrier_message_id,
    error: m.carrier_error_code || m.error_message ? { code: m.carrier_error_code, message: m.error_message } : null,
    createdAt: m.created_at,
    sentAt: m.sent_at,
    deliveredAt: m.delivered_at,
  };
}

export type ConversationStatus = Conversation['status'];
export const CONVERSATION_STATUSES: readonly ConversationStatus[] = ['open', 'pending', 'snoozed', 'resolved'];

export interface ConversationView {
  id: string;
  line: { id: string; number: string; name: string };
  contact: { id: string; number: string; name: string | null; isCustomer: boolean; blocked: boolean; optedOut: boolean };
  status: ConversationStatus;
  unreadCount: number;
  assigneeUserId: string | null;
  snoozedUntil: string | null;
  needsAttention: boolean;
  attentionReason: string | null;
  automationPaused: boolean;
  lastMessage: { direction: Message['direction']; preview: string; status: Message['status']; at: string } | null;
  lastMessageAt: string | null;
  resolvedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface ConversationDetail extends ConversationView {
  lead: { id: string; stage: string; valueCents: number | null } | null;
  counts: { messages: number; notes: number; openTasks: number };
}

function presentConversation(r: repo.ConversationRow): ConversationView {
  return {
    id: r.id,
    line: { id: r.line_id, number: r.line_number, name: r.line_name },
    contact: {
      id: r.contact_id,
      number: r.contact_number,
      name: r.contact_name,
      isCustomer: r.contact_is_customer === 1,
      blocked: r.contact_blocked === 1 || r.suppression_kind === 'block',
      optedOut: r.suppression_kind === 'opt_out',
    },
    status: r.status,
    unreadCount: Number(r.unread_count),
    assigneeUserId: r.assignee_user_id,
    snoozedUntil: r.snoozed_until,
    needsAttention: r.needs_attention === 1,
    attentionReason: r.attention_reason,
    automationPaused: r.automation_paused === 1,
    lastMessage:
      r.last_direction && r.last_status && r.last_at
        ? { direction: r.last_direction, preview: r.last_preview ?? '', status: r.last_status, at: r.last_at }
        : null,
    lastMessageAt: r.last_message_at,
    resolvedAt: r.resolved_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export interface ConversationFilter {
  statuses?: ConversationStatus[];
  lineId?: string;
  /** A user id, 'me' (the caller) or 'none' (unassigned). */
  assignee?: string;
  unread?: boolean;
  needsAttention?: boolean;
  /** Words to find in the contact's name, email or number, or in the conversation's messages. */
  search?: string;
  before?: PageCursor;
  limit: number;
}

/** Only digits and what people type between them: "(415) 555-0142", "+1 415.555.0142". */
const PHONE_LIKE = /^[\d\s()+.\-]+$/;

/**
 * What a search looks for: the words as typed, and their digits when the words read as a phone
 * number in any common form, matched against the E.164 number ("555 0142" is in +14155550142).
 * Digits mixed with words ("Unit 4") are not a number: every number with a 4 would match.
 */
export function searchTerms(q: string): { text: string; digits: string | null } {
  const text = q.trim();
  const digits = PHONE_LIKE.test(text) ? text.replace(/\D/g, '') : '';
  return { text, digits: digits === '' ? null : digits };
}

export async function listAccountConversations(
  ctx: ServiceContext,
  principal: { accountId: string; userId: string },
  filter: ConversationFilter,
): Promise<ConversationView[]> {
  const { assignee, search, ...rest } = filter;
  const rows = await repo.listConversationRows(ctx.store.db, {
    accountId: principal.accountId,
    ...rest,
    ...(search === undefined ? {} : { search: searchTerms(search) }),
    ...(assignee === undefined ? {} : { assigneeUserId: assignee === 'none' ? null : assignee === 'me' ? principal.userId : assignee }),
  });
  return rows.map(presentConversation);
}

async function loadView(db: Tx['db'], accountId: string, id: string): Promise<ConversationView> {
  const [row] = await repo.listConversationRows(db, { accountId, id, limit: 1 });
  if (!row) throw notFound(`conversation ${id}`);
  return presentConversation(row);
}

export async function getConversation(ctx: ServiceContext, accountId: string, id: string): Promise<ConversationDetail> {
  const view = await loadView(ctx.store.db, accountId, id);
  const [lead, counts] = await Promise.all([
    findLatestLeadOf(ctx.store.db, accountId, view.contact.id),
    repo.countConversationItems(ctx.store.db, accountId, id),
  ]);
  return { ...view, lead: lead ? { id: lead.id, stage: lead.stage, valueCents: lead.value_cents } : null, counts };
}

export async function listMessages(ctx: ServiceContext, accountId: string, conversationId: string, limit: number, before?: PageCursor): Promise<MessageView[]> {
  const conversation = await repo.findConversation(ctx.store.db, accountId, conversationId);
  if (!conversation) throw notFound(`conversation ${conversationId}`);
  const rows = await repo.listConversationMessages(ctx.store.db, accountId, conversationId, limit, before);
  return rows.reverse().map(presentMessage);
}

/** What the carrier takes in one message (concatenated segments), in characters. */
export const MAX_BODY_CHARS = 1600;

/** Why this contact cannot be texted by a person right now, or null when they can. */
async function refuseManualText(tx: Tx, accountId: string, contact: Contact, line: Line): Promise<AppError | null> {
  const suppression = await findActiveSuppression(tx.db, accountId, contact.number);
  if (suppression?.kind === 'opt_out') {
    return conflict(`${contact.number} has opted out of texts from this business; they must reply START before they can be texted again`);
  }
  if (contact.blocked === 1 || suppression?.kind === 'block') {
    return conflict(`${contact.number} is blocked; unblock the contact (PATCH /api/v1/contacts/${contact.id} {"blocked": false}) to text them`);
  }
  if (contact.invalid === 1) {
    return conflict(`${contact.number} is known not to be a valid number for texts (a carrier refused it); nothing was sent`);
  }
  if (contact.line_type === 'landline' || contact.line_type === 'toll_free' || contact.line_type === 'no_sms') {
    const what = contact.line_type === 'landline' ? 'a landline' : contact.line_type === 'toll_free' ? 'a toll-free number' : 'a number that cannot receive texts';
    return conflict(`${contact.number} is ${what}, which cannot receive texts; call them instead`);
  }
  if (line.messaging_enabled === 0) {
    return conflict(`texting is turned off for the line ${line.number}; turn it on (PATCH /api/v1/lines/${line.id}) to send from it`);
  }
  return null;
}

export interface ManualSendResult {
  message: MessageView;
  /** Things worth knowing that did not stop the send (e.g. the hour where the recipient is). */
  warnings: string[];
}

/**
 * A person's own text in the thread. It stops automatic text-backs to this contact on this line,
 * and the thread now waits on the contact (pending), unless it was already resolved.
 */
export async function sendManualMessage(
  ctx: ServiceContext,
  principal: { accountId: string; userId: string },
  conversationId: string,
  body: string,
): Promise<ManualSendResult> {
  const measure = measureText(body);
  if (measure.characters > MAX_BODY_CHARS) {
    throw new AppError('validation_failed', `body is ${measure.characters} characters; carriers take at most ${MAX_BODY_CHARS}`, [
      { field: 'body', message: `must be at most ${MAX_BODY_CHARS} characters` },
    ]);
  }
  const sent = await ctx.store.transaction(async (tx) => {
    const conversation = await repo.findConversation(tx.db, principal.accountId, conversationId);
    if (!conversation) throw notFound(`conversation ${conversationId}`);
    const contact = (await findContact(tx.db, principal.accountId, conversation.contact_id))!;
    const line = (await findAccountLine(tx.db, principal.accountId, conversation.line_id))!;
    const refusal = await refuseManualText(tx, principal.accountId, contact, line);
    if (refusal) throw refusal;
    const account = (await findAccount(tx.db, principal.accountId))!;
    const now = ctx.clock();
    const nowIso = now.toISOString();
    const message = await queueOutbound(ctx, tx, {
      line,
      conversation,
      toNumber: contact.number,
      body,
      author: 'user',
      authorUserId: principal.userId,
      reason: 'manual',
      deadline: new Date(now.getTime() + 24 * 3_600_000),
    });
    const waiting = conversation.status === 'open' || conversation.status === 'snoozed';
    const updated = (await repo.patchConversation(tx.db, principal.accountId, conversation.id, {
      last_person_contact_at: nowIso,
      unread_count: 0,
      ...(waiting ? { status: 'pending', snoozed_until: null } : {}),
      updated_at: nowIso,
    }))!;
    await insertEvent(tx.db, {
      account_id: principal.accountId,
      type: 'message.sent_by_person',
      subject_type: 'conversation',
      subject_id: conversation.id,
      actor: `user:${principal.userId}`,
      data: JSON.stringify({ messageId: message.id }),
      created_at: nowIso,
    });
    if (updated.status !== conversation.status) await publish(ctx, tx, updated, 'status');
    else if (conversation.unread_count > 0) await publish(ctx, tx, updated, 'read');
    await ctx.hooks.emit(ctx, tx, 'message.sent_by_person', {
      account,
      line,
      contact,
      conversation: updated,
      message,
      userId: principal.userId,
    });
    return { message: presentMessage(message), contact, account, now };
  });
  // After the commit: locating the number reads the phone metadata from disk.
  const warnings = await describeRecipientHour(sent.now, sent.contact, sent.account);
  return { message: sent.message, warnings };
}

/**
 * A person may text at any hour (they may be answering the contact), so the hour does not stop
 * the send; it is told, in case this text is the kind the rules keep to daytime. Where the
 * recipient is comes from the contact's address, else the number's area code.
 */
async function describeRecipientHour(now: Date, contact: Contact, account: Account): Promise<string[]> {
  const location = await locateRecipient({ number: contact.number, contactState: contact.state, contactTimeZone: contact.time_zone });
  const warning = humanReplyWarning(now, location, account.time_zone);
  return warning ? [warning] : [];
}

type Change = NonNullable<LiveEventData['conversation.updated']['change']>;

async function publish(ctx: ServiceContext, tx: Tx, c: Conversation, change: Change): Promise<void> {
  await ctx.events.publish(
    tx,
    liveEvent('conversation.updated', c.account_id, { conversationId: c.id, change, status: c.status, assigneeUserId: c.assignee_user_id }, ctx.clock()),
  );
}

interface Principal {
  accountId: string;
  userId: string;
}

async function audit(tx: Tx, p: Principal, c: Conversation, type: string, data: Record<string, unknown>, now: string): Promise<void> {
  await insertEvent(tx.db, {
    account_id: p.accountId,
    type,
    subject_type: 'conversation',
    subject_id: c.id,
    actor: `user:${p.userId}`,
    data: JSON.stringify(data),
    created_at: now,
  });
}

/**
 * Runs one person's action on a conversation in a transaction and answers with the conversation
 * as it is afterwards. `act` returns the changes it made (audit type and data, live change);
 * none means the conversation already was as asked, and nothing is written.
 */
async function actOn(
  ctx: ServiceContext,
  p: Principal,
  id: string,
  act: (tx: Tx, c: Conversation, now: string) => Promise<Array<{ row: Conversation; type: string; data: Record<string, unknown>; change: Change }>>,
): Promise<ConversationView> {
  return ctx.store.transaction(async (tx) => {
    const conversation = await repo.findConversation(tx.db, p.accountId, id);
    if (!conversation) throw notFound(`conversation ${id}`);
    const now = ctx.clock().toISOString();
    for (const done of await act(tx, conversation, now)) {
      await audit(tx, p, done.row, done.type, done.data, now);
      await publish(ctx, tx, done.row, done.change);
    }
    return loadView(tx.db, p.accountId, id);
  });
}

/** Someone else changed the status between our read and our write: say so rather than guess. */
function raced(id: string): AppError {
  return conflict(`conversation ${id} was changed by someone else at the same moment; fetch it and try again`);
}

export async function assignConversation(ctx: ServiceContext, p: Principal, id: string, userId: string | null): Promise<ConversationView> {
  return actOn(ctx, p, id, async (tx, c, now) => {
    if (c.assignee_user_id === userId) return [];
    if (userId !== null && !(await repo.isAccountMember(tx.db, p.accountId, userId))) {
      throw unprocessable(`user ${userId} is not a member of this account`, [{ field: 'userId', message: 'must be the id of a member of this account, or null' }]);
    }
    const row = (await repo.patchConversation(tx.db, p.accountId, c.id, { assignee_user_id: userId, updated_at: now }))!;
    return [{ row, type: 'conversation.assigned', data: { from: c.assignee_user_id, to: userId }, change: 'assignment' }];
  });
}

/** The furthest ahead a conversation may be snoozed. */
export const MAX_SNOOZE_MS = 90 * 24 * 3_600_000;

export async function snoozeConversation(ctx: ServiceContext, p: Principal, id: string, until: Date): Promise<ConversationView> {
  return actOn(ctx, p, id, async (tx, c, now) => {
    const nowMs = Date.parse(now);
    if (until.getTime() <= nowMs) throw unprocessable(`until (${until.toISOString()}) is not in the future`, [{ field: 'until', message: 'must be in the future' }]);
    if (until.getTime() - nowMs > MAX_SNOOZE_MS) {
      throw unprocessable(`until (${until.toISOString()}) is more than 90 days away`, [{ field: 'until', message: 'must be at most 90 days from now' }]);
    }
    // A resolved thread has nothing to come back to; reopening it first makes the intent explicit.
    if (c.status === 'resolved') throw conflict(`conversation ${id} is resolved; reopen it before snoozing it`);
    const untilIso = until.toISOString();
    if (c.status === 'snoozed' && c.snoozed_until === untilIso) return [];
    const row = await repo.transitionConversation(tx.db, p.accountId, c.id, ['open', 'pending', 'snoozed'], {
      status: 'snoozed',
      snoozed_until: untilIso,
      updated_at: now,
    });
    if (!row) throw raced(id);
    return [{ row, type: 'conversation.snoozed', data: { from: c.status, until: untilIso }, change: 'snooze' }];
  });
}

/** Resolving a resolved conversation changes nothing and succeeds (a retry is harmless). */
export async function resolveConversation(ctx: ServiceContext, p: Principal, id: string): Promise<ConversationView> {
  return actOn(ctx, p, id, async (tx, c, now) => {
    if (c.status === 'resolved') return [];
    const row = await repo.transitionConversation(tx.db, p.accountId, c.id, ['open', 'pending', 'snoozed'], {
      status: 'resolved',
      resolved_at: now,
      snoozed_until: null,
      updated_at: now,
    });
    if (!row) return [];
    return [{ row, type: 'conversation.resolved', data: { from: c.status }, change: 'status' }];
  });
}

/**
 * Back to open from resolved, snoozed or pending (a person decides it needs the team again).
 * Reopening an open conversation changes nothing and succeeds, like resolving a resolved one.
 */
export async function reopenConversation(ctx: ServiceContext, p: Principal, id: string): Promise<ConversationView> {
  return actOn(ctx, p, id, async (tx, c, now) => {
    if (c.status === 'open') return [];
    const row = await repo.transitionConversation(tx.db, p.accountId, c.id, ['resolved', 'snoozed', 'pending'], {
      status: 'open',
      resolved_at: null,
      snoozed_until: null,
      updated_at: now,
    });
    if (!row) return [];
    return [{ row, type: 'conversation.reopened', data: { from: c.status }, change: 'status' }];
  });
}

export async function markConversationRead(ctx: ServiceContext, p: Principal, id: string): Promise<ConversationView> {
  return actOn(ctx, p, id, async (tx, c, now) => {
    if (c.unread_count === 0) return [];
    const row = (await repo.patchConversation(tx.db, p.accountId, c.id, { unread_count: 0, updated_at: now }))!;
    return [{ row, type: 'conversation.read', data: { unread: c.unread_count }, change: 'read' }];
  });
}

export interface ConversationFlagsPatch {
  /** Only false: a person clears the flag; the system raises it. */
  needsAttention?: false;
  automationPaused?: boolean;
}

export async function updateConversationFlags(ctx: ServiceContext, p: Principal, id: string, patch: ConversationFlagsPatch): Promise<ConversationView> {
  return actOn(ctx, p, id, async (tx, c, now) => {
    const done: Array<{ row: Conversation; type: string; data: Record<string, unknown>; change: Change }> = [];
    if (patch.needsAttention === false && c.needs_attention === 1) {
      const row = (await repo.patchConversation(tx.db, p.accountId, c.id, { needs_attention: 0, attention_reason: null, updated_at: now }))!;
      done.push({ row, type: 'conversation.attention_cleared', data: { reason: c.attention_reason }, change: 'flag' });
    }
    if (patch.automationPaused !== undefined && (c.automation_paused === 1) !== patch.automationPaused) {
      const row = (await repo.patchConversation(tx.db, p.accountId, c.id, { automation_paused: patch.automationPaused ? 1 : 0, updated_at: now }))!;
      done.push({
        row,
        type: patch.automationPaused ? 'conversation.automation_paused' : 'conversation.automation_resumed',
        data: {},
        change: 'automation',
      });
    }
    return done;
  });
}

export interface NoteView {
  id: string;
  conversationId: string;
  body: string;
  authorUserId: string | null;
  createdAt: string;
}

function presentNote(n: Note): NoteView {
  return { id: n.id, conversationId: n.conversation_id, body: n.body, authorUserId: n.author_user_id, createdAt: n.created_at };
}

export const MAX_NOTE_CHARS = 5000;

/** A private note for the team. It is never sent to the contact. */
export async function addNote(ctx: ServiceContext, p: Principal, conversationId: string, body: string): Promise<NoteView> {
  return ctx.store.transaction(async (tx) => {
    const c = await repo.findConversation(tx.db, p.accountId, conversationId);
    if (!c) throw notFound(`conversation ${conversationId}`);
    const now = ctx.clock().toISOString();
    const note = await insertNote(tx.db, {
      id: newId('note'),
      account_id: p.accountId,
      conversation_id: c.id,
      contact_id: c.contact_id,
      author_user_id: p.userId,
      body,
      created_at: now,
    });
    // The body stays out of the audit log and the live event: both carry ids only.
    await audit(tx, p, c, 'conversation.note_added', { noteId: note.id }, now);
    await publish(ctx, tx, c, 'note');
    return presentNote(note);
  });
}

/** Oldest first on the page, like messages; the next page holds older notes. */
export async function listNotes(ctx: ServiceContext, accountId: string, conversationId: string, limit: number, before?: PageCursor): Promise<NoteView[]> {
  const c = await repo.findConversation(ctx.store.db, accountId, conversationId);
  if (!c) throw notFound(`conversation ${conversationId}`);
  const rows = await listConversationNotes(ctx.store.db, accountId, conversationId, limit, before);
  return rows.reverse().map(presentNote);
}

/** Conversations woken per transaction: a backlog (a process down for a day) goes in short steps. */
const WAKE_BATCH = 100;

/** Reopens the snoozed conversations whose time has come; returns how many. */
export async function wakeSnoozedConversations(ctx: ServiceContext, now: Date): Promise<number> {
  const nowIso = now.toISOString();
  let woken = 0;
  for (;;) {
    const batch = await ctx.store.transaction(async (tx) => {
      const rows = await repo.wakeSnoozedConversations(tx.db, nowIso, WAKE_BATCH);
      for (const r of rows) {
        await insertEvent(tx.db, {
          account_id: r.account_id,
          type: 'conversation.woke',
          subject_type: 'conversation',
          subject_id: r.id,
          actor: 'system',
          data: '{}',
          created_at: nowIso,
        });
        await ctx.events.publish(tx, liveEvent('conversation.updated', r.account_id, { conversationId: r.id, change: 'snooze', status: 'open' }, now));
      }
      return rows.length;
    });
    woken += batch;
    if (batch < WAKE_BATCH) return woken;
  }
}

export function installInbox(ctx: ServiceContext, reg: ModuleRegistry): void {
  reg.scheduler.register('inbox.snoozes', (now) => wakeSnoozedConversations(ctx, now));
}
