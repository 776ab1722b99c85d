import { TZDate, tzOffset } from '@date-fns/tz';

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';
/** Ranges of local "HH:MM" times, end exclusive; "24:00" may end a range; [] for a closed day. */
export type BusinessHours = Record<Weekday, Array<[string, string]>>;
export interface BusinessSchedule {
  timeZone: string;
  hours: BusinessHours;
  /** Local dates, 'YYYY-MM-DD'. */
  holidays: string[];
}

export type ScheduleSlot = 'open' | 'after_hours' | 'weekend' | 'holiday';
export const SCHEDULE_SLOTS: readonly ScheduleSlot[] = ['open', 'after_hours', 'weekend', 'holiday'];

export const WEEKDAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

export const DEFAULT_BUSINESS_HOURS: BusinessHours = {
  mon: [['08:00', '17:00']],
  tue: [['08:00', '17:00']],
  wed: [['08:00', '17:00']],
  thu: [['08:00', '17:00']],
  fri: [['08:00', '17:00']],
  sat: [],
  sun: [],
};

// Date.getDay() order.
const BY_DAY_INDEX: readonly Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
export const DAY_NAMES: Record<Weekday, string> = {
  mon: 'Monday',
  tue: 'Tuesday',
  wed: 'Wednesday',
  thu: 'Thursday',
  fri: 'Friday',
  sat: 'Saturday',
  sun: 'Sunday',
};
export const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September',
  'October', 'November', 'December'];
const SEARCH_DAYS = 14;
const MINUTE_MS = 60_000;

/** A calendar date in the business's time zone. */
export interface LocalDay {
  year: number;
  month: number; // 1-12
  day: number;
  weekday: Weekday;
}

export function slotAt(instant: Date, s: BusinessSchedule): ScheduleSlot {
  const { day, minuteOfDay } = localTime(instant, s.timeZone);
  if (s.holidays.includes(isoDate(day))) return 'holiday';
  if (s.hours[day.weekday].some(([start, end]) => minutes(start) <= minuteOfDay && minuteOfDay < minutes(end))) {
    return 'open';
  }
  return day.weekday === 'sat' || day.weekday === 'sun' ? 'weekend' : 'after_hours';
}

/**
 * Opening times are wall-clock times, so each candidate is converted to an instant for its own
 * date (the UTC offset differs either side of a DST change) and then checked with slotAt, which
 * keeps the two functions in agreement even for ranges that a DST jump skips or repeats.
 */
export function nextOpening(instant: Date, s: BusinessSchedule): Date | null {
  if (slotAt(instant, s) === 'open') return new Date(instant.getTime());
  const today = localTime(instant, s.timeZone).day;
  for (let offset = 0; offset <= SEARCH_DAYS; offset++) {
    const day = addDays(today, offset);
    if (s.holidays.includes(isoDate(day))) continue;
    const opening = s.hours[day.weekday]
      .flatMap(([start]) => instantsOf(day, minutes(start), s.timeZone))
      .filter((t) => t > instant.getTime() && slotAt(new Date(t), s) === 'open')
      .sort((a, b) => a - b)[0];
    if (opening !== undefined) return new Date(opening);
  }
  return null;
}

/** Finishes "We'll call you back …". */
export function describeCallbackWindow(instant: Date, s: BusinessSchedule): string {
  if (slotAt(instant, s) === 'open') return 'shortly';
  const opening = nextOpening(instant, s);
  if (opening === null) return 'as soon as we can';
  const from = localTime(instant, s.timeZone).day;
  const { day, minuteOfDay } = localTime(opening, s.timeZone);
  const days = dayNumber(day) - dayNumber(from);
  const at = `at ${clockTime(minuteOfDay)}`;
  if (days === 0) return `when we open ${at}`;
  if (days === 1) return `when we open tomorrow ${at}`;
  // A bare weekday a week or more away would read as this week's.
  const date = days < 7 ? DAY_NAMES[day.weekday] : `${DAY_NAMES[day.weekday]}, ${MONTH_NAMES[day.month - 1]} ${day.day}`;
  return `when we open on ${date} ${at}`;
}

export function isValidTimeZone(tz: string): boolean {
  if (tz.trim() === '') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const START_TIME = /^([01]\d|2[0-3]):[0-5]\d$/;
const END_TIME = /^(([01]\d|2[0-3]):[0-5]\d|24:00)$/;

export function validateBusinessHours(
  h: unknown,
): { ok: true; value: BusinessHours } | { ok: false; errors: string[] } {
  if (typeof h !== 'object' || h === null || Array.isArray(h)) {
    return { ok: false, errors: ['business hours must be an object with a list of ranges for each day, mon to sun'] };
  }
  const input = h as Record<string, unknown>;
  const errors: string[] = [];
  for (const key of Object.keys(input)) {
    if (!(WEEKDAYS as readonly string[]).includes(key)) {
      errors.push(`unknown day "${key}"; use ${WEEKDAYS.join(', ')}`);
    }
  }
  const value = {} as BusinessHours;
  for (const weekday of WEEKDAYS) {
    const ranges = input[weekday];
    if (ranges === undefined) {
      errors.push(`${weekday} is missing; use [] for a closed day`);
      continue;
    }
    if (!Array.isArray(ranges)) {
      errors.push(`${weekday} must be a list of ranges like ["08:00", "17:00"]`);
      continue;
    }
    const valid: Array<[string, string]> = [];
    ranges.forEach((range: unknown, i) => {
      const where = `${weekday} range ${i + 1}`;
      if (!Array.isArray(range) || range.length !== 2 || !range.every((t) => typeof t === 'string')) {
        errors.push(`${where} must be a pair of times like ["08:00", "17:00"]`);
        return;
      }
      const [start, end] = range as [string, string];
      const startOk = START_TIME.test(start);
      const endOk = END_TIME.test(end);
      if (!startOk) errors.push(`${where}: start "${start}" must be a time HH:MM from 00:00 to 23:59`);
      if (!endOk) errors.push(`${where}: end "${end}" must be a time HH:MM from 00:01 to 24:00`);
      if (!startOk || !endOk) return;
      if (minutes(start) >= minutes(end)) errors.push(`${where}: start ${start} must be before end ${end}`);
      else valid.push([start, end]);
    });
    valid.sort((a, b) => minutes(a[0]) - minutes(b[0]));
    for (let i = 1; i < valid.length; i++) {
      const [prev, next] = [valid[i - 1]!, valid[i]!];
      if (minutes(next[0]) < minutes(prev[1])) {
        errors.push(`${weekday}: ranges ${prev[0]}-${prev[1]} and ${next[0]}-${next[1]} overlap`);
      }
    }
    value[weekday] = valid;
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value };
}

export function minutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? NaN) * 60 + (m ?? NaN);
}

export function localTime(instant: Date, timeZone: string): { day: LocalDay; minuteOfDay: number } {
  const local = new TZDate(instant.getTime(), timeZone);
  return {
    day: {
      year: local.getFullYear(),
      month: local.getMonth() + 1,
      day: local.getDate(),
      weekday: BY_DAY_INDEX[local.getDay()]!,
    },
    minuteOfDay: local.getHours() * 60 + local.getMinutes(),
  };
}

/**
 * Every instant at which the wall clock reads minuteOfDay on that day: one normally, two when a
 * fall-back repeats the time. A time skipped by spring-forward maps to the moment the clocks jump,
 * which is when a range that started in the gap really opens.
 */
export function instantsOf(day: LocalDay, minuteOfDay: number, timeZone: string): number[] {
  const first = new TZDate(day.year, day.month - 1, day.day, 0, minuteOfDay, timeZone).getTime();
  const later = new Date(first + 3 * 60 * MINUTE_MS);
  const repeat = first + (tzOffset(timeZone, new Date(first)) - tzOffset(timeZone, later)) * MINUTE_MS;
  const again = localTime(new Date(repeat), timeZone);
  const repeated = repeat > first && again.minuteOfDay === minuteOfDay && isoDate(again.day) === isoDate(day);
  return repeated ? [first, repeat] : [first];
}

export function addDays(d: LocalDay, n: number): LocalDay {
  const date = new Date(Date.UTC(d.year, d.month - 1, d.day + n));
  return {
    year: date.getUTCFullYear(),
    month: date.getUTCMonth() + 1,
    day: date.getUTCDate(),
    weekday: BY_DAY_INDEX[date.getUTCDay()]!,
  };
}

export function dayNumber(d: LocalDay): number {
  return Date.UTC(d.year, d.month - 1, d.day) / (24 * 60 * MINUTE_MS);
}

export function isoDate(d: LocalDay): string {
  return `${String(d.year).padStart(4, '0')}-${pad(d.month)}-${pad(d.day)}`;
}

export function clockTime(minuteOfDay: number): string {
  const h = Math.floor(minuteOfDay / 60);
  const hour12 = h % 12 === 0 ? 12 : h % 12;
  return `${hour12}:${pad(minuteOfDay % 60)} ${h < 12 ? 'AM' : 'PM'}`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
