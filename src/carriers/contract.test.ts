// The carrier contract, run against the built-in simulator. The harness drives a real
// SimulatorNetwork: every webhook here is one the network actually sent through its transport,
// which plays Ringback's HTTP app (answers incoming calls with the adapter's rendered instructions
// and records everything). Only malformed and wrongly signed variants are crafted by hand.

import { runCarrierContract } from './contract.ts';
import type { CarrierHarness, ContractDialResult, ContractSendFault, MalformedKind, SignedWebhook } from './contract.ts';
import type { CallInstructions, WebhookRequest } from './carrier.ts';
import { SimulatorNetwork } from './simulator/network.ts';
import type { CallOutcomeChoice, TransportRequest, TransportResponse } from './simulator/network.ts';
import { SimulatorCarrier } from './simulator/simulator-carrier.ts';
import { SIMULATOR_SIGNATURE_HEADER, SIMULATOR_SIGNATURE_WINDOW_SECONDS, signSimulatorWebhook } from './simulator/signature.ts';

const BASE = 'https://ringback.test/webhooks/simulator/line_1';
const VOICE_URL = `${BASE}/voice`;
const MESSAGES_URL = `${BASE}/messages`;
const STATUS_URL = `${BASE}/status`;
const SECRET = 'contract-secret';

async function makeSimulatorHarness(): Promise<CarrierHarness> {
  const line = '+14155550100';
  const caller = '+14155550123';
  let clock = Date.parse('2025-03-04T15:00:00Z');
  const nowSeconds = (): number => Math.floor(clock / 1000);
  const captured: WebhookRequest[] = [];
  let answer: CallInstructions = { action: 'hangup' };

  const toWebhook = (req: TransportRequest): WebhookRequest => ({
    url: req.url,
    headers: { ...req.headers },
    rawBody: req.body,
    nowSeconds: nowSeconds(),
  });

  const network: SimulatorNetwork = new SimulatorNetwork({
    now: () => new Date(clock),
    transport: async (req): Promise<TransportResponse> => {
      captured.push(toWebhook(req));
      const payload = JSON.parse(req.body) as { event?: string };
      if (req.url === VOICE_URL && payload.event === 'call.incoming') {
        const rendered = adapter.renderCallResponse(answer);
        return { status: 200, headers: { 'content-type': rendered.contentType }, body: rendered.body };
      }
      return { status: 200, headers: {}, body: '' };
    },
  });
  network.configureNumber(line, { voiceUrl: VOICE_URL, messagesUrl: MESSAGES_URL, signingSecret: SECRET });
  const adapter: SimulatorCarrier = new SimulatorCarrier(network, { signingSecret: SECRET });

  const find = (event: string, idField: string, id: string): WebhookRequest => {
    const hit = captured.find((r) => {
      const body = JSON.parse(r.rawBody) as Record<string, unknown>;
      return body['event'] === event && body[idField] === id;
    });
    if (hit === undefined) throw new Error(`the simulator sent no ${event} webhook for ${id}`);
    return hit;
  };

  const dial: CallInstructions = {
    action: 'dial',
    targets: ['+14155550111'],
    ringSeconds: 20,
    screening: true,
    callerId: line,
    resultUrl: `${VOICE_URL}/result`,
  };

  const signed = (url: string, body: string): WebhookRequest => ({
    url,
    headers: { 'content-type': 'application/json', [SIMULATOR_SIGNATURE_HEADER]: signSimulatorWebhook(SECRET, url, body, nowSeconds()) },
    rawBody: body,
    nowSeconds: nowSeconds(),
  });

  const malformedBodies: Record<MalformedKind, [string, Record<string, unknown> | string][]> = {
    voice: [
      [VOICE_URL, 'not json'],
      [VOICE_URL, '[]'],
      [VOICE_URL, { event: 'call.incoming', from: caller, to: line, occurredAt: '2025-03-04T15:00:00.000Z' }],
      [VOICE_URL, { event: 'call.incoming', callId: 'CA1', from: 15551234567, to: line, occurredAt: '2025-03-04T15:00:00.000Z' }],
      [VOICE_URL, { event: 'call.incoming', callId: 'CA1', from: caller, to: line, occurredAt: 'yesterday' }],
      [VOICE_URL, { event: 'call.ringing', callId: 'CA1', from: caller, to: line, occurredAt: '2025-03-04T15:00:00.000Z' }],
      [
        `${VOICE_URL}/result`,
        { event: 'call.completed', callId: 'CA1', from: caller, to: line, result: 'maybe', startedAt: '2025-03-04T15:00:00.000Z', endedAt: '2025-03-04T15:00:20.000Z' },
      ],
      [VOICE_URL, { event: 'call.outbound', callId: 'CA2', from: line, to: caller, result: 'rejected', startedAt: '2025-03-04T15:00:00.000Z', endedAt: '2025-03-04T15:00:20.000Z' }],
    ],
    messages: [
      [MESSAGES_URL, '{"event":"message.received",'],
      [MESSAGES_URL, { event: 'message.received', messageId: 'SM1', from: caller, to: line, receivedAt: '2025-03-04T15:00:00.000Z' }],
      [MESSAGES_URL, { event: 'message.received', messageId: 'SM1', from: caller, to: line, body: 42, receivedAt: '2025-03-04T15:00:00.000Z' }],
    ],
    status: [
      [STATUS_URL, ''],
      [STATUS_URL, { event: 'message.status', messageId: 'SM1', status: 'read', occurredAt: '2025-03-04T15:00:00.000Z' }],
      [STATUS_URL, { event: 'message.status', status: 'delivered', occurredAt: '2025-03-04T15:00:00.000Z' }],
      [STATUS_URL, { event: 'message.status', messageId: 'SM1', status: 'undelivered', errorCode: 30003, occurredAt: '2025-03-04T15:00:00.000Z' }],
    ],
  };

  const outcomes: Record<Exclude<ContractDialResult, 'rejected'>, CallOutcomeChoice> = {
    'no-answer': 'unanswered',
    busy: 'busy',
    answered: 'answered',
    'caller-hangup': 'hangup',
  };

  return {
    adapter,
    line,
    caller,
    statusCallbackUrl: STATUS_URL,
    signatureWindowSeconds: SIMULATOR_SIGNATURE_WINDOW_SECONDS,

    async incomingCall({ from, to }): Promise<SignedWebhook> {
      answer = dial;
      const { callId, done } = network.placeCall({ from, to, outcome: 'unanswered' });
      await done;
      return { request: find('call.incoming', 'callId', callId), carrierId: callId, hook: 'voice' };
    },

    async dialResult({ from, to, result }): Promise<SignedWebhook> {
      answer = result === 'rejected' ? { action: 'reject' } : dial;
      const outcome = result === 'rejected' ? 'unanswered' : outcomes[result];
      const { callId, done } = network.placeCall({ from, to, outcome });
      clock += 1000; // the completion is signed a little later than the incoming call
      await done;
      return { request: find('call.completed', 'callId', callId), carrierId: callId, hook: 'voice' };
    },

    async outboundCall({ from, to, result }): Promise<SignedWebhook> {
      const { callId, done } = network.placeOutboundCall({ from, to, result });
      await done;
      return { request: find('call.outbound', 'callId', callId), carrierId: callId, hook: 'voice' };
    },

    async inboundText({ from, to, body }): Promise<SignedWebhook> {
      const { messageId, done } = network.sendText({ from, to, body });
      await done;
      return { request: find('message.received', 'messageId', messageId), carrierId: messageId, hook: 'messages' };
    },

    async statusCallback(carrierMessageId) {
      await network.settle();
      return find('message.status', 'messageId', carrierMessageId);
    },

    unsigned(req) {
      const headers = { ...req.headers };
      delete headers[SIMULATOR_SIGNATURE_HEADER];
      return { ...req, headers };
    },

    wronglySigned(req) {
      return {
        ...req,
        headers: { ...req.headers, [SIMULATOR_SIGNATURE_HEADER]: signSimulatorWebhook('another-secret', req.url, req.rawBody, req.nowSeconds) },
      };
    },

    malformed(kind) {
      return malformedBodies[kind].map(([url, body]) => signed(url, typeof body === 'string' ? body : JSON.stringify(body)));
    },

    sentMessages() {
      return network
        .acceptedMessages()
        .map((m) => ({ carrierMessageId: m.id, from: m.from, to: m.to, body: m.body }));
    },

    failNextSend(fault: ContractSendFault) {
      switch (fault.kind) {
        case 'retryable':
          network.injectFault({ kind: 'retryable', retryAfterMs: 1000 });
          break;
        case 'permanent':
          network.injectFault({ kind: 'permanent' });
          break;
        case 'accepted-then-timeout':
          network.injectFault({ kind: 'accept-then-timeout' });
          break;
        case 'undelivered':
          network.injectFault({ kind: 'undelivered', code: fault.errorCode });
          break;
      }
    },

    async close() {
      await network.settle();
    },
  };
}

runCarrierContract('simulator', makeSimulatorHarness);
