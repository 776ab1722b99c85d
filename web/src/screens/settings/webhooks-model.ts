// Outgoing webhooks as the settings screen sees them: the API's shapes (docs/webhooks.md), the
// events in plain words, a delivery's outcome told as a sentence, and waiting for an attempt.
import { get } from '../../api.ts';
import { formatWhen, relative } from '../../format.ts';

export interface Endpoint {
  id: string;
  url: string;
  description: string | null;
  events: string[];
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface Attempt {
  attempt: number;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  responseExcerpt: string | null;
  attemptedAt: string;
}

export interface Delivery {
  id: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  deliveredAt: string | null;
  createdAt: string;
  nextAttemptAt: string | null;
  attemptLog: Attempt[];
}

export interface DeliveryPage {
  deliveries: Delivery[];
  next: string | null;
}

/** The events an endpoint can subscribe to: [type, name, what it means]. */
export const WEBHOOK_EVENTS: Array<[string, string, string]> = [
  ['call.missed', 'Missed call', 'A call went unanswered: who called, on which line, and whether a text-back went out.'],
  ['message.received', 'Text received', 'A text arrived on one of your lines (STOP and other keywords included).'],
  ['lead.stage_changed', 'Lead changed stage', 'A lead moved in the pipeline, by a person or automatically.'],
  ['task.overdue', 'Callback overdue', 'A callback or other task passed its due time without being done.'],
];

export function eventName(type: string): string {
  if (type === 'ping') return 'Test event';
  return WEBHOOK_EVENTS.find(([t]) => t === type)?.[1] ?? type;
}

export function endpointPath(endpointId: string): string {
  return `/webhook-endpoints/${encodeURIComponent(endpointId)}`;
}

export function deliveryPath(endpointId: string, deliveryId: string): string {
  return `${endpointPath(endpointId)}/deliveries/${encodeURIComponent(deliveryId)}`;
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  410: 'Gone',
  413: 'Payload Too Large',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

const CONNECT_HINTS: Record<string, string> = {
  ECONNREFUSED: 'nothing is listening at that address',
  ENOTFOUND: 'that host name does not exist',
  EAI_AGAIN: 'the host name could not be looked up',
  ECONNRESET: 'the connection was cut off',
  ETIMEDOUT: 'the server did not respond',
  EHOSTUNREACH: 'the server cannot be reached',
  CERT_HAS_EXPIRED: 'its HTTPS certificate has expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'its HTTPS certificate is self-signed',
};

/** What one attempt (or a delivery's last one) came to, in a sentence. */
export function outcome(statusCode: number | null, error: string | null): string {
  if (statusCode !== null && statusCode >= 200 && statusCode < 300) return `Your endpoint answered ${statusCode}.`;
  if (statusCode !== null && statusCode >= 300 && statusCode < 400) {
    // The server's own words name where the redirect pointed.
    return `Your endpoint ${error ?? `answered ${statusCode} (a redirect)`}.`.replace(/\.\.$/, '.');
  }
  if (statusCode !== null) {
    const reason = REASONS[statusCode];
    return `Your endpoint answered ${statusCode}${reason ? ` ${reason}` : ''}; it needs to answer with a 2xx code.`;
  }
  if (!error) return 'No answer yet.';
  const timeout = /^no answer within (\d+) ms/.exec(error);
  if (timeout) return `No answer within ${Math.round(Number(timeout[1]) / 100) / 10} seconds: answer at once and do slow work afterwards.`;
  const connect = /^could not connect: (.+)$/.exec(error);
  if (connect) {
    const code = connect[1]!.trim();
    return `Ringback could not connect (${code})${CONNECT_HINTS[code] ? `: ${CONNECT_HINTS[code]}` : ''}.`;
  }
  return `${error.charAt(0).toUpperCase()}${error.slice(1)}${/[.!?]$/.test(error) ? '' : '.'}`;
}

export function statusWord(d: Delivery): string {
  if (d.status === 'delivered') return 'Delivered';
  if (d.status === 'failed') return 'Failed';
  return d.attempts > 0 ? 'Retrying' : 'Sending';
}

/** "in 4 seconds" soon, else "3:04 PM (in 12 min)". */
function dueWhen(iso: string): string {
  const inMs = new Date(iso).getTime() - Date.now();
  if (inMs < 1500) return 'any moment now';
  if (inMs < 60_000) return `in ${Math.round(inMs / 1000)} seconds`;
  return `${formatWhen(iso)} (${relative(iso)})`;
}

/** When the next try is, for a delivery that is being retried. */
export function nextTry(d: Delivery): string | null {
  if (d.status !== 'pending' || d.attempts === 0) return null;
  if (!d.nextAttemptAt) return 'Trying again now.';
  return `Next try ${dueWhen(d.nextAttemptAt)}.`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The result of a test event or a redelivery, once its attempt is over. `what`: "Test event". */
export function resultSentence(what: string, d: Delivery): { ok: boolean; text: string } {
  const last = d.attemptLog.at(-1);
  if (d.status === 'delivered') {
    return { ok: true, text: `${what} delivered: your endpoint answered ${d.lastStatusCode ?? '2xx'}${last ? ` in ${last.durationMs} ms` : ''}.` };
  }
  const why = outcome(d.lastStatusCode, d.lastError);
  if (d.status === 'failed') return { ok: false, text: `${what} not delivered after ${plural(d.attempts, 'attempt')}. ${why}` };
  const again = `Ringback tries again ${d.nextAttemptAt ? dueWhen(d.nextAttemptAt) : 'shortly'}; the delivery log shows how it goes.`;
  return { ok: false, text: `${what} not delivered yet. ${why} ${again}` };
}

/**
 * Polls one delivery until an attempt beyond `afterAttempts` is recorded or it is no longer
 * pending. Null when that did not happen within `timeoutMs` (or the signal aborted).
 */
export async function waitForAttempt(endpointId: string, deliveryId: string, afterAttempts: number, signal: AbortSignal, timeoutMs = 30_000): Promise<Delivery | null> {
  const deadline = Date.now() + timeoutMs;
  while (!signal.aborted && Date.now() < deadline) {
    const { delivery } = await get<{ delivery: Delivery }>(deliveryPath(endpointId, deliveryId), signal);
    if (delivery.attempts > afterAttempts || delivery.status !== 'pending') return delivery;
    // A retry due later is not worth asking about every moment: ask again as it falls due.
    const dueIn = delivery.nextAttemptAt ? new Date(delivery.nextAttemptAt).getTime() - Date.now() : 0;
    await new Promise((resolve) => setTimeout(resolve, Math.min(5000, Math.max(600, dueIn))));
  }
  return null;
}

/**
 * Follows a delivery from the attempt after `afterAttempts` until it is delivered or failed (at
 * most `forMs`), calling `onAttempt` after each attempt. False when no attempt came in 30 s.
 */
export async function followDelivery(
  endpointId: string,
  deliveryId: string,
  afterAttempts: number,
  signal: AbortSignal,
  onAttempt: (d: Delivery) => void,
  forMs = 10 * 60_000,
): Promise<boolean> {
  const until = Date.now() + forMs;
  let d = await waitForAttempt(endpointId, deliveryId, afterAttempts, signal);
  if (!d || signal.aborted) return false;
  onAttempt(d);
  while (d.status === 'pending' && Date.now() < until) {
    d = await waitForAttempt(endpointId, deliveryId, d.attempts, signal, until - Date.now());
    if (!d || signal.aborted) break;
    onAttempt(d);
  }
  return true;
}
