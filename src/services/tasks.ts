// Callback tasks: a missed call from a new lead opens "Call back Jane Doe (305) 555-0123", due
// within the account's callback time (domain/callback-task.ts); the assignee is reminded before
// it is due and the owners are told when it is overdue (the owner-alerts module listens to
// task.reminder and task.overdue); a call to the contact that reaches them closes it. People
// also add, edit, finish and reopen tasks by hand through the API.
import { callbackDueAt, nextCheckAt, planTaskCheck, type TaskTimingState } from '../domain/callback-task.ts';
import { formatPhoneForDisplay } from '../domain/phone.ts';
import { findAccount } from '../store/accounts-repository.ts';
import { findContact, insertEvent } from '../store/contacts-repository.ts';
import { findConversationFor } from '../store/conversations-repository.ts';
import type { Tx } from '../store/database.ts';
import { newId } from '../store/ids.ts';
import type { PageCursor } from '../store/paging.ts';
import type { Account, Contact, Task, TasksTable } from '../store/schema.ts';
import {
  claimTaskCheck,
  findDueTaskChecks,
  findOpenCallbackTask,
  findTask,
  insertTaskOnce,
  isMember,
  listOpenCallbackTasks,
  listTaskEvents,
  listTasks,
  updateTask,
} from '../store/tasks-repository.ts';
import type { Updateable } from 'kysely';
import type { Principal } from './access.ts';
import { scheduleOf, settingsOf, type CallbackTaskSettings } from './account-settings.ts';
import type { ModuleRegistry, ServiceContext } from './context.ts';
import { AppError, conflict, notFound, unprocessable } from './errors.ts';
import type { HookData } from './hooks.ts';
import { liveEvent, type LiveEventData } from './live-events.ts';

export const TASK_KINDS = ['todo', 'callback'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

/** Due checks handled per query, and queries per tick (a backlog drains over a few ticks). */
const CHECK_BATCH = 100;
const CHECK_ROUNDS = 10;

type TaskChange = LiveEventData['task.updated']['change'];

export interface TaskView {
  id: string;
  kind: string;
  title: string;
  status: Task['status'];
  dueAt: string | null;
  /** Open and past its due time. */
  overdue: boolean;
  assigneeUserId: string | null;
  contactId: string | null;
  leadId: string | null;
  conversationId: string | null;
  lineId: string | null;
  callId: string | null;
  remindersSent: number;
  nextReminderAt: string | null;
  escalatedAt: string | null;
  completedAt: string | null;
  /** 'user:<id>', 'call:<id>' (a call reached the contact), 'system'. */
  completedBy: string | null;
  createdAt: string;
  updatedAt: string | null;
}

export function presentTask(task: Task, now: Date): TaskView {
  return {
    id: task.id,
    kind: task.kind,
    title: task.title,
    status: task.status,
    dueAt: task.due_at,
    overdue: task.status === 'open' && task.due_at !== null && task.due_at < now.toISOString(),
    assigneeUserId: task.assignee_user_id,
    contactId: task.contact_id,
    leadId: task.lead_id,
    conversationId: task.conversation_id,
    lineId: task.line_id,
    callId: task.call_id,
    remindersSent: task.reminders_sent,
    nextReminderAt: task.next_reminder_at,
    escalatedAt: task.escalated_at,
    completedAt: task.completed_at,
    completedBy: task.completed_by,
    createdAt: task.created_at,
    updatedAt: task.updated_at,
  };
}

export function callbackTitle(contact: Pick<Contact, 'name' | 'number'>): string {
  const number = formatPhoneForDisplay(contact.number);
  return contact.name ? `Call back ${contact.name} ${number}` : `Call back ${number}`;
}

function timingState(task: Pick<Task, 'due_at' | 'reminders_sent' | 'escalated_at'>): TaskTimingState {
  return {
    dueAt: task.due_at ? new Date(task.due_at) : null,
    remindersSent: task.reminders_sent,
    escalatedAt: task.escalated_at ? new Date(task.escalated_at) : null,
  };
}

const checkTimeOf = (task: Pick<Task, 'due_at' | 'reminders_sent' | 'escalated_at'>, timing: CallbackTaskSettings): string | null =>
  nextCheckAt(timingState(task), timing)?.toISOString() ?? null;

/** The audit record and the live event of one change to a task, in its transaction. */
async function recordTaskChange(ctx: ServiceContext, tx: Tx, task: Task, change: TaskChange, type: string, actor: string, data: Record<string, unknown>): Promise<void> {
  const now = ctx.clock();
  await insertEvent(tx.db, {
    account_id: task.account_id,
    type,
    subject_type: 'task',
    subject_id: task.id,
    actor,
    data: JSON.stringify({ kind: task.kind, contactId: task.contact_id, ...data }),
    created_at: now.toISOString(),
  });
  await ctx.events.publish(
    tx,
    liveEvent('task.updated', task.account_id, { taskId: task.id, status: task.status, change, contactId: task.contact_id, dueAt: task.due_at }, now),
  );
}

// ---------------------------------------------------------------------------------------------
// What happenings do to tasks

/** A missed call opened a new lead: the team owes them a call. In the call's transaction. */
async function openCallbackTask(ctx: ServiceContext, tx: Tx, data: HookData['call.missed']): Promise<void> {
  const { account, line, call, contact, lead } = data;
  if (!data.leadCreated || !contact || !lead) return;
  const timing = settingsOf(account).callbackTasks;
  if (!timing.enabled) return;
  const now = ctx.clock().toISOString();
  const due = callbackDueAt(new Date(call.started_at), scheduleOf(account), timing);
  // The text-back (when sent) opened the conversation just before; whoever owns it owns the callback.
  const conversation = await findConversationFor(tx.db, line.id, contact.id);
  const task = await insertTaskOnce(tx.db, {
    id: newId('task'),
    account_id: account.id,
    contact_id: contact.id,
    lead_id: lead.id,
    conversation_id: conversation?.id ?? null,
    line_id: line.id,
    call_id: call.id,
    kind: 'callback',
    title: callbackTitle(contact),
    due_at: due.toISOString(),
    assignee_user_id: conversation?.assignee_user_id ?? null,
    status: 'open',
    next_reminder_at: checkTimeOf({ due_at: due.toISOString(), reminders_sent: 0, escalated_at: null }, timing),
    reminders_sent: 0,
    escalated_at: null,
    completed_by: null,
    created_at: now,
    updated_at: now,
    completed_at: null,
  });
  // Undefined: a callback for this contact is still open (an earlier lead's); one is enough.
  if (task) await recordTaskChange(ctx, tx, task, 'created', 'task.created', 'system', { callId: call.id, leadId: lead.id, dueAt: task.due_at });
}

/**
 * Someone at the business called the contact. Reaching them (answered, or a voicemail left)
 * closes their open callback; a call that did not get through is noted on the task, which stays
 * open. A call that was over before the missed call that opened the task came in (a late
 * report) does not count for it.
 */
async function followOutboundCall(ctx: ServiceContext, tx: Tx, data: HookData['call.outbound']): Promise<void> {
  const { account, call, contact } = data;
  if (!contact) return;
  const callEnded = call.ended_at ?? call.started_at;
  const tasks = (await listOpenCallbackTasks(tx.db, account.id, contact.id)).filter((t) => t.call_started_at === null || t.call_started_at <= callEnded);
  const reached = call.outcome === 'answered' || call.outcome === 'voicemail';
  const by = `call:${call.id}`;
  const now = ctx.clock().toISOString();
  for (const { call_started_at: _, ...task } of tasks) {
    if (!reached) {
      await insertEvent(tx.db, {
        account_id: account.id,
        type: 'task.call_attempted',
        subject_type: 'task',
        subject_id: task.id,
        actor: by,
        data: JSON.stringify({ callId: call.id, outcome: call.outcome }),
        created_at: now,
      });
      continue;
    }
    const done = await updateTask(
      tx.db,
      account.id,
      task.id,
      { status: 'done', completed_at: now, completed_by: by, next_reminder_at: null, updated_at: now },
      { status: 'open' },
    );
    if (done) await recordTaskChange(ctx, tx, done, 'done', 'task.completed', by, { callId: call.id, outcome: call.outcome });
  }
}

// ---------------------------------------------------------------------------------------------
// Reminders and escalations

/** One due check, claimed and acted on in one transaction (so it fires once, with its effects). */
async function checkTask(ctx: ServiceContext, task: Task, now: Date): Promise<boolean> {
  return ctx.store.transaction(async (tx) => {
    const account = await findAccount(tx.db, task.account_id);
    if (!account) return false;
    const plan = planTaskCheck(timingState(task), settingsOf(account).callbackTasks, now);
    const nowIso = now.toISOString();
    const next = plan.nextCheckAt?.toISOString() ?? null;
    const patch: Updateable<TasksTable> =
      plan.action === 'remind'
        ? { reminders_sent: task.reminders_sent + 1, next_reminder_at: next, updated_at: nowIso }
        : plan.action === 'escalate'
          ? { escalated_at: nowIso, next_reminder_at: null, updated_at: nowIso }
          : // The settings changed since this check was planned: only re-plan.
            { next_reminder_at: next };
    const claimed = await claimTaskCheck(tx.db, task.account_id, task.id, task.next_reminder_at!, patch);
    if (!claimed || plan.action === 'wait') return false;
    const contact = claimed.contact_id ? ((await findContact(tx.db, account.id, claimed.contact_id)) ?? null) : null;
    if (plan.action === 'remind') {
      await recordTaskChange(ctx, tx, claimed, 'reminded', 'task.reminded', 'system', { dueAt: claimed.due_at, assigneeUserId: claimed.assignee_user_id });
      await ctx.hooks.emit(ctx, tx, 'task.reminder', { account, task: claimed, contact });
    } else {
      await recordTaskChange(ctx, tx, claimed, 'escalated', 'task.escalated', 'system', { dueAt: claimed.due_at, assigneeUserId: claimed.assignee_user_id });
      await ctx.hooks.emit(ctx, tx, 'task.overdue', { account, task: claimed, contact });
    }
    return true;
  });
}

/** Due work 'tasks.reminders': every task whose check time has come. */
export async function runTaskChecks(ctx: ServiceContext, now: Date): Promise<number> {
  let acted = 0;
  for (let round = 0; round < CHECK_ROUNDS; round++) {
    const due = await findDueTaskChecks(ctx.store.db, now.toISOString(), CHECK_BATCH);
    for (const task of due) {
      try {
        if (await checkTask(ctx, task, now)) acted++;
      } catch (err) {
        // One task's failure (say, an alert that cannot be written) must not hold up the rest;
        // its check time is unchanged, so the next tick tries it again.
        ctx.logger.error({ err, taskId: task.id }, 'task check failed');
      }
    }
    if (due.length < CHECK_BATCH) break;
  }
  return acted;
}

export function installCallbackTasks(ctx: ServiceContext, reg: ModuleRegistry): void {
  reg.hooks.on('call.missed', 'callback-tasks', openCallbackTask);
  reg.hooks.on('call.outbound', 'callback-tasks', followOutboundCall);
  reg.scheduler.register('tasks.reminders', (now) => runTaskChecks(ctx, now));
}

// ---------------------------------------------------------------------------------------------
// Tasks through the API

export interface TaskFilter {
  status?: 'open' | 'done';
  /** 'me', 'none', or a user id. */
  assignee?: string;
  overdue?: boolean;
  contactId?: string;
  kind?: string;
  before?: PageCursor;
  limit: number;
}

export async function listAccountTasks(ctx: ServiceContext, principal: Principal, f: TaskFilter): Promise<TaskView[]> {
  const now = ctx.clock();
  const rows = await listTasks(ctx.store.db, {
    accountId: principal.accountId,
    limit: f.limit,
    ...(f.status ? { status: f.status } : {}),
    ...(f.assignee !== undefined ? { assigneeUserId: f.assignee === 'me' ? principal.userId : f.assignee === 'none' ? null : f.assignee } : {}),
    ...(f.overdue !== undefined ? { overdue: { now: now.toISOString(), overdue: f.overdue } } : {}),
    ...(f.contactId ? { contactId: f.contactId } : {}),
    ...(f.kind ? { kind: f.kind } : {}),
    ...(f.before ? { before: f.before } : {}),
  });
  return rows.map((t) => presentTask(t, now));
}

export interface TaskDetail extends TaskView {
  contact: { id: string; number: string; name: string | null } | null;
  /** The audit trail: created, reminded, escalated, call attempts, done, reopened, edits. */
  history: Array<{ at: string; type: string; actor: string; data: Record<string, unknown> }>;
}

export async function getAccountTask(ctx: ServiceContext, accountId: string, id: string): Promise<TaskDetail> {
  const db = ctx.store.db;
  const task = await findTask(db, accountId, id);
  if (!task) throw notFound(`task ${id}`);
  const [contact, events] = await Promise.all([task.contact_id ? findContact(db, accountId, task.contact_id) : undefined, listTaskEvents(db, accountId, id)]);
  return {
    ...presentTask(task, ctx.clock()),
    contact: contact ? { id: contact.id, number: contact.number, name: contact.name } : null,
    history: events.map((e) => ({ at: e.created_at, type: e.type, actor: e.actor, data: JSON.parse(e.data) as Record<string, unknown> })),
  };
}

async function checkAssignee(tx: Tx, accountId: string, userId: string | null | undefined): Promise<void> {
  if (userId == null) return;
  if (!(await isMember(tx.db, accountId, userId))) {
    throw unprocessable(`user ${userId} is not a member of this account`, [{ field: 'assigneeUserId', message: 'must be a member of this account' }]);
  }
}

async function accountFor(tx: Tx, accountId: string): Promise<Account> {
  const account = await findAccount(tx.db, accountId);
  if (!account) throw notFound('the account');
  return account;
}

export interface NewTask {
  title: string;
  dueAt?: Date | null;
  contactId?: string;
  assigneeUserId?: string | null;
  kind: TaskKind;
}

export async function createAccountTask(ctx: ServiceContext, principal: Principal, input: NewTask): Promise<TaskView> {
  return ctx.store.transaction(async (tx) => {
    const account = await accountFor(tx, principal.accountId);
    const contact = input.contactId ? await findContact(tx.db, principal.accountId, input.contactId) : undefined;
    if (input.contactId && !contact) {
      throw unprocessable(`contact ${input.contactId} was not found in this account`, [{ field: 'contactId', message: 'no such contact in this account' }]);
    }
    if (input.kind === 'callback' && !contact) {
      throw unprocessable('a callback task needs the contact to call', [{ field: 'contactId', message: 'is required for a callback task' }]);
    }
    await checkAssignee(tx, principal.accountId, input.assigneeUserId);
    const now = ctx.clock().toISOString();
    const dueAt = input.dueAt?.toISOString() ?? null;
    const task = await insertTaskOnce(tx.db, {
      id: newId('task'),
      account_id: principal.accountId,
      contact_id: contact?.id ?? null,
      lead_id: null,
      conversation_id: null,
      line_id: null,
      call_id: null,
      kind: input.kind,
      title: input.title,
      due_at: dueAt,
      assignee_user_id: input.assigneeUserId ?? null,
      status: 'open',
      next_reminder_at: checkTimeOf({ due_at: dueAt, reminders_sent: 0, escalated_at: null }, settingsOf(account).callbackTasks),
      reminders_sent: 0,
      escalated_at: null,
      completed_by: null,
      created_at: now,
      updated_at: now,
      completed_at: null,
    });
    if (!task) throw openCallbackConflict(await findOpenCallbackTask(tx.db, principal.accountId, contact!.id));
    await recordTaskChange(ctx, tx, task, 'created', 'task.created', `user:${principal.userId}`, { title: task.title, dueAt, assigneeUserId: task.assignee_user_id });
    return presentTask(task, ctx.clock());
  });
}

function openCallbackConflict(open: Task | undefined): AppError {
  return new AppError('conflict', `this contact already has an open callback task${open ? ` (${open.id})` : ''}; finish it or edit it`, [
    { field: 'contactId', message: 'already has an open callback task' },
  ]);
}

export interface TaskPatch {
  title?: string;
  dueAt?: Date | null;
  assigneeUserId?: string | null;
}

export async function updateAccountTask(ctx: ServiceContext, principal: Principal, id: string, patch: TaskPatch): Promise<TaskView> {
  return ctx.store.transaction(async (tx) => {
    const account = await accountFor(tx, principal.accountId);
    const task = await findTask(tx.db, principal.accountId, id);
    if (!task) throw notFound(`task ${id}`);
    await checkAssignee(tx, principal.accountId, patch.assigneeUserId);
    const now = ctx.clock().toISOString();
    const changes: Updateable<TasksTable> = {};
    if (patch.title !== undefined && patch.title !== task.title) changes.title = patch.title;
    if (patch.assigneeUserId !== undefined && patch.assigneeUserId !== task.assignee_user_id) changes.assignee_user_id = patch.assigneeUserId;
    const dueAt = patch.dueAt === undefined ? task.due_at : (patch.dueAt?.toISOString() ?? null);
    if (dueAt !== task.due_at) {
      // A new deadline starts a new reminder and escalation.
      changes.due_at = dueAt;
      changes.reminders_sent = 0;
      changes.escalated_at = null;
      changes.next_reminder_at = task.status === 'open' ? checkTimeOf({ due_at: dueAt, reminders_sent: 0, escalated_at: null }, settingsOf(account).callbackTasks) : null;
    }
    if (Object.keys(changes).length === 0) return presentTask(task, ctx.clock());
    const updated = (await updateTask(tx.db, principal.accountId, id, { ...changes, updated_at: now }))!;
    const change: TaskChange = Object.keys(changes).every((k) => k === 'assignee_user_id') ? 'assigned' : 'edited';
    const described = {
      ...(changes.title !== undefined ? { title: updated.title } : {}),
      ...(changes.due_at !== undefined ? { dueAt: updated.due_at } : {}),
      ...(changes.assignee_user_id !== undefined ? { assigneeUserId: updated.assignee_user_id } : {}),
    };
    await recordTaskChange(ctx, tx, updated, change, change === 'assigned' ? 'task.assigned' : 'task.edited', `user:${principal.userId}`, described);
    return presentTask(updated, ctx.clock());
  });
}

/** Done by hand. Already done: nothing changes. */
export async function completeAccountTask(ctx: ServiceContext, principal: Principal, id: string): Promise<TaskView> {
  return ctx.store.transaction(async (tx) => {
    const task = await findTask(tx.db, principal.accountId, id);
    if (!task) throw notFound(`task ${id}`);
    const now = ctx.clock().toISOString();
    const by = `user:${principal.userId}`;
    const done = await updateTask(tx.db, principal.accountId, id, { status: 'done', completed_at: now, completed_by: by, next_reminder_at: null, updated_at: now }, { status: 'open' });
    if (!done) return presentTask(task, ctx.clock());
    await recordTaskChange(ctx, tx, done, 'done', 'task.completed', by, {});
    return presentTask(done, ctx.clock());
  });
}

/** Back to open, with its reminder and escalation where they stood. Already open: nothing changes. */
export async function reopenAccountTask(ctx: ServiceContext, principal: Principal, id: string): Promise<TaskView> {
  return ctx.store.transaction(async (tx) => {
    const account = await accountFor(tx, principal.accountId);
    const task = await findTask(tx.db, principal.accountId, id);
    if (!task) throw notFound(`task ${id}`);
    if (task.status === 'open') return presentTask(task, ctx.clock());
    if (task.kind === 'callback' && task.contact_id) {
      const open = await findOpenCallbackTask(tx.db, principal.accountId, task.contact_id);
      if (open) throw conflict(`this contact already has another open callback task (${open.id}); finish that one or edit it`);
    }
    const now = ctx.clock().toISOString();
    const reopened = await updateTask(
      tx.db,
      principal.accountId,
      id,
      { status: 'open', completed_at: null, completed_by: null, next_reminder_at: checkTimeOf(task, settingsOf(account).callbackTasks), updated_at: now },
      { status: 'done' },
    );
    if (!reopened) return presentTask((await findTask(tx.db, principal.accountId, id))!, ctx.clock());
    await recordTaskChange(ctx, tx, reopened, 'reopened', 'task.reopened', `user:${principal.userId}`, {});
    return presentTask(reopened, ctx.clock());
  });
}
