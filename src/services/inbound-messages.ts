// An inbound text: threaded into the contact's conversation with the line, then the exact
// compliance keywords act at once (opt-out, opt-in, help); anything else is a reply for a person.
import type { InboundMessage } from '../carriers/carrier.ts';
import { buildHelpReply, buildOptInConfirmation, buildOptOutConfirmation } from '../domain/keywords.ts';
import { classifyInbound } from '../domain/opt-out.ts';
import { formatPhoneForDisplay, normalizePhone } from '../domain/phone.ts';
import { measureText } from '../domain/templates.ts';
import type { Tx } from '../store/database.ts';
import { findAccount } from '../store/accounts-repository.ts';
import { ensureContact, findActiveSuppression, insertEvent, insertSuppression, liftSuppression } from '../store/contacts-repository.ts';
import { findOpenLeadFor, insertLeadRow } from '../store/leads-repository.ts';
import {
  cancelQueuedAutomatedMessages,
  ensureConversation,
  findInboundByCarrierId,
  insertMessage,
  markConversationInbound,
  updateConversation,
} from '../store/conversations-repository.ts';
import { findLineByNumber } from '../store/lines-repository.ts';
import { newId } from '../store/ids.ts';
import type { Account, CarrierConnection, Contact, Conversation, Line, Message } from '../store/schema.ts';
import type { InboundReading } from './hooks.ts';
import { AUTOMATIC_FROM, moveLead } from './pipeline.ts';
import { regionOf } from './account-settings.ts';
import type { ServiceContext } from './context.ts';
import { liveEvent } from './live-events.ts';
import { notFound } from './errors.ts';
import { queueOutbound } from './outbound.ts';

export interface InboundResult {
  messageId: string;
  duplicate: boolean;
  intent: InboundReading['intent'];
}

/** Compliance replies are due at once; after 5 minutes they are presumed late, so cap the window. */
const REPLY_WINDOW_MS = 5 * 60_000;

export async function receiveInboundMessage(ctx: ServiceContext, connection: CarrierConnection, inbound: InboundMessage): Promise<InboundResult> {
  return ctx.store.transaction(async (tx) => {
    const line = await findLineByNumber(tx.db, inbound.to);
    if (!line || line.carrier_connection_id !== connection.id) throw notFound(`a line for ${inbound.to} on this carrier connection`);
    const account = (await findAccount(tx.db, line.account_id))!;

    const duplicate = await findInboundByCarrierId(tx.db, line.id, inbound.carrierMessageId);
    if (duplicate) return { messageId: duplicate.id, duplicate: true, intent: readInbound(duplicate.body).intent };

    const now = ctx.clock().toISOString();
    const parsed = normalizePhone(inbound.from, { defaultRegion: regionOf(account), allowFictional: connection.kind === 'simulator' });
    const fromNumber = parsed.ok ? parsed.e164 : inbound.from.trim();
    const contact = await ensureContact(tx.db, account.id, fromNumber, now);
    const conversation = await ensureConversation(tx.db, { accountId: account.id, lineId: line.id, contactId: contact.id }, now);

    const measure = measureText(inbound.body);
    const messageId = newId('msg');
    const message: Message = {
      id: messageId,
      account_id: account.id,
      conversation_id: conversation.id,
      line_id: line.id,
      contact_id: contact.id,
      direction: 'inbound',
      from_number: fromNumber,
      to_number: line.number,
      body: inbound.body,
      encoding: measure.encoding,
      segments: measure.segments,
      status: 'received',
      author: 'contact',
      author_user_id: null,
      reason: 'inbound',
      call_id: null,
      carrier_message_id: inbound.carrierMessageId,
      carrier_error_code: null,
      error_message: null,
      send_deadline: null,
      attempts: 0,
      created_at: inbound.receivedAt.toISOString(),
      sent_at: null,
      delivered_at: null,
      updated_at: now,
    };
    if (!(await insertMessage(tx.db, message))) {
      // The same carrier message arrived twice at once (two processes): the other one stored it
      // and follows through on it; this one is the duplicate.
      const stored = await findInboundByCarrierId(tx.db, line.id, inbound.carrierMessageId);
      return { messageId: stored?.id ?? messageId, duplicate: true, intent: readInbound(inbound.body).intent };
    }
    await markConversationInbound(tx.db, conversation.id, now);
    if (conversation.status !== 'open') {
      // A reply reopens a snoozed, pending or resolved conversation: open inboxes move it.
      await ctx.events.publish(tx, liveEvent('conversation.updated', account.id, { conversationId: conversation.id, change: 'status', status: 'open' }, ctx.clock()));
    }

    const reading = readInbound(inbound.body);
    const acting = { ctx, tx, account, line, contact, conversation, messageId, now };
    if (reading.intent === 'opt_out') await optOut(acting, inbound.body, reading.rule ?? 'keyword');
    else if (reading.intent === 'opt_in') await optIn(acting);
    else if (reading.intent === 'help') await replyHelp(acting);
    else {
      if (reading.intent === 'ambiguous') await flagForPerson(acting, reading);
      await recordReply(acting);
    }

    const suppressed = (await findActiveSuppression(tx.db, account.id, contact.number)) !== undefined;
    await ctx.events.publish(tx, liveEvent('message.received', account.id, { conversationId: conversation.id, messageId, contactId: contact.id }, ctx.clock()));
    await ctx.hooks.emit(ctx, tx, 'message.received', { account, line, contact, conversation, message, reading, suppressed });
    tx.afterCommit(() => ctx.metrics.inboundMessages.inc({ intent: reading.intent }));
    return { messageId, duplicate: false, intent: reading.intent };
  });
}

/**
 * Keywords and plain-language revocations ("please stop texting me") are opt-outs; words that
 * might mean stop ("my sink won't stop leaking") are ambiguous: a person decides (domain/opt-out.ts).
 */
function readInbound(body: string): InboundReading {
  const c = classifyInbound(body);
  return c.intent === 'message' ? { intent: 'message', rule: null } : { intent: c.intent, rule: c.rule };
}

/** Words that might mean "stop texting me", or might not: automation waits and a person decides. */
async function flagForPerson(a: Acting, reading: InboundReading): Promise<void> {
  const reason = `The contact's words may be asking us to stop texting (${reading.rule ?? 'unclear'}). Automatic follow-ups are paused until someone on the team reads it.`;
  await updateConversation(a.tx.db, a.conversation.id, { needs_attention: 1, attention_reason: reason, automation_paused: 1, updated_at: a.now });
  await event(a, 'conversation.flagged', { rule: reading.rule, reason });
  await a.ctx.events.publish(a.tx, liveEvent('conversation.updated', a.account.id, { conversationId: a.conversation.id, change: 'flag' }, a.ctx.clock()));
}

interface Acting {
  ctx: ServiceContext;
  tx: Tx;
  account: Account;
  line: Line;
  contact: Contact;
  conversation: Conversation;
  messageId: string;
  now: string;
}

function replyDeadline(a: Acting): Date {
  return new Date(a.ctx.clock().getTime() + REPLY_WINDOW_MS);
}

async function event(a: Acting, type: string, data: Record<string, unknown>): Promise<void> {
  await insertEvent(a.tx.db, {
    account_id: a.account.id,
    type,
    subject_type: 'contact',
    subject_id: a.contact.id,
    actor: 'contact',
    data: JSON.stringify({ messageId: a.messageId, ...data }),
    created_at: a.now,
  });
}

async function optOut(a: Acting, words: string, rule: string): Promise<void> {
  const inserted = await insertSuppression(a.tx.db, {
    id: newId('sup'),
    account_id: a.account.id,
    number: a.contact.number,
    kind: 'opt_out',
    source: 'keyword',
    words,
    message_id: a.messageId,
    created_at: a.now,
    lifted_at: null,
    lifted_by: null,
  });
  // Already opted out: the law allows one confirmation, and it has been sent.
  if (!inserted) return;
  const canceled = await cancelQueuedAutomatedMessages(a.tx.db, a.account.id, a.contact.number, 'canceled: the recipient opted out', a.now);
  await queueOutbound(a.ctx, a.tx, {
    line: a.line,
    conversation: a.conversation,
    toNumber: a.contact.number,
    body: buildOptOutConfirmation(a.account.name),
    author: 'automation',
    reason: 'opt_out_confirmation',
    deadline: replyDeadline(a),
  });
  await event(a, 'contact.opted_out', { words, rule, canceledMessageIds: canceled });
  await a.ctx.events.publish(a.tx, liveEvent('contact.updated', a.account.id, { contactId: a.contact.id }, a.ctx.clock()));
  await a.ctx.hooks.emit(a.ctx, a.tx, 'contact.opted_out', { account: a.account, contact: a.contact, words, rule, messageId: a.messageId });
}

async function optIn(a: Acting): Promise<void> {
  const lifted = await liftSuppression(a.tx.db, a.account.id, a.contact.number, a.now, 'keyword');
  // START or YES from someone who never opted out is an ordinary reply.
  if (!lifted) return recordReply(a);
  await queueOutbound(a.ctx, a.tx, {
    line: a.line,
    conversation: a.conversation,
    toNumber: a.contact.number,
    body: buildOptInConfirmation(a.account.name),
    author: 'automation',
    reason: 'opt_in_confirmation',
    deadline: replyDeadline(a),
  });
  await event(a, 'contact.opted_in', {});
}

async function replyHelp(a: Acting): Promise<void> {
  const contactLine = a.account.help_contact ?? `call ${formatPhoneForDisplay(a.line.number)}`;
  await queueOutbound(a.ctx, a.tx, {
    line: a.line,
    conversation: a.conversation,
    toNumber: a.contact.number,
    body: buildHelpReply({ businessName: a.account.name, contactLine }),
    author: 'automation',
    reason: 'help_reply',
    deadline: replyDeadline(a),
  });
  await event(a, 'contact.asked_help', {});
}

async function recordReply(a: Acting): Promise<void> {
  // A reply from an opted-out number is still shown to the team; it does not opt them back in.
  const suppressed = await findActiveSuppression(a.tx.db, a.account.id, a.contact.number);
  const lead = await findOpenLeadFor(a.tx.db, a.account.id, a.contact.id);
  if (lead) {
    await moveLead(a.ctx, a.tx, { account: a.account, lead, to: 'engaged', from: AUTOMATIC_FROM.engaged, actor: 'system' });
  } else {
    await insertLeadRow(a.tx.db, {
      id: newId('lead'),
      account_id: a.account.id,
      contact_id: a.contact.id,
      line_id: a.line.id,
      source: 'inbound_text',
      stage: 'engaged',
      value_cents: null,
      call_id: null,
      lost_reason: null,
      stage_changed_at: a.now,
      closed_at: null,
      created_at: a.now,
      updated_at: a.now,
    });
  }
  await event(a, 'message.received', { suppressed: suppressed !== undefined });
}
