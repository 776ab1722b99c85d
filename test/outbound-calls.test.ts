// Calls the business places to a contact (callbacks): reported by a phone system through
// POST /api/v1/calls (direction outbound), or by the carrier (the simulator here; Twilio and
// Telnyx below) through the line's webhooks. Stored once, never text-back decided, and told to
// the modules through the call.outbound hook.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { HookData } from '../src/services/hooks.ts';
import { DEMO_LINE, settle, startTestServer, type TestServer } from './helpers.ts';

const EVENTS_LINE = '+15555550152';
let n = 0;
const nextCaller = () => `+1212555${String(600 + n++).padStart(4, '0')}`;

async function countCalls(server: TestServer) {
  const row = await server.ringback.store.db.selectFrom('calls').select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

describe('outbound calls', () => {
  let server: TestServer;
  const heard: Array<HookData['call.outbound']> = [];

  before(async () => {
    server = await startTestServer({ RINGBACK_JOB_BACKOFF_BASE_MS: '5', RINGBACK_JOB_BACKOFF_CAP_MS: '20' });
    const line = await server.api('POST', '/api/v1/lines', { number: EVENTS_LINE, mode: 'events' });
    assert.equal(line.status, 201, JSON.stringify(line.body));
    server.ringback.ctx.hooks.on('call.outbound', 'test', async (_ctx, _tx, data) => void heard.push(data));
  });
  after(async () => {
    await server.close();
  });

  const report = (body: Record<string, unknown>) => server.api('POST', '/api/v1/calls', body);
  const outbound = (to: string, externalId: string, extra: Record<string, unknown> = {}) => ({
    direction: 'outbound',
    line: EVENTS_LINE,
    to,
    status: 'answered',
    externalId,
    occurredAt: '2026-11-22T14:05:00Z',
    ...extra,
  });

  describe('reported by a phone system (events mode)', () => {
    test('stored as an outbound call of the line to the contact, with no text-back decision; the hook hears it once', async () => {
      const caller = nextCaller();
      const before = heard.length;
      const res = await report(outbound(caller.replace('+1', ''), 'pbx-out-1'));
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.replayed, false);
      const call = res.body.call;
      assert.equal(call.direction, 'outbound');
      assert.equal(call.from, EVENTS_LINE);
      assert.equal(call.to, caller, 'the number called, as E.164');
      assert.equal(call.outcome, 'answered');
      assert.equal(call.source, 'api');
      assert.equal(call.startedAt, '2026-11-22T14:05:00.000Z');
      assert.equal(call.decision, null);
      assert.equal(heard.length, before + 1);
      const data = heard.at(-1)!;
      assert.equal(data.call.id, call.id);
      assert.equal(data.call.direction, 'outbound');
      assert.equal(data.contact?.number, caller);
      assert.equal(data.line.number, EVENTS_LINE);
      const row = await server.ringback.store.db.selectFrom('calls').selectAll().where('id', '=', call.id).executeTakeFirstOrThrow();
      assert.equal(row.contact_id, data.contact?.id);
      const events = await server.ringback.store.db.selectFrom('events').select('type').where('subject_id', '=', call.id).execute();
      assert.deepEqual(events.map((e) => e.type), ['call.outbound']);
    });

    test('the same report twice is a replay: 200, one row, the hook not told again', async () => {
      const body = outbound(nextCaller(), 'pbx-out-replay');
      const first = await report(body);
      assert.equal(first.status, 201, JSON.stringify(first.body));
      const heardBefore = heard.length;
      const calls = await countCalls(server);
      const second = await report(body);
      assert.equal(second.status, 200, JSON.stringify(second.body));
      assert.equal(second.body.replayed, true);
      assert.equal(second.body.call.id, first.body.call.id);
      assert.equal(await countCalls(server), calls);
      assert.equal(heard.length, heardBefore);
    });

    test('the same externalId with other content → 409 naming externalId, whichever the direction', async () => {
      const caller = nextCaller();
      assert.equal((await report(outbound(caller, 'pbx-out-conflict'))).status, 201);
      const calls = await countCalls(server);
      for (const variant of [
        outbound(caller, 'pbx-out-conflict', { status: 'missed' }),
        outbound(nextCaller(), 'pbx-out-conflict'),
        { line: EVENTS_LINE, from: caller, status: 'missed', externalId: 'pbx-out-conflict', occurredAt: '2026-11-22T14:05:00Z' },
      ]) {
        const res = await report(variant);
        assert.equal(res.status, 409, JSON.stringify(res.body));
        assert.equal(res.body.error.fields[0].field, 'externalId');
      }
      assert.equal(await countCalls(server), calls);
    });

    const bad: Array<{ name: string; body: Record<string, unknown>; status: number; field?: string }> = [
      { name: 'to missing', body: { ...outbound('+12125550100', 'x'), to: undefined }, status: 400, field: 'to' },
      { name: 'to not a phone number', body: outbound('12', 'bad-to-1'), status: 400, field: 'to' },
      { name: 'to a withheld number', body: outbound('anonymous', 'bad-to-2'), status: 400, field: 'to' },
      { name: 'from instead of to', body: { ...outbound('+12125550100', 'x'), to: undefined, from: '+12125550100' }, status: 400, field: 'from' },
      { name: 'a status only inbound calls have', body: outbound('+12125550100', 'x', { status: 'rejected' }), status: 400, field: 'status' },
      { name: 'an unknown direction', body: { line: EVENTS_LINE, from: '+12125550100', status: 'missed', externalId: 'x', occurredAt: '2026-11-22T14:05:00Z', direction: 'sideways' }, status: 400, field: 'direction' },
      { name: 'occurredAt without a zone', body: outbound('+12125550100', 'x', { occurredAt: '2026-11-22T14:05:00' }), status: 400, field: 'occurredAt' },
      { name: 'externalId empty', body: outbound('+12125550100', ''), status: 400, field: 'externalId' },
      { name: 'an unknown line', body: outbound('+12125550100', 'x', { line: '+15555550999' }), status: 404, field: 'line' },
      { name: 'a forward-mode line', body: outbound('+12125550100', 'x', { line: DEMO_LINE }), status: 409 },
    ];
    for (const c of bad) {
      test(`${c.name} → ${c.status}${c.field ? ` naming ${c.field}` : ''}; nothing written`, async () => {
        const calls = await countCalls(server);
        const heardBefore = heard.length;
        const contacts = await server.ringback.store.db.selectFrom('contacts').select('id').execute();
        const res = await report(c.body);
        assert.equal(res.status, c.status, JSON.stringify(res.body));
        if (c.field) assert.ok((res.body.error.fields as any[]).some((f) => f.field === c.field), JSON.stringify(res.body));
        assert.equal(await countCalls(server), calls);
        assert.equal(heard.length, heardBefore);
        assert.equal((await server.ringback.store.db.selectFrom('contacts').select('id').execute()).length, contacts.length);
      });
    }

    test('an inbound report without direction still works as before', async () => {
      const res = await report({ line: EVENTS_LINE, from: nextCaller(), status: 'missed', externalId: 'pbx-in-1', occurredAt: '2026-11-22T14:05:00Z' });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      assert.equal(res.body.call.direction, 'inbound');
      assert.equal(res.body.call.decision.action, 'send');
    });
  });

  describe('from the simulator (the demo phone)', () => {
    test('POST /simulator/calls/outbound reaches Ringback through the line\'s webhook', async () => {
      const caller = nextCaller();
      const before = heard.length;
      const res = await server.api('POST', '/api/v1/simulator/calls/outbound', { line: DEMO_LINE, to: caller, answered: false });
      assert.equal(res.status, 202, JSON.stringify(res.body));
      assert.match(res.body.id, /^CA/);
      await settle(server);
      assert.equal(heard.length, before + 1);
      const { call, contact } = heard.at(-1)!;
      assert.equal(call.carrier_call_id, res.body.id);
      assert.equal(call.source, 'carrier');
      assert.equal(call.outcome, 'missed');
      assert.equal(call.from_number, DEMO_LINE);
      assert.equal(contact?.number, caller);
    });

    test('an answered callback counts as a person\'s contact: the next missed call is not texted', async () => {
      for (const [answered, reason] of [
        [true, 'person_replied'],
        [false, 'cooldown'],
      ] as const) {
        const caller = nextCaller();
        await server.api('POST', '/api/v1/simulator/calls', { from: caller, to: DEMO_LINE, outcome: 'unanswered' });
        await settle(server);
        await server.api('POST', '/api/v1/simulator/calls/outbound', { line: DEMO_LINE, to: caller, answered });
        await settle(server);
        await server.api('POST', '/api/v1/simulator/calls', { from: caller, to: DEMO_LINE, outcome: 'unanswered' });
        await settle(server);
        const { body } = await server.api('GET', '/api/v1/calls?limit=200');
        const inbound = (body.calls as any[]).filter((c) => c.from === caller && c.direction === 'inbound');
        assert.equal(inbound.length, 2);
        assert.deepEqual([inbound[0].decision.action, inbound[0].decision.reason], ['skip', reason], `answered: ${answered}`);
      }
    });

    const bad: Array<{ name: string; body: Record<string, unknown>; status: number; field: string }> = [
      { name: 'answered missing', body: { line: DEMO_LINE, to: '+12125550100' }, status: 400, field: 'answered' },
      { name: 'answered not a boolean', body: { line: DEMO_LINE, to: '+12125550100', answered: 'yes' }, status: 400, field: 'answered' },
      { name: 'to not a phone number', body: { line: DEMO_LINE, to: 'nobody', answered: true }, status: 400, field: 'to' },
      { name: 'line unknown', body: { line: '+15555550999', to: '+12125550100', answered: true }, status: 404, field: 'line' },
    ];
    for (const c of bad) {
      test(`simulator: ${c.name} → refused naming ${c.field}`, async () => {
        const calls = await countCalls(server);
        const res = await server.api('POST', '/api/v1/simulator/calls/outbound', c.body);
        assert.equal(res.status, c.status, JSON.stringify(res.body));
        assert.ok((res.body.error.fields as any[]).some((f) => f.field === c.field), JSON.stringify(res.body));
        await settle(server);
        assert.equal(await countCalls(server), calls);
      });
    }
  });
});
