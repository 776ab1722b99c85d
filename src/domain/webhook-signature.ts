// Signatures on Ringback's outgoing webhooks, Stripe's scheme: the header
//   ringback-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
// binds the body to the time it was signed, so a captured request cannot be replayed later than
// the tolerance. Receivers may see several v1= values (reserved for secret rotation overlap);
// any one matching is enough. Compared in constant time.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'ringback-signature';
/** How old (or how far in the future) a signature may be: 5 minutes, as Stripe. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

function hmacHex(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
}

/** The header value for `body` signed at `timestampSeconds`. The key is the whole secret, whsec_ included. */
export function signWebhook(secret: string, body: string, timestampSeconds: number): string {
  const t = Math.floor(timestampSeconds);
  return `t=${t},v1=${hmacHex(secret, t, body)}`;
}

export type VerifyOutcome = { ok: true; timestamp: number } | { ok: false; reason: string };

/** Checks a header against the raw body as received (before any JSON parsing). */
export function verifyWebhook(
  secret: string,
  body: string,
  header: string | null | undefined,
  nowSeconds: number,
  toleranceSeconds = DEFAULT_TOLERANCE_SECONDS,
): VerifyOutcome {
  if (!header) return { ok: false, reason: `no ${SIGNATURE_HEADER} header` };
  let timestamp: number | null = null;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't' && /^\d+$/.test(value)) timestamp = Number(value);
    else if (key === 'v1' && /^[0-9a-f]{64}$/i.test(value)) signatures.push(value.toLowerCase());
  }
  if (timestamp === null) return { ok: false, reason: 'the header has no t= timestamp' };
  if (signatures.length === 0) return { ok: false, reason: 'the header has no v1= signature' };
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) {
    return { ok: false, reason: `the timestamp is ${Math.round(Math.abs(nowSeconds - timestamp))} s away from now (tolerance ${toleranceSeconds} s): a replay, or a clock out of sync` };
  }
  const expected = Buffer.from(hmacHex(secret, timestamp, body), 'hex');
  const match = signatures.some((s) => {
    const given = Buffer.from(s, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  return match ? { ok: true, timestamp } : { ok: false, reason: 'no signature matches the body with this secret' };
}
