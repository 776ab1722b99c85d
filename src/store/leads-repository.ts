import type { Insertable, Selectable } from 'kysely';
import type { Db } from './database.ts';
import type { Lead, LeadsTable, LeadStage } from './schema.ts';

export async function findLead(db: Db, accountId: string, id: string): Promise<Lead | undefined> {
  return db.selectFrom('leads').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
}

export async function findOpenLeadFor(db: Db, accountId: string, contactId: string): Promise<Lead | undefined> {
  return db
    .selectFrom('leads')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('contact_id', '=', contactId)
    .where('stage', 'not in', ['won', 'lost'])
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
}

export async function insertLeadRow(db: Db, row: Insertable<LeadsTable>): Promise<Lead> {
  return db.insertInto('leads').values(row).returningAll().executeTakeFirstOrThrow();
}

/**
 * Moves a lead to `to` only if its stage is still one of `from` (the guard that keeps two
 * processes, or a replay, from moving it twice). Returns the updated row, or undefined.
 */
export async function transitionLead(
  db: Db,
  id: string,
  from: readonly LeadStage[],
  patch: { stage: LeadStage; value_cents?: number | null; lost_reason?: string | null; closed_at?: string | null; updated_at: string },
): Promise<Selectable<LeadsTable> | undefined> {
  return db
    .updateTable('leads')
    .set({ ...patch, stage_changed_at: patch.updated_at })
    .where('id', '=', id)
    .where('stage', 'in', [...from])
    .returningAll()
    .executeTakeFirst();
}
