// Fault test (both passes): a Twilio outage. Every Messages create is refused — 503 (which may
// have been accepted: Ringback must reconcile before sending again), then 429 with Retry-After
// (definitely not accepted), then 503 again — while missed calls keep coming: group A1 at T, A2
// at T+10 min, B at T+20 min, on a clock the test moves (RINGBACK_SEND_WINDOW_MINUTES 30: the
// windows end at T+30, T+40, T+50). The clock passes A1's window while its texts wait "queued"
// (after a 429), then A2's while its texts wait "sending" (after a 503). Every text of A must end
// `expired`, visibly (status and reason through the API), and never reach the carrier, even after
// it recovers; once the outage ends (at T+41, inside B's window) each of B's goes out exactly once.
//
// The deadline is checked by the send job with the application clock (ctx.clock, the `clock`
// given to startTestServer): before marking a queued message "sending", and, for a message left
// "sending" by an ambiguous 503, after reconciling with the carrier finds nothing. The clock here
// is real time plus an offset the test moves; job scheduling runs on real time (SQLite runner:
// the same clock; graphile: the database's), so retries keep their small real delays.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeTwilio, type FakeTwilio, type TwilioWebhook } from '../src/carriers/twilio/fake-twilio.ts';
import { startTestServer, type TestServer } from './helpers.ts';
import { countDeliveries, figures, sleep, uniqueCallers, waitUntil } from './support/fault-harness.ts';
import { testStoreKind } from './support/test-database.ts';

const ACCOUNT_SID = `AC${'0d7a6e00'.repeat(4)}`;
const AUTH_TOKEN = '0a7e'.repeat(8);
const LINE = '+14155552681';
const RING_TARGET = '+14155552682';
const GROUP_SIZE = 10;
const MINUTE = 60_000;

describe(`a carrier outage across the send window (${testStoreKind()})`, () => {
  let twilio: FakeTwilio;
  let server: TestServer;
  let offsetMs = 0;
  const clock = () => new Date(Date.now() + offsetMs);

  before(async () => {
    twilio = await startFakeTwilio({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, numbers: [LINE] });
    server = await startTestServer(
      {
        RINGBACK_JOB_BACKOFF_BASE_MS: '5',
        RINGBACK_JOB_BACKOFF_CAP_MS: '200',
        // The default RINGBACK_JOB_MAX_ATTEMPTS (8) stays: with retries every ≤200 ms it would be
        // spent in about a second, so this also proves a send keeps trying until its window closes.
        RINGBACK_SEND_WINDOW_MINUTES: '30',
      },
      { clock },
    );
  });
  after(async () => {
    await server?.close();
    await twilio?.close();
  });

  test('texts past their window expire unsent (queued or sending); the others go out exactly once', { timeout: 180_000 }, async (t) => {
    const started = performance.now();
    const created = await server.api('POST', '/api/v1/carriers', { kind: 'twilio', accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, apiBaseUrl: twilio.url });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const carrierId = created.body.carrier.id as string;
    const line = await server.api('POST', '/api/v1/lines', { number: LINE, carrierId, mode: 'forward', ringTargets: [RING_TARGET], name: 'Outage line' });
    assert.equal(line.status, 201, JSON.stringify(line.body));
    const hookUrl = (hook: string) => `${server.ringback.ctx.webhookBase()}/webhooks/twilio/${carrierId}/${hook}`;

    const callers = uniqueCallers(3 * GROUP_SIZE, ['206']);
    const groupA1 = callers.slice(0, GROUP_SIZE);
    const groupA2 = callers.slice(GROUP_SIZE, 2 * GROUP_SIZE);
    const groupA = [...groupA1, ...groupA2];
    const groupB = callers.slice(2 * GROUP_SIZE);
    let webhooks = 0;
    const post = async (hook: TwilioWebhook) => {
      webhooks++;
      const res = await fetch(hook.url, { method: 'POST', headers: hook.headers as Record<string, string>, body: hook.rawBody });
      const body = await res.text();
      assert.equal(res.status, 200, body);
      return body;
    };
    const missedCall = async (from: string) => {
      const incoming = twilio.webhooks.incomingCall(hookUrl('voice'), { from, to: LINE });
      assert.match(await post(incoming), /<Dial/);
      await post(twilio.webhooks.dialResult(hookUrl('voice/result'), { callSid: incoming.params.CallSid!, from, to: LINE, dialCallStatus: 'no-answer' }));
    };
    /** Message creates for `to` refused with `status` since `since` (performance.now()). */
    const refused = (to: string, status: number, since = 0) =>
      twilio.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/Messages.json') && r.form.To === to && r.status === status && r.at >= since).length;
    const db = server.ringback.store.db;
    const messagesTo = async (numbers: string[]) =>
      db.selectFrom('messages').select(['id', 'to_number', 'status', 'error_message', 'send_deadline']).where('to_number', 'in', numbers).execute();
    const statuses = async (numbers: string[]) => {
      const counts: Record<string, number> = {};
      for (const m of await messagesTo(numbers)) counts[m.status] = (counts[m.status] ?? 0) + 1;
      return counts;
    };

    // Phase 1 — 503 for every create (a 503 may have been accepted: the text stays "sending" and
    // each retry first asks the carrier whether it has it). Calls of A1 at T, of A2 at T+10 min,
    // of B at T+20 min: their windows end at T+30, T+40 and T+50 min.
    twilio.setOutage({ status: 503 });
    for (const [group, minutes] of [[groupA1, 0], [groupA2, 10], [groupB, 20]] as const) {
      offsetMs = minutes * MINUTE;
      for (const from of group) await missedCall(from);
      await waitUntil(() => group.every((c) => refused(c, 503) >= 2), `two refused sends (503) for each call made at T+${minutes} min`, 60_000, 20);
    }

    // Phase 2 — 429 with Retry-After: 1 (definitely not accepted: the text goes back to "queued").
    const phase2 = performance.now();
    twilio.setOutage({ status: 429, retryAfter: 1 });
    await waitUntil(() => callers.every((c) => refused(c, 429, phase2) >= 1), 'a 429 for every call', 60_000, 20);

    // T+31 min: past A1's window. A1's texts, queued after their 429, expire before being sent.
    const a1AtJump = await statuses(groupA1);
    offsetMs = 31 * MINUTE;
    await waitUntil(async () => (await messagesTo(groupA1)).every((m) => m.status === 'expired'), 'every text of A1 to expire', 60_000, 50);

    // Phase 3 — 503 again, until A2's and B's texts have each had one: they are left "sending".
    const phase3 = performance.now();
    twilio.setOutage({ status: 503 });
    await waitUntil(() => [...groupA2, ...groupB].every((c) => refused(c, 503, phase3) >= 1), 'a 503 for every call of A2 and B after the 429s', 60_000, 20);
    const a2AtJump = await statuses(groupA2);
    assert.deepEqual(a2AtJump, { sending: GROUP_SIZE }, 'A2\'s texts are all "sending" (their last answer was an ambiguous 503)');

    // T+41 min: past A2's window. A2's texts expire once reconciling finds them unsent.
    offsetMs = 41 * MINUTE;
    await waitUntil(async () => (await messagesTo(groupA2)).every((m) => m.status === 'expired'), 'every text of A2 to expire', 60_000, 50);
    assert.equal(twilio.messages().length, 0, 'nothing reached the carrier during the outage');
    const bAtRecovery = await statuses(groupB);

    // The carrier recovers, inside B's window: B's texts (all "sending") are reconciled, found
    // missing at the carrier, and sent — once.
    const refusals = twilio.outageRefusals();
    twilio.setOutage(null);
    await waitUntil(() => groupB.every((c) => twilio.messages().some((m) => m.to === c)), 'a text for every call of group B', 60_000, 50);
    await server.ringback.runner.drain(30_000);
    await sleep(1500);
    await server.ringback.runner.drain(30_000);

    const a = countDeliveries(groupA, twilio.messages(), LINE);
    const b = countDeliveries(groupB, twilio.messages(), LINE);
    const maxRefusals = Math.max(...callers.map((c) => refused(c, 503) + refused(c, 429)));
    const summary = figures(`fault-carrier-outage (${testStoreKind()})`, {
      calls: callers.length,
      groupA1: GROUP_SIZE,
      groupA2: GROUP_SIZE,
      groupB: GROUP_SIZE,
      webhooks,
      refused503: twilio.requests.filter((r) => r.status === 503).length,
      refused429: twilio.requests.filter((r) => r.status === 429).length,
      outageRefusals: refusals,
      maxRefusalsPerText: maxRefusals,
      reconcileLookups: twilio.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/Messages.json')).length,
      a1AtJump: JSON.stringify(a1AtJump),
      a2AtJump: JSON.stringify(a2AtJump),
      bAtRecovery: JSON.stringify(bAtRecovery),
      texts: twilio.messages().length,
      textsToA: a.received - a.strays,
      bExactlyOnce: b.exactlyOnce,
      duplicates: a.duplicates + b.duplicates,
      losses: b.losses,
      elapsedS: ((performance.now() - started) / 1000).toFixed(1),
    });
    t.diagnostic(summary);
    console.log(summary);

    // At the carrier: nothing for A, exactly one for each of B, nothing else.
    assert.deepEqual(a.lostCallers, groupA, 'no text of group A reached the carrier');
    assert.equal(b.duplicates, 0, `duplicates for ${b.duplicateCallers.join(', ')}`);
    assert.deepEqual(b.lostCallers, [], 'every call of group B got its text');
    assert.equal(twilio.messages().length, GROUP_SIZE);
    assert.ok(twilio.messages().every((m) => m.from === LINE));
    assert.deepEqual(twilio.violations(), [], 'every request matched the OpenAPI description');

    // Through the API: every call decided "send"; A's message expired with its reason, B's sent.
    const { body: convs } = await server.api('GET', '/api/v1/conversations?limit=200');
    const conversationOf = new Map((convs.conversations as any[]).map((c) => [c.contact.number as string, c.id as string]));
    const { body: list } = await server.api('GET', '/api/v1/calls?limit=200');
    for (const caller of callers) {
      const call = (list.calls as any[]).find((c) => c.from === caller);
      assert.ok(call, `the call from ${caller} is listed`);
      assert.equal(call.decision?.action, 'send', `the call from ${caller} was decided "send"`);
      const { body } = await server.api('GET', `/api/v1/conversations/${conversationOf.get(caller)}/messages`);
      const messages = (body.messages as any[]).filter((m) => m.direction === 'outbound');
      assert.equal(messages.length, 1, `one outbound message to ${caller}`);
      const [message] = messages;
      assert.equal(message.id, call.decision.messageId);
      if (groupA.includes(caller)) {
        assert.equal(message.status, 'expired', `${caller}: ${JSON.stringify(message)}`);
        assert.match(message.error?.message ?? '', /^expired: it could not be sent within its window/);
        assert.equal(message.carrierMessageId, null);
        assert.equal(message.sentAt, null);
      } else {
        assert.equal(message.status, 'sent', `${caller}: ${JSON.stringify(message)}`);
        assert.equal(message.carrierMessageId, twilio.messages().find((m) => m.to === caller)!.sid);
      }
    }
  });
});
