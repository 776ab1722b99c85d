import type { Insertable, Selectable } from 'kysely';
import type { Db } from './database.ts';
import { olderThan, type PageCursor } from './paging.ts';
import type { EventsTable, Lead, LeadsTable, LeadStage } from './schema.ts';

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
  accountId: string,
  id: string,
  from: readonly LeadStage[],
  patch: { stage: LeadStage; value_cents?: number | null; lost_reason?: string | null; closed_at?: string | null; updated_at: string },
): Promise<Selectable<LeadsTable> | undefined> {
  return db
    .updateTable('leads')
    .set({ ...patch, stage_changed_at: patch.updated_at })
    .where('account_id', '=', accountId)
    .where('id', '=', id)
    .where('stage', 'in', [...from])
    .returningAll()
    .executeTakeFirst();
}

export interface LeadListFilter {
  accountId: string;
  stage?: LeadStage;
  source?: Lead['source'];
  before?: PageCursor;
  limit: number;
}

export async function listLeads(db: Db, f: LeadListFilter): Promise<Lead[]> {
  let q = db.selectFrom('leads').selectAll().where('account_id', '=', f.accountId);
  if (f.stage) q = q.where('stage', '=', f.stage);
  if (f.source) q = q.where('source', '=', f.source);
  if (f.before) q = q.where(olderThan('created_at', 'id', f.before));
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(f.limit).execute();
}

/** Value and lost reason, without a stage change (stage changes go through transitionLead). */
export async function updateLeadDetails(
  db: Db,
  accountId: string,
  id: string,
  patch: { value_cents?: number | null; lost_reason?: string | null; updated_at: string },
): Promise<Lead | undefined> {
  return db.updateTable('leads').set(patch).where('account_id', '=', accountId).where('id', '=', id).returningAll().executeTakeFirst();
}

/** The lead's audit trail (stage changes and edits), oldest first. */
export async function listLeadEvents(db: Db, accountId: string, leadId: string): Promise<Array<Selectable<EventsTable>>> {
  return db
    .selectFrom('events')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('subject_type', '=', 'lead')
    .where('subject_id', '=', leadId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

export interface PipelineScope {
  accountId: string;
  /** ISO times; the period is [from, to). */
  from?: string;
  to?: string;
  lineId?: string;
}

/** The leads opened in the period: the pipeline report's cohort. */
export async function listPipelineLeads(db: Db, s: PipelineScope): Promise<Array<Pick<Lead, 'id' | 'stage' | 'source' | 'value_cents'>>> {
  let q = db.selectFrom('leads').select(['id', 'stage', 'source', 'value_cents']).where('account_id', '=', s.accountId);
  if (s.from) q = q.where('created_at', '>=', s.from);
  if (s.to) q = q.where('created_at', '<', s.to);
  if (s.lineId) q = q.where('line_id', '=', s.lineId);
  return q.execute();
}

/** Every stage change of these leads (their `data` holds from and to). */
export async function listStageChanges(db: Db, accountId: string, leadIds: readonly string[]): Promise<Array<{ subject_id: string; data: string }>> {
  const out: Array<{ subject_id: string; data: string }> = [];
  // In slices: both databases cap the parameters of one statement.
  for (let i = 0; i < leadIds.length; i += 500) {
    const slice = leadIds.slice(i, i + 500);
    out.push(
      ...(await db
        .selectFrom('events')
        .select(['subject_id', 'data'])
        .where('subject_type', '=', 'lead')
        .where('subject_id', 'in', slice)
        .where('account_id', '=', accountId)
        .where('type', '=', 'lead.stage_changed')
        .execute()),
    );
  }
  return out;
}

/** Inbound calls nobody answered in the period (the report's one look at calls). */
export async function countMissedCalls(db: Db, s: PipelineScope): Promise<number> {
  let q = db
    .selectFrom('calls')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('account_id', '=', s.accountId)
    .where('direction', '=', 'inbound')
    .where('outcome', 'is not', null)
    .where('outcome', '!=', 'answered');
  if (s.from) q = q.where('started_at', '>=', s.from);
  if (s.to) q = q.where('started_at', '<', s.to);
  if (s.lineId) q = q.where('line_id', '=', s.lineId);
  const row = await q.executeTakeFirst();
  return Number(row?.n ?? 0);
}
