// The adapter for the built-in simulator carrier: translates the simulator's JSON webhooks into
// Ringback's carrier shapes and sends through the network's carrier API. Like every adapter it
// never touches the database and never decides anything.

import { CarrierError, MalformedWebhookError } from '../carrier.ts';
import type {
  AccountCheck,
  LineWebhooks,
  NumberInspection,
  CallEvent,
  CallInstructions,
  CallOutcome,
  CallResponse,
  OutboundCallOutcome,
  CarrierAdapter,
  CarrierMessageStatus,
  InboundMessage,
  OutboundMessage,
  SendResult,
  StatusUpdate,
  VerifyResult,
  WebhookRequest,
} from '../carrier.ts';
import { SimulatorError } from './network.ts';
import type { SimulatorCallResult, SimulatorNetwork, SimulatorOutboundResult } from './network.ts';
import { SIMULATOR_SIGNATURE_HEADER, verifySimulatorSignature } from './signature.ts';

const OUTCOMES: Readonly<Record<SimulatorCallResult, CallOutcome>> = {
  'no-answer': 'missed',
  'caller-hangup': 'missed',
  busy: 'busy',
  answered: 'answered',
  rejected: 'rejected',
  failed: 'failed',
};

const OUTBOUND_OUTCOMES: Readonly<Record<SimulatorOutboundResult, OutboundCallOutcome>> = {
  answered: 'answered',
  'no-answer': 'missed',
  busy: 'busy',
  failed: 'failed',
  voicemail: 'voicemail',
};

const STATUSES: readonly CarrierMessageStatus[] = ['queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed'];

export class SimulatorCarrier implements CarrierAdapter {
  readonly kind = 'simulator' as const;
  readonly #network: SimulatorNetwork;
  readonly #signingSecret: string;

  constructor(network: SimulatorNetwork, opts: { signingSecret: string }) {
    if (opts.signingSecret === '') throw new TypeError('SimulatorCarrier: signingSecret must not be empty');
    this.#network = network;
    this.#signingSecret = opts.signingSecret;
  }

  verifyWebhook(req: WebhookRequest): VerifyResult {
    return verifySimulatorSignature(
      this.#signingSecret,
      req.url,
      req.rawBody,
      headerValue(req.headers, SIMULATOR_SIGNATURE_HEADER),
      req.nowSeconds,
    );
  }

  parseCallEvent(req: WebhookRequest): CallEvent {
    const body = parseBody(req.rawBody);
    const event = body.field('event', 'string');
    if (event === 'call.incoming') {
      return {
        type: 'call.incoming',
        carrierCallId: body.field('callId', 'string'),
        from: body.field('from', 'string'),
        to: body.field('to', 'string'),
        occurredAt: body.field('occurredAt', 'date'),
      };
    }
    if (event === 'call.completed') {
      const result = body.field('result', 'string');
      if (!Object.hasOwn(OUTCOMES, result)) {
        throw new MalformedWebhookError(
          `simulator webhook field "result" must be one of ${Object.keys(OUTCOMES).join(', ')}; got ${JSON.stringify(result)}`,
        );
      }
      const { startedAt, endedAt } = callTimes(body);
      return {
        type: 'call.completed',
        carrierCallId: body.field('callId', 'string'),
        from: body.field('from', 'string'),
        to: body.field('to', 'string'),
        outcome: OUTCOMES[result as SimulatorCallResult],
        startedAt,
        endedAt,
      };
    }
    if (event === 'call.outbound') {
      const result = body.field('result', 'string');
      if (!Object.hasOwn(OUTBOUND_OUTCOMES, result)) {
        throw new MalformedWebhookError(
          `simulator webhook field "result" must be one of ${Object.keys(OUTBOUND_OUTCOMES).join(', ')}; got ${JSON.stringify(result)}`,
        );
      }
      const { startedAt, endedAt } = callTimes(body);
      return {
        type: 'call.outbound',
        carrierCallId: body.field('callId', 'string'),
        from: body.field('from', 'string'),
        to: body.field('to', 'string'),
        outcome: OUTBOUND_OUTCOMES[result as SimulatorOutboundResult],
        startedAt,
        endedAt,
      };
    }
    throw wrongEvent(event, ['call.incoming', 'call.completed', 'call.outbound']);
  }

  parseInboundMessage(req: WebhookRequest): InboundMessage {
    const body = parseBody(req.rawBody);
    const event = body.field('event', 'string');
    if (event !== 'message.received') throw wrongEvent(event, ['message.received']);
    return {
      carrierMessageId: body.field('messageId', 'string'),
      from: body.field('from', 'string'),
      to: body.field('to', 'string'),
      body: body.field('body', 'text'),
      receivedAt: body.field('receivedAt', 'date'),
    };
  }

  parseStatusUpdate(req: WebhookRequest): StatusUpdate {
    const body = parseBody(req.rawBody);
    const event = body.field('event', 'string');
    if (event !== 'message.status') throw wrongEvent(event, ['message.status']);
    const status = body.field('status', 'string');
    if (!(STATUSES as readonly string[]).includes(status)) {
      throw new MalformedWebhookError(
        `simulator webhook field "status" must be one of ${STATUSES.join(', ')}; got ${JSON.stringify(status)}`,
      );
    }
    const errorCode = body.optional('errorCode', 'string');
    return {
      carrierMessageId: body.field('messageId', 'string'),
      status: status as CarrierMessageStatus,
      ...(errorCode === undefined ? {} : { errorCode }),
      occurredAt: body.field('occurredAt', 'date'),
    };
  }

  renderCallResponse(instructions: CallInstructions): CallResponse {
    return { contentType: 'application/json', body: JSON.stringify(instructions) };
  }

  async sendMessage(message: OutboundMessage): Promise<SendResult> {
    try {
      return this.#network.acceptMessage(message);
    } catch (err) {
      throw toCarrierError(err);
    }
  }

  async findSentMessage(message: OutboundMessage): Promise<SendResult | null> {
    return this.#network.findMessageByRef(message.ref);
  }

  async checkAccount(): Promise<AccountCheck> {
    return { ok: true, accountName: 'Built-in simulator' };
  }

  async inspectNumber(number: string): Promise<NumberInspection> {
    const route = this.#network.numberRoute(number);
    return route ? { found: true, voiceUrl: route.voiceUrl, messagesUrl: route.messagesUrl } : { found: true, voiceUrl: null, messagesUrl: null };
  }

  /** The simulator has every number: configuring one is what makes it reachable. */
  async configureNumber(number: string, webhooks: LineWebhooks): Promise<void> {
    try {
      this.#network.configureNumber(number, { voiceUrl: webhooks.voice, messagesUrl: webhooks.messages, signingSecret: this.#signingSecret });
    } catch (err) {
      throw new CarrierError('permanent', `the simulator refused the webhooks for ${number}: ${(err as Error).message}`, { cause: err });
    }
  }
}

function callTimes(body: Body): { startedAt: Date; endedAt: Date } {
  const startedAt = body.field('startedAt', 'date');
  const endedAt = body.field('endedAt', 'date');
  if (endedAt.getTime() < startedAt.getTime()) {
    throw new MalformedWebhookError('simulator webhook field "endedAt" is before "startedAt"');
  }
  return { startedAt, endedAt };
}

function toCarrierError(err: unknown): CarrierError {
  if (err instanceof CarrierError) return err;
  if (err instanceof SimulatorError && err.code === 'unknown_number') {
    return new CarrierError('permanent', err.message, { code: 'unknown_number', cause: err });
  }
  // acceptMessage records a message as its last step, so anything else failed before acceptance.
  const reason = err instanceof Error ? err.message : String(err);
  return new CarrierError('retryable', `simulator did not accept the message: ${reason}`, { cause: err });
}

function headerValue(
  headers: WebhookRequest['headers'],
  name: string,
): string | readonly string[] | undefined {
  const direct = headers[name];
  if (direct !== undefined) return direct;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return value;
  }
  return undefined;
}

function wrongEvent(event: string, expected: readonly string[]): MalformedWebhookError {
  return new MalformedWebhookError(
    `simulator webhook field "event" must be ${expected.map((e) => JSON.stringify(e)).join(' or ')}; got ${JSON.stringify(event)}`,
  );
}

interface FieldTypes {
  /** A non-empty string. */
  string: string;
  /** Any string, including empty. */
  text: string;
  /** An ISO 8601 date-time string. */
  date: Date;
}

interface Body {
  field<K extends keyof FieldTypes>(name: string, type: K): FieldTypes[K];
  optional<K extends keyof FieldTypes>(name: string, type: K): FieldTypes[K] | undefined;
}

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

function parseBody(rawBody: string): Body {
  let value: unknown;
  try {
    value = JSON.parse(rawBody);
  } catch (err) {
    throw new MalformedWebhookError(`simulator webhook body is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MalformedWebhookError('simulator webhook body must be a JSON object');
  }
  const record = value as Record<string, unknown>;

  function convert<K extends keyof FieldTypes>(name: string, type: K, raw: unknown): FieldTypes[K] {
    if (type === 'date') {
      if (typeof raw !== 'string' || !ISO_DATE_TIME.test(raw) || Number.isNaN(Date.parse(raw))) {
        throw new MalformedWebhookError(
          `simulator webhook field "${name}" must be an ISO 8601 date-time; got ${JSON.stringify(raw)}`,
        );
      }
      return new Date(raw) as FieldTypes[K];
    }
    if (typeof raw !== 'string') {
      throw new MalformedWebhookError(`simulator webhook field "${name}" must be a string; got ${JSON.stringify(raw)}`);
    }
    if (type === 'string' && raw === '') {
      throw new MalformedWebhookError(`simulator webhook field "${name}" must not be empty`);
    }
    return raw as FieldTypes[K];
  }

  return {
    field(name, type) {
      const raw = Object.hasOwn(record, name) ? record[name] : undefined;
      if (raw === undefined || raw === null) {
        throw new MalformedWebhookError(`simulator webhook field "${name}" is missing`);
      }
      return convert(name, type, raw);
    },
    optional(name, type) {
      const raw = Object.hasOwn(record, name) ? record[name] : undefined;
      if (raw === undefined || raw === null) return undefined;
      return convert(name, type, raw);
    },
  };
}
