// Follow-up runs: a missed call whose text-back went out enrolls the conversation in the account's
// enabled sequence; the scheduler sends each step when it falls due, inside the recipient's
// lawful hours and under the frequency caps; anything that means "a person has it now" (a reply,
// an opt-out, a person's own text or call, a booking, a closed lead, a hand on the stop button)
// stops the run at once, in the transaction of what happened.
//
// Lifecycle: active (step_index points at the next send, next_run_at is when it is due) →
// completed after the last send, or stopped with a stop_reason. A step held for lawful hours or
// a cap stays on its index with a later next_run_at and the reason in last_deferral.
import { firstClosedMinute, nextSendAt, type SequenceStep } from '../domain/follow-up-sequence.ts';
import { jitterFor } from '../domain/jitter.ts';
import { decideSendTime, lawfulWindowCheck, type RecipientLocation, type SendDecision } from '../domain/lawful-hours.ts';
import { formatPhoneForDisplay } from '../domain/phone.ts';
import { describeCallbackWindow } from '../domain/schedule.ts';
import { firstNameOf, renderTemplate } from '../domain/templates.ts';
import { findAccount } from '../store/accounts-repository.ts';
import { findActiveSuppression, findContact, insertEvent } from '../store/contacts-repository.ts';
import { findConversation, transitionMessage } from '../store/conversations-repository.ts';
import type { Tx } from '../store/database.ts';
import { newId } from '../store/ids.ts';
import { findLead } from '../store/leads-repository.ts';
import { findAccountLine } from '../store/lines-repository.ts';
import type { PageCursor } from '../store/paging.ts';
import * as repo from '../store/sequences-repository.ts';
import type { Account, Contact, Conversation, LeadStage, Message, MessageStatus, SequenceRun, SequenceRunStatus } from '../store/schema.ts';
import { scheduleOf, settingsOf } from './account-settings.ts';
import type { ModuleRegistry, ServiceContext } from './context.ts';
import { AppError, notFound } from './errors.ts';
import type { HookData } from './hooks.ts';
import { liveEvent } from './live-events.ts';
import { COMPLIANCE_REASONS, queueOutbound } from './outbound.ts';
import { locateRecipient } from './recipient-location.ts';
import { ensureDefaultSequences, parseSteps } from './sequences.ts';

/** The reason on every follow-up message (messages.reason). */
export const FOLLOW_UP_REASON = 'follow_up';
export const DUE_WORK_NAME = 'follow-ups.steps';
/** Runs worked per tick; the rest wait for the next tick (seconds later), oldest due first. */
const DUE_BATCH = 200;
/** How far back the caps look; longer than any cap (a week at most, see validateCap). */
const RECENT_AUTOMATED_MS = 7 * 24 * 3_600_000;
/** How soon to look again when the text-back itself has not gone out yet. */
const TRIGGER_PENDING_RETRY_MS = 15 * 60_000;

export type StopReason =
  | 'replied'
  | 'opted_out'
  | 'person_replied'
  | 'person_called'
  | 'booked'
  | 'closed'
  | 'stopped_by_user'
  | 'sequence_deleted'
  | 'sequence_disabled'
  | 'blocked'
  | 'invalid_number'
  | 'not_mobile'
  | 'text_back_not_delivered'
  | 'line_removed';

/** What each stop reason means, in the words the inbox shows. */
export const STOP_EXPLANATIONS: Record<StopReason, string> = {
  replied: 'The contact replied, so a person takes it from here.',
  opted_out: 'The contact opted out of texts.',
  person_replied: 'Someone on the team texted the contact.',
  person_called: 'Someone on the team called the contact.',
  booked: 'The lead was booked.',
  closed: 'The lead was closed (won or lost).',
  stopped_by_user: 'Stopped by hand.',
  sequence_deleted: 'The sequence was deleted.',
  sequence_disabled: 'The sequence was turned off.',
  blocked: 'The contact is blocked.',
  invalid_number: "The contact's number cannot receive texts.",
  not_mobile: "The contact's number is not a mobile number, so it cannot receive texts.",
  text_back_not_delivered: 'The first text (the missed-call text-back) did not reach the contact, so a follow-up would not make sense.',
  line_removed: 'The line the conversation was on no longer exists.',
};

/** Lead stages that end a run, and the reason they give. */
const STAGE_STOPS: Partial<Record<LeadStage, StopReason>> = { booked: 'booked', won: 'closed', lost: 'closed' };
const UNDELIVERED_STATUSES = new Set(['failed', 'undelivered', 'expired', 'canceled']);
const NOT_MOBILE = new Set(['landline', 'toll_free', 'no_sms']);

// ── Stopping ──────────────────────────────────────────────────────────────────────────────────

/**
 * Stops the live runs selected, in the caller's transaction: each gets its reason, an audit event
 * (follow_up.stopped) and a live update for open inboxes. Returns the runs it stopped.
 */
export async function stopRuns(ctx: ServiceContext, tx: Tx, accountId: string, by: repo.RunSelector, reason: StopReason, actor: string): Promise<SequenceRun[]> {
  const now = ctx.clock();
  const stopped = await repo.stopLiveRuns(tx.db, accountId, by, reason, now.toISOString());
  for (const run of stopped) {
    await insertEvent(tx.db, {
      account_id: accountId,
      type: 'follow_up.stopped',
      subject_type: 'sequence_run',
      subject_id: run.id,
      actor,
      data: JSON.stringify({ reason, sequenceId: run.sequence_id, conversationId: run.conversation_id, stepIndex: run.step_index }),
      created_at: now.toISOString(),
    });
    await ctx.events.publish(tx, liveEvent('conversation.updated', accountId, { conversationId: run.conversation_id, change: 'automation' }, now));
  }
  // A follow-up queued moments ago (its job not run yet) goes with its run: "stopped" means no
  // more follow-up texts, not "no more after the one in the queue".
  const conversations = [...new Set(stopped.map((r) => r.conversation_id))];
  const why = `canceled: the follow-ups stopped (${STOP_EXPLANATIONS[reason].replace(/\.$/, '').toLowerCase()})`;
  for (const m of await repo.cancelQueuedFollowUps(tx.db, accountId, conversations, FOLLOW_UP_REASON, why, now.toISOString())) {
    await ctx.events.publish(tx, liveEvent('message.status', accountId, { conversationId: m.conversation_id, messageId: m.id, status: 'canceled', errorCode: null }, now));
  }
  return stopped;
}

// ── Enrolling ─────────────────────────────────────────────────────────────────────────────────

async function enroll(ctx: ServiceContext, tx: Tx, data: HookData['call.missed']): Promise<void> {
  const { account, line, contact, decision, messageId } = data;
  // Only a missed call that was texted back: a follow-up to someone never texted would be a
  // cold first text, and one to someone we chose not to text (opted out, landline) is worse.
  if (decision.action !== 'send' || !messageId || !contact) return;
  await ensureDefaultSequences(ctx, tx, account.id);
  const sequence = await repo.findEnabledSequence(tx.db, account.id, 'missed_call_no_reply');
  if (!sequence) return;
  const now = ctx.clock();
  const steps = parseSteps(sequence.steps);
  // A text-back held for the recipient's lawful window goes out later than now; the first wait
  // counts from then, or the first follow-up could land right behind it (or before it).
  const textBackAt = settingsOf(account).textBackOutsideLawfulHours === 'hold' ? await heldTextBackUntil(tx, account.id, messageId) : null;
  const first = nextSendAt(steps, 0, textBackAt && textBackAt > now ? textBackAt : now);
  if (!first) return;
  const runId = newId('run');
  const nowIso = now.toISOString();
  // A conversation already in a run keeps it (the unique index on live runs decides).
  const inserted = await repo.insertRunForConversation(
    tx.db,
    {
      id: runId,
      account_id: account.id,
      sequence_id: sequence.id,
      lead_id: data.lead?.id ?? null,
      contact_id: contact.id,
      line_id: line.id,
      trigger_message_id: messageId,
      // The steps as they are today: editing the sequence changes later runs, not this one.
      steps: sequence.steps,
      step_index: first.sendIndex,
      status: 'active',
      next_run_at: first.at.toISOString(),
      last_deferral: null,
      stop_reason: null,
      created_at: nowIso,
      updated_at: nowIso,
    },
    { lineId: line.id, contactId: contact.id },
  );
  if (!inserted) return;
  await insertEvent(tx.db, {
    account_id: account.id,
    type: 'follow_up.started',
    subject_type: 'sequence_run',
    subject_id: runId,
    actor: 'system',
    data: JSON.stringify({ sequenceId: sequence.id, callId: data.call.id, triggerMessageId: messageId, nextRunAt: first.at.toISOString() }),
    created_at: nowIso,
  });
}

/** When a held text-back is due to go (text-back.ts records it as a 'text_back.held' event). */
async function heldTextBackUntil(tx: Tx, accountId: string, messageId: string): Promise<Date | null> {
  const data = await repo.findMessageEventData(tx.db, accountId, messageId, 'text_back.held');
  const until = data ? (JSON.parse(data) as { until?: string }).until : undefined;
  return until ? new Date(until) : null;
}

// ── Due steps ─────────────────────────────────────────────────────────────────────────────────

function capOf(account: Account) {
  const { automationCap } = settingsOf(account);
  return { messages: automationCap.messages, windowMs: automationCap.hours * 3_600_000 };
}

async function recentAutomated(tx: Tx | ServiceContext['store'], account: Account, contactId: string, now: Date, excludeMessageId?: string): Promise<Date[]> {
  return repo.recentAutomatedSendTimes(tx.db, account.id, contactId, new Date(now.getTime() - RECENT_AUTOMATED_MS).toISOString(), {
    notReasons: [...COMPLIANCE_REASONS],
    ...(excludeMessageId ? { excludeMessageId } : {}),
  });
}

function decide(account: Account, location: RecipientLocation, now: Date, recent: Date[], jitterMs: number): SendDecision {
  return decideSendTime({
    now,
    location,
    fallbackTimeZone: account.time_zone,
    recentAutomated: recent,
    automationHours: settingsOf(account).automationHours,
    accountCap: capOf(account),
    jitterMs,
  });
}

/** Why the run must end now, if it must (checked again at each step: the world moves on). */
async function stopReasonAtStep(
  tx: Tx,
  run: SequenceRun,
  account: Account,
  contact: Contact,
  conversation: Conversation,
  triggerStatus: MessageStatus | undefined,
): Promise<StopReason | null> {
  if (await findActiveSuppression(tx.db, account.id, contact.number)) return 'opted_out';
  if (contact.blocked === 1) return 'blocked';
  if (contact.invalid === 1) return 'invalid_number';
  if (NOT_MOBILE.has(contact.line_type)) return 'not_mobile';
  if (run.lead_id) {
    const lead = await findLead(tx.db, account.id, run.lead_id);
    const stop = lead ? STAGE_STOPS[lead.stage] : undefined;
    if (stop) return stop;
  }
  if (triggerStatus && UNDELIVERED_STATUSES.has(triggerStatus)) return 'text_back_not_delivered';
  // The hooks stop runs as these happen; these two catch anything that reached the thread
  // another way (a hook not wired for it, an import).
  if (conversation.last_person_contact_at && conversation.last_person_contact_at > run.created_at) return 'person_replied';
  if (await repo.inboundSince(tx.db, account.id, conversation.id, run.created_at)) return 'replied';
  return null;
}

/** The run's next state after the send at its step: the next send, or complete. */
function advance(steps: SequenceStep[], sentIndex: number, now: Date) {
  const next = nextSendAt(steps, sentIndex + 1, now);
  return next
    ? { status: 'active' as const, step_index: next.sendIndex, next_run_at: next.at.toISOString() }
    : { status: 'completed' as const, step_index: steps.length, next_run_at: null };
}

/** What the send job needs to put a run back if this follow-up cannot go when its job runs. */
interface SentLink {
  runId: string;
  sequenceId: string;
  stepIndex: number;
  /** Where the run stood right after this send; it is only put back from there. */
  after: { status: SequenceRunStatus; stepIndex: number };
}

/**
 * Works one due run in its own transaction. Returns whether it acted (sent, held or stopped).
 * The run is claimed first (locked on Postgres, skipped if another process has it) and every
 * write is guarded on the step and due time it was read with, so a step happens at most once.
 */
async function workRun(ctx: ServiceContext, due: repo.DueRun, location: RecipientLocation, now: Date): Promise<boolean> {
  const nowIso = now.toISOString();
  return ctx.store.transaction(async (tx) => {
    const run = await repo.claimDueRun(tx.db, due.account_id, due.id, nowIso);
    if (!run) return false;
    const account = await findAccount(tx.db, run.account_id);
    const contact = await findContact(tx.db, run.account_id, run.contact_id);
    const conversation = await findConversation(tx.db, run.account_id, run.conversation_id);
    if (!account || !contact || !conversation) return false;
    const line = await findAccountLine(tx.db, account.id, run.line_id);
    if (!line) {
      await stopRuns(ctx, tx, account.id, { runId: run.id }, 'line_removed', 'system');
      return true;
    }

    const triggerStatus = run.trigger_message_id ? await repo.findMessageStatus(tx.db, account.id, run.trigger_message_id) : undefined;
    const stop = await stopReasonAtStep(tx, run, account, contact, conversation, triggerStatus);
    if (stop) {
      await stopRuns(ctx, tx, account.id, { runId: run.id }, stop, 'system');
      return true;
    }
    // A person must look at this thread first (e.g. words that may mean "stop"): the step stays
    // due, unsent, until they clear the flag.
    if (conversation.automation_paused === 1) return false;

    const guard = { status: 'active' as const, stepIndex: run.step_index, nextRunAt: run.next_run_at };
    if (triggerStatus === 'queued' || triggerStatus === 'sending') {
      // The text-back has not gone yet (held, or a carrier outage): a follow-up must not overtake it.
      const held = await repo.updateRunIf(tx.db, account.id, run.id, guard, {
        next_run_at: new Date(now.getTime() + TRIGGER_PENDING_RETRY_MS).toISOString(),
        last_deferral: 'Held: the missed-call text-back has not gone out yet, and a follow-up must not arrive before it.',
        updated_at: nowIso,
      });
      return held !== undefined;
    }
    const steps = parseSteps(run.steps);
    const step = steps[run.step_index];
    if (step?.type !== 'send') {
      // The index always rests on a send; if it does not, move on to the next one rather than stall.
      const updated = await repo.updateRunIf(tx.db, account.id, run.id, guard, { ...advance(steps, run.step_index - 1, now), updated_at: nowIso });
      return updated !== undefined;
    }

    const recent = await recentAutomated(tx, account, contact.id, now);
    const decision = decide(account, location, now, recent, jitterFor(run.id));
    if (decision.action === 'defer') {
      const held = await repo.updateRunIf(tx.db, account.id, run.id, guard, {
        next_run_at: decision.until.toISOString(),
        last_deferral: decision.explanation,
        updated_at: nowIso,
      });
      if (!held) return false;
      await insertEvent(tx.db, {
        account_id: account.id,
        type: 'follow_up.deferred',
        subject_type: 'sequence_run',
        subject_id: run.id,
        actor: 'system',
        data: JSON.stringify({ reason: decision.reason, until: decision.until.toISOString(), explanation: decision.explanation, stepIndex: run.step_index }),
        created_at: nowIso,
      });
      await ctx.events.publish(tx, liveEvent('conversation.updated', account.id, { conversationId: conversation.id, change: 'automation' }, now));
      return true;
    }

    const next = advance(steps, run.step_index, now);
    const moved = await repo.updateRunIf(tx.db, account.id, run.id, guard, { ...next, last_deferral: null, updated_at: nowIso });
    if (!moved) return false;

    const schedule = scheduleOf(account);
    const body = renderTemplate(step.body, {
      business_name: account.name,
      first_name: firstNameOf(contact.name),
      line_number: formatPhoneForDisplay(line.number),
      booking_link: account.booking_url ?? '',
      callback_window: describeCallbackWindow(now, schedule),
    });
    // A follow-up that waits in the queue must not go out after the recipient's window closes
    // (the send job re-checks too, and puts the step back if it would).
    const windowMs = ctx.config.sendWindowMinutes * 60_000;
    const lawfulOpts = { fallbackTimeZone: account.time_zone, automationHours: settingsOf(account).automationHours };
    const closes = firstClosedMinute(now, windowMs, (at) => lawfulWindowCheck(at, location, lawfulOpts).open);
    const message = await queueOutbound(ctx, tx, {
      line,
      conversation,
      toNumber: contact.number,
      body,
      author: 'automation',
      reason: FOLLOW_UP_REASON,
      deadline: closes ?? new Date(now.getTime() + windowMs),
      // Counts as the automatic text for the text-back's cooldown: a call right after a
      // follow-up does not get a second automatic text minutes later.
      conversationPatch: { last_auto_text_at: nowIso },
    });
    const link: SentLink = { runId: run.id, sequenceId: run.sequence_id, stepIndex: run.step_index, after: { status: next.status, stepIndex: next.step_index } };
    await insertEvent(tx.db, {
      account_id: account.id,
      type: 'follow_up.sent',
      subject_type: 'message',
      subject_id: message.id,
      actor: 'system',
      data: JSON.stringify(link),
      created_at: nowIso,
    });
    if (next.status === 'completed') {
      await insertEvent(tx.db, {
        account_id: account.id,
        type: 'follow_up.completed',
        subject_type: 'sequence_run',
        subject_id: run.id,
        actor: 'system',
        data: JSON.stringify({ sequenceId: run.sequence_id, lastMessageId: message.id }),
        created_at: nowIso,
      });
    }
    await ctx.events.publish(tx, liveEvent('conversation.updated', account.id, { conversationId: conversation.id, change: 'automation' }, now));
    return true;
  });
}

/** The scheduler's due work: every run whose step is due at `now` (a batch per tick). */
export async function runDueSteps(ctx: ServiceContext, now: Date): Promise<number> {
  const due = await repo.listDueRuns(ctx.store.db, now.toISOString(), DUE_BATCH);
  let acted = 0;
  for (const d of due) {
    try {
      // Outside the transaction: it may read phone metadata from disk (then cached).
      const location = await locateRecipient({ number: d.contact_number, contactState: d.contact_state, contactTimeZone: d.contact_time_zone });
      if (await workRun(ctx, d, location, now)) acted++;
    } catch (err) {
      // One bad run must not hold up the rest; it is due again on the next tick.
      ctx.logger.error({ err, runId: d.id }, 'follow-up step failed');
    }
  }
  return acted;
}

// ── The send job's last look ──────────────────────────────────────────────────────────────────

const HELD_AT_SEND = {
  window: "canceled: outside the recipient's lawful hours; the follow-up was rescheduled",
  cap: 'canceled: the recipient already had as many automated texts as the limit allows; the follow-up was rescheduled',
};

/**
 * Called by the send job for a queued follow-up just before it would go. A queue delay (a carrier
 * outage, a backlog) can carry it past the close of the recipient's window or into a cap; then
 * it is canceled with a plain reason and its run is put back on that step, due at the next lawful
 * instant, in one transaction. Returns true when it was held (the job must not send).
 */
export async function holdFollowUpAtSendTime(ctx: ServiceContext, message: Message): Promise<boolean> {
  if (message.reason !== FOLLOW_UP_REASON || message.status !== 'queued') return false;
  const db = ctx.store.db;
  const [account, contact, linkData] = await Promise.all([
    findAccount(db, message.account_id),
    findContact(db, message.account_id, message.contact_id),
    repo.findMessageEventData(db, message.account_id, message.id, 'follow_up.sent'),
  ]);
  if (!account || !contact) return false;
  const link = linkData ? (JSON.parse(linkData) as SentLink) : null;
  const now = ctx.clock();
  const location = await locateRecipient({ number: message.to_number, contactState: contact.state, contactTimeZone: contact.time_zone });
  const recent = await recentAutomated(ctx.store, account, contact.id, now, message.id);
  const decision = decide(account, location, now, recent, link ? jitterFor(link.runId) : 0);
  if (decision.action === 'send') return false;

  const why = decision.reason === 'cap' ? HELD_AT_SEND.cap : HELD_AT_SEND.window;
  const nowIso = now.toISOString();
  await ctx.store.transaction(async (tx) => {
    const canceled = await transitionMessage(tx.db, message.id, ['queued'], { status: 'canceled', error_message: why, updated_at: nowIso });
    // Someone else moved it (an opt-out canceled it, say): it is not ours to put back.
    if (!canceled) return;
    await ctx.events.publish(
      tx,
      liveEvent('message.status', account.id, { conversationId: message.conversation_id, messageId: message.id, status: 'canceled', errorCode: null }, now),
    );
    await insertEvent(tx.db, {
      account_id: account.id,
      type: 'message.canceled',
      subject_type: 'message',
      subject_id: message.id,
      actor: 'system',
      data: JSON.stringify({ reason: why, explanation: decision.explanation }),
      created_at: nowIso,
    });
    if (!link) return;
    // A completed run comes back only if no other run has started on the conversation since.
    if (link.after.status === 'completed' && (await repo.findLiveRunFor(tx.db, account.id, message.conversation_id))) return;
    const reopened = await repo.updateRunIf(
      tx.db,
      account.id,
      link.runId,
      { status: link.after.status, stepIndex: link.after.stepIndex },
      { status: 'active', step_index: link.stepIndex, next_run_at: decision.until.toISOString(), last_deferral: decision.explanation, updated_at: nowIso },
    );
    if (!reopened) return;
    await insertEvent(tx.db, {
      account_id: account.id,
      type: 'follow_up.deferred',
      subject_type: 'sequence_run',
      subject_id: link.runId,
      actor: 'system',
      data: JSON.stringify({
        reason: decision.reason,
        until: decision.until.toISOString(),
        explanation: decision.explanation,
        stepIndex: link.stepIndex,
        canceledMessageId: message.id,
      }),
      created_at: nowIso,
    });
    await ctx.events.publish(tx, liveEvent('conversation.updated', account.id, { conversationId: message.conversation_id, change: 'automation' }, now));
  });
  ctx.metrics.sendResults.inc({ result: 'canceled' });
  return true;
}

// ── Reading and stopping runs (the API) ───────────────────────────────────────────────────────

export interface RunView {
  id: string;
  sequenceId: string;
  conversationId: string;
  contactId: string;
  leadId: string | null;
  lineId: string;
  triggerMessageId: string | null;
  status: SequenceRunStatus;
  /** The step the run is on (the next send while active). */
  stepIndex: number;
  stepCount: number;
  sendsDone: number;
  sendsTotal: number;
  /** The send that is due next (while active). */
  nextStep: { index: number; body: string } | null;
  nextRunAt: string | null;
  /** Why the current step was held (lawful hours, a cap), in plain words. */
  lastDeferral: string | null;
  stopReason: string | null;
  stopExplanation: string | null;
  createdAt: string;
  updatedAt: string;
}

export function presentRun(run: SequenceRun): RunView {
  const steps = parseSteps(run.steps);
  const sendsTotal = steps.filter((s) => s.type === 'send').length;
  const sendsDone = steps.slice(0, run.step_index).filter((s) => s.type === 'send').length;
  const pending = steps[run.step_index];
  const live = run.status === 'active' || run.status === 'paused';
  return {
    id: run.id,
    sequenceId: run.sequence_id,
    conversationId: run.conversation_id,
    contactId: run.contact_id,
    leadId: run.lead_id,
    lineId: run.line_id,
    triggerMessageId: run.trigger_message_id,
    status: run.status,
    stepIndex: run.step_index,
    stepCount: steps.length,
    sendsDone,
    sendsTotal,
    nextStep: live && pending?.type === 'send' ? { index: run.step_index, body: pending.body } : null,
    nextRunAt: run.next_run_at,
    lastDeferral: run.last_deferral,
    stopReason: run.stop_reason,
    stopExplanation: run.stop_reason ? (STOP_EXPLANATIONS[run.stop_reason as StopReason] ?? null) : null,
    createdAt: run.created_at,
    updatedAt: run.updated_at,
  };
}

export async function listSequenceRuns(
  ctx: ServiceContext,
  accountId: string,
  sequenceId: string,
  filter: { status?: SequenceRunStatus; before?: PageCursor; limit: number },
): Promise<RunView[]> {
  const rows = await repo.listRuns(ctx.store.db, { accountId, sequenceId, ...filter });
  return rows.map(presentRun);
}

export async function listConversationFollowUps(ctx: ServiceContext, accountId: string, conversationId: string, limit = 50): Promise<RunView[]> {
  const conversation = await findConversation(ctx.store.db, accountId, conversationId);
  if (!conversation) throw notFound(`conversation ${conversationId}`);
  const rows = await repo.listRuns(ctx.store.db, { accountId, conversationId, limit });
  return rows.map(presentRun);
}

/** Stops one run by hand (reason stopped_by_user); 409 when it already ended. */
export async function stopRunByHand(ctx: ServiceContext, actor: { accountId: string; userId: string }, runId: string): Promise<RunView> {
  return ctx.store.transaction(async (tx) => {
    const run = await repo.findRun(tx.db, actor.accountId, runId);
    if (!run) throw notFound(`follow-up run ${runId}`);
    const [stopped] = await stopRuns(ctx, tx, actor.accountId, { runId }, 'stopped_by_user', `user:${actor.userId}`);
    if (!stopped) {
      throw new AppError('conflict', `follow-up run ${runId} is already ${run.status}${run.stop_reason ? ` (${run.stop_reason})` : ''}; there is nothing to stop`);
    }
    return presentRun(stopped);
  });
}

// ── Wiring ────────────────────────────────────────────────────────────────────────────────────

export function installFollowUps(ctx: ServiceContext, reg: ModuleRegistry): void {
  reg.hooks.on('call.missed', 'follow-ups', (c, tx, data) => enroll(c, tx, data));

  reg.hooks.on('message.received', 'follow-ups', async (c, tx, data) => {
    const reason: StopReason = data.reading.intent === 'opt_out' ? 'opted_out' : 'replied';
    await stopRuns(c, tx, data.account.id, { contactId: data.contact.id }, reason, 'contact');
  });
  reg.hooks.on('contact.opted_out', 'follow-ups', async (c, tx, data) => {
    await stopRuns(c, tx, data.account.id, { contactId: data.contact.id }, 'opted_out', 'contact');
  });
  reg.hooks.on('message.sent_by_person', 'follow-ups', async (c, tx, data) => {
    await stopRuns(c, tx, data.account.id, { contactId: data.contact.id }, 'person_replied', `user:${data.userId}`);
  });
  reg.hooks.on('lead.stage_changed', 'follow-ups', async (c, tx, data) => {
    const reason = STAGE_STOPS[data.to];
    if (reason) await stopRuns(c, tx, data.account.id, { contactId: data.lead.contact_id }, reason, data.actor);
  });
  reg.hooks.on('call.outbound', 'follow-ups', async (c, tx, data) => {
    if (data.contact) await stopRuns(c, tx, data.account.id, { contactId: data.contact.id }, 'person_called', 'system');
  });

  reg.scheduler.register(DUE_WORK_NAME, (now) => runDueSteps(ctx, now));
}
