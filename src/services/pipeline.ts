// The pipeline: a lead moves new → contacted → engaged → booked → won/lost, by itself (a text
// reached them, they replied) and by hand. Every move goes through moveLead, which records it,
// tells open inboxes, and emits lead.stage_changed for follow-ups and webhooks.
import type { LeadStage } from '../store/schema.ts';
import type { Tx } from '../store/database.ts';
import { insertEvent } from '../store/contacts-repository.ts';
import { transitionLead } from '../store/leads-repository.ts';
import type { Account, Lead } from '../store/schema.ts';
import type { ModuleRegistry, ServiceContext } from './context.ts';
import { liveEvent } from './live-events.ts';

export const LEAD_STAGES: readonly LeadStage[] = ['new', 'contacted', 'engaged', 'booked', 'won', 'lost'];

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
  const moved = await transitionLead(tx.db, m.lead.id, from, {
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
