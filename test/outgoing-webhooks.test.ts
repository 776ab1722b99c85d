// Outgoing webhooks end to end: a real Ringback on loopback sends signed events to a real HTTP
// receiver that answers as scripted (errors, slowness), and the delivery log tells the story.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { verifyWebhook } from '../src/domain/webhook-signature.ts';
import { storeApiKey } from '../src/services/access.ts';
import { insertAccount, insertMembership, insertUser } from '../src/store/accounts-repository.ts';
import { DEMO_LINE, settle, startTestServer, type TestServer } from './helpers.ts';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.ts';

let n = 0;
const nextCaller = () => `+1646555${String(100 + n++).padStart(4, '0')}`;
const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('outgoing webhooks', () => {
  let server: TestServer;
  const receivers: WebhookReceiver[] = [];

  before(async () => {
    server = await startTestServer({
      RINGBACK_JOB_BACKOFF_BASE_MS: '10',
      RINGBACK_JOB_BACKOFF_CAP_MS: '50',
      RINGBACK_WEBHOOK_TIMEOUT_MS: '300',
      RINGBACK_WEBHOOK_MAX_ATTEMPTS: '3',
    });
  });
  after(async () => {
    await server.close();
    for (const r of receivers) await r.close();
  });

  async function receiver(): Promise<WebhookReceiver> {
    const r = await startWebhookReceiver();
    receivers.push(r);
    return r;
  }

  async function endpoint(url: string, events: string[] = ['message.received']): Promise<{ id: string; secret: string }> {
    const res = await server.api('POST', '/api/v1/webhook-endpoints', { url, events, description: 'test' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.match(res.body.secret, /^whsec_[A-Za-z0-9_-]{32}$/);
    assert.deepEqual(res.body.endpoint.events, events);
    assert.equal(res.body.endpoint.enabled, true);
    return { id: res.body.endpoint.id, secret: res.body.secret };
  }

  async function deliveries(endpointId: string) {
    const res = await server.api('GET', `/api/v1/webhook-endpoints/${endpointId}/deliveries`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.deliveries as any[];
  }

  async function text(body: string) {
    const res = await server.api('POST', '/api/v1/simulator/messages', { from: nextCaller(), to: DEMO_LINE, body });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    await settle(server);
  }

  /** Later tests' events must not reach this test's endpoint. */
  async function remove(endpointId: string) {
    assert.equal((await server.api('DELETE', `/api/v1/webhook-endpoints/${endpointId}`)).status, 204);
  }

  test('500, 500, 200: delivered on the third attempt, each attempt in the log, each signed', async () => {
    const r = await receiver();
    r.script(500, 500, 200);
    const { id, secret } = await endpoint(r.url);
    await text('Do you fix dishwashers?');

    assert.equal(r.requests.length, 3);
    const bodies = new Set(r.requests.map((q) => q.body));
    assert.equal(bodies.size, 1, 'the same body every time');
    assert.equal(new Set(r.requests.map((q) => q.headers['ringback-event-id'])).size, 1, 'the same event id every time');
    for (const q of r.requests) {
      assert.equal(q.method, 'POST');
      assert.equal(q.headers['content-type'], 'application/json');
      assert.ok(verifyWebhook(secret, q.body, q.headers['ringback-signature'] as string, nowSeconds()).ok);
    }
    const event = JSON.parse(r.requests[0]!.body);
    assert.match(event.id, /^evt_/);
    assert.equal(event.type, 'message.received');
    assert.equal(event.data.body, 'Do you fix dishwashers?');
    assert.ok(event.accountId && event.createdAt);

    const [delivery] = await deliveries(id);
    assert.equal(delivery.status, 'delivered');
    assert.equal(delivery.attempts, 3);
    assert.equal(delivery.lastStatusCode, 200);
    assert.equal(delivery.lastError, null);
    assert.equal(delivery.nextAttemptAt, null, 'nothing more to try once delivered');
    assert.equal(delivery.eventId, event.id);
    assert.deepEqual(delivery.attemptLog.map((a: any) => [a.attempt, a.statusCode]), [
      [1, 500],
      [2, 500],
      [3, 200],
    ]);
    assert.equal(delivery.attemptLog[0].error, 'answered 500');
    assert.equal(delivery.attemptLog[0].responseExcerpt, 'scripted 500');
    assert.ok(delivery.attemptLog.every((a: any) => Number.isInteger(a.durationMs) && a.durationMs >= 0));
    await remove(id);
  });

  test('a timeout counts as a failed attempt', async () => {
    const r = await receiver();
    r.script({ status: 200, delayMs: 1500 }, 200);
    const { id } = await endpoint(r.url);
    await text('Is this a good number to call?');
    const [delivery] = await deliveries(id);
    assert.equal(delivery.status, 'delivered');
    assert.deepEqual(delivery.attemptLog.map((a: any) => a.statusCode), [null, 200]);
    assert.match(delivery.attemptLog[0].error, /no answer within 300 ms \(timeout\)/);
    assert.ok(delivery.attemptLog[0].durationMs >= 250, String(delivery.attemptLog[0].durationMs));
    await remove(id);
  });

  test('after the last attempt the delivery fails and the owners are told; redeliver sends it again', async () => {
    const r = await receiver();
    r.script(503, 500, 502);
    const { id } = await endpoint(r.url);
    await text('Anyone there?');
    let [delivery] = await deliveries(id);
    assert.equal(delivery.status, 'failed');
    assert.equal(delivery.attempts, 3);
    assert.equal(delivery.lastStatusCode, 502);
    assert.equal(delivery.lastError, 'answered 502');
    assert.equal(delivery.nextAttemptAt, null, 'no retry after the last attempt');
    const alerts = (await server.api('GET', '/api/v1/notifications')).body.notifications.filter((x: any) => x.kind === 'webhook.failed');
    assert.equal(alerts.length, 1, 'one owner alert (email; skipped here: no SMTP)');
    assert.equal(alerts[0].subject.id, id);
    assert.equal(alerts[0].status, 'skipped');

    const again = await server.api('POST', `/api/v1/webhook-endpoints/${id}/deliveries/${delivery.id}/redeliver`);
    assert.equal(again.status, 202, JSON.stringify(again.body));
    assert.equal(again.body.delivery.status, 'pending');
    await settle(server);
    [delivery] = await deliveries(id);
    assert.equal(delivery.status, 'delivered');
    assert.equal(delivery.attempts, 4);
    assert.deepEqual(delivery.attemptLog.map((a: any) => a.statusCode), [503, 500, 502, 200]);
    assert.equal(r.requests.length, 4);
    assert.equal(r.requests[3]!.headers['ringback-event-id'], r.requests[0]!.headers['ringback-event-id']);

    // A delivered one can be sent again too; one still in flight cannot (the receiver is slow
    // to answer, so the second request surely finds it in flight).
    r.script({ status: 200, delayMs: 150 });
    assert.equal((await server.api('POST', `/api/v1/webhook-endpoints/${id}/deliveries/${delivery.id}/redeliver`)).status, 202);
    assert.equal((await server.api('POST', `/api/v1/webhook-endpoints/${id}/deliveries/${delivery.id}/redeliver`)).status, 409);
    await settle(server);
    assert.equal(r.requests.length, 5);
    assert.equal((await server.api('POST', `/api/v1/webhook-endpoints/${id}/deliveries/whd_nope/redeliver`)).status, 404);
    await remove(id);
  });

  test('while a retry waits, the log says when it is due; one delivery can be read on its own', async () => {
    const r = await receiver();
    // Retry-After sets a floor on the backoff (capped at 50 ms here): the retry is an hour away.
    r.script({ status: 503, headers: { 'retry-after': '3600' } });
    const { id } = await endpoint(r.url);
    const ping = await server.api('POST', `/api/v1/webhook-endpoints/${id}/test`);
    assert.equal(ping.status, 202, JSON.stringify(ping.body));
    await settle(server);
    assert.equal(r.requests.length, 1);

    const [delivery] = await deliveries(id);
    assert.equal(delivery.id, ping.body.delivery.id);
    assert.equal(delivery.status, 'pending');
    assert.equal(delivery.attempts, 1);
    assert.equal(delivery.lastStatusCode, 503);
    assert.equal(typeof delivery.nextAttemptAt, 'string', JSON.stringify(delivery));
    const inMs = Date.parse(delivery.nextAttemptAt) - Date.parse(delivery.attemptLog[0].attemptedAt);
    assert.ok(inMs >= 3_595_000 && inMs <= 3_605_000, `the retry is due an hour after the attempt (in ${inMs} ms)`);

    const one = await server.api('GET', `/api/v1/webhook-endpoints/${id}/deliveries/${delivery.id}`);
    assert.equal(one.status, 200, JSON.stringify(one.body));
    // On Postgres the due time is the database's delay added to our clock: it may move by a millisecond.
    const { nextAttemptAt, ...rest } = one.body.delivery;
    assert.deepEqual({ ...rest, nextAttemptAt: null }, { ...delivery, nextAttemptAt: null }, 'the same view as in the log');
    assert.ok(Math.abs(Date.parse(nextAttemptAt) - Date.parse(delivery.nextAttemptAt)) < 1000, `${nextAttemptAt} vs ${delivery.nextAttemptAt}`);
    const missing = await server.api('GET', `/api/v1/webhook-endpoints/${id}/deliveries/whd_nope`);
    assert.equal(missing.status, 404);
    assert.match(missing.body.error.message, /delivery whd_nope/);

    // Still being attempted (a retry is waiting): redelivering is refused.
    assert.equal((await server.api('POST', `/api/v1/webhook-endpoints/${id}/deliveries/${delivery.id}/redeliver`)).status, 409);

    // A redelivery's retry (its job has a key of its own) is found too.
    r.script(500, 500, 500, { status: 503, headers: { 'retry-after': '3600' } });
    const second = (await server.api('POST', `/api/v1/webhook-endpoints/${id}/test`)).body.delivery;
    await settle(server);
    let failed = (await server.api('GET', `/api/v1/webhook-endpoints/${id}/deliveries/${second.id}`)).body.delivery;
    assert.equal(failed.status, 'failed');
    assert.equal(failed.nextAttemptAt, null);
    assert.equal((await server.api('POST', `/api/v1/webhook-endpoints/${id}/deliveries/${second.id}/redeliver`)).status, 202);
    await settle(server);
    failed = (await server.api('GET', `/api/v1/webhook-endpoints/${id}/deliveries/${second.id}`)).body.delivery;
    assert.equal(failed.status, 'pending');
    assert.equal(failed.attempts, 4);
    const retryIn = Date.parse(failed.nextAttemptAt) - Date.parse(failed.attemptLog[3].attemptedAt);
    assert.ok(retryIn >= 3_595_000 && retryIn <= 3_605_000, `the redelivery's retry is due an hour after its attempt (in ${retryIn} ms)`);
    await remove(id);
  });

  test('only the endpoint\'s own secret verifies; rotation replaces it; the secret is never shown again', async () => {
    const r = await receiver();
    const { id, secret } = await endpoint(r.url);
    const ping = await server.api('POST', `/api/v1/webhook-endpoints/${id}/test`);
    assert.equal(ping.status, 202, JSON.stringify(ping.body));
    await settle(server);
    const first = r.requests[0]!;
    assert.equal(JSON.parse(first.body).type, 'ping');
    const header = first.headers['ringback-signature'] as string;
    assert.match(header, /^t=\d+,v1=[0-9a-f]{64}$/);
    assert.ok(verifyWebhook(secret, first.body, header, nowSeconds()).ok);
    const wrong = verifyWebhook('whsec_not_the_secret', first.body, header, nowSeconds());
    assert.deepEqual(wrong, { ok: false, reason: 'no signature matches the body with this secret' });
    assert.equal(verifyWebhook(secret, first.body.replace('ping', 'pong'), header, nowSeconds()).ok, false);
    assert.equal(verifyWebhook(secret, first.body, header, nowSeconds() + 600).ok, false, 'too old');

    const rotated = await server.api('POST', `/api/v1/webhook-endpoints/${id}/rotate-secret`);
    assert.equal(rotated.status, 200);
    assert.notEqual(rotated.body.secret, secret);
    await server.api('POST', `/api/v1/webhook-endpoints/${id}/test`);
    await settle(server);
    const second = r.requests[1]!;
    assert.equal(verifyWebhook(secret, second.body, second.headers['ringback-signature'] as string, nowSeconds()).ok, false);
    assert.ok(verifyWebhook(rotated.body.secret, second.body, second.headers['ringback-signature'] as string, nowSeconds()).ok);

    for (const path of ['/api/v1/webhook-endpoints', `/api/v1/webhook-endpoints/${id}`, `/api/v1/webhook-endpoints/${id}/deliveries`]) {
      const res = await server.api('GET', path);
      assert.equal(res.status, 200);
      assert.doesNotMatch(JSON.stringify(res.body), /whsec_/, path);
    }
    await remove(id);
  });

  test('a disabled endpoint gets nothing', async () => {
    const r = await receiver();
    const { id } = await endpoint(r.url);
    const off = await server.api('PATCH', `/api/v1/webhook-endpoints/${id}`, { enabled: false });
    assert.equal(off.status, 200);
    assert.equal(off.body.endpoint.enabled, false);
    await text('Hello?');
    assert.equal(r.requests.length, 0);
    assert.equal((await deliveries(id)).length, 0);
    const on = await server.api('PATCH', `/api/v1/webhook-endpoints/${id}`, { enabled: true, description: null });
    assert.equal(on.body.endpoint.description, null);
    await text('Hello again?');
    assert.equal(r.requests.length, 1);
    await remove(id);
  });

  test('missed calls and pipeline moves arrive with useful data', async () => {
    const r = await receiver();
    const { id } = await endpoint(r.url, ['call.missed', 'lead.stage_changed']);
    const caller = nextCaller();
    const placed = await server.api('POST', '/api/v1/simulator/calls', { from: caller, to: DEMO_LINE, outcome: 'unanswered' });
    assert.equal(placed.status, 202);
    await settle(server);
    const events = r.requests.map((q) => JSON.parse(q.body));
    const missed = events.find((e) => e.type === 'call.missed');
    assert.ok(missed, JSON.stringify(events));
    assert.equal(missed.data.call.from, caller);
    assert.equal(missed.data.call.to, DEMO_LINE);
    assert.equal(missed.data.call.outcome, 'missed');
    assert.deepEqual(missed.data.call.decision, { action: 'send', reason: 'missed_call' });
    assert.match(missed.data.call.textBackMessageId, /^msg_/);
    assert.equal(missed.data.contact.number, caller);
    assert.equal(missed.data.line.number, DEMO_LINE);
    assert.match(missed.data.leadId, /^lead_/);
    const moved = events.find((e) => e.type === 'lead.stage_changed');
    assert.ok(moved, JSON.stringify(events));
    assert.deepEqual([moved.data.leadId, moved.data.from, moved.data.to, moved.data.contact.number], [missed.data.leadId, 'new', 'contacted', caller]);
    assert.equal(events.filter((e) => e.type === 'message.received').length, 0, 'not subscribed');
    await remove(id);
  });

  test('bad url or unknown event: 400 naming the field, nothing created', async () => {
    const before = (await server.api('GET', '/api/v1/webhook-endpoints')).body.endpoints.length;
    const cases: Array<{ body: unknown; fields: string[] }> = [
      { body: { url: 'ftp://example.com/hook', events: ['message.received'] }, fields: ['url'] },
      { body: { url: 'not a url', events: ['message.received'] }, fields: ['url'] },
      { body: { url: 'https://example.com/hook', events: ['message.sent'] }, fields: ['events.0'] },
      { body: { url: 'https://example.com/hook', events: [] }, fields: ['events'] },
      { body: { url: 'https://example.com/hook', events: ['call.missed', 'call.missed'] }, fields: ['events'] },
      { body: { url: 'https://example.com/hook', events: 'call.missed' }, fields: ['events'] },
      { body: { events: ['call.missed'] }, fields: ['url'] },
      { body: { url: 'https://example.com/hook', events: ['call.missed'], secret: 'mine' }, fields: ['secret'] },
    ];
    for (const c of cases) {
      const res = await server.api('POST', '/api/v1/webhook-endpoints', c.body);
      assert.equal(res.status, 400, JSON.stringify(c.body));
      assert.deepEqual(res.body.error.fields.map((f: any) => f.field), c.fields, JSON.stringify(res.body));
    }
    assert.equal((await server.api('GET', '/api/v1/webhook-endpoints')).body.endpoints.length, before);

    const r = await receiver();
    const { id } = await endpoint(r.url);
    const bad = await server.api('PATCH', `/api/v1/webhook-endpoints/${id}`, { url: 'javascript:alert(1)', events: ['ping'] });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.error.fields.map((f: any) => f.field), ['url', 'events.0']);
    const unchanged = await server.api('GET', `/api/v1/webhook-endpoints/${id}`);
    assert.equal(unchanged.body.endpoint.url, r.url);
    assert.equal((await server.api('GET', `/api/v1/webhook-endpoints/${id}/deliveries?limit=0`)).status, 400);
    assert.equal((await server.api('GET', `/api/v1/webhook-endpoints/${id}/deliveries?before=yesterday`)).status, 400);
    await remove(id);
  });

  test('another account\'s endpoints are 404 on every route', async () => {
    // Earlier tests' texts may still be on their way through the simulator: let them land first,
    // so the only request this endpoint sees is the test event below.
    await settle(server);
    const r = await receiver();
    const { id } = await endpoint(r.url);
    const db = server.ringback.store.db;
    const now = new Date().toISOString();
    await insertAccount(db, { id: 'acc_other', name: 'Other Co', time_zone: 'America/Chicago', business_hours: '{}', booking_url: null, help_contact: null, created_at: now, updated_at: now });
    await insertUser(db, { id: 'usr_other', email: 'other@example.com', name: 'Other', password_hash: 'x', created_at: now });
    await insertMembership(db, { id: 'mem_other', account_id: 'acc_other', user_id: 'usr_other', role: 'owner', created_at: now });
    const key = 'rb_other_account_key_0123456789ab';
    await storeApiKey(db, { accountId: 'acc_other', userId: 'usr_other' }, 'other', key, now);
    const other = { key };

    assert.deepEqual((await server.api('GET', '/api/v1/webhook-endpoints', undefined, other)).body.endpoints, []);
    const routes: Array<[string, string, unknown?]> = [
      ['GET', `/api/v1/webhook-endpoints/${id}`],
      ['PATCH', `/api/v1/webhook-endpoints/${id}`, { enabled: false }],
      ['POST', `/api/v1/webhook-endpoints/${id}/rotate-secret`],
      ['POST', `/api/v1/webhook-endpoints/${id}/test`],
      ['GET', `/api/v1/webhook-endpoints/${id}/deliveries`],
      ['DELETE', `/api/v1/webhook-endpoints/${id}`],
    ];
    for (const [method, path, body] of routes) {
      const res = await server.api(method, path, body, other);
      assert.equal(res.status, 404, `${method} ${path}: ${JSON.stringify(res.body)}`);
    }
    // A delivery of ours, named through the other account: still 404.
    await server.api('POST', `/api/v1/webhook-endpoints/${id}/test`);
    await settle(server);
    const [delivery] = await deliveries(id);
    assert.equal((await server.api('POST', `/api/v1/webhook-endpoints/${id}/deliveries/${delivery.id}/redeliver`, undefined, other)).status, 404);
    assert.equal((await server.api('GET', `/api/v1/webhook-endpoints/${id}/deliveries/${delivery.id}`, undefined, other)).status, 404);
    const mine = await server.api('GET', `/api/v1/webhook-endpoints/${id}`);
    assert.equal(mine.body.endpoint.enabled, true, 'untouched');
    const pings = r.requests.filter((q) => q.headers['ringback-event-type'] === 'ping');
    assert.equal(pings.length, 1, `only our own test event (got ${r.requests.map((q) => q.headers['ringback-event-type']).join(', ')})`);
    await remove(id);
  });
});
