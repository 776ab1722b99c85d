// The sources of a contact's timeline. Each query returns at most `limit` rows older than the
// cursor in (at desc, key desc) order; the service merges them. `key` is the row's id except where
// one row gives two items (a task: created, then done), which need keys of their own.
import { sql, type Expression, type RawBuilder, type SqlBool } from 'kysely';
import type { Db } from './database.ts';
import type { PageCursor } from './paging.ts';
import type { Call, Message, Note, Task } from './schema.ts';

export interface TimelineWindow {
  accountId: string;
  contactId: string;
  before?: PageCursor;
  limit: number;
}

/** The key of a task's "done" item: its id behind a prefix, still the shape of an id for cursors. */
export const DONE_KEY_PREFIX = 'done';

/** "Comes after the cursor" in (at desc, key desc) order, for any two expressions. */
function olderThanCursor(at: Expression<string | null>, key: Expression<string>, cursor: PageCursor): RawBuilder<SqlBool> {
  if (cursor.id === undefined) return sql<SqlBool>`${at} < ${cursor.at}`;
  return sql<SqlBool>`(${at} < ${cursor.at} or (${at} = ${cursor.at} and ${key} < ${cursor.id}))`;
}

export async function listTimelineCalls(db: Db, w: TimelineWindow): Promise<Call[]> {
  let q = db.selectFrom('calls').selectAll().where('account_id', '=', w.accountId).where('contact_id', '=', w.contactId);
  if (w.before) q = q.where((eb) => olderThanCursor(eb.ref('started_at'), eb.ref('id'), w.before!));
  return q.orderBy('started_at', 'desc').orderBy('id', 'desc').limit(w.limit).execute();
}

export async function listTimelineMessages(db: Db, w: TimelineWindow): Promise<Message[]> {
  let q = db.selectFrom('messages').selectAll().where('account_id', '=', w.accountId).where('contact_id', '=', w.contactId);
  if (w.before) q = q.where((eb) => olderThanCursor(eb.ref('created_at'), eb.ref('id'), w.before!));
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(w.limit).execute();
}

export async function listTimelineNotes(db: Db, w: TimelineWindow): Promise<Note[]> {
  let q = db.selectFrom('notes').selectAll().where('account_id', '=', w.accountId).where('contact_id', '=', w.contactId);
  if (w.before) q = q.where((eb) => olderThanCursor(eb.ref('created_at'), eb.ref('id'), w.before!));
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(w.limit).execute();
}

export async function listTimelineTasksCreated(db: Db, w: TimelineWindow): Promise<Task[]> {
  let q = db.selectFrom('tasks').selectAll().where('account_id', '=', w.accountId).where('contact_id', '=', w.contactId);
  if (w.before) q = q.where((eb) => olderThanCursor(eb.ref('created_at'), eb.ref('id'), w.before!));
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(w.limit).execute();
}

export async function listTimelineTasksDone(db: Db, w: TimelineWindow): Promise<Task[]> {
  const key = sql<string>`${DONE_KEY_PREFIX} || ${sql.ref('id')}`;
  let q = db
    .selectFrom('tasks')
    .selectAll()
    .where('account_id', '=', w.accountId)
    .where('contact_id', '=', w.contactId)
    .where('status', '=', 'done')
    .where('completed_at', 'is not', null);
  if (w.before) q = q.where((eb) => olderThanCursor(eb.ref('completed_at'), key, w.before!));
  return q.orderBy('completed_at', 'desc').orderBy(key, 'desc').limit(w.limit).execute();
}

/** Event types a timeline shows, besides those whose type starts with `follow_up.`. */
export const DECISION_EVENTS = ['text_back.queued', 'text_back.skipped'] as const;
export const CONTACT_EVENTS = ['contact.opted_out', 'contact.opted_in'] as const;

/**
 * The audit events about this contact: text-back decisions on its calls, its leads' stage
 * changes, its opt-outs and opt-ins, and follow-up happenings on it or its conversations.
 */
export async function listTimelineEvents(db: Db, w: TimelineWindow) {
  let q = db
    .selectFrom('events as e')
    .selectAll('e')
    .where('e.account_id', '=', w.accountId)
    .where((eb) =>
      eb.or([
        eb.and([
          eb('e.type', 'in', [...DECISION_EVENTS]),
          eb('e.subject_type', '=', 'call'),
          eb('e.subject_id', 'in', eb.selectFrom('calls').select('id').where('account_id', '=', w.accountId).where('contact_id', '=', w.contactId)),
        ]),
        eb.and([
          eb('e.type', '=', 'lead.stage_changed'),
          eb('e.subject_type', '=', 'lead'),
          eb('e.subject_id', 'in', eb.selectFrom('leads').select('id').where('account_id', '=', w.accountId).where('contact_id', '=', w.contactId)),
        ]),
        eb.and([eb('e.type', 'in', [...CONTACT_EVENTS]), eb('e.subject_type', '=', 'contact'), eb('e.subject_id', '=', w.contactId)]),
        eb.and([
          sql<SqlBool>`${sql.ref('e.type')} like 'follow!_up.%' escape '!'`,
          eb.or([
            eb.and([eb('e.subject_type', '=', 'contact'), eb('e.subject_id', '=', w.contactId)]),
            eb.and([
              eb('e.subject_type', '=', 'conversation'),
              eb(
                'e.subject_id',
                'in',
                eb.selectFrom('conversations').select('id').where('account_id', '=', w.accountId).where('contact_id', '=', w.contactId),
              ),
            ]),
          ]),
        ]),
      ]),
    );
  if (w.before) q = q.where((eb) => olderThanCursor(eb.ref('e.created_at'), eb.ref('e.id'), w.before!));
  return q.orderBy('e.created_at', 'desc').orderBy('e.id', 'desc').limit(w.limit).execute();
}
