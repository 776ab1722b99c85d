// The core loop end to end, through real HTTP on loopback, real SQLite and the simulator carrier.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { signSimulatorWebhook } from '../src/carriers/simulator/signature.ts';
import { DEMO_LINE, settle, startTestServer, type TestServer } from './helpers.ts';

let n = 0;
/** A fresh fictional caller per test, so tests do not share cooldowns. */
const nextCaller = () => `+1212555${String(100 + n++).padStart(4, '0')}`;

async function placeCall(server: TestServer, from: string, outcome: string, to = DEMO_LINE) {
  const res = await server.api('POST', '/api/v1/simulator/calls', { from, to, outcome });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  assert.match(res.body.id, /^CA/);
  return res.body.id as string;
}

async function callFrom(server: TestServer, from: string) {
  return server.waitFor(async () => {
    const { body } = await server.api('GET', '/api/v1/calls?limit=200');
    return (body.calls as any[]).find((c) => c.from === from && c.decision);
  }, `a decided call from ${from}`);
}

async function callsFrom(server: TestServer, from: string) {
  const { body } = await server.api('GET', '/api/v1/calls?limit=200');
  return (body.calls as any[]).filter((c) => c.from === from);
}

async function sendText(server: TestServer, from: string, body: string, to = DEMO_LINE) {
  const res = await server.api('POST', '/api/v1/simulator/messages', { from, to, body });
  assert.equal(res.status, 202, JSON.stringify(res.body));
}

describe('core loop', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ RINGBACK_JOB_BACKOFF_BASE_MS: '5', RINGBACK_JOB_BACKOFF_CAP_MS: '20' });
  });
  after(async () => {
    await server.close();
  });

  test('an unanswered call puts a text from the line on the caller\'s phone', async () => {
    const caller = nextCaller();
    const placedAt = Date.now();
    await placeCall(server, caller, 'unanswered');
    const [text] = await server.waitFor(async () => {
      const inbox = await server.phoneInbox(caller);
      return inbox.length > 0 ? inbox : null;
    }, 'the text-back');
    const latencyMs = Date.parse(text!.receivedAt) - placedAt;
    process.stdout.write(`# call placed → text on the caller's phone: ${latencyMs} ms\n`);
    assert.equal(text!.from, DEMO_LINE);
    assert.match(text!.body, /Demo Plumbing/);
    assert.match(text!.body, /Reply STOP to opt out/);

    const call = await callFrom(server, caller);
    assert.equal(call.outcome, 'missed');
    assert.deepEqual([call.decision.action, call.decision.reason], ['send', 'missed_call']);
    assert.ok(call.decision.messageId);

    await settle(server);
    const { body: convs } = await server.api('GET', '/api/v1/conversations');
    const conv = convs.conversations.find((c: any) => c.contact.number === caller);
    assert.ok(conv, 'a conversation for the caller');
    const { body: msgs } = await server.api('GET', `/api/v1/conversations/${conv.id}/messages`);
    assert.equal(msgs.messages.length, 1);
    assert.equal(msgs.messages[0].id, call.decision.messageId);
    assert.equal(msgs.messages[0].status, 'delivered');
    assert.equal(msgs.messages[0].encoding, 'GSM-7');
    assert.ok(msgs.messages[0].segments >= 1);
  });

  test('a second call within the cooldown sends nothing and says why', async () => {
    const caller = nextCaller();
    await placeCall(server, caller, 'unanswered');
    await callFrom(server, caller);
    await settle(server);
    await placeCall(server, caller, 'busy');
    await server.waitFor(async () => (await callsFrom(server, caller)).filter((c) => c.decision).length === 2, 'both calls decided');
    await settle(server);
    const [second] = await callsFrom(server, caller);
    assert.deepEqual([second.decision.action, second.decision.reason], ['skip', 'cooldown']);
    assert.match(second.decision.explanation, /24 hours/);
    assert.equal((await server.phoneInbox(caller)).length, 1);
  });

  test('busy and caller hang-up count as missed; an answered call is not texted', async () => {
    for (const [outcome, expected] of [
      ['busy', 'send'],
      ['hangup', 'send'],
      ['answered', 'skip'],
    ] as const) {
      const caller = nextCaller();
      await placeCall(server, caller, outcome);
      const call = await callFrom(server, caller);
      assert.equal(call.decision.action, expected, outcome);
      if (outcome === 'answered') assert.equal(call.decision.reason, 'answered');
      await settle(server);
      assert.equal((await server.phoneInbox(caller)).length, expected === 'send' ? 1 : 0, outcome);
    }
  });

  test('STOP gets one confirmation, then no more texts, with the reason on later calls; START opts back in', async () => {
    const caller = nextCaller();
    await sendText(server, caller, 'Stop');
    await settle(server);
    let inbox = await server.phoneInbox(caller);
    assert.equal(inbox.length, 1);
    assert.match(inbox[0]!.body, /unsubscribed/i);

    await sendText(server, caller, 'STOP');
    await settle(server);
    assert.equal((await server.phoneInbox(caller)).length, 1, 'no second confirmation');

    await placeCall(server, caller, 'unanswered');
    const call = await callFrom(server, caller);
    assert.deepEqual([call.decision.action, call.decision.reason], ['skip', 'opted_out']);
    assert.match(call.decision.explanation, /opted out/i);
    await settle(server);
    assert.equal((await server.phoneInbox(caller)).length, 1);

    await sendText(server, caller, 'start');
    await settle(server);
    inbox = await server.phoneInbox(caller);
    assert.equal(inbox.length, 2);
    assert.match(inbox[1]!.body, /resubscribed/i);
  });

  test('HELP is answered with the business name and how to opt out', async () => {
    const caller = nextCaller();
    await sendText(server, caller, ' help ');
    await settle(server);
    const inbox = await server.phoneInbox(caller);
    assert.equal(inbox.length, 1);
    assert.match(inbox[0]!.body, /Demo Plumbing/);
    assert.match(inbox[0]!.body, /STOP/);
  });

  test('an ordinary reply lands in the conversation as unread', async () => {
    const caller = nextCaller();
    await placeCall(server, caller, 'unanswered');
    await callFrom(server, caller);
    await sendText(server, caller, 'Water heater is leaking, can you come today?');
    await settle(server);
    const { body } = await server.api('GET', '/api/v1/conversations');
    const conv = body.conversations.find((c: any) => c.contact.number === caller);
    assert.equal(conv.unreadCount, 1);
    const { body: msgs } = await server.api('GET', `/api/v1/conversations/${conv.id}/messages`);
    assert.deepEqual(
      msgs.messages.map((m: any) => [m.direction, m.author]),
      [
        ['outbound', 'automation'],
        ['inbound', 'contact'],
      ],
    );
    assert.equal(msgs.messages[1].body, 'Water heater is leaking, can you come today?');
  });

  test('a person\'s own reply stops the automatic text-back for that caller', async () => {
    const caller = nextCaller();
    await sendText(server, caller, 'Hi, do you do boiler repairs?');
    await settle(server);
    const { body } = await server.api('GET', '/api/v1/conversations');
    const conv = body.conversations.find((c: any) => c.contact.number === caller);
    const sent = await server.api('POST', `/api/v1/conversations/${conv.id}/messages`, { body: 'Yes! When suits you?' });
    assert.equal(sent.status, 202);
    await settle(server);
    await placeCall(server, caller, 'unanswered');
    const call = await callFrom(server, caller);
    assert.deepEqual([call.decision.action, call.decision.reason], ['skip', 'person_replied']);
    await settle(server);
    assert.deepEqual(
      (await server.phoneInbox(caller)).map((m) => m.body),
      ['Yes! When suits you?'],
    );
  });

  test('the same carrier call event delivered three times gives one call and one text', async () => {
    const caller = nextCaller();
    await placeCall(server, caller, 'unanswered');
    const decided = await callFrom(server, caller);
    await settle(server);
    const db = server.ringback.store.db;
    const connection = await db.selectFrom('carrier_connections').selectAll().executeTakeFirstOrThrow();
    const { carrier_call_id } = await db.selectFrom('calls').select('carrier_call_id').where('id', '=', decided.id).executeTakeFirstOrThrow();
    const secret = server.ringback.ctx.carriers.open(connection).signingSecret as string;
    const path = `/webhooks/simulator/${connection.id}/voice/result`;
    const payload = JSON.stringify({
      event: 'call.completed',
      callId: carrier_call_id,
      from: caller,
      to: DEMO_LINE,
      result: 'no-answer',
      startedAt: new Date(Date.now() - 20_000).toISOString(),
      endedAt: new Date().toISOString(),
    });
    // A carrier retrying its webhook: the same signed event, again and again.
    const replays = await Promise.all(
      [1, 2, 3].map(() =>
        fetch(server.url + path, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-simulator-signature': signSimulatorWebhook(secret, server.ringback.ctx.webhookBase() + path, payload, Math.floor(Date.now() / 1000)),
          },
          body: payload,
        }),
      ),
    );
    assert.deepEqual(replays.map((r) => r.status), [200, 200, 200]);
    await settle(server);
    assert.equal((await callsFrom(server, caller)).length, 1);
    assert.equal((await server.phoneInbox(caller)).length, 1);
  });

  test('events mode: a reported missed call is texted once, however often it is reported', async () => {
    const created = await server.api('POST', '/api/v1/lines', { number: '+15555550150', mode: 'events', name: 'PBX line' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const caller = nextCaller();
    const report = { line: '+15555550150', from: caller, status: 'missed', externalId: 'pbx-1001', occurredAt: new Date().toISOString() };
    const first = await server.api('POST', '/api/v1/calls', report);
    assert.equal(first.status, 201);
    assert.deepEqual([first.body.call.decision.action, first.body.call.decision.reason], ['send', 'missed_call']);
    const again = await server.api('POST', '/api/v1/calls', report);
    assert.equal(again.status, 200);
    assert.equal(again.body.replayed, true);
    assert.equal(again.body.call.id, first.body.call.id);
    await settle(server);
    const inbox = await server.phoneInbox(caller);
    assert.equal(inbox.length, 1);
    assert.equal(inbox[0]!.from, '+15555550150');
  });

  test('events mode: a call reported after its send window expires visibly instead of going out late', async () => {
    const caller = nextCaller();
    const sixHoursAgo = new Date(Date.now() - 6 * 3_600_000).toISOString();
    const res = await server.api('POST', '/api/v1/calls', { line: '+15555550150', from: caller, status: 'missed', externalId: 'pbx-late-1', occurredAt: sixHoursAgo });
    assert.equal(res.status, 201);
    await settle(server);
    const message = await server.ringback.store.db.selectFrom('messages').selectAll().where('id', '=', res.body.call.decision.messageId).executeTakeFirstOrThrow();
    assert.equal(message.status, 'expired');
    assert.equal((await server.phoneInbox(caller)).length, 0);
  });

  test('a paused line records the call and says why no text went out', async () => {
    const paused = await server.api('PATCH', `/api/v1/lines/${encodeURIComponent(DEMO_LINE)}`, { paused: true });
    assert.equal(paused.status, 200);
    try {
      const caller = nextCaller();
      await placeCall(server, caller, 'unanswered');
      const call = await callFrom(server, caller);
      assert.deepEqual([call.decision.action, call.decision.reason], ['skip', 'line_paused']);
      await settle(server);
      assert.equal((await server.phoneInbox(caller)).length, 0);
    } finally {
      await server.api('PATCH', `/api/v1/lines/${encodeURIComponent(DEMO_LINE)}`, { paused: false });
    }
  });

  test('a per-line template overrides the account template', async () => {
    const { body } = await server.api('GET', '/api/v1/lines');
    const line = body.lines.find((l: any) => l.number === DEMO_LINE);
    const slots = ['open', 'after_hours', 'weekend', 'holiday'];
    for (const slot of slots) {
      const res = await server.api('PUT', `/api/v1/templates/text-back/${slot}`, {
        lineId: line.id,
        body: 'Line override from {{business_name}} ({{line_number}}). Reply STOP to opt out.',
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(res.body.template.scope, line.id);
    }
    try {
      const caller = nextCaller();
      await placeCall(server, caller, 'unanswered');
      await callFrom(server, caller);
      await settle(server);
      const [text] = await server.phoneInbox(caller);
      assert.equal(text!.body, 'Line override from Demo Plumbing ((555) 555-0100). Reply STOP to opt out.');
    } finally {
      for (const slot of slots) await server.api('DELETE', `/api/v1/templates/text-back/${slot}?lineId=${line.id}`);
    }
  });

  test('metrics report the send latency histogram and decisions by reason', async () => {
    const res = await fetch(server.url + '/metrics');
    const text = await res.text();
    assert.match(text, /ringback_missed_call_to_send_request_seconds_count\{carrier="simulator"\} [1-9]/);
    assert.match(text, /ringback_text_back_decisions_total\{decision="skip",reason="cooldown"\} [1-9]/);
    assert.match(text, /ringback_text_back_decisions_total\{decision="send",reason="missed_call"\} [1-9]/);
  });
});

describe('send path under carrier trouble', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ RINGBACK_JOB_BACKOFF_BASE_MS: '5', RINGBACK_JOB_BACKOFF_CAP_MS: '20' });
  });
  after(async () => {
    await server.close();
  });

  const messageFor = async (caller: string) => {
    const call = await callFrom(server, caller);
    await settle(server);
    return server.ringback.store.db.selectFrom('messages').selectAll().where('id', '=', call.decision.messageId).executeTakeFirstOrThrow();
  };

  test('a retryable carrier error is retried and the text goes out once', async () => {
    const caller = nextCaller();
    server.ringback.network.injectFault({ kind: 'retryable', times: 2 });
    await placeCall(server, caller, 'unanswered');
    const message = await messageFor(caller);
    assert.equal((await server.phoneInbox(caller)).length, 1);
    assert.equal(message.attempts, 3);
    assert.ok(['sent', 'delivered'].includes(message.status));
  });

  test('after an ambiguous failure the carrier is asked before sending again: no duplicate', async () => {
    const caller = nextCaller();
    server.ringback.network.injectFault({ kind: 'accept-then-timeout' });
    await placeCall(server, caller, 'unanswered');
    const message = await messageFor(caller);
    assert.equal((await server.phoneInbox(caller)).length, 1);
    assert.ok(message.carrier_message_id);
    assert.ok(['sent', 'delivered'].includes(message.status));
  });

  test('a permanent failure is stored with its code and not retried', async () => {
    const caller = nextCaller();
    server.ringback.network.setPhoneType(caller, 'landline');
    await placeCall(server, caller, 'unanswered');
    const message = await messageFor(caller);
    assert.equal(message.status, 'failed');
    assert.equal(message.carrier_error_code, 'landline');
    assert.match(message.error_message ?? '', /landline/);
    assert.equal(message.attempts, 1);
    assert.equal((await server.phoneInbox(caller)).length, 0);
  });

  test('an undelivered status from the carrier is recorded without moving backwards', async () => {
    const caller = nextCaller();
    server.ringback.network.injectFault({ kind: 'undelivered', code: '30003' });
    await placeCall(server, caller, 'unanswered');
    const message = await messageFor(caller);
    assert.equal(message.status, 'undelivered');
    assert.equal(message.carrier_error_code, '30003');
  });
});

describe('sends that wait', () => {
  test('STOP cancels a queued text-back, and a text that cannot go out in time expires', async () => {
    let offsetMs = 0;
    const server = await startTestServer({}, { clock: () => new Date(Date.now() + offsetMs) });
    try {
      await server.ringback.runner.stop();
      const stopper = nextCaller();
      const late = nextCaller();
      await placeCall(server, stopper, 'unanswered');
      await placeCall(server, late, 'unanswered');
      await callFrom(server, stopper);
      await callFrom(server, late);
      await sendText(server, stopper, 'UNSUBSCRIBE');
      await server.waitFor(async () => {
        const rows = await server.ringback.store.db.selectFrom('messages').select('status').where('to_number', '=', stopper).execute();
        return rows.length === 2;
      }, 'the confirmation to be queued');
      offsetMs = 31 * 60_000; // past the 30-minute send window for the text-back
      await server.ringback.runner.start();
      await settle(server);

      const rows = await server.ringback.store.db
        .selectFrom('messages')
        .select(['to_number', 'reason', 'status', 'error_message'])
        .where('to_number', 'in', [stopper, late])
        .orderBy('created_at')
        .execute();
      const byKey = Object.fromEntries(rows.map((r) => [`${r.to_number === stopper ? 'stopper' : 'late'}:${r.reason}`, r]));
      assert.equal(byKey['stopper:missed_call']!.status, 'canceled');
      assert.match(byKey['stopper:missed_call']!.error_message!, /opted out/);
      // The opt-out confirmation was queued 31 minutes "ago" too: its 5-minute window passed.
      assert.equal(byKey['stopper:opt_out_confirmation']!.status, 'expired');
      assert.equal(byKey['late:missed_call']!.status, 'expired');
      assert.match(byKey['late:missed_call']!.error_message!, /window/);
      assert.equal((await server.phoneInbox(late)).length, 0);
      assert.equal((await server.phoneInbox(stopper)).length, 0);
    } finally {
      await server.close();
    }
  });
});
