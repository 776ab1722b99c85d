// The Twilio adapter: Programmable Voice webhooks (TwiML), Programmable Messaging (REST API
// 2010-04-01), and the number settings Ringback needs. Like every adapter it translates and never
// decides. Every request it makes is checked against Twilio's OpenAPI description in the tests
// (see fake-twilio.ts and openapi.ts).

import { z } from 'zod';
import { CarrierError, MalformedWebhookError } from '../carrier.ts';
import type {
  AccountCheck,
  CallEvent,
  CallInstructions,
  CallResponse,
  CarrierAdapter,
  CarrierMessageStatus,
  InboundMessage,
  LineWebhooks,
  NumberInspection,
  OutboundCallOutcome,
  OutboundMessage,
  SendResult,
  StatusUpdate,
  VerifyResult,
  WebhookKind,
  WebhookRequest,
} from '../carrier.ts';
import { parseForm, parseTwimlCallEvent, renderTwiml } from '../twiml.ts';
import { verifyTwilioSignature } from './signature.ts';

export const TwilioCredentialsSchema = z.strictObject({
  accountSid: z.string().regex(/^AC[0-9a-f]{32}$/, 'must be a Twilio Account SID: AC followed by 32 hex digits'),
  authToken: z.string().regex(/^[0-9a-f]{32}$/, 'must be a Twilio Auth Token: 32 hex digits'),
});
export type TwilioCredentials = z.infer<typeof TwilioCredentialsSchema>;

export interface TwilioCarrierOptions {
  /** Default https://api.twilio.com; tests point it at the fake. */
  apiBaseUrl?: string;
  fetch?: typeof fetch;
  /** Per request, default 10000. */
  timeoutMs?: number;
  /** Clock for findSentMessage's date filter; default the system clock. */
  now?: () => Date;
}

export const TWILIO_API_BASE_URL = 'https://api.twilio.com';
const API = '/2010-04-01';

/** Twilio's message statuses → Ringback's carrier statuses. */
export const TWILIO_MESSAGE_STATUSES: Readonly<Record<string, CarrierMessageStatus>> = {
  accepted: 'queued',
  scheduled: 'queued',
  queued: 'queued',
  sending: 'sending',
  sent: 'sent',
  // Some parts reached the handset, some did not; final word comes with delivered/undelivered.
  partially_delivered: 'sent',
  delivered: 'delivered',
  read: 'delivered',
  undelivered: 'undelivered',
  failed: 'failed',
  canceled: 'failed',
};

/** How long ago a message may have been accepted for findSentMessage to take it for ours. */
const RECONCILE_WINDOW_MS = 2 * 60 * 60 * 1000;

/**
 * Network errors that happen before a request is written (DNS, refused connection, unreachable
 * host, TLS handshake): Twilio cannot have acted on the request.
 */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_NONAME',
  'EAI_FAIL',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

interface TwilioResponse {
  status: number;
  headers: Headers;
  json: unknown;
  text: string;
}

/** Twilio's error body: `{code, message, more_info, status}`. */
interface TwilioErrorBody {
  code?: number;
  message?: string;
}

/** A request that got no HTTP answer; `maybeSent` when Twilio may have received it. */
class NetworkFailure extends Error {
  readonly maybeSent: boolean;
  constructor(message: string, maybeSent: boolean, cause: unknown) {
    super(message, { cause });
    this.maybeSent = maybeSent;
  }
}

export class TwilioCarrier implements CarrierAdapter {
  readonly kind = 'twilio' as const;
  readonly #accountSid: string;
  readonly #authToken: string;
  readonly #authorization: string;
  readonly #base: string;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;
  readonly #now: () => Date;

  constructor(credentials: TwilioCredentials, opts: TwilioCarrierOptions = {}) {
    const parsed = TwilioCredentialsSchema.safeParse(credentials);
    if (!parsed.success) {
      // zod issues name the field and the rule, never the value: the token stays out of the message.
      throw new TypeError(`TwilioCarrier: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'credentials'} ${i.message}`).join('; ')}`);
    }
    this.#accountSid = parsed.data.accountSid;
    this.#authToken = parsed.data.authToken;
    this.#authorization = `Basic ${Buffer.from(`${this.#accountSid}:${this.#authToken}`).toString('base64')}`;
    this.#base = (opts.apiBaseUrl ?? TWILIO_API_BASE_URL).replace(/\/+$/, '');
    this.#fetch = opts.fetch ?? fetch;
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
    this.#now = opts.now ?? (() => new Date());
  }

  /** The Account SID this adapter speaks for (not a secret). */
  get accountSid(): string {
    return this.#accountSid;
  }

  verifyWebhook(req: WebhookRequest): VerifyResult {
    return verifyTwilioSignature(this.#authToken, req);
  }

  parseCallEvent(req: WebhookRequest, hook: WebhookKind): CallEvent {
    if (hook === 'voice/status') {
      const outbound = parseOutboundStatus(req);
      if (outbound) return outbound;
    }
    return parseTwimlCallEvent(req, hook, 'Twilio');
  }

  parseInboundMessage(req: WebhookRequest): InboundMessage {
    const params = parseForm(req.rawBody);
    const body = params.get('Body');
    if (body === undefined) throw missing('Body', 'message');
    return {
      carrierMessageId: required(params, 'MessageSid', 'message'),
      from: required(params, 'From', 'message'),
      to: required(params, 'To', 'message'),
      // A picture message may come with no text at all.
      body,
      receivedAt: new Date(req.nowSeconds * 1000),
    };
  }

  parseStatusUpdate(req: WebhookRequest): StatusUpdate {
    const params = parseForm(req.rawBody);
    const carrierMessageId = required(params, 'MessageSid', 'status callback');
    const twilioStatus = required(params, 'MessageStatus', 'status callback');
    const status = Object.hasOwn(TWILIO_MESSAGE_STATUSES, twilioStatus) ? TWILIO_MESSAGE_STATUSES[twilioStatus] : undefined;
    if (status === undefined) {
      throw new MalformedWebhookError(`Twilio status callback has a MessageStatus Ringback does not know for a sent message: "${twilioStatus}"`);
    }
    const errorCode = params.get('ErrorCode') || undefined;
    return {
      carrierMessageId,
      status,
      ...(errorCode === undefined ? {} : { errorCode }),
      occurredAt: new Date(req.nowSeconds * 1000),
    };
  }

  renderCallResponse(instructions: CallInstructions): CallResponse {
    return renderTwiml(instructions);
  }

  async sendMessage(message: OutboundMessage): Promise<SendResult> {
    const form = new URLSearchParams({ To: message.to, From: message.from, Body: message.body });
    if (message.statusCallbackUrl) form.set('StatusCallback', message.statusCallbackUrl);
    if (message.validitySeconds !== undefined && Number.isFinite(message.validitySeconds)) {
      form.set('ValidityPeriod', String(Math.min(36_000, Math.max(1, Math.round(message.validitySeconds)))));
    }
    let res: TwilioResponse;
    try {
      res = await this.#request('POST', `/Accounts/${this.#accountSid}/Messages.json`, { form });
    } catch (err) {
      if (err instanceof NetworkFailure) {
        throw err.maybeSent
          ? new CarrierError('ambiguous', `no clear answer from Twilio at ${this.#base} (${err.message}): the message may have been accepted`, { cause: err.cause })
          : new CarrierError('retryable', `could not reach Twilio at ${this.#base} (${err.message}): the message was not sent`, { cause: err.cause });
      }
      throw err;
    }
    if (res.status >= 200 && res.status < 300) {
      const sent = toSendResult(res.json);
      if (!sent) {
        throw new CarrierError('ambiguous', `Twilio answered HTTP ${res.status} to the message without a message SID, so whether it was accepted is unknown`);
      }
      return sent;
    }
    // Message creation is not idempotent at Twilio: a 5xx may still have created the message.
    throw this.#httpError(res, 'send the message', { serverErrors: 'ambiguous' });
  }

  async findSentMessage(message: OutboundMessage): Promise<SendResult | null> {
    const now = this.#now();
    const since = now.getTime() - RECONCILE_WINDOW_MS;
    const query = new URLSearchParams({
      To: message.to,
      From: message.from,
      // `DateSent>` is the parameter's name: Twilio reads it as "sent on or after this UTC date".
      'DateSent>': new Date(since).toISOString().slice(0, 10),
      PageSize: '50',
    });
    const res = await this.#idempotent('GET', `/Accounts/${this.#accountSid}/Messages.json`, { query }, 'look up sent messages');
    if (res.status !== 200) throw this.#httpError(res, 'look up sent messages', { serverErrors: 'retryable' });
    const list = (res.json as { messages?: unknown } | null)?.messages;
    if (!Array.isArray(list)) throw new CarrierError('retryable', 'Twilio answered the message lookup without a list of messages');
    let best: { at: number; result: SendResult } | null = null;
    for (const item of list as Array<Record<string, unknown>>) {
      if (item['to'] !== message.to || item['from'] !== message.from || item['body'] !== message.body) continue;
      if (typeof item['direction'] === 'string' && !item['direction'].startsWith('outbound')) continue;
      const created = Date.parse(String(item['date_created'] ?? ''));
      if (Number.isFinite(created) && created < since) continue;
      const result = toSendResult(item);
      if (!result) continue;
      const at = Number.isFinite(created) ? created : 0;
      if (best === null || at > best.at) best = { at, result };
    }
    return best?.result ?? null;
  }

  async checkAccount(): Promise<AccountCheck> {
    let res: TwilioResponse;
    try {
      res = await this.#request('GET', `/Accounts/${this.#accountSid}.json`, {});
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      return { ok: false, problem: `could not reach Twilio at ${this.#base}: ${reason}` };
    }
    if (res.status === 401) return { ok: false, problem: 'Twilio rejected the Account SID or Auth Token (error 20003)' };
    if (res.status !== 200) {
      const { code, message } = errorBody(res.json);
      return { ok: false, problem: `Twilio answered HTTP ${res.status} when asked about the account${code === undefined ? '' : ` (error ${code}${message ? `: ${message}` : ''})`}` };
    }
    const account = (res.json ?? {}) as { friendly_name?: unknown; status?: unknown };
    if (typeof account.status === 'string' && account.status !== 'active') {
      return { ok: false, problem: `the Twilio account is ${account.status}: it cannot send or receive until it is active again` };
    }
    return typeof account.friendly_name === 'string' ? { ok: true, accountName: account.friendly_name } : { ok: true };
  }

  async inspectNumber(number: string): Promise<NumberInspection> {
    const found = await this.#findNumber(number);
    if (!found) return { found: false };
    return { found: true, voiceUrl: urlOrNull(found['voice_url']), messagesUrl: urlOrNull(found['sms_url']) };
  }

  async configureNumber(number: string, webhooks: LineWebhooks): Promise<void> {
    const found = await this.#findNumber(number);
    const sid = found?.['sid'];
    if (typeof sid !== 'string') {
      throw new CarrierError('permanent', `${number} is not a phone number on this Twilio account`, { code: 'number_not_found' });
    }
    const form = new URLSearchParams({
      VoiceUrl: webhooks.voice,
      VoiceMethod: 'POST',
      StatusCallback: webhooks.voiceStatus,
      StatusCallbackMethod: 'POST',
      SmsUrl: webhooks.messages,
      SmsMethod: 'POST',
    });
    const res = await this.#idempotent('POST', `/Accounts/${this.#accountSid}/IncomingPhoneNumbers/${sid}.json`, { form }, `update ${number}`);
    if (res.status !== 200) throw this.#httpError(res, `update ${number}`, { serverErrors: 'retryable' });
  }

  async #findNumber(number: string): Promise<Record<string, unknown> | null> {
    const query = new URLSearchParams({ PhoneNumber: number });
    const res = await this.#idempotent('GET', `/Accounts/${this.#accountSid}/IncomingPhoneNumbers.json`, { query }, `look up ${number}`);
    if (res.status !== 200) throw this.#httpError(res, `look up ${number}`, { serverErrors: 'retryable' });
    const list = (res.json as { incoming_phone_numbers?: unknown } | null)?.incoming_phone_numbers;
    if (!Array.isArray(list)) throw new CarrierError('retryable', `Twilio answered the lookup of ${number} without a list of numbers`);
    return (list as Array<Record<string, unknown>>).find((n) => n['phone_number'] === number) ?? null;
  }

  /** A request that is safe to repeat: any network failure is retryable. */
  async #idempotent(method: 'GET' | 'POST', path: string, body: { query?: URLSearchParams; form?: URLSearchParams }, what: string): Promise<TwilioResponse> {
    try {
      return await this.#request(method, path, body);
    } catch (err) {
      if (err instanceof NetworkFailure) throw new CarrierError('retryable', `could not ${what} at Twilio (${this.#base}): ${err.message}`, { cause: err.cause });
      throw err;
    }
  }

  async #request(method: 'GET' | 'POST', path: string, { query, form }: { query?: URLSearchParams; form?: URLSearchParams }): Promise<TwilioResponse> {
    const url = `${this.#base}${API}${path}${query ? `?${query.toString()}` : ''}`;
    const headers: Record<string, string> = { authorization: this.#authorization, accept: 'application/json' };
    if (form) headers['content-type'] = 'application/x-www-form-urlencoded';
    let response: Response;
    let text: string;
    try {
      response = await this.#fetch(url, {
        method,
        headers,
        ...(form ? { body: form.toString() } : {}),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      text = await response.text();
    } catch (err) {
      throw networkFailure(err, this.#timeoutMs);
    }
    let json: unknown = null;
    if (text.length > 0) {
      try {
        json = JSON.parse(text);
      } catch {
        json = null;
      }
    }
    return { status: response.status, headers: response.headers, json, text };
  }

  #httpError(res: TwilioResponse, what: string, opts: { serverErrors: 'ambiguous' | 'retryable' }): CarrierError {
    const { code, message } = errorBody(res.json);
    const detail = `${code === undefined ? '' : ` (error ${code})`}${message ? `: ${message}` : ''}`;
    if (res.status === 429 || code === 20429) {
      const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), this.#now());
      return new CarrierError('retryable', `Twilio is rate limiting requests, so it did not ${what}${detail}`, {
        code: code === undefined ? '20429' : String(code),
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      });
    }
    if (res.status === 401) {
      return new CarrierError('permanent', 'Twilio rejected the Account SID or Auth Token (error 20003)', { code: '20003' });
    }
    if (res.status >= 500) {
      return opts.serverErrors === 'ambiguous'
        ? new CarrierError('ambiguous', `Twilio failed with HTTP ${res.status} and may still have accepted the message${detail}`, {
            ...(code === undefined ? {} : { code: String(code) }),
          })
        : new CarrierError('retryable', `Twilio failed with HTTP ${res.status} and did not ${what}${detail}`, {
            ...(code === undefined ? {} : { code: String(code) }),
          });
    }
    return new CarrierError('permanent', `Twilio refused to ${what}: HTTP ${res.status}${detail}`, {
      ...(code === undefined ? {} : { code: String(code) }),
    });
  }
}

/** A final CallStatus of a call placed from the line → what became of it. */
const OUTBOUND_STATUS: Readonly<Record<string, OutboundCallOutcome>> = {
  completed: 'answered',
  busy: 'busy',
  'no-answer': 'missed',
  // Hung up by the business before anyone answered.
  canceled: 'missed',
  failed: 'failed',
};

/**
 * Answering-machine detection, when the call asked for it (§1.4): a machine means voicemail
 * took the call; a fax reached no one. human and unknown stay answered.
 */
function answeredByOutcome(answeredBy: string | undefined): OutboundCallOutcome | undefined {
  if (answeredBy?.startsWith('machine')) return 'voicemail';
  if (answeredBy === 'fax') return 'failed';
  return undefined;
}

/**
 * A status callback for a leg Twilio places FROM one of the account's numbers (Direction
 * outbound-api, or outbound-dial when a phone of the account dials out; §1.1): the business
 * calling a contact back. Undefined for the inbound legs twiml.ts reads.
 */
function parseOutboundStatus(req: WebhookRequest): CallEvent | undefined {
  const params = parseForm(req.rawBody);
  if (!params.get('Direction')?.startsWith('outbound')) return undefined;
  const carrierCallId = required(params, 'CallSid', 'call status');
  const from = required(params, 'From', 'call status');
  const status = required(params, 'CallStatus', 'call status');
  const mapped = Object.hasOwn(OUTBOUND_STATUS, status) ? OUTBOUND_STATUS[status] : undefined;
  // Still going (initiated, ringing, in-progress): `to` names the line the call belongs to.
  if (mapped === undefined) return { type: 'call.progress', carrierCallId, to: from, status };
  const outcome = mapped === 'answered' ? (answeredByOutcome(params.get('AnsweredBy')) ?? mapped) : mapped;
  const stamp = params.get('Timestamp');
  const parsed = stamp ? new Date(stamp) : undefined;
  const endedAt = parsed && !Number.isNaN(parsed.getTime()) ? parsed : new Date(req.nowSeconds * 1000);
  const duration = Number(params.get('CallDuration') ?? '0');
  return {
    type: 'call.outbound',
    carrierCallId,
    from,
    to: required(params, 'To', 'call status'),
    outcome,
    startedAt: new Date(endedAt.getTime() - (Number.isFinite(duration) && duration > 0 ? duration : 0) * 1000),
    endedAt,
  };
}

function missing(name: string, what: string): MalformedWebhookError {
  return new MalformedWebhookError(`Twilio ${what} webhook is missing the "${name}" parameter`);
}

function required(params: Map<string, string>, name: string, what: string): string {
  const value = params.get(name);
  if (value === undefined || value === '') throw missing(name, what);
  return value;
}

function urlOrNull(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function errorBody(json: unknown): TwilioErrorBody {
  if (typeof json !== 'object' || json === null) return {};
  const o = json as Record<string, unknown>;
  const code = typeof o['code'] === 'number' ? o['code'] : typeof o['code'] === 'string' && /^\d+$/.test(o['code']) ? Number(o['code']) : undefined;
  return {
    ...(code === undefined ? {} : { code }),
    ...(typeof o['message'] === 'string' ? { message: o['message'] } : {}),
  };
}

/** A Message resource → SendResult; null when it carries no SID. */
function toSendResult(json: unknown): SendResult | null {
  if (typeof json !== 'object' || json === null) return null;
  const m = json as Record<string, unknown>;
  const sid = m['sid'];
  if (typeof sid !== 'string' || sid === '') return null;
  const raw = typeof m['status'] === 'string' ? m['status'] : 'queued';
  const status = Object.hasOwn(TWILIO_MESSAGE_STATUSES, raw) ? TWILIO_MESSAGE_STATUSES[raw]! : 'queued';
  const segments = Number(m['num_segments']);
  return { carrierMessageId: sid, status, ...(Number.isInteger(segments) && segments > 0 ? { segments } : {}) };
}

/** Retry-After is either seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, now: Date): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now.getTime());
}

function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  // Happy eyeballs (several addresses tried) reports an AggregateError.
  const inner = (err as { errors?: unknown }).errors;
  return Array.isArray(inner) ? inner.map(errorCode).find((c) => c !== undefined) : undefined;
}

function describeCode(code: string): string {
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code.startsWith('EAI_') || code === 'ENOTFOUND') return `host name not found (${code})`;
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return 'connection timed out';
  if (/UNREACH|DOWN|ADDRNOTAVAIL/.test(code)) return `network unreachable (${code})`;
  if (/CERT|TLS|SSL/.test(code)) return `TLS certificate problem (${code})`;
  return code;
}

function networkFailure(err: unknown, timeoutMs: number): NetworkFailure {
  const name = (err as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return new NetworkFailure(`no answer within ${timeoutMs} ms`, true, err);
  }
  const cause = (err as { cause?: unknown } | null)?.cause ?? err;
  const code = errorCode(cause) ?? errorCode(err);
  if (code !== undefined && NOT_SENT_CODES.has(code)) return new NetworkFailure(describeCode(code), false, err);
  const detail = code ?? (cause instanceof Error ? cause.message : String(cause));
  return new NetworkFailure(`connection lost (${detail})`, true, err);
}
