// The fake Telnyx, tested on its own: auth, request validation, answer shapes, faults, and
// signatures checked with node:crypto and WebCrypto directly (not with the adapter's code).

import assert from 'node:assert/strict';
import { createPublicKey, verify, webcrypto } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { WebhookRequest } from '../carrier.ts';
import { generateTelnyxKeyPair, signTelnyxPayload, startFakeTelnyx, startWebhookReceiver } from './fake-telnyx.ts';
import type { FakeTelnyx, WebhookReceiver } from './fake-telnyx.ts';

const API_KEY = 'KEY0123456789ABCDEF_fake';
const LINE = '+14155550100';
const CALLER = '+14155550123';

/** Independent check: raw 32-byte key → SPKI DER → node:crypto verify. */
function nodeVerifies(publicKeyBase64: string, req: WebhookRequest): boolean {
  const raw = Buffer.from(publicKeyBase64, 'base64');
  assert.equal(raw.length, 32, 'the public key is 32 raw bytes');
  const key = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), raw]), format: 'der', type: 'spki' });
  const signature = Buffer.from(String(req.headers['telnyx-signature-ed25519']), 'base64');
  return verify(null, Buffer.from(`${String(req.headers['telnyx-timestamp'])}|${req.rawBody}`), key, signature);
}

/** A second independent check, through WebCrypto's raw import. */
async function webCryptoVerifies(publicKeyBase64: string, req: WebhookRequest): Promise<boolean> {
  const key = await webcrypto.subtle.importKey('raw', Buffer.from(publicKeyBase64, 'base64'), { name: 'Ed25519' }, false, ['verify']);
  return webcrypto.subtle.verify(
    { name: 'Ed25519' },
    key,
    Buffer.from(String(req.headers['telnyx-signature-ed25519']), 'base64'),
    Buffer.from(`${String(req.headers['telnyx-timestamp'])}|${req.rawBody}`),
  );
}

describe('fake Telnyx', () => {
  let fake: FakeTelnyx;
  let receiver: WebhookReceiver;

  before(async () => {
    fake = await startFakeTelnyx({ apiKey: API_KEY, numbers: [LINE] });
    receiver = await startWebhookReceiver();
  });
  after(async () => {
    await fake.close();
    await receiver.close();
  });

  const call = async (method: string, path: string, body?: unknown, key: string | null = API_KEY) => {
    const response = await fetch(`${fake.url}${path}`, {
      method,
      headers: {
        ...(key === null ? {} : { authorization: `Bearer ${key}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, json: JSON.parse(text) as Record<string, any> };
  };

  describe('authentication', () => {
    const cases: ReadonlyArray<[string, string | null, number]> = [
      ['no Authorization header', null, 401],
      ['a wrong key', 'KEYwrongwrongwrong', 401],
      ['the account key', API_KEY, 200],
    ];
    for (const [label, key, status] of cases) {
      it(`${label} → ${status}`, async () => {
        const res = await call('GET', '/v2/balance', undefined, key);
        assert.equal(res.status, status);
        if (status === 401) {
          assert.equal(res.json['errors'][0].code, '10009');
          assert.equal(res.json['errors'][0].title, 'Authentication failed');
        } else {
          assert.equal(res.json['data'].record_type, 'balance');
        }
      });
    }

    it('refuses a send without the key and records nothing as sent', async () => {
      const before = fake.messages().length;
      const res = await call('POST', '/v2/messages', { from: LINE, to: CALLER, text: 'hi' }, 'KEYnotthekey12345');
      assert.equal(res.status, 401);
      assert.equal(fake.messages().length, before);
    });
  });

  describe('POST /v2/messages validation', () => {
    const cases: ReadonlyArray<[string, unknown, number, string, string | undefined]> = [
      ['not JSON', '{"to":', 400, '10015', undefined],
      ['an array', '[]', 400, '10015', undefined],
      ['no to', { from: LINE, text: 'hi' }, 422, '10004', '/to'],
      ['to not +E.164', { from: LINE, to: '4155550123', text: 'hi' }, 422, '10016', '/to'],
      ['no from', { to: CALLER, text: 'hi' }, 422, '10004', '/from'],
      ['from not on the account', { from: '+14155559999', to: CALLER, text: 'hi' }, 422, '10002', '/from'],
      ['no text', { from: LINE, to: CALLER }, 422, '10004', '/text'],
      ['empty text', { from: LINE, to: CALLER, text: '' }, 422, '10015', '/text'],
      ['a webhook_url that is not a URL', { from: LINE, to: CALLER, text: 'hi', webhook_url: 'nope' }, 422, '10003', '/webhook_url'],
      ['an undocumented field', { from: LINE, to: CALLER, text: 'hi', validity_period: 60 }, 422, '10015', '/validity_period'],
      ['an unknown messaging profile', { from: LINE, to: CALLER, text: 'hi', messaging_profile_id: 'nope' }, 422, '10005', '/messaging_profile_id'],
    ];
    for (const [label, body, status, code, pointer] of cases) {
      it(`${label} → ${status} ${code}`, async () => {
        const before = fake.messages().length;
        const res = await call('POST', '/v2/messages', body);
        assert.equal(res.status, status);
        const error = res.json['errors'][0];
        assert.equal(error.code, code);
        assert.equal(typeof error.title, 'string');
        if (pointer) assert.equal(error.source.pointer, pointer);
        assert.equal(fake.messages().length, before, 'nothing was accepted');
      });
    }
  });

  it('answers an accepted send with the documented message object and records it', async () => {
    const res = await call('POST', '/v2/messages', {
      from: LINE,
      to: CALLER,
      text: 'Sorry we missed your call 👍',
      webhook_url: `${receiver.url}/status`,
      use_profile_webhooks: false,
      messaging_profile_id: fake.messagingProfileId,
    });
    assert.equal(res.status, 200);
    const data = res.json['data'];
    assert.equal(data.record_type, 'message');
    assert.equal(data.direction, 'outbound');
    assert.match(data.id, /^[0-9a-f-]{36}$/);
    assert.equal(data.from.phone_number, LINE);
    assert.equal(data.to[0].phone_number, CALLER);
    assert.equal(data.to[0].status, 'queued');
    assert.equal(data.text, 'Sorry we missed your call 👍');
    assert.equal(data.encoding, 'UCS-2');
    assert.equal(data.parts, 1);
    assert.equal(data.webhook_url, `${receiver.url}/status`);
    assert.equal(data.messaging_profile_id, fake.messagingProfileId);
    assert.deepEqual(data.errors, []);
    for (const field of ['type', 'organization_id', 'cc', 'media', 'tags', 'cost', 'received_at', 'sent_at', 'completed_at', 'valid_until']) {
      assert.ok(field in data, `the message object has ${field}`);
    }
    const recorded = fake.messages().find((m) => m.id === data.id);
    assert.equal(recorded?.text, 'Sorry we missed your call 👍');

    const got = await call('GET', `/v2/messages/${data.id}`);
    assert.equal(got.status, 200);
    assert.equal(got.json['data'].id, data.id);
    const missing = await call('GET', '/v2/messages/00000000-0000-0000-0000-000000000000');
    assert.equal(missing.status, 404);
    assert.equal(missing.json['errors'][0].code, '10005');
  });

  it('records every request with its arrival time, in order', async () => {
    const start = Date.now();
    const count = fake.requests.length;
    await call('GET', '/v2/balance');
    await call('GET', '/v2/phone_numbers?filter%5Bphone_number%5D=%2B14155550100');
    const [a, b] = fake.requests.slice(count);
    assert.equal(a?.path, '/v2/balance');
    assert.equal(b?.path, '/v2/phone_numbers');
    assert.equal(b?.query['filter[phone_number]'], LINE);
    assert.ok(a !== undefined && b !== undefined && a.receivedAt >= start && b.receivedAtNs > a.receivedAtNs);
  });

  describe('faults (next send only)', () => {
    it('429 with Retry-After, not accepted; the next send works', async () => {
      const before = fake.messages().length;
      fake.failNext({ status: 429, retryAfter: 7 });
      const res = await call('POST', '/v2/messages', { from: LINE, to: CALLER, text: 'hi' });
      assert.equal(res.status, 429);
      assert.equal(res.headers.get('retry-after'), '7');
      assert.equal(res.json['errors'][0].code, '10011');
      assert.equal(fake.messages().length, before);
      assert.equal((await call('POST', '/v2/messages', { from: LINE, to: CALLER, text: 'hi' })).status, 200);
    });

    it('a JSON:API refusal with the given code', async () => {
      fake.failNext({ status: 400, code: '40300' });
      const res = await call('POST', '/v2/messages', { from: LINE, to: CALLER, text: 'hi' });
      assert.equal(res.status, 400);
      assert.deepEqual(res.json['errors'][0], { code: '40300', title: 'Blocked due to STOP message' });
    });

    it('500 and 401', async () => {
      fake.failNext({ status: 500 });
      assert.equal((await call('POST', '/v2/messages', { from: LINE, to: CALLER, text: 'hi' })).status, 500);
      fake.failNext({ status: 401 });
      assert.equal((await call('POST', '/v2/messages', { from: LINE, to: CALLER, text: 'hi' })).status, 401);
    });

    it('timeout: accepted and recorded at once, answered late', async () => {
      const before = fake.messages().length;
      fake.failNext({ timeout: true, answerAfterMs: 150 });
      const started = Date.now();
      const pending = call('POST', '/v2/messages', { from: LINE, to: CALLER, text: 'slow' });
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(fake.messages().length, before + 1, 'accepted before the answer');
      const res = await pending;
      assert.equal(res.status, 200);
      assert.ok(Date.now() - started >= 140, 'the answer came late');
      assert.equal(res.json['data'].id, fake.messages().at(-1)?.id);
    });

    it('reset: the connection drops after the message was accepted', async () => {
      const before = fake.messages().length;
      fake.failNext({ reset: true });
      await assert.rejects(call('POST', '/v2/messages', { from: LINE, to: CALLER, text: 'lost answer' }));
      assert.equal(fake.messages().length, before + 1);
      fake.failNext({ reset: true, accepted: false });
      await assert.rejects(call('POST', '/v2/messages', { from: LINE, to: CALLER, text: 'lost' }));
      assert.equal(fake.messages().length, before + 1);
    });
  });

  describe('webhooks', () => {
    it('finalize sends a signed message.finalized to the message webhook_url', async () => {
      const sent = await call('POST', '/v2/messages', { from: LINE, to: CALLER, text: 'hi', webhook_url: `${receiver.url}/status?ref=m1`, use_profile_webhooks: false });
      const id = sent.json['data'].id as string;
      const sentEvent = await fake.markSent(id);
      assert.equal(sentEvent.status, 200);
      const delivery = await fake.finalize(id, { status: 'delivery_failed', errorCode: '40001' });
      assert.equal(delivery.status, 200);
      const got = await receiver.waitFor((r) => r.rawBody.includes('message.finalized') && r.rawBody.includes(id));
      assert.equal(got.url, `${receiver.url}/status?ref=m1`);
      assert.equal(got.headers['content-type'], 'application/json');
      assert.equal(got.rawBody, delivery.request.rawBody, 'the body arrives byte for byte');
      assert.ok(nodeVerifies(fake.publicKeyBase64, got));
      assert.ok(await webCryptoVerifies(fake.publicKeyBase64, got));
      const body = JSON.parse(got.rawBody) as { data: Record<string, any> };
      assert.equal(body.data['record_type'], 'event');
      assert.equal(body.data['event_type'], 'message.finalized');
      assert.match(body.data['id'], /^[0-9a-f-]{36}$/);
      assert.ok(!Number.isNaN(Date.parse(body.data['occurred_at'])));
      assert.equal(body.data['payload'].id, id);
      assert.equal(body.data['payload'].to[0].status, 'delivery_failed');
      assert.deepEqual(body.data['payload'].errors, [{ code: '40001', title: 'Not routable' }]);
      assert.equal((await call('GET', `/v2/messages/${id}`)).json['data'].to[0].status, 'delivery_failed');
      const sentBody = JSON.parse(sentEvent.request.rawBody) as { data: Record<string, any> };
      assert.equal(sentBody.data['event_type'], 'message.sent');
    });

    it('a planned final status (failNext finalStatus) is what finalize() reports by default', async () => {
      fake.failNext({ finalStatus: 'delivery_failed', errorCode: '30003' });
      const sent = await call('POST', '/v2/messages', { from: LINE, to: CALLER, text: 'hi', webhook_url: `${receiver.url}/status` });
      assert.equal(sent.status, 200);
      const delivery = await fake.finalize(sent.json['data'].id);
      const payload = (JSON.parse(delivery.request.rawBody) as { data: { payload: Record<string, any> } }).data.payload;
      assert.equal(payload['to'][0].status, 'delivery_failed');
      assert.equal(payload['errors'][0].code, '30003');
    });

    it('message.received is a signed JSON envelope with the documented payload', async () => {
      const { request, messageId, eventId } = fake.webhooks.messageReceived({ url: 'https://ringback.test/messages', from: CALLER, to: LINE, text: 'Hello & bye' });
      assert.ok(nodeVerifies(fake.publicKeyBase64, request));
      assert.ok(await webCryptoVerifies(fake.publicKeyBase64, request));
      const data = (JSON.parse(request.rawBody) as { data: Record<string, any> }).data;
      assert.equal(data['event_type'], 'message.received');
      assert.equal(data['id'], eventId);
      assert.equal(data['payload'].id, messageId);
      assert.equal(data['payload'].direction, 'inbound');
      assert.equal(data['payload'].from.phone_number, CALLER);
      assert.equal(data['payload'].to[0].phone_number, LINE);
      assert.equal(data['payload'].text, 'Hello & bye');
      assert.equal(request.nowSeconds, Number(request.headers['telnyx-timestamp']));
    });

    it('TeXML callbacks are signed forms with Twilio-style names', async () => {
      const { request, callSid } = fake.webhooks.incomingCall({ url: 'https://ringback.test/voice', from: CALLER, to: LINE });
      assert.equal(request.headers['content-type'], 'application/x-www-form-urlencoded');
      assert.ok(nodeVerifies(fake.publicKeyBase64, request));
      const incoming = new URLSearchParams(request.rawBody);
      assert.match(callSid, /^v3:/);
      for (const name of ['AccountSid', 'CallSid', 'CallSidLegacy', 'From', 'To', 'CallStatus', 'Timestamp', 'SequenceNumber']) {
        assert.ok(incoming.has(name), `incoming call has ${name}`);
      }
      assert.equal(incoming.get('From'), CALLER);

      const dial = new URLSearchParams(
        fake.webhooks.dialAction({ url: 'https://ringback.test/voice/result', callSid, from: CALLER, to: LINE, dialCallStatus: 'no-answer', dialCallDuration: 0 }).rawBody,
      );
      assert.equal(dial.get('DialCallStatus'), 'no-answer');
      for (const name of ['DialCallSid', 'DialCallDuration', 'HangupCause']) assert.ok(dial.has(name), `dial action has ${name}`);
      assert.equal(dial.get('SequenceNumber'), '2', 'sequence numbers count up per call');

      const status = new URLSearchParams(fake.webhooks.callStatus({ url: 'https://ringback.test/voice/status', callSid, from: CALLER, to: LINE, callStatus: 'completed', callDuration: 12 }).rawBody);
      assert.equal(status.get('CallbackSource'), 'call-progress-events');
      assert.equal(status.get('CallDuration'), '12');
      const gather = fake.webhooks.gatherAction({ url: 'https://ringback.test/voice/screen-accept', callSid, from: CALLER, to: LINE, digits: '1' });
      assert.equal(new URLSearchParams(gather.rawBody).get('Digits'), '1');
      const record = fake.webhooks.recordAction({ url: 'https://ringback.test/voice/voicemail', callSid, from: CALLER, to: LINE, recordingUrl: 'https://rec.example/1.mp3', recordingDuration: 9 });
      assert.equal(new URLSearchParams(record.rawBody).get('RecordingUrl'), 'https://rec.example/1.mp3');
    });

    it('a signature from another key does not verify against the account key', () => {
      const other = generateTelnyxKeyPair();
      const { request } = fake.webhooks.messageReceived({ url: 'https://ringback.test/messages', from: CALLER, to: LINE, text: 'hi' });
      const forged = { ...request, headers: { ...request.headers, 'telnyx-signature-ed25519': signTelnyxPayload(other.privateKey, String(request.headers['telnyx-timestamp']), request.rawBody) } };
      assert.equal(nodeVerifies(fake.publicKeyBase64, forged), false);
      assert.equal(nodeVerifies(other.publicKeyBase64, forged), true);
      assert.equal(nodeVerifies(fake.publicKeyBase64, { ...request, rawBody: request.rawBody.replace('hi', 'ho') }), false);
    });
  });

  describe('numbers, TeXML applications and messaging profiles', () => {
    it('filters phone numbers by number, with their assignments', async () => {
      const found = await call('GET', `/v2/phone_numbers?${new URLSearchParams({ 'filter[phone_number]': LINE })}`);
      assert.equal(found.json['data'].length, 1);
      assert.equal(found.json['data'][0].phone_number, LINE);
      assert.equal(found.json['data'][0].connection_id, fake.texmlApplicationId);
      assert.equal(found.json['data'][0].messaging_profile_id, fake.messagingProfileId);
      const none = await call('GET', `/v2/phone_numbers?${new URLSearchParams({ 'filter[phone_number]': '+19995550000' })}`);
      assert.deepEqual(none.json['data'], []);
    });

    it('PATCH texml_applications needs friendly_name and voice_url, and refuses unknown fields', async () => {
      const path = `/v2/texml_applications/${fake.texmlApplicationId}`;
      const missing = await call('PATCH', path, { voice_url: 'https://ringback.test/voice' });
      assert.equal(missing.status, 422);
      assert.equal(missing.json['errors'][0].source.pointer, '/friendly_name');
      const unknown = await call('PATCH', path, { friendly_name: 'x', voice_url: 'https://ringback.test/voice', voice_urls: 'x' });
      assert.equal(unknown.status, 422);
      const ok = await call('PATCH', path, { friendly_name: 'Ringback', voice_url: 'https://ringback.test/voice', voice_method: 'post', status_callback: 'https://ringback.test/voice/status' });
      assert.equal(ok.status, 200);
      assert.equal(fake.texmlApplication()?.voice_url, 'https://ringback.test/voice');
      assert.equal((await call('GET', '/v2/texml_applications/404')).status, 404);
    });

    it('PATCH messaging_profiles sets the webhook URL', async () => {
      const res = await call('PATCH', `/v2/messaging_profiles/${fake.messagingProfileId}`, { webhook_url: 'https://ringback.test/messages', webhook_api_version: '2' });
      assert.equal(res.status, 200);
      assert.equal(fake.messagingProfile()?.webhook_url, 'https://ringback.test/messages');
      assert.equal((await call('PATCH', `/v2/messaging_profiles/${fake.messagingProfileId}`, { webhook_api_version: '3' })).status, 422);
    });
  });
});

describe('fake Telnyx autoDeliver', () => {
  it('sends message.sent then message.finalized (delivered) for each accepted message', async () => {
    const receiver = await startWebhookReceiver();
    const fake = await startFakeTelnyx({ apiKey: API_KEY, numbers: [LINE], autoDeliver: { delayMs: 5 } });
    try {
      const res = await fetch(`${fake.url}/v2/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ from: LINE, to: CALLER, text: 'auto', webhook_url: `${receiver.url}/status`, use_profile_webhooks: false }),
      });
      const id = ((await res.json()) as { data: { id: string } }).data.id;
      const finalized = await receiver.waitFor((r) => r.rawBody.includes('message.finalized'));
      const types = receiver.received.map((r) => (JSON.parse(r.rawBody) as { data: { event_type: string } }).data.event_type);
      assert.deepEqual(types, ['message.sent', 'message.finalized']);
      assert.ok(finalized.rawBody.includes(id));
      assert.ok(nodeVerifies(fake.publicKeyBase64, finalized));
    } finally {
      await fake.close();
      await receiver.close();
    }
  });
});
