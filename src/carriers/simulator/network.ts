// The built-in phone simulator: a virtual carrier with virtual phones.
//
// This is the carrier's side of the wire. Ringback reaches it only the way it reaches Twilio:
// the network POSTs signed webhooks to the URLs configured for a number (through `transport`,
// which Ringback wires to its own HTTP app), and Ringback's SimulatorCarrier adapter calls the
// carrier API (`acceptMessage`, `findMessageByRef`). There is no side door into services.
//
// Messages texted to virtual phones are kept in an append-only JSONL state file (when given), one
// line per accepted message, written synchronously before `acceptMessage` returns, so the record
// of what was sent survives a `kill -9` and a restart.

import { randomBytes } from 'node:crypto';
import { appendFileSync, closeSync, existsSync, ftruncateSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { CarrierError } from '../carrier.ts';
import type { CallInstructions, CarrierMessageStatus, OutboundMessage, SendResult } from '../carrier.ts';
import { countSegments } from './segments.ts';
import { SIMULATOR_SIGNATURE_HEADER, signSimulatorWebhook } from './signature.ts';

// ---------------------------------------------------------------------------------------------
// Wire format (what the simulator POSTs; SimulatorCarrier parses exactly this)

export type SimulatorCallResult = 'no-answer' | 'busy' | 'answered' | 'caller-hangup' | 'rejected' | 'failed';
/** How a call from a line to a phone ended; 'voicemail': the phone's voicemail took a message. */
export type SimulatorOutboundResult = 'answered' | 'no-answer' | 'busy' | 'failed' | 'voicemail';

export type SimulatorWebhookPayload =
  | { event: 'call.incoming'; callId: string; from: string; to: string; occurredAt: string }
  | {
      event: 'call.completed';
      callId: string;
      from: string;
      to: string;
      result: SimulatorCallResult;
      startedAt: string;
      endedAt: string;
    }
  | {
      /** A line called a phone (a callback); reported to the line's voice URL when the call ends. */
      event: 'call.outbound';
      callId: string;
      from: string;
      to: string;
      result: SimulatorOutboundResult;
      startedAt: string;
      endedAt: string;
    }
  | { event: 'message.received'; messageId: string; from: string; to: string; body: string; receivedAt: string }
  | { event: 'message.status'; messageId: string; status: CarrierMessageStatus; errorCode?: string; occurredAt: string };

export interface TransportRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface TransportResponse {
  status: number;
  /** Not read by the network; numbers allowed so Node's OutgoingHttpHeaders (e.g. fastify inject) fit as-is. */
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
}

/** How the network POSTs a webhook (Ringback wires it to its own HTTP app; tests pass a function). */
export type Transport = (req: TransportRequest) => Promise<TransportResponse>;

/** A signed webhook request exactly as the simulator sends it. */
export function buildSimulatorWebhook(
  secret: string,
  url: string,
  payload: SimulatorWebhookPayload,
  nowSeconds: number,
): TransportRequest {
  const body = JSON.stringify(payload);
  return {
    url,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'ringback-simulator/1',
      [SIMULATOR_SIGNATURE_HEADER]: signSimulatorWebhook(secret, url, body, nowSeconds),
    },
    body,
  };
}

// ---------------------------------------------------------------------------------------------
// Public types

export type SimulatorErrorCode =
  | 'unknown_number'
  | 'webhook_failed'
  | 'invalid_instructions'
  | 'invalid_config'
  | 'invalid_input'
  | 'corrupt_state';

export class SimulatorError extends Error {
  readonly code: SimulatorErrorCode;
  /** The HTTP status of the webhook answer, for 'webhook_failed' when there was one. */
  readonly status: number | undefined;
  constructor(code: SimulatorErrorCode, message: string, opts: { status?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'SimulatorError';
    this.code = code;
    this.status = opts.status;
  }
}

export interface NumberRoute {
  voiceUrl: string;
  messagesUrl: string;
  signingSecret: string;
}

export type CallOutcomeChoice = 'unanswered' | 'busy' | 'answered' | 'hangup';

export interface PlaceCallInput {
  from: string;
  to: string;
  /** What happens at the targets Ringback dials: nobody answers, busy, someone answers, or the caller hangs up while it rings. */
  outcome: CallOutcomeChoice;
  /** Seconds from placement to the end of the call (defaults: unanswered = ringSeconds, busy 0, answered 60, hangup 5). */
  afterSeconds?: number;
}

export interface SimulatedCallResult {
  callId: string;
  result: SimulatorCallResult;
  /** What Ringback answered to the incoming-call webhook. */
  instructions: CallInstructions;
}

export interface PhoneMessage {
  id: string;
  from: string;
  to: string;
  body: string;
  ref: string;
  /** ISO 8601 */
  receivedAt: string;
}

export type PhoneType = 'mobile' | 'landline';

export type SimulatorFault =
  | { kind: 'retryable'; code?: string; times?: number; retryAfterMs?: number }
  | { kind: 'permanent'; code?: string; times?: number }
  /** The message is accepted (in the phone's inbox), then the answer is lost: CarrierError('ambiguous'). */
  | { kind: 'accept-then-timeout'; code?: string; times?: number }
  /** The message is accepted, never reaches the phone, and its status callback says 'undelivered' with `code` (default 30003). */
  | { kind: 'undelivered'; code?: string; times?: number };

export interface SimulatorNetworkOptions {
  /** Append-only JSONL record of every accepted message; loaded back on construction. */
  stateFile?: string;
  transport: Transport;
  now?: () => Date;
  /** Called when a status callback cannot be delivered (nobody awaits those). Default: ignore. */
  onWebhookError?: (error: SimulatorError) => void;
}

// ---------------------------------------------------------------------------------------------

interface StoredMessage {
  id: string;
  from: string;
  to: string;
  body: string;
  ref: string;
  segments: number;
  receivedAt: string;
  fate: 'delivered' | 'undelivered';
  errorCode?: string;
}

interface MessageRecord {
  stored: StoredMessage;
  /** Carrier-side status as its API would report it now. */
  status: CarrierMessageStatus;
}

interface PendingFault {
  fault: SimulatorFault;
  remaining: number;
}

const E164 = /^\+[1-9]\d{6,14}$/;

function newId(prefix: string): string {
  return prefix + randomBytes(16).toString('hex');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class SimulatorNetwork {
  readonly #transport: Transport;
  readonly #now: () => Date;
  readonly #stateFile: string | undefined;
  readonly #onWebhookError: (error: SimulatorError) => void;
  readonly #routes = new Map<string, NumberRoute>();
  readonly #phoneTypes = new Map<string, PhoneType>();
  /** Every accepted message, in acceptance order. */
  readonly #messages: MessageRecord[] = [];
  readonly #byRef = new Map<string, MessageRecord[]>();
  readonly #faults: PendingFault[] = [];
  readonly #pending = new Set<Promise<void>>();

  constructor(opts: SimulatorNetworkOptions) {
    this.#transport = opts.transport;
    this.#now = opts.now ?? (() => new Date());
    this.#stateFile = opts.stateFile;
    this.#onWebhookError = opts.onWebhookError ?? (() => {});
    if (this.#stateFile !== undefined) this.#load(this.#stateFile);
  }

  // --- numbers -------------------------------------------------------------------------------

  /** Like setting a number's webhook URLs at a carrier. */
  configureNumber(number: string, route: NumberRoute): void {
    if (number === '') throw new SimulatorError('invalid_config', 'number must not be empty');
    for (const key of ['voiceUrl', 'messagesUrl'] as const) {
      if (!URL.canParse(route[key])) {
        throw new SimulatorError('invalid_config', `${key} for ${number} is not an absolute URL: "${route[key]}"`);
      }
    }
    if (route.signingSecret === '') {
      throw new SimulatorError('invalid_config', `signingSecret for ${number} must not be empty`);
    }
    this.#routes.set(number, { ...route });
  }

  /** Where a number's webhooks point now (undefined: not configured). */
  numberRoute(number: string): Readonly<NumberRoute> | undefined {
    return this.#routes.get(number);
  }

  removeNumber(number: string): void {
    this.#routes.delete(number);
  }

  /** A virtual phone's line type; texts to a landline fail permanently. Phones are mobile by default. */
  setPhoneType(number: string, type: PhoneType): void {
    this.#phoneTypes.set(number, type);
  }

  // --- phones act ----------------------------------------------------------------------------

  /** A phone calls a configured number. Throws SimulatorError('unknown_number') at once when `to` is not configured. */
  placeCall(input: PlaceCallInput): { callId: string; done: Promise<SimulatedCallResult> } {
    const route = this.#route(input.to);
    if (input.afterSeconds !== undefined && !(Number.isFinite(input.afterSeconds) && input.afterSeconds >= 0)) {
      throw new SimulatorError('invalid_input', `afterSeconds must be a non-negative number of seconds, got ${input.afterSeconds}`);
    }
    const callId = newId('CA');
    const placedAt = this.#now();
    const done = this.#runCall(callId, input, route, placedAt);
    done.catch(() => {}); // a caller that ignores `done` must not crash the process
    // settle() waits for the call's webhooks too, not only for the network's own callbacks.
    this.#track(done.then(() => undefined, () => undefined));
    return { callId, done };
  }

  /**
   * A configured number (a line) calls a phone, as when someone at the business calls a customer
   * back from the line. The network reports the finished call to the line's voice URL, like a
   * carrier's status callback for an outbound call. Throws SimulatorError('unknown_number') at
   * once when `from` is not configured.
   */
  placeOutboundCall(input: { from: string; to: string; result: SimulatorOutboundResult; afterSeconds?: number }): { callId: string; done: Promise<void> } {
    const route = this.#route(input.from);
    if (input.afterSeconds !== undefined && !(Number.isFinite(input.afterSeconds) && input.afterSeconds >= 0)) {
      throw new SimulatorError('invalid_input', `afterSeconds must be a non-negative number of seconds, got ${input.afterSeconds}`);
    }
    const callId = newId('CA');
    const placedAt = this.#now();
    // Defaults: a conversation of a minute; a phone that rings out (or takes a message) after 20 s.
    const seconds = input.afterSeconds ?? (input.result === 'answered' ? 60 : input.result === 'no-answer' || input.result === 'voicemail' ? 20 : 0);
    const done = this.#post(route.voiceUrl, route.signingSecret, {
      event: 'call.outbound',
      callId,
      from: input.from,
      to: input.to,
      result: input.result,
      startedAt: placedAt.toISOString(),
      endedAt: new Date(placedAt.getTime() + seconds * 1000).toISOString(),
    }).then(() => undefined);
    done.catch(() => {});
    this.#track(done.catch(() => undefined));
    return { callId, done };
  }

  /** A phone texts a configured number. Throws SimulatorError('unknown_number') at once when `to` is not configured. */
  sendText(input: { from: string; to: string; body: string }): { messageId: string; done: Promise<void> } {
    const route = this.#route(input.to);
    const messageId = newId('SM');
    const payload: SimulatorWebhookPayload = {
      event: 'message.received',
      messageId,
      from: input.from,
      to: input.to,
      body: input.body,
      receivedAt: this.#now().toISOString(),
    };
    const done = this.#post(route.messagesUrl, route.signingSecret, payload).then(() => undefined);
    done.catch(() => {});
    this.#track(done.catch(() => undefined));
    return { messageId, done };
  }

  // --- carrier API (used by the adapter) ------------------------------------------------------

  /**
   * A line texts a phone. Records the message (state file first, then memory) and returns at
   * once; the 'delivered' (or 'undelivered') status callback follows asynchronously. Does not
   * dedupe by ref: a carrier does not, so a double send shows as two messages.
   */
  acceptMessage(msg: OutboundMessage): SendResult {
    const route = this.#route(msg.from);
    const fault = this.#takeFault();
    if (fault?.kind === 'retryable') {
      throw new CarrierError('retryable', 'simulated carrier failure: message not accepted, try again later', {
        code: fault.code ?? 'simulated_retryable',
        ...(fault.retryAfterMs === undefined ? {} : { retryAfterMs: fault.retryAfterMs }),
      });
    }
    if (fault?.kind === 'permanent') {
      throw new CarrierError('permanent', 'simulated carrier failure: message refused', {
        code: fault.code ?? 'simulated_permanent',
      });
    }
    if (!E164.test(msg.to)) {
      throw new CarrierError('permanent', `"${msg.to}" is not a valid E.164 phone number`, { code: 'invalid_number' });
    }
    if (msg.body === '') {
      throw new CarrierError('permanent', 'message body is empty', { code: 'empty_body' });
    }
    if (this.#phoneTypes.get(msg.to) === 'landline') {
      throw new CarrierError('permanent', `${msg.to} is a landline and cannot receive texts`, { code: 'landline' });
    }

    const stored: StoredMessage = {
      id: newId('SM'),
      from: msg.from,
      to: msg.to,
      body: msg.body,
      ref: msg.ref,
      segments: countSegments(msg.body),
      receivedAt: this.#now().toISOString(),
      fate: fault?.kind === 'undelivered' ? 'undelivered' : 'delivered',
      ...(fault?.kind === 'undelivered' ? { errorCode: fault.code ?? '30003' } : {}),
    };
    this.#persist(stored);
    const record: MessageRecord = { stored, status: 'sent' };
    this.#remember(record);

    this.#track(
      new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
        record.status = stored.fate;
        if (msg.statusCallbackUrl === undefined) return;
        const payload: SimulatorWebhookPayload = {
          event: 'message.status',
          messageId: stored.id,
          status: stored.fate,
          ...(stored.errorCode === undefined ? {} : { errorCode: stored.errorCode }),
          occurredAt: this.#now().toISOString(),
        };
        try {
          await this.#post(msg.statusCallbackUrl, route.signingSecret, payload);
        } catch (err) {
          this.#onWebhookError(
            err instanceof SimulatorError
              ? err
              : new SimulatorError('webhook_failed', `status callback failed: ${String(err)}`, { cause: err }),
          );
        }
      }),
    );

    if (fault?.kind === 'accept-then-timeout') {
      throw new CarrierError('ambiguous', 'simulated timeout: no answer from the carrier (the message may have been accepted)', {
        code: fault.code ?? 'timeout',
      });
    }
    return { carrierMessageId: stored.id, status: 'sent', segments: stored.segments };
  }

  /** The first message accepted with this ref, or null (for reconciling ambiguous sends). */
  findMessageByRef(ref: string): SendResult | null {
    const record = this.#byRef.get(ref)?.[0];
    if (record === undefined) return null;
    return { carrierMessageId: record.stored.id, status: record.status, segments: record.stored.segments };
  }

  /** What a virtual phone received, in arrival order. */
  phoneMessages(number: string): PhoneMessage[] {
    return this.#messages
      .filter((r) => r.stored.to === number && r.stored.fate === 'delivered')
      .map(({ stored: m }) => ({ id: m.id, from: m.from, to: m.to, body: m.body, ref: m.ref, receivedAt: m.receivedAt }));
  }

  /** Every message the carrier accepted (delivered or not), in acceptance order. */
  acceptedMessages(): Array<PhoneMessage & { segments: number; status: CarrierMessageStatus; errorCode?: string }> {
    return this.#messages.map(({ stored: m, status }) => ({
      id: m.id,
      from: m.from,
      to: m.to,
      body: m.body,
      ref: m.ref,
      receivedAt: m.receivedAt,
      segments: m.segments,
      status,
      ...(m.errorCode === undefined ? {} : { errorCode: m.errorCode }),
    }));
  }

  // --- test controls --------------------------------------------------------------------------

  /** The next `times` (default 1) acceptMessage calls fail this way. Faults queue in order. */
  injectFault(fault: SimulatorFault): void {
    const times = fault.times ?? 1;
    if (!Number.isInteger(times) || times < 1) {
      throw new SimulatorError('invalid_config', `fault times must be a positive integer, got ${times}`);
    }
    this.#faults.push({ fault, remaining: times });
  }

  clearFaults(): void {
    this.#faults.length = 0;
  }

  /** Resolves once every status callback scheduled so far has been sent (or has failed). */
  async settle(): Promise<void> {
    while (this.#pending.size > 0) {
      await Promise.allSettled([...this.#pending]);
    }
  }

  // --- internals ------------------------------------------------------------------------------

  #route(number: string): NumberRoute {
    const route = this.#routes.get(number);
    if (route === undefined) {
      throw new SimulatorError('unknown_number', `${number} is not a number configured on the simulator`);
    }
    return route;
  }

  #takeFault(): SimulatorFault | undefined {
    const head = this.#faults[0];
    if (head === undefined) return undefined;
    head.remaining -= 1;
    if (head.remaining <= 0) this.#faults.shift();
    return head.fault;
  }

  #track(work: Promise<void>): void {
    const p = work.finally(() => this.#pending.delete(p));
    this.#pending.add(p);
  }

  async #runCall(
    callId: string,
    input: PlaceCallInput,
    route: NumberRoute,
    placedAt: Date,
  ): Promise<SimulatedCallResult> {
    const { from, to } = input;
    const answer = await this.#post(route.voiceUrl, route.signingSecret, {
      event: 'call.incoming',
      callId,
      from,
      to,
      occurredAt: placedAt.toISOString(),
    });
    const instructions = parseInstructions(answer.body);

    if (instructions.action !== 'dial') {
      const at = placedAt.toISOString();
      await this.#post(route.voiceUrl, route.signingSecret, {
        event: 'call.completed',
        callId,
        from,
        to,
        result: 'rejected',
        startedAt: at,
        endedAt: at,
      });
      return { callId, result: 'rejected', instructions };
    }

    const result: SimulatorCallResult =
      input.outcome === 'unanswered'
        ? 'no-answer'
        : input.outcome === 'busy'
          ? 'busy'
          : input.outcome === 'answered'
            ? 'answered'
            : 'caller-hangup';
    const defaultSeconds =
      input.outcome === 'unanswered' ? instructions.ringSeconds : input.outcome === 'busy' ? 0 : input.outcome === 'answered' ? 60 : 5;
    const seconds = input.afterSeconds ?? defaultSeconds;
    const endedAt = new Date(placedAt.getTime() + seconds * 1000);
    // Like Twilio's action URL, a relative resultUrl resolves against the voice URL.
    const resultUrl = new URL(instructions.resultUrl, route.voiceUrl).toString();
    await this.#post(resultUrl, route.signingSecret, {
      event: 'call.completed',
      callId,
      from,
      to,
      result,
      startedAt: placedAt.toISOString(),
      endedAt: endedAt.toISOString(),
    });
    return { callId, result, instructions };
  }

  async #post(url: string, secret: string, payload: SimulatorWebhookPayload): Promise<TransportResponse> {
    const nowSeconds = Math.floor(this.#now().getTime() / 1000);
    const request = buildSimulatorWebhook(secret, url, payload, nowSeconds);
    let response: TransportResponse;
    try {
      response = await this.#transport(request);
    } catch (err) {
      throw new SimulatorError('webhook_failed', `${payload.event} webhook to ${url} failed: ${String(err)}`, {
        cause: err,
      });
    }
    if (response.status < 200 || response.status > 299) {
      const detail = response.body.length > 200 ? `${response.body.slice(0, 200)}…` : response.body;
      throw new SimulatorError(
        'webhook_failed',
        `${payload.event} webhook to ${url} was answered ${response.status}${detail === '' ? '' : `: ${detail}`}`,
        { status: response.status },
      );
    }
    return response;
  }

  #persist(message: StoredMessage): void {
    if (this.#stateFile === undefined) return;
    // One write(2) per line, before acceptMessage returns: survives kill -9 (not a power cut;
    // fsync per message would cost more than a simulator's record is worth).
    appendFileSync(this.#stateFile, JSON.stringify({ v: 1, kind: 'message', ...message }) + '\n');
  }

  #remember(record: MessageRecord): void {
    this.#messages.push(record);
    const list = this.#byRef.get(record.stored.ref);
    if (list === undefined) this.#byRef.set(record.stored.ref, [record]);
    else list.push(record);
  }

  #load(file: string): void {
    mkdirSync(dirname(file), { recursive: true });
    if (!existsSync(file)) return;
    // A crash in the middle of an append can leave a partial last line: cut it off, so the next
    // append starts on a fresh line. Every complete line is a message that was accepted.
    const fd = openSync(file, 'r+');
    let text: string;
    try {
      text = readFileSync(fd, 'utf8');
      if (text !== '' && !text.endsWith('\n')) {
        const keep = text.lastIndexOf('\n') + 1;
        text = text.slice(0, keep);
        ftruncateSync(fd, Buffer.byteLength(text, 'utf8'));
      }
    } finally {
      closeSync(fd);
    }
    const lines = text.split('\n');
    lines.forEach((line, index) => {
      if (line.trim() === '') return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch (err) {
        throw new SimulatorError('corrupt_state', `${file}:${index + 1}: not valid JSON`, { cause: err });
      }
      const stored = toStoredMessage(parsed);
      if (stored === null) {
        throw new SimulatorError('corrupt_state', `${file}:${index + 1}: not a simulator message record`);
      }
      this.#remember({ stored, status: stored.fate });
    });
  }
}

function toStoredMessage(value: unknown): StoredMessage | null {
  if (!isRecord(value) || value['kind'] !== 'message') return null;
  const { id, from, to, body, ref, segments, receivedAt, fate, errorCode } = value;
  if (
    typeof id !== 'string' ||
    typeof from !== 'string' ||
    typeof to !== 'string' ||
    typeof body !== 'string' ||
    typeof ref !== 'string' ||
    typeof segments !== 'number' ||
    typeof receivedAt !== 'string' ||
    (fate !== 'delivered' && fate !== 'undelivered') ||
    (errorCode !== undefined && typeof errorCode !== 'string')
  ) {
    return null;
  }
  return { id, from, to, body, ref, segments, receivedAt, fate, ...(errorCode === undefined ? {} : { errorCode }) };
}

/** Ringback's answer to call.incoming: the JSON SimulatorCarrier.renderCallResponse produces. */
function parseInstructions(body: string): CallInstructions {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new SimulatorError('invalid_instructions', `call instructions are not JSON: ${JSON.stringify(body.slice(0, 100))}`);
  }
  if (!isRecord(value)) throw new SimulatorError('invalid_instructions', 'call instructions must be a JSON object');
  const action = value['action'];
  if (action === 'reject' || action === 'hangup') {
    const message = value['message'];
    return typeof message === 'string' ? { action, message } : { action };
  }
  if (action !== 'dial') {
    throw new SimulatorError('invalid_instructions', `call instructions: unknown action ${JSON.stringify(action)}`);
  }
  const { targets, ringSeconds, screening, greeting, callerId, resultUrl } = value;
  if (!Array.isArray(targets) || !targets.every((t) => typeof t === 'string')) {
    throw new SimulatorError('invalid_instructions', 'call instructions: targets must be an array of strings');
  }
  if (typeof ringSeconds !== 'number' || !Number.isFinite(ringSeconds) || ringSeconds < 0) {
    throw new SimulatorError('invalid_instructions', 'call instructions: ringSeconds must be a non-negative number');
  }
  if (typeof screening !== 'boolean') {
    throw new SimulatorError('invalid_instructions', 'call instructions: screening must be a boolean');
  }
  if (typeof callerId !== 'string') {
    throw new SimulatorError('invalid_instructions', 'call instructions: callerId must be a string');
  }
  if (typeof resultUrl !== 'string' || resultUrl === '') {
    throw new SimulatorError('invalid_instructions', 'call instructions: resultUrl must be a non-empty string');
  }
  if (greeting !== undefined && typeof greeting !== 'string') {
    throw new SimulatorError('invalid_instructions', 'call instructions: greeting must be a string');
  }
  return {
    action: 'dial',
    targets: targets as string[],
    ringSeconds,
    screening,
    callerId,
    resultUrl,
    ...(greeting === undefined ? {} : { greeting }),
  };
}
