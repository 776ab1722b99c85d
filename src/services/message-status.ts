// Delivery receipts from carriers. Statuses only move forward (a late "sent" never overwrites
// "delivered"), and a replayed receipt changes nothing.
import type { StatusUpdate } from '../carriers/carrier.ts';
import { findOutboundForConnection, transitionMessage } from '../store/conversations-repository.ts';
import { insertEvent } from '../store/contacts-repository.ts';
import type { CarrierConnection, MessageStatus } from '../store/schema.ts';
import type { ServiceContext } from './context.ts';
import { liveEvent } from './live-events.ts';
import { applyCarrierFailure } from './carrier-failures.ts';
import { explainCarrierError } from '../domain/carrier-errors.ts';

const RANK: Record<string, number> = { queued: 0, sending: 1, sent: 2, delivered: 3, undelivered: 3, failed: 3 };
const ORDER: MessageStatus[] = ['queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed'];

export async function applyStatusUpdate(
  ctx: ServiceContext,
  connection: CarrierConnection,
  update: StatusUpdate,
  ref: string | undefined,
): Promise<{ messageId: string | null; changed: boolean; ignored?: string }> {
  return ctx.store.transaction(async (tx) => {
    const message = await findOutboundForConnection(tx.db, connection.id, ref, update.carrierMessageId);
    if (!message) {
      // Not a conversation text (an owner alert, a text sent outside Ringback on the same number,
      // or one since deleted): acknowledge it, or the carrier retries a receipt we can never use.
      ctx.logger.info({ connectionId: connection.id, ref, carrierMessageId: update.carrierMessageId }, 'delivery receipt for a message Ringback does not track');
      return { messageId: null, changed: false, ignored: 'not a message in any conversation on this connection' };
    }
    const rank = RANK[update.status] ?? 0;
    const earlier = ORDER.filter((s) => (RANK[s] ?? 0) < rank);
    const at = update.occurredAt.toISOString();
    const changed = await transitionMessage(tx.db, message.id, earlier, {
      status: update.status,
      carrier_message_id: message.carrier_message_id ?? update.carrierMessageId,
      carrier_error_code: update.errorCode ?? null,
      ...(update.status === 'undelivered' || update.status === 'failed' ? { error_message: explainCarrierError(update.errorCode) } : {}),
      ...(update.status === 'delivered' ? { delivered_at: at } : {}),
      updated_at: ctx.clock().toISOString(),
    });
    if (changed) {
      const data = { conversationId: message.conversation_id, messageId: message.id, status: update.status, errorCode: update.errorCode ?? null };
      await ctx.events.publish(tx, liveEvent('message.status', message.account_id, data, ctx.clock()));
    }
    if (changed && (update.status === 'undelivered' || update.status === 'failed')) {
      await applyCarrierFailure(ctx, tx, message, update.errorCode);
      await insertEvent(tx.db, {
        account_id: message.account_id,
        type: 'message.undelivered',
        subject_type: 'message',
        subject_id: message.id,
        actor: 'carrier',
        data: JSON.stringify({ status: update.status, code: update.errorCode ?? null }),
        created_at: at,
      });
    }
    return { messageId: message.id, changed };
  });
}
