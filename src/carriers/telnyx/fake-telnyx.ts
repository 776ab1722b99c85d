// A fake Telnyx, for tests and the benchmark: a real HTTP server on 127.0.0.1 that speaks the
// subset of the Telnyx API Ringback uses, and helpers that produce SIGNED Telnyx webhooks.
//
// Built from the payloads documented in ../shared/reference/providers.md §3 (the Telnyx OpenAPI
// spec is not redistributable and is not used). Where the fake needs a shape that reference does
// not give, it follows telnyx-node's types and says so; where real Telnyx behaviour is unknown,
// the fake picks something plausible and strict, and says so too.
//
// Endpoints: POST /v2/messages, GET /v2/messages/{id}, GET /v2/balance,
// GET /v2/phone_numbers?filter[phone_number]=…, GET|PATCH /v2/texml_applications/{id},
// GET|PATCH /v2/messaging_profiles/{id}. Anything else answers 404 with a JSON:API error.

import { generateKeyPairSync, randomBytes, randomUUID, sign as signEd25519, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { WebhookRequest } from '../carrier.ts';
import { countSegments } from '../simulator/segments.ts';

export const FAKE_SIGNATURE_HEADER = 'telnyx-signature-ed25519';
export const FAKE_TIMESTAMP_HEADER = 'telnyx-timestamp';

// ---- signing ---------------------------------------------------------------------------------

export interface TelnyxKeyPair {
  privateKey: KeyObject;
  /** The raw 32-byte public key, base64: what the Telnyx portal shows as the account public key. */
  publicKeyBase64: string;
}

export function generateTelnyxKeyPair(): TelnyxKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  // The SPKI DER of an Ed25519 key is a 12-byte prefix followed by the raw 32 bytes.
  return { privateKey, publicKeyBase64: spki.subarray(spki.length - 32).toString('base64') };
}

/** base64 Ed25519 signature over `${timestamp}|${rawBody}` (providers.md §3.5). */
export function signTelnyxPayload(privateKey: KeyObject, timestamp: number | string, rawBody: string): string {
  return signEd25519(null, Buffer.from(`${timestamp}|${rawBody}`, 'utf8'), privateKey).toString('base64');
}

/** A webhook request as Telnyx sends it: the body, its content type and the two signature headers. */
export function signedTelnyxRequest(
  privateKey: KeyObject,
  opts: { url: string; rawBody: string; contentType: string; nowSeconds: number },
): WebhookRequest {
  const timestamp = Math.floor(opts.nowSeconds);
  return {
    url: opts.url,
    headers: {
      'content-type': opts.contentType,
      [FAKE_SIGNATURE_HEADER]: signTelnyxPayload(privateKey, timestamp, opts.rawBody),
      [FAKE_TIMESTAMP_HEADER]: String(timestamp),
      'user-agent': 'telnyx-webhooks',
    },
    rawBody: opts.rawBody,
    nowSeconds: timestamp,
  };
}

// ---- message objects (providers.md §3.3) -----------------------------------------------------

export type TelnyxFinalStatus = 'delivered' | 'delivery_failed' | 'sending_failed' | 'delivery_unconfirmed' | 'expired';
export type TelnyxMessageStatus = 'queued' | 'sending' | 'sent' | TelnyxFinalStatus;

export interface TelnyxMessageError {
  code: string;
  title: string;
  detail?: string;
}

/** The message object of the Messaging API v2, as providers.md §3.3 lists its fields. */
export interface TelnyxMessage {
  record_type: 'message';
  direction: 'outbound' | 'inbound';
  id: string;
  type: 'SMS' | 'MMS';
  messaging_profile_id: string | null;
  organization_id: string;
  from: { phone_number: string; carrier: string; line_type: string; status?: string };
  to: Array<{ phone_number: string; status?: string; carrier: string; line_type: string }>;
  cc: unknown[];
  text: string | null;
  subject: string | null;
  media: Array<{ url: string; content_type: string | null; size: number | null; hash_sha256: string | null }>;
  webhook_url: string | null;
  webhook_failover_url: string | null;
  encoding: string;
  parts: number;
  tags: string[];
  cost: { amount: string; currency: string } | null;
  cost_breakdown: unknown;
  tcr_campaign_id: string | null;
  tcr_campaign_billable: boolean;
  tcr_campaign_registered: string | null;
  received_at: string;
  sent_at: string | null;
  completed_at: string | null;
  valid_until: string | null;
  errors: TelnyxMessageError[];
}

/** Titles for the codes the fake puts in errors (providers.md §3.6). */
const ERROR_TITLES: Readonly<Record<string, string>> = {
  '10001': 'Inactive phone number',
  '10002': 'Invalid phone number',
  '10003': 'Invalid URL',
  '10004': 'Missing required parameter',
  '10005': 'Resource not found',
  '10007': 'Unexpected error',
  '10009': 'Authentication failed',
  '10011': 'Too many requests',
  '10015': 'Bad Request',
  '10016': 'Phone number must be in +E.164 format',
  '40001': 'Not routable',
  '40002': 'Blocked as spam - temporary',
  '40003': 'Blocked as spam - permanent',
  '40004': 'Rejected by destination',
  '40005': 'Message expired during transmission',
  '40006': 'Recipient server unavailable',
  '40008': 'Undeliverable',
  '40009': 'Invalid message body',
  '40011': 'Too many requests',
  '40300': 'Blocked due to STOP message',
  '40318': 'Message queue full',
};

export function telnyxErrorTitle(code: string): string {
  return ERROR_TITLES[code] ?? 'Error';
}

function isoNow(ms: number): string {
  return new Date(ms).toISOString();
}

/** GSM 03.38 basic and extension characters: anything else makes Telnyx encode UCS-2. */
const GSM7 = /^[@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&'()*+,\-./0-9:;<=>?¡A-ZÄÖÑÜ§¿a-zäöñüà\f^{}\\[~\]|€]*$/u;

function isGsm(text: string): boolean {
  return GSM7.test(text);
}

// ---- webhooks --------------------------------------------------------------------------------

/** The messaging webhook envelope (providers.md §3.4): `{data:{event_type, id, occurred_at, payload}}`. */
export function telnyxEventBody(eventType: string, payload: unknown, opts: { eventId?: string; occurredAt: string }): string {
  return JSON.stringify({
    data: {
      record_type: 'event',
      event_type: eventType,
      id: opts.eventId ?? randomUUID(),
      occurred_at: opts.occurredAt,
      payload,
    },
  });
}

export type TexmlDialCallStatus = 'completed' | 'answered' | 'busy' | 'no-answer' | 'failed' | 'canceled';
export type TexmlCallStatus = 'completed' | 'busy' | 'no-answer' | 'failed' | 'canceled';

/** A TeXML call sid, shaped like Telnyx's `v3:…` ids (providers.md §3.2). */
export function texmlCallSid(): string {
  return `v3:${randomBytes(24).toString('base64url')}`;
}

/**
 * Builds signed Telnyx webhooks: messaging events (JSON) and TeXML voice callbacks
 * (form-encoded, Twilio-style names, providers.md §3.2).
 */
export class TelnyxWebhooks {
  readonly #privateKey: KeyObject;
  readonly #now: () => number;
  readonly #accountSid: string;
  readonly #sequence = new Map<string, number>();

  constructor(privateKey: KeyObject, opts: { now?: () => number; accountSid?: string } = {}) {
    this.#privateKey = privateKey;
    this.#now = opts.now ?? Date.now;
    this.#accountSid = opts.accountSid ?? randomUUID();
  }

  get accountSid(): string {
    return this.#accountSid;
  }

  /** Signs any body as Telnyx would, at the current time (or `nowSeconds`). */
  sign(url: string, rawBody: string, contentType: string, nowSeconds?: number): WebhookRequest {
    return signedTelnyxRequest(this.#privateKey, { url, rawBody, contentType, nowSeconds: nowSeconds ?? Math.floor(this.#now() / 1000) });
  }

  json(url: string, body: unknown, nowSeconds?: number): WebhookRequest {
    return this.sign(url, typeof body === 'string' ? body : JSON.stringify(body), 'application/json', nowSeconds);
  }

  form(url: string, params: Record<string, string>, nowSeconds?: number): WebhookRequest {
    return this.sign(url, new URLSearchParams(params).toString(), 'application/x-www-form-urlencoded', nowSeconds);
  }

  /** `message.received`: someone texted one of the account's numbers. */
  messageReceived(opts: {
    url: string;
    from: string;
    to: string;
    text: string | null;
    media?: Array<{ url: string; content_type: string }>;
    messageId?: string;
    eventId?: string;
    messagingProfileId?: string | null;
    /** Leave out payload.received_at (the adapter then falls back to data.occurred_at). */
    omitReceivedAt?: boolean;
    nowSeconds?: number;
  }): { request: WebhookRequest; messageId: string; eventId: string } {
    const nowMs = opts.nowSeconds === undefined ? this.#now() : opts.nowSeconds * 1000;
    const messageId = opts.messageId ?? randomUUID();
    const eventId = opts.eventId ?? randomUUID();
    const media = (opts.media ?? []).map((m) => ({ url: m.url, content_type: m.content_type, size: 1024, hash_sha256: randomBytes(32).toString('hex') }));
    const text = opts.text;
    const payload: Record<string, unknown> = {
      record_type: 'message',
      direction: 'inbound',
      id: messageId,
      type: media.length > 0 ? 'MMS' : 'SMS',
      messaging_profile_id: opts.messagingProfileId ?? null,
      organization_id: this.#accountSid,
      from: { phone_number: opts.from, carrier: 'T-Mobile USA', line_type: 'Wireless', status: 'received' },
      to: [{ phone_number: opts.to, carrier: 'Telnyx', line_type: 'Wireless' }],
      cc: [],
      text,
      subject: null,
      media,
      encoding: text !== null && isGsm(text) ? 'GSM-7' : 'UCS-2',
      parts: text ? countSegments(text) : 1,
      tags: [],
      cost: null,
      ...(opts.omitReceivedAt ? {} : { received_at: isoNow(nowMs) }),
      sent_at: null,
      completed_at: null,
      valid_until: null,
      errors: [],
      webhook_url: opts.url,
      webhook_failover_url: null,
    };
    const body = telnyxEventBody('message.received', payload, { eventId, occurredAt: isoNow(nowMs) });
    return { request: this.sign(opts.url, body, 'application/json', Math.floor(nowMs / 1000)), messageId, eventId };
  }

  /** `message.sent` or `message.finalized` for an outbound message object. */
  messageEvent(opts: {
    url: string;
    eventType: 'message.sent' | 'message.finalized';
    message: TelnyxMessage;
    eventId?: string;
    nowSeconds?: number;
  }): { request: WebhookRequest; eventId: string } {
    const nowMs = opts.nowSeconds === undefined ? this.#now() : opts.nowSeconds * 1000;
    const eventId = opts.eventId ?? randomUUID();
    const body = telnyxEventBody(opts.eventType, opts.message, { eventId, occurredAt: isoNow(nowMs) });
    return { request: this.sign(opts.url, body, 'application/json', Math.floor(nowMs / 1000)), eventId };
  }

  #common(callSid: string, from: string, to: string, nowMs: number): Record<string, string> {
    const sequence = (this.#sequence.get(callSid) ?? 0) + 1;
    this.#sequence.set(callSid, sequence);
    return {
      AccountSid: this.#accountSid,
      CallSid: callSid,
      // [not in providers.md: the format of CallSidLegacy; a UUID here]
      CallSidLegacy: `v2:${randomUUID()}`,
      From: from,
      To: to,
      // [format unverified: ISO 8601 here; Twilio sends RFC 2822. twiml.ts reads both.]
      Timestamp: isoNow(nowMs),
      SequenceNumber: String(sequence),
    };
  }

  /** The request to the TeXML application's voice_url when `from` calls `to`. */
  incomingCall(opts: { url: string; from: string; to: string; callSid?: string; nowSeconds?: number }): { request: WebhookRequest; callSid: string } {
    const nowMs = opts.nowSeconds === undefined ? this.#now() : opts.nowSeconds * 1000;
    const callSid = opts.callSid ?? texmlCallSid();
    const params = { ...this.#common(callSid, opts.from, opts.to, nowMs), CallStatus: 'ringing', Direction: 'inbound' };
    return { request: this.form(opts.url, params, Math.floor(nowMs / 1000)), callSid };
  }

  /** The `<Dial action>` request when the dialled call ends. */
  dialAction(opts: {
    url: string;
    callSid: string;
    from: string;
    to: string;
    dialCallStatus: TexmlDialCallStatus;
    dialCallDuration?: number;
    hangupCause?: string;
    nowSeconds?: number;
  }): WebhookRequest {
    const nowMs = opts.nowSeconds === undefined ? this.#now() : opts.nowSeconds * 1000;
    return this.form(
      opts.url,
      {
        ...this.#common(opts.callSid, opts.from, opts.to, nowMs),
        CallStatus: 'in-progress',
        DialCallStatus: opts.dialCallStatus,
        DialCallSid: texmlCallSid(),
        DialCallDuration: String(opts.dialCallDuration ?? 0),
        HangupCause: opts.hangupCause ?? (opts.dialCallStatus === 'completed' ? 'normal_clearing' : opts.dialCallStatus === 'busy' ? 'user_busy' : 'timeout'),
      },
      Math.floor(nowMs / 1000),
    );
  }

  /** The application's status callback when the caller's leg ends. */
  callStatus(opts: {
    url: string;
    callSid: string;
    from: string;
    to: string;
    callStatus: TexmlCallStatus;
    callDuration?: number;
    hangupCause?: string;
    hangupSource?: 'caller' | 'callee' | 'unknown';
    nowSeconds?: number;
  }): WebhookRequest {
    const nowMs = opts.nowSeconds === undefined ? this.#now() : opts.nowSeconds * 1000;
    return this.form(
      opts.url,
      {
        ...this.#common(opts.callSid, opts.from, opts.to, nowMs),
        CallStatus: opts.callStatus,
        CallDuration: String(opts.callDuration ?? 0),
        CallbackSource: 'call-progress-events',
        HangupCause: opts.hangupCause ?? 'normal_clearing',
        HangupSource: opts.hangupSource ?? 'caller',
      },
      Math.floor(nowMs / 1000),
    );
  }

  /**
   * A Call Control event (JSON, providers.md §3.1) for a call leg, e.g. a `call.hangup` with
   * direction `outgoing` when a call placed from one of the account's numbers ends.
   */
  callControlEvent(opts: {
    url: string;
    eventType: 'call.initiated' | 'call.answered' | 'call.bridged' | 'call.hangup';
    from: string;
    to: string;
    direction: 'incoming' | 'outgoing';
    callControlId?: string;
    /** call.hangup only (default normal_clearing). */
    hangupCause?: string;
    /** When the call started; left out when null. */
    startTime?: string | null;
    nowSeconds?: number;
  }): { request: WebhookRequest; callControlId: string } {
    const nowMs = opts.nowSeconds === undefined ? this.#now() : opts.nowSeconds * 1000;
    const callControlId = opts.callControlId ?? `v3:${randomBytes(24).toString('base64url')}`;
    const payload: Record<string, unknown> = {
      call_control_id: callControlId,
      call_leg_id: randomUUID(),
      call_session_id: randomUUID(),
      connection_id: '1494404757140276705',
      from: opts.from,
      to: opts.to,
      direction: opts.direction,
      state: opts.eventType === 'call.hangup' ? 'hangup' : opts.eventType === 'call.initiated' ? 'bridging' : 'answered',
      client_state: null,
      ...(opts.startTime === null ? {} : { start_time: opts.startTime ?? isoNow(nowMs - 45_000) }),
      ...(opts.eventType === 'call.hangup'
        ? { hangup_cause: opts.hangupCause ?? 'normal_clearing', hangup_source: 'callee', sip_hangup_cause: '200', end_time: isoNow(nowMs) }
        : {}),
    };
    const body = telnyxEventBody(opts.eventType, payload, { occurredAt: isoNow(nowMs) });
    return { request: this.sign(opts.url, body, 'application/json', Math.floor(nowMs / 1000)), callControlId };
  }

  /** The `<Gather action>` request when the person answering pressed keys. */
  gatherAction(opts: { url: string; callSid: string; from: string; to: string; digits: string; nowSeconds?: number }): WebhookRequest {
    const nowMs = opts.nowSeconds === undefined ? this.#now() : opts.nowSeconds * 1000;
    return this.form(opts.url, { ...this.#common(opts.callSid, opts.from, opts.to, nowMs), CallStatus: 'in-progress', Digits: opts.digits }, Math.floor(nowMs / 1000));
  }

  /** The `<Record action>` request with the voicemail recording. */
  recordAction(opts: {
    url: string;
    callSid: string;
    from: string;
    to: string;
    recordingUrl: string;
    recordingDuration: number;
    nowSeconds?: number;
  }): WebhookRequest {
    const nowMs = opts.nowSeconds === undefined ? this.#now() : opts.nowSeconds * 1000;
    return this.form(
      opts.url,
      {
        ...this.#common(opts.callSid, opts.from, opts.to, nowMs),
        CallStatus: 'completed',
        RecordingUrl: opts.recordingUrl,
        RecordingSid: randomUUID(),
        RecordingDuration: String(opts.recordingDuration),
      },
      Math.floor(nowMs / 1000),
    );
  }
}

// ---- the fake API server ---------------------------------------------------------------------

export interface FakeNumber {
  phoneNumber: string;
  /** The voice connection (TeXML application) the number is assigned to; null for none. */
  connectionId?: string | null;
  messagingProfileId?: string | null;
}

export interface FakeTelnyxOptions {
  apiKey: string;
  /** The account's numbers; plain strings are assigned to the default application and profile. */
  numbers: Array<string | FakeNumber>;
  keyPair?: TelnyxKeyPair;
  /** Milliseconds since the epoch (default Date.now). */
  now?: () => number;
  /**
   * Send message.sent and then message.finalized (delivered) to each accepted message's
   * webhook_url (or the profile's), this long after accepting it. Off by default.
   */
  autoDeliver?: boolean | { delayMs?: number };
}

/** What the next POST /v2/messages does instead of (or besides) a plain 200. */
export type FakeTelnyxFault =
  | { status: 429; retryAfter?: number }
  | { status: 500 | 502 | 503 }
  | { status: 400 | 403 | 404 | 422; code: string; title?: string; detail?: string }
  | { status: 401 }
  /** Accepted and recorded, but the answer comes `answerAfterMs` late — or never. */
  | { timeout: true; answerAfterMs?: number }
  /** The connection is dropped after the request was read; `accepted` (default true) says whether Telnyx kept the message. */
  | { reset: true; accepted?: boolean }
  /** Accepted normally; finalize() without an outcome then uses this one. */
  | { finalStatus: TelnyxFinalStatus; errorCode?: string };

export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Date.now() on arrival. */
  receivedAt: number;
  /** process.hrtime.bigint() on arrival, for latency measurements. */
  receivedAtNs: bigint;
}

export interface FakeDelivery {
  request: WebhookRequest;
  /** The HTTP status the receiver answered, or null when it could not be reached. */
  status: number | null;
  error?: string;
}

export interface FakeTexmlApplication {
  id: string;
  friendly_name: string;
  voice_url: string | null;
  voice_method: 'get' | 'post';
  status_callback: string | null;
  status_callback_method: 'get' | 'post';
  [field: string]: unknown;
}

export interface FakeMessagingProfile {
  id: string;
  name: string;
  webhook_url: string | null;
  webhook_failover_url: string | null;
  webhook_api_version: '1' | '2' | '2010-04-01';
  [field: string]: unknown;
}

export interface FakeTelnyx {
  url: string;
  publicKeyBase64: string;
  privateKey: KeyObject;
  /** The default TeXML application and messaging profile (plain-string numbers are assigned to them). */
  texmlApplicationId: string;
  messagingProfileId: string;
  /** Builds signed webhooks with this account's key. */
  webhooks: TelnyxWebhooks;
  /** Every API request, in arrival order. */
  requests: RecordedRequest[];
  /** Every message Telnyx accepted, in order (copies). */
  messages(): TelnyxMessage[];
  failNext(fault: FakeTelnyxFault): void;
  /** Sends a SIGNED message.sent webhook for the message to its webhook URL. */
  markSent(messageId: string): Promise<FakeDelivery>;
  /** Finalizes the message and sends a SIGNED message.finalized webhook to its webhook URL. */
  finalize(messageId: string, outcome?: { status: TelnyxFinalStatus; errorCode?: string }): Promise<FakeDelivery>;
  texmlApplication(id?: string): FakeTexmlApplication | undefined;
  messagingProfile(id?: string): FakeMessagingProfile | undefined;
  phoneNumber(number: string): { id: string; phone_number: string; connection_id: string | null; messaging_profile_id: string | null } | undefined;
  close(): Promise<void>;
}

/** Fields POST /v2/messages documents (providers.md §3.3); the fake refuses any other. */
const MESSAGE_FIELDS = new Set([
  'to',
  'from',
  'messaging_profile_id',
  'text',
  'subject',
  'media_urls',
  'webhook_url',
  'webhook_failover_url',
  'use_profile_webhooks',
  'type',
  'auto_detect',
  'send_at',
  'encoding',
]);

/** PATCH fields [not in providers.md; from telnyx-node `TexmlApplicationUpdateParams`]. */
const TEXML_APP_FIELDS = new Set([
  'friendly_name',
  'voice_url',
  'voice_fallback_url',
  'voice_method',
  'status_callback',
  'status_callback_method',
  'active',
  'anchorsite_override',
  'call_cost_in_webhooks',
  'dtmf_type',
  'first_command_timeout',
  'first_command_timeout_secs',
  'inbound',
  'outbound',
  'tags',
]);

/** PATCH fields [not in providers.md; from telnyx-node `MessagingProfileUpdateParams`, abridged]. */
const MESSAGING_PROFILE_FIELDS = new Set([
  'name',
  'enabled',
  'webhook_url',
  'webhook_failover_url',
  'webhook_api_version',
  'whitelisted_destinations',
  'number_pool_settings',
  'url_shortener_settings',
  'alpha_sender',
  'daily_spend_limit',
  'daily_spend_limit_enabled',
  'mms_fall_back_to_sms',
  'mms_transcoding',
  'mobile_only',
  'smart_encoding',
]);

const E164 = /^\+[1-9]\d{1,14}$/;

interface ApiError {
  code: string;
  title?: string;
  detail?: string;
  pointer?: string;
}

function errorBody(errors: ApiError[]): string {
  return JSON.stringify({
    errors: errors.map((e) => ({
      code: e.code,
      title: e.title ?? telnyxErrorTitle(e.code),
      ...(e.detail === undefined ? {} : { detail: e.detail }),
      ...(e.pointer === undefined ? {} : { source: { pointer: e.pointer } }),
    })),
  });
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

export async function startFakeTelnyx(opts: FakeTelnyxOptions): Promise<FakeTelnyx> {
  const now = opts.now ?? Date.now;
  const keyPair = opts.keyPair ?? generateTelnyxKeyPair();
  const organizationId = randomUUID();
  const webhooks = new TelnyxWebhooks(keyPair.privateKey, { now, accountSid: organizationId });

  const texmlApplicationId = `1${randomBytes(8).readBigUInt64BE().toString().padStart(18, '0').slice(0, 18)}`;
  const messagingProfileId = randomUUID();
  const apps = new Map<string, FakeTexmlApplication>([
    [
      texmlApplicationId,
      { id: texmlApplicationId, record_type: 'texml_application', friendly_name: 'Default TeXML app', voice_url: null, voice_method: 'post', status_callback: null, status_callback_method: 'post' },
    ],
  ]);
  const profiles = new Map<string, FakeMessagingProfile>([
    [
      messagingProfileId,
      { id: messagingProfileId, record_type: 'messaging_profile', name: 'Default profile', webhook_url: null, webhook_failover_url: null, webhook_api_version: '2' },
    ],
  ]);
  const numbers = new Map<string, { id: string; phone_number: string; connection_id: string | null; messaging_profile_id: string | null }>();
  for (const entry of opts.numbers) {
    const n: FakeNumber = typeof entry === 'string' ? { phoneNumber: entry } : entry;
    numbers.set(n.phoneNumber, {
      id: randomBytes(8).readBigUInt64BE().toString(),
      phone_number: n.phoneNumber,
      connection_id: n.connectionId === undefined ? texmlApplicationId : n.connectionId,
      messaging_profile_id: n.messagingProfileId === undefined ? messagingProfileId : n.messagingProfileId,
    });
  }

  const requests: RecordedRequest[] = [];
  const messages = new Map<string, TelnyxMessage>();
  const planned = new Map<string, { status: TelnyxFinalStatus; errorCode?: string }>();
  const faults: FakeTelnyxFault[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let closed = false;

  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  const send = (res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}) => {
    if (res.destroyed || res.writableEnded) return;
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
    res.end(body);
  };

  const deliver = async (url: string | null, request: WebhookRequest | undefined): Promise<FakeDelivery> => {
    if (request === undefined) throw new Error('no webhook to deliver');
    if (url === null) return { request, status: null, error: 'the message has no webhook URL' };
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: Object.fromEntries(Object.entries(request.headers).filter((e): e is [string, string] => typeof e[1] === 'string')),
        body: request.rawBody,
        signal: AbortSignal.timeout(2000),
      });
      await response.arrayBuffer();
      return { request, status: response.status };
    } catch (err) {
      return { request, status: null, error: err instanceof Error ? err.message : String(err) };
    }
  };

  /** Telnyx: per-message webhook_url first, then the profile's when use_profile_webhooks. */
  const webhookUrlOf = (message: TelnyxMessage, useProfile: boolean): string | null => {
    if (message.webhook_url) return message.webhook_url;
    if (!useProfile || message.messaging_profile_id === null) return null;
    return profiles.get(message.messaging_profile_id)?.webhook_url ?? null;
  };
  const useProfileFlags = new Map<string, boolean>();

  const markSent = async (messageId: string): Promise<FakeDelivery> => {
    const message = messages.get(messageId);
    if (!message) throw new Error(`fake Telnyx has no message ${messageId}`);
    const recipient = message.to[0];
    if (recipient && recipient.status !== undefined && ['queued', 'sending'].includes(recipient.status)) recipient.status = 'sent';
    message.sent_at ??= isoNow(now());
    const url = webhookUrlOf(message, useProfileFlags.get(messageId) ?? true);
    return deliver(url, webhooks.messageEvent({ url: url ?? '', eventType: 'message.sent', message: structuredClone(message) }).request);
  };

  const finalize = async (messageId: string, outcome?: { status: TelnyxFinalStatus; errorCode?: string }): Promise<FakeDelivery> => {
    const message = messages.get(messageId);
    if (!message) throw new Error(`fake Telnyx has no message ${messageId}`);
    const final = outcome ?? planned.get(messageId) ?? { status: 'delivered' as const };
    const recipient = message.to[0];
    if (recipient) recipient.status = final.status;
    const at = isoNow(now());
    message.sent_at ??= at;
    message.completed_at = at;
    message.errors = final.errorCode === undefined ? [] : [{ code: final.errorCode, title: telnyxErrorTitle(final.errorCode) }];
    const url = webhookUrlOf(message, useProfileFlags.get(messageId) ?? true);
    return deliver(url, webhooks.messageEvent({ url: url ?? '', eventType: 'message.finalized', message: structuredClone(message) }).request);
  };

  const accept = (body: Record<string, unknown>): TelnyxMessage => {
    const at = now();
    const text = typeof body['text'] === 'string' ? body['text'] : null;
    const from = String(body['from']);
    const profileId =
      typeof body['messaging_profile_id'] === 'string' ? body['messaging_profile_id'] : (numbers.get(from)?.messaging_profile_id ?? null);
    const message: TelnyxMessage = {
      record_type: 'message',
      direction: 'outbound',
      id: randomUUID(),
      type: 'SMS',
      messaging_profile_id: profileId,
      organization_id: organizationId,
      from: { phone_number: from, carrier: 'Telnyx', line_type: 'VoIP' },
      to: [{ phone_number: String(body['to']), status: 'queued', carrier: 'T-Mobile USA', line_type: 'Wireless' }],
      cc: [],
      text,
      subject: typeof body['subject'] === 'string' ? body['subject'] : null,
      media: [],
      webhook_url: typeof body['webhook_url'] === 'string' ? body['webhook_url'] : null,
      webhook_failover_url: typeof body['webhook_failover_url'] === 'string' ? body['webhook_failover_url'] : null,
      encoding: text !== null && isGsm(text) ? 'GSM-7' : 'UCS-2',
      parts: text === null ? 1 : countSegments(text),
      tags: [],
      cost: { amount: '0.0040', currency: 'USD' },
      cost_breakdown: null,
      tcr_campaign_id: null,
      tcr_campaign_billable: false,
      tcr_campaign_registered: null,
      received_at: isoNow(at),
      sent_at: null,
      completed_at: null,
      valid_until: isoNow(at + 4 * 3600 * 1000),
      errors: [],
    };
    messages.set(message.id, message);
    useProfileFlags.set(message.id, body['use_profile_webhooks'] !== false);
    if (opts.autoDeliver) {
      const delay = typeof opts.autoDeliver === 'object' ? (opts.autoDeliver.delayMs ?? 0) : 0;
      later(delay, () => {
        if (closed) return;
        void markSent(message.id).then(() => (closed ? undefined : finalize(message.id)));
      });
    }
    return message;
  };

  /** Validates POST /v2/messages; an error answer, or undefined when the body is acceptable. */
  const validateMessage = (raw: string): { status: number; errors: ApiError[] } | { body: Record<string, unknown> } => {
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return { status: 400, errors: [{ code: '10015', detail: 'The request body is not valid JSON.' }] };
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return { status: 400, errors: [{ code: '10015', detail: 'The request body must be a JSON object.' }] };
    }
    const b = body as Record<string, unknown>;
    const errors: ApiError[] = [];
    // Strictness is the fake's own: it keeps the adapter to the documented fields.
    for (const key of Object.keys(b)) {
      if (!MESSAGE_FIELDS.has(key)) errors.push({ code: '10015', detail: `The '${key}' parameter is not a documented field of this request.`, pointer: `/${key}` });
    }
    if (b['to'] === undefined || b['to'] === null || b['to'] === '') errors.push({ code: '10004', detail: "The 'to' parameter is required.", pointer: '/to' });
    else if (typeof b['to'] !== 'string' || !E164.test(b['to'])) errors.push({ code: '10016', detail: "The 'to' parameter must be in +E.164 format.", pointer: '/to' });
    if (b['from'] === undefined || b['from'] === null || b['from'] === '') {
      if (typeof b['messaging_profile_id'] !== 'string') errors.push({ code: '10004', detail: "The 'from' parameter is required.", pointer: '/from' });
    } else if (typeof b['from'] !== 'string' || !E164.test(b['from'])) {
      errors.push({ code: '10016', detail: "The 'from' parameter must be in +E.164 format.", pointer: '/from' });
    } else if (!numbers.has(b['from'])) {
      // [code unverified: what real Telnyx answers for a sender that is not on the account]
      errors.push({ code: '10002', detail: `The 'from' number ${b['from']} is not a number on this account.`, pointer: '/from' });
    }
    const hasMedia = Array.isArray(b['media_urls']) && b['media_urls'].length > 0;
    if (b['text'] === undefined || b['text'] === null) {
      if (!hasMedia) errors.push({ code: '10004', detail: "The 'text' parameter is required for SMS.", pointer: '/text' });
    } else if (typeof b['text'] !== 'string' || b['text'] === '') {
      errors.push({ code: '10015', detail: "The 'text' parameter must be a non-empty string.", pointer: '/text' });
    }
    for (const field of ['webhook_url', 'webhook_failover_url']) {
      if (b[field] !== undefined && b[field] !== null && !isHttpUrl(b[field])) errors.push({ code: '10003', detail: `The '${field}' parameter must be a URL.`, pointer: `/${field}` });
    }
    if (b['use_profile_webhooks'] !== undefined && typeof b['use_profile_webhooks'] !== 'boolean') {
      errors.push({ code: '10015', detail: "The 'use_profile_webhooks' parameter must be a boolean.", pointer: '/use_profile_webhooks' });
    }
    if (b['messaging_profile_id'] !== undefined && (typeof b['messaging_profile_id'] !== 'string' || !profiles.has(b['messaging_profile_id']))) {
      errors.push({ code: '10005', detail: 'The messaging profile was not found.', pointer: '/messaging_profile_id' });
    }
    return errors.length > 0 ? { status: 422, errors } : { body: b };
  };

  const handleSend = (req: IncomingMessage, res: ServerResponse, raw: string) => {
    const fault = faults.shift();
    if (fault && 'status' in fault) {
      if (fault.status === 401) return send(res, 401, errorBody([{ code: '10009', detail: 'The required authentication headers were either invalid or not included in the request.' }]));
      if (fault.status === 429) {
        return send(res, 429, errorBody([{ code: '10011', detail: 'You have exceeded the maximum number of allowed requests.' }]), fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) });
      }
      if (fault.status >= 500) return send(res, fault.status, errorBody([{ code: '10007', detail: 'An unexpected error occured.' }]));
      const f = fault as { status: number; code: string; title?: string; detail?: string };
      return send(res, f.status, errorBody([{ code: f.code, ...(f.title === undefined ? {} : { title: f.title }), ...(f.detail === undefined ? {} : { detail: f.detail }) }]));
    }
    const checked = validateMessage(raw);
    if ('errors' in checked) return send(res, checked.status, errorBody(checked.errors));
    if (fault && 'reset' in fault) {
      if (fault.accepted !== false) accept(checked.body);
      req.socket.destroy();
      return;
    }
    const message = accept(checked.body);
    if (fault && 'finalStatus' in fault) planned.set(message.id, { status: fault.finalStatus, ...(fault.errorCode === undefined ? {} : { errorCode: fault.errorCode }) });
    const answer = JSON.stringify({ data: message });
    if (fault && 'timeout' in fault) {
      if (fault.answerAfterMs !== undefined) later(fault.answerAfterMs, () => send(res, 200, answer));
      return; // never answered: the socket is destroyed on close()
    }
    send(res, 200, answer);
  };

  const patch = (target: Record<string, unknown>, raw: string, allowed: Set<string>, required: string[]): { status: number; body: string } => {
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return { status: 400, body: errorBody([{ code: '10015', detail: 'The request body is not valid JSON.' }]) };
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return { status: 400, body: errorBody([{ code: '10015', detail: 'The request body must be a JSON object.' }]) };
    const b = body as Record<string, unknown>;
    const errors: ApiError[] = [];
    for (const key of Object.keys(b)) if (!allowed.has(key)) errors.push({ code: '10015', detail: `The '${key}' parameter is not a documented field of this request.`, pointer: `/${key}` });
    for (const key of required) if (typeof b[key] !== 'string' || b[key] === '') errors.push({ code: '10004', detail: `The '${key}' parameter is required.`, pointer: `/${key}` });
    for (const key of ['voice_url', 'status_callback', 'webhook_url', 'webhook_failover_url', 'voice_fallback_url']) {
      if (b[key] !== undefined && b[key] !== null && b[key] !== '' && !isHttpUrl(b[key])) errors.push({ code: '10003', detail: `The '${key}' parameter must be a URL.`, pointer: `/${key}` });
    }
    for (const key of ['voice_method', 'status_callback_method']) {
      if (b[key] !== undefined && b[key] !== 'get' && b[key] !== 'post') errors.push({ code: '10015', detail: `The '${key}' parameter must be 'get' or 'post'.`, pointer: `/${key}` });
    }
    if (b['webhook_api_version'] !== undefined && !['1', '2', '2010-04-01'].includes(String(b['webhook_api_version']))) {
      errors.push({ code: '10015', detail: "The 'webhook_api_version' parameter must be '1', '2' or '2010-04-01'.", pointer: '/webhook_api_version' });
    }
    if (errors.length > 0) return { status: 422, body: errorBody(errors) };
    Object.assign(target, b, { updated_at: isoNow(now()) });
    return { status: 200, body: JSON.stringify({ data: target }) };
  };

  const route = (req: IncomingMessage, res: ServerResponse, raw: string, path: string, query: URLSearchParams) => {
    const method = req.method ?? 'GET';
    if (method === 'POST' && path === '/v2/messages') return handleSend(req, res, raw);
    let m: RegExpExecArray | null;
    if (method === 'GET' && (m = /^\/v2\/messages\/([^/]+)$/.exec(path))) {
      const message = messages.get(decodeURIComponent(m[1] ?? ''));
      return message ? send(res, 200, JSON.stringify({ data: message })) : send(res, 404, errorBody([{ code: '10005', detail: 'The requested message could not be found.' }]));
    }
    if (method === 'GET' && path === '/v2/balance') {
      return send(res, 200, JSON.stringify({ data: { record_type: 'balance', balance: '100.00', credit_limit: '0.00', available_credit: '100.00', pending: '0.00', currency: 'USD' } }));
    }
    if (method === 'GET' && path === '/v2/phone_numbers') {
      const wanted = query.get('filter[phone_number]');
      const list = [...numbers.values()].filter((n) => wanted === null || n.phone_number === wanted);
      const data = list.map((n) => ({ ...n, record_type: 'phone_number', status: 'active', tags: [], country_iso_alpha2: 'US', phone_number_type: 'local' }));
      return send(res, 200, JSON.stringify({ data, meta: { total_pages: 1, total_results: data.length, page_number: 1, page_size: 20 } }));
    }
    if ((m = /^\/v2\/texml_applications\/([^/]+)$/.exec(path))) {
      const app = apps.get(decodeURIComponent(m[1] ?? ''));
      if (!app) return send(res, 404, errorBody([{ code: '10005', detail: 'The requested TeXML application could not be found.' }]));
      if (method === 'GET') return send(res, 200, JSON.stringify({ data: app }));
      if (method === 'PATCH') {
        // telnyx-node marks friendly_name and voice_url as required on update.
        const out = patch(app, raw, TEXML_APP_FIELDS, ['friendly_name', 'voice_url']);
        return send(res, out.status, out.body);
      }
    }
    if ((m = /^\/v2\/messaging_profiles\/([^/]+)$/.exec(path))) {
      const profile = profiles.get(decodeURIComponent(m[1] ?? ''));
      if (!profile) return send(res, 404, errorBody([{ code: '10005', detail: 'The requested messaging profile could not be found.' }]));
      if (method === 'GET') return send(res, 200, JSON.stringify({ data: profile }));
      if (method === 'PATCH') {
        const out = patch(profile, raw, MESSAGING_PROFILE_FIELDS, []);
        return send(res, out.status, out.body);
      }
    }
    return send(res, 404, errorBody([{ code: '10005', detail: `No route for ${method} ${path}.` }]));
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const parsed = new URL(req.url ?? '/', 'http://fake-telnyx');
      requests.push({
        method: req.method ?? 'GET',
        path: parsed.pathname,
        query: Object.fromEntries(parsed.searchParams),
        headers: { ...req.headers },
        body: raw,
        receivedAt: Date.now(),
        receivedAtNs: process.hrtime.bigint(),
      });
      if (req.headers.authorization !== `Bearer ${opts.apiKey}`) {
        return send(res, 401, errorBody([{ code: '10009', detail: 'The required authentication headers were either invalid or not included in the request.' }]));
      }
      route(req, res, raw, parsed.pathname, parsed.searchParams);
    });
  });
  server.keepAliveTimeout = 5000;
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    publicKeyBase64: keyPair.publicKeyBase64,
    privateKey: keyPair.privateKey,
    texmlApplicationId,
    messagingProfileId,
    webhooks,
    requests,
    messages: () => [...messages.values()].map((m) => structuredClone(m)),
    failNext: (fault) => {
      faults.push(fault);
    },
    markSent,
    finalize,
    texmlApplication: (id = texmlApplicationId) => {
      const app = apps.get(id);
      return app && structuredClone(app);
    },
    messagingProfile: (id = messagingProfileId) => {
      const profile = profiles.get(id);
      return profile && structuredClone(profile);
    },
    phoneNumber: (number) => {
      const n = numbers.get(number);
      return n && { ...n };
    },
    close: async () => {
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ---- a webhook receiver (plays Ringback's side in tests) ------------------------------------

export interface WebhookReceiver {
  url: string;
  /** Every request received, as a WebhookRequest (url = this receiver's URL + the path). */
  received: WebhookRequest[];
  /** The first request (already received or still to come) that matches. */
  waitFor(match: (req: WebhookRequest) => boolean, timeoutMs?: number): Promise<WebhookRequest>;
  close(): Promise<void>;
}

/** A local HTTP server that records the webhooks posted to it and answers 200 (or `status`). */
export async function startWebhookReceiver(opts: { status?: number } = {}): Promise<WebhookReceiver> {
  const received: WebhookRequest[] = [];
  const waiters = new Set<{ match: (req: WebhookRequest) => boolean; resolve: (req: WebhookRequest) => void }>();
  let base = '';
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request: WebhookRequest = {
        url: `${base}${req.url ?? '/'}`,
        headers: { ...req.headers },
        rawBody: Buffer.concat(chunks).toString('utf8'),
        nowSeconds: Math.floor(Date.now() / 1000),
      };
      received.push(request);
      for (const w of waiters) {
        if (w.match(request)) {
          waiters.delete(w);
          w.resolve(request);
        }
      }
      res.writeHead(opts.status ?? 200, { 'content-type': 'text/plain' });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    received,
    waitFor(match, timeoutMs = 2000) {
      const hit = received.find(match);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const waiter = { match, resolve: (req: WebhookRequest) => (clearTimeout(timer), resolve(req)) };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error('the expected webhook did not arrive'));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
