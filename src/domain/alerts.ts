// Owner alerts, the pure part: who asked for which alert and how (alert preferences), when an
// alert may go out (quiet time, digests), whether a reply is an emergency, and what the text and
// the email say. No I/O and no clock: the caller passes `now` and the account's time zone.
import { TZDate } from '@date-fns/tz';
import { formatPhoneForDisplay } from './phone.ts';
import { measureText } from './templates.ts';

export const ALERT_EVENTS = ['message.received', 'call.missed', 'task.reminder', 'task.overdue', 'emergency'] as const;
export type AlertEvent = (typeof ALERT_EVENTS)[number];

export type MemberRole = 'owner' | 'admin' | 'agent';

export interface QuietHours {
  /** Local "HH:MM" in the account's time zone; the range may cross midnight (22:00 → 07:00). */
  start: string;
  end: string;
}

export interface AlertPrefs {
  sms: boolean;
  email: boolean;
  events: AlertEvent[];
  /** Paged for emergencies on every channel, whatever the hour. */
  onCall: boolean;
  quietHours: QuietHours | null;
  /** What quiet time does to an alert: hold it until quiet time ends, or fold it into one digest then. */
  duringQuietHours: 'hold' | 'digest';
  /** Fold every (non-emergency) alert into one message per hour or per day. */
  digest: 'off' | 'hourly' | 'daily';
}

/** Daily digests go out at this local time (or when quiet time ends, if that is later). */
export const DAILY_DIGEST_AT = '08:00';

/**
 * What a member gets before they choose: owners and admins hear about replies, callbacks coming
 * due that nobody is assigned to, overdue callbacks and emergencies, by text and email; agents are
 * reminded of their own callbacks. (Reminders go to the assignee; only unassigned ones reach owners.)
 */
export function defaultAlertPrefs(role: MemberRole): AlertPrefs {
  const base = { sms: true, email: true, onCall: false, quietHours: null, duringQuietHours: 'hold', digest: 'off' } as const;
  if (role === 'agent') return { ...base, events: ['task.reminder'] };
  return { ...base, events: ['message.received', 'task.reminder', 'task.overdue', 'emergency'] };
}

/**
 * The stored JSON over the role's defaults. '{}' (a member who never chose) means the defaults,
 * which then follow the member's role. Unknown or malformed values fall back to the defaults:
 * what is stored was validated on save, so this only guards against hand edits.
 */
export function readAlertPrefs(stored: string | null | undefined, role: MemberRole): AlertPrefs {
  const defaults = defaultAlertPrefs(role);
  let raw: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(stored || '{}');
    raw = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    raw = {};
  }
  const bool = (v: unknown, d: boolean) => (typeof v === 'boolean' ? v : d);
  const events = Array.isArray(raw.events)
    ? raw.events.filter((e): e is AlertEvent => (ALERT_EVENTS as readonly unknown[]).includes(e))
    : defaults.events;
  const q = raw.quietHours as Partial<QuietHours> | null | undefined;
  const quietHours =
    q && typeof q === 'object' && isClockTime(q.start) && isClockTime(q.end) ? { start: q.start!, end: q.end! } : q === null ? null : defaults.quietHours;
  return {
    sms: bool(raw.sms, defaults.sms),
    email: bool(raw.email, defaults.email),
    events,
    onCall: bool(raw.onCall, defaults.onCall),
    quietHours,
    duringQuietHours: raw.duringQuietHours === 'digest' || raw.duringQuietHours === 'hold' ? raw.duringQuietHours : defaults.duringQuietHours,
    digest: raw.digest === 'hourly' || raw.digest === 'daily' || raw.digest === 'off' ? raw.digest : defaults.digest,
  };
}

const CLOCK_TIME = /^([01]\d|2[0-3]):[0-5]\d$/;

export function isClockTime(value: unknown): value is string {
  return typeof value === 'string' && CLOCK_TIME.test(value);
}

export interface PrefsProblem {
  field: string;
  message: string;
}

/**
 * Rules that could never deliver anything are refused with the reason, rather than saved and
 * silently never firing.
 */
export function checkAlertPrefs(prefs: AlertPrefs, member: { hasPhone: boolean }): PrefsProblem[] {
  const problems: PrefsProblem[] = [];
  if (prefs.quietHours && prefs.quietHours.start === prefs.quietHours.end) {
    problems.push({
      field: 'alertPrefs.quietHours',
      message: `start and end are both ${prefs.quietHours.start}: quiet time would last all day and no alert would ever be delivered (use null for no quiet time)`,
    });
  }
  if (prefs.sms && !member.hasPhone) {
    problems.push({ field: 'alertPrefs.sms', message: 'is on, but this member has no phone number: set phone first, or turn sms off' });
  }
  const wantsSomething = prefs.events.some((e) => e !== 'emergency') || (prefs.events.includes('emergency') && !prefs.onCall);
  if (!prefs.sms && !prefs.email && wantsSomething) {
    problems.push({
      field: 'alertPrefs.events',
      message: 'lists alerts, but both sms and email are off, so none could be delivered: turn a channel on, or use an empty list',
    });
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Emergency words

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The first emergency word (or phrase) found in the text, as configured; null when none is.
 * Whole words only, any case, any run of spaces between the words of a phrase: "flood" does not
 * fire on "floodlight", "burst pipe" fires on "BURST  pipe!".
 */
export function findEmergencyWord(text: string, words: readonly string[]): string | null {
  for (const word of words) {
    const parts = word.trim().split(/\s+/).filter(Boolean);
    if (parts.length === 0) continue;
    const pattern = new RegExp(`(?<![\\p{L}\\p{N}])${parts.map(escapeRegExp).join('\\s+')}(?![\\p{L}\\p{N}])`, 'iu');
    if (pattern.test(text)) return word.trim();
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Quiet time and digests

const MINUTE_MS = 60_000;

interface LocalClock {
  year: number;
  month: number; // 1-12
  day: number;
  minuteOfDay: number;
}

function localClock(instant: Date, timeZone: string): LocalClock {
  const t = new TZDate(instant.getTime(), timeZone);
  return { year: t.getFullYear(), month: t.getMonth() + 1, day: t.getDate(), minuteOfDay: t.getHours() * 60 + t.getMinutes() };
}

function clockMinutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

/**
 * The instant the wall clock first reads `minuteOfDay` on the local date `daysAhead` days after
 * `from`'s. A time that a spring-forward skips maps to just after the jump.
 */
function wallClockInstant(from: LocalClock, daysAhead: number, minuteOfDay: number, timeZone: string): Date {
  const date = new Date(Date.UTC(from.year, from.month - 1, from.day + daysAhead));
  const t = new TZDate(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate(), Math.floor(minuteOfDay / 60), minuteOfDay % 60, timeZone);
  return new Date(t.getTime());
}

/** Whether `now` falls in the quiet time, and if so the instant it ends; null when it does not. */
export function quietTimeEnd(now: Date, quiet: QuietHours | null, timeZone: string): Date | null {
  if (!quiet) return null;
  const start = clockMinutes(quiet.start);
  const end = clockMinutes(quiet.end);
  if (start === end) return null; // refused on save: never treated as all day
  const local = localClock(now, timeZone);
  const m = local.minuteOfDay;
  let daysAhead: number;
  if (start < end) {
    if (m < start || m >= end) return null;
    daysAhead = 0;
  } else {
    // Crosses midnight: quiet from start to midnight (ends tomorrow) and from midnight to end (today).
    if (m >= start) daysAhead = 1;
    else if (m < end) daysAhead = 0;
    else return null;
  }
  const ends = wallClockInstant(local, daysAhead, end, timeZone);
  return ends.getTime() > now.getTime() ? ends : null;
}

/** When the digest that an alert raised at `now` belongs to goes out. */
export function nextDigestAt(now: Date, digest: 'hourly' | 'daily', timeZone: string): Date {
  const local = localClock(now, timeZone);
  if (digest === 'hourly') {
    // The next top of the hour on the local clock (which is also UTC's, except in zones with
    // half-hour offsets).
    const t = new TZDate(now.getTime(), timeZone);
    const intoHour = t.getMinutes() * MINUTE_MS + t.getSeconds() * 1000 + t.getMilliseconds();
    return new Date(now.getTime() - intoHour + 60 * MINUTE_MS);
  }
  const at = clockMinutes(DAILY_DIGEST_AT);
  return wallClockInstant(local, local.minuteOfDay < at ? 0 : 1, at, timeZone);
}

export type AlertTiming =
  | { status: 'pending'; deliverAfter: Date; fold: false }
  /** fold: goes into the member's digest when due, instead of on its own. */
  | { status: 'held'; deliverAfter: Date; fold: boolean };

/**
 * When one alert to one member goes out. Urgent alerts (emergencies) go at once, whatever the
 * hour. A digest member's alerts wait for the next digest (pushed past quiet time); otherwise
 * quiet time holds the alert until it ends, alone or folded into a digest as the member chose.
 */
export function planAlertTiming(input: { now: Date; prefs: AlertPrefs; timeZone: string; urgent: boolean }): AlertTiming {
  const { now, prefs, timeZone } = input;
  if (input.urgent) return { status: 'pending', deliverAfter: now, fold: false };
  if (prefs.digest !== 'off') {
    const at = nextDigestAt(now, prefs.digest, timeZone);
    return { status: 'held', deliverAfter: quietTimeEnd(at, prefs.quietHours, timeZone) ?? at, fold: true };
  }
  const quietEnds = quietTimeEnd(now, prefs.quietHours, timeZone);
  if (quietEnds) return { status: 'held', deliverAfter: quietEnds, fold: prefs.duringQuietHours === 'digest' };
  return { status: 'pending', deliverAfter: now, fold: false };
}

// ---------------------------------------------------------------------------------------------
// What the alerts say

/** Two segments: the longest text that still arrives as one message on every phone we care about. */
export const SMS_MAX_SEGMENTS = 2;
export const SMS_MAX_CHARACTERS = 320;

export interface Who {
  name: string | null;
  /** E.164 when known. */
  number: string | null;
}

/** "Jane Doe (305) 555-0123", or the number alone, or the name alone. */
export function describeWho(who: Who): string {
  const number = who.number ? formatPhoneForDisplay(who.number) : null;
  const name = who.name?.trim() || null;
  if (name && number) return `${name} ${number}`;
  return name ?? number ?? 'an unknown caller';
}

/** The name, else the number: enough in a digest line, which carries the tel: link anyway. */
function shortWho(who: Who): string {
  return who.name?.trim() || (who.number ? formatPhoneForDisplay(who.number) : 'an unknown caller');
}

/** One line, no runs of spaces: newlines in a text would break the alert's layout. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function fitsSms(text: string): boolean {
  return text.length <= SMS_MAX_CHARACTERS && measureText(text).segments <= SMS_MAX_SEGMENTS;
}

/**
 * `before + "quote" + after`, with the quote shortened ("...", which keeps GSM-7; "…" would turn
 * the whole text into UCS-2 and halve what fits) until it fits in two segments. When even the
 * frame alone does not fit, the quote is left out; the frame is never cut (it has the tel: link).
 */
export function fitQuoted(before: string, quote: string, after: string): string {
  const words = oneLine(quote);
  const whole = `${before}"${words}"${after}`;
  if (fitsSms(whole)) return whole;
  const chars = [...words];
  let lo = 0;
  let hi = chars.length - 1;
  let best: string | null = null;
  while (lo <= hi) {
    const mid = Math.floor((lo + hi) / 2);
    const candidate = `${before}"${chars.slice(0, mid).join('').trimEnd()}..."${after}`;
    if (fitsSms(candidate)) {
      best = candidate;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  // A quote of a few characters says nothing; better none.
  if (best && lo > Math.min(8, chars.length)) return best;
  return `${before.trimEnd().replace(/:$/, '')}${after}`;
}

export type AlertKind = AlertEvent | 'webhook.failed' | 'digest';

export type AlertInput =
  | { kind: 'message.received'; who: Who; words: string }
  | { kind: 'emergency'; who: Who; words: string; matched: string }
  | {
      kind: 'call.missed';
      who: Who;
      lineName: string;
      /** The text-back went out (or is queued); otherwise why not, in plain words. */
      textedBack: boolean;
      skipReason: string | null;
      voicemailTranscript: string | null;
    }
  | { kind: 'task.reminder' | 'task.overdue'; who: Who; title: string; dueAt: Date | null; timeZone: string; assigneeName: string | null }
  | { kind: 'webhook.failed'; url: string; eventType: string; attempts: number; lastError: string };

/** What one alert says, for every channel; stored with the notification so a retry says the same. */
export interface AlertMessage {
  kind: AlertKind;
  /** The email subject. */
  title: string;
  /** The whole text message (≤ 2 segments where possible). */
  sms: string;
  /** One line for digests. */
  summary: string;
  /** The email's paragraphs (plain text; escaped when rendered as HTML). */
  detail: string[];
  /** E.164 to call back (the tel: link); null when there is no one to call. */
  callNumber: string | null;
}

function formatDue(dueAt: Date, timeZone: string): string {
  return new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: 'numeric', minute: '2-digit' }).format(dueAt);
}

export function buildAlert(input: AlertInput): AlertMessage {
  switch (input.kind) {
    case 'message.received': {
      const who = describeWho(input.who);
      const call = callSuffix(input.who, 'Call back');
      return {
        kind: input.kind,
        title: `New reply from ${who}`,
        sms: fitQuoted(`Ringback: new reply from ${who}: `, input.words, call),
        summary: `reply from ${shortWho(input.who)}: "${truncate(oneLine(input.words), 40)}"`,
        detail: [`${who} replied:`, input.words],
        callNumber: input.who.number,
      };
    }
    case 'emergency': {
      const who = describeWho(input.who);
      const call = callSuffix(input.who, 'Call now');
      return {
        kind: input.kind,
        title: `URGENT: "${input.matched}" in a reply from ${who}`,
        sms: fitQuoted(`Ringback URGENT (${input.matched}): ${who} wrote: `, input.words, call),
        summary: `URGENT reply from ${shortWho(input.who)}: "${truncate(oneLine(input.words), 40)}"`,
        detail: [`${who} wrote something that looks urgent ("${input.matched}"):`, input.words, 'You are getting this because you are on call (or the owner, when no one is).'],
        callNumber: input.who.number,
      };
    }
    case 'call.missed': {
      const who = describeWho(input.who);
      const call = callSuffix(input.who, 'Call back');
      const outcome = input.textedBack ? 'texted back' : `not texted: ${input.skipReason ?? 'skipped'}`;
      const head = `Ringback: missed call from ${who} on ${input.lineName} (${outcome}).`;
      return {
        kind: input.kind,
        title: `Missed call from ${who}`,
        sms: input.voicemailTranscript ? fitQuoted(`${head} Voicemail: `, input.voicemailTranscript, call) : `${head}${call}`,
        summary: `missed call from ${shortWho(input.who)}`,
        detail: [`${who} called ${input.lineName} and nobody answered; they were ${outcome}.`, ...(input.voicemailTranscript ? ['Voicemail:', input.voicemailTranscript] : [])],
        callNumber: input.who.number,
      };
    }
    case 'task.reminder':
    case 'task.overdue': {
      const who = input.who.number || input.who.name ? describeWho(input.who) : null;
      const due = input.dueAt ? formatDue(input.dueAt, input.timeZone) : null;
      const overdue = input.kind === 'task.overdue';
      const when = due ? (overdue ? `was due ${due}` : `due ${due}`) : overdue ? 'is overdue' : 'is coming up';
      const assignee = overdue ? (input.assigneeName ? `, assigned to ${input.assigneeName}` : ', not assigned to anyone') : '';
      const head = overdue ? 'Ringback: OVERDUE' : 'Ringback: reminder';
      const call = callSuffix(input.who, 'Call');
      return {
        kind: input.kind,
        title: `${overdue ? 'Overdue' : 'Reminder'}: ${input.title}`,
        sms: fitQuoted(`${head}: `, input.title, ` ${when}${assignee}${who ? ` (${who})` : ''}.${call}`),
        summary: `${overdue ? 'overdue' : 'reminder'}: ${truncate(oneLine(input.title), 60)}`,
        detail: [`"${input.title}" ${when}${assignee}.`, ...(who ? [`Contact: ${who}`] : [])],
        callNumber: input.who.number,
      };
    }
    case 'webhook.failed': {
      const host = safeHost(input.url);
      return {
        kind: input.kind,
        title: `Webhook deliveries to ${host} are failing`,
        sms: fitQuoted(`Ringback: a ${input.eventType} webhook to ${host} failed after ${input.attempts} attempts: `, input.lastError, ''),
        summary: `webhook to ${host} failed`,
        detail: [
          `A ${input.eventType} webhook to ${input.url} could not be delivered after ${input.attempts} attempts.`,
          `Last error: ${input.lastError}`,
          'See the endpoint\'s delivery log in Ringback; you can redeliver it from there once the endpoint is fixed.',
        ],
        callNumber: null,
      };
    }
  }
}

function callSuffix(who: Who, label: string): string {
  return who.number ? ` ${label}: tel:${who.number}` : '';
}

function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 3).join('').trimEnd()}...`;
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** One message for several alerts: as many summaries as fit in two segments, then "+N more". */
export function buildDigest(items: ReadonlyArray<Pick<AlertMessage, 'summary' | 'detail' | 'callNumber' | 'title'>>): AlertMessage {
  const n = items.length;
  let sms = `Ringback: ${n} alert${n === 1 ? '' : 's'}: `;
  let shown = 0;
  for (const item of items) {
    const candidate = `${sms}${shown > 0 ? '; ' : ''}${shown + 1}) ${item.summary}${item.callNumber ? ` tel:${item.callNumber}` : ''}`;
    const rest = n - shown - 1;
    if (!fitsSms(rest === 0 ? candidate : `${candidate}; +${rest} more`)) break;
    sms = candidate;
    shown++;
  }
  if (shown < n) sms = `${sms}${shown > 0 ? '; ' : ''}+${n - shown} more`;
  return {
    kind: 'digest',
    title: `Ringback: ${n} alert${n === 1 ? '' : 's'}`,
    sms,
    summary: `${n} alerts`,
    detail: items.flatMap((item, i) => [`${i + 1}. ${item.title}`, ...item.detail.slice(1), ...(item.callNumber ? [`Call: tel:${item.callNumber}`] : [])]),
    callNumber: null,
  };
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** The alert as an email: the detail, a tap-to-call link, and the conversation's page when we know the public URL. */
export function renderAlertEmail(alert: AlertMessage, links: { conversationUrl: string | null }): RenderedEmail {
  const callLine = alert.callNumber ? `Call back: tel:${alert.callNumber} (${formatPhoneForDisplay(alert.callNumber)})` : null;
  const text = [
    ...alert.detail,
    '',
    ...(callLine ? [callLine] : []),
    ...(links.conversationUrl ? [`Open the conversation: ${links.conversationUrl}`] : []),
    '',
    '— Ringback (change which alerts you get in your alert preferences)',
  ].join('\n');
  const paragraphs = alert.detail.map((p) => `<p>${escapeHtml(p).replace(/tel:(\+\d+)/g, '<a href="tel:$1">tel:$1</a>')}</p>`);
  const html = [
    '<!doctype html><html><body style="font-family: sans-serif">',
    ...paragraphs,
    ...(alert.callNumber
      ? [`<p><a href="tel:${escapeHtml(alert.callNumber)}">Call back ${escapeHtml(formatPhoneForDisplay(alert.callNumber))}</a></p>`]
      : []),
    ...(links.conversationUrl ? [`<p><a href="${escapeHtml(links.conversationUrl)}">Open the conversation</a></p>`] : []),
    '<p style="color:#666">— Ringback</p>',
    '</body></html>',
  ].join('\n');
  return { subject: alert.title, text, html };
}
