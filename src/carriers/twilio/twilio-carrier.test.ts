// The Twilio adapter: the shared carrier contract over the fake Twilio (a real HTTP server that
// checks every request against Twilio's OpenAPI description), then Twilio specifics: signatures
// against the official twilio library, request validity, error and status mapping, TwiML, and
// voice webhooks of every kind.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import twilio from 'twilio';
import { CarrierError, MalformedWebhookError } from '../carrier.ts';
import type { CallInstructions, OutboundMessage, WebhookRequest } from '../carrier.ts';
import { runCarrierContract } from '../contract.ts';
import type { CarrierHarness, ContractDialResult, MalformedKind, SignedWebhook } from '../contract.ts';
import { signedTwilioJsonWebhook, signedTwilioWebhook, startFakeTwilio, twilioWebhooks } from './fake-twilio.ts';
import type { DialCallStatus, FakeTwilio, FakeTwilioFault } from './fake-twilio.ts';
import { SIGNATURE_REASONS, signTwilioRequest } from './signature.ts';
import { TWILIO_MESSAGE_STATUSES, TwilioCarrier, TwilioCredentialsSchema, parseRetryAfter } from './twilio-carrier.ts';

const ACCOUNT_SID = `AC${'3c'.repeat(16)}`;
const AUTH_TOKEN = '9f8e7d6c5b4a39281706f5e4d3c2b1a0';
const OTHER_TOKEN = '00112233445566778899aabbccddeeff';
const LINE = '+14155550100';
const CALLER = '+14155550123';
const BASE = 'https://ringback.example.com/webhooks/twilio/conn_1';
const hooks = twilioWebhooks({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
const TIMEOUT_MS = 300;

function newAdapter(fake: FakeTwilio, opts: { authToken?: string; now?: () => Date } = {}): TwilioCarrier {
  return new TwilioCarrier(
    { accountSid: ACCOUNT_SID, authToken: opts.authToken ?? AUTH_TOKEN },
    { apiBaseUrl: fake.url, timeoutMs: TIMEOUT_MS, ...(opts.now ? { now: opts.now } : {}) },
  );
}

function startFake(): Promise<FakeTwilio> {
  return startFakeTwilio({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, numbers: [LINE] });
}

// ─── The contract ───────────────────────────────────────────────────────────────────────────────

const DIAL_STATUS: Record<Exclude<ContractDialResult, 'rejected'>, DialCallStatus> = {
  'no-answer': 'no-answer',
  busy: 'busy',
  answered: 'completed',
  // The dialled leg is cancelled when the caller hangs up while it rings.
  'caller-hangup': 'canceled',
};

async function makeTwilioHarness(): Promise<CarrierHarness> {
  const fake = await startFake();
  const adapter = newAdapter(fake);
  const signed = (url: string, params: Record<string, string>): WebhookRequest => signedTwilioWebhook(AUTH_TOKEN, url, params);
  const call = { AccountSid: ACCOUNT_SID, ApiVersion: '2010-04-01', CallStatus: 'ringing', Direction: 'inbound' };
  const malformed: Record<MalformedKind, WebhookRequest[]> = {
    voice: [
      signed(`${BASE}/voice`, { ...call, From: CALLER, To: LINE }),
      signed(`${BASE}/voice`, { ...call, CallSid: 'CA1', From: CALLER }),
      signed(`${BASE}/voice`, {}),
      signedTwilioJsonWebhook(AUTH_TOKEN, `${BASE}/voice`, JSON.stringify({ CallSid: 'CA1', From: CALLER, To: LINE })),
    ],
    messages: [
      signed(`${BASE}/messages`, { AccountSid: ACCOUNT_SID, From: CALLER, To: LINE, Body: 'hi' }),
      signed(`${BASE}/messages`, { AccountSid: ACCOUNT_SID, MessageSid: 'SM1', To: LINE, Body: 'hi' }),
      signed(`${BASE}/messages`, { AccountSid: ACCOUNT_SID, MessageSid: 'SM1', From: CALLER, Body: 'hi' }),
      signed(`${BASE}/messages`, { AccountSid: ACCOUNT_SID, MessageSid: 'SM1', From: CALLER, To: LINE }),
    ],
    status: [
      signed(`${BASE}/status`, { MessageSid: 'SM1', MessageStatus: 'exploded', From: LINE, To: CALLER }),
      signed(`${BASE}/status`, { MessageSid: 'SM1', MessageStatus: 'received', From: LINE, To: CALLER }),
      signed(`${BASE}/status`, { MessageStatus: 'delivered', From: LINE, To: CALLER }),
      signed(`${BASE}/status`, { MessageSid: 'SM1', SmsStatus: 'delivered', From: LINE, To: CALLER }),
    ],
  };
  return {
    adapter,
    line: LINE,
    caller: CALLER,
    statusCallbackUrl: `${BASE}/status?ref=msg_1`,
    unsupportedDialResults: {
      rejected: 'Twilio sends no <Dial> result for a call answered with <Reject/>; Ringback records it as rejected when it answers so',
    },
    unknownNumber: '+14155559999',

    async incomingCall({ from, to }): Promise<SignedWebhook> {
      const w = hooks.incomingCall(`${BASE}/voice`, { from, to });
      return { request: w, carrierId: w.params['CallSid']!, hook: 'voice' };
    },
    async dialResult({ from, to, result }): Promise<SignedWebhook> {
      if (result === 'rejected') throw new Error('Twilio sends no dial result for a rejected call');
      const status = DIAL_STATUS[result];
      const w = hooks.dialResult(`${BASE}/voice/result`, { from, to, dialCallStatus: status, ...(status === 'completed' ? { dialCallDuration: 30 } : {}) });
      return { request: w, carrierId: w.params['CallSid']!, hook: 'voice/result' };
    },
    async outboundCall({ from, to, result }): Promise<SignedWebhook> {
      const callStatus = ({ answered: 'completed', 'no-answer': 'no-answer', busy: 'busy', failed: 'failed' } as const)[result];
      const w = hooks.outboundCallStatus(`${BASE}/voice/status`, { from, to, callStatus, ...(result === 'answered' ? { callDuration: 45 } : {}) });
      return { request: w, carrierId: w.params['CallSid']!, hook: 'voice/status' };
    },
    async inboundText({ from, to, body }): Promise<SignedWebhook> {
      const w = hooks.inboundSms(`${BASE}/messages`, { from, to, body });
      return { request: w, carrierId: w.params['MessageSid']!, hook: 'messages' };
    },
    async statusCallback(carrierMessageId) {
      return fake.statusCallbackRequest(carrierMessageId);
    },
    unsigned(req) {
      const headers = { ...req.headers };
      delete headers['x-twilio-signature'];
      return { ...req, headers };
    },
    wronglySigned(req) {
      const params = Object.fromEntries(new URLSearchParams(req.rawBody));
      return { ...req, headers: { ...req.headers, 'x-twilio-signature': signTwilioRequest(OTHER_TOKEN, req.url, params) } };
    },
    malformed: (kind) => malformed[kind],
    sentMessages: () => fake.messages().map((m) => ({ carrierMessageId: m.sid, from: m.from, to: m.to, body: m.body })),
    failNextSend(fault) {
      switch (fault.kind) {
        case 'retryable':
          return fake.failNext({ status: 429, retryAfter: 1 });
        case 'permanent':
          return fake.failNext({ twilioCode: 21211 });
        case 'accepted-then-timeout':
          return fake.failNext({ timeout: true });
        case 'undelivered':
          return fake.failNext({ deliver: 'undelivered', errorCode: fault.errorCode });
      }
    },
    async close() {
      const violations = fake.violations();
      await fake.close();
      assert.deepEqual(violations, [], 'every request to Twilio matches its OpenAPI description');
    },
  };
}

runCarrierContract('twilio', makeTwilioHarness);

// ─── Credentials ────────────────────────────────────────────────────────────────────────────────

describe('TwilioCredentialsSchema', () => {
  const cases: ReadonlyArray<[string, unknown, RegExp | null]> = [
    ['valid', { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN }, null],
    ['an API key SID instead of an Account SID', { accountSid: `SK${'a'.repeat(32)}`, authToken: AUTH_TOKEN }, /accountSid.*AC followed by 32 hex digits/],
    ['an uppercase Account SID', { accountSid: `AC${'A'.repeat(32)}`, authToken: AUTH_TOKEN }, /accountSid/],
    ['a short Auth Token', { accountSid: ACCOUNT_SID, authToken: 'abc' }, /authToken.*32 hex digits/],
    ['a missing Auth Token', { accountSid: ACCOUNT_SID }, /authToken/],
    ['an extra field', { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, region: 'us1' }, /region/],
  ];
  for (const [label, input, error] of cases) {
    it(label, () => {
      const result = TwilioCredentialsSchema.safeParse(input);
      assert.equal(result.success, error === null);
      if (!result.success && error) {
        const text = result.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ');
        assert.match(text, error);
      }
    });
  }

  it('the constructor refuses bad credentials without echoing the token', () => {
    const secret = 'not-a-token-but-very-secret';
    assert.throws(
      () => new TwilioCarrier({ accountSid: ACCOUNT_SID, authToken: secret }),
      (err: Error) => err instanceof TypeError && /authToken/.test(err.message) && !err.message.includes(secret),
    );
  });
});

// ─── Signatures, both ways against the official library ────────────────────────────────────────

describe('verifyWebhook against the official twilio library', () => {
  const adapter = new TwilioCarrier({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
  const params = (req: WebhookRequest): Record<string, string | string[]> => {
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of new URLSearchParams(req.rawBody)) {
      const seen = out[k];
      out[k] = seen === undefined ? v : Array.isArray(seen) ? [...seen, v] : [seen, v];
    }
    return out;
  };
  const sig = (req: WebhookRequest): string => req.headers['x-twilio-signature'] as string;
  const officialAccepts = (req: WebhookRequest): boolean =>
    new URL(req.url).searchParams.has('bodySHA256')
      ? twilio.validateRequestWithBody(AUTH_TOKEN, sig(req), req.url, req.rawBody)
      : twilio.validateRequest(AUTH_TOKEN, sig(req), req.url, params(req));
  const withSignature = (req: WebhookRequest, signature: string): WebhookRequest => ({ ...req, headers: { ...req.headers, 'x-twilio-signature': signature } });

  const sms = hooks.inboundSms(`${BASE}/messages`, { from: CALLER, to: LINE, body: 'Leak @ 5th & Main 🚿 “quoted”' });
  const screen = hooks.screen(`${BASE}/voice/screen?call=CA1&line=%2B14155550100&caller=%2B14155550123`, { parentCallSid: 'CA1', from: CALLER, to: '+14155550111' });
  // Repeated names (MediaUrl sent twice), signed by the OFFICIAL library over the array form.
  const repeatedBody = 'MessageSid=SM1&From=%2B14155550123&To=%2B14155550100&Body=pics&MediaUrl=https%3A%2F%2Fm%2Fb&MediaUrl=https%3A%2F%2Fm%2Fa';
  const repeated: WebhookRequest = {
    url: `${BASE}/messages`,
    headers: {
      'x-twilio-signature': twilio.getExpectedTwilioSignature(AUTH_TOKEN, `${BASE}/messages`, {
        MessageSid: 'SM1',
        From: CALLER,
        To: LINE,
        Body: 'pics',
        MediaUrl: ['https://m/b', 'https://m/a'],
      }),
    },
    rawBody: repeatedBody,
    nowSeconds: 0,
  };
  const json = signedTwilioJsonWebhook(AUTH_TOKEN, `${BASE}/events`, JSON.stringify({ a: 1, text: 'héllo' }));
  const portSigned = (signedUrl: string, receivedUrl: string): WebhookRequest => ({
    url: receivedUrl,
    headers: { 'x-twilio-signature': twilio.getExpectedTwilioSignature(AUTH_TOKEN, signedUrl, { CallSid: 'CA1', From: CALLER, To: LINE }) },
    rawBody: new URLSearchParams({ CallSid: 'CA1', From: CALLER, To: LINE }).toString(),
    nowSeconds: 0,
  });

  const cases: ReadonlyArray<[string, WebhookRequest, boolean, string?]> = [
    ['an inbound SMS', sms, true],
    ['a screening request with a query string', screen, true],
    ['repeated parameter names, signed by the official library', repeated, true],
    ['a JSON body with bodySHA256', json, true],
    ['https signed with :443, received without', portSigned('https://ringback.example.com:443/webhooks/twilio/voice', 'https://ringback.example.com/webhooks/twilio/voice'), true],
    ['https signed without a port, received with :443', portSigned('https://ringback.example.com/webhooks/twilio/voice', 'https://ringback.example.com:443/webhooks/twilio/voice'), true],
    ['http signed with :80, received without', portSigned('http://ringback.example.com:80/webhooks/twilio/voice', 'http://ringback.example.com/webhooks/twilio/voice'), true],
    ['signed without a port, received on :8443 (the SDK drops any port)', portSigned('https://ringback.example.com/webhooks/twilio/voice', 'https://ringback.example.com:8443/webhooks/twilio/voice'), true],
    ['signed on another port', portSigned('https://ringback.example.com:8443/webhooks/twilio/voice', 'https://ringback.example.com/webhooks/twilio/voice'), false, SIGNATURE_REASONS.mismatch],
    ['a changed parameter', { ...sms, rawBody: sms.rawBody.replace('Leak', 'Lake') }, false, SIGNATURE_REASONS.mismatch],
    ['an added parameter', { ...sms, rawBody: `${sms.rawBody}&Extra=1` }, false, SIGNATURE_REASONS.mismatch],
    ['another URL path', { ...sms, url: `${BASE}/status` }, false, SIGNATURE_REASONS.mismatch],
    ['another host (RINGBACK_PUBLIC_URL wrong)', { ...sms, url: sms.url.replace('ringback.example.com', 'localhost:3000') }, false, SIGNATURE_REASONS.mismatch],
    ['a changed query string', { ...screen, url: screen.url.replace('call=CA1', 'call=CA2') }, false, SIGNATURE_REASONS.mismatch],
    ['signed with another Auth Token', withSignature(sms, signTwilioRequest(OTHER_TOKEN, sms.url, params(sms))), false, SIGNATURE_REASONS.mismatch],
    ['a garbage signature', withSignature(sms, 'bm90IGEgc2lnbmF0dXJl'), false, SIGNATURE_REASONS.mismatch],
    ['a JSON body changed after signing', { ...json, rawBody: json.rawBody.replace('1', '2') }, false, SIGNATURE_REASONS.body],
    ['a JSON body whose URL hash was changed', { ...json, url: json.url.replace(/bodySHA256=[0-9a-f]/, 'bodySHA256=0') }, false, SIGNATURE_REASONS.mismatch],
  ];
  for (const [label, req, valid, reason] of cases) {
    it(`${valid ? 'accepts' : 'rejects'} ${label}, as twilio does`, () => {
      assert.equal(officialAccepts(req), valid, 'the official library agrees with the expectation');
      const result = adapter.verifyWebhook(req);
      assert.equal(result.ok, valid);
      if (!result.ok) assert.equal(result.reason, reason);
    });
  }

  it('rejects a request without X-Twilio-Signature, saying so', () => {
    const headers = { ...sms.headers };
    delete headers['x-twilio-signature'];
    assert.deepEqual(adapter.verifyWebhook({ ...sms, headers }), { ok: false, reason: 'missing X-Twilio-Signature header' });
  });

  it('finds the header whatever its case, and as an array', () => {
    const { 'x-twilio-signature': s, ...rest } = sms.headers;
    assert.deepEqual(adapter.verifyWebhook({ ...sms, headers: { ...rest, 'X-Twilio-Signature': s } }), { ok: true });
    assert.deepEqual(adapter.verifyWebhook({ ...sms, headers: { ...rest, 'x-twilio-signature': [s as string] } }), { ok: true });
  });

  it('our signer produces what the official library computes, for every webhook kind', () => {
    for (const w of [
      sms,
      screen,
      hooks.incomingCall(`${BASE}/voice`, { from: 'anonymous', to: LINE }),
      hooks.callStatus(`${BASE}/voice/status`, { from: CALLER, to: LINE, callStatus: 'completed', callDuration: 61 }),
      hooks.recording(`${BASE}/voice/voicemail?call=CA1&line=%2B14155550100`, { from: CALLER, to: LINE, recordingUrl: 'https://r/1', transcriptionText: 'ça va? 100% & <ok>' }),
    ]) {
      assert.equal(sig(w), twilio.getExpectedTwilioSignature(AUTH_TOKEN, w.url, w.params));
    }
  });
});

// ─── Requests Ringback makes: valid per the OpenAPI description, with the right parameters ─────

describe('requests to the Twilio REST API', () => {
  let fake: FakeTwilio;
  let adapter: TwilioCarrier;
  before(async () => {
    fake = await startFake();
    adapter = newAdapter(fake);
  });
  after(async () => {
    await fake.close();
  });

  it('every kind of request passes OpenAPI validation and carries the documented parameters', async () => {
    const from = fake.requests.length;
    const message: OutboundMessage = {
      ref: 'msg_1',
      from: LINE,
      to: CALLER,
      body: 'Sorry we missed your call — Acme Plumbing. Reply STOP to opt out.',
      statusCallbackUrl: `${BASE}/status?ref=msg_1`,
      validitySeconds: 600,
    };
    const sent = await adapter.sendMessage(message);
    assert.match(sent.carrierMessageId, /^SM[0-9a-f]{32}$/);
    assert.equal(sent.status, 'queued');
    assert.equal(sent.segments, 1);
    assert.equal((await adapter.findSentMessage(message))?.carrierMessageId, sent.carrierMessageId);
    assert.deepEqual(await adapter.checkAccount(), { ok: true, accountName: 'Ringback test account' });
    await adapter.configureNumber(LINE, { voice: `${BASE}/voice`, voiceStatus: `${BASE}/voice/status`, messages: `${BASE}/messages` });
    assert.deepEqual(await adapter.inspectNumber(LINE), { found: true, voiceUrl: `${BASE}/voice`, messagesUrl: `${BASE}/messages` });

    const made = fake.requests.slice(from);
    assert.deepEqual(fake.violations(), []);
    assert.ok(made.every((r) => r.violations.length === 0 && r.status !== undefined && r.status < 300), JSON.stringify(made.map((r) => [r.method, r.path, r.status])));
    const api = `/2010-04-01/Accounts/${ACCOUNT_SID}`;
    assert.deepEqual(
      made.map((r) => `${r.method} ${r.path.replace(/PN[0-9a-f]{32}/, 'PN…')}`),
      [
        `POST ${api}/Messages.json`,
        `GET ${api}/Messages.json`,
        `GET ${api}.json`,
        `GET ${api}/IncomingPhoneNumbers.json`,
        `POST ${api}/IncomingPhoneNumbers/PN….json`,
        `GET ${api}/IncomingPhoneNumbers.json`,
      ],
    );
    const [send, find, , lookup, update] = made;
    assert.deepEqual(send!.form, { To: CALLER, From: LINE, Body: message.body, StatusCallback: message.statusCallbackUrl, ValidityPeriod: '600' });
    assert.equal(send!.contentType, 'application/x-www-form-urlencoded');
    assert.deepEqual(Object.keys(find!.query).sort(), ['DateSent>', 'From', 'PageSize', 'To']);
    assert.match(find!.query['DateSent>']!, /^\d{4}-\d{2}-\d{2}$/);
    assert.match(find!.rawQuery, /DateSent%3E=\d{4}-\d{2}-\d{2}/, 'the parameter is named "DateSent>" (encoded %3E)');
    assert.equal(find!.query['PageSize'], '50');
    assert.deepEqual(lookup!.query, { PhoneNumber: LINE });
    assert.deepEqual(update!.form, {
      VoiceUrl: `${BASE}/voice`,
      VoiceMethod: 'POST',
      StatusCallback: `${BASE}/voice/status`,
      StatusCallbackMethod: 'POST',
      SmsUrl: `${BASE}/messages`,
      SmsMethod: 'POST',
    });
    assert.equal(fake.numberWebhooks(LINE)?.statusCallback, `${BASE}/voice/status`);
  });

  it('sends no StatusCallback or ValidityPeriod when not asked, and clamps ValidityPeriod to 1..36000', async () => {
    const cases: ReadonlyArray<[number | undefined, string | undefined]> = [
      [undefined, undefined],
      [0, '1'],
      [0.4, '1'],
      [599.6, '600'],
      [36_000, '36000'],
      [86_400, '36000'],
    ];
    for (const [validitySeconds, expected] of cases) {
      const from = fake.requests.length;
      await adapter.sendMessage({ ref: 'r', from: LINE, to: CALLER, body: 'hi', ...(validitySeconds === undefined ? {} : { validitySeconds }) });
      const form = fake.requests[from]!.form;
      assert.equal(form['ValidityPeriod'], expected, `validitySeconds ${validitySeconds}`);
      assert.equal('StatusCallback' in form, false);
    }
    assert.deepEqual(fake.violations(), []);
  });

  it('sends the body exactly, including characters that need encoding', async () => {
    const body = 'a+b=c&d %25 “é” 🚿\nline 2';
    await adapter.sendMessage({ ref: 'r', from: LINE, to: CALLER, body });
    assert.equal(fake.messages().at(-1)?.body, body);
  });
});

// ─── Error mapping ──────────────────────────────────────────────────────────────────────────────

describe('sendMessage error mapping', () => {
  const message = (body = 'Sorry we missed your call!'): OutboundMessage => ({ ref: 'msg_1', from: LINE, to: CALLER, body });
  const cases: ReadonlyArray<[string, FakeTwilioFault, CarrierError['kind'], string | undefined, number | undefined, number]> = [
    // label, fault, kind, code, retryAfterMs, messages created
    ['429 with Retry-After: 3', { status: 429, retryAfter: 3 }, 'retryable', '20429', 3000, 0],
    ['429 without Retry-After', { status: 429 }, 'retryable', '20429', undefined, 0],
    ['500 (may have been created)', { status: 500 }, 'ambiguous', '20500', undefined, 0],
    ['500 that did create the message', { status: 500, created: true }, 'ambiguous', '20500', undefined, 1],
    ['503', { status: 503 }, 'ambiguous', '20500', undefined, 0],
    ['21610 unsubscribed recipient', { twilioCode: 21610 }, 'permanent', '21610', undefined, 0],
    ['21211 invalid To', { twilioCode: 21211 }, 'permanent', '21211', undefined, 0],
    ['21614 not a mobile number', { twilioCode: 21614 }, 'permanent', '21614', undefined, 0],
    ['21612 not reachable from this sender', { twilioCode: 21612 }, 'permanent', '21612', undefined, 0],
    ['20429 inside a 400', { twilioCode: 20429, status: 400 }, 'retryable', '20429', undefined, 0],
    ['401 bad credentials', { status: 401 }, 'permanent', '20003', undefined, 0],
    ['timeout after the message was created', { timeout: true }, 'ambiguous', undefined, undefined, 1],
    ['connection reset after the message was created', { reset: true }, 'ambiguous', undefined, undefined, 1],
  ];
  for (const [label, fault, kind, code, retryAfterMs, created] of cases) {
    it(`${label} → ${kind}${code ? ` ${code}` : ''}`, async () => {
      const fake = await startFake();
      try {
        const adapter = newAdapter(fake);
        fake.failNext(fault);
        const err = await adapter.sendMessage(message()).then(
          () => assert.fail('sendMessage should have failed'),
          (e: unknown) => e,
        );
        assert.ok(err instanceof CarrierError, String(err));
        assert.equal(err.kind, kind, err.message);
        assert.equal(err.code, code);
        assert.equal(err.retryAfterMs, retryAfterMs);
        assert.ok(err.message.length > 0);
        assert.ok(!err.message.includes(AUTH_TOKEN) && !String(err.cause ?? '').includes(AUTH_TOKEN), 'the token never appears');
        assert.equal(fake.messages().length, created);
        assert.deepEqual(fake.violations(), []);
      } finally {
        await fake.close();
      }
    });
  }

  it('the Twilio error message is kept in the CarrierError', async () => {
    const fake = await startFake();
    try {
      fake.failNext({ twilioCode: 21610 });
      const err = await newAdapter(fake).sendMessage(message()).catch((e: unknown) => e);
      assert.ok(err instanceof CarrierError);
      assert.match(err.message, /21610/);
      assert.match(err.message, /Attempt to send to unsubscribed recipient/);
    } finally {
      await fake.close();
    }
  });

  it('timeout → ambiguous, then findSentMessage finds the message Twilio created', async () => {
    const fake = await startFake();
    try {
      const adapter = newAdapter(fake);
      fake.failNext({ timeout: true });
      const m = message('Sorry we missed your call! (timeout case)');
      const err = await adapter.sendMessage(m).catch((e: unknown) => e);
      assert.ok(err instanceof CarrierError && err.kind === 'ambiguous');
      assert.match(err.message, /no answer within 300 ms/);
      const found = await adapter.findSentMessage(m);
      assert.equal(found?.carrierMessageId, fake.messages()[0]?.sid);
      assert.equal(found?.status, 'sent');
      assert.deepEqual(fake.violations(), []);
    } finally {
      await fake.close();
    }
  });

  it('connection refused (Twilio unreachable) → retryable, and findSentMessage/configureNumber fail retryable too', async () => {
    const fake = await startFake();
    const adapter = newAdapter(fake);
    await fake.close();
    const err = await adapter.sendMessage(message()).catch((e: unknown) => e);
    assert.ok(err instanceof CarrierError);
    assert.equal(err.kind, 'retryable', err.message);
    assert.match(err.message, /connection refused/);
    for (const p of [adapter.findSentMessage(message()), adapter.inspectNumber(LINE)]) {
      const e = await p.catch((x: unknown) => x);
      assert.ok(e instanceof CarrierError && e.kind === 'retryable', String(e));
    }
  });

  const networkCases: ReadonlyArray<[string, unknown, CarrierError['kind'], RegExp]> = [
    ['DNS failure', Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('getaddrinfo ENOTFOUND api.twilio.com'), { code: 'ENOTFOUND' }) }), 'retryable', /host name not found/],
    ['DNS try again', Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('getaddrinfo EAI_AGAIN'), { code: 'EAI_AGAIN' }) }), 'retryable', /host name not found/],
    ['TLS certificate failure', Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('cert'), { code: 'CERT_HAS_EXPIRED' }) }), 'retryable', /TLS/],
    [
      'refused on every address (happy eyeballs)',
      Object.assign(new TypeError('fetch failed'), { cause: new AggregateError([Object.assign(new Error('a'), { code: 'ECONNREFUSED' }), Object.assign(new Error('b'), { code: 'ECONNREFUSED' })]) }),
      'retryable',
      /connection refused/,
    ],
    ['socket closed mid-request', Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }) }), 'ambiguous', /connection lost/],
    ['ECONNRESET', Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) }), 'ambiguous', /connection lost/],
    ['an abort', new DOMException('aborted', 'AbortError'), 'ambiguous', /no answer/],
  ];
  for (const [label, thrown, kind, text] of networkCases) {
    it(`${label} → ${kind}`, async () => {
      const adapter = new TwilioCarrier(
        { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN },
        { fetch: (async () => Promise.reject(thrown)) as typeof fetch },
      );
      const err = await adapter.sendMessage(message()).catch((e: unknown) => e);
      assert.ok(err instanceof CarrierError);
      assert.equal(err.kind, kind);
      assert.match(err.message, text);
      assert.match(err.message, /https:\/\/api\.twilio\.com/);
    });
  }

  it('parses Retry-After in seconds and as an HTTP date', () => {
    const now = new Date('2025-03-04T15:00:00Z');
    const cases: ReadonlyArray<[string | null, number | undefined]> = [
      ['3', 3000],
      ['0', 0],
      ['1.5', 1500],
      ['Tue, 04 Mar 2025 15:00:10 GMT', 10_000],
      ['Tue, 04 Mar 2025 14:59:00 GMT', 0],
      ['soon', undefined],
      [null, undefined],
      ['', undefined],
    ];
    for (const [value, expected] of cases) assert.equal(parseRetryAfter(value, now), expected, String(value));
  });
});

// ─── findSentMessage ────────────────────────────────────────────────────────────────────────────

describe('findSentMessage', () => {
  it('returns the newest message with the same to, from and body, and null for anything else', async () => {
    const fake = await startFake();
    try {
      const adapter = newAdapter(fake);
      const m: OutboundMessage = { ref: 'msg_1', from: LINE, to: CALLER, body: 'Same words' };
      await adapter.sendMessage(m);
      const second = await adapter.sendMessage(m);
      await adapter.sendMessage({ ...m, body: 'Other words' });
      assert.equal((await adapter.findSentMessage(m))?.carrierMessageId, second.carrierMessageId);
      assert.equal(await adapter.findSentMessage({ ...m, body: 'Same words!' }), null, 'another body');
      assert.equal(await adapter.findSentMessage({ ...m, to: '+14155550124' }), null, 'another recipient');
      assert.deepEqual(fake.violations(), []);
    } finally {
      await fake.close();
    }
  });

  it('ignores messages older than the reconcile window (same words sent long ago are not this send)', async () => {
    const fake = await startFake();
    try {
      const m: OutboundMessage = { ref: 'msg_1', from: LINE, to: CALLER, body: 'Sorry we missed your call!' };
      await newAdapter(fake).sendMessage(m);
      const later = newAdapter(fake, { now: () => new Date(Date.now() + 3 * 60 * 60 * 1000) });
      assert.equal(await later.findSentMessage(m), null);
      const soon = newAdapter(fake, { now: () => new Date(Date.now() + 30 * 60 * 1000) });
      assert.notEqual(await soon.findSentMessage(m), null, 'half an hour later it is still ours');
    } finally {
      await fake.close();
    }
  });

  it('asks for messages sent since the day the window opens (UTC), so midnight does not hide one', async () => {
    const fake = await startFake();
    try {
      const adapter = newAdapter(fake, { now: () => new Date('2025-03-05T00:30:00Z') });
      await adapter.findSentMessage({ ref: 'r', from: LINE, to: CALLER, body: 'x' });
      assert.equal(fake.requests.at(-1)?.query['DateSent>'], '2025-03-04');
      const noon = newAdapter(fake, { now: () => new Date('2025-03-05T12:00:00Z') });
      await noon.findSentMessage({ ref: 'r', from: LINE, to: CALLER, body: 'x' });
      assert.equal(fake.requests.at(-1)?.query['DateSent>'], '2025-03-05');
    } finally {
      await fake.close();
    }
  });
});

// ─── Account and numbers ───────────────────────────────────────────────────────────────────────

describe('checkAccount, inspectNumber, configureNumber', () => {
  it('checkAccount: ok with the account name; a wrong token, an outage and other answers in plain words', async () => {
    const fake = await startFake();
    try {
      assert.deepEqual(await newAdapter(fake).checkAccount(), { ok: true, accountName: 'Ringback test account' });
      assert.deepEqual(await newAdapter(fake, { authToken: OTHER_TOKEN }).checkAccount(), {
        ok: false,
        problem: 'Twilio rejected the Account SID or Auth Token (error 20003)',
      });
      fake.failNext({ status: 500 }, { on: 'any' });
      const broken = await newAdapter(fake).checkAccount();
      assert.equal(broken.ok, false);
      if (!broken.ok) assert.match(broken.problem, /HTTP 500.*20500/);
      assert.deepEqual(fake.violations(), []);
    } finally {
      await fake.close();
    }
    // A fake that never served a request: no kept-alive connection to it can linger in the pool.
    const gone = await startFake();
    await gone.close();
    const unreachable = await newAdapter(gone).checkAccount();
    assert.equal(unreachable.ok, false);
    if (!unreachable.ok) assert.equal(unreachable.problem, `could not reach Twilio at ${gone.url}: connection refused`);
  });

  it('checkAccount: a suspended account is a problem', async () => {
    const adapter = new TwilioCarrier(
      { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN },
      { fetch: (async () => new Response(JSON.stringify({ sid: ACCOUNT_SID, friendly_name: 'Acme', status: 'suspended' }), { status: 200 })) as typeof fetch },
    );
    const check = await adapter.checkAccount();
    assert.equal(check.ok, false);
    if (!check.ok) assert.match(check.problem, /suspended/);
  });

  it('inspectNumber: a number with no webhooks yet, and one not on the account', async () => {
    const fake = await startFake();
    try {
      const adapter = newAdapter(fake);
      assert.deepEqual(await adapter.inspectNumber(LINE), { found: true, voiceUrl: null, messagesUrl: null });
      fake.setNumberWebhooks(LINE, { voiceUrl: 'https://old.example.com/voice', smsUrl: 'https://old.example.com/sms' });
      assert.deepEqual(await adapter.inspectNumber(LINE), { found: true, voiceUrl: 'https://old.example.com/voice', messagesUrl: 'https://old.example.com/sms' });
      assert.deepEqual(await adapter.inspectNumber('+14155559999'), { found: false });
    } finally {
      await fake.close();
    }
  });

  it('configureNumber: a number not on the account is a permanent number_not_found error that names it', async () => {
    const fake = await startFake();
    try {
      const err = await newAdapter(fake)
        .configureNumber('+14155559999', { voice: `${BASE}/voice`, voiceStatus: `${BASE}/voice/status`, messages: `${BASE}/messages` })
        .catch((e: unknown) => e);
      assert.ok(err instanceof CarrierError);
      assert.equal(err.kind, 'permanent');
      assert.equal(err.code, 'number_not_found');
      assert.equal(err.message, '+14155559999 is not a phone number on this Twilio account');
    } finally {
      await fake.close();
    }
  });

  it('configureNumber: bad credentials are permanent 20003; a server error is retryable (the update is idempotent)', async () => {
    const fake = await startFake();
    try {
      const webhooks = { voice: `${BASE}/voice`, voiceStatus: `${BASE}/voice/status`, messages: `${BASE}/messages` };
      const bad = await newAdapter(fake, { authToken: OTHER_TOKEN }).configureNumber(LINE, webhooks).catch((e: unknown) => e);
      assert.ok(bad instanceof CarrierError && bad.kind === 'permanent' && bad.code === '20003');
      fake.failNext({ status: 500 }, { on: 'any' });
      const down = await newAdapter(fake).configureNumber(LINE, webhooks).catch((e: unknown) => e);
      assert.ok(down instanceof CarrierError && down.kind === 'retryable', String(down));
    } finally {
      await fake.close();
    }
  });
});

// ─── Webhook parsing ───────────────────────────────────────────────────────────────────────────

describe('parseStatusUpdate', () => {
  const adapter = new TwilioCarrier({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
  const statuses: ReadonlyArray<[string, string]> = [
    ['accepted', 'queued'],
    ['scheduled', 'queued'],
    ['queued', 'queued'],
    ['sending', 'sending'],
    ['sent', 'sent'],
    ['delivered', 'delivered'],
    ['read', 'delivered'],
    ['undelivered', 'undelivered'],
    ['failed', 'failed'],
    ['canceled', 'failed'],
    ['partially_delivered', 'sent'],
  ];
  for (const [twilioStatus, status] of statuses) {
    it(`MessageStatus ${twilioStatus} → ${status}`, () => {
      const req = hooks.messageStatus(`${BASE}/status`, { messageSid: 'SM1', from: LINE, to: CALLER, messageStatus: twilioStatus, nowSeconds: 1_741_100_400 });
      assert.deepEqual(adapter.parseStatusUpdate(req), { carrierMessageId: 'SM1', status, occurredAt: new Date(1_741_100_400_000) });
    });
  }

  it('the mapping table covers exactly these statuses', () => {
    assert.deepEqual(Object.keys(TWILIO_MESSAGE_STATUSES).sort(), statuses.map(([s]) => s).sort());
  });

  for (const code of ['30003', '30034', '30007']) {
    it(`keeps ErrorCode ${code}`, () => {
      const req = hooks.messageStatus(`${BASE}/status`, { messageSid: 'SM1', from: LINE, to: CALLER, messageStatus: 'undelivered', errorCode: code });
      assert.equal(adapter.parseStatusUpdate(req).errorCode, code);
    });
  }

  const bad: ReadonlyArray<[string, Record<string, string>, RegExp]> = [
    ['an unknown status', { MessageSid: 'SM1', MessageStatus: 'exploded' }, /"exploded"/],
    ['an inbound status', { MessageSid: 'SM1', MessageStatus: 'received' }, /"received"/],
    ['a prototype name as status', { MessageSid: 'SM1', MessageStatus: 'constructor' }, /"constructor"/],
    ['no MessageSid', { MessageStatus: 'sent' }, /"MessageSid"/],
    ['no MessageStatus', { MessageSid: 'SM1', SmsStatus: 'sent' }, /"MessageStatus"/],
  ];
  for (const [label, params, message] of bad) {
    it(`${label} is malformed, and says which parameter`, () => {
      assert.throws(() => adapter.parseStatusUpdate(signedTwilioWebhook(AUTH_TOKEN, `${BASE}/status`, params)), (e: Error) => e instanceof MalformedWebhookError && message.test(e.message));
    });
  }
});

describe('parseInboundMessage', () => {
  const adapter = new TwilioCarrier({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
  it('reads MessageSid, From, To and Body; receivedAt is when it arrived', () => {
    const req = hooks.inboundSms(`${BASE}/messages`, { messageSid: 'SM9', from: CALLER, to: LINE, body: 'Yes please, tomorrow 9am', nowSeconds: 1_741_100_400 });
    assert.deepEqual(adapter.parseInboundMessage(req), {
      carrierMessageId: 'SM9',
      from: CALLER,
      to: LINE,
      body: 'Yes please, tomorrow 9am',
      receivedAt: new Date(1_741_100_400_000),
    });
  });

  it('a picture message with no text has an empty body', () => {
    const req = hooks.inboundSms(`${BASE}/messages`, { from: CALLER, to: LINE, body: '', numMedia: 1 });
    assert.equal(adapter.parseInboundMessage(req).body, '');
  });

  for (const name of ['MessageSid', 'From', 'To', 'Body']) {
    it(`a text without ${name} is malformed, naming ${name}`, () => {
      const params: Record<string, string> = { MessageSid: 'SM1', From: CALLER, To: LINE, Body: 'hi' };
      delete params[name];
      assert.throws(
        () => adapter.parseInboundMessage(signedTwilioWebhook(AUTH_TOKEN, `${BASE}/messages`, params)),
        (e: Error) => e instanceof MalformedWebhookError && e.message.includes(`"${name}"`),
      );
    });
  }
});

describe('parseCallEvent, every hook', () => {
  const adapter = new TwilioCarrier({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
  const at = 1_741_100_400;

  it('voice: an incoming call, forwarded from the business number', () => {
    const req = hooks.incomingCall(`${BASE}/voice`, { callSid: 'CA1', from: CALLER, to: LINE, forwardedFrom: '+14155550199', nowSeconds: at });
    assert.deepEqual(adapter.parseCallEvent(req, 'voice'), {
      type: 'call.incoming',
      carrierCallId: 'CA1',
      from: CALLER,
      to: LINE,
      forwardedFrom: '+14155550199',
      occurredAt: new Date(at * 1000),
    });
  });

  it('voice: a withheld caller ID is passed through as sent', () => {
    const req = hooks.incomingCall(`${BASE}/voice`, { callSid: 'CA1', from: 'anonymous', to: LINE });
    const event = adapter.parseCallEvent(req, 'voice');
    assert.equal(event.type === 'call.incoming' && event.from, 'anonymous');
  });

  const dial: ReadonlyArray<[DialCallStatus, string, boolean]> = [
    ['completed', 'answered', true],
    ['answered', 'answered', true],
    ['busy', 'busy', false],
    ['no-answer', 'missed', false],
    ['canceled', 'missed', false],
    ['failed', 'failed', false],
  ];
  for (const [status, outcome, needsScreening] of dial) {
    it(`voice/result: DialCallStatus ${status} → ${outcome}${needsScreening ? ', counted only after screening' : ''}`, () => {
      const req = hooks.dialResult(`${BASE}/voice/result`, {
        callSid: 'CA1',
        from: CALLER,
        to: LINE,
        dialCallStatus: status,
        ...(needsScreening ? { dialCallDuration: 42 } : {}),
        nowSeconds: at,
      });
      const event = adapter.parseCallEvent(req, 'voice/result');
      assert.equal(event.type, 'call.completed');
      if (event.type !== 'call.completed') return;
      assert.equal(event.carrierCallId, 'CA1');
      assert.equal(event.outcome, outcome);
      assert.equal(event.answerNeedsScreening, needsScreening ? true : undefined);
      assert.equal(event.endedAt.getTime(), at * 1000);
      assert.equal(event.startedAt.getTime(), at * 1000 - (needsScreening ? 42_000 : 0));
    });
  }

  for (const status of ['completed', 'busy', 'no-answer', 'failed', 'canceled'] as const) {
    it(`voice/status: final CallStatus ${status} → call.ended at the callback's Timestamp`, () => {
      const ts = new Date('2025-03-04T15:00:20Z');
      const req = hooks.callStatus(`${BASE}/voice/status`, { callSid: 'CA1', from: CALLER, to: LINE, callStatus: status, timestamp: ts, sequenceNumber: 3 });
      assert.deepEqual(adapter.parseCallEvent(req, 'voice/status'), { type: 'call.ended', carrierCallId: 'CA1', from: CALLER, to: LINE, status, endedAt: ts });
    });
  }

  it('voice/status: a non-final CallStatus is progress, to be acknowledged and ignored', () => {
    const req = signedTwilioWebhook(AUTH_TOKEN, `${BASE}/voice/status`, { CallSid: 'CA1', From: CALLER, To: LINE, CallStatus: 'in-progress' });
    assert.deepEqual(adapter.parseCallEvent(req, 'voice/status'), { type: 'call.progress', carrierCallId: 'CA1', to: LINE, status: 'in-progress' });
  });

  const outbound: ReadonlyArray<[string, string | undefined, string]> = [
    ['completed', undefined, 'answered'],
    ['completed', 'human', 'answered'],
    ['completed', 'unknown', 'answered'],
    ['completed', 'machine_start', 'voicemail'],
    ['completed', 'machine_end_beep', 'voicemail'],
    ['completed', 'fax', 'failed'],
    ['busy', undefined, 'busy'],
    ['no-answer', undefined, 'missed'],
    ['canceled', undefined, 'missed'],
    ['failed', undefined, 'failed'],
  ];
  for (const direction of ['outbound-api', 'outbound-dial'] as const) {
    for (const [status, answeredBy, outcome] of outbound) {
      it(`voice/status from the line (${direction}): CallStatus ${status}${answeredBy ? `, AnsweredBy ${answeredBy}` : ''} → call.outbound ${outcome}`, () => {
        const ts = new Date('2025-03-04T15:02:00Z');
        const req = hooks.outboundCallStatus(`${BASE}/voice/status`, {
          callSid: 'CA9',
          from: LINE,
          to: CALLER,
          direction,
          callStatus: status as 'completed',
          callDuration: status === 'completed' ? 90 : 0,
          timestamp: ts,
          ...(answeredBy ? { answeredBy } : {}),
        });
        assert.deepEqual(adapter.parseCallEvent(req, 'voice/status'), {
          type: 'call.outbound',
          carrierCallId: 'CA9',
          from: LINE,
          to: CALLER,
          outcome,
          startedAt: new Date(ts.getTime() - (status === 'completed' ? 90_000 : 0)),
          endedAt: ts,
        });
      });
    }
  }

  it('voice/status from the line, still ringing: progress, belonging to the line', () => {
    const req = hooks.outboundCallStatus(`${BASE}/voice/status`, { callSid: 'CA9', from: LINE, to: CALLER, callStatus: 'ringing' });
    assert.deepEqual(adapter.parseCallEvent(req, 'voice/status'), { type: 'call.progress', carrierCallId: 'CA9', to: LINE, status: 'ringing' });
  });

  it('voice/status from the line without From or CallStatus is malformed, naming the parameter', () => {
    const base = { CallSid: 'CA9', Direction: 'outbound-api', To: CALLER };
    assert.throws(() => adapter.parseCallEvent(signedTwilioWebhook(AUTH_TOKEN, `${BASE}/voice/status`, { ...base, CallStatus: 'completed' }), 'voice/status'), /"From"/);
    assert.throws(() => adapter.parseCallEvent(signedTwilioWebhook(AUTH_TOKEN, `${BASE}/voice/status`, { ...base, From: LINE }), 'voice/status'), /"CallStatus"/);
  });

  it('voice/screen: the caller leg, line and caller come from the URL query (call, line, caller)', () => {
    const url = `${BASE}/voice/screen?call=CA1&line=${encodeURIComponent(LINE)}&caller=${encodeURIComponent(CALLER)}`;
    const req = hooks.screen(url, { parentCallSid: 'CA1', callSid: 'CA2', from: CALLER, to: '+14155550111' });
    assert.deepEqual(adapter.parseCallEvent(req, 'voice/screen'), { type: 'call.screen', carrierCallId: 'CA1', from: CALLER, to: LINE });
  });

  it('voice/screen-accept: the key pressed', () => {
    const url = `${BASE}/voice/screen-accept?call=CA1&line=${encodeURIComponent(LINE)}`;
    const req = hooks.screenAccept(url, { parentCallSid: 'CA1', callSid: 'CA2', from: CALLER, to: '+14155550111', digits: '5' });
    assert.deepEqual(adapter.parseCallEvent(req, 'voice/screen-accept'), { type: 'call.screen_accepted', carrierCallId: 'CA1', to: LINE, digits: '5' });
  });

  it('voice/voicemail: the recording, then its transcription', () => {
    const url = `${BASE}/voice/voicemail?call=CA1&line=${encodeURIComponent(LINE)}`;
    const recording = hooks.recording(url, { callSid: 'CA1', from: CALLER, to: LINE, recordingUrl: 'https://api.twilio.com/rec/RE1', recordingDuration: 17 });
    assert.deepEqual(adapter.parseCallEvent(recording, 'voice/voicemail'), {
      type: 'call.voicemail',
      carrierCallId: 'CA1',
      to: LINE,
      recordingUrl: 'https://api.twilio.com/rec/RE1',
      durationSeconds: 17,
    });
    const transcript = hooks.recording(url, { callSid: 'CA1', from: CALLER, to: LINE, recordingUrl: 'https://api.twilio.com/rec/RE1', transcriptionText: 'My sink is leaking' });
    assert.deepEqual(adapter.parseCallEvent(transcript, 'voice/voicemail'), {
      type: 'call.voicemail',
      carrierCallId: 'CA1',
      to: LINE,
      recordingUrl: 'https://api.twilio.com/rec/RE1',
      transcript: 'My sink is leaking',
    });
  });

  const queryMissing: ReadonlyArray<[string, 'voice/screen' | 'voice/screen-accept' | 'voice/voicemail', string]> = [
    ['voice/screen without caller', 'voice/screen', `${BASE}/voice/screen?call=CA1&line=%2B14155550100`],
    ['voice/screen-accept without call', 'voice/screen-accept', `${BASE}/voice/screen-accept?line=%2B14155550100`],
    ['voice/voicemail without line', 'voice/voicemail', `${BASE}/voice/voicemail?call=CA1`],
  ];
  for (const [label, hook, url] of queryMissing) {
    it(`${label} is malformed`, () => {
      const req = signedTwilioWebhook(AUTH_TOKEN, url, { CallSid: 'CA2', Digits: '1', RecordingUrl: 'https://r/1' });
      assert.throws(() => adapter.parseCallEvent(req, hook), MalformedWebhookError);
    });
  }

  it('a call event on a messaging endpoint is malformed', () => {
    const req = hooks.incomingCall(`${BASE}/voice`, { from: CALLER, to: LINE });
    assert.throws(() => adapter.parseCallEvent(req, 'messages'), MalformedWebhookError);
  });
});

// ─── TwiML ─────────────────────────────────────────────────────────────────────────────────────

describe('renderCallResponse (TwiML)', () => {
  const adapter = new TwilioCarrier({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
  const doc = (inner: string): string => `<?xml version="1.0" encoding="UTF-8"?><Response>${inner}</Response>`;
  const cases: ReadonlyArray<[string, CallInstructions, string]> = [
    [
      'dial with screening',
      {
        action: 'dial',
        targets: ['+14155550111', '+14155550112'],
        ringSeconds: 20,
        screening: true,
        greeting: 'Thanks for calling Acme & Sons.',
        callerId: CALLER,
        resultUrl: `${BASE}/voice/result`,
        screenUrl: `${BASE}/voice/screen?call=CA1&line=%2B14155550100&caller=%2B14155550123`,
      },
      doc(
        '<Say>Thanks for calling Acme &amp; Sons.</Say>' +
          `<Dial answerOnBridge="true" timeout="20" callerId="${CALLER}" action="${BASE}/voice/result" method="POST">` +
          `<Number url="${BASE}/voice/screen?call=CA1&amp;line=%2B14155550100&amp;caller=%2B14155550123" method="POST">+14155550111</Number>` +
          `<Number url="${BASE}/voice/screen?call=CA1&amp;line=%2B14155550100&amp;caller=%2B14155550123" method="POST">+14155550112</Number>` +
          '</Dial>',
      ),
    ],
    [
      'dial without screening, from a withheld number (no callerId attribute)',
      { action: 'dial', targets: ['+14155550111'], ringSeconds: 15, screening: false, callerId: 'anonymous', resultUrl: `${BASE}/voice/result` },
      doc(`<Dial answerOnBridge="true" timeout="15" action="${BASE}/voice/result" method="POST"><Number>+14155550111</Number></Dial>`),
    ],
    [
      'screen',
      { action: 'screen', prompt: 'Call from 415-555-0123. Press any key.', acceptUrl: `${BASE}/voice/screen-accept?call=CA1&line=%2B14155550100`, timeoutSeconds: 6 },
      doc(`<Gather numDigits="1" timeout="6" action="${BASE}/voice/screen-accept?call=CA1&amp;line=%2B14155550100" method="POST"><Say>Call from 415-555-0123. Press any key.</Say></Gather><Hangup/>`),
    ],
    ['connect', { action: 'connect' }, doc('')],
    [
      'voicemail with transcription',
      { action: 'voicemail', greeting: 'Leave a message.', maxSeconds: 120, transcribe: true, recordingUrl: `${BASE}/voice/voicemail?call=CA1&line=%2B1` },
      doc(
        `<Say>Leave a message.</Say><Record maxLength="120" playBeep="true" action="${BASE}/voice/voicemail?call=CA1&amp;line=%2B1" method="POST" transcribe="true" transcribeCallback="${BASE}/voice/voicemail?call=CA1&amp;line=%2B1"/><Hangup/>`,
      ),
    ],
    [
      'voicemail without transcription',
      { action: 'voicemail', greeting: 'Leave a message.', maxSeconds: 60, transcribe: false, recordingUrl: `${BASE}/voice/voicemail` },
      doc(`<Say>Leave a message.</Say><Record maxLength="60" playBeep="true" action="${BASE}/voice/voicemail" method="POST"/><Hangup/>`),
    ],
    ['reject', { action: 'reject', message: 'ignored: <Reject> cannot speak' }, doc('<Reject/>')],
    ['hangup with a message', { action: 'hangup', message: "We'll text you <now>." }, doc('<Say>We&apos;ll text you &lt;now&gt;.</Say><Hangup/>')],
    ['hangup', { action: 'hangup' }, doc('<Hangup/>')],
  ];
  for (const [label, instructions, expected] of cases) {
    it(label, () => {
      assert.deepEqual(adapter.renderCallResponse(instructions), { contentType: 'text/xml', body: expected });
    });
  }
});
