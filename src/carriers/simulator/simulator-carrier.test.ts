import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CarrierError, MalformedWebhookError } from '../carrier.ts';
import type { CallEvent, CallInstructions, InboundMessage, StatusUpdate, WebhookRequest } from '../carrier.ts';
import { SimulatorNetwork } from './network.ts';
import type { TransportRequest, TransportResponse } from './network.ts';
import { SimulatorCarrier } from './simulator-carrier.ts';
import { SIMULATOR_SIGNATURE_HEADER, signSimulatorWebhook } from './signature.ts';

const SECRET = 'adapter-secret';
const LINE = '+14155550100';
const CALLER = '+14155550123';
const URL_VOICE = 'https://rb.test/webhooks/simulator/line_1/voice';
const NOW = 1_750_000_000;

const idle = new SimulatorNetwork({ transport: async () => ({ status: 200, headers: {}, body: '' }) });
const adapter = new SimulatorCarrier(idle, { signingSecret: SECRET });

function signed(payload: unknown, url = URL_VOICE): WebhookRequest {
  const rawBody = typeof payload === 'string' ? payload : JSON.stringify(payload);
  return {
    url,
    headers: { [SIMULATOR_SIGNATURE_HEADER]: signSimulatorWebhook(SECRET, url, rawBody, NOW) },
    rawBody,
    nowSeconds: NOW,
  };
}

const incoming = { event: 'call.incoming', callId: 'CA1', from: CALLER, to: LINE, occurredAt: '2025-06-15T14:00:00.000Z' };
const completed = {
  event: 'call.completed',
  callId: 'CA1',
  from: CALLER,
  to: LINE,
  result: 'no-answer',
  startedAt: '2025-06-15T14:00:00.000Z',
  endedAt: '2025-06-15T14:00:25.000Z',
};
/** The line called the caller back. */
const outbound = {
  event: 'call.outbound',
  callId: 'CA2',
  from: LINE,
  to: CALLER,
  result: 'answered',
  startedAt: '2025-06-15T14:00:00.000Z',
  endedAt: '2025-06-15T14:01:00.000Z',
};

describe('SimulatorCarrier.verifyWebhook', () => {
  it('finds the signature header whatever its case', () => {
    const req = signed(incoming);
    const header = req.headers[SIMULATOR_SIGNATURE_HEADER];
    assert.deepEqual(adapter.verifyWebhook({ ...req, headers: { 'X-Simulator-Signature': header } }), { ok: true });
  });

  it('verifies over the full URL including the query string', () => {
    const req = signed(incoming, `${URL_VOICE}?line=1`);
    assert.deepEqual(adapter.verifyWebhook(req), { ok: true });
    assert.deepEqual(adapter.verifyWebhook({ ...req, url: URL_VOICE }), { ok: false, reason: 'signature does not match' });
  });

  it('says why it rejects', () => {
    assert.deepEqual(adapter.verifyWebhook({ ...signed(incoming), headers: {} }), {
      ok: false,
      reason: 'missing x-simulator-signature header',
    });
    assert.deepEqual(adapter.verifyWebhook({ ...signed(incoming), nowSeconds: NOW + 412 }), {
      ok: false,
      reason: 'signature timestamp is 412 s old (limit 300 s)',
    });
  });

  it('refuses an empty signing secret', () => {
    assert.throws(() => new SimulatorCarrier(idle, { signingSecret: '' }), TypeError);
  });
});

describe('SimulatorCarrier.parseCallEvent', () => {
  it('parses call.incoming', () => {
    const expected: CallEvent = {
      type: 'call.incoming',
      carrierCallId: 'CA1',
      from: CALLER,
      to: LINE,
      occurredAt: new Date('2025-06-15T14:00:00.000Z'),
    };
    assert.deepEqual(adapter.parseCallEvent(signed(incoming)), expected);
  });

  const outcomes: Array<[string, string]> = [
    ['no-answer', 'missed'],
    ['caller-hangup', 'missed'],
    ['busy', 'busy'],
    ['answered', 'answered'],
    ['rejected', 'rejected'],
    ['failed', 'failed'],
  ];
  for (const [result, outcome] of outcomes) {
    it(`maps result ${result} to outcome ${outcome}`, () => {
      const expected: CallEvent = {
        type: 'call.completed',
        carrierCallId: 'CA1',
        from: CALLER,
        to: LINE,
        outcome: outcome as 'missed',
        startedAt: new Date('2025-06-15T14:00:00.000Z'),
        endedAt: new Date('2025-06-15T14:00:25.000Z'),
      };
      assert.deepEqual(adapter.parseCallEvent(signed({ ...completed, result })), expected);
    });
  }

  const outboundOutcomes: Array<[string, string]> = [
    ['answered', 'answered'],
    ['no-answer', 'missed'],
    ['busy', 'busy'],
    ['failed', 'failed'],
    ['voicemail', 'voicemail'],
  ];
  for (const [result, outcome] of outboundOutcomes) {
    it(`parses call.outbound (a call from the line): result ${result} → outcome ${outcome}`, () => {
      const expected: CallEvent = {
        type: 'call.outbound',
        carrierCallId: 'CA2',
        from: LINE,
        to: CALLER,
        outcome: outcome as 'missed',
        startedAt: new Date('2025-06-15T14:00:00.000Z'),
        endedAt: new Date('2025-06-15T14:01:00.000Z'),
      };
      assert.deepEqual(adapter.parseCallEvent(signed({ ...outbound, result })), expected);
    });
  }

  it('keeps a withheld caller ID exactly as sent', () => {
    const event = adapter.parseCallEvent(signed({ ...incoming, from: 'anonymous' }));
    assert.equal(event.type === 'call.incoming' ? event.from : undefined, 'anonymous');
  });

  const malformed: Array<[string, unknown, RegExp]> = [
    ['not JSON', 'nope', /body is not valid JSON/],
    ['an array', '[1]', /body must be a JSON object/],
    ['null', 'null', /body must be a JSON object/],
    ['no event', { ...incoming, event: undefined }, /field "event" is missing/],
    ['another event', { ...incoming, event: 'message.received' }, /field "event" must be "call.incoming" or "call.completed" or "call.outbound"; got "message.received"/],
    ['no callId', { ...incoming, callId: undefined }, /field "callId" is missing/],
    ['empty callId', { ...incoming, callId: '' }, /field "callId" must not be empty/],
    ['numeric from', { ...incoming, from: 14155550123 }, /field "from" must be a string; got 14155550123/],
    ['null to', { ...incoming, to: null }, /field "to" is missing/],
    ['bad occurredAt', { ...incoming, occurredAt: 'noon' }, /field "occurredAt" must be an ISO 8601 date-time; got "noon"/],
    ['date without time', { ...incoming, occurredAt: '2025-06-15' }, /field "occurredAt" must be an ISO 8601 date-time/],
    ['impossible date', { ...incoming, occurredAt: '2025-13-45T99:00:00Z' }, /field "occurredAt" must be an ISO 8601 date-time/],
    ['unknown result', { ...completed, result: 'voicemail-ish' }, /field "result" must be one of .*; got "voicemail-ish"/],
    ['inherited result key', { ...completed, result: 'toString' }, /field "result" must be one of/],
    ['no endedAt', { ...completed, endedAt: undefined }, /field "endedAt" is missing/],
    ['ended before it started', { ...completed, endedAt: '2025-06-15T13:59:00.000Z' }, /"endedAt" is before "startedAt"/],
    ['outbound: unknown result', { ...outbound, result: 'caller-hangup' }, /field "result" must be one of answered, no-answer, busy, failed, voicemail; got "caller-hangup"/],
    ['outbound: no to', { ...outbound, to: undefined }, /field "to" is missing/],
    ['outbound: ended before it started', { ...outbound, endedAt: '2025-06-15T13:59:00.000Z' }, /"endedAt" is before "startedAt"/],
  ];
  for (const [label, body, message] of malformed) {
    it(`throws MalformedWebhookError naming the problem: ${label}`, () => {
      assert.throws(() => adapter.parseCallEvent(signed(body)), (err: unknown) => {
        assert.ok(err instanceof MalformedWebhookError, String(err));
        assert.match(err.message, message);
        return true;
      });
    });
  }
});

describe('SimulatorCarrier.parseInboundMessage / parseStatusUpdate', () => {
  const received = {
    event: 'message.received',
    messageId: 'SM1',
    from: CALLER,
    to: LINE,
    body: 'STOP',
    receivedAt: '2025-06-15T14:01:00.000Z',
  };

  it('parses message.received, allowing an empty body', () => {
    const expected: InboundMessage = {
      carrierMessageId: 'SM1',
      from: CALLER,
      to: LINE,
      body: 'STOP',
      receivedAt: new Date('2025-06-15T14:01:00.000Z'),
    };
    assert.deepEqual(adapter.parseInboundMessage(signed(received)), expected);
    assert.equal(adapter.parseInboundMessage(signed({ ...received, body: '' })).body, '');
  });

  it('rejects a message webhook without a body field or of another event', () => {
    assert.throws(() => adapter.parseInboundMessage(signed({ ...received, body: undefined })), /field "body" is missing/);
    assert.throws(() => adapter.parseInboundMessage(signed(incoming)), /field "event" must be "message.received"; got "call.incoming"/);
  });

  it('parses message.status with and without an error code', () => {
    const base = { event: 'message.status', messageId: 'SM9', status: 'delivered', occurredAt: '2025-06-15T14:02:00.000Z' };
    const delivered: StatusUpdate = { carrierMessageId: 'SM9', status: 'delivered', occurredAt: new Date('2025-06-15T14:02:00.000Z') };
    assert.deepEqual(adapter.parseStatusUpdate(signed(base)), delivered);
    assert.deepEqual(adapter.parseStatusUpdate(signed({ ...base, status: 'undelivered', errorCode: '30003' })), {
      ...delivered,
      status: 'undelivered',
      errorCode: '30003',
    });
  });

  it('rejects an unknown status or a numeric error code', () => {
    const base = { event: 'message.status', messageId: 'SM9', status: 'delivered', occurredAt: '2025-06-15T14:02:00.000Z' };
    assert.throws(() => adapter.parseStatusUpdate(signed({ ...base, status: 'read' })), /field "status" must be one of/);
    assert.throws(() => adapter.parseStatusUpdate(signed({ ...base, errorCode: 30003 })), /field "errorCode" must be a string/);
  });
});

describe('SimulatorCarrier sending', () => {
  function wired() {
    const network = new SimulatorNetwork({ transport: async () => ({ status: 200, headers: {}, body: '' }) });
    network.configureNumber(LINE, { voiceUrl: URL_VOICE, messagesUrl: `${URL_VOICE}/m`, signingSecret: SECRET });
    return { network, carrier: new SimulatorCarrier(network, { signingSecret: SECRET }) };
  }
  const msg = { ref: 'm1', from: LINE, to: CALLER, body: 'Hello from Acme' };

  it('sends through the network and finds the message by ref', async () => {
    const { network, carrier } = wired();
    const result = await carrier.sendMessage(msg);
    assert.equal(result.status, 'sent');
    assert.equal(network.phoneMessages(CALLER)[0]?.id, result.carrierMessageId);
    assert.equal((await carrier.findSentMessage(msg))?.carrierMessageId, result.carrierMessageId);
    assert.equal(await carrier.findSentMessage({ ...msg, ref: 'm2' }), null);
    await network.settle();
  });

  it('maps an unknown sending number to a permanent CarrierError', async () => {
    const { carrier } = wired();
    await assert.rejects(carrier.sendMessage({ ...msg, from: '+14155550999' }), (err: unknown) => {
      assert.ok(err instanceof CarrierError);
      assert.equal(err.kind, 'permanent');
      assert.equal(err.code, 'unknown_number');
      return true;
    });
  });

  it('passes carrier errors through (landline, retryable with retryAfterMs)', async () => {
    const { network, carrier } = wired();
    network.setPhoneType(CALLER, 'landline');
    await assert.rejects(carrier.sendMessage(msg), { name: 'CarrierError', kind: 'permanent', code: 'landline' });
    network.setPhoneType(CALLER, 'mobile');
    network.injectFault({ kind: 'retryable', retryAfterMs: 2000 });
    await assert.rejects(carrier.sendMessage(msg), { name: 'CarrierError', kind: 'retryable', retryAfterMs: 2000 });
  });

  it('returns a rejected promise rather than throwing synchronously', () => {
    const { carrier } = wired();
    const pending = carrier.sendMessage({ ...msg, from: 'nobody' });
    assert.ok(pending instanceof Promise);
    return assert.rejects(pending, CarrierError);
  });
});

describe('SimulatorCarrier with the network, wired like Ringback', () => {
  // A miniature of Ringback's webhook routes: verify → 403, parse → 400, answer calls with rendered instructions.
  function ringback(carrier: SimulatorCarrier, answer: CallInstructions) {
    const events: Array<CallEvent | InboundMessage | StatusUpdate> = [];
    const transport = async (req: TransportRequest): Promise<TransportResponse> => {
      const webhook: WebhookRequest = { url: req.url, headers: req.headers, rawBody: req.body, nowSeconds: Math.floor(Date.now() / 1000) };
      const verdict = carrier.verifyWebhook(webhook);
      if (!verdict.ok) return { status: 403, headers: {}, body: verdict.reason };
      try {
        const path = new URL(req.url).pathname;
        if (path.endsWith('/voice')) {
          const event = carrier.parseCallEvent(webhook);
          events.push(event);
          if (event.type === 'call.incoming') {
            const rendered = carrier.renderCallResponse(answer);
            return { status: 200, headers: { 'content-type': rendered.contentType }, body: rendered.body };
          }
        } else if (path.endsWith('/voice/result')) {
          events.push(carrier.parseCallEvent(webhook));
        } else if (path.endsWith('/messages')) {
          events.push(carrier.parseInboundMessage(webhook));
        } else if (path.endsWith('/status')) {
          events.push(carrier.parseStatusUpdate(webhook));
        }
        return { status: 200, headers: {}, body: '' };
      } catch (err) {
        return { status: 400, headers: {}, body: String(err) };
      }
    };
    return { events, transport };
  }

  const base = 'https://rb.test/webhooks/simulator/line_1';
  const dial: CallInstructions = {
    action: 'dial',
    targets: ['+14155550111'],
    ringSeconds: 20,
    screening: true,
    greeting: 'Acme Plumbing',
    callerId: LINE,
    resultUrl: `${base}/voice/result`,
  };

  function setup(networkSecret = SECRET, answer: CallInstructions = dial) {
    let rb: ReturnType<typeof ringback> | undefined;
    const network = new SimulatorNetwork({ transport: (req) => rb!.transport(req) });
    const carrier = new SimulatorCarrier(network, { signingSecret: SECRET });
    rb = ringback(carrier, answer);
    network.configureNumber(LINE, { voiceUrl: `${base}/voice`, messagesUrl: `${base}/messages`, signingSecret: networkSecret });
    return { network, carrier, events: rb.events };
  }

  it('a missed call, a reply and a delivery all arrive as parsed events', async () => {
    const { network, carrier, events } = setup();
    const call = await network.placeCall({ from: CALLER, to: LINE, outcome: 'unanswered' }).done;
    assert.deepEqual(call.instructions, dial, 'the network understood the rendered instructions');
    const sent = await carrier.sendMessage({ ref: 'r1', from: LINE, to: CALLER, body: 'Sorry we missed you', statusCallbackUrl: `${base}/status` });
    await network.sendText({ from: CALLER, to: LINE, body: 'Yes please call back' }).done;
    await network.settle();
    assert.deepEqual(
      events.map((e) => ('type' in e ? `${e.type}:${e.type === 'call.completed' ? e.outcome : ''}` : 'status' in e ? `status:${e.status}` : `text:${e.body}`)),
      ['call.incoming:', 'call.completed:missed', 'text:Yes please call back', 'status:delivered'],
    );
    assert.equal((events[3] as StatusUpdate).carrierMessageId, sent.carrierMessageId);
    assert.deepEqual(network.phoneMessages(CALLER).map((m) => m.body), ['Sorry we missed you']);
  });

  it('a network signing with another secret is refused with 403, and the call fails loudly', async () => {
    const { network, events } = setup('not-the-adapter-secret');
    await assert.rejects(network.placeCall({ from: CALLER, to: LINE, outcome: 'busy' }).done, (err: unknown) => {
      assert.ok(err instanceof Error && 'status' in err);
      assert.equal(err.status, 403);
      assert.match(err.message, /signature does not match/);
      return true;
    });
    assert.deepEqual(events, []);
  });
});
