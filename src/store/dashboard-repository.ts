// The dashboard's three reads: missed calls with their text-back and first reply, leads opened or
// closed in the range, and contacts' texts with the team's first human reply. One statement each
// (correlated subqueries, no per-row round trips); the aggregation is in domain/dashboard.ts.
import type { Db } from './database.ts';
import type { HumanReplyRow, LeadRow, MissedCallRow } from '../domain/dashboard.ts';

export interface DashboardScope {
  accountId: string;
  /** ISO times: [from, to). */
  from: string;
  to: string;
  lineId?: string;
}

export async function listMissedCallRows(db: Db, s: DashboardScope): Promise<MissedCallRow[]> {
  let q = db
    .selectFrom('calls')
    .leftJoin('messages as t', 't.id', 'calls.message_id')
    .select((eb) => [
      'calls.contact_id',
      'calls.started_at',
      'calls.ended_at',
      'calls.decision',
      't.sent_at',
      eb
        .selectFrom('messages as r')
        .select((r) => r.fn.min('r.created_at').as('at'))
        .whereRef('r.account_id', '=', 'calls.account_id')
        .whereRef('r.contact_id', '=', 'calls.contact_id')
        .whereRef('r.line_id', '=', 'calls.line_id')
        .where('r.direction', '=', 'inbound')
        .whereRef('r.created_at', '>', 't.sent_at')
        .as('replied_at'),
    ])
    .where('calls.account_id', '=', s.accountId)
    .where('calls.direction', '=', 'inbound')
    .where('calls.outcome', 'is not', null)
    .where('calls.outcome', '!=', 'answered')
    .where('calls.started_at', '>=', s.from)
    .where('calls.started_at', '<', s.to);
  if (s.lineId) q = q.where('calls.line_id', '=', s.lineId);
  const rows = await q.execute();
  return rows.map((r) => ({
    contactId: r.contact_id,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    decision: r.decision,
    textSentAt: r.sent_at ?? null,
    repliedAt: (r.replied_at as string | null) ?? null,
  }));
}

export async function listDashboardLeads(db: Db, s: DashboardScope): Promise<LeadRow[]> {
  let q = db
    .selectFrom('leads')
    .select(['source', 'stage', 'value_cents', 'created_at', 'closed_at'])
    .where('account_id', '=', s.accountId)
    .where((eb) => eb.or([eb.and([eb('created_at', '>=', s.from), eb('created_at', '<', s.to)]), eb.and([eb('closed_at', '>=', s.from), eb('closed_at', '<', s.to)])]));
  if (s.lineId) q = q.where('line_id', '=', s.lineId);
  const rows = await q.execute();
  return rows.map((r) => ({ source: r.source, stage: r.stage, valueCents: r.value_cents, createdAt: r.created_at, closedAt: r.closed_at }));
}

/** Contacts' texts in the range that a person answered, with the first such answer. */
export async function listHumanReplyRows(db: Db, s: DashboardScope): Promise<HumanReplyRow[]> {
  let q = db
    .selectFrom('messages as i')
    .select((eb) => [
      'i.conversation_id',
      'i.created_at',
      eb
        .selectFrom('messages as o')
        .select((o) => o.fn.min('o.created_at').as('at'))
        .whereRef('o.conversation_id', '=', 'i.conversation_id')
        .where('o.direction', '=', 'outbound')
        .where('o.author', '=', 'user')
        .whereRef('o.created_at', '>', 'i.created_at')
        .as('replied_at'),
    ])
    .where('i.account_id', '=', s.accountId)
    .where('i.direction', '=', 'inbound')
    .where('i.created_at', '>=', s.from)
    .where('i.created_at', '<', s.to);
  if (s.lineId) q = q.where('i.line_id', '=', s.lineId);
  const rows = await q.execute();
  return rows
    .filter((r) => r.replied_at != null)
    .map((r) => ({ conversationId: r.conversation_id, receivedAt: r.created_at, repliedAt: r.replied_at as string }));
}
