// The missed-call loop through a Twilio connection: Ringback on loopback, a fake Twilio that
// checks every request against Twilio's official OpenAPI description, and signed webhooks
// exactly as Twilio sends them.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeTwilio, type FakeTwilio, type TwilioWebhook } from '../src/carriers/twilio/fake-twilio.ts';
import { settle, startTestServer, type TestServer } from './helpers.ts';

const ACCOUNT_SID = 'AC' + 'a1'.repeat(16);
const AUTH_TOKEN = 'f0'.repeat(16);
const LINE = '+14155552671';
const OWNER_CELL = '+14155552672';
let callerSeq = 0;
const nextCaller = () => `+1212555${String(3000 + callerSeq++)}`;

describe('Twilio: missed call → text from the line, end to end', () => {
  let server: TestServer;
  let twilio: FakeTwilio;
  let carrierId: string;
  let base: string;

  const post = async (hook: TwilioWebhook) => {
    const res = await fetch(hook.url, { method: 'POST', headers: hook.headers as Record<string, string>, body: hook.rawBody });
    return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
  };
  const url = (hook: string) => `${base}/webhooks/twilio/${carrierId}/${hook}`;
  const textsTo = (caller: string) => twilio.messages().filter((m) => m.to === caller);
  const callFrom = async (caller: string) => {
    const { body } = await server.api('GET', '/api/v1/calls?limit=200');
    return (body.calls as any[]).find((c) => c.from === caller);
  };

  before(async () => {
    twilio = await startFakeTwilio({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, numbers: [LINE, '+14155552673'] });
    server = await startTestServer({ RINGBACK_JOB_BACKOFF_BASE_MS: '5', RINGBACK_JOB_BACKOFF_CAP_MS: '20' });
    base = server.ringback.ctx.webhookBase();
    const created = await server.api('POST', '/api/v1/carriers', { kind: 'twilio', accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, apiBaseUrl: twilio.url });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    carrierId = created.body.carrier.id;
    const line = await server.api('POST', '/api/v1/lines', { number: LINE, carrierId, mode: 'forward', ringTargets: [OWNER_CELL], name: 'Main line' });
    assert.equal(line.status, 201, JSON.stringify(line.body));
  });
  after(async () => {
    await server.close();
    await twilio.close();
  });

  test('adding the line pointed the Twilio number at Ringback', () => {
    const number = twilio.numberWebhooks(LINE)!;
    assert.equal(number.voiceUrl, url('voice'));
    assert.equal(number.statusCallback, url('voice/status'));
    assert.equal(number.smsUrl, url('messages'));
  });

  test('credentials are stored sealed, and the API shows only which fields exist', async () => {
    const row = await server.ringback.store.db.selectFrom('carrier_connections').selectAll().where('id', '=', carrierId).executeTakeFirstOrThrow();
    assert.ok(!row.credentials.includes(AUTH_TOKEN), 'the auth token is not in the database in clear');
    const { body } = await server.api('GET', `/api/v1/carriers/${carrierId}`);
    assert.deepEqual(body.carrier.credentialFields, ['accountSid', 'authToken']);
    assert.ok(!JSON.stringify(body).includes(AUTH_TOKEN));
  });

  test('a signed incoming call gets screening TwiML; a no-answer dial result sends one valid Messages.json request', async () => {
    const caller = nextCaller();
    const incoming = twilio.webhooks.incomingCall(url('voice'), { from: caller, to: LINE });
    const answer = await post(incoming);
    assert.equal(answer.status, 200);
    assert.match(answer.type, /xml/);
    assert.match(answer.body, new RegExp(`<Dial answerOnBridge="true" timeout="18" callerId="\\${caller}" action="[^"]+/voice/result"`));
    assert.match(answer.body, new RegExp(`<Number url="[^"]+/voice/screen\\?call=${incoming.params.CallSid}[^"]*" method="POST">\\${OWNER_CELL}</Number>`));

    const result = await post(twilio.webhooks.dialResult(url('voice/result'), { callSid: incoming.params.CallSid!, from: caller, to: LINE, dialCallStatus: 'no-answer' }));
    assert.equal(result.status, 200);
    await settle(server);
    const texts = textsTo(caller);
    assert.equal(texts.length, 1);
    assert.equal(texts[0]!.from, LINE);
    assert.match(texts[0]!.body, /Demo Plumbing/);
    assert.ok(texts[0]!.statusCallback?.includes('/status?ref=msg_'), 'the status callback carries our message id');
    assert.ok(texts[0]!.validityPeriod! > 0 && texts[0]!.validityPeriod! <= 1800, 'a late text-back dies at the carrier too');
    assert.deepEqual(twilio.violations(), [], 'every request matched the OpenAPI description');

    const call = await callFrom(caller);
    assert.deepEqual([call.outcome, call.decision.action], ['missed', 'send']);
  });

  test('an unsigned or wrongly signed webhook gets 403 and stores nothing', async () => {
    const caller = nextCaller();
    const signed = twilio.webhooks.dialResult(url('voice/result'), { from: caller, to: LINE, dialCallStatus: 'no-answer' });
    const { 'x-twilio-signature': _drop, ...unsignedHeaders } = signed.headers as Record<string, string>;
    const unsigned = await fetch(signed.url, { method: 'POST', headers: unsignedHeaders, body: signed.rawBody });
    assert.equal(unsigned.status, 403);
    const tampered = await fetch(signed.url, { method: 'POST', headers: signed.headers as Record<string, string>, body: signed.rawBody.replace('no-answer', 'busy') });
    assert.equal(tampered.status, 403);
    await settle(server);
    assert.equal(await callFrom(caller), undefined);
    assert.equal(textsTo(caller).length, 0);
  });

  test('a phone that picks up without a key press (a voicemail box) is a missed call', async () => {
    const caller = nextCaller();
    const incoming = twilio.webhooks.incomingCall(url('voice'), { from: caller, to: LINE });
    await post(incoming);
    const screenUrl = /<Number url="([^"]+)"/.exec((await post(twilio.webhooks.incomingCall(url('voice'), { from: caller, to: LINE, callSid: incoming.params.CallSid }))).body)![1]!.replace(/&amp;/g, '&');
    const prompt = await post(twilio.webhooks.screen(screenUrl, { parentCallSid: incoming.params.CallSid!, from: caller, to: OWNER_CELL }));
    assert.match(prompt.body, /<Gather numDigits="1"[^>]*action="[^"]+\/voice\/screen-accept\?call=/);
    assert.match(prompt.body, /Press any key/);
    // Nobody pressed a key; the cell phone's voicemail "answered".
    await post(twilio.webhooks.dialResult(url('voice/result'), { callSid: incoming.params.CallSid!, from: caller, to: LINE, dialCallStatus: 'completed', dialCallDuration: 25 }));
    await settle(server);
    assert.equal((await callFrom(caller)).outcome, 'missed');
    assert.equal(textsTo(caller).length, 1);
  });

  test('a person who presses a key takes the call: answered, no text', async () => {
    const caller = nextCaller();
    const incoming = twilio.webhooks.incomingCall(url('voice'), { from: caller, to: LINE });
    const screenUrl = /<Number url="([^"]+)"/.exec((await post(incoming)).body)![1]!.replace(/&amp;/g, '&');
    const prompt = await post(twilio.webhooks.screen(screenUrl, { parentCallSid: incoming.params.CallSid!, from: caller, to: OWNER_CELL }));
    const acceptUrl = /action="([^"]+)"/.exec(prompt.body)![1]!.replace(/&amp;/g, '&');
    const accepted = await post(twilio.webhooks.screenAccept(acceptUrl, { parentCallSid: incoming.params.CallSid!, from: caller, to: OWNER_CELL, digits: '1' }));
    assert.match(accepted.body, /<Response><\/Response>|<Response\/>/);
    await post(twilio.webhooks.dialResult(url('voice/result'), { callSid: incoming.params.CallSid!, from: caller, to: LINE, dialCallStatus: 'completed', dialCallDuration: 95 }));
    await settle(server);
    const call = await callFrom(caller);
    assert.deepEqual([call.outcome, call.decision.reason], ['answered', 'answered']);
    assert.equal(textsTo(caller).length, 0);
  });

  test('a caller who hangs up while it rings is caught by the call status callback', async () => {
    const caller = nextCaller();
    const incoming = twilio.webhooks.incomingCall(url('voice'), { from: caller, to: LINE });
    await post(incoming);
    const status = await post(twilio.webhooks.callStatus(url('voice/status'), { callSid: incoming.params.CallSid!, from: caller, to: LINE, callStatus: 'completed' }));
    assert.equal(status.status, 200);
    // The same final status again (Twilio retries) changes nothing.
    await post(twilio.webhooks.callStatus(url('voice/status'), { callSid: incoming.params.CallSid!, from: caller, to: LINE, callStatus: 'completed' }));
    await settle(server);
    assert.equal((await callFrom(caller)).outcome, 'missed');
    assert.equal(textsTo(caller).length, 1);
  });

  test('conditional forwarding: the call is missed on arrival, ForwardedFrom is kept, voicemail is offered and stored', async () => {
    const number = '+14155552673';
    const created = await server.api('POST', '/api/v1/lines', { number, carrierId, mode: 'conditional-forward', voicemail: true });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const caller = nextCaller();
    const incoming = twilio.webhooks.incomingCall(url('voice'), { from: caller, to: number, forwardedFrom: '+14155550000' });
    const answer = await post(incoming);
    assert.match(answer.body, /<Record maxLength="120" playBeep="true" action="[^"]+\/voice\/voicemail\?call=[^"]+" method="POST" transcribe="true"/);
    const recordingUrl = /action="([^"]+)"/.exec(answer.body)![1]!.replace(/&amp;/g, '&');
    await post(twilio.webhooks.recording(recordingUrl, { callSid: incoming.params.CallSid!, from: caller, to: number, recordingUrl: 'https://api.twilio.com/rec/RE1', recordingDuration: 12 }));
    await post(twilio.webhooks.recording(recordingUrl, { callSid: incoming.params.CallSid!, from: caller, to: number, recordingUrl: 'https://api.twilio.com/rec/RE1', transcriptionText: 'My boiler is leaking' }));
    await settle(server);
    const call = await callFrom(caller);
    assert.equal(call.forwardedFrom, '+14155550000');
    assert.equal(call.outcome, 'voicemail');
    assert.deepEqual(call.voicemail, { url: 'https://api.twilio.com/rec/RE1', transcript: 'My boiler is leaking' });
    assert.equal(textsTo(caller).length, 1);
  });

  test('delivery failure 30034 shows on the message with its explanation and alerts the owner once', async () => {
    const callers = [nextCaller(), nextCaller()];
    for (const caller of callers) {
      twilio.failNext({ deliver: 'undelivered', errorCode: '30034' });
      await post(twilio.webhooks.dialResult(url('voice/result'), { from: caller, to: LINE, dialCallStatus: 'no-answer' }));
      await settle(server);
      const [sent] = textsTo(caller);
      assert.equal(await twilio.sendStatusCallback(sent!.sid), 200);
    }
    await settle(server);
    const db = server.ringback.store.db;
    for (const caller of callers) {
      const message = await db.selectFrom('messages').selectAll().where('to_number', '=', caller).executeTakeFirstOrThrow();
      assert.equal(message.status, 'undelivered');
      assert.equal(message.carrier_error_code, '30034');
      assert.match(message.error_message!, /not registered for business texting in the US/);
    }
    const { body } = await server.api('GET', '/api/v1/alerts');
    const alerts = (body.alerts as any[]).filter((a) => a.code === '30034');
    assert.equal(alerts.length, 1, 'one alert, however many texts it hit');
    assert.equal(alerts[0].count, 2);
    assert.match(alerts[0].detail, /A2P 10DLC/);
  });

  test('alerts: resolved once (then 409), unknown ids 404, a bad filter 400 — nothing changes on a rejected request', async () => {
    const open = (await server.api('GET', '/api/v1/alerts')).body.alerts as any[];
    assert.ok(open.length >= 1);
    assert.equal((await server.api('GET', '/api/v1/alerts?status=bogus')).status, 400);
    assert.equal((await server.api('POST', '/api/v1/alerts/alert_nope/resolve')).status, 404);
    assert.equal((await server.api('POST', `/api/v1/alerts/${open[0].id}/resolve`)).status, 204);
    const again = await server.api('POST', `/api/v1/alerts/${open[0].id}/resolve`);
    assert.equal(again.status, 409);
    assert.match(again.body.error.message, /already resolved/);
    const all = (await server.api('GET', '/api/v1/alerts?status=all')).body.alerts as any[];
    assert.ok(all.find((a) => a.id === open[0].id).resolvedAt);
    assert.equal((await server.api('POST', '/api/v1/carriers/cc_nope/check')).status, 404);
    const badKind = await server.api('POST', '/api/v1/carriers', { kind: 'vonage', apiKey: 'x' });
    assert.equal(badKind.status, 400);
    assert.equal(badKind.body.error.fields[0].field, 'kind');
  });

  test('21610 at send time suppresses the number: later calls say it opted out', async () => {
    const caller = nextCaller();
    twilio.failNext({ twilioCode: 21610 });
    await post(twilio.webhooks.dialResult(url('voice/result'), { from: caller, to: LINE, dialCallStatus: 'busy' }));
    await settle(server);
    const message = await server.ringback.store.db.selectFrom('messages').selectAll().where('to_number', '=', caller).executeTakeFirstOrThrow();
    assert.equal(message.status, 'failed');
    assert.equal(message.carrier_error_code, '21610');
    await post(twilio.webhooks.dialResult(url('voice/result'), { from: caller, to: LINE, dialCallStatus: 'no-answer' }));
    await settle(server);
    const calls = (await server.api('GET', '/api/v1/calls?limit=200')).body.calls.filter((c: any) => c.from === caller);
    assert.deepEqual(calls.map((c: any) => c.decision.reason), ['opted_out', 'missed_call']);
  });

  test('a 429 with Retry-After is retried after the delay; the text goes out once', async () => {
    const caller = nextCaller();
    twilio.failNext({ status: 429, retryAfter: 0 });
    await post(twilio.webhooks.dialResult(url('voice/result'), { from: caller, to: LINE, dialCallStatus: 'no-answer' }));
    await settle(server);
    assert.equal(textsTo(caller).length, 1);
  });

  test('a timeout after Twilio created the message is reconciled, not resent', async () => {
    const caller = nextCaller();
    twilio.failNext({ status: 500, created: true });
    await post(twilio.webhooks.dialResult(url('voice/result'), { from: caller, to: LINE, dialCallStatus: 'no-answer' }));
    await settle(server);
    assert.equal(textsTo(caller).length, 1);
    const message = await server.ringback.store.db.selectFrom('messages').selectAll().where('to_number', '=', caller).executeTakeFirstOrThrow();
    assert.equal(message.carrier_message_id, textsTo(caller)[0]!.sid);
    assert.deepEqual(twilio.violations(), []);
  });

  test('inbound texts thread in; STOP is confirmed once', async () => {
    const caller = nextCaller();
    const reply = await post(twilio.webhooks.inboundSms(url('messages'), { from: caller, to: LINE, body: 'STOP' }));
    assert.equal(reply.status, 200);
    assert.match(reply.body, /<Response\/>/, 'Twilio gets TwiML back');
    await settle(server);
    assert.equal(textsTo(caller).length, 1);
    assert.match(textsTo(caller)[0]!.body, /unsubscribed/);
  });

  test('a call to a number that is not a line is ended politely', async () => {
    const res = await post(twilio.webhooks.incomingCall(url('voice'), { from: nextCaller(), to: '+14155559999' }));
    assert.equal(res.status, 200);
    assert.match(res.body, /not in service.*<Hangup\/>/);
  });

  test('check reports what is wrong in plain words', async () => {
    twilio.setNumberWebhooks(LINE, { voiceUrl: 'https://old-vendor.example/voice' });
    const { body } = await server.api('POST', `/api/v1/carriers/${carrierId}/check`);
    assert.equal(body.check.ok, false);
    assert.ok(body.check.problems.some((p: string) => /RINGBACK_PUBLIC_URL is not set/.test(p)));
    const line = body.check.lines.find((l: any) => l.number === LINE);
    assert.deepEqual(line.problems, [`calls to ${LINE} go to https://old-vendor.example/voice, not to Ringback (${url('voice')})`]);
    const fixed = await server.api('POST', `/api/v1/lines/${encodeURIComponent(LINE)}/configure-carrier`);
    assert.deepEqual(fixed.body.carrierSetup, { configured: true });
    const again = await server.api('POST', `/api/v1/carriers/${carrierId}/check`);
    assert.equal(again.body.check.lines.find((l: any) => l.number === LINE).ok, true);
  });

  test('bad credentials and unknown numbers are refused with a precise message and nothing stored', async () => {
    const before = (await server.api('GET', '/api/v1/carriers')).body.carriers.length;
    const wrong = await server.api('POST', '/api/v1/carriers', { kind: 'twilio', accountSid: ACCOUNT_SID, authToken: 'e0'.repeat(16), apiBaseUrl: twilio.url });
    assert.equal(wrong.status, 422);
    assert.match(wrong.body.error.message, /Twilio rejected the Account SID or Auth Token/);
    const malformed = await server.api('POST', '/api/v1/carriers', { kind: 'twilio', accountSid: 'nope', authToken: 'x', apiBaseUrl: twilio.url });
    assert.equal(malformed.status, 400);
    assert.deepEqual(malformed.body.error.fields.map((f: any) => f.field).sort(), ['accountSid', 'authToken']);
    assert.equal((await server.api('GET', '/api/v1/carriers')).body.carriers.length, before);

    const notOurs = await server.api('POST', '/api/v1/lines', { number: '+14155558888', carrierId, mode: 'forward' });
    assert.equal(notOurs.status, 422);
    assert.match(notOurs.body.error.message, /\+14155558888 is not a phone number on this Twilio account/);
    assert.equal((await server.api('GET', '/api/v1/lines/%2B14155558888')).status, 404);

    const busy = await server.api('DELETE', `/api/v1/carriers/${carrierId}`);
    assert.equal(busy.status, 409);
  });
});
