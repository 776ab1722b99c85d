// Twilio webhook signatures (X-Twilio-Signature), as Twilio computes them and as the official
// Node SDK (twilio/lib/webhooks/webhooks.js) checks them:
//
//   base64( HMAC-SHA1( key = Auth Token, message = URL + Σ sorted(name + value) ) )
//
// - Form POSTs: every POST parameter is appended, names sorted in plain code-unit order; a name
//   given more than once appends name+value once per distinct value, values sorted.
// - JSON bodies: Twilio adds `bodySHA256=<hex sha256 of the body>` to the URL and signs the URL
//   alone; the receiver also checks the body against that hash.
// - Twilio is inconsistent about default ports, so a URL is accepted with and without `:443` /
//   `:80`, and (like the SDK) also in its `new URL()`-normalised form.

import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { parse as parseQuerystring, stringify as stringifyQuerystring } from 'node:querystring';
import type { VerifyResult, WebhookRequest } from '../carrier.ts';

export const TWILIO_SIGNATURE_HEADER = 'x-twilio-signature';

/** Parameters as Twilio posts them; a repeated name carries an array. */
export type TwilioParams = Readonly<Record<string, string | readonly string[]>>;

export const SIGNATURE_REASONS = {
  missing: 'missing X-Twilio-Signature header',
  mismatch: 'signature does not match: check the Auth Token and that RINGBACK_PUBLIC_URL is the URL Twilio calls',
  body: 'body does not match bodySHA256',
  url: 'the webhook URL is not an absolute URL, so its Twilio signature cannot be checked',
} as const;

/** The X-Twilio-Signature Twilio sends for a form POST of `params` to `url` (use `{}` for GET or JSON bodies). */
export function signTwilioRequest(authToken: string, url: string, params: TwilioParams): string {
  let data = url;
  for (const name of Object.keys(params).sort()) {
    const value = params[name]!;
    if (typeof value === 'string') {
      data += name + value;
    } else {
      for (const v of [...new Set(value)].sort()) data += name + v;
    }
  }
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

/** Lower-case hex SHA-256 of a body, as Twilio puts it in the `bodySHA256` query parameter. */
export function bodySha256Hex(body: string): string {
  return createHash('sha256').update(body, 'utf8').digest('hex');
}

/**
 * Signs a JSON-body webhook the way Twilio does: returns the URL Twilio calls (with
 * `bodySHA256` added to its query) and the signature over that URL alone.
 */
export function signTwilioJsonRequest(authToken: string, url: string, body: string): { url: string; signature: string } {
  const signedUrl = `${url}${url.includes('?') ? '&' : '?'}bodySHA256=${bodySha256Hex(body)}`;
  return { url: signedUrl, signature: signTwilioRequest(authToken, signedUrl, {}) };
}

/** Form parameters of a body, repeated names as arrays (how the SDK sees an Express body). */
export function formParams(rawBody: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  for (const [name, value] of new URLSearchParams(rawBody)) {
    const seen = out[name];
    if (seen === undefined) out[name] = value;
    else if (typeof seen === 'string') out[name] = [seen, value];
    else seen.push(value);
  }
  return out;
}

interface UrlParts {
  scheme: string;
  userInfo: string;
  host: string;
  port: string;
  rest: string;
}

/** Splits a URL without normalising it (`new URL()` would re-encode some characters Twilio signed as-is). */
function splitUrl(url: string): UrlParts | null {
  const match = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#]*)/i.exec(url);
  if (!match) return null;
  const [prefix, scheme, authority] = match as unknown as [string, string, string];
  const userInfoEnd = authority.lastIndexOf('@');
  const hostAndPort = authority.slice(userInfoEnd + 1);
  const portStart = hostAndPort.indexOf(':', hostAndPort.lastIndexOf(']') + 1);
  return {
    scheme,
    userInfo: authority.slice(0, userInfoEnd + 1),
    host: portStart === -1 ? hostAndPort : hostAndPort.slice(0, portStart),
    port: portStart === -1 ? '' : hostAndPort.slice(portStart),
    rest: url.slice(prefix.length),
  };
}

function withDefaultPort(url: string): string {
  const p = splitUrl(url);
  if (!p || p.port) return url;
  return p.scheme + p.userInfo + p.host + (p.scheme.toLowerCase() === 'https://' ? ':443' : ':80') + p.rest;
}

function withoutPort(url: string): string {
  const p = splitUrl(url);
  return p ? p.scheme + p.userInfo + p.host + p.rest : url;
}

function withLegacyQuerystring(url: string): string {
  const q = url.indexOf('?');
  if (q === -1 || q === url.length - 1) return url;
  return `${url.slice(0, q)}?${stringifyQuerystring(parseQuerystring(url.slice(q + 1)))}`;
}

/** The URL spellings a valid signature may have been computed over, most likely first. */
export function signedUrlCandidates(url: string): string[] {
  const candidates = [withoutPort(url), withDefaultPort(url)];
  let normalized: string;
  try {
    normalized = new URL(url).toString();
  } catch {
    return candidates;
  }
  const noPort = withoutPort(normalized);
  const port = withDefaultPort(normalized);
  candidates.push(noPort, port, withLegacyQuerystring(noPort), withLegacyQuerystring(port));
  return [...new Set(candidates)];
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  // The expected length is fixed by the algorithm, not secret: an early length check leaks nothing.
  return x.length === y.length && timingSafeEqual(x, y);
}

function headerValue(headers: WebhookRequest['headers'], name: string): string | undefined {
  let value = headers[name];
  if (value === undefined) {
    for (const [key, v] of Object.entries(headers)) {
      if (key.toLowerCase() === name) {
        value = v;
        break;
      }
    }
  }
  return Array.isArray(value) ? value[0] : (value as string | undefined);
}

/** Checks X-Twilio-Signature on a webhook (form or bodySHA256 JSON variant), in constant time. */
export function verifyTwilioSignature(authToken: string, req: Pick<WebhookRequest, 'url' | 'headers' | 'rawBody'>): VerifyResult {
  const signature = headerValue(req.headers, TWILIO_SIGNATURE_HEADER);
  if (!signature) return { ok: false, reason: SIGNATURE_REASONS.missing };
  let bodyHash: string | null;
  try {
    bodyHash = new URL(req.url).searchParams.get('bodySHA256');
  } catch {
    return { ok: false, reason: SIGNATURE_REASONS.url };
  }
  const params: TwilioParams = bodyHash === null ? formParams(req.rawBody) : {};
  const matches = signedUrlCandidates(req.url).some((url) => safeEqual(signature, signTwilioRequest(authToken, url, params)));
  if (!matches) return { ok: false, reason: SIGNATURE_REASONS.mismatch };
  if (bodyHash !== null && !safeEqual(bodyHash, bodySha256Hex(req.rawBody))) {
    return { ok: false, reason: SIGNATURE_REASONS.body };
  }
  return { ok: true };
}
