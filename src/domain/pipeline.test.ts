import { test } from 'node:test';
import assert from 'node:assert/strict';
import { furthestStage, summarizePipeline, type LeadStage, type PipelineLead } from './pipeline.ts';

const furthestCases: Array<{ name: string; current: LeadStage; moves: Array<[string, string]>; want: LeadStage }> = [
  { name: 'a new lead', current: 'new', moves: [], want: 'new' },
  { name: 'moved forward step by step', current: 'engaged', moves: [['new', 'contacted'], ['contacted', 'engaged']], want: 'engaged' },
  { name: 'lost after replying still replied', current: 'lost', moves: [['new', 'contacted'], ['contacted', 'engaged'], ['engaged', 'lost']], want: 'engaged' },
  { name: 'lost straight from new', current: 'lost', moves: [['new', 'lost']], want: 'new' },
  { name: 'a booking moved back by hand still counts as booked', current: 'engaged', moves: [['engaged', 'booked'], ['booked', 'engaged']], want: 'booked' },
  { name: 'won', current: 'won', moves: [['booked', 'won']], want: 'won' },
  { name: 'moves with unknown stages are ignored', current: 'contacted', moves: [['??', '!!']], want: 'contacted' },
];

for (const c of furthestCases) {
  test(`furthestStage: ${c.name}`, () => {
    assert.equal(furthestStage(c.current, c.moves.map(([from, to]) => ({ from, to }))), c.want);
  });
}

const lead = (stage: LeadStage, valueCents: number | null = null, furthest: LeadStage = stage === 'lost' ? 'new' : stage, source: PipelineLead['source'] = 'missed_call'): PipelineLead => ({
  stage,
  valueCents,
  furthest,
  source,
});

const AVG = 35_000;

const cases: Array<{
  name: string;
  leads: PipelineLead[];
  missedCalls?: number;
  stages: Partial<Record<LeadStage, [number, number]>>;
  totals: Partial<ReturnType<typeof summarizePipeline>['totals']>;
  rates?: Partial<ReturnType<typeof summarizePipeline>['rates']>;
}> = [
  {
    name: 'no leads: zeros, and no rates (nothing to divide by)',
    leads: [],
    missedCalls: 3,
    stages: { new: [0, 0], won: [0, 0], lost: [0, 0] },
    totals: { leads: 0, missedCalls: 3, recoveredRevenueCents: 0, openValueCents: 0 },
    rates: { texted: null, replied: null, booked: null, won: null, overall: null },
  },
  {
    name: 'open stages are estimated with the average job value when no value is set',
    leads: [lead('new'), lead('contacted'), lead('engaged', 50_000)],
    stages: { new: [1, AVG], contacted: [1, AVG], engaged: [1, 50_000] },
    totals: { openValueCents: AVG + AVG + 50_000, wonValueCents: 0 },
  },
  {
    name: 'won counts actual values only; recovered revenue is won leads from missed calls',
    leads: [lead('won', 120_000), lead('won', 80_000, 'won', 'form'), lead('won', null)],
    stages: { won: [3, 200_000] },
    totals: { won: 3, wonValueCents: 200_000, recoveredRevenueCents: 120_000 },
  },
  {
    name: 'lost is the value lost (estimated when unknown)',
    leads: [lead('lost', 20_000, 'engaged'), lead('lost', null, 'contacted')],
    stages: { lost: [2, 20_000 + AVG] },
    totals: { lost: 2, lostValueCents: 20_000 + AVG, texted: 2, replied: 1 },
  },
  {
    name: 'a funnel: reached counts and step rates',
    leads: [
      lead('new'),
      lead('contacted'),
      lead('contacted'),
      lead('engaged'),
      lead('booked', 40_000),
      lead('won', 90_000),
      lead('lost', null, 'engaged'),
      lead('lost', null, 'new'),
    ],
    missedCalls: 10,
    stages: { new: [1, AVG], contacted: [2, 2 * AVG], engaged: [1, AVG], booked: [1, 40_000], won: [1, 90_000], lost: [2, 2 * AVG] },
    totals: { leads: 8, missedCalls: 10, texted: 6, replied: 4, booked: 2, won: 1, lost: 2, recoveredRevenueCents: 90_000 },
    rates: { texted: 0.75, replied: 0.6667, booked: 0.5, won: 0.5, overall: 0.125 },
  },
];

for (const c of cases) {
  test(`summarizePipeline: ${c.name}`, () => {
    const summary = summarizePipeline(c.leads, AVG, { missedCalls: c.missedCalls ?? 0 });
    assert.deepEqual(summary.stages.map((s) => s.stage), ['new', 'contacted', 'engaged', 'booked', 'won', 'lost'], 'every stage, in order');
    for (const [stage, [count, value]] of Object.entries(c.stages)) {
      const s = summary.stages.find((x) => x.stage === stage)!;
      assert.deepEqual([s.count, s.valueCents], [count, value], stage);
    }
    for (const [key, value] of Object.entries(c.totals)) assert.equal(summary.totals[key as keyof typeof summary.totals], value, key);
    for (const [key, value] of Object.entries(c.rates ?? {})) assert.equal(summary.rates[key as keyof typeof summary.rates], value, `rate ${key}`);
  });
}
