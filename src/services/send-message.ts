// The send job: takes one queued message to the carrier exactly once. Every rule is checked
// again at send time (the world may have changed since the message was queued), the "sending"
// mark is committed before the carrier is asked, and a message found in "sending" on a later
// attempt is reconciled with the carrier before anything is sent again.
import { CarrierError, type OutboundMessage } from '../carriers/carrier.ts';
import { RetryLaterError, type TaskDefinition } from '../jobs/job-queue.ts';
import { insertEvent } from '../store/contacts-repository.ts';
import { findAccount } from '../store/accounts-repository.ts';
import { findOpenLeadFor } from '../store/leads-repository.ts';
import { AUTOMATIC_FROM, moveLead } from './pipeline.ts';
import { findMessage, findMessageForSending, recordCarrierIdIfMissing, transitionMessage } from '../store/conversations-repository.ts';
import type { Message, MessageStatus } from '../store/schema.ts';
import { connectionWebhookUrl } from './carrier-registry.ts';
import type { ServiceContext } from './context.ts';
import { liveEvent } from './live-events.ts';
import { COMPLIANCE_REASONS } from './outbound.ts';
import { applyCarrierFailure } from './carrier-failures.ts';
import { explainCarrierError } from '../domain/carrier-errors.ts';
import { FOLLOW_UP_REASON, holdFollowUpAtSendTime } from './follow-ups.ts';

const SENDABLE: MessageStatus[] = ['queued', 'sending'];

export interface SendFaults {
  /** Test-only: die with SIGKILL at this point of a send (see RINGBACK_FAULT). */
  kill?: 'kill-before-send' | 'kill-after-send';
}

type Verdict = { go: true; message: Message; connectionId: string; reconcile: boolean } | { go: false };

export function createSendMessageTask(ctx: ServiceContext, faults: SendFaults = {}): TaskDefinition {
  const statusEvent = (message: Message, status: MessageStatus, errorCode: string | null = null) =>
    liveEvent('message.status', message.account_id, { conversationId: message.conversation_id, messageId: message.id, status, errorCode }, ctx.clock());

  const stop = async (message: Message, status: 'expired' | 'canceled', why: string, eventType: string) => {
    const now = ctx.clock().toISOString();
    await ctx.store.transaction(async (tx) => {
      const moved = await transitionMessage(tx.db, message.id, SENDABLE, { status, error_message: why, updated_at: now });
      if (!moved) return;
      await ctx.events.publish(tx, statusEvent(message, status));
      await insertEvent(tx.db, {
        account_id: message.account_id,
        type: eventType,
        subject_type: 'message',
        subject_id: message.id,
        actor: 'system',
        data: JSON.stringify({ reason: why }),
        created_at: now,
      });
    });
    ctx.metrics.sendResults.inc({ result: status });
  };

  /** Re-checks the rules (one read), then marks the message "sending" (one write). */
  const prepare = async (messageId: string): Promise<Verdict> => {
    const found = await findMessageForSending(ctx.store.db, messageId);
    if (!found || !SENDABLE.includes(found.status)) return { go: false };
    const { line_paused, line_messaging_enabled, carrier_connection_id, account_paused, contact_blocked, last_person_contact_at, suppressed, ...message } = found;
    const now = ctx.clock();
    const why =
      message.status === 'queued' && message.author !== 'user' && !COMPLIANCE_REASONS.has(message.reason)
        ? suppressed
          ? 'canceled: the recipient opted out'
          : account_paused === 1
            ? 'canceled: the account is paused'
            : line_paused === 1
              ? 'canceled: the line is paused'
              : line_messaging_enabled === 0
                ? 'canceled: texting is turned off for the line'
                : contact_blocked === 1
                  ? 'canceled: the contact is blocked'
                  : message.reason === 'missed_call' && last_person_contact_at && last_person_contact_at > message.created_at
                    ? 'canceled: a person already replied to this caller'
                    : null
        : null;
    // A follow-up that waited in the queue past the close of the recipient's lawful window (or
    // into a cap) is canceled and its run put back on that step, before its deadline could
    // expire it and lose the step; the reasons above, when they hold, still win.
    if (message.status === 'queued' && message.reason === FOLLOW_UP_REASON && !why && (await holdFollowUpAtSendTime(ctx, message))) {
      return { go: false };
    }
    if (message.send_deadline && now.toISOString() > message.send_deadline) {
      // A message that may already be at the carrier is reconciled, not expired.
      if (message.status === 'queued') {
        await stop(message, 'expired', 'expired: it could not be sent within its window, and a late text would not help', 'message.expired');
        return { go: false };
      }
    }
    if (why) {
      await stop(message, 'canceled', why, 'message.canceled');
      return { go: false };
    }
    if (message.status === 'sending') return { go: true, message, connectionId: carrier_connection_id, reconcile: true };
    // Through the store's transactions, so marks made together share one commit (and fsync).
    const moved = await ctx.store.transaction(
      async (tx) => {
        const marked = await transitionMessage(tx.db, message.id, ['queued'], {
          status: 'sending',
          attempts: message.attempts + 1,
          updated_at: now.toISOString(),
        });
        if (marked) await ctx.events.publish(tx, statusEvent(message, 'sending'));
        return marked;
      },
      { urgent: true },
    );
    return moved ? { go: true, message, connectionId: carrier_connection_id, reconcile: false } : { go: false };
  };

  const recordSent = async (message: Message, carrierMessageId: string, segments: number | undefined) => {
    const now = ctx.clock();
    // Recoverable: if a power cut loses this, the message is still 'sending' and the next attempt
    // asks the carrier before sending again.
    await ctx.store.transaction(async (tx) => {
      const moved = await transitionMessage(tx.db, message.id, SENDABLE, {
        status: 'sent',
        carrier_message_id: carrierMessageId,
        sent_at: now.toISOString(),
        updated_at: now.toISOString(),
        ...(segments ? { segments } : {}),
      });
      if (!moved) {
        // A delivery receipt overtook us; keep its status, but record the carrier's id.
        await recordCarrierIdIfMissing(tx.db, message.id, carrierMessageId, now.toISOString());
      } else {
        await ctx.events.publish(tx, statusEvent(message, 'sent'));
      }
      if (message.reason === 'missed_call' || message.reason === 'follow_up') {
        // A text reached the lead: new → contacted (later stages stay where they are).
        const lead = await findOpenLeadFor(tx.db, message.account_id, message.contact_id);
        const account = lead?.stage === 'new' ? await findAccount(tx.db, message.account_id) : undefined;
        if (lead && account) await moveLead(ctx, tx, { account, lead, to: 'contacted', from: AUTOMATIC_FROM.contacted, actor: 'system' });
      }
    }, { durability: 'recoverable', urgent: true });
    ctx.metrics.sendResults.inc({ result: 'sent' });
  };

  const recordFailed = async (message: Message, err: { code?: string | undefined; message: string }) => {
    const now = ctx.clock().toISOString();
    await ctx.store.transaction(async (tx) => {
      const moved = await transitionMessage(tx.db, message.id, SENDABLE, {
        status: 'failed',
        carrier_error_code: err.code ?? null,
        error_message: explainCarrierError(err.code, err.message),
        updated_at: now,
      });
      if (!moved) return;
      await ctx.events.publish(tx, statusEvent(message, 'failed', err.code ?? null));
      await applyCarrierFailure(ctx, tx, message, err.code);
      await insertEvent(tx.db, {
        account_id: message.account_id,
        type: 'message.failed',
        subject_type: 'message',
        subject_id: message.id,
        actor: 'carrier',
        data: JSON.stringify({ code: err.code ?? null, error: err.message }),
        created_at: now,
      });
    });
    ctx.metrics.sendResults.inc({ result: 'failed' });
  };

  return {
    async run(payload) {
      const verdict = await prepare(String(payload.messageId));
      if (!verdict.go) return;
      const { message } = verdict;
      const connection = await ctx.carriers.connection(ctx.store.db, verdict.connectionId);
      if (!connection) {
        await recordFailed(message, { message: 'the line\'s carrier connection no longer exists' });
        return;
      }
      const carrier = ctx.carriers.adapterFor(connection);
      const outbound: OutboundMessage = {
        ref: message.id,
        from: message.from_number,
        to: message.to_number,
        body: message.body,
        validitySeconds: validitySeconds(ctx, message),
        statusCallbackUrl: `${connectionWebhookUrl(ctx.webhookBase(), connection, 'status')}?ref=${encodeURIComponent(message.id)}`,
      };

      if (verdict.reconcile) {
        // A delivery receipt may already have tied the carrier's id to this message (via ?ref=).
        const current = await findMessage(ctx.store.db, message.id);
        if (current?.carrier_message_id) {
          await recordSent(message, current.carrier_message_id, undefined);
          return;
        }
        const found = await carrier.findSentMessage(outbound);
        if (found) {
          await recordSent(message, found.carrierMessageId, found.segments);
          return;
        }
        // The carrier never got it: it is safe to send, unless its window has passed.
        if (message.send_deadline && ctx.clock().toISOString() > message.send_deadline) {
          await stop(message, 'expired', 'expired: it could not be sent within its window, and a late text would not help', 'message.expired');
          return;
        }
      }

      if (faults.kill === 'kill-before-send') process.kill(process.pid, 'SIGKILL');
      if (message.reason === 'missed_call' && message.attempts === 0) {
        // Recorded (missed call) → request leaving for the carrier, first attempt only.
        const seconds = (ctx.clock().getTime() - Date.parse(message.created_at)) / 1000;
        ctx.metrics.missedCallToSendSeconds.observe({ carrier: connection.kind }, seconds);
      }
      let result;
      try {
        result = await carrier.sendMessage(outbound);
      } catch (caught) {
        if (!(caught instanceof CarrierError)) throw caught;
        if (caught.kind === 'permanent') {
          await recordFailed(message, { code: caught.code, message: caught.message });
          return;
        }
        if (caught.kind === 'retryable') {
          // Definitely not accepted: back to queued, so the next attempt need not reconcile.
          await transitionMessage(ctx.store.db, message.id, ['sending'], { status: 'queued', updated_at: ctx.clock().toISOString() });
        }
        ctx.metrics.sendResults.inc({ result: 'retry' });
        throw new RetryLaterError(`carrier: ${caught.message}`, caught.retryAfterMs ?? 0, { cause: caught });
      }
      if (faults.kill === 'kill-after-send') process.kill(process.pid, 'SIGKILL');
      await recordSent(message, result.carrierMessageId, result.segments);
    },

    async onExhausted(payload, error) {
      const message = await findMessage(ctx.store.db, String(payload.messageId));
      if (!message) return;
      const code = error.cause instanceof CarrierError ? error.cause.code : undefined;
      await recordFailed(message, { code, message: `could not be sent after repeated attempts: ${error.message}` });
    },
  };
}

function validitySeconds(ctx: ServiceContext, message: Message): number {
  if (!message.send_deadline) return 36_000;
  const left = Math.ceil((Date.parse(message.send_deadline) - ctx.clock().getTime()) / 1000);
  // Carriers take 1 s … 36,000 s (Twilio ValidityPeriod); a late text-back should die at the carrier too.
  return Math.min(36_000, Math.max(60, left));
}

