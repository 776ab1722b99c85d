// Queues an outbound text: the message row and its send job, in the caller's transaction, so the
// text exists if and only if the reason for it was committed.
import { measureText } from '../domain/templates.ts';
import type { Tx } from '../store/database.ts';
import { insertMessage, updateConversation } from '../store/conversations-repository.ts';
import { newId } from '../store/ids.ts';
import type { Conversation, ConversationUpdate, Line, Message } from '../store/schema.ts';
import type { ServiceContext } from './context.ts';

export const SEND_MESSAGE_TASK = 'send-message';

/** Replies that must go out even to an opted-out number (the law asks for them). */
export const COMPLIANCE_REASONS = new Set(['opt_out_confirmation', 'help_reply']);

export interface QueueOutboundInput {
  line: Line;
  conversation: Conversation;
  toNumber: string;
  body: string;
  author: Message['author'];
  authorUserId?: string | null;
  reason: string;
  callId?: string | null;
  /** Past this instant the text no longer helps and expires instead of going out late. */
  deadline: Date;
  /** More conversation fields to set in the same update. */
  conversationPatch?: ConversationUpdate;
  /** Hold the send until then (e.g. the recipient's lawful window opens); default: at once. */
  runAt?: Date;
}

/** High enough that the deadline, not the count, ends the retries. */
const ATTEMPTS_UNTIL_DEADLINE = 10_000;

export async function queueOutbound(ctx: ServiceContext, tx: Tx, input: QueueOutboundInput): Promise<Message> {
  const now = ctx.clock().toISOString();
  const measure = measureText(input.body);
  const message: Message = {
    id: newId('msg'),
    account_id: input.line.account_id,
    conversation_id: input.conversation.id,
    line_id: input.line.id,
    contact_id: input.conversation.contact_id,
    direction: 'outbound',
    from_number: input.line.number,
    to_number: input.toNumber,
    body: input.body,
    encoding: measure.encoding,
    segments: measure.segments,
    status: 'queued',
    author: input.author,
    author_user_id: input.authorUserId ?? null,
    reason: input.reason,
    call_id: input.callId ?? null,
    carrier_message_id: null,
    carrier_error_code: null,
    error_message: null,
    send_deadline: input.deadline.toISOString(),
    attempts: 0,
    created_at: now,
    sent_at: null,
    delivered_at: null,
    updated_at: now,
  };
  await insertMessage(tx.db, message);
  await updateConversation(tx.db, input.conversation.id, { last_message_at: now, updated_at: now, ...input.conversationPatch });
  await ctx.jobs.enqueue(tx, {
    task: SEND_MESSAGE_TASK,
    payload: { messageId: message.id },
    jobKey: `send:${message.id}`,
    ...(input.runAt ? { runAt: input.runAt } : {}),
    // A text with a send window keeps trying through a carrier or database outage until the
    // window closes (the send job then expires it visibly); a count of attempts would give up
    // on a minute-long outage with most of the window left.
    ...(message.send_deadline ? { maxAttempts: ATTEMPTS_UNTIL_DEADLINE } : {}),
  });
  return message;
}
