// The text-back flow for a missed call: gather the facts, ask the pure decision rule, store the
// decision on the call, and queue the text, all inside the caller's transaction.
import { classifyCallerId, type CallerId } from '../domain/caller-id.ts';
import { DEFAULT_BUSINESS_HOURS, describeCallbackWindow, slotAt } from '../domain/schedule.ts';
import { DEFAULT_TEXT_BACK_TEMPLATES, firstNameOf, measureText, renderTemplate } from '../domain/templates.ts';
import { decideTextBack, type Decision } from '../domain/text-back-decision.ts';
import { formatPhoneForDisplay } from '../domain/phone.ts';
import type { Tx } from '../store/database.ts';
import { updateCall } from '../store/calls-repository.ts';
import { ensureContact, findActiveSuppression, insertEvent } from '../store/contacts-repository.ts';
import { findOpenLeadFor, insertLeadRow } from '../store/leads-repository.ts';
import { ensureConversation, findConversationFor } from '../store/conversations-repository.ts';
import { findTextBackTemplate } from '../store/lines-repository.ts';
import { newId } from '../store/ids.ts';
import type { Account, Call, CallsTable, CallUpdate, Line } from '../store/schema.ts';
import { regionOf, scheduleOf, settingsOf } from './account-settings.ts';
import { lawfulWindowCheck, nextLawfulInstant } from '../domain/lawful-hours.ts';
import { zoneName } from '../domain/lawful-hours.ts';
import { locateRecipient } from './recipient-location.ts';
import { jitterFor } from '../domain/jitter.ts';
import type { ServiceContext } from './context.ts';
import { liveEvent } from './live-events.ts';
import { queueCallFollowThrough } from './call-follow-through.ts';
import { queueOutbound } from './outbound.ts';

export interface DecidedCall {
  decision: Decision;
  messageId: string | null;
  /** The call as stored now. */
  call: Call;
}

const asDate = (iso: string | null | undefined) => (iso ? new Date(iso) : null);

export function callerIdFor(account: Account, line: Line, connectionKind: string, fromRaw: string): CallerId {
  // Fictional 555-01xx numbers only exist inside the simulator; from a real carrier they are spoofed.
  return classifyCallerId(fromRaw, { allowFictional: connectionKind === 'simulator', defaultRegion: regionOf(account) });
}

/** Decides and, when the rule says send, queues the text-back. The call must already be stored with its outcome. */
export async function decideAndQueueTextBack(
  ctx: ServiceContext,
  tx: Tx,
  input: {
    account: Account;
    line: Line;
    call: Call;
    callerId: CallerId;
    outcome: NonNullable<CallsTable['outcome']>;
    /** The call's outcome fields, written with the decision in one update. */
    callPatch?: CallUpdate;
  },
): Promise<DecidedCall> {
  const { account, line, callerId } = input;
  const call = { ...input.call, ...input.callPatch } as Call;
  const now = ctx.clock();
  const nowIso = now.toISOString();

  const contact = callerId.kind === 'valid' ? await ensureContact(tx.db, account.id, callerId.e164, nowIso) : null;
  const suppression = contact ? await findActiveSuppression(tx.db, account.id, contact.number) : undefined;
  const existing = contact ? await findConversationFor(tx.db, line.id, contact.id) : undefined;

  const decision = decideTextBack({
    now,
    callOutcome: input.outcome as Parameters<typeof decideTextBack>[0]['callOutcome'],
    callerId,
    contact: contact
      ? { blocked: contact.blocked === 1, lineType: contact.line_type as never, invalid: contact.invalid === 1 }
      : null,
    suppressed: suppression !== undefined,
    line: { paused: line.paused === 1, messagingEnabled: line.messaging_enabled === 1 },
    account: { paused: account.paused === 1 },
    lastAutoTextAt: asDate(existing?.last_auto_text_at),
    lastPersonContactAt: asDate(existing?.last_person_contact_at),
    cooldownMs: ctx.config.cooldownHours * 3_600_000,
  });

  let messageId: string | null = null;
  if (contact && decision.action === 'send') {
    const conversation = existing ?? (await ensureConversation(tx.db, { accountId: account.id, lineId: line.id, contactId: contact.id }, nowIso));
    const schedule = scheduleOf(account);
    const slot = slotAt(now, schedule);
    const template = await findTextBackTemplate(tx.db, account.id, line.id, slot);
    const body = renderTemplate(template?.body ?? DEFAULT_TEXT_BACK_TEMPLATES[slot], {
      business_name: account.name,
      first_name: firstNameOf(contact.name),
      callback_window: describeCallbackWindow(now, schedule),
      booking_link: account.booking_url ?? '',
      line_number: formatPhoneForDisplay(line.number),
    });
    // The window runs from the call itself: a call reported hours late must not be texted now.
    let deadline = new Date(Date.parse(call.ended_at ?? call.started_at) + ctx.config.sendWindowMinutes * 60_000);
    const held = settingsOf(account).textBackOutsideLawfulHours === 'hold' ? await holdUntilLawful(ctx, account, contact, now) : null;
    if (held) deadline = new Date(held.until.getTime() + ctx.config.sendWindowMinutes * 60_000);
    const message = await queueOutbound(ctx, tx, {
      line,
      conversation,
      toNumber: contact.number,
      body,
      author: 'automation',
      reason: 'missed_call',
      callId: call.id,
      deadline,
      conversationPatch: { last_auto_text_at: nowIso },
      ...(held ? { runAt: held.until } : {}),
    });
    messageId = message.id;
    if (held) {
      await insertEvent(tx.db, {
        account_id: account.id,
        type: 'text_back.held',
        subject_type: 'message',
        subject_id: message.id,
        actor: 'system',
        data: JSON.stringify({ until: held.until.toISOString(), explanation: held.explanation, callId: call.id }),
        created_at: nowIso,
      });
    }
  }

  const decided: CallUpdate = {
    ...input.callPatch,
    contact_id: contact?.id ?? null,
    decision: decision.action,
    decision_reason: decision.reason,
    decided_at: nowIso,
    message_id: messageId,
    updated_at: nowIso,
  };
  await updateCall(tx.db, call.id, decided);

  const missed = input.outcome !== 'answered';
  // A missed call from someone with no open lead opens one (the follow-through job reads
  // lead.call_id to tell a new lead from a repeat caller).
  if (contact && missed && !(await findOpenLeadFor(tx.db, account.id, contact.id))) {
    await insertLeadRow(tx.db, {
      id: newId('lead'),
      account_id: account.id,
      contact_id: contact.id,
      line_id: line.id,
      source: 'missed_call',
      stage: 'new',
      value_cents: null,
      call_id: call.id,
      lost_reason: null,
      stage_changed_at: nowIso,
      closed_at: null,
      created_at: nowIso,
      updated_at: nowIso,
    });
  }

  await insertEvent(tx.db, {
    account_id: account.id,
    type: decision.action === 'send' ? 'text_back.queued' : 'text_back.skipped',
    subject_type: 'call',
    subject_id: call.id,
    actor: 'system',
    data: JSON.stringify({ reason: decision.reason, messageId }),
    created_at: nowIso,
  });

  const decidedCall = { ...call, ...decided } as Call;
  // The callback task, follow-up run, alerts and webhook run in a job behind the text-back.
  if (missed) await queueCallFollowThrough(ctx, tx, decidedCall);

  const decidedEvent = { callId: call.id, decision: decision.action, reason: decision.reason, messageId, contactId: contact?.id ?? null };
  await ctx.events.publish(tx, liveEvent('call.decided', account.id, decidedEvent, now));
  tx.afterCommit(() => ctx.metrics.decisions.inc({ decision: decision.action, reason: decision.reason }));
  return { decision, messageId, call: decidedCall };
}

/**
 * The 'hold' policy (docs/compliance.md): outside the recipient's lawful window the text-back
 * waits for the window to open instead of going out at once. Null when it may go now.
 */
async function holdUntilLawful(
  ctx: ServiceContext,
  account: Account,
  contact: { id: string; number: string; state: string | null; time_zone: string | null },
  now: Date,
): Promise<{ until: Date; explanation: string } | null> {
  const location = await locateRecipient({ number: contact.number, contactState: contact.state, contactTimeZone: contact.time_zone });
  const opts = { fallbackTimeZone: account.time_zone };
  const check = lawfulWindowCheck(now, location, opts);
  if (check.open) return null;
  const opens = nextLawfulInstant(now, location, opts);
  if (!opens) return null;
  const until = new Date(opens.getTime() + jitterFor(contact.id));
  const zone = location.timeZones[0] && location.timeZones[0] !== 'Etc/Unknown' ? location.timeZones[0] : account.time_zone;
  return { until, explanation: `${check.explanation} The text-back waits for the window to open (${zoneName(zone, until)}).` };
}

/**
 * Runs each rule once at start: phone metadata, time-zone data and the segment counter load
 * lazily, and the first missed call should not pay for that (it cost a few hundred ms).
 */
export function warmUpRules(timeZone = 'America/New_York'): void {
  const schedule = { timeZone, hours: DEFAULT_BUSINESS_HOURS, holidays: [] };
  const now = new Date();
  classifyCallerId('+14155552671', { allowFictional: false, defaultRegion: 'US' });
  formatPhoneForDisplay('+14155552671');
  describeCallbackWindow(now, schedule);
  const body = renderTemplate(DEFAULT_TEXT_BACK_TEMPLATES[slotAt(now, schedule)], {
    business_name: 'Ringback',
    first_name: 'there',
    callback_window: 'shortly',
    booking_link: '',
    line_number: '(415) 555-2671',
  });
  measureText(body);
}
