// The carrier contract: one node:test suite every CarrierAdapter must pass (simulator, Twilio,
// Telnyx). Each carrier supplies a CarrierHarness: its adapter plus a fake of the carrier that
// produces SIGNED webhooks in that carrier's own wire format and records what it was asked to send.
//
// Usage, in a `*.test.ts` file:
//
//   runCarrierContract('twilio', async () => makeTwilioHarness());
//
// A fresh harness is made for every test and closed afterwards.

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { CarrierError, MalformedWebhookError } from './carrier.ts';
import type {
  CallInstructions,
  CallOutcome,
  CarrierAdapter,
  OutboundCallOutcome,
  OutboundMessage,
  WebhookKind,
  WebhookRequest,
} from './carrier.ts';

/** How the dial to the business's phones ended, in the suite's words (each carrier maps them to its own). */
export type ContractDialResult = 'no-answer' | 'busy' | 'answered' | 'caller-hangup' | 'rejected';

/** How a call from the line to a contact (a callback) ended, in the suite's words. */
export type ContractOutboundResult = 'answered' | 'no-answer' | 'busy' | 'failed';

/** A signed webhook and the carrier's id of the call or message it is about (CallSid, MessageSid, …). */
export interface SignedWebhook {
  request: WebhookRequest;
  carrierId: string;
  /** The endpoint the carrier sends it to (passed to parseCallEvent). */
  hook: WebhookKind;
}

/** The endpoints whose bodies the suite checks for malformed input. */
export type MalformedKind = 'voice' | 'messages' | 'status';

/** What the carrier does with the next sendMessage. */
export type ContractSendFault =
  /** Not accepted, try again (429, 5xx before acceptance, connection refused). */
  | { kind: 'retryable' }
  /** Refused for good (invalid number, bad credentials…). */
  | { kind: 'permanent' }
  /** The carrier accepts the message, but the answer never reaches the adapter (timeout). */
  | { kind: 'accepted-then-timeout' }
  /** Accepted; its final status callback says 'undelivered' with this carrier error code. */
  | { kind: 'undelivered'; errorCode: string };

/** A message as the fake carrier received it from the adapter. */
export interface CarrierSentMessage {
  carrierMessageId: string;
  from: string;
  to: string;
  body: string;
}

export interface CarrierHarness {
  /** The adapter under test, wired to the fake carrier. */
  adapter: CarrierAdapter;
  /** A business number at this carrier whose webhooks reach Ringback and that may send texts. */
  line: string;
  /** A mobile number that calls and texts the line and can receive texts. */
  caller: string;
  /** Passed as OutboundMessage.statusCallbackUrl; the fake sends status callbacks there. */
  statusCallbackUrl: string;
  /**
   * For carriers whose signatures carry a timestamp (Telnyx, simulator): the window in seconds.
   * Requests the harness produces must carry `nowSeconds` equal to their signing time.
   * Leave undefined for carriers without one (Twilio).
   */
  signatureWindowSeconds?: number;
  /**
   * Dial results this carrier never reports as a completed call, each with the reason (e.g.
   * Twilio sends no dial result for a call answered with <Reject/>). The suite skips them.
   */
  unsupportedDialResults?: Partial<Record<ContractDialResult, string>>;
  /** A number that is NOT on the carrier account, for carriers that have such a thing (not the simulator). */
  unknownNumber?: string;

  /** The webhook the carrier sends when `from` calls `to`. */
  incomingCall(call: { from: string; to: string }): Promise<SignedWebhook>;
  /** The webhook reporting how the call ended after Ringback dialled (or rejected, for 'rejected'). */
  dialResult(call: { from: string; to: string; result: ContractDialResult }): Promise<SignedWebhook>;
  /**
   * The webhook the carrier sends when a call placed FROM the line (`from`) to `to` has ended:
   * someone at the business called a contact back, through the carrier.
   */
  outboundCall(call: { from: string; to: string; result: ContractOutboundResult }): Promise<SignedWebhook>;
  /** The webhook the carrier sends when `from` texts `to`. */
  inboundText(text: { from: string; to: string; body: string }): Promise<SignedWebhook>;
  /** The final status callback for a message the carrier accepted (delivered, or undelivered after that fault). */
  statusCallback(carrierMessageId: string): Promise<WebhookRequest>;

  /** The same request without its signature header(s). */
  unsigned(req: WebhookRequest): WebhookRequest;
  /** The same request signed with a different secret/key. */
  wronglySigned(req: WebhookRequest): WebhookRequest;
  /** Correctly signed requests whose bodies this carrier never sends for that endpoint (at least one). */
  malformed(kind: MalformedKind): WebhookRequest[];

  /** Every message the carrier accepted, in order (including accepted-then-timeout ones). */
  sentMessages(): CarrierSentMessage[];
  /** Make the next sendMessage fail (or go undelivered) this way. */
  failNextSend(fault: ContractSendFault): void;

  close?(): Promise<void>;
}

const DIAL_OUTCOMES: ReadonlyArray<[ContractDialResult, CallOutcome]> = [
  ['no-answer', 'missed'],
  ['caller-hangup', 'missed'],
  ['busy', 'busy'],
  ['answered', 'answered'],
  ['rejected', 'rejected'],
];

const OUTBOUND_OUTCOMES: ReadonlyArray<[ContractOutboundResult, OutboundCallOutcome]> = [
  ['answered', 'answered'],
  ['no-answer', 'missed'],
  ['busy', 'busy'],
  ['failed', 'failed'],
];

/** A body with characters that break naive form/JSON encoding and force UCS-2. */
const TRICKY_TEXT = 'Hi! Is this the plumber? Leak @ 5th & Main = urgent +100% 🚿 “quoted” ünïcödé\nsecond line';

export function runCarrierContract(name: string, makeHarness: () => Promise<CarrierHarness>): void {
  async function withHarness(fn: (h: CarrierHarness) => Promise<void>): Promise<void> {
    const h = await makeHarness();
    try {
      await fn(h);
    } finally {
      await h.close?.();
    }
  }

  function outbound(h: CarrierHarness, overrides: Partial<OutboundMessage> = {}): OutboundMessage {
    return {
      ref: `contract-${randomUUID()}`,
      from: h.line,
      to: h.caller,
      body: 'Sorry we missed your call! This is Acme Plumbing. How can we help?',
      statusCallbackUrl: h.statusCallbackUrl,
      ...overrides,
    };
  }

  async function expectCarrierError(
    promise: Promise<unknown>,
    kind: CarrierError['kind'],
  ): Promise<CarrierError> {
    try {
      await promise;
    } catch (err) {
      assert.ok(err instanceof CarrierError, `expected a CarrierError, got ${String(err)}`);
      assert.equal(err.kind, kind, `expected CarrierError kind ${kind}, got ${err.kind}: ${err.message}`);
      assert.ok(err.message.length > 0, 'a CarrierError must explain itself');
      return err;
    }
    assert.fail(`expected a ${kind} CarrierError, but the call succeeded`);
  }

  function assertRejected(result: ReturnType<CarrierAdapter['verifyWebhook']>, what: string): void {
    assert.equal(result.ok, false, `${what} must not verify`);
    if (!result.ok) {
      assert.equal(typeof result.reason, 'string');
      assert.ok(result.reason.trim().length > 0, `${what}: the rejection must say why`);
    }
  }

  /** Change the caller's number inside the body, in whatever encoding the carrier uses. */
  function tamper(req: WebhookRequest, number: string): WebhookRequest {
    const digits = number.replace(/\D/g, '');
    assert.ok(req.rawBody.includes(digits), 'the harness webhook body should contain the caller number digits');
    const swapped = digits.slice(0, -1) + (digits.endsWith('9') ? '8' : '9');
    const rawBody = req.rawBody.replace(digits, swapped);
    assert.notEqual(rawBody, req.rawBody);
    return { ...req, rawBody };
  }

  describe(`carrier contract: ${name}`, () => {
    describe('verifyWebhook', () => {
      it('accepts correctly signed webhooks of every kind', async () => {
        await withHarness(async (h) => {
          const call = await h.incomingCall({ from: h.caller, to: h.line });
          const dial = await h.dialResult({ from: h.caller, to: h.line, result: 'no-answer' });
          const text = await h.inboundText({ from: h.caller, to: h.line, body: TRICKY_TEXT });
          const sent = await h.adapter.sendMessage(outbound(h));
          const status = await h.statusCallback(sent.carrierMessageId);
          for (const [what, req] of [
            ['incoming call', call.request],
            ['dial result', dial.request],
            ['inbound text', text.request],
            ['status callback', status],
          ] as const) {
            assert.deepEqual(h.adapter.verifyWebhook(req), { ok: true }, `${what} should verify`);
          }
        });
      });

      it('rejects an unsigned webhook, with a reason', async () => {
        await withHarness(async (h) => {
          const { request } = await h.incomingCall({ from: h.caller, to: h.line });
          assertRejected(h.adapter.verifyWebhook(h.unsigned(request)), 'an unsigned webhook');
        });
      });

      it('rejects a webhook signed with another secret, with a reason', async () => {
        await withHarness(async (h) => {
          const { request } = await h.inboundText({ from: h.caller, to: h.line, body: 'hello' });
          assertRejected(h.adapter.verifyWebhook(h.wronglySigned(request)), 'a wrongly signed webhook');
        });
      });

      it('rejects a webhook whose body was changed after signing, with a reason', async () => {
        await withHarness(async (h) => {
          const call = await h.incomingCall({ from: h.caller, to: h.line });
          assertRejected(h.adapter.verifyWebhook(tamper(call.request, h.caller)), 'a tampered call webhook');
          const text = await h.inboundText({ from: h.caller, to: h.line, body: 'hello' });
          assertRejected(h.adapter.verifyWebhook(tamper(text.request, h.caller)), 'a tampered text webhook');
        });
      });

      it('enforces the signature timestamp window when the carrier has one', async (t) => {
        const h = await makeHarness();
        try {
          const window = h.signatureWindowSeconds;
          if (window === undefined) {
            t.skip(`${name} signatures carry no timestamp`);
            return;
          }
          const { request } = await h.incomingCall({ from: h.caller, to: h.line });
          const at = (delta: number): WebhookRequest => ({ ...request, nowSeconds: request.nowSeconds + delta });
          assert.deepEqual(h.adapter.verifyWebhook(at(window - 1)), { ok: true }, 'just inside the window (late)');
          assert.deepEqual(h.adapter.verifyWebhook(at(-(window - 1))), { ok: true }, 'just inside the window (early)');
          assertRejected(h.adapter.verifyWebhook(at(window + 1)), 'a webhook older than the window');
          assertRejected(h.adapter.verifyWebhook(at(-(window + 1))), 'a webhook from too far in the future');
        } finally {
          await h.close?.();
        }
      });
    });

    describe('parseCallEvent', () => {
      it('parses an incoming call', async () => {
        await withHarness(async (h) => {
          const { request, carrierId, hook } = await h.incomingCall({ from: h.caller, to: h.line });
          const event = h.adapter.parseCallEvent(request, hook);
          assert.equal(event.type, 'call.incoming');
          assert.equal(event.carrierCallId, carrierId);
          assert.equal(event.from, h.caller);
          assert.equal(event.to, h.line);
          if (event.type === 'call.incoming') {
            assert.ok(event.occurredAt instanceof Date && !Number.isNaN(event.occurredAt.getTime()), 'occurredAt is a valid Date');
          }
        });
      });

      for (const [result, outcome] of DIAL_OUTCOMES) {
        it(`parses a completed call: ${result} → ${outcome}`, async (t) => {
          await withHarness(async (h) => {
            const unsupported = h.unsupportedDialResults?.[result];
            if (unsupported !== undefined) {
              t.skip(`${name} does not report this: ${unsupported}`);
              return;
            }
            const { request, carrierId, hook } = await h.dialResult({ from: h.caller, to: h.line, result });
            const event = h.adapter.parseCallEvent(request, hook);
            assert.equal(event.type, 'call.completed');
            assert.equal(event.carrierCallId, carrierId);
            assert.equal(event.from, h.caller);
            assert.equal(event.to, h.line);
            if (event.type === 'call.completed') {
              assert.equal(event.outcome, outcome);
              assert.ok(event.startedAt instanceof Date && !Number.isNaN(event.startedAt.getTime()), 'startedAt is a valid Date');
              assert.ok(event.endedAt instanceof Date && !Number.isNaN(event.endedAt.getTime()), 'endedAt is a valid Date');
              assert.ok(event.endedAt.getTime() >= event.startedAt.getTime(), 'endedAt is not before startedAt');
            }
          });
        });
      }

      for (const [result, outcome] of OUTBOUND_OUTCOMES) {
        it(`parses a call from the line to a contact: ${result} → call.outbound ${outcome}`, async () => {
          await withHarness(async (h) => {
            const { request, carrierId, hook } = await h.outboundCall({ from: h.line, to: h.caller, result });
            assert.deepEqual(h.adapter.verifyWebhook(request), { ok: true }, 'signed like every other webhook');
            const event = h.adapter.parseCallEvent(request, hook);
            assert.equal(event.type, 'call.outbound', 'a call from the line is never taken for one to it');
            assert.equal(event.carrierCallId, carrierId);
            if (event.type === 'call.outbound') {
              assert.equal(event.from, h.line, 'from is the line');
              assert.equal(event.to, h.caller, 'to is the contact');
              assert.equal(event.outcome, outcome);
              assert.ok(event.startedAt instanceof Date && !Number.isNaN(event.startedAt.getTime()), 'startedAt is a valid Date');
              assert.ok(event.endedAt instanceof Date && !Number.isNaN(event.endedAt.getTime()), 'endedAt is a valid Date');
              assert.ok(event.endedAt.getTime() >= event.startedAt.getTime(), 'endedAt is not before startedAt');
            }
          });
        });
      }

      it('gives each call its own carrier call id', async () => {
        await withHarness(async (h) => {
          const a = await h.incomingCall({ from: h.caller, to: h.line });
          const b = await h.incomingCall({ from: h.caller, to: h.line });
          assert.notEqual(a.carrierId, b.carrierId, 'two calls have two carrier ids');
          assert.notEqual(h.adapter.parseCallEvent(a.request, a.hook).carrierCallId, h.adapter.parseCallEvent(b.request, b.hook).carrierCallId);
        });
      });
    });

    describe('parseInboundMessage', () => {
      it('parses an inbound text, body exactly as sent', async () => {
        await withHarness(async (h) => {
          const { request, carrierId } = await h.inboundText({ from: h.caller, to: h.line, body: TRICKY_TEXT });
          const message = h.adapter.parseInboundMessage(request);
          assert.equal(message.carrierMessageId, carrierId);
          assert.equal(message.from, h.caller);
          assert.equal(message.to, h.line);
          assert.equal(message.body, TRICKY_TEXT);
          assert.ok(message.receivedAt instanceof Date && !Number.isNaN(message.receivedAt.getTime()), 'receivedAt is a valid Date');
        });
      });
    });

    describe('parseStatusUpdate', () => {
      it('parses a delivered status for a sent message', async () => {
        await withHarness(async (h) => {
          const sent = await h.adapter.sendMessage(outbound(h));
          const update = h.adapter.parseStatusUpdate(await h.statusCallback(sent.carrierMessageId));
          assert.equal(update.carrierMessageId, sent.carrierMessageId);
          assert.equal(update.status, 'delivered');
          assert.equal(update.errorCode, undefined);
          assert.ok(update.occurredAt instanceof Date && !Number.isNaN(update.occurredAt.getTime()), 'occurredAt is a valid Date');
        });
      });

      it('parses an undelivered status with its error code', async () => {
        await withHarness(async (h) => {
          h.failNextSend({ kind: 'undelivered', errorCode: '30003' });
          const sent = await h.adapter.sendMessage(outbound(h));
          const update = h.adapter.parseStatusUpdate(await h.statusCallback(sent.carrierMessageId));
          assert.equal(update.carrierMessageId, sent.carrierMessageId);
          assert.equal(update.status, 'undelivered');
          assert.equal(update.errorCode, '30003');
        });
      });
    });

    describe('malformed webhooks', () => {
      const parsers: ReadonlyArray<[MalformedKind, (a: CarrierAdapter, r: WebhookRequest) => unknown]> = [
        ['voice', (a, r) => a.parseCallEvent(r, 'voice')],
        ['messages', (a, r) => a.parseInboundMessage(r)],
        ['status', (a, r) => a.parseStatusUpdate(r)],
      ];
      for (const [kind, parse] of parsers) {
        it(`a signed but malformed ${kind} webhook throws MalformedWebhookError`, async () => {
          await withHarness(async (h) => {
            const requests = h.malformed(kind);
            assert.ok(requests.length > 0, 'the harness must supply at least one malformed request');
            for (const req of requests) {
              assert.deepEqual(h.adapter.verifyWebhook(req), { ok: true }, `malformed ${kind} requests are still signed correctly`);
              assert.throws(() => parse(h.adapter, req), MalformedWebhookError, `body: ${req.rawBody.slice(0, 200)}`);
            }
          });
        });
      }

      it('a webhook of another kind is malformed for the wrong parser', async () => {
        await withHarness(async (h) => {
          const call = await h.incomingCall({ from: h.caller, to: h.line });
          const text = await h.inboundText({ from: h.caller, to: h.line, body: 'hello' });
          assert.throws(() => h.adapter.parseCallEvent(text.request, 'voice'), MalformedWebhookError);
          assert.throws(() => h.adapter.parseInboundMessage(call.request), MalformedWebhookError);
          assert.throws(() => h.adapter.parseStatusUpdate(text.request), MalformedWebhookError);
        });
      });
    });

    describe('renderCallResponse', () => {
      const cases: ReadonlyArray<[string, CallInstructions]> = [
        [
          'dial with screening',
          {
            action: 'dial',
            targets: ['+14155550111', '+14155550112'],
            ringSeconds: 20,
            screening: true,
            greeting: 'Thanks for calling Acme Plumbing & Sons. Please hold.',
            callerId: '+14155550100',
            resultUrl: 'https://ringback.example.com/webhooks/line_1/voice/result',
          },
        ],
        [
          'dial without screening',
          {
            action: 'dial',
            targets: ['+14155550111'],
            ringSeconds: 15,
            screening: false,
            callerId: '+14155550100',
            resultUrl: 'https://ringback.example.com/webhooks/line_1/voice/result',
          },
        ],
        [
          'dial with a screening URL',
          {
            action: 'dial',
            targets: ['+14155550111'],
            ringSeconds: 20,
            screening: true,
            callerId: '+14155550123',
            resultUrl: 'https://ringback.example.com/webhooks/line_1/voice/result',
            screenUrl: 'https://ringback.example.com/webhooks/line_1/voice/screen?call=CA1&line=%2B14155550100&caller=%2B14155550123',
          },
        ],
        [
          'screen',
          {
            action: 'screen',
            prompt: 'Call for Acme Plumbing from 415-555-0123. Press any key to take it.',
            acceptUrl: 'https://ringback.example.com/webhooks/line_1/voice/screen-accept?call=CA1&line=%2B14155550100',
            timeoutSeconds: 6,
          },
        ],
        ['connect', { action: 'connect' }],
        [
          'voicemail with transcription',
          {
            action: 'voicemail',
            greeting: 'Sorry we missed you. Leave a message after the tone & we will call back.',
            maxSeconds: 120,
            transcribe: true,
            recordingUrl: 'https://ringback.example.com/webhooks/line_1/voice/voicemail?call=CA1&line=%2B14155550100',
          },
        ],
        [
          'voicemail without transcription',
          {
            action: 'voicemail',
            greeting: 'Please leave a message.',
            maxSeconds: 60,
            transcribe: false,
            recordingUrl: 'https://ringback.example.com/webhooks/line_1/voice/voicemail?call=CA1&line=%2B14155550100',
          },
        ],
        ['reject', { action: 'reject' }],
        ['reject with a message', { action: 'reject', message: 'We are closed.' }],
        ['hangup', { action: 'hangup' }],
        ['hangup with a message', { action: 'hangup', message: 'Goodbye.' }],
      ];
      for (const [label, instructions] of cases) {
        it(`renders ${label}`, async () => {
          await withHarness(async (h) => {
            const response = h.adapter.renderCallResponse(instructions);
            assert.equal(typeof response.contentType, 'string');
            assert.ok(response.contentType.trim().length > 0, 'a content type');
            assert.equal(typeof response.body, 'string');
            assert.ok(response.body.trim().length > 0, 'a non-empty body');
          });
        });
      }
    });

    describe('sendMessage', () => {
      it('delivers exactly one message with the right from, to and body, and returns the carrier id', async () => {
        await withHarness(async (h) => {
          const before = h.sentMessages().length;
          const message = outbound(h, { body: 'Sorry we missed your call — reply here 👍 & we will call back' });
          const result = await h.adapter.sendMessage(message);
          assert.equal(typeof result.carrierMessageId, 'string');
          assert.ok(result.carrierMessageId.length > 0, 'a carrier message id');
          const sent = h.sentMessages().slice(before);
          assert.equal(sent.length, 1, 'exactly one message reached the carrier');
          assert.deepEqual(sent[0], {
            carrierMessageId: result.carrierMessageId,
            from: message.from,
            to: message.to,
            body: message.body,
          });
        });
      });

      it('a retryable failure surfaces as CarrierError retryable and sends nothing; the next send works', async () => {
        await withHarness(async (h) => {
          h.failNextSend({ kind: 'retryable' });
          await expectCarrierError(h.adapter.sendMessage(outbound(h)), 'retryable');
          assert.equal(h.sentMessages().length, 0);
          await h.adapter.sendMessage(outbound(h));
          assert.equal(h.sentMessages().length, 1);
        });
      });

      it('a permanent failure surfaces as CarrierError permanent and sends nothing', async () => {
        await withHarness(async (h) => {
          h.failNextSend({ kind: 'permanent' });
          await expectCarrierError(h.adapter.sendMessage(outbound(h)), 'permanent');
          assert.equal(h.sentMessages().length, 0);
        });
      });

      it('accepted-then-timeout surfaces as CarrierError ambiguous, and findSentMessage finds the message', async () => {
        await withHarness(async (h) => {
          h.failNextSend({ kind: 'accepted-then-timeout' });
          const message = outbound(h);
          await expectCarrierError(h.adapter.sendMessage(message), 'ambiguous');
          const sent = h.sentMessages();
          assert.equal(sent.length, 1, 'the carrier did accept the message');
          const found = await h.adapter.findSentMessage(message);
          assert.ok(found !== null, 'findSentMessage finds the accepted message');
          assert.equal(found.carrierMessageId, sent[0]?.carrierMessageId);
        });
      });

      it('findSentMessage returns null after a retryable failure (nothing was sent)', async () => {
        await withHarness(async (h) => {
          h.failNextSend({ kind: 'retryable' });
          const message = outbound(h, { body: `Sorry we missed your call (${randomUUID()})` });
          await expectCarrierError(h.adapter.sendMessage(message), 'retryable');
          assert.equal(await h.adapter.findSentMessage(message), null);
        });
      });

      it('findSentMessage finds a normally sent message and returns null for a ref never sent', async () => {
        await withHarness(async (h) => {
          const message = outbound(h);
          const result = await h.adapter.sendMessage(message);
          const found = await h.adapter.findSentMessage(message);
          assert.equal(found?.carrierMessageId, result.carrierMessageId);
          const neverSent = outbound(h);
          assert.equal(await h.adapter.findSentMessage({ ...neverSent, body: `never sent ${neverSent.ref}` }), null);
        });
      });
    });

    describe('account and numbers', () => {
      it('checkAccount says the credentials are good', async () => {
        await withHarness(async (h) => {
          const check = await h.adapter.checkAccount();
          assert.equal(check.ok, true, check.ok ? '' : check.problem);
        });
      });

      it('configureNumber points the line at Ringback, and inspectNumber then shows those URLs', async () => {
        await withHarness(async (h) => {
          const webhooks = {
            voice: 'https://ringback.example.com/webhooks/contract/conn_1/voice',
            voiceStatus: 'https://ringback.example.com/webhooks/contract/conn_1/voice/status',
            messages: 'https://ringback.example.com/webhooks/contract/conn_1/messages',
          };
          await h.adapter.configureNumber(h.line, webhooks);
          const inspection = await h.adapter.inspectNumber(h.line);
          assert.equal(inspection.found, true);
          assert.equal(inspection.voiceUrl, webhooks.voice);
          assert.equal(inspection.messagesUrl, webhooks.messages);

          const moved = { ...webhooks, voice: `${webhooks.voice}?v=2`, messages: `${webhooks.messages}?v=2` };
          await h.adapter.configureNumber(h.line, moved);
          const again = await h.adapter.inspectNumber(h.line);
          assert.equal(again.voiceUrl, moved.voice, 'configuring again replaces the URLs');
          assert.equal(again.messagesUrl, moved.messages);
        });
      });

      it('a number not on the account: inspectNumber says not found, configureNumber fails for good', async (t) => {
        await withHarness(async (h) => {
          if (h.unknownNumber === undefined) {
            t.skip(`${name} has every number`);
            return;
          }
          assert.equal((await h.adapter.inspectNumber(h.unknownNumber)).found, false);
          await expectCarrierError(
            h.adapter.configureNumber(h.unknownNumber, {
              voice: 'https://ringback.example.com/v',
              voiceStatus: 'https://ringback.example.com/s',
              messages: 'https://ringback.example.com/m',
            }),
            'permanent',
          );
        });
      });
    });
  });
}
