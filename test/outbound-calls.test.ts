// Calls the business places to a contact (callbacks): reported by a phone system through
// POST /api/v1/calls (direction outbound), or by the carrier (the simulator here; Twilio and
// Telnyx below) through the line's webhooks. Stored once, never text-back decided, and told to
// the modules through the call.outbound hook.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { WebhookRequest } from '../src/carriers/carrier.ts';
import { startFakeTelnyx, type FakeTelnyx } from '../src/carriers/telnyx/fake-telnyx.ts';
import { startFakeTwilio, type FakeTwilio } from '../src/carriers/twilio/fake-twilio.ts';
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

// ---------------------------------------------------------------------------------------------
// Through real carrier wire formats: a missed call opens the callback task, the carrier's report
// of the business's call back closes it.

const post = async (req: WebhookRequest) => {
  const res = await fetch(req.url, { method: 'POST', headers: req.headers as Record<string, string>, body: req.rawBody });
  return { status: res.status, body: await res.text() };
};

async function callbackTask(server: TestServer, caller: string) {
  const { body } = await server.api('GET', '/api/v1/tasks?kind=callback&limit=200');
  const contact = await server.ringback.store.db.selectFrom('contacts').select('id').where('number', '=', caller).executeTakeFirstOrThrow();
  const tasks = (body.tasks as any[]).filter((t) => t.contactId === contact.id);
  assert.equal(tasks.length, 1, `one callback task for ${caller}`);
  return tasks[0];
}

describe('outbound calls through Twilio', () => {
  const ACCOUNT_SID = 'AC' + 'b2'.repeat(16);
  const AUTH_TOKEN = 'e1'.repeat(16);
  const LINE = '+14155552691';
  let server: TestServer;
  let twilio: FakeTwilio;
  let url: (hook: string) => string;

  before(async () => {
    twilio = await startFakeTwilio({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, numbers: [LINE] });
    server = await startTestServer({ RINGBACK_JOB_BACKOFF_BASE_MS: '5', RINGBACK_JOB_BACKOFF_CAP_MS: '20' });
    const created = await server.api('POST', '/api/v1/carriers', { kind: 'twilio', accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, apiBaseUrl: twilio.url });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    url = (hook) => `${server.ringback.ctx.webhookBase()}/webhooks/twilio/${created.body.carrier.id}/${hook}`;
    const line = await server.api('POST', '/api/v1/lines', { number: LINE, carrierId: created.body.carrier.id, mode: 'forward', ringTargets: ['+14155552692'] });
    assert.equal(line.status, 201, JSON.stringify(line.body));
  });
  after(async () => {
    await server.close();
    await twilio.close();
  });

  test('a no-answer callback leaves the task open; an answered one (status callback of an outbound-api call) closes it, once', async () => {
    const caller = nextCaller();
    const incoming = twilio.webhooks.incomingCall(url('voice'), { from: caller, to: LINE });
    assert.equal((await post(incoming)).status, 200);
    assert.equal((await post(twilio.webhooks.dialResult(url('voice/result'), { callSid: incoming.params.CallSid!, from: caller, to: LINE, dialCallStatus: 'no-answer' }))).status, 200);
    await settle(server);
    const task = await callbackTask(server, caller);

    const ringing = await post(twilio.webhooks.outboundCallStatus(url('voice/status'), { from: LINE, to: caller, callStatus: 'ringing' }));
    assert.equal(ringing.status, 200, ringing.body);
    const unanswered = await post(twilio.webhooks.outboundCallStatus(url('voice/status'), { from: LINE, to: caller, callStatus: 'no-answer' }));
    assert.equal(unanswered.status, 200, unanswered.body);
    assert.equal((await server.api('GET', `/api/v1/tasks/${task.id}`)).body.task.status, 'open');

    const answered = twilio.webhooks.outboundCallStatus(url('voice/status'), { from: LINE, to: caller, callStatus: 'completed', callDuration: 75, direction: 'outbound-dial' });
    assert.equal((await post(answered)).status, 200);
    assert.equal((await post(answered)).status, 200, 'a retried callback is answered too');
    const { body } = await server.api('GET', '/api/v1/calls?limit=200');
    const outbound = (body.calls as any[]).filter((c) => c.direction === 'outbound' && c.to === caller);
    assert.deepEqual(outbound.map((c) => c.outcome).sort(), ['answered', 'missed'], 'one row per call, the retry changed nothing');
    const done = (await server.api('GET', `/api/v1/tasks/${task.id}`)).body.task;
    assert.equal(done.status, 'done');
    assert.equal(done.completedBy, `call:${outbound.find((c) => c.outcome === 'answered').id}`);
  });

  test('a status callback for a call from a number that is no line is answered and changes nothing', async () => {
    const calls = await countCalls(server);
    const res = await post(twilio.webhooks.outboundCallStatus(url('voice/status'), { from: '+14155552699', to: nextCaller(), callStatus: 'completed' }));
    assert.equal(res.status, 200);
    assert.equal(await countCalls(server), calls);
  });
});

describe('outbound calls through Telnyx (Call Control, direction outgoing)', () => {
  const API_KEY = 'KEY0123456789abcdef_out';
  const LINE = '+14155552693';
  let server: TestServer;
  let telnyx: FakeTelnyx;
  let url: (hook: string) => string;

  before(async () => {
    telnyx = await startFakeTelnyx({ apiKey: API_KEY, numbers: [LINE] });
    server = await startTestServer({ RINGBACK_JOB_BACKOFF_BASE_MS: '5', RINGBACK_JOB_BACKOFF_CAP_MS: '20' });
    const created = await server.api('POST', '/api/v1/carriers', {
      kind: 'telnyx',
      apiKey: API_KEY,
      publicKey: telnyx.publicKeyBase64,
      texmlApplicationId: telnyx.texmlApplicationId,
      messagingProfileId: telnyx.messagingProfileId,
      apiBaseUrl: telnyx.url,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    url = (hook) => `${server.ringback.ctx.webhookBase()}/webhooks/telnyx/${created.body.carrier.id}/${hook}`;
    const line = await server.api('POST', '/api/v1/lines', { number: LINE, carrierId: created.body.carrier.id, mode: 'forward', ringTargets: ['+14155552694'] });
    assert.equal(line.status, 201, JSON.stringify(line.body));
  });
  after(async () => {
    await server.close();
    await telnyx.close();
  });

  test('call.hangup of the business\'s call to the contact closes the callback task', async () => {
    const caller = nextCaller();
    const incoming = telnyx.webhooks.incomingCall({ url: url('voice'), from: caller, to: LINE });
    assert.equal((await post(incoming.request)).status, 200);
    assert.equal((await post(telnyx.webhooks.dialAction({ url: url('voice/result'), callSid: incoming.callSid, from: caller, to: LINE, dialCallStatus: 'no-answer' }))).status, 200);
    await settle(server);
    const task = await callbackTask(server, caller);

    const initiated = telnyx.webhooks.callControlEvent({ url: url('voice/status'), eventType: 'call.initiated', from: LINE, to: caller, direction: 'outgoing' });
    assert.equal((await post(initiated.request)).status, 200);
    const busy = telnyx.webhooks.callControlEvent({ url: url('voice/status'), eventType: 'call.hangup', from: LINE, to: caller, direction: 'outgoing', hangupCause: 'user_busy' });
    assert.equal((await post(busy.request)).status, 200);
    assert.equal((await server.api('GET', `/api/v1/tasks/${task.id}`)).body.task.status, 'open');

    const answered = telnyx.webhooks.callControlEvent({ url: url('voice/status'), eventType: 'call.hangup', from: LINE, to: caller, direction: 'outgoing', hangupCause: 'normal_clearing' });
    const res = await post(answered.request);
    assert.equal(res.status, 200, res.body);
    const done = (await server.api('GET', `/api/v1/tasks/${task.id}`)).body.task;
    assert.equal(done.status, 'done');
    const row = await server.ringback.store.db.selectFrom('calls').select('id').where('carrier_call_id', '=', answered.callControlId).executeTakeFirstOrThrow();
    assert.equal(done.completedBy, `call:${row.id}`);
  });
});
