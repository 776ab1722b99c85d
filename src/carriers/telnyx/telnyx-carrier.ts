// The Telnyx adapter. Voice goes through TeXML, Telnyx's TwiML-compatible XML: the same verbs and
// Twilio-style form-encoded callbacks (CallSid, From, To, DialCallStatus, …), so rendering and
// parsing are shared with Twilio through twiml.ts; only the signature differs (Ed25519, below).
// Texts go through the Messaging API v2 (JSON) and its webhooks message.received, message.sent
// and message.finalized. Like every adapter it translates and never decides.
//
// Sources: ../shared/reference/providers.md §3 (Telnyx). Where this file relies on something that
// reference does not document, the comment says "[not in providers.md]" and names where the shape
// comes from, so it can be checked on a live account.

import { createPublicKey, verify as verifyEd25519, type KeyObject } from 'node:crypto';
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
import { parseTwimlCallEvent, renderTwiml } from '../twiml.ts';

export const TELNYX_API_BASE_URL = 'https://api.telnyx.com';
export const TELNYX_SIGNATURE_HEADER = 'telnyx-signature-ed25519';
export const TELNYX_TIMESTAMP_HEADER = 'telnyx-timestamp';
/** providers.md §3.5: reject when |now − timestamp| > 300 s. */
export const TELNYX_SIGNATURE_WINDOW_SECONDS = 300;

/** DER prefix that turns a raw 32-byte Ed25519 public key into SPKI (providers.md §3.5). */
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

const PUBLIC_KEY_MESSAGE = "must be the account's Ed25519 public key from the Telnyx portal (base64, 32 bytes)";

function isBase64Of32Bytes(value: string): boolean {
  return /^[A-Za-z0-9+/]{43}=?$/.test(value) && Buffer.from(value, 'base64').length === 32;
}

export const TelnyxCredentialsSchema = z.strictObject({
  apiKey: z
    .string()
    .trim()
    .regex(/^KEY[0-9A-Za-z_-]{10,}$/, 'must be a Telnyx API key (starts with KEY)'),
  publicKey: z.string().trim().refine(isBase64Of32Bytes, { message: PUBLIC_KEY_MESSAGE }),
  /** The TeXML application the line's number is assigned to (voice). */
  texmlApplicationId: z.string().min(1).optional(),
  /** The messaging profile the line's number is assigned to (texts). */
  messagingProfileId: z.string().min(1).optional(),
});

export type TelnyxCredentials = z.infer<typeof TelnyxCredentialsSchema>;

export interface TelnyxCarrierOptions {
  /** Default https://api.telnyx.com (paths below start with /v2). */
  apiBaseUrl?: string;
  fetch?: typeof fetch;
  /** How long a request may take before it counts as a timeout. Default 10 000 ms. */
  timeoutMs?: number;
  /**
   * After a send times out, how long the adapter keeps listening for Telnyx's late answer (which
   * carries the message id that findSentMessage needs). Default 60 000 ms.
   */
  lateAnswerMs?: number;
  /** How long findSentMessage waits for a late answer still on its way. Default: timeoutMs. */
  reconcileWaitMs?: number;
}

/** Turns the account public key (base64 of the raw 32 bytes) into a key node:crypto can verify with. */
export function telnyxPublicKey(publicKeyBase64: string): KeyObject {
  const raw = Buffer.from(publicKeyBase64, 'base64');
  if (raw.length !== 32) throw new TypeError(`Telnyx public key ${PUBLIC_KEY_MESSAGE}`);
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

/**
 * Checks a Telnyx webhook signature: Ed25519 over `${telnyx-timestamp}|${rawBody}` with the
 * account public key, and the timestamp within `windowSeconds` of `nowSeconds` either way.
 */
export function verifyTelnyxSignature(
  publicKey: KeyObject,
  req: Pick<WebhookRequest, 'headers' | 'rawBody' | 'nowSeconds'>,
  windowSeconds: number = TELNYX_SIGNATURE_WINDOW_SECONDS,
): VerifyResult {
  const signature = singleHeader(req.headers, TELNYX_SIGNATURE_HEADER);
  if (!signature.ok) return signature;
  if (signature.value === undefined) return { ok: false, reason: `missing ${TELNYX_SIGNATURE_HEADER} header` };
  const timestamp = singleHeader(req.headers, TELNYX_TIMESTAMP_HEADER);
  if (!timestamp.ok) return timestamp;
  if (timestamp.value === undefined) return { ok: false, reason: `missing ${TELNYX_TIMESTAMP_HEADER} header` };

  // The signed text uses the header exactly as sent, so it is checked, never normalised.
  if (!/^\d{1,12}$/.test(timestamp.value)) {
    return { ok: false, reason: `${TELNYX_TIMESTAMP_HEADER} header is not a Unix time in seconds` };
  }
  const age = req.nowSeconds - Number(timestamp.value);
  if (age > windowSeconds) {
    return { ok: false, reason: `signature timestamp is ${Math.ceil(age)} s old (limit ${windowSeconds} s)` };
  }
  if (age < -windowSeconds) {
    return { ok: false, reason: `signature timestamp is ${Math.ceil(-age)} s in the future (limit ${windowSeconds} s)` };
  }

  const bytes = Buffer.from(signature.value, 'base64');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(signature.value) || bytes.length !== 64) {
    return { ok: false, reason: `${TELNYX_SIGNATURE_HEADER} header is not a base64 Ed25519 signature (64 bytes)` };
  }
  const signed = Buffer.from(`${timestamp.value}|${req.rawBody}`, 'utf8');
  return verifyEd25519(null, signed, publicKey, bytes) ? { ok: true } : { ok: false, reason: 'signature does not match' };
}

/** The status of one recipient of a Telnyx message (`to[].status`, providers.md §3.3). */
export type TelnyxRecipientStatus =
  | 'queued'
  | 'sending'
  | 'sent'
  | 'expired'
  | 'sending_failed'
  | 'delivery_unconfirmed'
  | 'delivered'
  | 'delivery_failed';

/** Any `to[].status` → Ringback's status. */
const RECIPIENT_STATUS: Readonly<Record<TelnyxRecipientStatus, CarrierMessageStatus>> = {
  queued: 'queued',
  sending: 'sending',
  sent: 'sent',
  delivered: 'delivered',
  // Telnyx could not hand the message to the recipient's carrier.
  sending_failed: 'failed',
  // The recipient's carrier refused or lost it.
  delivery_failed: 'undelivered',
  // Sent, but no delivery receipt ever came: it stays "sent".
  delivery_unconfirmed: 'sent',
  // Not out of Telnyx's queue in time (valid_until passed).
  expired: 'undelivered',
};

/** The terminal statuses a `message.finalized` webhook may carry. */
const FINAL_STATUSES: ReadonlySet<string> = new Set(['delivered', 'sending_failed', 'delivery_failed', 'delivery_unconfirmed', 'expired']);

/** Ringback's status for a Telnyx `to[].status`, or undefined when Telnyx does not document it. */
export function mapTelnyxStatus(status: string): CarrierMessageStatus | undefined {
  return Object.hasOwn(RECIPIENT_STATUS, status) ? RECIPIENT_STATUS[status as TelnyxRecipientStatus] : undefined;
}

/**
 * Plain explanations of the Telnyx error codes Ringback is likely to meet (providers.md §3.6; the
 * general API codes 10009/10010/10005 are from Telnyx's API error page, source X13, not quoted
 * in providers.md).
 */
const ERROR_EXPLANATIONS: Readonly<Record<string, string>> = {
  '10001': 'the phone number is inactive',
  '10002': 'the phone number is invalid',
  '10005': 'Telnyx could not find the requested resource',
  '10009': 'Telnyx rejected the API key (authentication failed)',
  '10010': 'the API key is not allowed to do this (authorization failed)',
  '10011': 'too many requests to Telnyx; it asks to slow down',
  '10016': 'the phone number is not in +E.164 format',
  '40001': 'the number cannot receive texts (a landline or a number that is not routable)',
  '40002': "the recipient's carrier blocked the message as spam (temporary)",
  '40003': "the recipient's carrier blocked the message as spam (permanent)",
  '40004': "the recipient's carrier rejected the message",
  '40005': 'the message expired before it could be delivered',
  '40006': "the recipient's carrier was unavailable",
  '40008': 'the message could not be delivered',
  '40009': 'the message body was rejected as invalid',
  '40011': 'too many messages were sent too fast (rate limit)',
  '40300': 'the recipient replied STOP to this number; Telnyx blocks texts to them until they reply START',
  '40318': "Telnyx's sending queue for this account is full",
};

export function describeTelnyxError(code: string): string | undefined {
  return ERROR_EXPLANATIONS[code];
}

/** Synchronous refusals that mean "not accepted now, try again later" rather than "never". */
const RETRYABLE_CODES: ReadonlySet<string> = new Set(['10011', '40011', '40318']);

/** Connection errors that happen before a request is sent: nothing reached Telnyx. */
const NOT_SENT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** What came back from one HTTP request. Never a thrown error: every outcome is a value. */
type Answer =
  | { kind: 'response'; status: number; headers: Headers; text: string }
  | { kind: 'network'; sent: boolean; code: string | undefined; detail: string }
  | { kind: 'timeout' };

/** What this adapter instance knows about a message ref it tried to send. */
type Tracked =
  | { state: 'accepted'; result: SendResult }
  /** A send timed out; Telnyx's answer may still arrive. */
  | { state: 'pending'; settled: Promise<void> };

/** Refs remembered per adapter instance (oldest forgotten first). */
const MAX_TRACKED = 10_000;

export class TelnyxCarrier implements CarrierAdapter {
  readonly kind = 'telnyx' as const;
  readonly #credentials: TelnyxCredentials;
  readonly #publicKey: KeyObject;
  readonly #base: string;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;
  readonly #lateAnswerMs: number;
  readonly #reconcileWaitMs: number;
  readonly #tracked = new Map<string, Tracked>();

  constructor(credentials: TelnyxCredentials, opts: TelnyxCarrierOptions = {}) {
    const parsed = TelnyxCredentialsSchema.safeParse(credentials);
    if (!parsed.success) {
      // Issue messages name the field and the rule, never the value (which may be a secret).
      const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'credentials'} ${i.message}`);
      throw new TypeError(`invalid Telnyx credentials: ${problems.join('; ')}`);
    }
    this.#credentials = parsed.data;
    this.#publicKey = telnyxPublicKey(parsed.data.publicKey);
    this.#base = (opts.apiBaseUrl ?? TELNYX_API_BASE_URL).replace(/\/+$/, '');
    this.#fetch = opts.fetch ?? globalThis.fetch;
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
    this.#lateAnswerMs = Math.max(opts.lateAnswerMs ?? 60_000, this.#timeoutMs);
    this.#reconcileWaitMs = opts.reconcileWaitMs ?? this.#timeoutMs;
  }

  verifyWebhook(req: WebhookRequest): VerifyResult {
    return verifyTelnyxSignature(this.#publicKey, req);
  }

  /**
   * TeXML callbacks are Twilio-style forms (providers.md §3.2); twiml.ts reads them. A JSON body
   * is a Call Control event: Ringback reads those only for calls placed FROM the account's
   * numbers (direction outgoing), which tell it someone at the business called a contact back.
   */
  parseCallEvent(req: WebhookRequest, hook: WebhookKind): CallEvent {
    if (looksLikeJson(req.rawBody)) {
      const outgoing = parseOutgoingCallControl(req.rawBody);
      if (outgoing) return outgoing;
      throw new MalformedWebhookError(
        'Telnyx voice webhook has a JSON body, but TeXML callbacks are form-encoded (a messaging or Call Control webhook sent to a voice endpoint?)',
      );
    }
    return parseTwimlCallEvent(req, hook, 'Telnyx');
  }

  parseInboundMessage(req: WebhookRequest): InboundMessage {
    const event = readEvent(req.rawBody);
    if (event.type !== 'message.received') {
      throw new MalformedWebhookError(`Telnyx messaging webhook field data.event_type must be "message.received"; got ${JSON.stringify(event.type)}`);
    }
    const payload = event.field(['payload']);
    const receivedAt = payload.has(['received_at']) ? payload.date(['received_at']) : event.date(['occurred_at']);
    return {
      carrierMessageId: payload.string(['id']),
      from: payload.string(['from', 'phone_number']),
      to: payload.string(['to', 0, 'phone_number']),
      body: messageText(payload),
      receivedAt,
    };
  }

  parseStatusUpdate(req: WebhookRequest): StatusUpdate {
    const event = readEvent(req.rawBody);
    const payload = event.field(['payload']);
    let status: CarrierMessageStatus;
    if (event.type === 'message.sent') {
      // Accepted and handed to the recipient's carrier. A message.sent arriving after
      // message.finalized still says "sent": the service keeps statuses from going backwards.
      status = 'sent';
    } else if (event.type === 'message.finalized') {
      const final = payload.string(['to', 0, 'status']);
      if (!FINAL_STATUSES.has(final)) {
        throw new MalformedWebhookError(
          `Telnyx message.finalized field data.payload.to[0].status must be one of ${[...FINAL_STATUSES].join(', ')}; got ${JSON.stringify(final)}`,
        );
      }
      status = RECIPIENT_STATUS[final as TelnyxRecipientStatus];
    } else {
      throw new MalformedWebhookError(
        `Telnyx messaging webhook field data.event_type must be "message.sent" or "message.finalized"; got ${JSON.stringify(event.type)}`,
      );
    }
    const errorCode = payload.optionalCode(['errors', 0, 'code']);
    return {
      carrierMessageId: payload.string(['id']),
      status,
      ...(errorCode === undefined ? {} : { errorCode }),
      occurredAt: event.date(['occurred_at']),
    };
  }

  renderCallResponse(instructions: CallInstructions): CallResponse {
    return renderTwiml(instructions);
  }

  /**
   * POST /v2/messages (providers.md §3.3). Per-message `webhook_url` takes priority over the
   * messaging profile's URL; `use_profile_webhooks: false` keeps status events away from the
   * profile URL (Ringback's inbound-text endpoint). `validitySeconds` has no documented request
   * field (valid_until is only in the response), so it is not sent: the send job's own deadline
   * covers it.
   */
  async sendMessage(message: OutboundMessage): Promise<SendResult> {
    const known = this.#tracked.get(message.ref);
    if (known?.state === 'accepted') return known.result;
    if (known?.state === 'pending') {
      await within(known.settled, this.#timeoutMs);
      const now = this.#tracked.get(message.ref);
      if (now?.state === 'accepted') return now.result;
      if (now?.state === 'pending') {
        throw new CarrierError('ambiguous', 'an earlier attempt to send this message is still waiting for an answer from Telnyx', { code: 'timeout' });
      }
    }

    const body: Record<string, unknown> = { from: message.from, to: message.to, text: message.body };
    if (message.statusCallbackUrl !== undefined) {
      body['webhook_url'] = message.statusCallbackUrl;
      body['use_profile_webhooks'] = false;
    }
    if (this.#credentials.messagingProfileId !== undefined) body['messaging_profile_id'] = this.#credentials.messagingProfileId;

    // The request is not cut off at the timeout: Ringback stops waiting (ambiguous), but keeps
    // listening for a late answer, whose message id lets findSentMessage reconcile.
    const controller = new AbortController();
    const hardStop = setTimeout(() => controller.abort(), this.#lateAnswerMs);
    hardStop.unref();
    const answer = this.#send('POST', '/v2/messages', body, controller.signal).finally(() => clearTimeout(hardStop));
    const first = await within(answer, this.#timeoutMs);
    if (first === TIMED_OUT) {
      this.#trackLateAnswer(message.ref, answer);
      throw new CarrierError('ambiguous', `Telnyx did not answer within ${this.#timeoutMs} ms; the message may have been accepted`, {
        code: 'timeout',
      });
    }
    const result = this.#sendResult(first);
    this.#remember(message.ref, { state: 'accepted', result });
    return result;
  }

  /**
   * Reconciliation after an ambiguous send. Telnyx documents no idempotency key for
   * POST /v2/messages and no way to list messages by recipient in the subset Ringback relies on
   * (providers.md §3.3), so the only thing that can be asked is GET /v2/messages/{id}, which
   * needs the id from Telnyx's answer. This adapter keeps that answer in memory, including one
   * that arrives after the timeout. When no answer ever arrived (a crash, a reset connection,
   * an answer later than `lateAnswerMs`), Telnyx cannot be asked: this returns null and the
   * message is sent again, so the recipient may get it twice — at most once more per lost answer.
   */
  async findSentMessage(message: OutboundMessage): Promise<SendResult | null> {
    let known = this.#tracked.get(message.ref);
    if (known?.state === 'pending') {
      await within(known.settled, this.#reconcileWaitMs);
      known = this.#tracked.get(message.ref);
      if (known?.state === 'pending') {
        // Not null: the message may yet turn out to be accepted. The job retries later.
        throw new CarrierError('ambiguous', 'Telnyx has not answered the earlier send of this message yet; try again later', { code: 'timeout' });
      }
    }
    if (known === undefined) return null;

    const id = known.result.carrierMessageId;
    const answer = await this.#request('GET', `/v2/messages/${encodeURIComponent(id)}`);
    if (answer.kind === 'response' && answer.status === 200) {
      const data = jsonData(answer.text);
      if (data && data['id'] === id) {
        const status = mapTelnyxStatus(String(firstRecipient(data)?.['status'] ?? '')) ?? known.result.status;
        const parts = data['parts'];
        return {
          carrierMessageId: id,
          status,
          ...(typeof parts === 'number' && Number.isInteger(parts) && parts > 0 ? { segments: parts } : {}),
        };
      }
    }
    // Telnyx gave us this id, so it accepted the message; a failed look-up (or a message older
    // than the 10 days GET /v2/messages/{id} covers) does not change that.
    return known.result;
  }

  /**
   * GET /v2/balance: the cheap read-only call Telnyx's own API troubleshooting page starts with
   * [not in providers.md; path from Telnyx's docs and telnyx-node `balance.ts`]. Then the
   * configured TeXML application and messaging profile, so a wrong id shows up here.
   */
  async checkAccount(): Promise<AccountCheck> {
    const balance = await this.#request('GET', '/v2/balance');
    const problem = accountProblem(balance, this.#base);
    if (problem) return { ok: false, problem };
    const { texmlApplicationId, messagingProfileId } = this.#credentials;
    if (texmlApplicationId !== undefined) {
      const app = await this.#request('GET', `/v2/texml_applications/${encodeURIComponent(texmlApplicationId)}`);
      if (app.kind === 'response' && app.status === 404) {
        return { ok: false, problem: `the TeXML application ${texmlApplicationId} was not found on this Telnyx account` };
      }
      const appProblem = accountProblem(app, this.#base);
      if (appProblem) return { ok: false, problem: appProblem };
    }
    if (messagingProfileId !== undefined) {
      const profile = await this.#request('GET', `/v2/messaging_profiles/${encodeURIComponent(messagingProfileId)}`);
      if (profile.kind === 'response' && profile.status === 404) {
        return { ok: false, problem: `the messaging profile ${messagingProfileId} was not found on this Telnyx account` };
      }
      const profileProblem = accountProblem(profile, this.#base);
      if (profileProblem) return { ok: false, problem: profileProblem };
    }
    return { ok: true };
  }

  /**
   * Where the number's calls and texts go now: the voice_url of the TeXML application the number
   * is assigned to, and the webhook_url of its messaging profile. [not in providers.md: the
   * paths, `filter[phone_number]`, and the number's `connection_id` / `messaging_profile_id`
   * fields are from telnyx-node (`phone-numbers.ts`, `texml-applications.ts`,
   * `messaging-profiles.ts`); check on a live account.]
   */
  async inspectNumber(number: string): Promise<NumberInspection> {
    const record = await this.#findNumber(number);
    if (record === null) return { found: false };
    const inspection: NumberInspection = { found: true };

    // A TeXML application is a voice connection: the number points at it through connection_id.
    const voiceApp = assignment(record, 'connection_id', this.#credentials.texmlApplicationId);
    if (voiceApp === null) inspection.voiceUrl = null;
    else if (voiceApp !== undefined) {
      const app = await this.#resource(`/v2/texml_applications/${encodeURIComponent(voiceApp)}`, 'the TeXML application', true);
      inspection.voiceUrl = app === null ? null : stringOrNull(app['voice_url']);
    }

    const profileId = assignment(record, 'messaging_profile_id', this.#credentials.messagingProfileId);
    if (profileId === null) inspection.messagesUrl = null;
    else if (profileId !== undefined) {
      const profile = await this.#resource(`/v2/messaging_profiles/${encodeURIComponent(profileId)}`, 'the messaging profile', true);
      inspection.messagesUrl = profile === null ? null : stringOrNull(profile['webhook_url']);
    }
    return inspection;
  }

  /**
   * Points the connection's TeXML application and messaging profile at Ringback. Both are shared
   * by every number assigned to them, which is fine: Ringback's webhook URLs are per connection.
   * Request shapes [not in providers.md; from telnyx-node]: PATCH /v2/texml_applications/{id}
   * requires friendly_name and voice_url (so the current name is read first and sent back);
   * PATCH /v2/messaging_profiles/{id} takes webhook_url and webhook_api_version ("2" selects the
   * JSON envelope this adapter parses).
   */
  async configureNumber(number: string, webhooks: LineWebhooks): Promise<void> {
    const record = await this.#findNumber(number);
    if (record === null) {
      throw new CarrierError('permanent', `${number} is not a phone number on this Telnyx account`, { code: 'number_not_found' });
    }
    const { texmlApplicationId, messagingProfileId } = this.#credentials;
    const steps: string[] = [];

    if (texmlApplicationId === undefined) {
      steps.push(
        `In the Telnyx portal, open Voice › TeXML Applications and create (or open) an application; set its Voice URL to ${webhooks.voice} with method POST and its Status Callback URL to ${webhooks.voiceStatus} with method POST; assign ${number} to it; then add the application's id to this Ringback carrier connection as texmlApplicationId.`,
      );
    } else {
      const app = await this.#resource(`/v2/texml_applications/${encodeURIComponent(texmlApplicationId)}`, 'the TeXML application', false);
      const friendlyName = typeof app?.['friendly_name'] === 'string' && app['friendly_name'] !== '' ? app['friendly_name'] : 'Ringback';
      await this.#update(`/v2/texml_applications/${encodeURIComponent(texmlApplicationId)}`, 'the TeXML application', {
        friendly_name: friendlyName,
        voice_url: webhooks.voice,
        voice_method: 'post',
        status_callback: webhooks.voiceStatus,
        status_callback_method: 'post',
      });
      const assigned = record['connection_id'];
      if (assigned !== undefined && assigned !== texmlApplicationId) {
        steps.push(
          `In the Telnyx portal, open Numbers › My Numbers and set the connection of ${number} to the TeXML application ${texmlApplicationId} (it is ${assigned === null ? 'not assigned to any' : `assigned to ${String(assigned)}`} now).`,
        );
      }
    }

    if (messagingProfileId === undefined) {
      steps.push(
        `In the Telnyx portal, open Messaging › Messaging Profiles and create (or open) a profile; set its inbound webhook URL to ${webhooks.messages} with API version 2; assign ${number} to it; then add the profile's id to this Ringback carrier connection as messagingProfileId.`,
      );
    } else {
      await this.#update(`/v2/messaging_profiles/${encodeURIComponent(messagingProfileId)}`, 'the messaging profile', {
        webhook_url: webhooks.messages,
        webhook_api_version: '2',
      });
      const assigned = record['messaging_profile_id'];
      if (assigned !== undefined && assigned !== messagingProfileId) {
        steps.push(
          `In the Telnyx portal, open Numbers › My Numbers and set the messaging profile of ${number} to ${messagingProfileId} (it is ${assigned === null ? 'not assigned to any' : `assigned to ${String(assigned)}`} now).`,
        );
      }
    }

    if (steps.length > 0) {
      throw new CarrierError('permanent', `Telnyx needs setup before ${number} reaches Ringback. ${steps.join(' ')}`, { code: 'needs_setup' });
    }
  }

  // ---- HTTP --------------------------------------------------------------------------------

  /** One request, never rejecting; the caller decides how long to wait. */
  async #send(method: string, path: string, body: unknown, signal: AbortSignal): Promise<Answer> {
    try {
      const response = await this.#fetch(`${this.#base}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.#credentials.apiKey}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal,
      });
      const text = await response.text();
      return { kind: 'response', status: response.status, headers: response.headers, text };
    } catch (err) {
      if (signal.aborted) return { kind: 'timeout' };
      const code = errorCode(err);
      return { kind: 'network', sent: code === undefined || !NOT_SENT_CODES.has(code), code, detail: this.#scrub(errorText(err)) };
    }
  }

  /** A request cut off at timeoutMs (for everything except sends, which keep a late answer). */
  #request(method: string, path: string, body?: unknown): Promise<Answer> {
    return this.#send(method, path, body, AbortSignal.timeout(this.#timeoutMs));
  }

  #trackLateAnswer(ref: string, answer: Promise<Answer>): void {
    const settled = answer.then((late) => {
      if (this.#tracked.get(ref) !== entry) return;
      try {
        this.#remember(ref, { state: 'accepted', result: this.#sendResult(late) });
      } catch {
        // Refused, or still unknowable (5xx, reset, no answer at all): nothing to reconcile with.
        this.#tracked.delete(ref);
      }
    });
    const entry: Tracked = { state: 'pending', settled };
    this.#remember(ref, entry);
  }

  #remember(ref: string, tracked: Tracked): void {
    this.#tracked.delete(ref);
    this.#tracked.set(ref, tracked);
    while (this.#tracked.size > MAX_TRACKED) {
      const oldest = this.#tracked.keys().next();
      if (oldest.done) break;
      this.#tracked.delete(oldest.value);
    }
  }

  /** A send's answer → its result, or the CarrierError that says what to do next. */
  #sendResult(answer: Answer): SendResult {
    if (answer.kind === 'timeout') {
      throw new CarrierError('ambiguous', 'Telnyx did not answer in time; the message may have been accepted', { code: 'timeout' });
    }
    if (answer.kind === 'network') {
      if (!answer.sent) {
        throw new CarrierError('retryable', `could not connect to Telnyx (${answer.detail}); nothing was sent`, { code: answer.code ?? 'network' });
      }
      throw new CarrierError('ambiguous', `the connection to Telnyx failed after the request was sent (${answer.detail}); the message may have been accepted`, {
        code: answer.code ?? 'network',
      });
    }
    if (answer.status >= 200 && answer.status < 300) {
      const data = jsonData(answer.text);
      const id = data?.['id'];
      if (!data || typeof id !== 'string' || id === '') {
        throw new CarrierError('ambiguous', `Telnyx answered ${answer.status} without a message id; the message may have been accepted`, { code: 'bad_response' });
      }
      const parts = data['parts'];
      return {
        carrierMessageId: id,
        status: mapTelnyxStatus(String(firstRecipient(data)?.['status'] ?? '')) ?? 'queued',
        ...(typeof parts === 'number' && Number.isInteger(parts) && parts > 0 ? { segments: parts } : {}),
      };
    }
    throw this.#httpError(answer, 'the message', false);
  }

  /**
   * A non-2xx answer → CarrierError. 429 (Telnyx code 10011) is retryable with Retry-After; 5xx
   * may have been processed, so it is ambiguous for a send (retryable for idempotent requests);
   * 4xx is permanent with Telnyx's code (JSON:API `errors[0].code`), except codes that mean
   * "not now". 401 without a body is given code 10009, Telnyx's "Authentication failed".
   */
  #httpError(answer: Extract<Answer, { kind: 'response' }>, what: string, idempotent: boolean): CarrierError {
    const error = firstError(answer.text);
    const code = error?.code ?? defaultCode(answer.status);
    const said = this.#scrub([error?.title, error?.detail].filter((s): s is string => typeof s === 'string' && s !== '').join(': '));
    const explained = code === undefined ? undefined : describeTelnyxError(code);
    const text = [`Telnyx refused ${what} (HTTP ${answer.status}${code === undefined ? '' : `, code ${code}`})`, said, explained]
      .filter((s) => s !== undefined && s !== '')
      .join(' — ');
    const opts = { ...(code === undefined ? {} : { code }) };
    if (answer.status === 429 || (code !== undefined && RETRYABLE_CODES.has(code))) {
      const retryAfterMs = retryAfter(answer.headers.get('retry-after'));
      return new CarrierError('retryable', text, { ...opts, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
    }
    if (answer.status === 408) return new CarrierError('retryable', text, opts);
    if (answer.status >= 500) {
      const retryAfterMs = retryAfter(answer.headers.get('retry-after'));
      return new CarrierError(idempotent ? 'retryable' : 'ambiguous', idempotent ? text : `${text} — the message may have been accepted`, {
        ...opts,
        ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      });
    }
    return new CarrierError('permanent', text, opts);
  }

  /** GET of an idempotent resource; CarrierError on failure; null on 404 when `allowMissing`. */
  async #resource(path: string, what: string, allowMissing: boolean): Promise<Record<string, unknown> | null> {
    const answer = await this.#request('GET', path);
    if (answer.kind === 'response' && answer.status === 404) {
      if (allowMissing) return null;
      throw new CarrierError('permanent', `${what} ${decodeURIComponent(path.split('/').pop() ?? '')} was not found on this Telnyx account`, {
        code: 'needs_setup',
      });
    }
    if (answer.kind !== 'response' || answer.status < 200 || answer.status >= 300) throw this.#idempotentFailure(answer, what);
    return jsonData(answer.text) ?? {};
  }

  async #update(path: string, what: string, body: Record<string, unknown>): Promise<void> {
    const answer = await this.#request('PATCH', path, body);
    if (answer.kind === 'response' && answer.status >= 200 && answer.status < 300) return;
    if (answer.kind === 'response' && answer.status === 404) {
      throw new CarrierError('permanent', `${what} ${decodeURIComponent(path.split('/').pop() ?? '')} was not found on this Telnyx account`, {
        code: 'needs_setup',
      });
    }
    throw this.#idempotentFailure(answer, `the change to ${what}`);
  }

  #idempotentFailure(answer: Answer, what: string): CarrierError {
    if (answer.kind === 'timeout') return new CarrierError('retryable', `Telnyx did not answer in time about ${what}`, { code: 'timeout' });
    if (answer.kind === 'network') return new CarrierError('retryable', `could not reach Telnyx about ${what} (${answer.detail})`, { code: answer.code ?? 'network' });
    return this.#httpError(answer, what, true);
  }

  /** The number's record from GET /v2/phone_numbers?filter[phone_number]=…, or null. */
  async #findNumber(number: string): Promise<Record<string, unknown> | null> {
    const query = new URLSearchParams({ 'filter[phone_number]': number });
    const answer = await this.#request('GET', `/v2/phone_numbers?${query.toString()}`);
    if (answer.kind !== 'response' || answer.status < 200 || answer.status >= 300) throw this.#idempotentFailure(answer, `the number ${number}`);
    let list: unknown;
    try {
      list = (JSON.parse(answer.text) as { data?: unknown }).data;
    } catch {
      list = undefined;
    }
    if (!Array.isArray(list)) throw new CarrierError('retryable', `Telnyx answered the number look-up for ${number} without a list`, { code: 'bad_response' });
    const match = list.find((n): n is Record<string, unknown> => isRecord(n) && n['phone_number'] === number);
    return match ?? null;
  }

  /** Never let the API key into a message, whatever Telnyx or the network says. */
  #scrub(text: string): string {
    return text.split(this.#credentials.apiKey).join('[api key]');
  }
}

// ---- webhook bodies --------------------------------------------------------------------------

function looksLikeJson(rawBody: string): boolean {
  const first = rawBody.trimStart()[0];
  return first === '{' || first === '[';
}

type Path = ReadonlyArray<string | number>;

function pathName(path: Path): string {
  return path.reduce<string>((name, part) => (typeof part === 'number' ? `${name}[${part}]` : name === '' ? part : `${name}.${part}`), '');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function dig(root: unknown, path: Path): unknown {
  let node = root;
  for (const part of path) {
    if (typeof part === 'number') {
      if (!Array.isArray(node)) return undefined;
      node = node[part];
    } else {
      if (!isRecord(node) || !Object.hasOwn(node, part)) return undefined;
      node = node[part];
    }
  }
  return node;
}

/** A view into the JSON webhook below `prefix`, whose errors name the full field path. */
interface Fields {
  has(path: Path): boolean;
  field(path: Path): Fields;
  string(path: Path): string;
  text(path: Path): string | undefined;
  date(path: Path): Date;
  optionalCode(path: Path): string | undefined;
  raw(path: Path): unknown;
}

function fieldsAt(root: unknown, prefix: Path): Fields {
  const name = (path: Path) => pathName([...prefix, ...path]);
  const get = (path: Path) => dig(root, [...prefix, ...path]);
  const self: Fields = {
    has: (path) => {
      const v = get(path);
      return v !== undefined && v !== null;
    },
    field: (path) => {
      if (!isRecord(get(path))) throw new MalformedWebhookError(`Telnyx webhook field ${name(path)} is missing or not an object`);
      return fieldsAt(root, [...prefix, ...path]);
    },
    string: (path) => {
      const v = get(path);
      if (v === undefined || v === null) throw new MalformedWebhookError(`Telnyx webhook field ${name(path)} is missing`);
      if (typeof v !== 'string') throw new MalformedWebhookError(`Telnyx webhook field ${name(path)} must be a string; got ${JSON.stringify(v)}`);
      if (v === '') throw new MalformedWebhookError(`Telnyx webhook field ${name(path)} must not be empty`);
      return v;
    },
    text: (path) => {
      const v = get(path);
      if (v === undefined || v === null) return undefined;
      if (typeof v !== 'string') throw new MalformedWebhookError(`Telnyx webhook field ${name(path)} must be a string; got ${JSON.stringify(v)}`);
      return v;
    },
    date: (path) => {
      const v = self.string(path);
      const parsed = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(v) ? new Date(v) : undefined;
      if (!parsed || Number.isNaN(parsed.getTime())) {
        throw new MalformedWebhookError(`Telnyx webhook field ${name(path)} must be an ISO 8601 date-time; got ${JSON.stringify(v)}`);
      }
      return parsed;
    },
    optionalCode: (path) => {
      const v = get(path);
      if (v === undefined || v === null) return undefined;
      if (typeof v === 'number' && Number.isInteger(v)) return String(v);
      if (typeof v === 'string' && v !== '') return v;
      throw new MalformedWebhookError(`Telnyx webhook field ${name(path)} must be an error code; got ${JSON.stringify(v)}`);
    },
    raw: (path) => get(path),
  };
  return self;
}

/** The messaging webhook envelope `{data:{event_type, id, occurred_at, payload}}` (providers.md §3.4). */
function readEvent(rawBody: string): Fields & { type: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody);
  } catch {
    throw new MalformedWebhookError('Telnyx messaging webhook body is not JSON (a TeXML voice callback sent to a messaging endpoint?)');
  }
  if (!isRecord(parsed)) throw new MalformedWebhookError('Telnyx messaging webhook body must be a JSON object');
  const data = fieldsAt(parsed, []).field(['data']);
  return Object.assign(data, { type: data.string(['event_type']) });
}

/**
 * call.hangup `hangup_cause` (providers.md §3.1) for a call placed from the line → what became
 * of it. normal_clearing and time_limit end a call that was answered; the rest never connected.
 */
const HANGUP_OUTCOMES: Readonly<Record<string, OutboundCallOutcome>> = {
  normal_clearing: 'answered',
  time_limit: 'answered',
  timeout: 'missed',
  no_answer: 'missed',
  call_rejected: 'missed',
  // The business hung up before the contact answered.
  originator_cancel: 'missed',
  user_busy: 'busy',
  not_found: 'failed',
  unspecified: 'failed',
};

/**
 * A Call Control event about a call placed FROM one of the account's numbers (payload.direction
 * `outgoing`); undefined for any other JSON body. Its call.hangup is the call.outbound event;
 * earlier events (initiated, answered, bridged) are progress. The leg's id is call_control_id.
 * [not in providers.md: start_time and end_time on call.hangup (from Telnyx's call.hangup
 * webhook example); without them the event's occurred_at is the end and the start.]
 */
function parseOutgoingCallControl(rawBody: string): CallEvent | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(rawBody);
  } catch {
    return undefined;
  }
  const type = dig(parsed, ['data', 'event_type']);
  if (typeof type !== 'string' || !type.startsWith('call.') || dig(parsed, ['data', 'payload', 'direction']) !== 'outgoing') return undefined;
  const event = fieldsAt(parsed, []).field(['data']);
  const payload = event.field(['payload']);
  const carrierCallId = payload.string(['call_control_id']);
  const from = payload.string(['from']);
  // Still going: `to` names the line the call belongs to.
  if (type !== 'call.hangup') return { type: 'call.progress', carrierCallId, to: from, status: type };
  const cause = payload.string(['hangup_cause']);
  const outcome = Object.hasOwn(HANGUP_OUTCOMES, cause) ? HANGUP_OUTCOMES[cause] : undefined;
  if (outcome === undefined) {
    throw new MalformedWebhookError(`Telnyx webhook field data.payload.hangup_cause must be one of ${Object.keys(HANGUP_OUTCOMES).join(', ')}; got ${JSON.stringify(cause)}`);
  }
  const endedAt = payload.has(['end_time']) ? payload.date(['end_time']) : event.date(['occurred_at']);
  const startedAt = payload.has(['start_time']) ? payload.date(['start_time']) : endedAt;
  return { type: 'call.outbound', carrierCallId, from, to: payload.string(['to']), outcome, startedAt: startedAt <= endedAt ? startedAt : endedAt, endedAt };
}

/** The text of an inbound message: empty for an MMS that carries only media. */
function messageText(payload: Fields): string {
  const text = payload.text(['text']);
  if (text !== undefined) return text;
  const media = payload.raw(['media']);
  if (Array.isArray(media) && media.length > 0) return '';
  throw new MalformedWebhookError('Telnyx webhook field data.payload.text is missing (and the message has no media)');
}

// ---- API answers -----------------------------------------------------------------------------

function jsonData(text: string): Record<string, unknown> | undefined {
  try {
    const parsed = JSON.parse(text) as unknown;
    const data = isRecord(parsed) ? parsed['data'] : undefined;
    return isRecord(data) ? data : undefined;
  } catch {
    return undefined;
  }
}

function firstRecipient(data: Record<string, unknown>): Record<string, unknown> | undefined {
  const to = data['to'];
  const first = Array.isArray(to) ? (to[0] as unknown) : undefined;
  return isRecord(first) ? first : undefined;
}

/** JSON:API `errors[0]` as `{code, title, detail}` (providers.md §3.3). */
function firstError(text: string): { code?: string; title?: string; detail?: string } | undefined {
  try {
    const parsed = JSON.parse(text) as unknown;
    const errors = isRecord(parsed) ? parsed['errors'] : undefined;
    const first = Array.isArray(errors) ? (errors[0] as unknown) : undefined;
    if (!isRecord(first)) return undefined;
    const code = first['code'];
    return {
      ...(typeof code === 'string' && code !== '' ? { code } : typeof code === 'number' ? { code: String(code) } : {}),
      ...(typeof first['title'] === 'string' ? { title: first['title'] } : {}),
      ...(typeof first['detail'] === 'string' ? { detail: first['detail'] } : {}),
    };
  } catch {
    return undefined;
  }
}

function defaultCode(status: number): string | undefined {
  if (status === 401) return '10009';
  if (status === 403) return '10010';
  if (status === 429) return '10011';
  return undefined;
}

/** Retry-After in seconds or as an HTTP date → milliseconds. */
function retryAfter(header: string | null): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

function accountProblem(answer: Answer, base: string): string | undefined {
  if (answer.kind === 'timeout') return `Telnyx at ${base} did not answer in time`;
  if (answer.kind === 'network') return `could not reach Telnyx at ${base} (${answer.detail})`;
  if (answer.status >= 200 && answer.status < 300) return undefined;
  if (answer.status === 401) return 'Telnyx rejected the API key';
  if (answer.status === 403) return 'Telnyx accepted the API key but does not allow it to read this account';
  return `Telnyx answered HTTP ${answer.status}`;
}

/**
 * The id a number is assigned to: the record's own field when Telnyx returns it (null when the
 * number is assigned to nothing), else the configured id, else undefined (unknown).
 */
function assignment(record: Record<string, unknown>, field: string, configured: string | undefined): string | null | undefined {
  const value = record[field];
  if (value === null || value === '') return null;
  if (typeof value === 'string') return value;
  return configured;
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function singleHeader(
  headers: WebhookRequest['headers'],
  name: string,
): { ok: true; value: string | undefined } | { ok: false; reason: string } {
  let found: string | string[] | undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name && value !== undefined) found = value;
  }
  if (Array.isArray(found)) {
    if (found.length > 1) return { ok: false, reason: `more than one ${name} header` };
    return { ok: true, value: found[0] };
  }
  return { ok: true, value: found };
}

function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    if (isRecord(e) || e instanceof Error) {
      const rec = e as { code?: unknown; cause?: unknown; errors?: unknown };
      if (typeof rec.code === 'string') return rec.code;
      if (Array.isArray(rec.errors) && rec.errors.length > 0) {
        const inner = errorCode(rec.errors[0]);
        if (inner !== undefined) return inner;
      }
      e = rec.cause;
    } else break;
  }
  return undefined;
}

function errorText(err: unknown): string {
  const code = errorCode(err);
  const message = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
  return code !== undefined && !message.includes(code) ? `${code}: ${message}` : message || 'network error';
}

const TIMED_OUT = Symbol('timed out');

/** The promise's value, or TIMED_OUT after `ms` (the promise itself keeps running). */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
