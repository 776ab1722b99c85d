// Webhook signatures of the built-in simulator carrier.
//
// Header: `x-simulator-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + url + "." + body)>`.
// The timestamp is part of the signed text, so a captured request cannot be replayed outside the
// window (300 s either way, like Telnyx).

import { createHmac, timingSafeEqual } from 'node:crypto';
import type { VerifyResult } from '../carrier.ts';

export const SIMULATOR_SIGNATURE_HEADER = 'x-simulator-signature';
export const SIMULATOR_SIGNATURE_WINDOW_SECONDS = 300;

function hmacHex(secret: string, timestamp: string, url: string, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${url}.${body}`, 'utf8').digest('hex');
}

/** The value of the `x-simulator-signature` header for this request. */
export function signSimulatorWebhook(secret: string, url: string, body: string, nowSeconds: number): string {
  const t = String(Math.floor(nowSeconds));
  return `t=${t},v1=${hmacHex(secret, t, url, body)}`;
}

const HEADER_FORMAT = /^t=(\d{1,12}),v1=([0-9a-fA-F]{64})$/;

export function verifySimulatorSignature(
  secret: string,
  url: string,
  body: string,
  header: string | readonly string[] | undefined,
  nowSeconds: number,
): VerifyResult {
  let value: string;
  if (typeof header === 'string') {
    value = header;
  } else if (header === undefined || header.length === 0) {
    value = '';
  } else if (header.length > 1) {
    return { ok: false, reason: `more than one ${SIMULATOR_SIGNATURE_HEADER} header` };
  } else {
    value = header[0] ?? '';
  }
  if (value.trim() === '') {
    return { ok: false, reason: `missing ${SIMULATOR_SIGNATURE_HEADER} header` };
  }
  const match = HEADER_FORMAT.exec(value.trim());
  if (match === null) {
    return {
      ok: false,
      reason: `malformed ${SIMULATOR_SIGNATURE_HEADER} header (expected "t=<unix seconds>,v1=<64 hex digits>")`,
    };
  }
  const timestamp = match[1] ?? '';
  const given = match[2] ?? '';
  const age = Math.floor(nowSeconds) - Number(timestamp);
  if (age > SIMULATOR_SIGNATURE_WINDOW_SECONDS) {
    return {
      ok: false,
      reason: `signature timestamp is ${age} s old (limit ${SIMULATOR_SIGNATURE_WINDOW_SECONDS} s)`,
    };
  }
  if (-age > SIMULATOR_SIGNATURE_WINDOW_SECONDS) {
    return {
      ok: false,
      reason: `signature timestamp is ${-age} s in the future (limit ${SIMULATOR_SIGNATURE_WINDOW_SECONDS} s)`,
    };
  }
  const expected = Buffer.from(hmacHex(secret, timestamp, url, body), 'hex');
  const actual = Buffer.from(given, 'hex');
  // Both are 32 bytes: the header format admits exactly 64 hex digits.
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
    return { ok: false, reason: 'signature does not match' };
  }
  return { ok: true };
}
