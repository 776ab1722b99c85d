// When an automated text may lawfully go to a recipient: the federal 08:00-21:00 window, every
// state rule that may apply (strictest wins), the business's own automation hours, Sunday and
// holiday bans, in EVERY time zone the recipient may be in; plus rolling frequency caps.
// Pure: no I/O, no clock (the caller passes `now`). See docs/compliance.md.
import Holidays from 'date-holidays';
import {
  DAY_NAMES,
  MONTH_NAMES,
  WEEKDAYS,
  addDays,
  clockTime,
  dayNumber,
  instantsOf,
  isValidTimeZone,
  isoDate,
  localTime,
  minutes,
  validateBusinessHours,
} from './schedule.ts';
import type { BusinessHours, LocalDay } from './schedule.ts';
import { STATE_RULES, US_STATE_CODES } from './state-rules.ts';
import type { CapSetting, StateCode, StateRule, StateRules } from './state-rules.ts';

export type { StateCode, StateRules } from './state-rules.ts';

export interface RecipientLocation {
  /** US state codes that may apply (address, Twilio CallerState, area code); [] when unknown. */
  states: StateCode[];
  /** IANA zones the recipient may be in; [] or ['Etc/Unknown'] when unknown. */
  timeZones: string[];
  source: 'address' | 'caller_state' | 'area_code' | 'unknown';
}

export type ClosedReason = 'quiet_hours' | 'sunday' | 'holiday' | 'closed_day';
export type WindowCheck = { open: true } | { open: false; reason: ClosedReason; explanation: string };

export interface LawfulWindowOptions {
  /** The business's zone: used when the recipient's zone is unknown. */
  fallbackTimeZone: string;
  rules?: StateRules;
  /** The business's own (narrower) window for automated texts, in the recipient's local time. */
  automationHours?: BusinessHours | null;
}

/** At most `messages` automated texts per rolling `windowMs`. */
export interface Cap {
  messages: number;
  windowMs: number;
}
/** A cap and who imposes it ("Florida law", "this account's limit"), for explanations. */
export interface LabelledCap extends Cap {
  label: string;
}

export type SendDecision =
  | { action: 'send' }
  | { action: 'defer'; until: Date; reason: ClosedReason | 'cap'; explanation: string };

export interface DecideSendTimeInput {
  now: Date;
  location: RecipientLocation;
  fallbackTimeZone: string;
  /** Times of automated texts already sent (or due) to this contact; STOP confirmations and HELP replies excluded. */
  recentAutomated: Date[];
  automationHours?: BusinessHours | null;
  /** undefined: the default 3 per 24 h; null: no account cap (state caps still apply). */
  accountCap?: Cap | null;
  /** Added to a deferral only (the caller derives it deterministically, 0-15 min). */
  jitterMs?: number;
  rules?: StateRules;
}

export interface FieldLike {
  field: string;
  message: string;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
/** nextLawfulInstant looks this many local days ahead (Sundays plus a holiday weekend fit easily). */
export const LAWFUL_SEARCH_DAYS = 21;
/** The account default for all automated messages (reference section 1.5.4). */
export const DEFAULT_AUTOMATED_CAP: Cap = { messages: 3, windowMs: 24 * HOUR_MS };
const UNKNOWN_ZONE = 'Etc/Unknown';

// ── Where the recipient may be ────────────────────────────────────────────────────────────────

/** Every zone a state spans, for a location that names a state but no zone (conservative). */
const STATE_TIME_ZONES: Record<StateCode, string[]> = {
  AL: ['America/Chicago'], AK: ['America/Anchorage', 'America/Adak'], AZ: ['America/Phoenix', 'America/Denver'],
  AR: ['America/Chicago'], CA: ['America/Los_Angeles'], CO: ['America/Denver'], CT: ['America/New_York'],
  DE: ['America/New_York'], DC: ['America/New_York'], FL: ['America/New_York', 'America/Chicago'],
  GA: ['America/New_York'], HI: ['Pacific/Honolulu'], ID: ['America/Boise', 'America/Los_Angeles'],
  IL: ['America/Chicago'], IN: ['America/Indiana/Indianapolis', 'America/Chicago'], IA: ['America/Chicago'],
  KS: ['America/Chicago', 'America/Denver'], KY: ['America/New_York', 'America/Chicago'], LA: ['America/Chicago'],
  ME: ['America/New_York'], MD: ['America/New_York'], MA: ['America/New_York'],
  MI: ['America/Detroit', 'America/Menominee'], MN: ['America/Chicago'], MS: ['America/Chicago'],
  MO: ['America/Chicago'], MT: ['America/Denver'], NE: ['America/Chicago', 'America/Denver'],
  NV: ['America/Los_Angeles', 'America/Denver'], NH: ['America/New_York'], NJ: ['America/New_York'],
  NM: ['America/Denver'], NY: ['America/New_York'], NC: ['America/New_York'],
  ND: ['America/Chicago', 'America/Denver'], OH: ['America/New_York'], OK: ['America/Chicago'],
  OR: ['America/Los_Angeles', 'America/Boise'], PA: ['America/New_York'], RI: ['America/New_York'],
  SC: ['America/New_York'], SD: ['America/Chicago', 'America/Denver'], TN: ['America/Chicago', 'America/New_York'],
  TX: ['America/Chicago', 'America/Denver'], UT: ['America/Denver'], VT: ['America/New_York'],
  VA: ['America/New_York'], WA: ['America/Los_Angeles'], WV: ['America/New_York'], WI: ['America/Chicago'],
  WY: ['America/Denver'],
};

/** The IANA zones a US state spans; [] for anything that is not one of the 50 states or DC. */
export function timeZonesForState(state: StateCode): string[] {
  return [...(STATE_TIME_ZONES[state.toUpperCase()] ?? [])];
}

const STATE_NAMES: Record<string, StateCode> = {
  alabama: 'AL', alaska: 'AK', arizona: 'AZ', arkansas: 'AR', california: 'CA', colorado: 'CO',
  connecticut: 'CT', delaware: 'DE', 'district of columbia': 'DC', 'washington d.c.': 'DC', 'washington dc': 'DC',
  'washington, d.c.': 'DC', 'washington, dc': 'DC', florida: 'FL', georgia: 'GA', hawaii: 'HI', idaho: 'ID',
  illinois: 'IL', indiana: 'IN', iowa: 'IA', kansas: 'KS', kentucky: 'KY', louisiana: 'LA', maine: 'ME',
  maryland: 'MD', massachusetts: 'MA', michigan: 'MI', minnesota: 'MN', mississippi: 'MS', missouri: 'MO',
  montana: 'MT', nebraska: 'NE', nevada: 'NV', 'new hampshire': 'NH', 'new jersey': 'NJ', 'new mexico': 'NM',
  'new york': 'NY', 'north carolina': 'NC', 'north dakota': 'ND', ohio: 'OH', oklahoma: 'OK', oregon: 'OR',
  pennsylvania: 'PA', 'rhode island': 'RI', 'south carolina': 'SC', 'south dakota': 'SD', tennessee: 'TN',
  texas: 'TX', utah: 'UT', vermont: 'VT', virginia: 'VA', washington: 'WA', 'washington state': 'WA',
  'west virginia': 'WV', wisconsin: 'WI', wyoming: 'WY',
};

/**
 * The US state (50 + DC) in a libphonenumber geocoder description: a state name ("Florida",
 * "Washington State", "Washington D.C.") or "City, ST" ("San Francisco, CA"). Canadian provinces,
 * territories and other countries give null.
 */
export function stateFromGeocode(description: string | null): StateCode | null {
  if (description === null) return null;
  const text = description.trim().replace(/\s+/g, ' ');
  if (text === '') return null;
  const byName = STATE_NAMES[text.toLowerCase()];
  if (byName !== undefined) return byName;
  const comma = text.lastIndexOf(',');
  if (comma === -1) return null;
  const suffix = text.slice(comma + 1).trim();
  const code = suffix.toUpperCase().replace(/\./g, '');
  if (/^[A-Z]{2}$/.test(code) && US_STATE_CODES.includes(code)) return code;
  return STATE_NAMES[suffix.toLowerCase()] ?? null;
}

// ── The window ────────────────────────────────────────────────────────────────────────────────

type ConstraintKind = 'state' | 'unknown' | 'federal' | 'automation';
interface Constraint {
  kind: ConstraintKind;
  /** "Florida", "federal", ... */
  label: string;
  hours: BusinessHours;
  /** Holidays of this state close the window (noHolidays). */
  holidays: StateRule | null;
  holidayState: StateCode | null;
}
interface Plan {
  zones: string[];
  constraints: Constraint[];
  states: StateCode[];
  stateNames: string[];
  /** No US state is known (the 09:00-20:00 window applies). */
  stateUnknown: boolean;
  /** Neither a state nor a zone is known: the business's zone stands in. */
  zoneUnknown: boolean;
}

function planFor(location: RecipientLocation, opts: LawfulWindowOptions): Plan {
  const rules = opts.rules ?? STATE_RULES;
  if (!knownZone(opts.fallbackTimeZone)) {
    throw new RangeError(`fallbackTimeZone "${opts.fallbackTimeZone}" is not an IANA time zone`);
  }
  const states = unique(location.states.map((s) => s.trim().toUpperCase()).filter((s) => rules.states[s] !== undefined));
  let zones = unique(location.timeZones.filter((z) => z !== UNKNOWN_ZONE && knownZone(z)));
  if (zones.length === 0) zones = unique(states.flatMap(timeZonesForState));
  const zoneUnknown = zones.length === 0;
  if (zoneUnknown) zones = [opts.fallbackTimeZone];

  const constraints: Constraint[] = [
    { kind: 'federal', label: 'federal', hours: rules.federal.hours, holidays: null, holidayState: null },
  ];
  for (const code of states) {
    const rule = rules.states[code]!;
    constraints.push({
      kind: 'state',
      label: rule.name,
      hours: rule.hours,
      holidays: rule.noHolidays ? rule : null,
      holidayState: rule.noHolidays ? code : null,
    });
  }
  if (states.length === 0) {
    constraints.push({ kind: 'unknown', label: rules.unknownRecipient.name, hours: rules.unknownRecipient.hours, holidays: null, holidayState: null });
  }
  if (opts.automationHours) {
    constraints.push({ kind: 'automation', label: 'business', hours: opts.automationHours, holidays: null, holidayState: null });
  }
  return { zones, constraints, states, stateNames: states.map((code) => rules.states[code]!.name), stateUnknown: states.length === 0, zoneUnknown };
}

const zoneValidity = new Map<string, boolean>();
/** isValidTimeZone, remembered (building an Intl formatter is the slow part of a check). */
function knownZone(zone: string): boolean {
  let ok = zoneValidity.get(zone);
  if (ok === undefined) {
    ok = isValidTimeZone(zone);
    if (zoneValidity.size < 1000) zoneValidity.set(zone, ok);
  }
  return ok;
}

interface Failure {
  reason: ClosedReason;
  constraint: Constraint;
  zone: string;
  day: LocalDay;
  minuteOfDay: number;
  holidayName?: string;
}

const REASON_ORDER: Record<ClosedReason, number> = { holiday: 0, sunday: 1, closed_day: 2, quiet_hours: 3 };

/**
 * The failure to explain when several rules are closed: holidays, then Sundays, then closed days,
 * then quiet hours; among quiet hours the rule that binds (the latest start before opening, the
 * earliest end after closing); ties go to the earlier constraint (federal first, so a state with
 * no rule of its own is not blamed for the federal window).
 */
function rank(f: Failure, order: number): number[] {
  if (f.reason !== 'quiet_hours') return [REASON_ORDER[f.reason], 0, 0, order];
  const ranges = f.constraint.hours[f.day.weekday];
  const next = ranges.find(([s]) => minutes(s) > f.minuteOfDay);
  // Waiting for a range later today: the later start binds. Past the last range: the earlier end.
  if (next) return [REASON_ORDER.quiet_hours, 0, -minutes(next[0]), order];
  return [REASON_ORDER.quiet_hours, 1, minutes(ranges[ranges.length - 1]![1]), order];
}

function ranksBefore(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}

function evaluate(instant: Date, plan: Plan): Failure | null {
  let worst: Failure | null = null;
  let worstRank: number[] = [];
  for (const zone of plan.zones) {
    const { day, minuteOfDay } = localTime(instant, zone);
    for (const [order, c] of plan.constraints.entries()) {
      let failure: Failure | null = null;
      const holiday = c.holidays && c.holidayState ? holidayName(c.holidayState, c.holidays, day) : null;
      if (holiday !== null) {
        failure = { reason: 'holiday', constraint: c, zone, day, minuteOfDay, holidayName: holiday };
      } else {
        const ranges = c.hours[day.weekday];
        if (ranges.length === 0) {
          const reason = day.weekday === 'sun' && c.kind !== 'automation' ? 'sunday' : 'closed_day';
          failure = { reason, constraint: c, zone, day, minuteOfDay };
        } else if (!ranges.some(([s, e]) => minutes(s) <= minuteOfDay && minuteOfDay < minutes(e))) {
          failure = { reason: 'quiet_hours', constraint: c, zone, day, minuteOfDay };
        }
      }
      if (failure === null) continue;
      const r = rank(failure, order);
      if (worst === null || ranksBefore(r, worstRank)) {
        worst = failure;
        worstRank = r;
      }
    }
  }
  return worst;
}

/**
 * Whether an automated text may go at `instant`: inside the federal window, every listed state's
 * window (and not on its Sundays or holidays), and the business's automation hours, in every
 * zone of the location. An unknown location uses the business's zone and 09:00-20:00.
 */
export function lawfulWindowCheck(instant: Date, location: RecipientLocation, opts: LawfulWindowOptions): WindowCheck {
  const plan = planFor(location, opts);
  const failure = evaluate(instant, plan);
  if (failure === null) return { open: true };
  return { open: false, reason: failure.reason, explanation: explain(failure, plan) };
}

/**
 * The earliest instant ≥ `instant` at which lawfulWindowCheck is open, or null when there is none
 * within LAWFUL_SEARCH_DAYS. Every opening of the intersection is the start of some range of some
 * rule in some zone, so those starts (as instants, on their own dates, through DST) are the only
 * candidates; each is confirmed with the same check.
 */
export function nextLawfulInstant(instant: Date, location: RecipientLocation, opts: LawfulWindowOptions): Date | null {
  const plan = planFor(location, opts);
  if (evaluate(instant, plan) === null) return new Date(instant.getTime());
  const from = instant.getTime();
  const candidates = new Set<number>();
  for (const zone of plan.zones) {
    const today = localTime(instant, zone).day;
    for (let offset = 0; offset <= LAWFUL_SEARCH_DAYS; offset++) {
      const day = addDays(today, offset);
      for (const c of plan.constraints) {
        for (const [start] of c.hours[day.weekday]) {
          for (const t of instantsOf(day, minutes(start), zone)) if (t > from) candidates.add(t);
        }
      }
    }
  }
  for (const t of [...candidates].sort((a, b) => a - b)) {
    if (evaluate(new Date(t), plan) === null) return new Date(t);
  }
  return null;
}

// ── Holidays ──────────────────────────────────────────────────────────────────────────────────

const holidayCache = new WeakMap<StateRule, Map<number, Map<string, string>>>();

/** The name of the state's public holiday on that local date, or null. */
function holidayName(state: StateCode, rule: StateRule, day: LocalDay): string | null {
  let years = holidayCache.get(rule);
  if (!years) {
    years = new Map();
    holidayCache.set(rule, years);
  }
  let dates = years.get(day.year);
  if (!dates) {
    const hd = new Holidays('US', state, { types: ['public'] });
    for (const extra of rule.extraHolidays ?? []) hd.setHoliday(extra.rule, { name: extra.name, type: 'public' });
    dates = new Map();
    for (const h of hd.getHolidays(day.year)) {
      if (h.type !== 'public') continue;
      const date = h.date.slice(0, 10);
      if (!dates.has(date)) dates.set(date, h.name);
    }
    years.set(day.year, dates);
  }
  return dates.get(isoDate(day)) ?? null;
}

// ── Caps ──────────────────────────────────────────────────────────────────────────────────────

/** A data-file or settings cap ({ messages, hours }) as a Cap. */
export function capFromSetting(setting: CapSetting): Cap {
  return { messages: setting.messages, windowMs: setting.hours * HOUR_MS };
}

/**
 * Every cap that applies, dominated ones removed: the account's (default 3 per 24 h; null for
 * none) and each listed state's. Caps that do not dominate each other (Maine's 1 per 8 h and
 * 3 per 24 h) all stay: each must hold.
 */
export function capsFor(location: RecipientLocation, rules: StateRules = STATE_RULES, accountCap?: Cap | null): LabelledCap[] {
  const all: LabelledCap[] = [];
  for (const code of unique(location.states.map((s) => s.trim().toUpperCase()))) {
    const rule = rules.states[code];
    if (rule?.cap) all.push({ ...capFromSetting(rule.cap), label: `${rule.name} law` });
  }
  const account = accountCap === undefined ? DEFAULT_AUTOMATED_CAP : accountCap;
  if (account) all.push({ ...account, label: "this account's limit" });
  const dominates = (a: Cap, b: Cap) => a.messages <= b.messages && a.windowMs >= b.windowMs;
  const kept: LabelledCap[] = [];
  for (const cap of all) {
    if (kept.some((k) => dominates(k, cap))) continue;
    for (let i = kept.length - 1; i >= 0; i--) if (dominates(cap, kept[i]!)) kept.splice(i, 1);
    kept.push(cap);
  }
  return kept;
}

/**
 * The strictest cap as one value: the cap that dominates the rest, or, when none does (Maine's
 * 1 per 8 h against 3 per 24 h), { fewest messages, longest window }, which is stricter than each.
 * decideSendTime uses capsFor instead, which keeps such caps apart.
 */
export function capFor(location: RecipientLocation, rules: StateRules = STATE_RULES, accountCap?: Cap | null): Cap | null {
  const caps = capsFor(location, rules, accountCap);
  if (caps.length === 0) return null;
  if (caps.length === 1) return { messages: caps[0]!.messages, windowMs: caps[0]!.windowMs };
  return {
    messages: Math.min(...caps.map((c) => c.messages)),
    windowMs: Math.max(...caps.map((c) => c.windowMs)),
  };
}

/**
 * `now` when one more automated text keeps every cap, else the first instant at which it does: a
 * send at s counts while s > t - windowMs, so the oldest counted one leaves at s + windowMs.
 */
export function nextUnderCap(now: Date, recentAutomatedSendTimes: readonly Date[], cap: Cap | readonly Cap[] | null): Date {
  const caps = cap === null ? [] : Array.isArray(cap) ? (cap as readonly Cap[]) : [cap as Cap];
  const times = recentAutomatedSendTimes.map((d) => d.getTime()).sort((a, b) => a - b);
  let t = now.getTime();
  for (let guard = 0; guard < 10_000; guard++) {
    let moved = false;
    for (const c of caps) {
      if (c.messages < 1) throw new RangeError('a cap must allow at least 1 message');
      const counted = times.filter((s) => s > t - c.windowMs);
      if (counted.length >= c.messages) {
        t = counted[counted.length - c.messages]! + c.windowMs;
        moved = true;
      }
    }
    if (!moved) return new Date(t);
  }
  return new Date(t);
}

// ── The decision ──────────────────────────────────────────────────────────────────────────────

/**
 * Send now, or hold until the earliest instant inside the lawful window and under every cap
 * (the cap's release moved into the window, and so on), plus jitter when that keeps it lawful.
 */
export function decideSendTime(input: DecideSendTimeInput): SendDecision {
  const opts: LawfulWindowOptions = {
    fallbackTimeZone: input.fallbackTimeZone,
    automationHours: input.automationHours ?? null,
    ...(input.rules ? { rules: input.rules } : {}),
  };
  const caps = capsFor(input.location, input.rules ?? STATE_RULES, input.accountCap);
  const plan = planFor(input.location, opts);
  const now = input.now;

  let t = now;
  let at: Date | null = null;
  for (let i = 0; i < 50; i++) {
    const underCap = nextUnderCap(t, input.recentAutomated, caps);
    const lawful = nextLawfulInstant(underCap, input.location, opts);
    if (lawful === null) break;
    if (nextUnderCap(lawful, input.recentAutomated, caps).getTime() === lawful.getTime()) {
      at = lawful;
      break;
    }
    t = lawful;
  }

  const capRelease = nextUnderCap(now, input.recentAutomated, caps);
  const capBlocked = capRelease.getTime() > now.getTime();
  const nowCheck = lawfulWindowCheck(now, input.location, opts);

  if (at === null) {
    const until = new Date(now.getTime() + LAWFUL_SEARCH_DAYS * 24 * HOUR_MS);
    const reason = capBlocked ? 'cap' : nowCheck.open ? 'closed_day' : nowCheck.reason;
    return {
      action: 'defer',
      until,
      reason,
      explanation: `Held: there is no time in the next ${LAWFUL_SEARCH_DAYS} days inside both the law's hours and the business's hours for automated texts for this recipient; check the automation hours.`,
    };
  }
  if (at.getTime() === now.getTime()) return { action: 'send' };

  let until = at;
  const jitter = Math.max(0, Math.floor(input.jitterMs ?? 0));
  if (jitter > 0) {
    const jittered = new Date(at.getTime() + jitter);
    if (evaluate(jittered, plan) === null && nextUnderCap(jittered, input.recentAutomated, caps).getTime() === jittered.getTime()) {
      until = jittered;
    }
  }

  const zone = plan.zones[0]!;
  const when = `Held until ${describeInstant(until, now, zone)}`;
  if (capBlocked) {
    const binding = caps
      .filter((c) => nextUnderCap(now, input.recentAutomated, c).getTime() > now.getTime())
      .sort((a, b) => nextUnderCap(now, input.recentAutomated, b).getTime() - nextUnderCap(now, input.recentAutomated, a).getTime())[0]!;
    const sent = input.recentAutomated.filter((d) => d.getTime() > now.getTime() - binding.windowMs).length;
    const windowText = describeDuration(binding.windowMs);
    let text = `${sent} automated ${sent === 1 ? 'text' : 'texts'} already went to this person in the last ${windowText}, and ${binding.label} allows ${binding.messages} per ${windowText}`;
    if (at.getTime() > capRelease.getTime()) {
      text += `; the next one could go at ${describeInstant(capRelease, now, zone)}, but that is outside the recipient's lawful hours`;
    }
    return { action: 'defer', until, reason: 'cap', explanation: `${when}: ${text}.` };
  }
  if (nowCheck.open) {
    // Open now, but the jitter-free instant is later: cannot happen (at === now); kept for safety.
    return { action: 'defer', until, reason: 'quiet_hours', explanation: `${when}.` };
  }
  return { action: 'defer', until, reason: nowCheck.reason, explanation: `${when}: ${nowCheck.explanation}.` };
}

// ── Human replies ─────────────────────────────────────────────────────────────────────────────

/**
 * Human-typed replies are never blocked; this is the warning the API shows when the recipient's
 * local time is outside the federal 08:00-21:00 in any of their zones (null when inside).
 */
export function humanReplyWarning(instant: Date, location: RecipientLocation, fallbackTimeZone: string, rules: StateRules = STATE_RULES): string | null {
  const plan = planFor(location, { fallbackTimeZone, rules });
  const federalOnly: Plan = { ...plan, constraints: plan.constraints.filter((c) => c.kind === 'federal') };
  const failure = evaluate(instant, federalOnly);
  if (failure === null) return null;
  const [start, end] = [rules.federal.hours[failure.day.weekday][0], rules.federal.hours[failure.day.weekday].at(-1)];
  const window = start && end ? ` (${clockTime(minutes(start[0]))} to ${clockTime(minutes(end[1]) % 1440)})` : '';
  const where = plan.zoneUnknown
    ? `in the business's time zone (${zoneName(failure.zone)}; the recipient's location is unknown)`
    : `for the recipient (${zoneName(failure.zone)})`;
  return `It is ${clockTime(failure.minuteOfDay)} ${where}, outside the usual hours for texts${window}. The reply is not blocked.`;
}

// ── Settings validation ───────────────────────────────────────────────────────────────────────

/**
 * The business's hours for automated texts: null (the law's window only) or valid hours of
 * which some range overlaps the federal window on its day; otherwise nothing could ever be sent.
 */
export function validateAutomationHours(
  hours: unknown,
  field = 'automationHours',
): { ok: true; value: BusinessHours | null } | { ok: false; errors: FieldLike[] } {
  if (hours === null) return { ok: true, value: null };
  const checked = validateBusinessHours(hours);
  if (!checked.ok) return { ok: false, errors: checked.errors.map((message) => ({ field, message })) };
  const federal = STATE_RULES.federal.hours;
  const overlaps = WEEKDAYS.some((d) =>
    checked.value[d].some(([s, e]) => federal[d].some(([fs, fe]) => minutes(s) < minutes(fe) && minutes(fs) < minutes(e))),
  );
  if (!overlaps) {
    return {
      ok: false,
      errors: [{ field, message: 'never inside lawful hours (08:00-21:00 recipient time): automated texts could never be sent' }],
    };
  }
  return { ok: true, value: checked.value };
}

/** An account cap setting: { messages: 1-10, hours: 1-168 }, whole numbers. State caps apply on top. */
export function validateCap(
  cap: unknown,
  field = 'automationCap',
): { ok: true; value: CapSetting } | { ok: false; errors: FieldLike[] } {
  if (typeof cap !== 'object' || cap === null || Array.isArray(cap)) {
    return { ok: false, errors: [{ field, message: 'must be an object like { "messages": 3, "hours": 24 }' }] };
  }
  const c = cap as Record<string, unknown>;
  const errors: FieldLike[] = [];
  for (const key of Object.keys(c)) {
    if (key !== 'messages' && key !== 'hours') errors.push({ field: `${field}.${key}`, message: 'unknown field; use messages and hours' });
  }
  const whole = (v: unknown, min: number, max: number) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
  if (!whole(c.messages, 1, 10)) errors.push({ field: `${field}.messages`, message: 'must be a whole number from 1 to 10' });
  if (!whole(c.hours, 1, 168)) errors.push({ field: `${field}.hours`, message: 'must be a whole number of hours from 1 to 168 (a week)' });
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: { messages: c.messages as number, hours: c.hours as number } };
}

// ── Words ─────────────────────────────────────────────────────────────────────────────────────

/** "Eastern Time", "Mountain Time", ... */
export function zoneName(timeZone: string, at: Date = new Date(0)): string {
  let format = zoneFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longGeneric' });
    if (zoneFormats.size < 1000) zoneFormats.set(timeZone, format);
  }
  return format.formatToParts(at).find((p) => p.type === 'timeZoneName')?.value ?? timeZone;
}
const zoneFormats = new Map<string, Intl.DateTimeFormat>();

/** "8:00 AM Eastern Time on Tuesday", "9:00 AM Eastern Time today". */
function describeInstant(instant: Date, now: Date, zone: string): string {
  const { day, minuteOfDay } = localTime(instant, zone);
  const today = localTime(now, zone).day;
  const days = dayNumber(day) - dayNumber(today);
  const time = `${clockTime(minuteOfDay)} ${zoneName(zone, instant)}`;
  if (days === 0) return `${time} today`;
  if (days > 0 && days < 7) return `${time} on ${DAY_NAMES[day.weekday]}`;
  return `${time} on ${DAY_NAMES[day.weekday]}, ${MONTH_NAMES[day.month - 1]} ${day.day}`;
}

function describeDuration(ms: number): string {
  const hours = ms / HOUR_MS;
  if (Number.isInteger(hours)) return hours === 1 ? 'hour' : `${hours} hours`;
  const mins = Math.round(ms / MINUTE_MS);
  return `${mins} minutes`;
}

function explain(f: Failure, plan: Plan): string {
  const c = f.constraint;
  const zoneNote = plan.zones.length > 1 ? ` (${zoneName(f.zone)})` : '';
  const where = c.kind === 'state' ? ` in ${c.label}` : plan.stateNames.length > 0 ? ` in ${plan.stateNames.join(' or ')}` : '';
  // "for the recipient in Florida", "(Pacific Time) for the recipient in Idaho", "in the business's time zone (Eastern Time)"
  const subject = plan.zoneUnknown ? ` in the business's time zone (${zoneName(f.zone)})` : `${zoneNote} for the recipient${where}`;
  const it = `it is ${clockTime(f.minuteOfDay)}${subject}`;
  const dayName = DAY_NAMES[f.day.weekday];

  switch (f.reason) {
    case 'holiday':
      return `it is ${f.holidayName ?? 'a public holiday'}${subject}, a public holiday on which the state allows no automated texts`;
    case 'sunday':
      return c.kind === 'state'
        ? `it is Sunday${subject}, and the state allows no automated texts on Sundays`
        : `it is Sunday${subject}, and no automated texts may go on Sundays`;
    case 'closed_day':
      return c.kind === 'automation'
        ? `it is ${dayName}${subject}, a day the business's hours for automated texts are closed`
        : `it is ${dayName}${subject}, a day ${c.kind === 'state' ? 'the state allows' : 'the rules allow'} no automated texts`;
    case 'quiet_hours':
      break;
  }

  const ranges = c.hours[f.day.weekday];
  const startOf = clockTime(minutes(ranges[0]![0]));
  const endOf = clockTime(minutes(ranges[ranges.length - 1]![1]) % 1440);
  const before = f.minuteOfDay < minutes(ranges[0]![0]);
  const after = f.minuteOfDay >= minutes(ranges[ranges.length - 1]![1]);
  const span = ranges.map(([s, e]) => `${clockTime(minutes(s))} to ${clockTime(minutes(e) % 1440)}`).join(', ');
  switch (c.kind) {
    case 'state':
      if (before) return `${it}, before the state's ${startOf} start`;
      if (after) return `${it}, after the state's ${endOf} limit`;
      return `${it}, outside the state's hours (${span})`;
    case 'federal':
      return before ? `${it}, before the federal ${startOf} start` : `${it}, after the federal ${endOf} limit`;
    case 'unknown':
      return plan.zoneUnknown
        ? `the recipient's location is unknown, so automated texts go only from ${span} in the business's time zone (${zoneName(f.zone)}), where it is ${clockTime(f.minuteOfDay)}`
        : `the recipient's state is unknown, so automated texts go only from ${span} their time; ${it}`;
    case 'automation':
      if (before) return `${it}, before the business's ${startOf} start for automated texts`;
      if (after) return `${it}, after the business's ${endOf} end for automated texts`;
      return `${it}, outside the business's hours for automated texts (${span})`;
  }
}

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}
