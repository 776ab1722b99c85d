// The pipeline end to end: missed calls become leads, the text-back and the replies move them by
// themselves, people move them by hand, and the report shows money per stage.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateApiKey, storeApiKey } from '../src/services/access.ts';
import { insertAccount, insertMembership, insertUser } from '../src/store/accounts-repository.ts';
import { ensureContact } from '../src/store/contacts-repository.ts';
import { newId } from '../src/store/ids.ts';
import { DEMO_LINE, settle, startTestServer, type TestServer } from './helpers.ts';

const AVERAGE = 40_000;
const EVENTS_LINE = '+15555550151';
let now = Date.parse('2026-04-07T14:00:00Z');
let n = 0;
const nextCaller = () => `+1212555${String(400 + n++).padStart(4, '0')}`;

async function leadOf(server: TestServer, caller: string) {
  const row = await server.ringback.store.db
    .selectFrom('leads')
    .innerJoin('contacts', 'contacts.id', 'leads.contact_id')
    .select('leads.id')
    .where('contacts.number', '=', caller)
    .orderBy('leads.created_at', 'desc')
    .executeTakeFirstOrThrow();
  const res = await server.api('GET', `/api/v1/leads/${row.id}`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.lead;
}

async function leadRows(server: TestServer) {
  return server.ringback.store.db.selectFrom('leads').selectAll().orderBy('id').execute();
}

async function eventCount(server: TestServer) {
  const row = await server.ringback.store.db.selectFrom('events').select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

async function otherAccountLead(server: TestServer) {
  const db = server.ringback.store.db;
  const at = new Date(now).toISOString();
  const accountId = newId('acc');
  const userId = newId('usr');
  await insertAccount(db, { id: accountId, name: 'Other Co', time_zone: 'America/Chicago', business_hours: '{}', booking_url: null, help_contact: null, created_at: at, updated_at: at });
  await insertUser(db, { id: userId, email: `${userId}@other.test`, name: 'Other', password_hash: 'x', created_at: at });
  await insertMembership(db, { id: newId('mem'), account_id: accountId, user_id: userId, role: 'owner', created_at: at });
  const key = generateApiKey();
  await storeApiKey(db, { accountId, userId }, 'other', key, at);
  const contact = await ensureContact(db, accountId, '+13125550198', at);
  const leadId = newId('lead');
  await db
    .insertInto('leads')
    .values({ id: leadId, account_id: accountId, contact_id: contact.id, line_id: null, source: 'form', stage: 'new', value_cents: null, call_id: null, lost_reason: null, stage_changed_at: at, closed_at: null, created_at: at, updated_at: at })
    .execute();
  return { key, leadId };
}

describe('pipeline', () => {
  let server: TestServer;
  const callers: Record<'replied' | 'booked' | 'won' | 'lost' | 'texted', string> = {
    replied: nextCaller(),
    booked: nextCaller(),
    won: nextCaller(),
    lost: nextCaller(),
    texted: nextCaller(),
  };
  const ids: Record<string, string> = {};

  const patch = async (who: keyof typeof callers, body: unknown) => {
    const res = await server.api('PATCH', `/api/v1/leads/${ids[who]}`, body);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.lead;
  };

  before(async () => {
    server = await startTestServer({ RINGBACK_JOB_BACKOFF_BASE_MS: '5', RINGBACK_JOB_BACKOFF_CAP_MS: '20' }, { clock: () => new Date(now) });
    const account = await server.api('PATCH', '/api/v1/account', { averageJobValueCents: AVERAGE, timeZone: 'America/New_York' });
    assert.equal(account.status, 200, JSON.stringify(account.body));
    assert.equal((await server.api('POST', '/api/v1/lines', { number: EVENTS_LINE, mode: 'events' })).status, 201);

    // Five missed calls: each caller gets the text-back (new → contacted by itself).
    for (const caller of Object.values(callers)) {
      const res = await server.api('POST', '/api/v1/simulator/calls', { from: caller, to: DEMO_LINE, outcome: 'unanswered' });
      assert.equal(res.status, 202);
    }
    await settle(server);
    // Three reply (contacted → engaged by itself).
    for (const who of ['replied', 'booked', 'won'] as const) {
      const res = await server.api('POST', '/api/v1/simulator/messages', { from: callers[who], to: DEMO_LINE, body: 'Yes please, can you come Thursday?' });
      assert.equal(res.status, 202);
    }
    now += 60_000;
    await settle(server);
    for (const who of Object.keys(callers) as Array<keyof typeof callers>) ids[who] = (await leadOf(server, callers[who])).id;
  });
  after(async () => {
    await server.close();
  });

  test('the automatic moves: texted → contacted, a reply → engaged', async () => {
    assert.equal((await leadOf(server, callers.texted)).stage, 'contacted');
    assert.equal((await leadOf(server, callers.replied)).stage, 'engaged');
  });

  test('moves by hand: booked, won with a value, lost with a reason; the history says who moved it', async () => {
    assert.equal((await patch('booked', { stage: 'booked' })).stage, 'booked');
    await patch('won', { stage: 'booked' });
    const won = await patch('won', { stage: 'won', valueCents: 120_000 });
    assert.equal(won.stage, 'won');
    assert.equal(won.valueCents, 120_000);
    assert.ok(won.closedAt);
    const lost = await patch('lost', { stage: 'lost', lostReason: 'went with a competitor' });
    assert.equal(lost.lostReason, 'went with a competitor');
    assert.equal(lost.estimatedValueCents, AVERAGE);

    const detail = await leadOf(server, callers.won);
    assert.equal(detail.contact.number, callers.won);
    assert.deepEqual(
      detail.history.map((h: any) => [h.from, h.to, h.actor.split(':')[0]]),
      [
        ['new', 'contacted', 'system'],
        ['contacted', 'engaged', 'system'],
        ['engaged', 'booked', 'user'],
        ['booked', 'won', 'user'],
      ],
    );
    assert.equal(detail.history[3].valueCents, 120_000);
  });

  test('the report: count and money per stage, the funnel, recovered revenue', async () => {
    const res = await server.api('GET', '/api/v1/pipeline');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const p = res.body.pipeline;
    const byStage = Object.fromEntries((p.stages as any[]).map((s) => [s.stage, [s.count, s.valueCents]]));
    assert.deepEqual(byStage, {
      new: [0, 0],
      contacted: [1, AVERAGE],
      engaged: [1, AVERAGE],
      booked: [1, AVERAGE],
      won: [1, 120_000],
      lost: [1, AVERAGE],
    });
    assert.deepEqual(p.totals, {
      leads: 5,
      missedCalls: 5,
      texted: 5,
      replied: 3,
      booked: 2,
      won: 1,
      lost: 1,
      recoveredRevenueCents: 120_000,
      wonValueCents: 120_000,
      openValueCents: 3 * AVERAGE,
      lostValueCents: AVERAGE,
    });
    assert.deepEqual(p.rates, { texted: 1, replied: 0.6, booked: 0.6667, won: 0.5, overall: 0.2 });
    assert.equal(p.averageJobValueCents, AVERAGE);
  });

  test('the report by period and line', async () => {
    const later = await server.api('GET', `/api/v1/pipeline?from=${encodeURIComponent(new Date(now + 3_600_000).toISOString())}`);
    assert.equal(later.status, 200);
    assert.equal(later.body.pipeline.totals.leads, 0);
    assert.equal(later.body.pipeline.totals.missedCalls, 0);
    const during = await server.api('GET', `/api/v1/pipeline?from=2026-04-07T00:00:00Z&to=2026-04-08T00:00:00Z&lineId=${encodeURIComponent(DEMO_LINE)}`);
    assert.equal(during.status, 200, JSON.stringify(during.body));
    assert.equal(during.body.pipeline.totals.leads, 5);
    assert.equal(during.body.pipeline.period.from, '2026-04-07T00:00:00.000Z');
    const otherLine = await server.api('GET', `/api/v1/pipeline?lineId=${encodeURIComponent(EVENTS_LINE)}`);
    assert.equal(otherLine.body.pipeline.totals.leads, 0);
  });

  test('lists leads by stage and source, paged', async () => {
    const won = await server.api('GET', '/api/v1/leads?stage=won');
    assert.deepEqual((won.body.leads as any[]).map((l) => l.id), [ids.won]);
    const fromCalls = await server.api('GET', '/api/v1/leads?source=missed_call&limit=3');
    assert.equal(fromCalls.body.leads.length, 3);
    const rest = await server.api('GET', `/api/v1/leads?source=missed_call&limit=3&before=${fromCalls.body.next}`);
    assert.equal(rest.body.leads.length, 2);
    assert.equal(new Set([...fromCalls.body.leads, ...rest.body.leads].map((l: any) => l.id)).size, 5);
  });

  test('a value can change without a move; a lost lead can come back (the reason goes)', async () => {
    const valued = await patch('booked', { valueCents: 55_000 });
    assert.equal(valued.stage, 'booked');
    assert.equal(valued.valueCents, 55_000);
    const back = await patch('lost', { stage: 'engaged' });
    assert.equal(back.lostReason, null);
    assert.equal(back.closedAt, null);
    await patch('lost', { stage: 'lost' });
  });

  describe('bad input changes nothing', () => {
    let other: Awaited<ReturnType<typeof otherAccountLead>>;
    before(async () => {
      other = await otherAccountLead(server);
    });

    const cases: Array<{ name: string; method?: string; path: () => string; body?: () => unknown; status: number; field?: string }> = [
      { name: 'won without a value', path: () => `/api/v1/leads/${ids.texted}`, body: () => ({ stage: 'won' }), status: 422, field: 'valueCents' },
      { name: 'won with a null value', path: () => `/api/v1/leads/${ids.texted}`, body: () => ({ stage: 'won', valueCents: null }), status: 422, field: 'valueCents' },
      { name: 'clearing a won lead\'s value', path: () => `/api/v1/leads/${ids.won}`, body: () => ({ valueCents: null }), status: 422, field: 'valueCents' },
      { name: 'back to new', path: () => `/api/v1/leads/${ids.texted}`, body: () => ({ stage: 'new' }), status: 422, field: 'stage' },
      { name: 'an unknown stage', path: () => `/api/v1/leads/${ids.texted}`, body: () => ({ stage: 'closed' }), status: 400, field: 'stage' },
      { name: 'negative value', path: () => `/api/v1/leads/${ids.texted}`, body: () => ({ valueCents: -1 }), status: 400, field: 'valueCents' },
      { name: 'fractional cents', path: () => `/api/v1/leads/${ids.texted}`, body: () => ({ valueCents: 10.5 }), status: 400, field: 'valueCents' },
      { name: 'value too large', path: () => `/api/v1/leads/${ids.texted}`, body: () => ({ valueCents: 100_000_001 }), status: 400, field: 'valueCents' },
      { name: 'value as a string', path: () => `/api/v1/leads/${ids.texted}`, body: () => ({ stage: 'won', valueCents: '1200' }), status: 400, field: 'valueCents' },
      { name: 'a lost reason on an open lead', path: () => `/api/v1/leads/${ids.texted}`, body: () => ({ lostReason: 'no answer' }), status: 422, field: 'lostReason' },
      { name: 'a blank lost reason', path: () => `/api/v1/leads/${ids.texted}`, body: () => ({ stage: 'lost', lostReason: '  ' }), status: 400, field: 'lostReason' },
      { name: 'nothing to change', path: () => `/api/v1/leads/${ids.texted}`, body: () => ({}), status: 400, field: '(request body)' },
      { name: 'an unknown field', path: () => `/api/v1/leads/${ids.texted}`, body: () => ({ stage: 'booked', owner: 'me' }), status: 400, field: 'owner' },
      { name: 'another account\'s lead: patch', path: () => `/api/v1/leads/${other.leadId}`, body: () => ({ stage: 'booked' }), status: 404 },
      { name: 'another account\'s lead: get', method: 'GET', path: () => `/api/v1/leads/${other.leadId}`, status: 404 },
      { name: 'an unknown lead', path: () => '/api/v1/leads/lead_nope', body: () => ({ stage: 'booked' }), status: 404 },
      { name: 'leads: bad stage filter', method: 'GET', path: () => '/api/v1/leads?stage=bogus', status: 400, field: 'stage' },
      { name: 'leads: bad source filter', method: 'GET', path: () => '/api/v1/leads?source=fax', status: 400, field: 'source' },
      { name: 'pipeline: bad from', method: 'GET', path: () => '/api/v1/pipeline?from=yesterday', status: 400, field: 'from' },
      { name: 'pipeline: to before from', method: 'GET', path: () => '/api/v1/pipeline?from=2026-04-08T00:00:00Z&to=2026-04-07T00:00:00Z', status: 400, field: 'to' },
      { name: 'pipeline: unknown line', method: 'GET', path: () => '/api/v1/pipeline?lineId=line_nope', status: 404, field: 'lineId' },
      { name: 'pipeline: unknown parameter', method: 'GET', path: () => '/api/v1/pipeline?since=2026-04-01T00:00:00Z', status: 400, field: 'since' },
    ];

    for (const c of cases) {
      test(`${c.name} → ${c.status}${c.field ? ` naming ${c.field}` : ''}`, async () => {
        const leads = await leadRows(server);
        const events = await eventCount(server);
        const res = await server.api(c.method ?? 'PATCH', c.path(), c.body?.());
        assert.equal(res.status, c.status, JSON.stringify(res.body));
        if (c.field) {
          const fields = (res.body.error.fields ?? []) as Array<{ field: string }>;
          assert.ok(fields.some((f) => f.field === c.field), `names ${c.field}: ${JSON.stringify(res.body)}`);
        }
        assert.deepEqual(await leadRows(server), leads, 'no lead changed');
        assert.equal(await eventCount(server), events, 'no event written');
      });
    }

    test('the other account\'s report and list hold only its own lead', async () => {
      const list = await server.api('GET', '/api/v1/leads', undefined, { key: other.key });
      assert.deepEqual((list.body.leads as any[]).map((l) => l.id), [other.leadId]);
      const report = await server.api('GET', '/api/v1/pipeline', undefined, { key: other.key });
      assert.equal(report.body.pipeline.totals.leads, 1);
      assert.equal(report.body.pipeline.totals.missedCalls, 0);
    });
  });
});
