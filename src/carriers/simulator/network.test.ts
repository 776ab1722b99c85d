import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CarrierError } from '../carrier.ts';
import type { CallInstructions, OutboundMessage } from '../carrier.ts';
import { SimulatorError, SimulatorNetwork } from './network.ts';
import type { TransportRequest, TransportResponse } from './network.ts';
import { countSegments } from './segments.ts';
import { SIMULATOR_SIGNATURE_HEADER, signSimulatorWebhook, verifySimulatorSignature } from './signature.ts';

const LINE = '+14155550100';
const OTHER_LINE = '+14155550200';
const CALLER = '+14155550123';
const SECRET = 'line-secret';
const VOICE = 'https://rb.test/webhooks/sim/line_1/voice';
const MESSAGES = 'https://rb.test/webhooks/sim/line_1/messages';
const STATUS = 'https://rb.test/webhooks/sim/line_1/status';
const T0 = new Date('2025-06-01T12:00:00.000Z');
const T0_SECONDS = T0.getTime() / 1000;

const DIAL: CallInstructions = {
  action: 'dial',
  targets: ['+14155550111'],
  ringSeconds: 25,
  screening: true,
  callerId: LINE,
  resultUrl: `${VOICE}/result`,
};

interface Sent {
  req: TransportRequest;
  payload: Record<string, unknown>;
}

/** A fake Ringback: records every webhook and answers call.incoming with `instructions`. */
function fakeRingback(opts: { instructions?: CallInstructions | string; status?: (req: TransportRequest) => number } = {}) {
  const sent: Sent[] = [];
  const transport = async (req: TransportRequest): Promise<TransportResponse> => {
    const payload = JSON.parse(req.body) as Record<string, unknown>;
    sent.push({ req, payload });
    const status = opts.status?.(req) ?? 200;
    if (payload['event'] === 'call.incoming') {
      const i = opts.instructions ?? DIAL;
      return { status, headers: { 'content-type': 'application/json' }, body: typeof i === 'string' ? i : JSON.stringify(i) };
    }
    return { status, headers: {}, body: '' };
  };
  return { sent, transport };
}

function makeNetwork(opts: Parameters<typeof fakeRingback>[0] & { stateFile?: string } = {}) {
  const ringback = fakeRingback(opts);
  const network = new SimulatorNetwork({
    transport: ringback.transport,
    now: () => T0,
    ...(opts.stateFile === undefined ? {} : { stateFile: opts.stateFile }),
  });
  network.configureNumber(LINE, { voiceUrl: VOICE, messagesUrl: MESSAGES, signingSecret: SECRET });
  return { network, sent: ringback.sent };
}

function message(overrides: Partial<OutboundMessage> = {}): OutboundMessage {
  return { ref: 'msg_1', from: LINE, to: CALLER, body: 'Sorry we missed your call!', ...overrides };
}

function assertSigned(req: TransportRequest, secret = SECRET): void {
  const header = req.headers[SIMULATOR_SIGNATURE_HEADER];
  assert.deepEqual(verifySimulatorSignature(secret, req.url, req.body, header, T0_SECONDS), { ok: true });
}

const tmpRoot = mkdtempSync(join(tmpdir(), 'ringback-sim-'));
after(() => rmSync(tmpRoot, { recursive: true, force: true }));
let tmpCount = 0;
const tmpFile = (): string => join(tmpRoot, `case-${++tmpCount}`, 'nested', 'phones.jsonl');

describe('SimulatorNetwork calls', () => {
  it('posts call.incoming, follows the dial instructions and posts call.completed to resultUrl', async () => {
    const { network, sent } = makeNetwork();
    const { callId, done } = network.placeCall({ from: CALLER, to: LINE, outcome: 'unanswered' });
    assert.match(callId, /^CA[0-9a-f]{32}$/);
    const result = await done;
    assert.deepEqual(result, { callId, result: 'no-answer', instructions: DIAL });

    assert.equal(sent.length, 2);
    const [incoming, completed] = sent;
    assert.ok(incoming && completed);
    assert.equal(incoming.req.url, VOICE);
    assert.equal(incoming.req.headers['content-type'], 'application/json');
    assert.deepEqual(incoming.payload, { event: 'call.incoming', callId, from: CALLER, to: LINE, occurredAt: T0.toISOString() });
    assertSigned(incoming.req);

    assert.equal(completed.req.url, `${VOICE}/result`);
    assert.deepEqual(completed.payload, {
      event: 'call.completed',
      callId,
      from: CALLER,
      to: LINE,
      result: 'no-answer',
      startedAt: T0.toISOString(),
      endedAt: new Date(T0.getTime() + 25_000).toISOString(),
    });
    assertSigned(completed.req);
  });

  const durations: Array<[Parameters<SimulatorNetwork['placeCall']>[0]['outcome'], number | undefined, string, number]> = [
    ['unanswered', undefined, 'no-answer', 25],
    ['unanswered', 7, 'no-answer', 7],
    ['busy', undefined, 'busy', 0],
    ['answered', undefined, 'answered', 60],
    ['answered', 300, 'answered', 300],
    ['hangup', undefined, 'caller-hangup', 5],
    ['hangup', 2, 'caller-hangup', 2],
  ];
  for (const [outcome, afterSeconds, result, seconds] of durations) {
    it(`outcome ${outcome}${afterSeconds === undefined ? '' : ` after ${afterSeconds} s`} → ${result}, ${seconds} s`, async () => {
      const { network, sent } = makeNetwork();
      const { done } = network.placeCall({ from: CALLER, to: LINE, outcome, ...(afterSeconds === undefined ? {} : { afterSeconds }) });
      assert.equal((await done).result, result);
      const completed = sent[1]?.payload;
      assert.equal(completed?.['result'], result);
      assert.equal(completed?.['endedAt'], new Date(T0.getTime() + seconds * 1000).toISOString());
    });
  }

  for (const instructions of [{ action: 'reject' }, { action: 'hangup', message: 'Closed' }] as CallInstructions[]) {
    it(`${instructions.action} instructions → call.completed 'rejected' posted to the voice URL`, async () => {
      const { network, sent } = makeNetwork({ instructions });
      const { callId, done } = network.placeCall({ from: CALLER, to: LINE, outcome: 'answered' });
      assert.deepEqual(await done, { callId, result: 'rejected', instructions });
      assert.equal(sent.length, 2);
      assert.equal(sent[1]?.req.url, VOICE);
      assert.equal(sent[1]?.payload['event'], 'call.completed');
      assert.equal(sent[1]?.payload['result'], 'rejected');
      assertSigned(sent[1]!.req);
    });
  }

  it('resolves a relative resultUrl against the voice URL', async () => {
    const { network, sent } = makeNetwork({ instructions: { ...DIAL, resultUrl: 'voice/result?leg=2' } });
    await network.placeCall({ from: CALLER, to: LINE, outcome: 'busy' }).done;
    assert.equal(sent[1]?.req.url, 'https://rb.test/webhooks/sim/line_1/voice/result?leg=2');
    assertSigned(sent[1]!.req);
  });

  it('accepts any caller ID, including withheld ones', async () => {
    const { network, sent } = makeNetwork();
    await network.placeCall({ from: 'anonymous', to: LINE, outcome: 'unanswered' }).done;
    assert.equal(sent[0]?.payload['from'], 'anonymous');
  });

  it('throws unknown_number synchronously for a number not configured', () => {
    const { network } = makeNetwork();
    assert.throws(
      () => network.placeCall({ from: CALLER, to: OTHER_LINE, outcome: 'busy' }),
      (err: unknown) => err instanceof SimulatorError && err.code === 'unknown_number' && err.message.includes(OTHER_LINE),
    );
  });

  it('refuses a negative or non-finite afterSeconds', () => {
    const { network, sent } = makeNetwork();
    for (const afterSeconds of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => network.placeCall({ from: CALLER, to: LINE, outcome: 'answered', afterSeconds }), { code: 'invalid_input' });
    }
    assert.equal(sent.length, 0);
  });

  it('stops routing a removed number', () => {
    const { network } = makeNetwork();
    network.removeNumber(LINE);
    assert.throws(() => network.placeCall({ from: CALLER, to: LINE, outcome: 'busy' }), { code: 'unknown_number' });
  });

  it('rejects done with webhook_failed and the status when Ringback answers non-2xx', async () => {
    const { network, sent } = makeNetwork({ status: () => 403 });
    await assert.rejects(network.placeCall({ from: CALLER, to: LINE, outcome: 'busy' }).done, (err: unknown) => {
      assert.ok(err instanceof SimulatorError);
      assert.equal(err.code, 'webhook_failed');
      assert.equal(err.status, 403);
      return true;
    });
    assert.equal(sent.length, 1, 'nothing follows a refused incoming-call webhook');
  });

  it('rejects done when the dial-result webhook fails', async () => {
    const { network } = makeNetwork({ status: (req) => (req.url.endsWith('/result') ? 500 : 200) });
    await assert.rejects(network.placeCall({ from: CALLER, to: LINE, outcome: 'busy' }).done, { code: 'webhook_failed', status: 500 });
  });

  it('rejects done with webhook_failed when the transport throws', async () => {
    const network = new SimulatorNetwork({
      transport: async () => {
        throw new Error('ECONNREFUSED');
      },
    });
    network.configureNumber(LINE, { voiceUrl: VOICE, messagesUrl: MESSAGES, signingSecret: SECRET });
    await assert.rejects(network.placeCall({ from: CALLER, to: LINE, outcome: 'busy' }).done, (err: unknown) => {
      assert.ok(err instanceof SimulatorError);
      assert.equal(err.code, 'webhook_failed');
      assert.match(err.message, /ECONNREFUSED/);
      return true;
    });
  });

  it('rejects done with invalid_instructions when the answer is not call instructions', async () => {
    for (const instructions of ['<Response/>', '{"action":"play"}', JSON.stringify({ ...DIAL, ringSeconds: 'x' })]) {
      const { network } = makeNetwork({ instructions });
      await assert.rejects(network.placeCall({ from: CALLER, to: LINE, outcome: 'busy' }).done, { code: 'invalid_instructions' });
    }
  });

  it('a failing call nobody awaits does not crash the process', async () => {
    const { network } = makeNetwork({ status: () => 500 });
    network.placeCall({ from: CALLER, to: LINE, outcome: 'busy' });
    network.sendText({ from: CALLER, to: LINE, body: 'hi' });
    await new Promise((resolve) => setTimeout(resolve, 10)); // an unhandled rejection would fail the test run
  });
});

describe('SimulatorNetwork calls from a line (callbacks)', () => {
  it('posts one signed call.outbound to the line\'s voice URL, with the result and times', async () => {
    const { network, sent } = makeNetwork();
    const { callId, done } = network.placeOutboundCall({ from: LINE, to: CALLER, result: 'answered' });
    assert.match(callId, /^CA[0-9a-f]{32}$/);
    await done;
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.req.url, VOICE);
    assertSigned(sent[0]!.req);
    assert.deepEqual(sent[0]!.payload, {
      event: 'call.outbound',
      callId,
      from: LINE,
      to: CALLER,
      result: 'answered',
      startedAt: T0.toISOString(),
      endedAt: new Date(T0.getTime() + 60_000).toISOString(),
    });
  });

  for (const [result, seconds] of [['no-answer', 20], ['voicemail', 20], ['busy', 0], ['failed', 0]] as const) {
    it(`${result}: ends after ${seconds} s unless afterSeconds says otherwise`, async () => {
      const { network, sent } = makeNetwork();
      await network.placeOutboundCall({ from: LINE, to: CALLER, result }).done;
      await network.placeOutboundCall({ from: LINE, to: CALLER, result, afterSeconds: 7 }).done;
      assert.deepEqual(sent.map((s) => [s.payload['result'], Date.parse(String(s.payload['endedAt'])) - T0.getTime()]), [
        [result, seconds * 1000],
        [result, 7000],
      ]);
    });
  }

  it('a line not configured → unknown_number, synchronously; a bad afterSeconds → invalid_input', () => {
    const { network, sent } = makeNetwork();
    assert.throws(() => network.placeOutboundCall({ from: OTHER_LINE, to: CALLER, result: 'answered' }), (err: unknown) => err instanceof SimulatorError && err.code === 'unknown_number');
    assert.throws(() => network.placeOutboundCall({ from: LINE, to: CALLER, result: 'answered', afterSeconds: -1 }), (err: unknown) => err instanceof SimulatorError && err.code === 'invalid_input');
    assert.equal(sent.length, 0);
  });

  it('settle() waits for the report', async () => {
    const { network, sent } = makeNetwork();
    network.placeOutboundCall({ from: LINE, to: CALLER, result: 'busy' });
    await network.settle();
    assert.equal(sent.length, 1);
  });
});

describe('SimulatorNetwork texts from phones', () => {
  it('posts a signed message.received to the messages URL', async () => {
    const { network, sent } = makeNetwork();
    const { messageId, done } = network.sendText({ from: CALLER, to: LINE, body: 'Can you come today? 🚿' });
    assert.match(messageId, /^SM[0-9a-f]{32}$/);
    await done;
    assert.equal(sent.length, 1);
    assert.equal(sent[0]?.req.url, MESSAGES);
    assert.deepEqual(sent[0]?.payload, {
      event: 'message.received',
      messageId,
      from: CALLER,
      to: LINE,
      body: 'Can you come today? 🚿',
      receivedAt: T0.toISOString(),
    });
    assertSigned(sent[0]!.req);
  });

  it('unknown number → unknown_number, synchronously', () => {
    const { network } = makeNetwork();
    assert.throws(() => network.sendText({ from: CALLER, to: OTHER_LINE, body: 'hi' }), { name: 'SimulatorError', code: 'unknown_number' });
  });

  it('non-2xx answer → done rejects with webhook_failed', async () => {
    const { network } = makeNetwork({ status: () => 503 });
    await assert.rejects(network.sendText({ from: CALLER, to: LINE, body: 'hi' }).done, { code: 'webhook_failed', status: 503 });
  });
});

describe('SimulatorNetwork carrier API', () => {
  it('accepts a message into the phone inbox and sends the delivered callback asynchronously', async () => {
    const { network, sent } = makeNetwork();
    const result = network.acceptMessage(message({ statusCallbackUrl: STATUS }));
    assert.match(result.carrierMessageId, /^SM[0-9a-f]{32}$/);
    assert.equal(result.status, 'sent');
    assert.equal(result.segments, 1);
    assert.deepEqual(network.phoneMessages(CALLER), [
      { id: result.carrierMessageId, from: LINE, to: CALLER, body: 'Sorry we missed your call!', ref: 'msg_1', receivedAt: T0.toISOString() },
    ]);
    assert.equal(sent.length, 0, 'the status callback is not sent before acceptMessage returns');
    await network.settle();
    assert.equal(sent.length, 1);
    assert.equal(sent[0]?.req.url, STATUS);
    assert.deepEqual(sent[0]?.payload, {
      event: 'message.status',
      messageId: result.carrierMessageId,
      status: 'delivered',
      occurredAt: T0.toISOString(),
    });
    assertSigned(sent[0]!.req);
    assert.equal(network.findMessageByRef('msg_1')?.status, 'delivered');
  });

  it('signs the status callback with the secret of the sending number', async () => {
    const { network, sent } = makeNetwork();
    network.configureNumber(OTHER_LINE, { voiceUrl: VOICE, messagesUrl: MESSAGES, signingSecret: 'other-secret' });
    network.acceptMessage(message({ from: OTHER_LINE, statusCallbackUrl: STATUS }));
    await network.settle();
    assertSigned(sent[0]!.req, 'other-secret');
  });

  it('sends no callback without a statusCallbackUrl', async () => {
    const { network, sent } = makeNetwork();
    network.acceptMessage(message());
    await network.settle();
    assert.equal(sent.length, 0);
  });

  it('reports a failed status callback to onWebhookError', async () => {
    const errors: SimulatorError[] = [];
    const network = new SimulatorNetwork({
      transport: async () => ({ status: 500, headers: {}, body: 'boom' }),
      onWebhookError: (err) => errors.push(err),
    });
    network.configureNumber(LINE, { voiceUrl: VOICE, messagesUrl: MESSAGES, signingSecret: SECRET });
    network.acceptMessage(message({ statusCallbackUrl: STATUS }));
    await network.settle();
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.code, 'webhook_failed');
    assert.equal(errors[0]?.status, 500);
  });

  it('does not dedupe by ref: a double send is two messages', () => {
    const { network } = makeNetwork();
    const a = network.acceptMessage(message());
    const b = network.acceptMessage(message());
    assert.notEqual(a.carrierMessageId, b.carrierMessageId);
    assert.deepEqual(network.phoneMessages(CALLER).map((m) => m.id), [a.carrierMessageId, b.carrierMessageId]);
    assert.equal(network.findMessageByRef('msg_1')?.carrierMessageId, a.carrierMessageId, 'the first accepted one');
  });

  it('findMessageByRef returns null for a ref never sent', () => {
    const { network } = makeNetwork();
    network.acceptMessage(message());
    assert.equal(network.findMessageByRef('msg_other'), null);
  });

  it('keeps each phone inbox apart, in arrival order', () => {
    const { network } = makeNetwork();
    network.acceptMessage(message({ ref: 'a', body: 'one' }));
    network.acceptMessage(message({ ref: 'b', to: '+14155550999', body: 'other phone' }));
    network.acceptMessage(message({ ref: 'c', body: 'two' }));
    assert.deepEqual(network.phoneMessages(CALLER).map((m) => m.body), ['one', 'two']);
    assert.deepEqual(network.phoneMessages('+14155550999').map((m) => m.body), ['other phone']);
    assert.deepEqual(network.phoneMessages('+14155550000'), []);
  });

  it('counts segments', () => {
    const { network } = makeNetwork();
    assert.equal(network.acceptMessage(message({ body: 'a'.repeat(160) })).segments, 1);
    assert.equal(network.acceptMessage(message({ body: 'a'.repeat(161) })).segments, 2);
    assert.equal(network.acceptMessage(message({ body: '👍'.repeat(35) })).segments, 1);
    assert.equal(network.acceptMessage(message({ body: '👍'.repeat(36) })).segments, 2);
  });

  it('an unknown sending number → SimulatorError unknown_number', () => {
    const { network } = makeNetwork();
    assert.throws(() => network.acceptMessage(message({ from: OTHER_LINE })), { name: 'SimulatorError', code: 'unknown_number' });
  });

  it('refuses invalid destination numbers and empty bodies permanently', () => {
    const { network } = makeNetwork();
    for (const to of ['anonymous', '12345', '+0123456789', '']) {
      assert.throws(() => network.acceptMessage(message({ to })), { name: 'CarrierError', kind: 'permanent', code: 'invalid_number' });
    }
    assert.throws(() => network.acceptMessage(message({ body: '' })), { kind: 'permanent', code: 'empty_body' });
    assert.equal(network.acceptedMessages().length, 0);
  });

  it('a landline cannot receive texts', () => {
    const { network } = makeNetwork();
    network.setPhoneType(CALLER, 'landline');
    assert.throws(
      () => network.acceptMessage(message()),
      (err: unknown) =>
        err instanceof CarrierError &&
        err.kind === 'permanent' &&
        err.code === 'landline' &&
        err.message === `${CALLER} is a landline and cannot receive texts`,
    );
    assert.deepEqual(network.phoneMessages(CALLER), []);
    network.setPhoneType(CALLER, 'mobile');
    network.acceptMessage(message());
    assert.equal(network.phoneMessages(CALLER).length, 1);
  });
});

describe('SimulatorNetwork fault injection', () => {
  it('retryable faults fail the next `times` sends, then sends go through', () => {
    const { network } = makeNetwork();
    network.injectFault({ kind: 'retryable', code: '20429', times: 2, retryAfterMs: 1500 });
    for (let i = 0; i < 2; i++) {
      assert.throws(() => network.acceptMessage(message()), (err: unknown) => {
        assert.ok(err instanceof CarrierError);
        assert.equal(err.kind, 'retryable');
        assert.equal(err.code, '20429');
        assert.equal(err.retryAfterMs, 1500);
        return true;
      });
    }
    network.acceptMessage(message());
    assert.equal(network.phoneMessages(CALLER).length, 1);
  });

  it('a permanent fault fails one send by default', () => {
    const { network } = makeNetwork();
    network.injectFault({ kind: 'permanent', code: '21610' });
    assert.throws(() => network.acceptMessage(message()), { kind: 'permanent', code: '21610' });
    assert.equal(network.phoneMessages(CALLER).length, 0);
    network.acceptMessage(message());
    assert.equal(network.phoneMessages(CALLER).length, 1);
  });

  it('faults queue in order', () => {
    const { network } = makeNetwork();
    network.injectFault({ kind: 'retryable' });
    network.injectFault({ kind: 'permanent' });
    assert.throws(() => network.acceptMessage(message()), { kind: 'retryable' });
    assert.throws(() => network.acceptMessage(message()), { kind: 'permanent' });
    network.acceptMessage(message());
  });

  it('accept-then-timeout records the message, throws ambiguous, and still reports delivery', async () => {
    const { network, sent } = makeNetwork();
    network.injectFault({ kind: 'accept-then-timeout' });
    assert.throws(() => network.acceptMessage(message({ ref: 'amb_1', statusCallbackUrl: STATUS })), {
      name: 'CarrierError',
      kind: 'ambiguous',
    });
    const inbox = network.phoneMessages(CALLER);
    assert.equal(inbox.length, 1);
    assert.equal(network.findMessageByRef('amb_1')?.carrierMessageId, inbox[0]?.id);
    await network.settle();
    assert.equal(sent[0]?.payload['status'], 'delivered');
    assert.equal(sent[0]?.payload['messageId'], inbox[0]?.id);
  });

  it('undelivered: accepted, never reaches the phone, callback says undelivered with a code', async () => {
    const { network, sent } = makeNetwork();
    network.injectFault({ kind: 'undelivered' });
    const result = network.acceptMessage(message({ statusCallbackUrl: STATUS }));
    assert.equal(result.status, 'sent');
    assert.deepEqual(network.phoneMessages(CALLER), []);
    await network.settle();
    assert.deepEqual(sent[0]?.payload, {
      event: 'message.status',
      messageId: result.carrierMessageId,
      status: 'undelivered',
      errorCode: '30003',
      occurredAt: T0.toISOString(),
    });
    assert.equal(network.findMessageByRef('msg_1')?.status, 'undelivered');
  });

  it('rejects a nonsensical times', () => {
    const { network } = makeNetwork();
    assert.throws(() => network.injectFault({ kind: 'retryable', times: 0 }), { code: 'invalid_config' });
  });

  it('clearFaults drops pending faults', () => {
    const { network } = makeNetwork();
    network.injectFault({ kind: 'permanent', times: 3 });
    network.clearFaults();
    network.acceptMessage(message());
  });
});

describe('SimulatorNetwork state file', () => {
  it('writes one line per accepted message before acceptMessage returns, creating the directory', () => {
    const file = tmpFile();
    const { network } = makeNetwork({ stateFile: file });
    assert.ok(!existsSync(file), 'no file before the first message');
    network.acceptMessage(message({ ref: 'a' }));
    assert.equal(readFileSync(file, 'utf8').split('\n').filter(Boolean).length, 1);
    network.acceptMessage(message({ ref: 'b' }));
    assert.equal(readFileSync(file, 'utf8').split('\n').filter(Boolean).length, 2);
  });

  it('a restarted network (new instance, same file) knows every message', async () => {
    const file = tmpFile();
    const first = makeNetwork({ stateFile: file }).network;
    const a = first.acceptMessage(message({ ref: 'a', body: 'first ✓' }));
    first.injectFault({ kind: 'undelivered', code: '30005' });
    first.acceptMessage(message({ ref: 'b', body: 'lost' }));
    first.acceptMessage(message({ ref: 'c', to: '+14155550999', body: 'elsewhere' }));
    await first.settle();

    const second = makeNetwork({ stateFile: file }).network;
    assert.deepEqual(second.phoneMessages(CALLER), first.phoneMessages(CALLER));
    assert.deepEqual(second.phoneMessages('+14155550999'), first.phoneMessages('+14155550999'));
    assert.deepEqual(second.findMessageByRef('a'), { carrierMessageId: a.carrierMessageId, status: 'delivered', segments: 1 });
    assert.equal(second.findMessageByRef('b')?.status, 'undelivered');
    assert.deepEqual(second.acceptedMessages(), first.acceptedMessages());

    second.acceptMessage(message({ ref: 'd', body: 'after restart' }));
    const third = makeNetwork({ stateFile: file }).network;
    assert.deepEqual(third.phoneMessages(CALLER).map((m) => m.body), ['first ✓', 'after restart']);
  });

  it('survives kill -9 right after sending', () => {
    const file = tmpFile();
    const networkModule = fileURLToPath(new URL('./network.ts', import.meta.url));
    const script = `
      import { SimulatorNetwork } from ${JSON.stringify(networkModule)};
      const network = new SimulatorNetwork({ stateFile: ${JSON.stringify(file)}, transport: async () => ({ status: 200, headers: {}, body: '' }) });
      network.configureNumber('${LINE}', { voiceUrl: '${VOICE}', messagesUrl: '${MESSAGES}', signingSecret: 's' });
      for (let i = 1; i <= 3; i++) network.acceptMessage({ ref: 'k' + i, from: '${LINE}', to: '${CALLER}', body: 'before the crash ' + i });
      process.kill(process.pid, 'SIGKILL');
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(child.signal, 'SIGKILL', child.stderr);
    const { network } = makeNetwork({ stateFile: file });
    assert.deepEqual(network.phoneMessages(CALLER).map((m) => m.ref), ['k1', 'k2', 'k3']);
  });

  it('drops a torn last line (crash mid-write) and keeps appending cleanly', () => {
    const file = tmpFile();
    makeNetwork({ stateFile: file }).network.acceptMessage(message({ ref: 'whole' }));
    appendFileSync(file, '{"v":1,"kind":"message","id":"SM');
    const { network } = makeNetwork({ stateFile: file });
    assert.deepEqual(network.phoneMessages(CALLER).map((m) => m.ref), ['whole']);
    network.acceptMessage(message({ ref: 'next' }));
    const reloaded = makeNetwork({ stateFile: file }).network;
    assert.deepEqual(reloaded.phoneMessages(CALLER).map((m) => m.ref), ['whole', 'next']);
  });

  it('refuses a corrupt state file, naming the line', () => {
    const file = join(tmpRoot, 'corrupt.jsonl');
    writeFileSync(file, 'garbage\n{"v":1}\n');
    assert.throws(() => makeNetwork({ stateFile: file }), (err: unknown) => {
      assert.ok(err instanceof SimulatorError);
      assert.equal(err.code, 'corrupt_state');
      assert.match(err.message, /corrupt\.jsonl:1: not valid JSON/);
      return true;
    });
    writeFileSync(file, '{"v":1}\n');
    assert.throws(() => makeNetwork({ stateFile: file }), /corrupt\.jsonl:1: not a simulator message record/);
  });

  it('without a state file, keeps messages in memory only', () => {
    const { network } = makeNetwork();
    network.acceptMessage(message());
    assert.equal(makeNetwork().network.phoneMessages(CALLER).length, 0);
  });
});

describe('simulator signatures', () => {
  const url = 'https://rb.test/webhooks/sim/line_1/voice?x=1';
  const body = '{"event":"call.incoming"}';
  const header = signSimulatorWebhook(SECRET, url, body, T0_SECONDS);

  it('has the documented format and verifies', () => {
    assert.match(header, new RegExp(`^t=${T0_SECONDS},v1=[0-9a-f]{64}$`));
    assert.deepEqual(verifySimulatorSignature(SECRET, url, body, header, T0_SECONDS), { ok: true });
  });

  it('accepts the edges of the 300 s window and rejects one second beyond, both ways', () => {
    assert.deepEqual(verifySimulatorSignature(SECRET, url, body, header, T0_SECONDS + 300), { ok: true });
    assert.deepEqual(verifySimulatorSignature(SECRET, url, body, header, T0_SECONDS - 300), { ok: true });
    assert.deepEqual(verifySimulatorSignature(SECRET, url, body, header, T0_SECONDS + 412), {
      ok: false,
      reason: 'signature timestamp is 412 s old (limit 300 s)',
    });
    assert.deepEqual(verifySimulatorSignature(SECRET, url, body, header, T0_SECONDS + 301), {
      ok: false,
      reason: 'signature timestamp is 301 s old (limit 300 s)',
    });
    assert.deepEqual(verifySimulatorSignature(SECRET, url, body, header, T0_SECONDS - 301), {
      ok: false,
      reason: 'signature timestamp is 301 s in the future (limit 300 s)',
    });
  });

  it('cannot move a signature to a fresh timestamp', () => {
    const moved = header.replace(`t=${T0_SECONDS}`, `t=${T0_SECONDS + 1000}`);
    assert.deepEqual(verifySimulatorSignature(SECRET, url, body, moved, T0_SECONDS + 1000), {
      ok: false,
      reason: 'signature does not match',
    });
  });

  it('rejects a missing header', () => {
    for (const missing of [undefined, '', '  ', []]) {
      assert.deepEqual(verifySimulatorSignature(SECRET, url, body, missing, T0_SECONDS), {
        ok: false,
        reason: 'missing x-simulator-signature header',
      });
    }
  });

  it('rejects malformed headers', () => {
    for (const bad of ['v1=abc', `t=${T0_SECONDS}`, `t=abc,v1=${'0'.repeat(64)}`, `t=${T0_SECONDS},v1=${'0'.repeat(63)}`, 'sha256=deadbeef']) {
      const result = verifySimulatorSignature(SECRET, url, body, bad, T0_SECONDS);
      assert.equal(result.ok, false);
      assert.match(result.ok ? '' : result.reason, /^malformed x-simulator-signature header/);
    }
  });

  it('accepts a single-element header array and refuses duplicates', () => {
    assert.deepEqual(verifySimulatorSignature(SECRET, url, body, [header], T0_SECONDS), { ok: true });
    assert.deepEqual(verifySimulatorSignature(SECRET, url, body, [header, header], T0_SECONDS), {
      ok: false,
      reason: 'more than one x-simulator-signature header',
    });
  });

  it('rejects another secret, another URL, another body', () => {
    const mismatch = { ok: false, reason: 'signature does not match' };
    assert.deepEqual(verifySimulatorSignature('other', url, body, header, T0_SECONDS), mismatch);
    assert.deepEqual(verifySimulatorSignature(SECRET, url.replace('x=1', 'x=2'), body, header, T0_SECONDS), mismatch);
    assert.deepEqual(verifySimulatorSignature(SECRET, url, body + ' ', header, T0_SECONDS), mismatch);
  });
});

describe('segments', () => {
  it('counts GSM-7 and UCS-2 like a carrier', () => {
    assert.equal(countSegments('hello'), 1);
    assert.equal(countSegments('a'.repeat(160)), 1);
    assert.equal(countSegments('a'.repeat(161)), 2);
    assert.equal(countSegments('a'.repeat(306)), 2);
    assert.equal(countSegments('a'.repeat(307)), 3);
    assert.equal(countSegments('€'.repeat(80)), 1, 'extension characters take two septets');
    assert.equal(countSegments('€'.repeat(81)), 2);
    assert.equal(countSegments('é'.repeat(160)), 1, 'é is GSM-7');
    assert.equal(countSegments('ç'.repeat(70)), 1, 'ç is not');
    assert.equal(countSegments('ç'.repeat(71)), 2);
    assert.equal(countSegments('ç'.repeat(134)), 2);
    assert.equal(countSegments('ç'.repeat(135)), 3);
  });
});
