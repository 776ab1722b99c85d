import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dailySeries, localDay, median, percentile, periodRange, summarizeDashboard, type DashboardPeriod, type MissedCallRow } from './dashboard.ts';

const medianCases: Array<[number[], number | null]> = [
  [[], null],
  [[5], 5],
  [[3, 1, 2], 2],
  [[4, 1, 3, 2], 2.5],
  [[10, 10, 90, 90], 50],
];
for (const [values, want] of medianCases) test(`median ${JSON.stringify(values)} = ${want}`, () => assert.equal(median(values), want));

const percentileCases: Array<[number[], number, number | null]> = [
  [[], 90, null],
  [[7], 90, 7],
  [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90, 9],
  [[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], 90, 10],
  [[5, 1], 50, 1],
];
for (const [values, p, want] of percentileCases) test(`p${p} ${JSON.stringify(values)} = ${want}`, () => assert.equal(percentile(values, p), want));

const rangeCases: Array<{ period: DashboardPeriod; now: string; tz: string; want: [string, string, string]; days: number }> = [
  // 02:00 UTC on the 8th is still the 7th in New York (EDT, UTC-4).
  { period: 'today', now: '2026-04-08T02:00:00Z', tz: 'America/New_York', want: ['2026-04-07T04:00:00.000Z', '2026-04-08T04:00:00.000Z', '2026-04-06T04:00:00.000Z'], days: 1 },
  { period: 'today', now: '2026-04-08T02:00:00Z', tz: 'UTC', want: ['2026-04-08T00:00:00.000Z', '2026-04-09T00:00:00.000Z', '2026-04-07T00:00:00.000Z'], days: 1 },
  // March in New York spans the spring-forward: starts at UTC-5, ends at UTC-4.
  { period: 'month', now: '2026-03-15T12:00:00Z', tz: 'America/New_York', want: ['2026-03-01T05:00:00.000Z', '2026-04-01T04:00:00.000Z', '2026-02-01T05:00:00.000Z'], days: 31 },
  { period: 'month', now: '2026-01-10T12:00:00Z', tz: 'Europe/Berlin', want: ['2025-12-31T23:00:00.000Z', '2026-01-31T23:00:00.000Z', '2025-11-30T23:00:00.000Z'], days: 31 },
  { period: '7d', now: '2026-04-07T14:00:00Z', tz: 'UTC', want: ['2026-04-01T00:00:00.000Z', '2026-04-08T00:00:00.000Z', '2026-03-25T00:00:00.000Z'], days: 7 },
  { period: '30d', now: '2026-04-07T14:00:00Z', tz: 'UTC', want: ['2026-03-09T00:00:00.000Z', '2026-04-08T00:00:00.000Z', '2026-02-07T00:00:00.000Z'], days: 30 },
];
for (const c of rangeCases) {
  test(`periodRange ${c.period} at ${c.now} in ${c.tz}`, () => {
    const r = periodRange(c.period, new Date(c.now), c.tz);
    assert.deepEqual([r.from.toISOString(), r.to.toISOString(), r.previousFrom.toISOString()], c.want);
    assert.equal(r.previousTo.getTime(), r.from.getTime());
    assert.equal(r.days.length, c.days);
    assert.equal(r.days[0], localDay(r.from, c.tz));
  });
}

const call = (startedAt: string, o: Partial<MissedCallRow> = {}): MissedCallRow => ({
  contactId: `c-${startedAt}`,
  startedAt,
  endedAt: startedAt,
  decision: 'send',
  textSentAt: new Date(Date.parse(startedAt) + 10_000).toISOString(),
  repliedAt: null,
  ...o,
});

test('summarizeDashboard: counts, money, response times, only inside the range', () => {
  const from = new Date('2026-04-07T00:00:00Z');
  const to = new Date('2026-04-08T00:00:00Z');
  const m = summarizeDashboard(
    {
      calls: [
        call('2026-04-07T10:00:00Z', { repliedAt: '2026-04-07T10:05:00Z' }),
        call('2026-04-07T11:00:00Z', { textSentAt: '2026-04-07T11:00:30Z' }),
        call('2026-04-07T12:00:00Z', { decision: 'skip', textSentAt: null }),
        call('2026-04-06T12:00:00Z'),
      ],
      leads: [
        { source: 'missed_call', stage: 'won', valueCents: 120_000, createdAt: '2026-04-07T10:00:00Z', closedAt: '2026-04-07T15:00:00Z' },
        { source: 'form', stage: 'won', valueCents: 50_000, createdAt: '2026-04-01T10:00:00Z', closedAt: '2026-04-07T15:00:00Z' },
        { source: 'missed_call', stage: 'booked', valueCents: null, createdAt: '2026-04-07T11:00:00Z', closedAt: null },
        { source: 'missed_call', stage: 'won', valueCents: 9_000, createdAt: '2026-04-05T11:00:00Z', closedAt: '2026-04-06T11:00:00Z' },
      ],
      humanReplies: [
        // Two texts before one answer: counted once, from the first.
        { conversationId: 'a', receivedAt: '2026-04-07T10:05:00Z', repliedAt: '2026-04-07T10:15:00Z' },
        { conversationId: 'a', receivedAt: '2026-04-07T10:10:00Z', repliedAt: '2026-04-07T10:15:00Z' },
        { conversationId: 'b', receivedAt: '2026-04-07T11:00:00Z', repliedAt: '2026-04-07T11:02:00Z' },
      ],
    },
    from,
    to,
  );
  assert.deepEqual(m, {
    missedCalls: 3,
    texted: 2,
    replied: 1,
    booked: 2,
    won: 2,
    recoveredCents: 120_000,
    textBackSeconds: { median: 20, p90: 30, count: 2 },
    humanReplySeconds: { median: 360, count: 2 },
  });
});

test('dailySeries: every day of the range, calls by their local day', () => {
  const range = periodRange('7d', new Date('2026-04-07T14:00:00Z'), 'America/New_York');
  const series = dailySeries(
    [call('2026-04-07T03:00:00Z', { repliedAt: '2026-04-07T03:10:00Z' }), call('2026-04-07T13:00:00Z', { decision: 'skip' }), call('2026-03-01T13:00:00Z')],
    range,
    'America/New_York',
  );
  assert.equal(series.length, 7);
  assert.deepEqual(series.at(-2), { date: '2026-04-06', missed: 1, texted: 1, replied: 1 });
  assert.deepEqual(series.at(-1), { date: '2026-04-07', missed: 1, texted: 0, replied: 0 });
  assert.equal(series.reduce((s, d) => s + d.missed, 0), 2);
});
