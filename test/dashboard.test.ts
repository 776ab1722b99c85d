// The dashboard end to end: missed calls, text-backs, replies, a human answer and a won job, counted
// in the account's time zone (Tokyo: its days start at 15:00 UTC), next to the previous period.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_LINE, settle, startTestServer, type TestServer } from './helpers.ts';

let now = Date.parse('2026-04-06T14:30:00Z');
const at = (iso: string) => {
  now = Date.parse(iso);
};
const callers = { yesterday: '+12125550501', a: '+12125550502', b: '+12125550503', c: '+12125550504', tomorrow: '+12125550505' };

async function missedCall(server: TestServer, from: string) {
  const res = await server.api('POST', '/api/v1/simulator/calls', { from, to: DEMO_LINE, outcome: 'unanswered' });
  assert.equal(res.status, 202, JSON.stringify(res.body));
}
async function text(server: TestServer, from: string) {
  const res = await server.api('POST', '/api/v1/simulator/messages', { from, to: DEMO_LINE, body: 'Yes please, can you come Thursday?' });
  assert.equal(res.status, 202, JSON.stringify(res.body));
}
/**
 * Waits until the caller's text-back has gone out. The counts depend on the order of the text and
 * the reply, so the clock must not move on while a send job is still waiting to be picked up (on a
 * busy Postgres pass settle()'s rounds can end before the runner has seen it).
 */
async function textedBack(server: TestServer, from: string) {
  await server.waitFor(async () => {
    await settle(server);
    const row = await server.ringback.store.db
      .selectFrom('calls')
      .innerJoin('contacts', 'contacts.id', 'calls.contact_id')
      .innerJoin('messages', 'messages.id', 'calls.message_id')
      .select('messages.sent_at')
      .where('contacts.number', '=', from)
      .orderBy('calls.started_at', 'desc')
      .executeTakeFirst();
    return row?.sent_at ? true : false;
  }, `the text-back to ${from}`, 20_000);
}
async function leadId(server: TestServer, number: string): Promise<string> {
  const row = await server.ringback.store.db
    .selectFrom('leads')
    .innerJoin('contacts', 'contacts.id', 'leads.contact_id')
    .select('leads.id')
    .where('contacts.number', '=', number)
    .executeTakeFirstOrThrow();
  return row.id;
}
async function dashboard(server: TestServer, query: string) {
  const res = await server.api('GET', `/api/v1/dashboard${query}`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.dashboard;
}
const counts = (m: any) => ({ missedCalls: m.missedCalls, texted: m.texted, replied: m.replied, booked: m.booked, won: m.won, recoveredCents: m.recoveredCents });

describe('dashboard', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ RINGBACK_JOB_BACKOFF_BASE_MS: '5', RINGBACK_JOB_BACKOFF_CAP_MS: '20' }, { clock: () => new Date(now) });
    const account = await server.api('PATCH', '/api/v1/account', { timeZone: 'Asia/Tokyo' });
    assert.equal(account.status, 200, JSON.stringify(account.body));

    // 23:30 on 6 April in Tokyo: yesterday.
    at('2026-04-06T14:30:00Z');
    await missedCall(server, callers.yesterday);
    now += 5_000;
    await textedBack(server, callers.yesterday);
    // 00:30 on 7 April in Tokyo (still 6 April in UTC): today.
    at('2026-04-06T15:30:00Z');
    await missedCall(server, callers.a);
    now += 5_000;
    await textedBack(server, callers.a);
    at('2026-04-07T12:00:00Z');
    await text(server, callers.a);
    now += 5_000;
    await settle(server);
    // A person answers A two minutes after A's text.
    now += 115_000;
    const convs = await server.api('GET', '/api/v1/conversations?limit=200');
    const conv = (convs.body.conversations as any[]).find((c) => c.contact.number === callers.a);
    const sent = await server.api('POST', `/api/v1/conversations/${conv.id}/messages`, { body: 'Thursday at 9 works, see you then.' });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    await settle(server);

    at('2026-04-07T13:00:00Z');
    await missedCall(server, callers.b);
    await missedCall(server, callers.c);
    now += 7_000;
    await textedBack(server, callers.b);
    await textedBack(server, callers.c);
    now += 60_000;
    await text(server, callers.b);
    await settle(server);

    at('2026-04-07T13:30:00Z');
    for (const [number, body] of [
      [callers.a, { stage: 'booked' }],
      [callers.a, { stage: 'won', valueCents: 48_000 }],
      [callers.b, { stage: 'booked' }],
    ] as const) {
      const res = await server.api('PATCH', `/api/v1/leads/${await leadId(server, number)}`, body);
      assert.equal(res.status, 200, JSON.stringify(res.body));
    }
    at('2026-04-07T14:00:00Z');
  });
  after(async () => {
    await server?.close();
  });

  test('today in the account zone against yesterday: counts, money, response times', async () => {
    const d = await dashboard(server, '?period=today');
    assert.equal(d.period, 'today');
    assert.equal(d.timeZone, 'Asia/Tokyo');
    assert.equal(d.current.from, '2026-04-06T15:00:00.000Z');
    assert.equal(d.current.to, '2026-04-07T15:00:00.000Z');
    assert.equal(d.previous.from, '2026-04-05T15:00:00.000Z');
    assert.deepEqual(counts(d.current), { missedCalls: 3, texted: 3, replied: 2, booked: 2, won: 1, recoveredCents: 48_000 });
    assert.deepEqual(counts(d.previous), { missedCalls: 1, texted: 1, replied: 0, booked: 0, won: 0, recoveredCents: 0 });

    const tb = d.current.textBackSeconds;
    assert.equal(tb.count, 3);
    assert.equal(typeof tb.median, 'number');
    assert.ok(tb.median >= 0 && tb.median <= 60, `text-back median ${tb.median}s`);
    assert.ok(tb.p90 >= tb.median && tb.p90 <= 60, `text-back p90 ${tb.p90}s`);
    const hr = d.current.humanReplySeconds;
    assert.equal(hr.count, 1);
    assert.ok(hr.median >= 100 && hr.median <= 200, `human reply median ${hr.median}s`);
    assert.equal(d.previous.humanReplySeconds.median, null);

    assert.deepEqual(d.series, [{ date: '2026-04-07', missed: 3, texted: 3, replied: 2 }]);
  });

  test('this month, the last 7 days, and a line', async () => {
    const month = await dashboard(server, '?period=month');
    assert.equal(month.current.from, '2026-03-31T15:00:00.000Z');
    assert.deepEqual(counts(month.current), { missedCalls: 4, texted: 4, replied: 2, booked: 2, won: 1, recoveredCents: 48_000 });
    assert.equal(month.previous.missedCalls, 0);
    assert.equal(month.series.length, 30);
    assert.deepEqual(month.series.slice(5, 7), [
      { date: '2026-04-06', missed: 1, texted: 1, replied: 0 },
      { date: '2026-04-07', missed: 3, texted: 3, replied: 2 },
    ]);
    const week = await dashboard(server, `?period=7d&lineId=${encodeURIComponent(DEMO_LINE)}`);
    assert.equal(week.series.length, 7);
    assert.equal(week.current.missedCalls, 4);
    assert.ok(week.lineId);
  });

  test('after midnight in Tokyo the day turns over; yesterday now holds the won job', async () => {
    at('2026-04-07T15:30:00Z');
    await missedCall(server, callers.tomorrow);
    now += 5_000;
    await settle(server);
    const d = await dashboard(server, '?period=today');
    assert.deepEqual(counts(d.current), { missedCalls: 1, texted: 1, replied: 0, booked: 0, won: 0, recoveredCents: 0 });
    assert.deepEqual(counts(d.previous), { missedCalls: 3, texted: 3, replied: 2, booked: 2, won: 1, recoveredCents: 48_000 });
    assert.deepEqual(d.series, [{ date: '2026-04-08', missed: 1, texted: 1, replied: 0 }]);
  });

  const bad: Array<{ name: string; query: string; status: number; field: string }> = [
    { name: 'an unknown period', query: '?period=year', status: 400, field: 'period' },
    { name: 'an unknown parameter', query: '?period=today&from=2026-01-01', status: 400, field: 'from' },
    { name: 'an empty line', query: '?lineId=', status: 400, field: 'lineId' },
    { name: 'a line of no one', query: '?lineId=%2B15555550999', status: 404, field: 'lineId' },
  ];
  for (const c of bad) {
    test(`bad query: ${c.name} → ${c.status} naming ${c.field}`, async () => {
      const res = await server.api('GET', `/api/v1/dashboard${c.query}`);
      assert.equal(res.status, c.status, JSON.stringify(res.body));
      assert.ok(JSON.stringify(res.body).includes(c.field), JSON.stringify(res.body));
    });
  }

  test('needs a key', async () => {
    assert.equal((await server.api('GET', '/api/v1/dashboard', undefined, { key: null })).status, 401);
  });
});
