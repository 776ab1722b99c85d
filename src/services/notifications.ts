// Owner alerts. A happening (a reply, a missed call, a task reminder or escalation) becomes one
// notification row per (member, channel), written in the happening's own transaction with its
// delivery job, so an alert exists if and only if the happening does, and a replay (same
// dedupe_key) adds nothing. Rows in quiet time or bound for a digest wait as 'held'; the
// scheduler releases them when due. Delivery is a job per row: the row is the idempotency record
// (marked 'sending' before the carrier is asked; an ambiguous failure is reconciled with the
// carrier by the row's id before sending again).
import { CarrierError } from '../carriers/carrier.ts';
import {
  buildAlert,
  buildDigest,
  findEmergencyWord,
  planAlertTiming,
  renderAlertEmail,
  type AlertKind,
  type AlertMessage,
  type Who,
} from '../domain/alerts.ts';
import { explainCarrierError } from '../domain/carrier-errors.ts';
import { RetryLaterError, type TaskDefinition } from '../jobs/job-queue.ts';
import { findAccount } from '../store/accounts-repository.ts';
import { insertEvent } from '../store/contacts-repository.ts';
import { findConversationFor, updateConversation } from '../store/conversations-repository.ts';
import type { Tx } from '../store/database.ts';
import { newId } from '../store/ids.ts';
import { findAccountLine, listLines } from '../store/lines-repository.ts';
import * as repo from '../store/notifications-repository.ts';
import type { PageCursor } from '../store/paging.ts';
import type { Account, Notification, NotificationChannel, NotificationStatus } from '../store/schema.ts';
import { findMember, listMembers } from '../store/team-repository.ts';
import { settingsOf } from './account-settings.ts';
import type { ModuleRegistry, ServiceContext } from './context.ts';
import type { HookData } from './hooks.ts';
import { liveEvent } from './live-events.ts';
import { withPrefs, type TeamMember } from './team.ts';

export const DELIVER_NOTIFICATION_TASK = 'deliver-notification';

/** What a notification row's content column holds: the alert, and where and how it goes. */
export interface AlertContent extends AlertMessage {
  /** The member's cell (sms) or email address when the alert was raised. */
  to: string;
  /** The line the text goes out from. */
  lineId: string | null;
  conversationId: string | null;
  /** Goes into the member's digest when due, rather than on its own. */
  fold?: boolean;
  /** A digest: the notifications it folds. */
  items?: string[];
}

const HELD_BATCH = 500;
/** An owner alert that cannot reach the phone within an hour is no longer worth a text. */
const ALERT_SMS_VALIDITY_SECONDS = 3600;
const NO_MAILER = 'email is not set up on this server (set RINGBACK_SMTP_URL), so this alert was not emailed';

export function installOwnerAlerts(ctx: ServiceContext, reg: ModuleRegistry): void {
  reg.hooks.on('message.received', 'owner-alerts', onMessageReceived);
  reg.hooks.on('call.missed', 'owner-alerts', onCallMissed);
  reg.hooks.on('task.reminder', 'owner-alerts', (c, tx, d) => onTask(c, tx, d, 'task.reminder'));
  reg.hooks.on('task.overdue', 'owner-alerts', (c, tx, d) => onTask(c, tx, d, 'task.overdue'));
  reg.scheduler.register('owner-alerts', (now) => releaseDueAlerts(ctx, now));
  reg.runner.register(DELIVER_NOTIFICATION_TASK, createDeliverNotificationTask(ctx));
}

// ---------------------------------------------------------------------------------------------
// Raising alerts (inside the happening's transaction)

export interface Recipient {
  member: TeamMember;
  channels: NotificationChannel[];
  /** Goes at once, whatever the member's quiet time or digest (emergencies). */
  urgent: boolean;
}

export interface RaiseAlert {
  account: Account;
  recipients: Recipient[];
  alert: AlertMessage;
  /** Names the happening: with the member and channel, it is the dedupe key. */
  happening: string;
  subject: { type: string; id: string };
  lineId: string | null;
  conversationId: string | null;
}

const channelsOf = (m: TeamMember): NotificationChannel[] => [...(m.prefs.sms ? (['sms'] as const) : []), ...(m.prefs.email ? (['email'] as const) : [])];

/** Inserts the rows (skipping ones already there) and enqueues the ones due now; returns how many were new. */
export async function raiseAlert(ctx: ServiceContext, tx: Tx, r: RaiseAlert): Promise<number> {
  const now = ctx.clock();
  let created = 0;
  for (const { member, channels, urgent } of r.recipients) {
    for (const channel of channels) {
      const to = channel === 'sms' ? member.phone : member.email;
      const skip = !to
        ? 'this member has no phone number for text alerts'
        : channel === 'email' && !ctx.mailer
          ? NO_MAILER
          : channel === 'sms' && !r.lineId
            ? 'the account has no line to text from'
            : null;
      const timing = skip ? null : planAlertTiming({ now, prefs: member.prefs, timeZone: r.account.time_zone, urgent });
      const status: NotificationStatus = skip ? 'skipped' : timing!.status;
      const content: AlertContent = {
        ...r.alert,
        to: to ?? '',
        lineId: r.lineId,
        conversationId: r.conversationId,
        ...(timing?.fold ? { fold: true } : {}),
      };
      const id = newId('ntf');
      const inserted = await repo.insertNotification(tx.db, {
        id,
        account_id: r.account.id,
        user_id: member.userId,
        channel,
        kind: r.alert.kind,
        subject_type: r.subject.type,
        subject_id: r.subject.id,
        dedupe_key: `${r.happening}:${member.userId}:${channel}`,
        content: JSON.stringify(content),
        status,
        deliver_after: (timing?.deliverAfter ?? now).toISOString(),
        error: skip,
        created_at: now.toISOString(),
        updated_at: now.toISOString(),
      });
      if (!inserted) continue;
      created++;
      if (status === 'pending') await enqueueDelivery(ctx, tx, id);
    }
  }
  return created;
}

async function enqueueDelivery(ctx: ServiceContext, tx: Tx, notificationId: string): Promise<void> {
  await ctx.jobs.enqueue(tx, { task: DELIVER_NOTIFICATION_TASK, payload: { notificationId }, jobKey: `notif:${notificationId}` });
}

async function teamOf(tx: Tx, accountId: string): Promise<TeamMember[]> {
  return (await listMembers(tx.db, accountId)).map(withPrefs);
}

const subscribedTo = (members: TeamMember[], event: AlertKind, exclude: Set<string> = new Set()): Recipient[] =>
  members
    .filter((m) => !exclude.has(m.userId) && (m.prefs.events as string[]).includes(event))
    .map((member) => ({ member, channels: channelsOf(member), urgent: false }));

async function onMessageReceived(ctx: ServiceContext, tx: Tx, d: HookData['message.received']): Promise<void> {
  // STOP, START and HELP are answered by the system; they are not a lead talking to the owner.
  if (d.reading.intent === 'opt_out' || d.reading.intent === 'opt_in' || d.reading.intent === 'help') return;
  const members = await teamOf(tx, d.account.id);
  if (members.length === 0) return;
  const who: Who = { name: d.contact.name, number: d.contact.number };
  const common = {
    account: d.account,
    // Keyed by the carrier's id, not ours: a carrier retry that races past the inbound dedupe
    // (two transactions at once on Postgres) still alerts once.
    happening: d.message.carrier_message_id ? `msg:${d.line.id}:${d.message.carrier_message_id}` : `msg:${d.message.id}`,
    subject: { type: 'message', id: d.message.id },
    lineId: d.line.id,
    conversationId: d.conversation.id,
  };
  const alerted = new Set<string>();
  const matched = findEmergencyWord(d.message.body, settingsOf(d.account).emergencyWords);
  if (matched) {
    const alert = buildAlert({ kind: 'emergency', who, words: d.message.body, matched });
    // Page whoever is on call (else the owners) on every channel at once: a flooding basement
    // does not wait for the morning.
    const onCall = members.filter((m) => m.prefs.onCall);
    const paged = onCall.length > 0 ? onCall : members.filter((m) => m.role === 'owner');
    await raiseAlert(ctx, tx, { ...common, alert, recipients: paged.map((member) => ({ member, channels: ['sms', 'email'], urgent: true })) });
    for (const m of paged) alerted.add(m.userId);
    // Others who asked to hear about emergencies do, on their own terms (quiet time, digest).
    const others = subscribedTo(members, 'emergency', alerted);
    await raiseAlert(ctx, tx, { ...common, alert, recipients: others });
    for (const r of others) alerted.add(r.member.userId);
    await flagEmergency(ctx, tx, d, matched, paged);
  }
  const alert = buildAlert({ kind: 'message.received', who, words: d.message.body });
  await raiseAlert(ctx, tx, { ...common, alert, recipients: subscribedTo(members, 'message.received', alerted) });
}

async function flagEmergency(ctx: ServiceContext, tx: Tx, d: HookData['message.received'], matched: string, paged: TeamMember[]): Promise<void> {
  const now = ctx.clock();
  const names = paged.map((m) => m.name ?? m.email).join(', ') || 'nobody (the account has no owner)';
  const reason = `The contact's words look urgent ("${matched}"). Paged: ${names}.`;
  await updateConversation(tx.db, d.conversation.id, { needs_attention: 1, attention_reason: reason, updated_at: now.toISOString() });
  await insertEvent(tx.db, {
    account_id: d.account.id,
    type: 'alert.emergency',
    subject_type: 'conversation',
    subject_id: d.conversation.id,
    actor: 'system',
    data: JSON.stringify({ messageId: d.message.id, matched, paged: paged.map((m) => m.userId) }),
    created_at: now.toISOString(),
  });
  await ctx.events.publish(tx, liveEvent('conversation.updated', d.account.id, { conversationId: d.conversation.id, change: 'flag' }, now));
}

async function onCallMissed(ctx: ServiceContext, tx: Tx, d: HookData['call.missed']): Promise<void> {
  const members = await teamOf(tx, d.account.id);
  const recipients = subscribedTo(members, 'call.missed');
  if (recipients.length === 0) return;
  const who: Who = { name: d.contact?.name ?? null, number: d.contact?.number ?? d.call.from_number };
  const conversation = d.contact ? await findConversationFor(tx.db, d.line.id, d.contact.id) : undefined;
  const alert = buildAlert({
    kind: 'call.missed',
    who,
    lineName: d.line.name,
    textedBack: d.decision.action === 'send',
    skipReason: d.decision.action === 'skip' ? d.decision.reason.replaceAll('_', ' ') : null,
    voicemailTranscript: d.call.voicemail_transcript,
  });
  await raiseAlert(ctx, tx, {
    account: d.account,
    recipients,
    alert,
    happening: `call:${d.call.id}`,
    subject: { type: 'call', id: d.call.id },
    lineId: d.line.id,
    conversationId: conversation?.id ?? null,
  });
}

async function onTask(ctx: ServiceContext, tx: Tx, d: HookData['task.reminder'], kind: 'task.reminder' | 'task.overdue'): Promise<void> {
  const { task } = d;
  const members = await teamOf(tx, d.account.id);
  const assignee = task.assignee_user_id ? members.find((m) => m.userId === task.assignee_user_id) : undefined;
  // A reminder is for the person who has to do it (else the people who run the team); an
  // escalation goes over their head, to the owners and admins.
  const audience = kind === 'task.reminder' && assignee ? [assignee] : members.filter((m) => m.role === 'owner' || m.role === 'admin');
  const recipients = subscribedTo(audience, kind);
  if (recipients.length === 0) return;
  const lineId = task.line_id ?? (await listLines(tx.db, d.account.id))[0]?.id ?? null;
  const alert = buildAlert({
    kind,
    who: { name: d.contact?.name ?? null, number: d.contact?.number ?? null },
    title: task.title,
    dueAt: task.due_at ? new Date(task.due_at) : null,
    timeZone: d.account.time_zone,
    assigneeName: assignee ? (assignee.name ?? assignee.email) : null,
  });
  await raiseAlert(ctx, tx, {
    account: d.account,
    recipients,
    alert,
    // Each reminder of a task is its own happening; an escalation happens once.
    happening: kind === 'task.reminder' ? `task.reminder:${task.id}:${task.reminders_sent}` : `task.overdue:${task.id}`,
    subject: { type: 'task', id: task.id },
    lineId,
    conversationId: task.conversation_id,
  });
}

/**
 * Tells the owners and admins (by email, at most once a day per endpoint) that an endpoint's
 * deliveries have stopped getting through. Runs in the transaction that marks the delivery failed.
 */
export async function alertWebhookFailure(
  ctx: ServiceContext,
  tx: Tx,
  f: { accountId: string; endpointId: string; url: string; eventType: string; attempts: number; lastError: string },
): Promise<void> {
  const account = await findAccount(tx.db, f.accountId);
  if (!account) return;
  const members = (await teamOf(tx, f.accountId)).filter((m) => (m.role === 'owner' || m.role === 'admin') && m.prefs.email);
  if (members.length === 0) return;
  const day = ctx.clock().toISOString().slice(0, 10);
  await raiseAlert(ctx, tx, {
    account,
    recipients: members.map((member) => ({ member, channels: ['email'], urgent: false })),
    alert: buildAlert({ kind: 'webhook.failed', url: f.url, eventType: f.eventType, attempts: f.attempts, lastError: f.lastError }),
    happening: `webhook.failed:${f.endpointId}:${day}`,
    subject: { type: 'webhook_endpoint', id: f.endpointId },
    lineId: null,
    conversationId: null,
  });
}

// ---------------------------------------------------------------------------------------------
// Due work: held alerts whose time came, digests

function contentOf(n: Pick<Notification, 'content'>): AlertContent {
  return JSON.parse(n.content) as AlertContent;
}

/** Releases held alerts that are due: one by one, or folded into one digest per member and channel. */
export async function releaseDueAlerts(ctx: ServiceContext, now: Date): Promise<number> {
  const due = await repo.listDueHeld(ctx.store.db, now.toISOString(), HELD_BATCH);
  const groups = new Map<string, Notification[]>();
  const singles: Notification[] = [];
  for (const n of due) {
    if (!contentOf(n).fold) {
      singles.push(n);
      continue;
    }
    const key = `${n.account_id}|${n.user_id}|${n.channel}`;
    groups.set(key, [...(groups.get(key) ?? []), n]);
  }
  for (const group of groups.values()) {
    // A digest of one is just that alert.
    if (group.length === 1) singles.push(group[0]!);
  }
  let acted = 0;
  for (const n of singles) {
    const at = ctx.clock().toISOString();
    await ctx.store.transaction(async (tx) => {
      // Guarded: another process's scheduler may release the same row; only one moves it.
      if (await repo.transitionNotification(tx.db, n.id, ['held'], { status: 'pending', updated_at: at })) {
        await enqueueDelivery(ctx, tx, n.id);
        acted++;
      }
    });
  }
  for (const group of groups.values()) {
    if (group.length < 2) continue;
    await ctx.store.transaction(async (tx) => {
      const at = ctx.clock().toISOString();
      const claimed = new Set(await repo.claimHeld(tx.db, group.map((n) => n.id), { status: 'digested', updated_at: at }));
      const rows = group.filter((n) => claimed.has(n.id));
      if (rows.length === 0) return;
      const contents = rows.map(contentOf);
      const first = rows[0]!;
      const id = newId('ntf');
      const digest: AlertContent = {
        ...buildDigest(contents),
        to: contents[0]!.to,
        lineId: contents.find((c) => c.lineId)?.lineId ?? null,
        conversationId: null,
        items: rows.map((n) => n.id),
      };
      await repo.insertNotification(tx.db, {
        id,
        account_id: first.account_id,
        user_id: first.user_id,
        channel: first.channel,
        kind: 'digest',
        subject_type: 'notifications',
        subject_id: first.id,
        dedupe_key: `digest:${id}`,
        content: JSON.stringify(digest),
        status: 'pending',
        deliver_after: at,
        created_at: at,
        updated_at: at,
      });
      await enqueueDelivery(ctx, tx, id);
      acted += rows.length;
    });
  }
  return acted;
}

// ---------------------------------------------------------------------------------------------
// Delivery

const DELIVERABLE: NotificationStatus[] = ['pending', 'sending'];

function createDeliverNotificationTask(ctx: ServiceContext): TaskDefinition {
  const finish = (id: string, status: NotificationStatus, extra: { error?: string | null; carrier_message_id?: string } = {}) => {
    const at = ctx.clock().toISOString();
    return repo.transitionNotification(ctx.store.db, id, DELIVERABLE, {
      status,
      ...extra,
      ...(status === 'sent' ? { sent_at: at, error: null } : {}),
      updated_at: at,
    });
  };

  /** Marks the row 'sending' (one more attempt) before anything leaves; false if someone else has it. */
  const markSending = (n: Notification) =>
    repo.transitionNotification(ctx.store.db, n.id, [n.status], { status: 'sending', attempts: n.attempts + 1, updated_at: ctx.clock().toISOString() });

  const deliverSms = async (n: Notification, content: AlertContent) => {
    const line = content.lineId ? await findAccountLine(ctx.store.db, n.account_id, content.lineId) : undefined;
    if (!line) return void (await finish(n.id, 'failed', { error: 'the line this alert was to be texted from no longer exists' }));
    const connection = await ctx.carriers.connection(ctx.store.db, line.carrier_connection_id);
    if (!connection) return void (await finish(n.id, 'failed', { error: 'the line\'s carrier connection no longer exists' }));
    const carrier = ctx.carriers.adapterFor(connection);
    // No status callback: the alert is done when the carrier takes it, and a receipt for a
    // message that is not in the messages table would only be refused.
    const outbound = { ref: n.id, from: line.number, to: content.to, body: content.sms, validitySeconds: ALERT_SMS_VALIDITY_SECONDS };
    if (n.status === 'sending') {
      // A previous attempt may have reached the carrier (a timeout, a crash): ask before resending.
      const found = await carrier.findSentMessage(outbound);
      if (found) return void (await finish(n.id, 'sent', { carrier_message_id: found.carrierMessageId }));
    }
    if (!(await markSending(n))) return;
    let result;
    try {
      result = await carrier.sendMessage(outbound);
    } catch (err) {
      if (!(err instanceof CarrierError)) throw err;
      if (err.kind === 'permanent') return void (await finish(n.id, 'failed', { error: explainCarrierError(err.code, err.message) }));
      // Definitely not taken: back to pending, so the next attempt need not reconcile. An
      // ambiguous failure stays 'sending' and is reconciled.
      if (err.kind === 'retryable') await repo.transitionNotification(ctx.store.db, n.id, ['sending'], { status: 'pending', error: err.message, updated_at: ctx.clock().toISOString() });
      throw new RetryLaterError(`carrier: ${err.message}`, err.retryAfterMs ?? 0, { cause: err });
    }
    await finish(n.id, 'sent', { carrier_message_id: result.carrierMessageId });
  };

  const deliverEmail = async (n: Notification, content: AlertContent) => {
    if (!ctx.mailer) return void (await finish(n.id, 'skipped', { error: NO_MAILER }));
    if (!(await markSending(n))) return;
    const base = ctx.config.publicUrl;
    const email = renderAlertEmail(content, { conversationUrl: base && content.conversationId ? `${base}/inbox/${content.conversationId}` : null });
    try {
      // The same Message-ID on every attempt: SMTP cannot be asked "did you get it?", so a retry
      // after a lost answer may deliver twice, and mail clients fold such duplicates.
      await ctx.mailer.send({ to: content.to, ...email, messageId: `<${n.id}@ringback.alerts>` });
    } catch (err) {
      const code = (err as { responseCode?: number }).responseCode;
      const message = (err as Error).message;
      // 5xx: the server refused this mail for good (bad address, policy); anything else may pass later.
      if (code !== undefined && code >= 500 && code < 600) return void (await finish(n.id, 'failed', { error: `the mail server refused it: ${message}` }));
      await repo.transitionNotification(ctx.store.db, n.id, ['sending'], { status: 'pending', error: message, updated_at: ctx.clock().toISOString() });
      throw new Error(`email: ${message}`, { cause: err });
    }
    await finish(n.id, 'sent');
  };

  return {
    async run(payload) {
      const n = await repo.findNotification(ctx.store.db, String(payload.notificationId));
      if (!n || !DELIVERABLE.includes(n.status)) return;
      // Someone who left the team since (a held alert, a retry) no longer hears about its leads.
      if (!(await findMember(ctx.store.db, n.account_id, n.user_id))) {
        return void (await finish(n.id, 'skipped', { error: 'the person is no longer a member of the team' }));
      }
      const content = contentOf(n);
      if (n.channel === 'sms') await deliverSms(n, content);
      else await deliverEmail(n, content);
    },
    async onExhausted(payload, error) {
      await finish(String(payload.notificationId), 'failed', { error: `could not be delivered after repeated attempts: ${error.message}` });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The delivery log

export interface NotificationView {
  id: string;
  kind: string;
  channel: NotificationChannel;
  userId: string;
  to: string;
  title: string;
  status: NotificationStatus;
  error: string | null;
  subject: { type: string; id: string };
  deliverAfter: string;
  attempts: number;
  sentAt: string | null;
  createdAt: string;
  updatedAt: string;
  /** A digest: the alerts it folds. */
  items?: string[];
}

export function presentNotification(n: Notification): NotificationView {
  const content = contentOf(n);
  return {
    id: n.id,
    kind: n.kind,
    channel: n.channel,
    userId: n.user_id,
    to: content.to,
    title: content.title,
    status: n.status,
    error: n.error,
    subject: { type: n.subject_type, id: n.subject_id },
    deliverAfter: n.deliver_after,
    attempts: n.attempts,
    sentAt: n.sent_at,
    createdAt: n.created_at,
    updatedAt: n.updated_at,
    ...(content.items ? { items: content.items } : {}),
  };
}

export async function listAccountNotifications(
  ctx: ServiceContext,
  accountId: string,
  f: { limit: number; before?: PageCursor; userId?: string },
): Promise<NotificationView[]> {
  return (await repo.listNotifications(ctx.store.db, { accountId, ...f })).map(presentNotification);
}
