// Tasks: to-dos with a due time and an assignee; callback tasks are opened by missed calls.
import type { Insertable, Selectable, Updateable } from 'kysely';
import type { Db } from './database.ts';
import { olderThan, type PageCursor } from './paging.ts';
import type { EventsTable, Task, TasksTable } from './schema.ts';

/**
 * Inserts the task unless it would be a second open callback for the contact (the partial
 * unique index tasks_open_callback_unique); returns it, or undefined when one was already open.
 */
export async function insertTaskOnce(db: Db, row: Insertable<TasksTable>): Promise<Task | undefined> {
  return db
    .insertInto('tasks')
    .values(row)
    .onConflict((oc) => oc.doNothing())
    .returningAll()
    .executeTakeFirst();
}

export async function findTask(db: Db, accountId: string, id: string): Promise<Task | undefined> {
  return db.selectFrom('tasks').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
}

export async function findOpenCallbackTask(db: Db, accountId: string, contactId: string): Promise<Task | undefined> {
  return db
    .selectFrom('tasks')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('contact_id', '=', contactId)
    .where('kind', '=', 'callback')
    .where('status', '=', 'open')
    .executeTakeFirst();
}

/** The contact's open callback tasks, with when the missed call that opened each came in. */
export async function listOpenCallbackTasks(db: Db, accountId: string, contactId: string): Promise<Array<Task & { call_started_at: string | null }>> {
  return db
    .selectFrom('tasks as t')
    .leftJoin('calls as c', (j) => j.onRef('c.id', '=', 't.call_id').onRef('c.account_id', '=', 't.account_id'))
    .selectAll('t')
    .select('c.started_at as call_started_at')
    .where('t.account_id', '=', accountId)
    .where('t.contact_id', '=', contactId)
    .where('t.kind', '=', 'callback')
    .where('t.status', '=', 'open')
    .execute();
}

export interface TaskListFilter {
  accountId: string;
  status?: 'open' | 'done';
  /** null: unassigned. */
  assigneeUserId?: string | null;
  /** Open with a due time before `now` (true), or not (false). */
  overdue?: { now: string; overdue: boolean };
  contactId?: string;
  kind?: string;
  before?: PageCursor;
  limit: number;
}

export async function listTasks(db: Db, f: TaskListFilter): Promise<Task[]> {
  let q = db.selectFrom('tasks').selectAll().where('account_id', '=', f.accountId);
  if (f.status) q = q.where('status', '=', f.status);
  if (f.assigneeUserId === null) q = q.where('assignee_user_id', 'is', null);
  else if (f.assigneeUserId !== undefined) q = q.where('assignee_user_id', '=', f.assigneeUserId);
  if (f.overdue) {
    const { now } = f.overdue;
    q = f.overdue.overdue
      ? q.where('status', '=', 'open').where('due_at', 'is not', null).where('due_at', '<', now)
      : q.where((eb) => eb.or([eb('status', '=', 'done'), eb('due_at', 'is', null), eb('due_at', '>=', now)]));
  }
  if (f.contactId) q = q.where('contact_id', '=', f.contactId);
  if (f.kind) q = q.where('kind', '=', f.kind);
  if (f.before) q = q.where(olderThan('created_at', 'id', f.before));
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(f.limit).execute();
}

/** Updates the task if it is still in `status` (when given); returns it as stored, or undefined. */
export async function updateTask(db: Db, accountId: string, id: string, patch: Updateable<TasksTable>, guard: { status?: Task['status'] } = {}): Promise<Task | undefined> {
  let q = db.updateTable('tasks').set(patch).where('account_id', '=', accountId).where('id', '=', id);
  if (guard.status) q = q.where('status', '=', guard.status);
  return q.returningAll().executeTakeFirst();
}

/** Open tasks whose check time (next_reminder_at) has come, across accounts, oldest first. */
export async function findDueTaskChecks(db: Db, now: string, limit: number): Promise<Task[]> {
  return db
    .selectFrom('tasks')
    .selectAll()
    .where('status', '=', 'open')
    .where('next_reminder_at', 'is not', null)
    .where('next_reminder_at', '<=', now)
    .orderBy('next_reminder_at')
    .limit(limit)
    .execute();
}

/**
 * Claims a due check: the update applies only while the task is open and its check time is
 * still the one read, so when several processes tick at once exactly one of them acts (on
 * Postgres the others wait for the row, then find the check time moved and update nothing).
 */
export async function claimTaskCheck(db: Db, accountId: string, id: string, expectedCheckAt: string, patch: Updateable<TasksTable>): Promise<Task | undefined> {
  return db
    .updateTable('tasks')
    .set(patch)
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .where('status', '=', 'open')
    .where('next_reminder_at', '=', expectedCheckAt)
    .returningAll()
    .executeTakeFirst();
}

export async function isMember(db: Db, accountId: string, userId: string): Promise<boolean> {
  const row = await db.selectFrom('memberships').select('id').where('account_id', '=', accountId).where('user_id', '=', userId).executeTakeFirst();
  return row !== undefined;
}

/** The task's audit trail, oldest first. */
export async function listTaskEvents(db: Db, accountId: string, taskId: string): Promise<Array<Selectable<EventsTable>>> {
  return db
    .selectFrom('events')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('subject_type', '=', 'task')
    .where('subject_id', '=', taskId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}
