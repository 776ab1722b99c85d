// The inbox basics: conversations, their messages, and a person's own reply.
import type { PageCursor } from '../store/paging.ts';
import { measureText } from '../domain/templates.ts';
import { findContact, insertEvent } from '../store/contacts-repository.ts';
import * as repo from '../store/conversations-repository.ts';
import { findAccountLine } from '../store/lines-repository.ts';
import type { Message } from '../store/schema.ts';
import type { ModuleRegistry, ServiceContext } from './context.ts';
import { AppError, notFound } from './errors.ts';
import { queueOutbound } from './outbound.ts';
import { findActiveSuppression } from '../store/contacts-repository.ts';

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

export async function listAccountConversations(
  ctx: ServiceContext,
  accountId: string,
  filter: { status?: 'open' | 'pending' | 'snoozed' | 'resolved'; lineId?: string; before?: PageCursor; limit: number },
) {
  const rows = await repo.listConversations(ctx.store.db, { accountId, ...filter });
  return rows.map((c) => ({
    id: c.id,
    lineId: c.line_id,
    lineNumber: c.line_number,
    contact: { id: c.contact_id, number: c.contact_number, name: c.contact_name },
    status: c.status,
    unreadCount: c.unread_count,
    assigneeUserId: c.assignee_user_id,
    lastMessageAt: c.last_message_at,
    lastAutoTextAt: c.last_auto_text_at,
    createdAt: c.created_at,
  }));
}

export async function listMessages(ctx: ServiceContext, accountId: string, conversationId: string, limit: number, before?: PageCursor): Promise<MessageView[]> {
  const conversation = await repo.findConversation(ctx.store.db, accountId, conversationId);
  if (!conversation) throw notFound(`conversation ${conversationId}`);
  const rows = await repo.listConversationMessages(ctx.store.db, accountId, conversationId, limit, before);
  return rows.reverse().map(presentMessage);
}

/** A person's own text in the thread. It stops automatic text-backs to this contact on this line. */
export async function sendManualMessage(
  ctx: ServiceContext,
  principal: { accountId: string; userId: string },
  conversationId: string,
  body: string,
): Promise<MessageView> {
  const measure = measureText(body);
  if (measure.characters > 1600) {
    throw new AppError('validation_failed', `body is ${measure.characters} characters; carriers take at most 1600`, [
      { field: 'body', message: 'must be at most 1600 characters' },
    ]);
  }
  return ctx.store.transaction(async (tx) => {
    const conversation = await repo.findConversation(tx.db, principal.accountId, conversationId);
    if (!conversation) throw notFound(`conversation ${conversationId}`);
    const contact = (await findContact(tx.db, principal.accountId, conversation.contact_id))!;
    if (await findActiveSuppression(tx.db, principal.accountId, contact.number)) {
      throw new AppError('conflict', `${contact.number} has opted out of texts from this business; they must reply START before they can be texted again`);
    }
    if (contact.blocked === 1) throw new AppError('conflict', `${contact.number} is blocked`);
    const line = (await findAccountLine(tx.db, principal.accountId, conversation.line_id))!;
    const now = ctx.clock();
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
    await repo.updateConversation(tx.db, conversation.id, {
      last_person_contact_at: now.toISOString(),
      unread_count: 0,
      updated_at: now.toISOString(),
    });
    await insertEvent(tx.db, {
      account_id: principal.accountId,
      type: 'message.sent_by_person',
      subject_type: 'conversation',
      subject_id: conversation.id,
      actor: `user:${principal.userId}`,
      data: JSON.stringify({ messageId: message.id }),
      created_at: now.toISOString(),
    });
    return presentMessage(message);
  });
}

/** Wakes snoozed conversations when their time comes (filled in with the inbox work). */
export function installInbox(_ctx: ServiceContext, _reg: ModuleRegistry): void {}
