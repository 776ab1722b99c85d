// The missed-call loop through a Telnyx connection (voice over TeXML, texts over Messaging API
// v2): Ringback on loopback, a fake Telnyx built from the documented payloads, Ed25519-signed
// webhooks.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { WebhookRequest } from '../src/carriers/carrier.ts';
import { startFakeTelnyx, type FakeTelnyx } from '../src/carriers/telnyx/fake-telnyx.ts';
import { settle, startTestServer, type TestServer } from './helpers.ts';

const API_KEY = 'KEY0123456789abcdef_test';
const LINE = '+14155552681';
const OWNER_CELL = '+14155552682';
let callerSeq = 0;
const nextCaller = () => `+1212555${String(4000 + callerSeq++)}`;

describe('Telnyx: missed call → text from the line, end to end', () => {
  let server: TestServer;
  let telnyx: FakeTelnyx;
  let carrierId: string;
  let base: string;

  const post = async (req: WebhookRequest) => {
    const res = await fetch(req.url, { method: 'POST', headers: req.headers as Record<string, string>, body: req.rawBody });
    return { status: res.status, body: await res.text() };
  };
  const url = (hook: string) => `${base}/webhooks/telnyx/${carrierId}/${hook}`;
  const textsTo = (caller: string) => telnyx.messages().filter((m) => m.to[0]?.phone_number === caller);
  const callFrom = async (caller: string) => {
    const { body } = await server.api('GET', '/api/v1/calls?limit=200');
    return (body.calls as any[]).find((c) => c.from === caller);
  };

  before(async () => {
    telnyx = await startFakeTelnyx({ apiKey: API_KEY, numbers: [LINE] });
    server = await startTestServer({ RINGBACK_JOB_BACKOFF_BASE_MS: '5', RINGBACK_JOB_BACKOFF_CAP_MS: '20' });
    base = server.ringback.ctx.webhookBase();
    const created = await server.api('POST', '/api/v1/carriers', {
      kind: 'telnyx',
      apiKey: API_KEY,
      publicKey: telnyx.publicKeyBase64,
      texmlApplicationId: telnyx.texmlApplicationId,
      messagingProfileId: telnyx.messagingProfileId,
      apiBaseUrl: telnyx.url,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    carrierId = created.body.carrier.id;
    const line = await server.api('POST', '/api/v1/lines', { number: LINE, carrierId, mode: 'forward', ringTargets: [OWNER_CELL] });
    assert.equal(line.status, 201, JSON.stringify(line.body));
  });
  after(async () => {
    await server.close();
    await telnyx.close();
  });

  test('adding the line pointed the TeXML application and the messaging profile at Ringback', () => {
    assert.equal(telnyx.texmlApplication()!.voice_url, url('voice'));
    assert.equal(telnyx.texmlApplication()!.status_callback, url('voice/status'));
    assert.equal(telnyx.messagingProfile()!.webhook_url, url('messages'));
  });

  test('a signed incoming call gets screening TeXML; a no-answer dial result sends one text from the line', async () => {
    const caller = nextCaller();
    const incoming = telnyx.webhooks.incomingCall({ url: url('voice'), from: caller, to: LINE });
    const answer = await post(incoming.request);
    assert.equal(answer.status, 200);
    assert.match(answer.body, /<Dial answerOnBridge="true" timeout="18"/);
    assert.match(answer.body, /<Number url="[^"]+\/voice\/screen\?call=/);
    const result = await post(telnyx.webhooks.dialAction({ url: url('voice/result'), callSid: incoming.callSid, from: caller, to: LINE, dialCallStatus: 'no-answer' }));
    assert.equal(result.status, 200);
    await settle(server);
    const texts = textsTo(caller);
    assert.equal(texts.length, 1);
    assert.equal(texts[0]!.from.phone_number, LINE);
    assert.match(texts[0]!.text ?? '', /Demo Plumbing/);

    // Telnyx's delivery receipt, then a late duplicate "sent": the status ends delivered.
    await telnyx.finalize(texts[0]!.id, { status: 'delivered' });
    await telnyx.markSent(texts[0]!.id);
    await settle(server);
    const message = await server.ringback.store.db.selectFrom('messages').selectAll().where('to_number', '=', caller).executeTakeFirstOrThrow();
    assert.equal(message.carrier_message_id, texts[0]!.id);
    assert.equal(message.status, 'delivered', 'a late "sent" never moves a message backwards');
  });

  test('unsigned, wrongly signed and stale webhooks get 403 and store nothing', async () => {
    const caller = nextCaller();
    const stale = telnyx.webhooks.dialAction({ url: url('voice/result'), callSid: 'v3:stale', from: caller, to: LINE, dialCallStatus: 'no-answer', nowSeconds: Math.floor(Date.now() / 1000) - 301 });
    assert.equal((await post(stale)).status, 403);
    const fresh = telnyx.webhooks.dialAction({ url: url('voice/result'), callSid: 'v3:fresh', from: caller, to: LINE, dialCallStatus: 'no-answer' });
    const headers = { ...(fresh.headers as Record<string, string>) };
    delete headers['telnyx-signature-ed25519'];
    assert.equal((await fetch(fresh.url, { method: 'POST', headers, body: fresh.rawBody })).status, 403);
    const tampered = await fetch(fresh.url, { method: 'POST', headers: fresh.headers as Record<string, string>, body: fresh.rawBody.replace('no-answer', 'busy') });
    assert.equal(tampered.status, 403);
    await settle(server);
    assert.equal(await callFrom(caller), undefined);
    assert.equal(textsTo(caller).length, 0);
  });

  test('duplicate and out-of-order call events are harmless: one call, one text', async () => {
    const caller = nextCaller();
    const incoming = telnyx.webhooks.incomingCall({ url: url('voice'), from: caller, to: LINE });
    const result = telnyx.webhooks.dialAction({ url: url('voice/result'), callSid: incoming.callSid, from: caller, to: LINE, dialCallStatus: 'busy' });
    const status = telnyx.webhooks.callStatus({ url: url('voice/status'), callSid: incoming.callSid, from: caller, to: LINE, callStatus: 'completed' });
    // The final status first, then the dial result twice, then the incoming call, all at once.
    const answers = await Promise.all([post(status), post(result), post(result), post(incoming.request)]);
    assert.deepEqual(answers.map((a) => a.status), [200, 200, 200, 200]);
    await settle(server);
    const calls = (await server.api('GET', '/api/v1/calls?limit=200')).body.calls.filter((c: any) => c.from === caller);
    assert.equal(calls.length, 1);
    assert.equal(textsTo(caller).length, 1);
  });

  test('an inbound text (message.received) threads in, and a replayed event does not duplicate it', async () => {
    const caller = nextCaller();
    const received = telnyx.webhooks.messageReceived({ url: url('messages'), from: caller, to: LINE, text: 'Do you fix water heaters?' });
    assert.equal((await post(received.request)).status, 200);
    assert.equal((await post(received.request)).status, 200);
    const { body } = await server.api('GET', '/api/v1/conversations');
    const conv = body.conversations.find((c: any) => c.contact.number === caller);
    const { body: msgs } = await server.api('GET', `/api/v1/conversations/${conv.id}/messages`);
    assert.deepEqual(msgs.messages.map((m: any) => m.body), ['Do you fix water heaters?']);
  });

  test('40300 (blocked after STOP at Telnyx) suppresses the number', async () => {
    const caller = nextCaller();
    telnyx.failNext({ status: 400, code: '40300' });
    await post(telnyx.webhooks.dialAction({ url: url('voice/result'), callSid: `v3:${caller}`, from: caller, to: LINE, dialCallStatus: 'no-answer' }));
    await settle(server);
    const message = await server.ringback.store.db.selectFrom('messages').selectAll().where('to_number', '=', caller).executeTakeFirstOrThrow();
    assert.equal(message.status, 'failed');
    assert.equal(message.carrier_error_code, '40300');
    assert.match(message.error_message!, /replied STOP/);
    const suppression = await server.ringback.store.db.selectFrom('suppressions').selectAll().where('number', '=', caller).executeTakeFirst();
    assert.equal(suppression?.source, 'carrier');
  });

  test('check passes the credentials and the line, and only misses the public URL', async () => {
    const { body } = await server.api('POST', `/api/v1/carriers/${carrierId}/check`);
    assert.deepEqual(body.check.lines.map((l: any) => [l.number, l.ok]), [[LINE, true]]);
    assert.equal(body.check.problems.length, 1);
    assert.match(body.check.problems[0], /RINGBACK_PUBLIC_URL is not set/);
  });

  test('a wrong API key is refused with the carrier\'s reason, and nothing is stored', async () => {
    const wrong = await server.api('POST', '/api/v1/carriers', { kind: 'telnyx', apiKey: 'KEYwrong_key_000000', publicKey: telnyx.publicKeyBase64, apiBaseUrl: telnyx.url });
    assert.equal(wrong.status, 422);
    assert.match(wrong.body.error.message, /Telnyx rejected the API key/);
    assert.equal((await server.api('GET', '/api/v1/carriers')).body.carriers.filter((c: any) => c.kind === 'telnyx').length, 1);
  });
});
