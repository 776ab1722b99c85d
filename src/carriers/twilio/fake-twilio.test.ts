// The fake Twilio itself: it must behave like Twilio where Ringback depends on it (auth, errors,
// filters, response shapes per the OpenAPI description), flag requests the description does not
// allow, and sign webhooks exactly as Twilio does — checked with the OFFICIAL twilio library, so
// our signer and our verifier cannot share a mistake.

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import twilio from 'twilio';
import { startFakeTwilio, signedTwilioJsonWebhook, twilioWebhooks } from './fake-twilio.ts';
import type { FakeTwilio, TwilioWebhook } from './fake-twilio.ts';
import { TwilioOpenApi } from './openapi.ts';

const ACCOUNT_SID = `AC${'1a'.repeat(16)}`;
const AUTH_TOKEN = '0123456789abcdef0123456789abcdef';
const LINE = '+14155550100';
const CALLER = '+14155550123';
const API = `/2010-04-01/Accounts/${ACCOUNT_SID}`;
const AUTH = `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`;

async function call(
  fake: FakeTwilio,
  method: string,
  path: string,
  opts: { form?: Record<string, string>; auth?: string | null } = {},
): Promise<{ status: number; headers: Headers; json: any }> {
  const headers: Record<string, string> = {};
  const auth = opts.auth === undefined ? AUTH : opts.auth;
  if (auth !== null) headers['authorization'] = auth;
  if (opts.form) headers['content-type'] = 'application/x-www-form-urlencoded';
  const res = await fetch(fake.url + path, { method, headers, ...(opts.form ? { body: new URLSearchParams(opts.form).toString() } : {}) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : null };
}

describe('fake Twilio REST API', () => {
  let fake: FakeTwilio;
  before(async () => {
    fake = await startFakeTwilio({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, numbers: [LINE] });
  });
  after(async () => {
    await fake.close();
  });

  const validSend = { To: CALLER, From: LINE, Body: 'Sorry we missed your call!' };

  it('rejects bad credentials with 401 and Twilio error 20003', async () => {
    for (const auth of [null, `Basic ${Buffer.from(`${ACCOUNT_SID}:${'f'.repeat(32)}`).toString('base64')}`, 'Bearer nope']) {
      const before = fake.messages().length;
      const res = await call(fake, 'POST', `${API}/Messages.json`, { form: validSend, auth });
      assert.equal(res.status, 401, `auth ${String(auth)}`);
      assert.equal(res.json.code, 20003);
      assert.equal(res.json.status, 401);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Basic/);
      assert.equal(fake.messages().length, before, 'nothing was sent');
    }
  });

  it('rejects a request the OpenAPI description does not allow (no To) with a clear 400, and records the violation', async () => {
    const before = fake.violations().length;
    const res = await call(fake, 'POST', `${API}/Messages.json`, { form: { From: LINE, Body: 'hi' } });
    assert.equal(res.status, 400);
    assert.match(res.json.message, /^request does not match the Twilio OpenAPI description: .*missing required parameter "To"/);
    const added = fake.violations().slice(before);
    assert.equal(added.length, 1);
    assert.match(added[0]!, /^POST \/2010-04-01\/Accounts\/AC[0-9a-f]{32}\/Messages\.json: body: missing required parameter "To"$/);
  });

  const invalid: ReadonlyArray<[string, string, string, Record<string, string> | undefined, RegExp]> = [
    ['an unknown body parameter', 'POST', `${API}/Messages.json`, { ...validSend, Bodyy: 'typo' }, /unknown parameter "Bodyy"/],
    ['a non-integer ValidityPeriod', 'POST', `${API}/Messages.json`, { ...validSend, ValidityPeriod: 'soon' }, /"ValidityPeriod": must be integer/],
    ['a StatusCallback that is not a URL', 'POST', `${API}/Messages.json`, { ...validSend, StatusCallback: 'not a url' }, /"StatusCallback": must match format "uri"/],
    ['a misspelt date filter', 'GET', `${API}/Messages.json?DateSent%3E%3D=2025-01-01`, undefined, /unknown query parameter "DateSent>="/],
    ['a page size over 1000', 'GET', `${API}/Messages.json?PageSize=5000`, undefined, /"PageSize": must be <= 1000/],
    ['a bad SmsMethod', 'POST', `${API}/IncomingPhoneNumbers/PN${'0'.repeat(32)}.json`, { SmsMethod: 'PUT' }, /"SmsMethod": must be equal to one of the allowed values/],
    ['a malformed Account SID', 'GET', '/2010-04-01/Accounts/AC123/Messages.json', undefined, /path parameter "AccountSid"/],
    ['a path Twilio does not have', 'GET', `${API}/Texts.json`, undefined, /is not a path of the Twilio REST API/],
    ['a method the path does not have', 'DELETE', `${API}/Messages.json`, undefined, /DELETE is not an operation/],
  ];
  for (const [label, method, path, form, expected] of invalid) {
    it(`flags ${label}`, async () => {
      const before = fake.violations().length;
      const res = await call(fake, method, path, form ? { form } : {});
      assert.equal(res.status, 400);
      assert.match(fake.violations().slice(before).join('\n'), expected);
    });
  }

  it('accepts a valid message: 201 with a Message resource shaped as the description says', async () => {
    const before = fake.violations().length;
    const res = await call(fake, 'POST', `${API}/Messages.json`, {
      form: { ...validSend, Body: 'Hi 👋 ünïcödé', StatusCallback: 'https://ringback.test/status', ValidityPeriod: '600' },
    });
    assert.equal(res.status, 201);
    assert.match(res.json.sid, /^SM[0-9a-f]{32}$/);
    assert.equal(res.json.status, 'queued');
    assert.equal(res.json.num_segments, '1');
    assert.equal(res.json.to, CALLER);
    assert.equal(res.json.from, LINE);
    assert.equal(res.json.body, 'Hi 👋 ünïcödé');
    assert.equal(res.json.direction, 'outbound-api');
    assert.match(res.json.date_created, /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} \+0000$/);
    assert.deepEqual(TwilioOpenApi.load().validateResponse('POST', `${API}/Messages.json`, 201, res.json), []);
    assert.deepEqual(fake.violations().slice(before), []);
    const stored = fake.messages().find((m) => m.sid === res.json.sid);
    assert.ok(stored);
    assert.equal(stored.validityPeriod, 600);
    assert.equal(stored.statusCallback, 'https://ringback.test/status');
  });

  it('counts segments like a carrier (GSM-7 153 per part, UCS-2 67 per part)', async () => {
    for (const [body, segments] of [
      ['a'.repeat(160), '1'],
      ['a'.repeat(161), '2'],
      ['é'.repeat(10) + '🚿', '1'],
      ['ü'.repeat(70) + '🚿', '2'],
    ] as const) {
      const res = await call(fake, 'POST', `${API}/Messages.json`, { form: { ...validSend, Body: body } });
      assert.equal(res.json.num_segments, segments, `${body.length} chars`);
    }
  });

  it('refuses a From that is not on the account (21606), like Twilio', async () => {
    const res = await call(fake, 'POST', `${API}/Messages.json`, { form: { ...validSend, From: '+14155559999' } });
    assert.equal(res.status, 400);
    assert.equal(res.json.code, 21606);
  });

  it('lists messages by To, From and DateSent>, newest first, shaped as the description says', async () => {
    const to = '+14155550177';
    const a = await call(fake, 'POST', `${API}/Messages.json`, { form: { ...validSend, To: to, Body: 'first' } });
    const b = await call(fake, 'POST', `${API}/Messages.json`, { form: { ...validSend, To: to, Body: 'second' } });
    const today = new Date().toISOString().slice(0, 10);
    const query = new URLSearchParams({ To: to, From: LINE, 'DateSent>': today, PageSize: '50' });
    const res = await call(fake, 'GET', `${API}/Messages.json?${query.toString()}`);
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.json.messages.map((m: { sid: string }) => m.sid),
      [b.json.sid, a.json.sid],
    );
    assert.deepEqual(TwilioOpenApi.load().validateResponse('GET', `${API}/Messages.json`, 200, res.json), []);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const later = await call(fake, 'GET', `${API}/Messages.json?${new URLSearchParams({ To: to, 'DateSent>': tomorrow }).toString()}`);
    assert.deepEqual(later.json.messages, [], 'nothing was sent on or after tomorrow');
    const other = await call(fake, 'GET', `${API}/Messages.json?${new URLSearchParams({ To: to, From: '+14155550101' }).toString()}`);
    assert.deepEqual(other.json.messages, [], 'filtered by From');
  });

  it('serves the account and the numbers, shaped as the description says, and updates a number', async () => {
    const openApi = TwilioOpenApi.load();
    const account = await call(fake, 'GET', `${API}.json`);
    assert.equal(account.status, 200);
    assert.equal(account.json.friendly_name, 'Ringback test account');
    assert.deepEqual(openApi.validateResponse('GET', `${API}.json`, 200, account.json), []);

    const list = await call(fake, 'GET', `${API}/IncomingPhoneNumbers.json?PhoneNumber=${encodeURIComponent(LINE)}`);
    assert.equal(list.json.incoming_phone_numbers.length, 1);
    const number = list.json.incoming_phone_numbers[0];
    assert.equal(number.phone_number, LINE);
    assert.deepEqual(openApi.validateResponse('GET', `${API}/IncomingPhoneNumbers.json`, 200, list.json), []);

    const updated = await call(fake, 'POST', `${API}/IncomingPhoneNumbers/${number.sid}.json`, {
      form: { VoiceUrl: 'https://ringback.test/voice', VoiceMethod: 'POST', SmsUrl: 'https://ringback.test/messages', SmsMethod: 'POST' },
    });
    assert.equal(updated.status, 200);
    assert.equal(updated.json.voice_url, 'https://ringback.test/voice');
    assert.deepEqual(openApi.validateResponse('POST', `${API}/IncomingPhoneNumbers/${number.sid}.json`, 200, updated.json), []);
    assert.equal(fake.numberWebhooks(LINE)?.smsUrl, 'https://ringback.test/messages');

    const none = await call(fake, 'GET', `${API}/IncomingPhoneNumbers.json?PhoneNumber=${encodeURIComponent('+14155559999')}`);
    assert.deepEqual(none.json.incoming_phone_numbers, []);
  });

  it('injects faults on the next message create: 429 with Retry-After, Twilio codes, 500, 401', async () => {
    const cases: ReadonlyArray<[Parameters<FakeTwilio['failNext']>[0], number, number, string | null]> = [
      [{ status: 429, retryAfter: 3 }, 429, 20429, '3'],
      [{ twilioCode: 21610 }, 400, 21610, null],
      [{ twilioCode: 21211, status: 400 }, 400, 21211, null],
      [{ status: 500 }, 500, 20500, null],
      [{ status: 401 }, 401, 20003, null],
    ];
    for (const [fault, status, code, retryAfter] of cases) {
      fake.failNext(fault);
      const before = fake.messages().length;
      const res = await call(fake, 'POST', `${API}/Messages.json`, { form: validSend });
      assert.equal(res.status, status, JSON.stringify(fault));
      assert.equal(res.json.code, code);
      assert.equal(res.json.more_info, `https://www.twilio.com/docs/errors/${code}`);
      assert.equal(res.headers.get('retry-after'), retryAfter);
      assert.equal(fake.messages().length, before, 'nothing was created');
      const ok = await call(fake, 'POST', `${API}/Messages.json`, { form: validSend });
      assert.equal(ok.status, 201, 'a fault applies to one request only');
    }
  });

  it('a message-create fault waits for a message create; on: any applies to the next request', async () => {
    fake.failNext({ status: 500 });
    assert.equal((await call(fake, 'GET', `${API}.json`)).status, 200);
    assert.equal((await call(fake, 'POST', `${API}/Messages.json`, { form: validSend })).status, 500);
    fake.failNext({ status: 500 }, { on: 'any' });
    assert.equal((await call(fake, 'GET', `${API}.json`)).status, 500);
  });

  it('timeout fault: the message is created and the answer never comes', async () => {
    fake.failNext({ timeout: true });
    const before = fake.messages().length;
    await assert.rejects(
      fetch(`${fake.url}${API}/Messages.json`, {
        method: 'POST',
        headers: { authorization: AUTH, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(validSend).toString(),
        signal: AbortSignal.timeout(200),
      }),
      { name: 'TimeoutError' },
    );
    assert.equal(fake.messages().length, before + 1);
  });

  it('records each request with its arrival time, params and answer', async () => {
    const before = fake.requests.length;
    const t0 = performance.now();
    await call(fake, 'POST', `${API}/Messages.json`, { form: { ...validSend, Body: 'recorded' } });
    const rec = fake.requests[before];
    assert.ok(rec);
    assert.equal(rec.method, 'POST');
    assert.equal(rec.path, `${API}/Messages.json`);
    assert.equal(rec.form['Body'], 'recorded');
    assert.equal(rec.status, 201);
    assert.ok(rec.at >= t0 && rec.at <= performance.now());
    assert.ok(rec.date instanceof Date);
    assert.deepEqual(rec.violations, []);
  });
});

describe('fake Twilio with validation off (benchmark mode)', () => {
  it('checks nothing against the description, records nothing when asked, and reports accepted messages', async () => {
    const seen: string[] = [];
    const fake = await startFakeTwilio({
      accountSid: ACCOUNT_SID,
      authToken: AUTH_TOKEN,
      numbers: [LINE],
      validate: false,
      record: false,
      onMessage: (m) => seen.push(m.sid),
    });
    try {
      const bogus = await call(fake, 'POST', `${API}/Messages.json`, { form: { To: CALLER, From: LINE, Body: 'x', Bogus: '1' } });
      assert.equal(bogus.status, 201);
      assert.deepEqual(fake.violations(), []);
      assert.equal(fake.requests.length, 0);
      assert.deepEqual(seen, [bogus.json.sid]);
    } finally {
      await fake.close();
    }
  });
});

describe('signed Twilio webhooks (checked with the official twilio library)', () => {
  const hooks = twilioWebhooks({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
  const base = 'https://ringback.example.com/webhooks/twilio/conn_1';
  const params = (w: TwilioWebhook): Record<string, string> => Object.fromEntries(new URLSearchParams(w.rawBody));

  const cases: ReadonlyArray<[string, TwilioWebhook]> = [
    ['incoming call', hooks.incomingCall(`${base}/voice`, { from: CALLER, to: LINE })],
    ['forwarded incoming call', hooks.incomingCall(`${base}/voice`, { from: CALLER, to: LINE, forwardedFrom: '+14155550199' })],
    ['dial result', hooks.dialResult(`${base}/voice/result`, { from: CALLER, to: LINE, dialCallStatus: 'completed', dialCallDuration: 42 })],
    ['call status', hooks.callStatus(`${base}/voice/status`, { from: CALLER, to: LINE, callStatus: 'no-answer', sequenceNumber: 2 })],
    ['screen', hooks.screen(`${base}/voice/screen?call=CA1&line=%2B14155550100&caller=%2B14155550123`, { parentCallSid: 'CA1', from: CALLER, to: '+14155550111' })],
    ['screen accept', hooks.screenAccept(`${base}/voice/screen-accept?call=CA1&line=%2B14155550100`, { parentCallSid: 'CA1', from: CALLER, to: '+14155550111', digits: '1' })],
    ['recording', hooks.recording(`${base}/voice/voicemail?call=CA1&line=%2B14155550100`, { from: CALLER, to: LINE, recordingUrl: 'https://api.twilio.com/rec/RE1', recordingDuration: 12 })],
    ['transcription', hooks.recording(`${base}/voice/voicemail?call=CA1&line=%2B14155550100`, { from: CALLER, to: LINE, recordingUrl: 'https://api.twilio.com/rec/RE1', transcriptionText: 'Hi, my sink is leaking & it’s urgent' })],
    ['inbound SMS', hooks.inboundSms(`${base}/messages`, { from: CALLER, to: LINE, body: 'Leak @ 5th & Main = urgent +100% 🚿\nsecond line' })],
    ['inbound MMS', hooks.inboundSms(`${base}/messages`, { from: CALLER, to: LINE, body: '', numMedia: 2 })],
    ['message status', hooks.messageStatus(`${base}/status`, { messageSid: `SM${'0'.repeat(32)}`, from: LINE, to: CALLER, messageStatus: 'undelivered', errorCode: '30003' })],
    ['webhook on a non-default port', hooks.incomingCall('https://ringback.example.com:8443/webhooks/twilio/conn_1/voice', { from: CALLER, to: LINE })],
  ];
  for (const [label, w] of cases) {
    it(`${label}: twilio.validateRequest accepts it, and rejects it changed`, () => {
      const signature = w.headers['x-twilio-signature'] as string;
      assert.equal(twilio.validateRequest(AUTH_TOKEN, signature, w.url, params(w)), true);
      assert.equal(twilio.validateRequest('f'.repeat(32), signature, w.url, params(w)), false, 'another token');
      assert.equal(twilio.validateRequest(AUTH_TOKEN, signature, `${w.url}x`, params(w)), false, 'another URL');
      assert.equal(twilio.validateRequest(AUTH_TOKEN, signature, w.url, { ...params(w), From: '+14155550124' }), false, 'a changed parameter');
      assert.equal(w.headers['content-type'], 'application/x-www-form-urlencoded');
      assert.deepEqual(params(w), w.params, 'the body carries exactly the signed parameters');
    });
  }

  it('the parameter sets are the ones Twilio documents', () => {
    const incoming = hooks.incomingCall(`${base}/voice`, { from: CALLER, to: LINE, forwardedFrom: '+14155550199' }).params;
    for (const name of ['CallSid', 'AccountSid', 'From', 'To', 'CallStatus', 'Direction', 'ApiVersion', 'ForwardedFrom']) assert.ok(name in incoming, name);
    assert.equal(incoming['CallStatus'], 'ringing');
    assert.equal(incoming['Direction'], 'inbound');
    assert.match(incoming['CallSid']!, /^CA[0-9a-f]{32}$/);
    const dial = hooks.dialResult(`${base}/voice/result`, { from: CALLER, to: LINE, dialCallStatus: 'completed', dialCallDuration: 5 }).params;
    for (const name of ['DialCallStatus', 'DialCallSid', 'DialCallDuration']) assert.ok(name in dial, name);
    const status = hooks.callStatus(`${base}/voice/status`, { from: CALLER, to: LINE, callStatus: 'completed' }).params;
    for (const name of ['CallStatus', 'CallDuration', 'Timestamp', 'CallbackSource', 'SequenceNumber']) assert.ok(name in status, name);
    const sms = hooks.inboundSms(`${base}/messages`, { from: CALLER, to: LINE, body: 'hi' }).params;
    for (const name of ['MessageSid', 'SmsSid', 'AccountSid', 'From', 'To', 'Body', 'NumMedia', 'NumSegments', 'SmsStatus', 'ApiVersion']) assert.ok(name in sms, name);
    assert.equal(sms['SmsStatus'], 'received');
    const st = hooks.messageStatus(`${base}/status`, { messageSid: 'SM1', from: LINE, to: CALLER, messageStatus: 'delivered' }).params;
    for (const name of ['MessageSid', 'MessageStatus', 'SmsSid', 'SmsStatus', 'AccountSid', 'From', 'To', 'ApiVersion']) assert.ok(name in st, name);
    assert.equal('ErrorCode' in st, false, 'no ErrorCode on success');
  });

  it('a JSON-body webhook: twilio.validateRequestWithBody accepts it, and rejects a changed body', () => {
    const body = JSON.stringify({ event: 'x', from: CALLER, text: 'héllo 🚿' });
    const w = signedTwilioJsonWebhook(AUTH_TOKEN, `${base}/events?x=1`, body);
    const signature = w.headers['x-twilio-signature'] as string;
    assert.match(w.url, /[?&]bodySHA256=[0-9a-f]{64}$/);
    assert.equal(twilio.validateRequestWithBody(AUTH_TOKEN, signature, w.url, body), true);
    assert.equal(twilio.validateRequestWithBody(AUTH_TOKEN, signature, w.url, body.replace('x', 'y')), false);
    assert.equal(twilio.validateRequestWithBody('f'.repeat(32), signature, w.url, body), false);
  });

  it('sendStatusCallback posts the signed callback to the StatusCallback URL', async () => {
    const received: Array<{ url: string; signature: string; body: string }> = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        received.push({ url: req.url ?? '', signature: String(req.headers['x-twilio-signature']), body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    const callbackUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/webhooks/twilio/conn_1/status?ref=msg_1`;
    const fake = await startFakeTwilio({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, numbers: [LINE] });
    try {
      fake.failNext({ deliver: 'undelivered', errorCode: '30034' });
      const sent = await call(fake, 'POST', `${API}/Messages.json`, { form: { ...validSendFor(LINE), StatusCallback: callbackUrl } });
      assert.equal(await fake.sendStatusCallback(sent.json.sid), 204);
      assert.equal(received.length, 1);
      const got = received[0]!;
      const p = Object.fromEntries(new URLSearchParams(got.body));
      assert.equal(p['MessageSid'], sent.json.sid);
      assert.equal(p['MessageStatus'], 'undelivered');
      assert.equal(p['ErrorCode'], '30034');
      assert.equal(twilio.validateRequest(AUTH_TOKEN, got.signature, callbackUrl, p), true);
      assert.equal(fake.messages().find((m) => m.sid === sent.json.sid)?.status, 'undelivered');
    } finally {
      await fake.close();
      await new Promise<void>((r) => receiver.close(() => r()));
    }
  });
});

function validSendFor(from: string): Record<string, string> {
  return { To: CALLER, From: from, Body: 'Sorry we missed your call!' };
}
