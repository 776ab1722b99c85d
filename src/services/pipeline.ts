// The pipeline: a lead moves new → contacted → engaged → booked → won/lost, by itself (a text
// reached them, they replied) and by hand. Every move goes through moveLead, which records it,
// tells open inboxes, and emits lead.stage_changed for follow-ups and webhooks. The report turns
// the leads into money per stage and the missed-call funnel (domain/pipeline.ts).
import { furthestStage, LEAD_STAGES, summarizePipeline, type PipelineSummary } from '../domain/pipeline.ts';
import type { Tx } from '../store/database.ts';
import { findAccount } from '../store/accounts-repository.ts';
import { findContact, insertEvent } from '../store/contacts-repository.ts';
import {
  countMissedCalls,
  findLead,
  listLeadEvents,
  listLeads,
  listPipelineLeads,
  listStageChanges,
  transitionLead,
  updateLeadDetails,
  type PipelineScope,
} from '../store/leads-repository.ts';
import { findAccountLine } from '../store/lines-repository.ts';
import type { PageCursor } from '../store/paging.ts';
import type { Account, Lead, LeadStage } from '../store/schema.ts';
import type { Principal } from './access.ts';
import type { ModuleRegistry, ServiceContext } from './context.ts';
import { AppError, conflict, notFound, unprocessable } from './errors.ts';
import { liveEvent } from './live-events.ts';

export { LEAD_STAGES };

/** Stages a lead moves forward from by itself; a later stage is never moved back automatically. */
export const AUTOMATIC_FROM: Record<'contacted' | 'engaged', readonly LeadStage[]> = {
  contacted: ['new'],
  engaged: ['new', 'contacted'],
};

export interface MoveLead {
  account: Account;
  lead: Lead;
  to: LeadStage;
  /** 'system' for automatic moves, 'user:<id>' by hand. */
  actor: string;
  /** Only move when the lead is in one of these stages (default: any other stage). */
  from?: readonly LeadStage[];
  valueCents?: number | null;
  lostReason?: string | null;
}

/** Returns the moved lead, or undefined when the guard did not hold (nothing changed). */
export async function moveLead(ctx: ServiceContext, tx: Tx, m: MoveLead): Promise<Lead | undefined> {
  const now = ctx.clock().toISOString();
  const from = m.from ?? LEAD_STAGES.filter((s) => s !== m.to);
  const closing = m.to === 'won' || m.to === 'lost';
  const moved = await transitionLead(tx.db, m.account.id, m.lead.id, from, {
    stage: m.to,
    ...(m.valueCents !== undefined ? { value_cents: m.valueCents } : {}),
    ...(m.lostReason !== undefined ? { lost_reason: m.lostReason } : {}),
    closed_at: closing ? now : null,
    updated_at: now,
  });
  if (!moved) return undefined;
  await insertEvent(tx.db, {
    account_id: m.account.id,
    type: 'lead.stage_changed',
    subject_type: 'lead',
    subject_id: m.lead.id,
    actor: m.actor,
    data: JSON.stringify({ from: m.lead.stage, to: m.to, valueCents: moved.value_cents, contactId: m.lead.contact_id }),
    created_at: now,
  });
  await ctx.events.publish(
    tx,
    liveEvent('lead.stage_changed', m.account.id, { leadId: m.lead.id, contactId: m.lead.contact_id, from: m.lead.stage, to: m.to }, ctx.clock()),
  );
  await ctx.hooks.emit(ctx, tx, 'lead.stage_changed', { account: m.account, lead: moved, from: m.lead.stage, to: m.to, actor: m.actor });
  return moved;
}

export function installPipeline(_ctx: ServiceContext, _reg: ModuleRegistry): void {}

// ---------------------------------------------------------------------------------------------
// Leads through the API

export interface LeadView {
  id: string;
  contactId: string;
  lineId: string | null;
  callId: string | null;
  source: Lead['source'];
  stage: LeadStage;
  valueCents: number | null;
  /** What the lead counts for in the pipeline: its value, else (open or lost) the account's average job value. */
  estimatedValueCents: number;
  lostReason: string | null;
  stageChangedAt: string | null;
  closedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export function presentLead(lead: Lead, averageJobValueCents: number): LeadView {
  return {
    id: lead.id,
    contactId: lead.contact_id,
    lineId: lead.line_id,
    callId: lead.call_id,
    source: lead.source,
    stage: lead.stage,
    valueCents: lead.value_cents,
    estimatedValueCents: lead.value_cents ?? (lead.stage === 'won' ? 0 : averageJobValueCents),
    lostReason: lead.lost_reason,
    stageChangedAt: lead.stage_changed_at,
    closedAt: lead.closed_at,
    createdAt: lead.created_at,
    updatedAt: lead.updated_at,
  };
}

async function accountOf(ctx: ServiceContext, tx: Pick<Tx, 'db'>, accountId: string): Promise<Account> {
  const account = await findAccount(tx.db, accountId);
  if (!account) throw notFound('the account');
  return account;
}

export async function listAccountLeads(
  ctx: ServiceContext,
  accountId: string,
  filter: { stage?: LeadStage; source?: Lead['source']; before?: PageCursor; limit: number },
): Promise<LeadView[]> {
  const account = await accountOf(ctx, ctx.store, accountId);
  const rows = await listLeads(ctx.store.db, { accountId, ...filter });
  return rows.map((l) => presentLead(l, account.average_job_value_cents));
}

export interface LeadDetail extends LeadView {
  contact: { id: string; number: string; name: string | null; email: string | null } | null;
  /** Every stage change, oldest first. */
  history: Array<{ at: string; from: string; to: string; actor: string; valueCents: number | null }>;
}

export async function getAccountLead(ctx: ServiceContext, accountId: string, id: string): Promise<LeadDetail> {
  const db = ctx.store.db;
  const lead = await findLead(db, accountId, id);
  if (!lead) throw notFound(`lead ${id}`);
  const [account, contact, events] = await Promise.all([accountOf(ctx, ctx.store, accountId), findContact(db, accountId, lead.contact_id), listLeadEvents(db, accountId, id)]);
  const history = events
    .filter((e) => e.type === 'lead.stage_changed')
    .map((e) => {
      const data = JSON.parse(e.data) as { from: string; to: string; valueCents?: number | null };
      return { at: e.created_at, from: data.from, to: data.to, actor: e.actor, valueCents: data.valueCents ?? null };
    });
  return {
    ...presentLead(lead, account.average_job_value_cents),
    contact: contact ? { id: contact.id, number: contact.number, name: contact.name, email: contact.email } : null,
    history,
  };
}

export interface LeadPatch {
  stage?: LeadStage;
  valueCents?: number | null;
  lostReason?: string | null;
}

/** A move by hand (and/or a new value or lost reason). Checks everything before writing anything. */
export async function updateAccountLead(ctx: ServiceContext, principal: Principal, id: string, patch: LeadPatch): Promise<LeadView> {
  return ctx.store.transaction(async (tx) => {
    const account = await accountOf(ctx, tx, principal.accountId);
    const lead = await findLead(tx.db, principal.accountId, id);
    if (!lead) throw notFound(`lead ${id}`);
    if (patch.stage === 'new') {
      throw unprocessable('a lead cannot be moved back to new: new means nobody has reached them yet', [
        { field: 'stage', message: 'cannot move a lead back to new' },
      ]);
    }
    const stage = patch.stage ?? lead.stage;
    const value = patch.valueCents !== undefined ? patch.valueCents : lead.value_cents;
    if (stage === 'won' && value === null) {
      throw unprocessable('a won lead needs its value: say what the job was worth in valueCents', [
        { field: 'valueCents', message: 'is required to mark a lead won' },
      ]);
    }
    if (patch.lostReason != null && stage !== 'lost') {
      throw unprocessable(`lostReason is only for a lost lead; this lead is ${stage}`, [{ field: 'lostReason', message: 'only for a lost lead' }]);
    }
    const actor = `user:${principal.userId}`;
    const now = ctx.clock().toISOString();

    if (patch.stage !== undefined && patch.stage !== lead.stage) {
      const moved = await moveLead(ctx, tx, {
        account,
        lead,
        to: patch.stage,
        actor,
        // Guarded on the stage just read: a move made meanwhile (a reply) is not overwritten.
        from: [lead.stage],
        ...(patch.valueCents !== undefined ? { valueCents: patch.valueCents } : {}),
        // Leaving lost clears the reason; a reason given for lost is kept.
        ...(patch.stage === 'lost' ? (patch.lostReason !== undefined ? { lostReason: patch.lostReason } : {}) : { lostReason: null }),
      });
      if (!moved) throw conflict(`lead ${id} changed stage meanwhile; fetch it and try again`);
      return presentLead(moved, account.average_job_value_cents);
    }

    const details = {
      ...(patch.valueCents !== undefined ? { value_cents: patch.valueCents } : {}),
      ...(patch.lostReason !== undefined ? { lost_reason: patch.lostReason } : {}),
    };
    if (Object.keys(details).length === 0) return presentLead(lead, account.average_job_value_cents);
    const updated = (await updateLeadDetails(tx.db, principal.accountId, id, { ...details, updated_at: now }))!;
    await insertEvent(tx.db, {
      account_id: principal.accountId,
      type: 'lead.updated',
      subject_type: 'lead',
      subject_id: id,
      actor,
      data: JSON.stringify({ valueCents: updated.value_cents, lostReason: updated.lost_reason }),
      created_at: now,
    });
    return presentLead(updated, account.average_job_value_cents);
  });
}

// ---------------------------------------------------------------------------------------------
// The report

export interface PipelineReport extends PipelineSummary {
  period: { from: string | null; to: string | null; lineId: string | null };
  averageJobValueCents: number;
}

/** Leads opened in [from, to) on the line (any line when not given), and missed calls in that period. */
export async function pipelineReport(ctx: ServiceContext, accountId: string, q: { from?: Date; to?: Date; lineId?: string }): Promise<PipelineReport> {
  const db = ctx.store.db;
  const account = await accountOf(ctx, ctx.store, accountId);
  let lineId: string | undefined;
  if (q.lineId !== undefined) {
    const line = await findAccountLine(db, accountId, q.lineId);
    if (!line) throw new AppError('not_found', `line ${q.lineId} was not found in this account`, [{ field: 'lineId', message: 'no such line in this account' }]);
    lineId = line.id;
  }
  const scope: PipelineScope = {
    accountId,
    ...(q.from ? { from: q.from.toISOString() } : {}),
    ...(q.to ? { to: q.to.toISOString() } : {}),
    ...(lineId ? { lineId } : {}),
  };
  const [leads, missedCalls] = await Promise.all([listPipelineLeads(db, scope), countMissedCalls(db, scope)]);
  const moves = new Map<string, Array<{ from: string; to: string }>>();
  for (const e of await listStageChanges(db, accountId, leads.map((l) => l.id))) {
    const data = JSON.parse(e.data) as { from: string; to: string };
    const list = moves.get(e.subject_id) ?? [];
    list.push({ from: data.from, to: data.to });
    moves.set(e.subject_id, list);
  }
  const summary = summarizePipeline(
    leads.map((l) => ({ stage: l.stage, source: l.source, valueCents: l.value_cents, furthest: furthestStage(l.stage, moves.get(l.id) ?? []) })),
    account.average_job_value_cents,
    { missedCalls },
  );
  return {
    period: { from: scope.from ?? null, to: scope.to ?? null, lineId: lineId ?? null },
    averageJobValueCents: account.average_job_value_cents,
    ...summary,
  };
}
