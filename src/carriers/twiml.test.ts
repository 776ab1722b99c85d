// TwiML rendering and Twilio-style voice webhook parsing, shared by Twilio and Telnyx TeXML.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MalformedWebhookError } from './carrier.ts';
import type { CallInstructions, WebhookKind } from './carrier.ts';
import { escapeXml, parseForm, parseTwimlCallEvent, renderTwiml } from './twiml.ts';

const doc = (inner: string): string => `<?xml version="1.0" encoding="UTF-8"?><Response>${inner}</Response>`;
const URL_BASE = 'https://rb.example.com/webhooks/twilio/c1';
const form = (params: Record<string, string>): string => new URLSearchParams(params).toString();
const NOW = 1_741_100_400; // 2025-03-04T15:00:00Z

describe('escapeXml', () => {
  const cases: ReadonlyArray<[string, string]> = [
    ['plain', 'plain'],
    ['a & b', 'a &amp; b'],
    ['<Say>', '&lt;Say&gt;'],
    [`"double" 'single'`, '&quot;double&quot; &apos;single&apos;'],
    ['&amp;', '&amp;amp;'],
    ['ünïcödé 🚿', 'ünïcödé 🚿'],
  ];
  for (const [input, expected] of cases) {
    it(JSON.stringify(input), () => assert.equal(escapeXml(input), expected));
  }
});

describe('renderTwiml', () => {
  const dial = (over: Partial<Extract<CallInstructions, { action: 'dial' }>> = {}): CallInstructions => ({
    action: 'dial',
    targets: ['+14155550111'],
    ringSeconds: 20,
    screening: false,
    callerId: '+14155550123',
    resultUrl: `${URL_BASE}/voice/result`,
    ...over,
  });
  const cases: ReadonlyArray<[string, CallInstructions, string]> = [
    [
      'dial: callerId shown when it is an E.164 number',
      dial(),
      doc(`<Dial answerOnBridge="true" timeout="20" callerId="+14155550123" action="${URL_BASE}/voice/result" method="POST"><Number>+14155550111</Number></Dial>`),
    ],
    [
      'dial: no callerId attribute for a withheld caller (Twilio would fail the Dial)',
      dial({ callerId: 'anonymous' }),
      doc(`<Dial answerOnBridge="true" timeout="20" action="${URL_BASE}/voice/result" method="POST"><Number>+14155550111</Number></Dial>`),
    ],
    [
      'dial: no callerId attribute for a keypad-spelled withheld number that is not E.164',
      dial({ callerId: '266696687' }),
      doc(`<Dial answerOnBridge="true" timeout="20" action="${URL_BASE}/voice/result" method="POST"><Number>+14155550111</Number></Dial>`),
    ],
    [
      'dial: screening without a screen URL renders plain numbers',
      dial({ screening: true }),
      doc(`<Dial answerOnBridge="true" timeout="20" callerId="+14155550123" action="${URL_BASE}/voice/result" method="POST"><Number>+14155550111</Number></Dial>`),
    ],
    [
      'dial: a screen URL without screening is not used',
      dial({ screenUrl: `${URL_BASE}/voice/screen` }),
      doc(`<Dial answerOnBridge="true" timeout="20" callerId="+14155550123" action="${URL_BASE}/voice/result" method="POST"><Number>+14155550111</Number></Dial>`),
    ],
    [
      'dial: ring time rounded to whole seconds, at least 1',
      dial({ ringSeconds: 0.2 }),
      doc(`<Dial answerOnBridge="true" timeout="1" callerId="+14155550123" action="${URL_BASE}/voice/result" method="POST"><Number>+14155550111</Number></Dial>`),
    ],
    [
      'screen: timeout at least 1',
      { action: 'screen', prompt: 'Press a key', acceptUrl: `${URL_BASE}/a?x=1&y=2`, timeoutSeconds: 0 },
      doc(`<Gather numDigits="1" timeout="1" action="${URL_BASE}/a?x=1&amp;y=2" method="POST"><Say>Press a key</Say></Gather><Hangup/>`),
    ],
    ['connect: an empty response lets Twilio bridge', { action: 'connect' }, doc('')],
    [
      'voicemail without a greeting',
      { action: 'voicemail', greeting: '', maxSeconds: 90.4, transcribe: false, recordingUrl: `${URL_BASE}/voice/voicemail` },
      doc(`<Record maxLength="90" playBeep="true" action="${URL_BASE}/voice/voicemail" method="POST"/><Hangup/>`),
    ],
    ['reject', { action: 'reject' }, doc('<Reject/>')],
    ['hangup with a message', { action: 'hangup', message: 'Bye & thanks' }, doc('<Say>Bye &amp; thanks</Say><Hangup/>')],
  ];
  for (const [label, instructions, expected] of cases) {
    it(label, () => assert.deepEqual(renderTwiml(instructions), { contentType: 'text/xml', body: expected }));
  }
});

describe('parseForm', () => {
  it('decodes form encoding (+ is a space), last value wins for a repeated name', () => {
    const params = parseForm('Body=Hi+there%21+%F0%9F%9A%BF&From=%2B14155550123&A=1&A=2');
    assert.equal(params.get('Body'), 'Hi there! 🚿');
    assert.equal(params.get('From'), '+14155550123');
    assert.equal(params.get('A'), '2');
  });
});

describe('parseTwimlCallEvent', () => {
  const req = (url: string, params: Record<string, string>) => ({ url, rawBody: form(params), nowSeconds: NOW });
  const call = { CallSid: 'CA1', From: '+14155550123', To: '+14155550100' };

  it('voice: an empty ForwardedFrom is no forwarding', () => {
    const event = parseTwimlCallEvent(req(`${URL_BASE}/voice`, { ...call, ForwardedFrom: '' }), 'voice', 'Twilio');
    assert.deepEqual(event, { type: 'call.incoming', carrierCallId: 'CA1', from: '+14155550123', to: '+14155550100', occurredAt: new Date(NOW * 1000) });
  });

  it('voice/result: no Timestamp → ends now; startedAt = end − DialCallDuration', () => {
    const event = parseTwimlCallEvent(req(`${URL_BASE}/voice/result`, { ...call, DialCallStatus: 'completed', DialCallDuration: '10' }), 'voice/result', 'Twilio');
    assert.equal(event.type, 'call.completed');
    if (event.type !== 'call.completed') return;
    assert.equal(event.endedAt.getTime(), NOW * 1000);
    assert.equal(event.startedAt.getTime(), NOW * 1000 - 10_000);
    assert.equal(event.answerNeedsScreening, true);
  });

  it('voice/status: an unreadable Timestamp falls back to now', () => {
    const event = parseTwimlCallEvent(req(`${URL_BASE}/voice/status`, { ...call, CallStatus: 'busy', Timestamp: 'whenever' }), 'voice/status', 'Twilio');
    assert.equal(event.type === 'call.ended' && event.endedAt.getTime(), NOW * 1000);
  });

  it('voice/voicemail: no RecordingDuration → no durationSeconds', () => {
    const event = parseTwimlCallEvent(req(`${URL_BASE}/voice/voicemail?call=CA1&line=%2B14155550100`, { RecordingUrl: 'https://r/1' }), 'voice/voicemail', 'Twilio');
    assert.deepEqual(event, { type: 'call.voicemail', carrierCallId: 'CA1', to: '+14155550100', recordingUrl: 'https://r/1' });
  });

  it('voice/status with a non-final CallStatus is progress, not an error (no retries from the carrier)', () => {
    const event = parseTwimlCallEvent(req(`${URL_BASE}/voice/status`, { ...call, CallStatus: 'ringing' }), 'voice/status', 'Telnyx');
    assert.deepEqual(event, { type: 'call.progress', carrierCallId: call.CallSid, to: call.To, status: 'ringing' });
  });

  const malformed: ReadonlyArray<[string, WebhookKind, string, Record<string, string>, RegExp]> = [
    ['voice without CallSid', 'voice', `${URL_BASE}/voice`, { From: '+1', To: '+2' }, /Telnyx webhook is missing the "CallSid" parameter/],
    ['voice without To', 'voice', `${URL_BASE}/voice`, { CallSid: 'CA1', From: '+1' }, /"To"/],
    ['voice/result without DialCallStatus', 'voice/result', `${URL_BASE}/voice/result`, call, /"DialCallStatus"/],
    ['voice/result with an unknown DialCallStatus', 'voice/result', `${URL_BASE}/voice/result`, { ...call, DialCallStatus: 'ringing' }, /unknown DialCallStatus "ringing"/],
    ['voice/status without CallStatus', 'voice/status', `${URL_BASE}/voice/status`, call, /"CallStatus"/],
    ['voice/screen without CallSid', 'voice/screen', `${URL_BASE}/voice/screen?call=CA1&line=%2B1&caller=%2B2`, {}, /"CallSid"/],
    ['voice/screen-accept without Digits', 'voice/screen-accept', `${URL_BASE}/voice/screen-accept?call=CA1&line=%2B1`, { CallSid: 'CA2' }, /"Digits"/],
    ['voice/voicemail without RecordingUrl', 'voice/voicemail', `${URL_BASE}/voice/voicemail?call=CA1&line=%2B1`, { CallSid: 'CA1' }, /"RecordingUrl"/],
    ['voice/voicemail with an unparseable URL', 'voice/voicemail', 'not a url', { RecordingUrl: 'https://r/1' }, /"call" query parameter/],
    ['a messaging endpoint', 'messages', `${URL_BASE}/messages`, call, /does not send call events to the messages endpoint/],
  ];
  for (const [label, hook, url, params, message] of malformed) {
    it(`${label} is malformed, and says why`, () => {
      assert.throws(
        () => parseTwimlCallEvent(req(url, params), hook, 'Telnyx'),
        (e: Error) => e instanceof MalformedWebhookError && message.test(e.message),
      );
    });
  }
});
