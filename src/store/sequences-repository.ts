// Follow-up sequences and their runs. Every query names the account, except the scheduler's
// search for due runs, which looks across accounts the way the job queue does and then works
// each run in a transaction of its own, scoped to the run's account.
import type { Insertable, Updateable } from 'kysely';
import type { Db } from './database.ts';
import { isPostgres } from './dialect.ts';
import { olderThan, type PageCursor } from './paging.ts';
import type { MessageStatus, Sequence, SequenceRun, SequenceRunsTable, SequenceRunStatus, SequencesTable } from './schema.ts';

/** Runs that may still send: the unique index allows one per conversation. */
const LIVE: SequenceRunStatus[] = ['active', 'paused'];

// ── Sequences ─────────────────────────────────────────────────────────────────────────────────

export async function listSequences(db: Db, accountId: string): Promise<Sequence[]> {
  return db.selectFrom('sequences').selectAll().where('account_id', '=', accountId).orderBy('created_at').orderBy('id').execute();
}

export async function findSequence(db: Db, accountId: string, id: string): Promise<Sequence | undefined> {
  return db.selectFrom('sequences').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
}

export async function findEnabledSequence(db: Db, accountId: string, trigger: Sequence['trigger'], exceptId?: string): Promise<Sequence | undefined> {
  let q = db
    .selectFrom('sequences')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('trigger', '=', trigger)
    .where('enabled', '=', 1);
  if (exceptId) q = q.where('id', '!=', exceptId);
  return q.orderBy('created_at').orderBy('id').executeTakeFirst();
}

/** Returns false when a sequence with this id already exists (nothing changed). */
export async function insertSequence(db: Db, row: Insertable<SequencesTable>): Promise<boolean> {
  const result = await db
    .insertInto('sequences')
    .values(row)
    .onConflict((oc) => oc.column('id').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

export async function updateSequence(db: Db, accountId: string, id: string, patch: Updateable<SequencesTable>): Promise<Sequence | undefined> {
  return db.updateTable('sequences').set(patch).where('account_id', '=', accountId).where('id', '=', id).returningAll().executeTakeFirst();
}

export async function deleteSequence(db: Db, accountId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom('sequences').where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Whether an event of this type was ever recorded about the account (e.g. the defaults were made). */
export async function accountEventExists(db: Db, accountId: string, type: string): Promise<boolean> {
  const row = await db
    .selectFrom('events')
    .select('id')
    .where('subject_type', '=', 'account')
    .where('subject_id', '=', accountId)
    .where('account_id', '=', accountId)
    .where('type', '=', type)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

// ── Runs ──────────────────────────────────────────────────────────────────────────────────────

/**
 * Starts a run unless the conversation already has a live one (the partial unique index decides,
 * so two processes enrolling at once cannot both succeed). Returns whether it was inserted.
 */
export async function insertRunIfNone(db: Db, row: Insertable<SequenceRunsTable>): Promise<boolean> {
  const result = await db
    .insertInto('sequence_runs')
    .values(row)
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

/**
 * The same, for the conversation between `lineId` and `contactId`, found inside the insert: the
 * missed-call path that enrolls already made the conversation, and this saves it a read.
 */
export async function insertRunForConversation(
  db: Db,
  row: Omit<Insertable<SequenceRunsTable>, 'conversation_id'>,
  conversation: { lineId: string; contactId: string },
): Promise<boolean> {
  const conversationId = db
    .selectFrom('conversations')
    .select('id')
    .where('account_id', '=', row.account_id)
    .where('line_id', '=', conversation.lineId)
    .where('contact_id', '=', conversation.contactId);
  const result = await db
    .insertInto('sequence_runs')
    .values({ ...row, conversation_id: conversationId })
    .onConflict((oc) => oc.doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

export async function findRun(db: Db, accountId: string, id: string): Promise<SequenceRun | undefined> {
  return db.selectFrom('sequence_runs').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
}

export interface RunListFilter {
  accountId: string;
  sequenceId?: string;
  conversationId?: string;
  status?: SequenceRunStatus;
  before?: PageCursor;
  limit: number;
}

/** Newest first, paged by (created_at, id). */
export async function listRuns(db: Db, f: RunListFilter): Promise<SequenceRun[]> {
  let q = db.selectFrom('sequence_runs').selectAll().where('account_id', '=', f.accountId);
  if (f.sequenceId) q = q.where('sequence_id', '=', f.sequenceId);
  if (f.conversationId) q = q.where('conversation_id', '=', f.conversationId);
  if (f.status) q = q.where('status', '=', f.status);
  if (f.before) q = q.where(olderThan('created_at', 'id', f.before));
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(f.limit).execute();
}

export type RunSelector = { contactId: string } | { sequenceId: string } | { runId: string };

/** Stops the live runs selected; returns the ones this call stopped (none when already stopped). */
export async function stopLiveRuns(db: Db, accountId: string, by: RunSelector, stopReason: string, now: string): Promise<SequenceRun[]> {
  let q = db
    .updateTable('sequence_runs')
    .set({ status: 'stopped', stop_reason: stopReason, next_run_at: null, updated_at: now })
    .where('account_id', '=', accountId)
    .where('status', 'in', LIVE);
  if ('contactId' in by) q = q.where('contact_id', '=', by.contactId);
  else if ('sequenceId' in by) q = q.where('sequence_id', '=', by.sequenceId);
  else q = q.where('id', '=', by.runId);
  return q.returningAll().execute();
}

/**
 * Cancels follow-ups still waiting in the queue in these conversations (their run just stopped);
 * returns the canceled messages. One that already left is not touched.
 */
export async function cancelQueuedFollowUps(
  db: Db,
  accountId: string,
  conversationIds: readonly string[],
  reason: string,
  why: string,
  now: string,
): Promise<Array<{ id: string; conversation_id: string }>> {
  if (conversationIds.length === 0) return [];
  return db
    .updateTable('messages')
    .set({ status: 'canceled', error_message: why, updated_at: now })
    .where('account_id', '=', accountId)
    .where('conversation_id', 'in', [...conversationIds])
    .where('direction', '=', 'outbound')
    .where('reason', '=', reason)
    .where('status', '=', 'queued')
    .returning(['id', 'conversation_id'])
    .execute();
}

export interface DueRun {
  id: string;
  account_id: string;
  contact_id: string;
  contact_number: string;
  contact_state: string | null;
  contact_time_zone: string | null;
}

/**
 * Active runs whose next step is due, oldest due first, with what locating the recipient needs.
 * A conversation a person must look at first (automation_paused) is left out here rather than
 * skipped later, so such runs cannot fill every tick's batch and starve the rest.
 */
export async function listDueRuns(db: Db, now: string, limit: number): Promise<DueRun[]> {
  return db
    .selectFrom('sequence_runs as r')
    .innerJoin('conversations as cv', 'cv.id', 'r.conversation_id')
    .innerJoin('contacts as c', 'c.id', 'r.contact_id')
    .select(['r.id', 'r.account_id', 'r.contact_id', 'c.number as contact_number', 'c.state as contact_state', 'c.time_zone as contact_time_zone'])
    .where('r.status', '=', 'active')
    .where('r.next_run_at', '<=', now)
    .where('cv.automation_paused', '=', 0)
    .orderBy('r.next_run_at')
    .orderBy('r.id')
    .limit(limit)
    .execute();
}

/**
 * Takes one due run for this transaction. On Postgres the row stays locked until the transaction
 * ends and a process that finds it locked skips it (SKIP LOCKED) instead of waiting to repeat the
 * step; once the first commits, the run is no longer due. SQLite's writers already take turns.
 */
export async function claimDueRun(db: Db, accountId: string, id: string, now: string): Promise<SequenceRun | undefined> {
  const q = db
    .selectFrom('sequence_runs')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .where('status', '=', 'active')
    .where('next_run_at', '<=', now);
  return (isPostgres(db) ? q.forUpdate().skipLocked() : q).executeTakeFirst();
}

export interface RunGuard {
  status: SequenceRunStatus;
  stepIndex: number;
  /** The next_run_at the caller read, when it matters that nobody moved it since. */
  nextRunAt?: string | null;
}

/**
 * Updates a run only if it is still where the caller found it (status, step, and due time): the
 * guard that keeps a step from being processed twice. Returns the updated run, or undefined.
 */
export async function updateRunIf(
  db: Db,
  accountId: string,
  id: string,
  guard: RunGuard,
  patch: Updateable<SequenceRunsTable> & { updated_at: string },
): Promise<SequenceRun | undefined> {
  let q = db
    .updateTable('sequence_runs')
    .set(patch)
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .where('status', '=', guard.status)
    .where('step_index', '=', guard.stepIndex);
  if (guard.nextRunAt !== undefined) q = guard.nextRunAt === null ? q.where('next_run_at', 'is', null) : q.where('next_run_at', '=', guard.nextRunAt);
  return q.returningAll().executeTakeFirst();
}

export async function findLiveRunFor(db: Db, accountId: string, conversationId: string): Promise<SequenceRun | undefined> {
  return db
    .selectFrom('sequence_runs')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('conversation_id', '=', conversationId)
    .where('status', 'in', LIVE)
    .executeTakeFirst();
}

// ── What the send-time checks read ────────────────────────────────────────────────────────────

/**
 * When automated texts went (or are due to go) to this contact since `since`: automation and the
 * assistant, not canceled, expired or failed; the opt-out confirmation and HELP reply are left
 * out (the law asks for those; caps do not count them). A queued text counts at its queue time.
 */
export async function recentAutomatedSendTimes(
  db: Db,
  accountId: string,
  contactId: string,
  since: string,
  opts: { excludeMessageId?: string; notReasons: readonly string[] },
): Promise<Date[]> {
  let q = db
    .selectFrom('messages')
    .select(['sent_at', 'created_at'])
    .where('account_id', '=', accountId)
    .where('contact_id', '=', contactId)
    .where('direction', '=', 'outbound')
    .where('author', 'in', ['automation', 'assistant'])
    .where('status', 'not in', ['canceled', 'expired', 'failed'])
    .where('reason', 'not in', [...opts.notReasons])
    .where((eb) => eb.or([eb('sent_at', '>=', since), eb.and([eb('sent_at', 'is', null), eb('created_at', '>=', since)])]));
  if (opts.excludeMessageId) q = q.where('id', '!=', opts.excludeMessageId);
  const rows = await q.execute();
  return rows.map((r) => new Date(r.sent_at ?? r.created_at));
}

/** A message's status, for the checks that depend on how an earlier text fared. */
export async function findMessageStatus(db: Db, accountId: string, id: string): Promise<MessageStatus | undefined> {
  const row = await db.selectFrom('messages').select('status').where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  return row?.status;
}

/** Whether the contact texted into this conversation after `since`. */
export async function inboundSince(db: Db, accountId: string, conversationId: string, since: string): Promise<boolean> {
  const row = await db
    .selectFrom('messages')
    .select('id')
    .where('account_id', '=', accountId)
    .where('conversation_id', '=', conversationId)
    .where('direction', '=', 'inbound')
    .where('created_at', '>', since)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/** The data of the audit event of `type` recorded about a message (e.g. which run sent it). */
export async function findMessageEventData(db: Db, accountId: string, messageId: string, type: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('events')
    .select('data')
    .where('subject_type', '=', 'message')
    .where('subject_id', '=', messageId)
    .where('account_id', '=', accountId)
    .where('type', '=', type)
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row?.data;
}
