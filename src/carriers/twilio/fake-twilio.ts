// A fake of Twilio's REST API on a real HTTP server (127.0.0.1, a free port), for tests and for
// the benchmark, plus helpers that produce SIGNED Twilio webhooks exactly as Twilio sends them.
//
// What it does like Twilio: HTTP Basic auth (401, error 20003), Message create / list (with the
// To, From, DateSent filters) / fetch, Account fetch, IncomingPhoneNumbers list / fetch / update,
// Twilio's JSON error bodies, Retry-After on 429. Response bodies follow the description's
// schemas (api.v2010.account.message, …).
//
// What it adds for tests: every request is checked against Twilio's OpenAPI description
// (test/fixtures/twilio/twilio_api_v2010.json); a request that does not match gets a 400 saying
// so and is recorded in `violations()`, so a test can assert that none happened. Faults can be
// injected for the next request (rate limit, server error, Twilio error codes, a timeout after the
// message was created, a connection reset, bad credentials), or an outage switched on and off
// (setOutage: every message create answered 503 or 429 until it ends), or a slow carrier
// (setLatency: the message is created at once, its answer comes later).
//
// Cheap per request: the description is read once per process and only when `validate` is on.

import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { WebhookRequest } from '../carrier.ts';
import { countSegments } from '../simulator/segments.ts';
import { TWILIO_SIGNATURE_HEADER, signTwilioJsonRequest, signTwilioRequest } from './signature.ts';

export { signTwilioJsonRequest, signTwilioRequest } from './signature.ts';

const API_VERSION = '2010-04-01';

export type TwilioFinalStatus = 'sent' | 'delivered' | 'undelivered' | 'failed';

/** What the fake does with the next request (of the kind `failNext` was told). */
export type FakeTwilioFault =
  /** 429 Too Many Requests (error 20429), with a Retry-After header when given (seconds or an HTTP date). */
  | { status: 429; retryAfter?: number | string }
  /** A server error. `created`: the message was created all the same (Twilio's create is not idempotent). */
  | { status: 500 | 502 | 503; created?: boolean }
  /** A Twilio error code with its JSON body (status 400 unless given): 21610, 21211, 21614, 21612, 21408, 21606, 30034… */
  | { twilioCode: number; status?: number; message?: string }
  /** Bad credentials (error 20003). */
  | { status: 401 }
  /** The message is created, then the fake never answers. */
  | { timeout: true }
  /** The message is created, then the connection is cut before the answer. */
  | { reset: true }
  /** Accepted normally; its final status (see statusCallbackRequest) is this failure with this error code. */
  | { deliver: 'undelivered' | 'failed'; errorCode: string };

/**
 * A carrier outage: every message-create request (or, with `on: 'any'`, every request) is
 * refused this way until the outage is ended with `setOutage(null)`. Nothing is created.
 */
export type FakeTwilioOutage = { status: 429; retryAfter?: number | string } | { status: 500 | 502 | 503 };

export interface RecordedRequest {
  method: string;
  /** The path, percent-encoded as sent. */
  path: string;
  /** Query parameters, decoded (last value wins; `rawQuery` has them all). */
  query: Record<string, string>;
  rawQuery: string;
  /** Form body parameters, decoded (last value wins; `rawBody` has them all). */
  form: Record<string, string>;
  rawBody: string;
  contentType: string | undefined;
  /** performance.now() when the request arrived (headers received). */
  at: number;
  date: Date;
  /** The HTTP status answered; undefined while unanswered (or never, after a timeout fault). */
  status: number | undefined;
  /** Differences from Twilio's OpenAPI description; empty when the request is valid. */
  violations: string[];
}

export interface FakeTwilioMessage {
  sid: string;
  from: string;
  to: string;
  body: string;
  /** The status Twilio would show now (queued in the create answer, then sent, then the callback's). */
  status: string;
  numSegments: number;
  dateCreated: Date;
  dateSent: Date | null;
  statusCallback: string | undefined;
  validityPeriod: number | undefined;
  errorCode: string | undefined;
  /** What the final status callback will say. */
  final: { status: TwilioFinalStatus; errorCode?: string };
}

export interface FakeTwilioNumber {
  sid: string;
  phoneNumber: string;
  voiceUrl: string | null;
  voiceMethod: string;
  statusCallback: string | null;
  statusCallbackMethod: string;
  smsUrl: string | null;
  smsMethod: string;
}

export interface FakeTwilioOptions {
  accountSid: string;
  authToken: string;
  /** The phone numbers on the account (E.164). */
  numbers: string[];
  /** Check every request against the OpenAPI description (default true; the benchmark turns it off). */
  validate?: boolean;
  /** Keep every request in `requests` (default true). */
  record?: boolean;
  friendlyName?: string;
  /** Told of every message the fake accepts, as it accepts it (the benchmark's arrival clock). */
  onMessage?: (message: FakeTwilioMessage) => void;
}

/** A signed webhook as Twilio sends it; `params` are the form parameters before encoding. */
export interface TwilioWebhook extends WebhookRequest {
  params: Record<string, string>;
}

export interface FakeTwilio {
  /** Base URL to give TwilioCarrier as apiBaseUrl. */
  url: string;
  accountSid: string;
  requests: RecordedRequest[];
  /** Every OpenAPI violation so far, one line each: "<METHOD> <path>: <what>". */
  violations(): string[];
  /** Messages the fake accepted, in order (including ones whose answer never left). */
  messages(): FakeTwilioMessage[];
  /** Make the next message-create request (or, with `on: 'any'`, the next request) fail this way. */
  failNext(fault: FakeTwilioFault, opts?: { on?: 'messages' | 'any' }): void;
  /** Start (or change) an outage: message creates (or all requests) are refused until `setOutage(null)`. Faults queued by failNext wait. */
  setOutage(outage: FakeTwilioOutage | null, opts?: { on?: 'messages' | 'any' }): void;
  /** Requests the outages have refused so far (message creates, and others with `on: 'any'`). */
  outageRefusals(): number;
  /** A slow carrier: a message create is accepted at once but answered `ms` later (0: at once). */
  setLatency(ms: number): void;
  numberWebhooks(number: string): FakeTwilioNumber | undefined;
  setNumberWebhooks(number: string, webhooks: { voiceUrl?: string | null; statusCallback?: string | null; smsUrl?: string | null }): void;
  /** The signed status callback Twilio would send for a message (default: its final status). */
  statusCallbackRequest(messageSid: string, opts?: { status?: TwilioFinalStatus; errorCode?: string; nowSeconds?: number }): TwilioWebhook;
  /** Sends that status callback to the message's StatusCallback URL; returns the HTTP status. */
  sendStatusCallback(messageSid: string, opts?: { status?: TwilioFinalStatus; errorCode?: string }): Promise<number>;
  /** Signed webhook builders for this account. */
  webhooks: TwilioWebhooks;
  close(): Promise<void>;
}

/** A Twilio SID: two letters and 32 hex digits. */
export function twilioSid(prefix: string): string {
  return prefix + randomBytes(16).toString('hex');
}

/** RFC 2822 date as Twilio writes it: "Tue, 04 Mar 2025 15:00:00 +0000". */
export function rfc2822(date: Date): string {
  return date.toUTCString().replace(/GMT$/, '+0000');
}

const ERROR_MESSAGES: Record<number, string> = {
  20003: 'Authenticate',
  20404: 'The requested resource was not found',
  20429: 'Too Many Requests',
  20500: 'An internal server error has occurred',
  21211: "The 'To' number is not a valid phone number.",
  21408: "Permission to send an SMS has not been enabled for the region indicated by the 'To' number",
  21602: 'Message body is required.',
  21604: "A 'To' phone number is required.",
  21606: "The 'From' phone number provided is not a valid, message-capable Twilio phone number for this destination/account.",
  21608: "The number is unverified. Trial accounts cannot send messages to unverified numbers.",
  21610: 'Attempt to send to unsubscribed recipient',
  21612: "The 'To' phone number is not currently reachable using the 'From' phone number via SMS.",
  21614: "'To' number is not a valid mobile number",
};

function errorJson(code: number | undefined, status: number, message?: string): string {
  return JSON.stringify({
    ...(code === undefined ? {} : { code }),
    message: message ?? (code === undefined ? 'Error' : (ERROR_MESSAGES[code] ?? `Twilio error ${code}`)),
    more_info: code === undefined ? 'https://www.twilio.com/docs/errors' : `https://www.twilio.com/docs/errors/${code}`,
    status,
  });
}

function lastValues(params: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of params) out[k] = v;
  return out;
}

export async function startFakeTwilio(opts: FakeTwilioOptions): Promise<FakeTwilio> {
  const { accountSid, authToken } = opts;
  const validate = opts.validate ?? true;
  const record = opts.record ?? true;
  // Loaded only when asked: the benchmark runs without ajv and the description in memory.
  const openApi = validate ? (await import('./openapi.ts')).TwilioOpenApi.load() : null;
  const expectedAuth = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
  const created = new Date();
  const accountName = opts.friendlyName ?? 'Ringback test account';

  const requests: RecordedRequest[] = [];
  const violations: string[] = [];
  const messages: FakeTwilioMessage[] = [];
  const messagesBySid = new Map<string, FakeTwilioMessage>();
  const numbers = new Map<string, FakeTwilioNumber>();
  for (const n of opts.numbers) {
    numbers.set(n, {
      sid: twilioSid('PN'),
      phoneNumber: n,
      voiceUrl: null,
      voiceMethod: 'POST',
      statusCallback: null,
      statusCallbackMethod: 'POST',
      smsUrl: null,
      smsMethod: 'POST',
    });
  }
  const faults: Array<{ fault: FakeTwilioFault; on: 'messages' | 'any' }> = [];
  let outage: { outage: FakeTwilioOutage; on: 'messages' | 'any' } | null = null;
  let outageRefused = 0;
  let latencyMs = 0;
  const delayed = new Set<NodeJS.Timeout>();
  const hanging = new Set<ServerResponse>();
  const base = `/${API_VERSION}/Accounts/${accountSid}`;

  const messageJson = (m: FakeTwilioMessage): Record<string, unknown> => ({
    account_sid: accountSid,
    api_version: API_VERSION,
    body: m.body,
    date_created: rfc2822(m.dateCreated),
    date_sent: m.dateSent ? rfc2822(m.dateSent) : null,
    date_updated: rfc2822(m.dateSent ?? m.dateCreated),
    direction: 'outbound-api',
    error_code: m.errorCode === undefined ? null : Number(m.errorCode),
    error_message: null,
    from: m.from,
    messaging_service_sid: null,
    num_media: '0',
    num_segments: String(m.numSegments),
    price: null,
    price_unit: 'USD',
    sid: m.sid,
    status: m.status,
    subresource_uris: { media: `${base}/Messages/${m.sid}/Media.json` },
    to: m.to,
    uri: `${base}/Messages/${m.sid}.json`,
  });

  const numberJson = (n: FakeTwilioNumber): Record<string, unknown> => ({
    account_sid: accountSid,
    address_sid: null,
    address_requirements: 'none',
    api_version: API_VERSION,
    beta: false,
    capabilities: { voice: true, sms: true, mms: true, fax: false },
    date_created: rfc2822(created),
    date_updated: rfc2822(created),
    friendly_name: n.phoneNumber,
    identity_sid: null,
    phone_number: n.phoneNumber,
    origin: 'twilio',
    sid: n.sid,
    sms_application_sid: null,
    sms_fallback_method: 'POST',
    sms_fallback_url: null,
    sms_method: n.smsMethod,
    sms_url: n.smsUrl,
    status_callback: n.statusCallback,
    status_callback_method: n.statusCallbackMethod,
    trunk_sid: null,
    uri: `${base}/IncomingPhoneNumbers/${n.sid}.json`,
    voice_receive_mode: 'voice',
    voice_application_sid: null,
    voice_caller_id_lookup: false,
    voice_fallback_method: 'POST',
    voice_fallback_url: null,
    voice_method: n.voiceMethod,
    voice_url: n.voiceUrl,
    emergency_status: 'Inactive',
    emergency_address_sid: null,
    emergency_address_status: 'unregistered',
    bundle_sid: null,
    status: 'in-use',
    type: 'local',
  });

  const page = (path: string, query: URLSearchParams, key: string, items: unknown[], pageSize: number): Record<string, unknown> => {
    const uri = `${path}${query.size > 0 ? `?${query.toString()}` : ''}`;
    return {
      end: Math.max(0, items.length - 1),
      first_page_uri: uri,
      next_page_uri: null,
      page: 0,
      page_size: pageSize,
      previous_page_uri: null,
      start: 0,
      uri,
      [key]: items,
    };
  };

  const createMessage = (form: URLSearchParams, final: FakeTwilioMessage['final']): FakeTwilioMessage => {
    const now = new Date();
    const validity = form.get('ValidityPeriod');
    const m: FakeTwilioMessage = {
      sid: twilioSid('SM'),
      from: form.get('From') ?? '',
      to: form.get('To') ?? '',
      body: form.get('Body') ?? '',
      status: 'queued',
      numSegments: countSegments(form.get('Body') ?? ''),
      dateCreated: now,
      dateSent: null,
      statusCallback: form.get('StatusCallback') ?? undefined,
      validityPeriod: validity === null ? undefined : Number(validity),
      errorCode: undefined,
      final,
    };
    messages.push(m);
    messagesBySid.set(m.sid, m);
    opts.onMessage?.(m);
    return m;
  };

  /** After the create answer: the fake hands the message to the "carrier" at once. */
  const markSent = (m: FakeTwilioMessage): void => {
    m.status = 'sent';
    m.dateSent = new Date();
  };

  const takeFault = (isMessageCreate: boolean): FakeTwilioFault | undefined => {
    const i = faults.findIndex((f) => f.on === 'any' || isMessageCreate);
    if (i === -1) return undefined;
    return faults.splice(i, 1)[0]!.fault;
  };

  const handle = (req: IncomingMessage, res: ServerResponse, rec: RecordedRequest, query: URLSearchParams, form: URLSearchParams): void => {
    const send = (status: number, body: string, headers: Record<string, string> = {}): void => {
      rec.status = status;
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
      res.end(body);
    };
    const method = req.method ?? 'GET';

    if (rec.violations.length > 0) {
      send(400, errorJson(undefined, 400, `request does not match the Twilio OpenAPI description: ${rec.violations.join('; ')}`));
      return;
    }
    if (req.headers.authorization !== expectedAuth) {
      send(401, errorJson(20003, 401), { 'www-authenticate': 'Basic realm="Twilio API"' });
      return;
    }

    const path = rec.path;
    const isMessageCreate = method === 'POST' && path === `${base}/Messages.json`;
    if (outage && (outage.on === 'any' || isMessageCreate)) {
      const o = outage.outage;
      outageRefused++;
      if (o.status === 429) {
        send(429, errorJson(20429, 429), o.retryAfter === undefined ? {} : { 'retry-after': String(o.retryAfter) });
      } else {
        send(o.status, errorJson(20500, o.status));
      }
      return;
    }
    const fault = takeFault(isMessageCreate);
    let final: FakeTwilioMessage['final'] = { status: 'delivered' };
    if (fault) {
      if ('timeout' in fault) {
        if (isMessageCreate) markSent(createMessage(form, final));
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      }
      if ('reset' in fault) {
        if (isMessageCreate) markSent(createMessage(form, final));
        req.socket.destroy();
        return;
      }
      if ('deliver' in fault) {
        final = { status: fault.deliver, errorCode: fault.errorCode };
      } else if ('twilioCode' in fault) {
        const status = fault.status ?? 400;
        send(status, errorJson(fault.twilioCode, status, fault.message));
        return;
      } else if (fault.status === 429) {
        send(429, errorJson(20429, 429), fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) });
        return;
      } else if (fault.status === 401) {
        send(401, errorJson(20003, 401), { 'www-authenticate': 'Basic realm="Twilio API"' });
        return;
      } else {
        if ('created' in fault && fault.created && isMessageCreate) markSent(createMessage(form, final));
        send(fault.status, errorJson(20500, fault.status));
        return;
      }
    }

    if (path === `${base}.json` && method === 'GET') {
      send(
        200,
        JSON.stringify({
          auth_token: null,
          date_created: rfc2822(created),
          date_updated: rfc2822(created),
          friendly_name: accountName,
          owner_account_sid: accountSid,
          sid: accountSid,
          status: 'active',
          subresource_uris: { messages: `${base}/Messages.json`, incoming_phone_numbers: `${base}/IncomingPhoneNumbers.json` },
          type: 'Full',
          uri: `${base}.json`,
        }),
      );
      return;
    }

    if (path === `${base}/Messages.json` && method === 'POST') {
      const to = form.get('To');
      const from = form.get('From');
      if (!to) return send(400, errorJson(21604, 400));
      if (!from || !numbers.has(from)) return send(400, errorJson(21606, 400));
      if (!form.get('Body') && !form.has('MediaUrl')) return send(400, errorJson(21602, 400));
      const m = createMessage(form, final);
      const answer = (): void => {
        send(201, JSON.stringify(messageJson(m)));
        markSent(m);
      };
      if (latencyMs > 0) {
        const timer = setTimeout(() => {
          delayed.delete(timer);
          answer();
        }, latencyMs);
        delayed.add(timer);
      } else {
        answer();
      }
      return;
    }

    if (path === `${base}/Messages.json` && method === 'GET') {
      const pageSize = Number(query.get('PageSize') ?? '50');
      const day = (d: Date | null): string | null => (d ? d.toISOString().slice(0, 10) : null);
      const onOrAfter = query.get('DateSent>');
      const onOrBefore = query.get('DateSent<');
      const on = query.get('DateSent');
      const found = messages
        .filter((m) => {
          if (query.has('To') && m.to !== query.get('To')) return false;
          if (query.has('From') && m.from !== query.get('From')) return false;
          const sent = day(m.dateSent);
          if (on !== null && sent !== on.slice(0, 10)) return false;
          if (onOrAfter !== null && (sent === null || sent < onOrAfter.slice(0, 10))) return false;
          if (onOrBefore !== null && (sent === null || sent > onOrBefore.slice(0, 10))) return false;
          return true;
        })
        .reverse() // newest first, as Twilio lists them
        .slice(0, pageSize)
        .map(messageJson);
      send(200, JSON.stringify(page(`${base}/Messages.json`, query, 'messages', found, pageSize)));
      return;
    }

    const messageMatch = new RegExp(`^${base}/Messages/([^/]+)\\.json$`).exec(path);
    if (messageMatch && method === 'GET') {
      const m = messagesBySid.get(messageMatch[1]!);
      if (!m) return send(404, errorJson(20404, 404));
      send(200, JSON.stringify(messageJson(m)));
      return;
    }

    if (path === `${base}/IncomingPhoneNumbers.json` && method === 'GET') {
      const wanted = query.get('PhoneNumber');
      const pageSize = Number(query.get('PageSize') ?? '50');
      const list = [...numbers.values()].filter((n) => wanted === null || n.phoneNumber === wanted).map(numberJson);
      send(200, JSON.stringify(page(`${base}/IncomingPhoneNumbers.json`, query, 'incoming_phone_numbers', list, pageSize)));
      return;
    }

    const numberMatch = new RegExp(`^${base}/IncomingPhoneNumbers/([^/]+)\\.json$`).exec(path);
    if (numberMatch && (method === 'GET' || method === 'POST')) {
      const n = [...numbers.values()].find((x) => x.sid === numberMatch[1]);
      if (!n) return send(404, errorJson(20404, 404));
      if (method === 'POST') {
        if (form.has('VoiceUrl')) n.voiceUrl = form.get('VoiceUrl') || null;
        if (form.has('VoiceMethod')) n.voiceMethod = form.get('VoiceMethod')!;
        if (form.has('StatusCallback')) n.statusCallback = form.get('StatusCallback') || null;
        if (form.has('StatusCallbackMethod')) n.statusCallbackMethod = form.get('StatusCallbackMethod')!;
        if (form.has('SmsUrl')) n.smsUrl = form.get('SmsUrl') || null;
        if (form.has('SmsMethod')) n.smsMethod = form.get('SmsMethod')!;
      }
      send(200, JSON.stringify(numberJson(n)));
      return;
    }

    send(404, errorJson(20404, 404));
  };

  const server = createServer((req, res) => {
    const at = performance.now();
    const date = new Date();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const rawUrl = req.url ?? '/';
      const q = rawUrl.indexOf('?');
      const path = q === -1 ? rawUrl : rawUrl.slice(0, q);
      const rawQuery = q === -1 ? '' : rawUrl.slice(q + 1);
      const query = new URLSearchParams(rawQuery);
      const form = new URLSearchParams(rawBody);
      const contentType = req.headers['content-type'];
      const rec: RecordedRequest = {
        method: req.method ?? 'GET',
        path,
        query: lastValues(query),
        rawQuery,
        form: lastValues(form),
        rawBody,
        contentType,
        at,
        date,
        status: undefined,
        violations: openApi ? openApi.validateRequest({ method: req.method ?? 'GET', path, query, contentType, body: rawBody }) : [],
      };
      for (const v of rec.violations) violations.push(`${rec.method} ${path}: ${v}`);
      if (record) requests.push(rec);
      handle(req, res, rec, query, form);
    });
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  const webhooks = twilioWebhooks({ accountSid, authToken });

  const statusCallbackRequest: FakeTwilio['statusCallbackRequest'] = (messageSid, o = {}) => {
    const m = messagesBySid.get(messageSid);
    if (!m) throw new Error(`the fake Twilio has no message ${messageSid}`);
    if (!m.statusCallback) throw new Error(`message ${messageSid} was sent without a StatusCallback`);
    const status = o.status ?? m.final.status;
    const errorCode = o.errorCode ?? (o.status === undefined ? m.final.errorCode : undefined);
    m.status = status;
    m.errorCode = errorCode;
    return webhooks.messageStatus(m.statusCallback, {
      messageSid: m.sid,
      from: m.from,
      to: m.to,
      messageStatus: status,
      ...(errorCode === undefined ? {} : { errorCode }),
      ...(o.nowSeconds === undefined ? {} : { nowSeconds: o.nowSeconds }),
    });
  };

  return {
    url: `http://127.0.0.1:${port}`,
    accountSid,
    requests,
    violations: () => [...violations],
    messages: () => [...messages],
    failNext(fault, o = {}) {
      faults.push({ fault, on: o.on ?? 'messages' });
    },
    setOutage(next, o = {}) {
      outage = next ? { outage: { ...next }, on: o.on ?? 'messages' } : null;
    },
    outageRefusals: () => outageRefused,
    setLatency(ms) {
      latencyMs = Math.max(0, ms);
    },
    numberWebhooks: (number) => {
      const n = numbers.get(number);
      return n ? { ...n } : undefined;
    },
    setNumberWebhooks(number, w) {
      const n = numbers.get(number);
      if (!n) throw new Error(`${number} is not a number on the fake Twilio account`);
      if (w.voiceUrl !== undefined) n.voiceUrl = w.voiceUrl;
      if (w.statusCallback !== undefined) n.statusCallback = w.statusCallback;
      if (w.smsUrl !== undefined) n.smsUrl = w.smsUrl;
    },
    statusCallbackRequest,
    async sendStatusCallback(messageSid, o = {}) {
      const req = statusCallbackRequest(messageSid, o);
      const res = await fetch(req.url, { method: 'POST', headers: req.headers as Record<string, string>, body: req.rawBody });
      await res.arrayBuffer();
      return res.status;
    },
    webhooks,
    async close() {
      for (const timer of delayed) clearTimeout(timer);
      delayed.clear();
      for (const res of hanging) res.destroy();
      hanging.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// ─── Signed webhooks, as Twilio sends them ─────────────────────────────────────────────────────

/** Builds a signed form webhook: `params` encoded as Twilio encodes them, X-Twilio-Signature over url + params. */
export function signedTwilioWebhook(authToken: string, url: string, params: Record<string, string>, nowSeconds = Math.floor(Date.now() / 1000)): TwilioWebhook {
  return {
    url,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'user-agent': 'TwilioProxy/1.1',
      [TWILIO_SIGNATURE_HEADER]: signTwilioRequest(authToken, url, params),
    },
    rawBody: new URLSearchParams(params).toString(),
    nowSeconds,
    params,
  };
}

/** A signed JSON-body webhook: `bodySHA256` added to the URL, the URL alone signed. */
export function signedTwilioJsonWebhook(authToken: string, url: string, body: string, nowSeconds = Math.floor(Date.now() / 1000)): WebhookRequest {
  const signed = signTwilioJsonRequest(authToken, url, body);
  return {
    url: signed.url,
    headers: { 'content-type': 'application/json', 'user-agent': 'TwilioProxy/1.1', [TWILIO_SIGNATURE_HEADER]: signed.signature },
    rawBody: body,
    nowSeconds,
  };
}

interface CallLeg {
  /** The caller's leg (CallSid); a new one when omitted. */
  callSid?: string;
  from: string;
  to: string;
  forwardedFrom?: string;
  nowSeconds?: number;
}

export type DialCallStatus = 'completed' | 'answered' | 'busy' | 'no-answer' | 'failed' | 'canceled';
export type FinalCallStatus = 'completed' | 'busy' | 'no-answer' | 'failed' | 'canceled';

export interface TwilioWebhooks {
  /** The number's Voice URL request (providers.md §1.1). */
  incomingCall(url: string, call: CallLeg & { callerName?: string }): TwilioWebhook;
  /** The <Dial action> request when the dialled leg ends (§1.2). */
  dialResult(url: string, call: CallLeg & { dialCallStatus: DialCallStatus; dialCallSid?: string; dialCallDuration?: number }): TwilioWebhook;
  /** The number's call status callback with the caller leg's final status (§1.5). */
  callStatus(url: string, call: CallLeg & { callStatus: FinalCallStatus; callDuration?: number; timestamp?: Date; sequenceNumber?: number }): TwilioWebhook;
  /**
   * The status callback of a call placed FROM a number of the account (`from`) to `to`: one
   * created through the Calls API (Direction outbound-api) or dialled by a phone of the account
   * (outbound-dial), with the StatusCallback pointed at Ringback (§1.1, §1.5).
   */
  outboundCallStatus(
    url: string,
    call: CallLeg & {
      callStatus: FinalCallStatus | 'initiated' | 'ringing' | 'in-progress';
      direction?: 'outbound-api' | 'outbound-dial';
      callDuration?: number;
      answeredBy?: string;
      timestamp?: Date;
    },
  ): TwilioWebhook;
  /** The <Number url> request on the answering leg, before bridging (§1.3). `to` is the phone rung. */
  screen(url: string, leg: { parentCallSid: string; callSid?: string; from: string; to: string; nowSeconds?: number }): TwilioWebhook;
  /** The <Gather action> request after the person answering pressed a key (§1.3). */
  screenAccept(url: string, leg: { parentCallSid: string; callSid?: string; from: string; to: string; digits: string; nowSeconds?: number }): TwilioWebhook;
  /** The <Record action> request, or with `transcriptionText` the transcribeCallback request. */
  recording(
    url: string,
    call: CallLeg & { recordingUrl: string; recordingDuration?: number; recordingSid?: string; transcriptionText?: string },
  ): TwilioWebhook;
  /** The number's Messaging URL request for an incoming text (§2.4). */
  inboundSms(url: string, text: { messageSid?: string; from: string; to: string; body: string; numMedia?: number; nowSeconds?: number }): TwilioWebhook;
  /** A message status callback (§2.2). */
  messageStatus(url: string, status: { messageSid: string; from: string; to: string; messageStatus: string; errorCode?: string; nowSeconds?: number }): TwilioWebhook;
}

/** Signed webhook builders for one Twilio account. */
export function twilioWebhooks(account: { accountSid: string; authToken: string }): TwilioWebhooks {
  const { accountSid, authToken } = account;
  const callParams = (c: CallLeg, callStatus: string): Record<string, string> => ({
    AccountSid: accountSid,
    ApiVersion: API_VERSION,
    CallSid: c.callSid ?? twilioSid('CA'),
    CallStatus: callStatus,
    Called: c.to,
    Caller: c.from,
    Direction: 'inbound',
    From: c.from,
    To: c.to,
    ...(c.forwardedFrom ? { ForwardedFrom: c.forwardedFrom } : {}),
  });
  const childParams = (leg: { parentCallSid: string; callSid?: string; from: string; to: string }): Record<string, string> => ({
    AccountSid: accountSid,
    ApiVersion: API_VERSION,
    CallSid: leg.callSid ?? twilioSid('CA'),
    CallStatus: 'in-progress',
    Called: leg.to,
    Caller: leg.from,
    Direction: 'outbound-dial',
    From: leg.from,
    ParentCallSid: leg.parentCallSid,
    To: leg.to,
  });
  const sign = (url: string, params: Record<string, string>, nowSeconds?: number): TwilioWebhook => signedTwilioWebhook(authToken, url, params, nowSeconds);

  return {
    incomingCall: (url, c) => sign(url, { ...callParams(c, 'ringing'), ...(c.callerName ? { CallerName: c.callerName } : {}) }, c.nowSeconds),
    dialResult: (url, c) => {
      const answered = c.dialCallStatus === 'completed' || c.dialCallStatus === 'answered';
      return sign(
        url,
        {
          ...callParams(c, 'in-progress'),
          DialCallSid: c.dialCallSid ?? twilioSid('CA'),
          DialCallStatus: c.dialCallStatus,
          ...(answered ? { DialCallDuration: String(c.dialCallDuration ?? 0) } : {}),
        },
        c.nowSeconds,
      );
    },
    callStatus: (url, c) =>
      sign(
        url,
        {
          ...callParams(c, c.callStatus),
          CallDuration: String(c.callDuration ?? 0),
          CallbackSource: 'call-progress-events',
          SequenceNumber: String(c.sequenceNumber ?? 0),
          Timestamp: rfc2822(c.timestamp ?? new Date((c.nowSeconds ?? Math.floor(Date.now() / 1000)) * 1000)),
        },
        c.nowSeconds,
      ),
    outboundCallStatus: (url, c) =>
      sign(
        url,
        {
          ...callParams(c, c.callStatus),
          Direction: c.direction ?? 'outbound-api',
          CallDuration: String(c.callDuration ?? 0),
          CallbackSource: 'call-progress-events',
          SequenceNumber: '0',
          Timestamp: rfc2822(c.timestamp ?? new Date((c.nowSeconds ?? Math.floor(Date.now() / 1000)) * 1000)),
          ...(c.answeredBy ? { AnsweredBy: c.answeredBy } : {}),
        },
        c.nowSeconds,
      ),
    screen: (url, leg) => sign(url, childParams(leg), leg.nowSeconds),
    screenAccept: (url, leg) => sign(url, { ...childParams(leg), Digits: leg.digits, FinishedOnKey: '' }, leg.nowSeconds),
    recording: (url, c) => {
      const recordingSid = c.recordingSid ?? twilioSid('RE');
      const params: Record<string, string> =
        c.transcriptionText === undefined
          ? {
              ...callParams(c, 'completed'),
              RecordingDuration: String(c.recordingDuration ?? 0),
              RecordingSid: recordingSid,
              RecordingUrl: c.recordingUrl,
              Digits: 'hangup',
            }
          : {
              AccountSid: accountSid,
              ApiVersion: API_VERSION,
              CallSid: c.callSid ?? twilioSid('CA'),
              CallStatus: 'completed',
              Called: c.to,
              Caller: c.from,
              Direction: 'inbound',
              From: c.from,
              RecordingSid: recordingSid,
              RecordingUrl: c.recordingUrl,
              To: c.to,
              TranscriptionSid: twilioSid('TR'),
              TranscriptionStatus: 'completed',
              TranscriptionText: c.transcriptionText,
              TranscriptionUrl: `https://api.twilio.com/${API_VERSION}/Accounts/${accountSid}/Recordings/${recordingSid}/Transcriptions`,
            };
      return sign(url, params, c.nowSeconds);
    },
    inboundSms: (url, t) => {
      const sid = t.messageSid ?? twilioSid('SM');
      const numMedia = t.numMedia ?? 0;
      const media: Record<string, string> = {};
      for (let i = 0; i < numMedia; i++) {
        media[`MediaContentType${i}`] = 'image/jpeg';
        media[`MediaUrl${i}`] = `https://api.twilio.com/${API_VERSION}/Accounts/${accountSid}/Messages/${sid}/Media/${twilioSid('ME')}`;
      }
      return sign(
        url,
        {
          AccountSid: accountSid,
          ApiVersion: API_VERSION,
          Body: t.body,
          From: t.from,
          MessageSid: sid,
          NumMedia: String(numMedia),
          NumSegments: String(countSegments(t.body)),
          SmsMessageSid: sid,
          SmsSid: sid,
          SmsStatus: 'received',
          To: t.to,
          ...media,
        },
        t.nowSeconds,
      );
    },
    messageStatus: (url, s) =>
      sign(
        url,
        {
          AccountSid: accountSid,
          ApiVersion: API_VERSION,
          From: s.from,
          MessageSid: s.messageSid,
          MessageStatus: s.messageStatus,
          SmsSid: s.messageSid,
          SmsStatus: s.messageStatus,
          To: s.to,
          ...(s.errorCode === undefined ? {} : { ErrorCode: s.errorCode }),
        },
        s.nowSeconds,
      ),
  };
}
