import { sql, type Expression, type ExpressionBuilder, type Insertable, type Selectable, type SqlBool, type Updateable } from 'kysely';
import type { Db } from './database.ts';
import { olderThan, type PageCursor } from './paging.ts';
import type { Contact, ContactsTable, Conversation, Database, EventsTable, Lead, SuppressionsTable } from './schema.ts';
import { newId } from './ids.ts';

/** Finds the contact for a number, creating it if this is the first time the account hears from it. */
export async function ensureContact(db: Db, accountId: string, number: string, now: string): Promise<Contact> {
  // "Do update" (a no-op write) rather than "do nothing": it returns the row either way, and on
  // Postgres it locks the contact until the transaction ends, so two calls from one caller that
  // arrive at two processes at once are decided one after the other (no double text-back).
  return db
    .insertInto('contacts')
    .values({ id: newId('ct'), account_id: accountId, number, name: null, email: null, created_at: now, updated_at: now })
    .onConflict((oc) => oc.columns(['account_id', 'number']).doUpdateSet({ number: (eb) => eb.ref('excluded.number') }))
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function updateContact(db: Db, accountId: string, id: string, patch: Updateable<ContactsTable>): Promise<void> {
  await db.updateTable('contacts').set(patch).where('account_id', '=', accountId).where('id', '=', id).execute();
}

export async function findActiveSuppression(
  db: Db,
  accountId: string,
  number: string,
): Promise<Selectable<SuppressionsTable> | undefined> {
  return db
    .selectFrom('suppressions')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('number', '=', number)
    .where('lifted_at', 'is', null)
    .executeTakeFirst();
}

/** Returns false when the number was already suppressed (nothing changed). */
export async function insertSuppression(db: Db, row: Insertable<SuppressionsTable>): Promise<boolean> {
  const result = await db
    .insertInto('suppressions')
    .values(row)
    .onConflict((oc) => oc.columns(['account_id', 'number']).where('lifted_at', 'is', null).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

export async function liftSuppression(db: Db, accountId: string, number: string, now: string, by: string): Promise<boolean> {
  const result = await db
    .updateTable('suppressions')
    .set({ lifted_at: now, lifted_by: by })
    .where('account_id', '=', accountId)
    .where('number', '=', number)
    .where('lifted_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function insertEvent(db: Db, row: Omit<Insertable<EventsTable>, 'id'>): Promise<void> {
  await db.insertInto('events').values({ id: newId('ev'), ...row }).execute();
}

export async function findContact(db: Db, accountId: string, id: string): Promise<Contact | undefined> {
  return db.selectFrom('contacts').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
}

/** Writes `patch` to one of the account's contacts; returns the new row. */
export async function patchContact(db: Db, accountId: string, id: string, patch: Updateable<ContactsTable>): Promise<Contact | undefined> {
  return db.updateTable('contacts').set(patch).where('account_id', '=', accountId).where('id', '=', id).returningAll().executeTakeFirst();
}

export interface ContactListFilter {
  accountId: string;
  /** A substring of the name, email or number (digits only for the number, so "(555) 01" matches). */
  q?: string;
  tag?: string;
  customer?: boolean;
  blocked?: boolean;
  optedOut?: boolean;
  before?: PageCursor;
  limit: number;
}

/** `!` escapes LIKE's wildcards, the same way on SQLite and Postgres. */
function likePattern(fragment: string): string {
  return `%${fragment.replace(/[!%_]/g, (c) => `!${c}`)}%`;
}

export function contains(column: Expression<string | null>, fragment: string): Expression<SqlBool> {
  // lower() on both sides: SQLite's LIKE ignores ASCII case, Postgres's does not.
  return sql<SqlBool>`lower(${column}) like ${likePattern(fragment.toLowerCase())} escape '!'`;
}

/** The contact's live suppression (of `kind`, or any), as a subquery correlated on `ct`. */
function liveSuppression(eb: ExpressionBuilder<Database & { ct: ContactsTable }, 'ct'>, kind?: SuppressionsTable['kind']) {
  let sub = eb
    .selectFrom('suppressions as s')
    .whereRef('s.account_id', '=', 'ct.account_id')
    .whereRef('s.number', '=', 'ct.number')
    .where('s.lifted_at', 'is', null);
  if (kind) sub = sub.where('s.kind', '=', kind);
  return sub;
}

/** Newest contacts first, paged by (created_at, id), each with its live suppression's kind. */
export async function listContactRows(db: Db, f: ContactListFilter) {
  let q = db
    .selectFrom('contacts as ct')
    .selectAll('ct')
    .select((eb) => [liveSuppression(eb).select('s.kind').limit(1).as('suppression_kind')])
    .where('ct.account_id', '=', f.accountId);
  if (f.q !== undefined) {
    const text = f.q;
    const digits = text.replace(/\D/g, '');
    q = q.where((eb) =>
      eb.or([
        contains(eb.ref('ct.name'), text),
        contains(eb.ref('ct.email'), text),
        ...(digits.length > 0 ? [contains(eb.ref('ct.number'), digits)] : []),
      ]),
    );
  }
  // Tags are stored as a JSON array of lower-case strings: the quoted form is an exact element match.
  if (f.tag !== undefined) q = q.where((eb) => contains(eb.ref('ct.tags'), JSON.stringify(f.tag!.toLowerCase())));
  if (f.customer !== undefined) q = q.where('ct.is_customer', '=', f.customer ? 1 : 0);
  if (f.blocked === true) q = q.where((eb) => eb.or([eb('ct.blocked', '=', 1), eb.exists(liveSuppression(eb, 'block').select('s.id'))]));
  if (f.blocked === false) q = q.where('ct.blocked', '=', 0).where((eb) => eb.not(eb.exists(liveSuppression(eb, 'block').select('s.id'))));
  if (f.optedOut !== undefined) {
    const optedOut = f.optedOut;
    q = q.where((eb) => {
      const exists = eb.exists(liveSuppression(eb, 'opt_out').select('s.id'));
      return optedOut ? exists : eb.not(exists);
    });
  }
  if (f.before) q = q.where(olderThan('ct.created_at', 'ct.id', f.before));
  return q.orderBy('ct.created_at', 'desc').orderBy('ct.id', 'desc').limit(f.limit).execute();
}

/** The contact's most recent lead: its open one if it has one (a new lead opens only when none is). */
export async function findLatestLeadOf(db: Db, accountId: string, contactId: string): Promise<Lead | undefined> {
  return db
    .selectFrom('leads')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('contact_id', '=', contactId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
}

export async function listContactConversations(db: Db, accountId: string, contactId: string): Promise<Conversation[]> {
  return db
    .selectFrom('conversations')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('contact_id', '=', contactId)
    .orderBy('last_message_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
}

/** Whether an audit event of this type was recorded for the subject (an idempotency mark for jobs). */
export async function hasEvent(db: Db, accountId: string, type: string, subjectType: string, subjectId: string): Promise<boolean> {
  const row = await db
    .selectFrom('events')
    .select('id')
    .where('subject_type', '=', subjectType)
    .where('subject_id', '=', subjectId)
    .where('account_id', '=', accountId)
    .where('type', '=', type)
    .executeTakeFirst();
  return row !== undefined;
}
