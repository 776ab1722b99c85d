import type { Insertable, Updateable } from 'kysely';
import type { Db } from './database.ts';
import type { Contact, ContactsTable, EventsTable, LeadsTable, SuppressionsTable } from './schema.ts';
import type { Selectable } from 'kysely';
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

export async function findOpenLead(db: Db, accountId: string, contactId: string): Promise<Selectable<LeadsTable> | undefined> {
  return db
    .selectFrom('leads')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('contact_id', '=', contactId)
    .where('stage', 'not in', ['won', 'lost'])
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
}

export async function insertLead(db: Db, row: Insertable<LeadsTable>): Promise<void> {
  await db.insertInto('leads').values(row).execute();
}

/** Moves a lead forward only: new → contacted → engaged; never back. */
export async function advanceLead(
  db: Db,
  leadId: string,
  to: 'contacted' | 'engaged',
  from: Array<Selectable<LeadsTable>['stage']>,
  now: string,
): Promise<void> {
  await db.updateTable('leads').set({ stage: to, updated_at: now }).where('id', '=', leadId).where('stage', 'in', from).execute();
}

export async function insertEvent(db: Db, row: Omit<Insertable<EventsTable>, 'id'>): Promise<void> {
  await db.insertInto('events').values({ id: newId('ev'), ...row }).execute();
}

export async function findContact(db: Db, accountId: string, id: string): Promise<Contact | undefined> {
  return db.selectFrom('contacts').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
}

/** The contact's open lead moves from new to contacted (a text reached them); later stages stay. */
export async function markLeadContacted(db: Db, accountId: string, contactId: string, now: string): Promise<void> {
  await db
    .updateTable('leads')
    .set({ stage: 'contacted', updated_at: now })
    .where('account_id', '=', accountId)
    .where('contact_id', '=', contactId)
    .where('stage', '=', 'new')
    .execute();
}
