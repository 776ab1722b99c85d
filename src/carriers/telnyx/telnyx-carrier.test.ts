// The Telnyx adapter: the shared carrier contract over the fake Telnyx (a real HTTP server), then
// what is particular to Telnyx: the Ed25519 window, status and error mapping, reconciliation after
// a timeout, account checks and number configuration.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { CarrierError, MalformedWebhookError } from '../carrier.ts';
import type { CallEvent, OutboundMessage, WebhookRequest } from '../carrier.ts';
import { runCarrierContract } from '../contract.ts';
import type { CarrierHarness, ContractDialResult, MalformedKind, SignedWebhook } from '../contract.ts';
import { generateTelnyxKeyPair, signTelnyxPayload, startFakeTelnyx, startWebhookReceiver, telnyxEventBody } from './fake-telnyx.ts';
import type { FakeTelnyx, FakeTelnyxFault, TelnyxMessage, WebhookReceiver } from './fake-telnyx.ts';
import { TelnyxCarrier, TelnyxCredentialsSchema } from './telnyx-carrier.ts';
import type { TelnyxCarrierOptions } from './telnyx-carrier.ts';

const API_KEY = 'KEY01892B3C4D5E6F_testkey';
const LINE = '+14155550100';
const CALLER = '+14155550123';
const BASE = 'https://ringback.test/webhooks/telnyx/conn_1';

interface Rig {
  fake: FakeTelnyx;
  receiver: WebhookReceiver;
  adapter: TelnyxCarrier;
  statusUrl: string;
  close(): Promise<void>;
}

async function rig(
  adapterOptions: TelnyxCarrierOptions = {},
  ids: { texml?: boolean; profile?: boolean } = { texml: true, profile: true },
  numbers?: Parameters<typeof startFakeTelnyx>[0]['numbers'],
): Promise<Rig> {
  const fake = await startFakeTelnyx({ apiKey: API_KEY, numbers: numbers ?? [LINE] });
  const receiver = await startWebhookReceiver();
  const adapter = new TelnyxCarrier(
    {
      apiKey: API_KEY,
      publicKey: fake.publicKeyBase64,
      ...(ids.texml ? { texmlApplicationId: fake.texmlApplicationId } : {}),
      ...(ids.profile ? { messagingProfileId: fake.messagingProfileId } : {}),
    },
    { apiBaseUrl: fake.url, timeoutMs: 500, reconcileWaitMs: 3000, ...adapterOptions },
  );
  return {
    fake,
    receiver,
    adapter,
    statusUrl: `${receiver.url}/webhooks/telnyx/conn_1/status`,
    close: async () => {
      await fake.close();
      await receiver.close();
    },
  };
}

async function makeTelnyxHarness(): Promise<CarrierHarness> {
  const r = await rig();
  const { fake, adapter } = r;
  const other = generateTelnyxKeyPair();

  const dialStatus: Record<Exclude<ContractDialResult, 'rejected'>, ['completed' | 'no-answer' | 'busy' | 'canceled', number]> = {
    'no-answer': ['no-answer', 0],
    busy: ['busy', 0],
    answered: ['completed', 42],
    // The caller hung up while the business's phones rang: the dialled leg is cancelled.
    'caller-hangup': ['canceled', 0],
  };

  const json = (url: string, body: unknown): WebhookRequest => fake.webhooks.json(url, body);
  const form = (url: string, params: Record<string, string>): WebhookRequest => fake.webhooks.form(url, params);
  const envelope = (eventType: string, payload: unknown) => JSON.parse(telnyxEventBody(eventType, payload, { occurredAt: '2025-03-04T15:00:00.000Z' })) as Record<string, any>;
  const inboundPayload = { id: 'b0c1d2e3-0000-4000-8000-000000000001', direction: 'inbound', from: { phone_number: CALLER }, to: [{ phone_number: LINE }], text: 'hi', received_at: '2025-03-04T15:00:00.000Z' };
  const finalPayload = (status: unknown) => ({ id: 'b0c1d2e3-0000-4000-8000-000000000002', direction: 'outbound', to: [{ phone_number: CALLER, status }], errors: [] });

  const malformed: Record<MalformedKind, WebhookRequest[]> = {
    voice: [
      form(`${BASE}/voice`, {}),
      form(`${BASE}/voice`, { From: CALLER, To: LINE, CallStatus: 'ringing' }),
      form(`${BASE}/voice`, { CallSid: 'v3:abc', From: CALLER, CallStatus: 'ringing' }),
      json(`${BASE}/voice`, envelope('message.received', inboundPayload)),
      json(`${BASE}/voice`, { data: { event_type: 'call.initiated', payload: { call_control_id: 'v3:abc', from: CALLER, to: LINE } } }),
    ],
    messages: [
      json(`${BASE}/messages`, 'not json'),
      json(`${BASE}/messages`, '{"data":'),
      json(`${BASE}/messages`, []),
      json(`${BASE}/messages`, { event_type: 'message.received', payload: inboundPayload }),
      json(`${BASE}/messages`, envelope('message.finalized', finalPayload('delivered'))),
      json(`${BASE}/messages`, envelope('message.received', { ...inboundPayload, id: undefined })),
      json(`${BASE}/messages`, envelope('message.received', { ...inboundPayload, from: {} })),
      json(`${BASE}/messages`, envelope('message.received', { ...inboundPayload, to: [] })),
      json(`${BASE}/messages`, envelope('message.received', { ...inboundPayload, text: 42 })),
      json(`${BASE}/messages`, envelope('message.received', { ...inboundPayload, text: undefined })),
      json(`${BASE}/messages`, envelope('message.received', { ...inboundPayload, received_at: 'yesterday' })),
      form(`${BASE}/messages`, { CallSid: 'v3:abc', From: CALLER, To: LINE }),
    ],
    status: [
      json(`${BASE}/status`, ''),
      json(`${BASE}/status`, envelope('message.received', inboundPayload)),
      json(`${BASE}/status`, envelope('message.finalized', finalPayload('read'))),
      json(`${BASE}/status`, envelope('message.finalized', finalPayload('queued'))),
      json(`${BASE}/status`, envelope('message.finalized', { ...finalPayload('delivered'), id: undefined })),
      json(`${BASE}/status`, envelope('message.finalized', { ...finalPayload('delivered'), to: [] })),
      json(`${BASE}/status`, envelope('message.finalized', { ...finalPayload('delivery_failed'), errors: [{ code: { nested: true } }] })),
      json(`${BASE}/status`, envelope('message.deleted', finalPayload('delivered'))),
      json(`${BASE}/status`, { data: { event_type: 'message.sent', id: 'e1', payload: finalPayload('sent') } }),
    ],
  };

  return {
    adapter,
    line: LINE,
    caller: CALLER,
    statusCallbackUrl: r.statusUrl,
    signatureWindowSeconds: 300,
    unsupportedDialResults: {
      rejected: 'TeXML, like TwiML, sends no dial result for a call answered with <Reject/>; only the status callback reports its end',
    },
    unknownNumber: '+14155550999',

    async incomingCall({ from, to }): Promise<SignedWebhook> {
      const { request, callSid } = fake.webhooks.incomingCall({ url: `${BASE}/voice`, from, to });
      return { request, carrierId: callSid, hook: 'voice' };
    },

    async dialResult({ from, to, result }): Promise<SignedWebhook> {
      const { callSid } = fake.webhooks.incomingCall({ url: `${BASE}/voice`, from, to });
      if (result === 'rejected') throw new Error('not reported by Telnyx TeXML (see unsupportedDialResults)');
      const [dialCallStatus, dialCallDuration] = dialStatus[result];
      const request = fake.webhooks.dialAction({ url: `${BASE}/voice/result`, callSid, from, to, dialCallStatus, dialCallDuration });
      return { request, carrierId: callSid, hook: 'voice/result' };
    },

    async outboundCall({ from, to, result }): Promise<SignedWebhook> {
      const hangupCause = ({ answered: 'normal_clearing', 'no-answer': 'timeout', busy: 'user_busy', failed: 'not_found' } as const)[result];
      const { request, callControlId } = fake.webhooks.callControlEvent({ url: `${BASE}/voice/status`, eventType: 'call.hangup', from, to, direction: 'outgoing', hangupCause });
      return { request, carrierId: callControlId, hook: 'voice/status' };
    },

    async inboundText({ from, to, body }): Promise<SignedWebhook> {
      const { request, messageId } = fake.webhooks.messageReceived({ url: `${BASE}/messages`, from, to, text: body, messagingProfileId: fake.messagingProfileId });
      return { request, carrierId: messageId, hook: 'messages' };
    },

    async statusCallback(carrierMessageId) {
      // Delivered over HTTP to the receiver, as Telnyx would, and returned as it arrived.
      const delivery = await fake.finalize(carrierMessageId);
      assert.equal(delivery.status, 200, `the status webhook was delivered (${delivery.error ?? ''})`);
      return r.receiver.waitFor((req) => req.rawBody === delivery.request.rawBody);
    },

    unsigned(req) {
      const headers = { ...req.headers };
      delete headers['telnyx-signature-ed25519'];
      delete headers['telnyx-timestamp'];
      return { ...req, headers };
    },

    wronglySigned(req) {
      const timestamp = String(req.headers['telnyx-timestamp']);
      return { ...req, headers: { ...req.headers, 'telnyx-signature-ed25519': signTelnyxPayload(other.privateKey, timestamp, req.rawBody) } };
    },

    malformed(kind) {
      return malformed[kind];
    },

    sentMessages() {
      return fake.messages().map((m) => ({ carrierMessageId: m.id, from: m.from.phone_number, to: m.to[0]?.phone_number ?? '', body: m.text ?? '' }));
    },

    failNextSend(fault) {
      switch (fault.kind) {
        case 'retryable':
          fake.failNext({ status: 429, retryAfter: 1 });
          break;
        case 'permanent':
          fake.failNext({ status: 400, code: '40300' });
          break;
        case 'accepted-then-timeout':
          // Telnyx keeps the message and answers after the adapter stopped waiting (500 ms).
          fake.failNext({ timeout: true, answerAfterMs: 900 });
          break;
        case 'undelivered':
          fake.failNext({ finalStatus: 'delivery_failed', errorCode: fault.errorCode });
          break;
      }
    },

    close: () => r.close(),
  };
}

runCarrierContract('telnyx', makeTelnyxHarness);

// ---- Telnyx specifics ------------------------------------------------------------------------

function outbound(statusCallbackUrl?: string, overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  return {
    ref: `msg_${randomUUID()}`,
    from: LINE,
    to: CALLER,
    body: 'Sorry we missed your call! This is Acme Plumbing.',
    ...(statusCallbackUrl === undefined ? {} : { statusCallbackUrl }),
    ...overrides,
  };
}

/** A port nothing listens on (connection refused). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function carrierError(promise: Promise<unknown>): Promise<CarrierError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof CarrierError, `expected a CarrierError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a CarrierError');
}

describe('TelnyxCredentialsSchema', () => {
  const key = generateTelnyxKeyPair().publicKeyBase64;
  const valid = { apiKey: API_KEY, publicKey: key };
  const cases: ReadonlyArray<[string, unknown, string | null]> = [
    ['minimal credentials', valid, null],
    ['with both ids', { ...valid, texmlApplicationId: '1293384261075731499', messagingProfileId: randomUUID() }, null],
    ['a key with surrounding spaces (trimmed)', { ...valid, apiKey: ` ${API_KEY} ` }, null],
    ['an API key that does not start with KEY', { ...valid, apiKey: 'sk_live_0123456789abcdef' }, 'apiKey: must be a Telnyx API key (starts with KEY)'],
    ['a too-short API key', { ...valid, apiKey: 'KEY123' }, 'apiKey: must be a Telnyx API key (starts with KEY)'],
    ['a public key that is not base64', { ...valid, publicKey: 'not a key!' }, "publicKey: must be the account's Ed25519 public key from the Telnyx portal (base64, 32 bytes)"],
    ['a 31-byte public key', { ...valid, publicKey: Buffer.alloc(31, 1).toString('base64') }, "publicKey: must be the account's Ed25519 public key from the Telnyx portal (base64, 32 bytes)"],
    ['a 33-byte public key', { ...valid, publicKey: Buffer.alloc(33, 1).toString('base64') }, "publicKey: must be the account's Ed25519 public key from the Telnyx portal (base64, 32 bytes)"],
    ['an empty TeXML application id', { ...valid, texmlApplicationId: '' }, 'texmlApplicationId:'],
    ['an unknown field', { ...valid, authToken: 'x' }, 'authToken'],
  ];
  for (const [label, input, problem] of cases) {
    it(`${label} → ${problem === null ? 'valid' : 'invalid'}`, () => {
      const parsed = TelnyxCredentialsSchema.safeParse(input);
      assert.equal(parsed.success, problem === null);
      if (!parsed.success && problem !== null) {
        const text = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
        assert.ok(text.includes(problem), text);
        assert.ok(!text.includes(String((input as { apiKey: string }).apiKey).trim()) || problem.startsWith('publicKey'), 'the API key is not echoed');
      }
    });
  }

  it('the constructor refuses bad credentials without echoing the key', () => {
    assert.throws(
      () => new TelnyxCarrier({ apiKey: 'sk_secret_value_123', publicKey: key }),
      (err: Error) => err instanceof TypeError && err.message.includes('apiKey must be a Telnyx API key') && !err.message.includes('sk_secret_value_123'),
    );
  });
});

describe('TelnyxCarrier.verifyWebhook', () => {
  let r: Rig;
  before(async () => {
    r = await rig();
  });
  after(() => r.close());

  const signedAt = (nowSeconds: number) => r.fake.webhooks.messageReceived({ url: `${BASE}/messages`, from: CALLER, to: LINE, text: 'hello', nowSeconds }).request;

  const window: ReadonlyArray<[string, number, string | null]> = [
    ['signed just now', 0, null],
    ['300 s old', 300, null],
    ['301 s old', 301, 'signature timestamp is 301 s old (limit 300 s)'],
    ['412 s old', 412, 'signature timestamp is 412 s old (limit 300 s)'],
    ['300 s in the future', -300, null],
    ['301 s in the future', -301, 'signature timestamp is 301 s in the future (limit 300 s)'],
  ];
  for (const [label, age, reason] of window) {
    it(`a webhook ${label} → ${reason ?? 'ok'}`, () => {
      const request = signedAt(1_741_100_000);
      assert.deepEqual(r.adapter.verifyWebhook({ ...request, nowSeconds: request.nowSeconds + age }), reason === null ? { ok: true } : { ok: false, reason });
    });
  }

  it('gives precise reasons', () => {
    const request = signedAt(1_741_100_000);
    const without = (name: string) => {
      const headers = { ...request.headers };
      delete headers[name];
      return { ...request, headers };
    };
    const other = generateTelnyxKeyPair();
    const cases: ReadonlyArray<[string, WebhookRequest, string]> = [
      ['no signature header', without('telnyx-signature-ed25519'), 'missing telnyx-signature-ed25519 header'],
      ['no timestamp header', without('telnyx-timestamp'), 'missing telnyx-timestamp header'],
      ['a tampered body', { ...request, rawBody: request.rawBody.replace('hello', 'hellO') }, 'signature does not match'],
      ['a changed timestamp', { ...request, headers: { ...request.headers, 'telnyx-timestamp': String(request.nowSeconds - 1) } }, 'signature does not match'],
      [
        'another account key',
        { ...request, headers: { ...request.headers, 'telnyx-signature-ed25519': signTelnyxPayload(other.privateKey, request.nowSeconds, request.rawBody) } },
        'signature does not match',
      ],
      ['a signature that is not 64 bytes', { ...request, headers: { ...request.headers, 'telnyx-signature-ed25519': 'c2lnbmF0dXJl' } }, 'telnyx-signature-ed25519 header is not a base64 Ed25519 signature (64 bytes)'],
      ['a timestamp that is not a number', { ...request, headers: { ...request.headers, 'telnyx-timestamp': '2025-03-04T15:00:00Z' } }, 'telnyx-timestamp header is not a Unix time in seconds'],
      ['two signature headers', { ...request, headers: { ...request.headers, 'telnyx-signature-ed25519': ['a', 'b'] } }, 'more than one telnyx-signature-ed25519 header'],
    ];
    for (const [label, req, reason] of cases) {
      assert.deepEqual(r.adapter.verifyWebhook(req), { ok: false, reason }, label);
    }
  });

  it('reads header names case-insensitively and accepts a single-value array', () => {
    const request = signedAt(1_741_100_000);
    const headers = {
      'Telnyx-Signature-Ed25519': [String(request.headers['telnyx-signature-ed25519'])],
      'TELNYX-TIMESTAMP': String(request.headers['telnyx-timestamp']),
    };
    assert.deepEqual(r.adapter.verifyWebhook({ ...request, headers }), { ok: true });
  });

  it("rejects a webhook signed for another connection's key even when everything else is right", async () => {
    const elsewhere = await startFakeTelnyx({ apiKey: API_KEY, numbers: [LINE] });
    try {
      const { request } = elsewhere.webhooks.incomingCall({ url: `${BASE}/voice`, from: CALLER, to: LINE });
      assert.deepEqual(r.adapter.verifyWebhook(request), { ok: false, reason: 'signature does not match' });
    } finally {
      await elsewhere.close();
    }
  });
});

describe('TelnyxCarrier webhook parsing', () => {
  let r: Rig;
  before(async () => {
    r = await rig();
  });
  after(() => r.close());

  const message = (status: string, errors: unknown[] = []): TelnyxMessage =>
    ({
      record_type: 'message',
      direction: 'outbound',
      id: 'f0e1d2c3-0000-4000-8000-0000000000aa',
      to: [{ phone_number: CALLER, status, carrier: 'T-Mobile USA', line_type: 'Wireless' }],
      errors,
    }) as unknown as TelnyxMessage;

  const statusCases: ReadonlyArray<[string, 'message.sent' | 'message.finalized', string, unknown[], string, string | undefined]> = [
    ['sent', 'message.sent', 'sent', [], 'sent', undefined],
    ['delivered', 'message.finalized', 'delivered', [], 'delivered', undefined],
    ['delivery_failed', 'message.finalized', 'delivery_failed', [{ code: '40001', title: 'Not routable' }], 'undelivered', '40001'],
    ['sending_failed', 'message.finalized', 'sending_failed', [{ code: '40300', title: 'Blocked due to STOP message' }], 'failed', '40300'],
    ['delivery_unconfirmed (no receipt: stays sent)', 'message.finalized', 'delivery_unconfirmed', [], 'sent', undefined],
    ['expired', 'message.finalized', 'expired', [{ code: 40005, title: 'Message expired' }], 'undelivered', '40005'],
  ];
  for (const [label, eventType, status, errors, mapped, errorCode] of statusCases) {
    it(`status: ${eventType} ${label} → ${mapped}${errorCode ? ` (${errorCode})` : ''}`, () => {
      const { request } = r.fake.webhooks.messageEvent({ url: `${BASE}/status`, eventType, message: message(status, errors), nowSeconds: 1_741_100_000 });
      const update = r.adapter.parseStatusUpdate(request);
      assert.equal(update.carrierMessageId, 'f0e1d2c3-0000-4000-8000-0000000000aa');
      assert.equal(update.status, mapped);
      assert.equal(update.errorCode, errorCode);
      assert.equal(update.occurredAt.getTime(), request.nowSeconds * 1000);
    });
  }

  it('duplicate and out-of-order events parse the same and harmlessly (the service keeps status monotonic)', () => {
    const finalized = r.fake.webhooks.messageEvent({ url: `${BASE}/status`, eventType: 'message.finalized', message: message('delivered'), nowSeconds: 1_741_100_010 });
    const lateSent = r.fake.webhooks.messageEvent({ url: `${BASE}/status`, eventType: 'message.sent', message: message('sent'), nowSeconds: 1_741_100_000 });
    assert.deepEqual(r.adapter.parseStatusUpdate(finalized.request), r.adapter.parseStatusUpdate(finalized.request));
    const sent = r.adapter.parseStatusUpdate(lateSent.request);
    assert.equal(sent.status, 'sent');
    assert.ok(sent.occurredAt < r.adapter.parseStatusUpdate(finalized.request).occurredAt, 'its own time tells it is older');

    const text = r.fake.webhooks.messageReceived({ url: `${BASE}/messages`, from: CALLER, to: LINE, text: 'again?' });
    assert.deepEqual(r.adapter.parseInboundMessage(text.request), r.adapter.parseInboundMessage(text.request));
    assert.equal(r.adapter.parseInboundMessage(text.request).carrierMessageId, text.messageId, 'dedupe key: the message id, not the event id');
  });

  it('an MMS without text has an empty body; received_at falls back to occurred_at', () => {
    const mms = r.fake.webhooks.messageReceived({
      url: `${BASE}/messages`,
      from: CALLER,
      to: LINE,
      text: null,
      media: [{ url: 'https://media.example/photo.jpg', content_type: 'image/jpeg' }],
      omitReceivedAt: true,
      nowSeconds: 1_741_100_000,
    });
    const parsed = r.adapter.parseInboundMessage(mms.request);
    assert.equal(parsed.body, '');
    assert.equal(parsed.receivedAt.getTime(), 1_741_100_000_000);
  });

  it('malformed errors name the field', () => {
    const body = telnyxEventBody('message.received', { id: 'x', from: { phone_number: CALLER }, to: [{}], text: 'hi' }, { occurredAt: '2025-03-04T15:00:00Z' });
    assert.throws(() => r.adapter.parseInboundMessage(r.fake.webhooks.json(`${BASE}/messages`, body)), (err: Error) => err instanceof MalformedWebhookError && err.message.includes('data.payload.to[0].phone_number'));
    const finalized = telnyxEventBody('message.finalized', { id: 'x', to: [{ status: 'read' }] }, { occurredAt: '2025-03-04T15:00:00Z' });
    assert.throws(() => r.adapter.parseStatusUpdate(r.fake.webhooks.json(`${BASE}/status`, finalized)), /data\.payload\.to\[0\]\.status must be one of/);
  });

  it('reads TeXML voice callbacks through the shared TwiML parser', () => {
    const { request, callSid } = r.fake.webhooks.incomingCall({ url: `${BASE}/voice`, from: 'anonymous', to: LINE });
    const incoming = r.adapter.parseCallEvent(request, 'voice');
    assert.equal(incoming.type, 'call.incoming');
    assert.deepEqual(incoming.type === 'call.incoming' ? [incoming.carrierCallId, incoming.from] : [], [callSid, 'anonymous']);

    const status = r.fake.webhooks.callStatus({ url: `${BASE}/voice/status`, callSid, from: CALLER, to: LINE, callStatus: 'canceled', hangupSource: 'caller', hangupCause: 'originator_cancel' });
    const ended = r.adapter.parseCallEvent(status, 'voice/status');
    assert.equal(ended.type, 'call.ended');
    assert.equal(ended.type === 'call.ended' ? ended.status : undefined, 'canceled');

    const accept = r.fake.webhooks.gatherAction({ url: `${BASE}/voice/screen-accept?call=${encodeURIComponent(callSid)}&line=${encodeURIComponent(LINE)}`, callSid: 'v3:leg-b', from: LINE, to: '+14155550111', digits: '1' });
    const accepted: CallEvent = r.adapter.parseCallEvent(accept, 'voice/screen-accept');
    assert.deepEqual(accepted, { type: 'call.screen_accepted', carrierCallId: callSid, to: LINE, digits: '1' });

    const dial = r.fake.webhooks.dialAction({ url: `${BASE}/voice/result`, callSid, from: CALLER, to: LINE, dialCallStatus: 'completed', dialCallDuration: 30 });
    const completed = r.adapter.parseCallEvent(dial, 'voice/result');
    assert.equal(completed.type, 'call.completed');
    if (completed.type === 'call.completed') {
      assert.equal(completed.outcome, 'answered');
      assert.equal(completed.answerNeedsScreening, true, 'a pick-up counts only after a key-press at screening');
      assert.equal(completed.endedAt.getTime() - completed.startedAt.getTime(), 30_000, 'DialCallDuration gives the start');
    }
  });

  it('a JSON body on a voice endpoint is malformed, with a reason', () => {
    const text = r.fake.webhooks.messageReceived({ url: `${BASE}/voice`, from: CALLER, to: LINE, text: 'hi' });
    assert.throws(() => r.adapter.parseCallEvent(text.request, 'voice/result'), /JSON body, but TeXML callbacks are form-encoded/);
  });

  const hangups: ReadonlyArray<[string, string]> = [
    ['normal_clearing', 'answered'],
    ['time_limit', 'answered'],
    ['timeout', 'missed'],
    ['no_answer', 'missed'],
    ['call_rejected', 'missed'],
    ['originator_cancel', 'missed'],
    ['user_busy', 'busy'],
    ['not_found', 'failed'],
    ['unspecified', 'failed'],
  ];
  for (const [cause, outcome] of hangups) {
    it(`Call Control call.hangup of a call from the line (outgoing), ${cause} → call.outbound ${outcome}`, () => {
      const { request, callControlId } = r.fake.webhooks.callControlEvent({
        url: `${BASE}/voice/status`,
        eventType: 'call.hangup',
        from: LINE,
        to: CALLER,
        direction: 'outgoing',
        hangupCause: cause,
        startTime: '2025-03-04T15:00:00.000Z',
        nowSeconds: Date.parse('2025-03-04T15:01:30Z') / 1000,
      });
      assert.deepEqual(r.adapter.parseCallEvent(request, 'voice/status'), {
        type: 'call.outbound',
        carrierCallId: callControlId,
        from: LINE,
        to: CALLER,
        outcome,
        startedAt: new Date('2025-03-04T15:00:00.000Z'),
        endedAt: new Date('2025-03-04T15:01:30.000Z'),
      });
    });
  }

  it('Call Control for a call from the line: earlier events are progress of the line; no start_time → the end', () => {
    for (const eventType of ['call.initiated', 'call.answered', 'call.bridged'] as const) {
      const { request, callControlId } = r.fake.webhooks.callControlEvent({ url: `${BASE}/voice/status`, eventType, from: LINE, to: CALLER, direction: 'outgoing' });
      assert.deepEqual(r.adapter.parseCallEvent(request, 'voice/status'), { type: 'call.progress', carrierCallId: callControlId, to: LINE, status: eventType });
    }
    const { request } = r.fake.webhooks.callControlEvent({ url: `${BASE}/voice/status`, eventType: 'call.hangup', from: LINE, to: CALLER, direction: 'outgoing', startTime: null, nowSeconds: 1_741_100_000 });
    const event = r.adapter.parseCallEvent(request, 'voice/status');
    assert.deepEqual(event.type === 'call.outbound' ? [event.startedAt.getTime(), event.endedAt.getTime()] : [], [1_741_100_000_000, 1_741_100_000_000]);
  });

  it('Call Control: an incoming call stays unread (TeXML handles those); an unknown hangup_cause or a missing field is malformed, named', () => {
    const incoming = r.fake.webhooks.callControlEvent({ url: `${BASE}/voice`, eventType: 'call.initiated', from: CALLER, to: LINE, direction: 'incoming' });
    assert.throws(() => r.adapter.parseCallEvent(incoming.request, 'voice'), /JSON body, but TeXML callbacks are form-encoded/);
    const odd = r.fake.webhooks.callControlEvent({ url: `${BASE}/voice/status`, eventType: 'call.hangup', from: LINE, to: CALLER, direction: 'outgoing', hangupCause: 'gremlins' });
    assert.throws(() => r.adapter.parseCallEvent(odd.request, 'voice/status'), /data\.payload\.hangup_cause must be one of .*got "gremlins"/);
    const body = JSON.parse(odd.request.rawBody) as { data: { payload: Record<string, unknown> } };
    delete body.data.payload['from'];
    body.data.payload['hangup_cause'] = 'normal_clearing';
    assert.throws(() => r.adapter.parseCallEvent(r.fake.webhooks.json(`${BASE}/voice/status`, body), 'voice/status'), (err: Error) => err instanceof MalformedWebhookError && err.message.includes('data.payload.from'));
  });

  it('renders TeXML (the TwiML verbs)', () => {
    const response = r.adapter.renderCallResponse({ action: 'dial', targets: ['+14155550111'], ringSeconds: 20, screening: false, callerId: LINE, resultUrl: `${BASE}/voice/result` });
    assert.equal(response.contentType, 'text/xml');
    assert.match(response.body, /<Dial [^>]*timeout="20"[^>]*action="https:\/\/ringback\.test\/webhooks\/telnyx\/conn_1\/voice\/result"/);
  });
});

describe('TelnyxCarrier.sendMessage', () => {
  let r: Rig;
  before(async () => {
    r = await rig();
  });
  after(() => r.close());

  it('posts the documented JSON with the Bearer key', async () => {
    const message = outbound(r.statusUrl);
    const result = await r.adapter.sendMessage(message);
    const request = r.fake.requests.filter((q) => q.method === 'POST' && q.path === '/v2/messages').at(-1);
    assert.equal(request?.headers['authorization'], `Bearer ${API_KEY}`);
    assert.equal(request?.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(request?.body ?? ''), {
      from: LINE,
      to: CALLER,
      text: message.body,
      webhook_url: r.statusUrl,
      use_profile_webhooks: false,
      messaging_profile_id: r.fake.messagingProfileId,
    });
    assert.deepEqual(result, { carrierMessageId: r.fake.messages().at(-1)?.id, status: 'queued', segments: 1 });
  });

  it('without a status URL or a profile, sends only from, to and text', async () => {
    const bare = await rig({}, { texml: false, profile: false });
    try {
      await bare.adapter.sendMessage(outbound());
      assert.deepEqual(Object.keys(JSON.parse(bare.fake.requests.at(-1)?.body ?? '{}') as object).sort(), ['from', 'text', 'to']);
    } finally {
      await bare.close();
    }
  });

  it('counts segments from Telnyx parts', async () => {
    const result = await r.adapter.sendMessage(outbound(r.statusUrl, { body: 'x'.repeat(161) }));
    assert.equal(result.segments, 2);
  });

  const errorCases: ReadonlyArray<[string, FakeTelnyxFault, { kind: CarrierError['kind']; code?: string; retryAfterMs?: number; message?: RegExp }]> = [
    ['429 with Retry-After', { status: 429, retryAfter: 3 }, { kind: 'retryable', code: '10011', retryAfterMs: 3000 }],
    ['429 without Retry-After', { status: 429 }, { kind: 'retryable', code: '10011' }],
    ['500', { status: 500 }, { kind: 'ambiguous', code: '10007', message: /may have been accepted/ }],
    ['503', { status: 503 }, { kind: 'ambiguous' }],
    ['40300 blocked due to STOP', { status: 400, code: '40300' }, { kind: 'permanent', code: '40300', message: /Blocked due to STOP message.*replied STOP/ }],
    ['10016 not +E.164', { status: 422, code: '10016' }, { kind: 'permanent', code: '10016', message: /\+E\.164/ }],
    ['40001 not routable', { status: 422, code: '40001' }, { kind: 'permanent', code: '40001', message: /landline/ }],
    ['40318 queue full', { status: 422, code: '40318' }, { kind: 'retryable', code: '40318' }],
    ['401', { status: 401 }, { kind: 'permanent', code: '10009', message: /rejected the API key/ }],
    ['403 without a code', { status: 403, code: '' }, { kind: 'permanent', code: '10010' }],
    ['a reset after the request was sent', { reset: true }, { kind: 'ambiguous', message: /after the request was sent/ }],
    ['no answer at all', { timeout: true }, { kind: 'ambiguous', code: 'timeout', message: /did not answer within 500 ms/ }],
  ];
  for (const [label, fault, expected] of errorCases) {
    it(`${label} → ${expected.kind}${expected.code ? ` ${expected.code}` : ''}`, async () => {
      r.fake.failNext(fault);
      const err = await carrierError(r.adapter.sendMessage(outbound(r.statusUrl)));
      assert.equal(err.kind, expected.kind, err.message);
      if (expected.code !== undefined) assert.equal(err.code, expected.code);
      assert.equal(err.retryAfterMs, expected.retryAfterMs);
      if (expected.message) assert.match(err.message, expected.message);
      assert.ok(!err.message.includes(API_KEY) && !String(err.cause ?? '').includes(API_KEY), 'the API key never appears in errors');
    });
  }

  it("Telnyx's own validation of a bad number surfaces as permanent 10016", async () => {
    const err = await carrierError(r.adapter.sendMessage(outbound(r.statusUrl, { to: '415-555-0123' })));
    assert.equal(err.kind, 'permanent');
    assert.equal(err.code, '10016');
    assert.match(err.message, /'to' parameter must be in \+E\.164 format/);
  });

  it('connection refused: retryable, nothing was sent', async () => {
    const closed = await closedPort();
    const adapter = new TelnyxCarrier({ apiKey: API_KEY, publicKey: r.fake.publicKeyBase64 }, { apiBaseUrl: `http://127.0.0.1:${closed}`, timeoutMs: 1000 });
    const err = await carrierError(adapter.sendMessage(outbound()));
    assert.equal(err.kind, 'retryable');
    assert.equal(err.code, 'ECONNREFUSED');
    assert.ok(!err.message.includes(API_KEY));
    assert.equal(await adapter.findSentMessage(outbound()), null);
  });

  it('an API key in an error text from Telnyx is scrubbed', async () => {
    r.fake.failNext({ status: 422, code: '10015', detail: `bad header Bearer ${API_KEY}` });
    const err = await carrierError(r.adapter.sendMessage(outbound(r.statusUrl)));
    assert.ok(!err.message.includes(API_KEY), err.message);
    assert.match(err.message, /\[api key\]/);
  });
});

describe('TelnyxCarrier.findSentMessage (reconciliation)', () => {
  it('finds a message whose answer came after the timeout, and confirms it with GET /v2/messages/{id}', async () => {
    const r = await rig();
    try {
      const message = outbound(r.statusUrl);
      r.fake.failNext({ timeout: true, answerAfterMs: 900 });
      const err = await carrierError(r.adapter.sendMessage(message));
      assert.equal(err.kind, 'ambiguous');
      const found = await r.adapter.findSentMessage(message);
      assert.equal(found?.carrierMessageId, r.fake.messages()[0]?.id);
      assert.ok(r.fake.requests.some((q) => q.method === 'GET' && q.path === `/v2/messages/${found?.carrierMessageId}`), 'confirmed with Telnyx');
      // Sending the same ref again returns the accepted message instead of a second text.
      const again = await r.adapter.sendMessage(message);
      assert.equal(again.carrierMessageId, found?.carrierMessageId);
      assert.equal(r.fake.messages().length, 1);
    } finally {
      await r.close();
    }
  });

  it('reports the status Telnyx has now', async () => {
    const r = await rig();
    try {
      const message = outbound(r.statusUrl);
      const sent = await r.adapter.sendMessage(message);
      await r.fake.finalize(sent.carrierMessageId, { status: 'delivered' });
      assert.deepEqual(await r.adapter.findSentMessage(message), { carrierMessageId: sent.carrierMessageId, status: 'delivered', segments: 1 });
    } finally {
      await r.close();
    }
  });

  it('while the late answer is still on its way, it throws (retry later) rather than say "not sent"', async () => {
    const r = await rig({ reconcileWaitMs: 50 });
    try {
      const message = outbound(r.statusUrl);
      r.fake.failNext({ timeout: true, answerAfterMs: 1500 });
      await carrierError(r.adapter.sendMessage(message));
      const err = await carrierError(r.adapter.findSentMessage(message));
      assert.equal(err.kind, 'ambiguous');
      const again = await carrierError(r.adapter.sendMessage(message));
      assert.equal(again.kind, 'ambiguous', 'no second copy while the first may be accepted');
      assert.equal(r.fake.messages().length, 1);
    } finally {
      await r.close();
    }
  });

  it('when no answer ever comes (or the adapter restarted), Telnyx cannot be asked: null, so it is resent once', async () => {
    const r = await rig({ lateAnswerMs: 200 });
    try {
      const message = outbound(r.statusUrl);
      r.fake.failNext({ timeout: true });
      await carrierError(r.adapter.sendMessage(message));
      assert.equal(await r.adapter.findSentMessage(message), null);
      await r.adapter.sendMessage(message);
      assert.equal(r.fake.messages().length, 2, 'the documented duplicate');

      const restarted = new TelnyxCarrier({ apiKey: API_KEY, publicKey: r.fake.publicKeyBase64 }, { apiBaseUrl: r.fake.url });
      assert.equal(await restarted.findSentMessage(message), null, 'a new process knows nothing of earlier sends');
    } finally {
      await r.close();
    }
  });

  it('a late refusal means not sent: null', async () => {
    const r = await rig();
    try {
      const message = outbound(r.statusUrl);
      r.fake.failNext({ reset: true, accepted: false });
      const err = await carrierError(r.adapter.sendMessage(message));
      assert.equal(err.kind, 'ambiguous');
      assert.equal(await r.adapter.findSentMessage(message), null);
      assert.equal(r.fake.messages().length, 0);
    } finally {
      await r.close();
    }
  });
});

describe('TelnyxCarrier account and numbers', () => {
  it('checkAccount: ok; a wrong key; a wrong id; Telnyx unreachable', async () => {
    const r = await rig();
    try {
      assert.deepEqual(await r.adapter.checkAccount(), { ok: true });
      assert.ok(r.fake.requests.some((q) => q.path === '/v2/balance'));
      const wrongKey = new TelnyxCarrier({ apiKey: 'KEYwrongwrongwrong', publicKey: r.fake.publicKeyBase64 }, { apiBaseUrl: r.fake.url });
      assert.deepEqual(await wrongKey.checkAccount(), { ok: false, problem: 'Telnyx rejected the API key' });
      const wrongApp = new TelnyxCarrier({ apiKey: API_KEY, publicKey: r.fake.publicKeyBase64, texmlApplicationId: '42' }, { apiBaseUrl: r.fake.url });
      assert.deepEqual(await wrongApp.checkAccount(), { ok: false, problem: 'the TeXML application 42 was not found on this Telnyx account' });
      const wrongProfile = new TelnyxCarrier({ apiKey: API_KEY, publicKey: r.fake.publicKeyBase64, messagingProfileId: 'nope' }, { apiBaseUrl: r.fake.url });
      assert.deepEqual(await wrongProfile.checkAccount(), { ok: false, problem: 'the messaging profile nope was not found on this Telnyx account' });
      const port = await closedPort();
      const unreachable = new TelnyxCarrier({ apiKey: API_KEY, publicKey: r.fake.publicKeyBase64 }, { apiBaseUrl: `http://127.0.0.1:${port}`, timeoutMs: 1000 });
      const check = await unreachable.checkAccount();
      assert.equal(check.ok, false);
      assert.ok(!check.ok && check.problem.startsWith(`could not reach Telnyx at http://127.0.0.1:${port} (`) && check.problem.includes('ECONNREFUSED'), check.ok ? '' : check.problem);
    } finally {
      await r.close();
    }
  });

  it('configureNumber points the TeXML application and messaging profile at Ringback; inspectNumber reads them back', async () => {
    const r = await rig();
    try {
      const webhooks = { voice: `${BASE}/voice`, voiceStatus: `${BASE}/voice/status`, messages: `${BASE}/messages` };
      assert.deepEqual(await r.adapter.inspectNumber(LINE), { found: true, voiceUrl: null, messagesUrl: null });
      await r.adapter.configureNumber(LINE, webhooks);
      const patches = r.fake.requests.filter((q) => q.method === 'PATCH').map((q) => [q.path, JSON.parse(q.body) as unknown]);
      assert.deepEqual(patches, [
        [
          `/v2/texml_applications/${r.fake.texmlApplicationId}`,
          { friendly_name: 'Default TeXML app', voice_url: webhooks.voice, voice_method: 'post', status_callback: webhooks.voiceStatus, status_callback_method: 'post' },
        ],
        [`/v2/messaging_profiles/${r.fake.messagingProfileId}`, { webhook_url: webhooks.messages, webhook_api_version: '2' }],
      ]);
      const app = r.fake.texmlApplication();
      assert.equal(app?.voice_url, webhooks.voice);
      assert.equal(app?.voice_method, 'post');
      assert.equal(app?.status_callback, webhooks.voiceStatus);
      assert.equal(app?.friendly_name, 'Default TeXML app', 'the name is kept');
      assert.equal(r.fake.messagingProfile()?.webhook_url, webhooks.messages);
      assert.equal(r.fake.messagingProfile()?.webhook_api_version, '2');
      assert.deepEqual(await r.adapter.inspectNumber(LINE), { found: true, voiceUrl: webhooks.voice, messagesUrl: webhooks.messages });
      assert.deepEqual(await r.adapter.inspectNumber('+14155550999'), { found: false });
    } finally {
      await r.close();
    }
  });

  it('configureNumber: a number not on the account', async () => {
    const r = await rig();
    try {
      const err = await carrierError(r.adapter.configureNumber('+14155550999', { voice: `${BASE}/voice`, voiceStatus: `${BASE}/voice/status`, messages: `${BASE}/messages` }));
      assert.equal(err.kind, 'permanent');
      assert.equal(err.code, 'number_not_found');
      assert.equal(err.message, '+14155550999 is not a phone number on this Telnyx account');
    } finally {
      await r.close();
    }
  });

  it('configureNumber without ids: needs_setup, saying which URL goes where', async () => {
    const r = await rig({}, { texml: false, profile: false });
    try {
      const webhooks = { voice: `${BASE}/voice`, voiceStatus: `${BASE}/voice/status`, messages: `${BASE}/messages` };
      const err = await carrierError(r.adapter.configureNumber(LINE, webhooks));
      assert.equal(err.kind, 'permanent');
      assert.equal(err.code, 'needs_setup');
      for (const part of [`Voice URL to ${webhooks.voice}`, `Status Callback URL to ${webhooks.voiceStatus}`, `inbound webhook URL to ${webhooks.messages}`, 'texmlApplicationId', 'messagingProfileId']) {
        assert.ok(err.message.includes(part), `the message says: ${part}`);
      }
      assert.equal(r.fake.requests.filter((q) => q.method === 'PATCH').length, 0, 'nothing was changed');

      const voiceOnly = new TelnyxCarrier({ apiKey: API_KEY, publicKey: r.fake.publicKeyBase64, texmlApplicationId: r.fake.texmlApplicationId }, { apiBaseUrl: r.fake.url });
      const partial = await carrierError(voiceOnly.configureNumber(LINE, webhooks));
      assert.equal(partial.code, 'needs_setup');
      assert.ok(!partial.message.includes('TeXML Applications'), 'only the missing messaging step is asked for');
      assert.equal(r.fake.texmlApplication()?.voice_url, webhooks.voice, 'the part that could be done was done');
    } finally {
      await r.close();
    }
  });

  it('configureNumber: a number assigned to another application is left alone and reported', async () => {
    const r = await rig({}, { texml: true, profile: true }, [{ phoneNumber: LINE, connectionId: '999', messagingProfileId: null }]);
    try {
      const err = await carrierError(r.adapter.configureNumber(LINE, { voice: `${BASE}/voice`, voiceStatus: `${BASE}/voice/status`, messages: `${BASE}/messages` }));
      assert.equal(err.code, 'needs_setup');
      assert.match(err.message, /set the connection of \+14155550100 to the TeXML application \d+ \(it is assigned to 999 now\)/);
      assert.match(err.message, /set the messaging profile of \+14155550100 to [0-9a-f-]{36} \(it is not assigned to any now\)/);
      assert.deepEqual(await r.adapter.inspectNumber(LINE), { found: true, voiceUrl: null, messagesUrl: null });
    } finally {
      await r.close();
    }
  });
});
