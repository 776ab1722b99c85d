// The pipeline in the owner's terms: how many leads sit in each stage and what they are worth,
// how far missed calls got (texted, replied, booked, won), and the money recovered. Pure: the
// leads and their histories come in, the summary goes out.

/** The values of the leads table's stage column, in pipeline order (the domain does not import the store). */
export const LEAD_STAGES = ['new', 'contacted', 'engaged', 'booked', 'won', 'lost'] as const;
export type LeadStage = (typeof LEAD_STAGES)[number];

/** The way forward; 'lost' is off to the side (a lead can be lost from any stage). */
const FORWARD: readonly LeadStage[] = ['new', 'contacted', 'engaged', 'booked', 'won'];

const rank = (stage: string): number => FORWARD.indexOf(stage as LeadStage);

/**
 * The furthest stage on the way forward a lead ever reached, from its current stage and the
 * moves it made (lead.stage_changed events). A lead lost after it replied still replied; a
 * booking moved back by hand still counts as reached, like any funnel counts a step once taken.
 */
export function furthestStage(current: LeadStage, moves: ReadonlyArray<{ from: string; to: string }>): LeadStage {
  let best = Math.max(0, rank(current));
  for (const m of moves) best = Math.max(best, rank(m.from), rank(m.to));
  return FORWARD[best]!;
}

export interface PipelineLead {
  stage: LeadStage;
  source: 'missed_call' | 'form' | 'inbound_text';
  valueCents: number | null;
  /** furthestStage() of the lead. */
  furthest: LeadStage;
}

export interface StageSummary {
  stage: LeadStage;
  count: number;
  /** Won: the actual values. Open stages and lost: the value, or the account's average job value when none is set. */
  valueCents: number;
}

export interface PipelineSummary {
  stages: StageSummary[];
  totals: {
    leads: number;
    /** Inbound calls nobody answered in the period (from the calls, not the leads). */
    missedCalls: number;
    /** Leads that got at least as far as each step. */
    texted: number;
    replied: number;
    booked: number;
    won: number;
    lost: number;
    /** Actual value of won leads that came from missed calls: what Ringback recovered. */
    recoveredRevenueCents: number;
    wonValueCents: number;
    /** Estimated value still in play (new to booked). */
    openValueCents: number;
    lostValueCents: number;
  };
  /** Each step over the one before it; null when there is nothing to divide by. */
  rates: {
    texted: number | null;
    replied: number | null;
    booked: number | null;
    won: number | null;
    /** Won over all leads. */
    overall: number | null;
  };
}

const rate = (part: number, whole: number): number | null => (whole === 0 ? null : Math.round((part / whole) * 10_000) / 10_000);

export function summarizePipeline(leads: readonly PipelineLead[], averageJobValueCents: number, calls: { missedCalls: number } = { missedCalls: 0 }): PipelineSummary {
  const stages = new Map<LeadStage, StageSummary>(LEAD_STAGES.map((stage) => [stage, { stage, count: 0, valueCents: 0 }]));
  let recovered = 0;
  const reached = { texted: 0, replied: 0, booked: 0 };
  for (const lead of leads) {
    const s = stages.get(lead.stage)!;
    s.count += 1;
    // A won lead is worth what it was sold for; an unknown value is no money yet, not an average.
    s.valueCents += lead.stage === 'won' ? (lead.valueCents ?? 0) : (lead.valueCents ?? averageJobValueCents);
    if (lead.stage === 'won' && lead.source === 'missed_call') recovered += lead.valueCents ?? 0;
    const r = rank(lead.furthest);
    if (r >= rank('contacted')) reached.texted += 1;
    if (r >= rank('engaged')) reached.replied += 1;
    if (r >= rank('booked')) reached.booked += 1;
  }
  const at = (stage: LeadStage) => stages.get(stage)!;
  const won = at('won').count;
  return {
    stages: [...stages.values()],
    totals: {
      leads: leads.length,
      missedCalls: calls.missedCalls,
      ...reached,
      won,
      lost: at('lost').count,
      recoveredRevenueCents: recovered,
      wonValueCents: at('won').valueCents,
      openValueCents: (['new', 'contacted', 'engaged', 'booked'] as const).reduce((sum, stage) => sum + at(stage).valueCents, 0),
      lostValueCents: at('lost').valueCents,
    },
    rates: {
      texted: rate(reached.texted, leads.length),
      replied: rate(reached.replied, reached.texted),
      booked: rate(reached.booked, reached.replied),
      won: rate(won, reached.booked),
      overall: rate(won, leads.length),
    },
  };
}
