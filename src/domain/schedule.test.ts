import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_BUSINESS_HOURS,
  SCHEDULE_SLOTS,
  describeCallbackWindow,
  isValidTimeZone,
  nextOpening,
  slotAt,
  validateBusinessHours,
} from './schedule.ts';
import type { BusinessHours, BusinessSchedule, ScheduleSlot } from './schedule.ts';

const NY: BusinessSchedule = { timeZone: 'America/New_York', hours: DEFAULT_BUSINESS_HOURS, holidays: [] };
const LA: BusinessSchedule = { timeZone: 'America/Los_Angeles', hours: DEFAULT_BUSINESS_HOURS, holidays: [] };
const closed: BusinessHours = { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] };
const withHours = (s: BusinessSchedule, hours: Partial<BusinessHours>): BusinessSchedule => ({
  ...s,
  hours: { ...s.hours, ...hours },
});
const NY_SPLIT = withHours(NY, {
  tue: [
    ['08:00', '12:00'],
    ['13:00', '17:00'],
  ],
  sat: [['09:00', '13:00']],
});
const NY_HOLIDAYS: BusinessSchedule = { ...NY, holidays: ['2026-12-25', '2026-05-25'] };
const NY_ALWAYS = withHours(NY, Object.fromEntries(Object.keys(closed).map((d) => [d, [['00:00', '24:00']]])));

// 2026-05-11 is a Monday; New York is UTC-4 and Los Angeles UTC-7 in May.
const slotCases: Array<{ at: string; s: BusinessSchedule; name: string; want: ScheduleSlot }> = [
  { name: 'NY Monday 07:59', at: '2026-05-11T11:59:00Z', s: NY, want: 'after_hours' },
  { name: 'NY Monday 08:00 (start inclusive)', at: '2026-05-11T12:00:00Z', s: NY, want: 'open' },
  { name: 'NY Monday 16:59', at: '2026-05-11T20:59:59Z', s: NY, want: 'open' },
  { name: 'NY Monday 17:00 (end exclusive)', at: '2026-05-11T21:00:00Z', s: NY, want: 'after_hours' },
  { name: 'NY Friday 23:00', at: '2026-05-16T03:00:00Z', s: NY, want: 'after_hours' },
  { name: 'NY Saturday noon', at: '2026-05-16T16:00:00Z', s: NY, want: 'weekend' },
  { name: 'NY Sunday 02:00', at: '2026-05-17T06:00:00Z', s: NY, want: 'weekend' },
  { name: 'LA Monday 08:00 is NY 11:00', at: '2026-05-11T15:00:00Z', s: LA, want: 'open' },
  { name: 'LA Monday 07:00 while NY is open', at: '2026-05-11T14:00:00Z', s: LA, want: 'after_hours' },
  { name: 'LA Friday 16:30 while NY is closed', at: '2026-05-15T23:30:00Z', s: LA, want: 'open' },
  { name: 'LA Friday 17:00 is Saturday in UTC', at: '2026-05-16T00:00:00Z', s: LA, want: 'after_hours' },
  { name: 'split day, lunch break', at: '2026-05-12T16:30:00Z', s: NY_SPLIT, want: 'after_hours' },
  { name: 'split day, afternoon', at: '2026-05-12T17:00:00Z', s: NY_SPLIT, want: 'open' },
  { name: 'open Saturday morning', at: '2026-05-16T14:00:00Z', s: NY_SPLIT, want: 'open' },
  { name: 'open Saturday, after closing', at: '2026-05-16T18:00:00Z', s: NY_SPLIT, want: 'weekend' },
  { name: 'holiday during opening hours', at: '2026-12-25T15:00:00Z', s: NY_HOLIDAYS, want: 'holiday' },
  { name: 'holiday by local date, not UTC', at: '2026-12-26T03:00:00Z', s: NY_HOLIDAYS, want: 'holiday' },
  { name: 'UTC date is the holiday, local date is not', at: '2026-12-25T03:00:00Z', s: NY_HOLIDAYS, want: 'after_hours' },
  { name: '24:00 end covers 23:59', at: '2026-05-12T03:59:00Z', s: NY_ALWAYS, want: 'open' },
  { name: '00:00 start covers midnight', at: '2026-05-12T04:00:00Z', s: NY_ALWAYS, want: 'open' },
];

for (const c of slotCases) {
  test(`slotAt: ${c.name} → ${c.want}`, () => {
    assert.equal(slotAt(new Date(c.at), c.s), c.want);
  });
}

test('SCHEDULE_SLOTS lists every slot once', () => {
  assert.deepEqual([...SCHEDULE_SLOTS].sort(), ['after_hours', 'holiday', 'open', 'weekend']);
});

// 2026-03-08 (Sunday) New York springs forward at 02:00 EST → 03:00 EDT;
// 2026-11-01 (Sunday) it falls back at 02:00 EDT → 01:00 EST.
const NY_SUNDAY_NIGHT = withHours(NY, { sun: [['01:30', '03:00']] });
const NY_SUNDAY_GAP = withHours(NY, { sun: [['02:00', '04:00']] });
const NY_SUNDAY_LOST = withHours(NY, { sun: [['02:00', '02:30']] });
const nextCases: Array<{ name: string; at: string; s: BusinessSchedule; want: string | null }> = [
  { name: 'open now returns now', at: '2026-05-11T13:17:42.123Z', s: NY, want: '2026-05-11T13:17:42.123Z' },
  { name: 'before opening today', at: '2026-05-11T10:00:00Z', s: NY, want: '2026-05-11T12:00:00.000Z' },
  { name: 'after closing', at: '2026-05-11T21:00:00Z', s: NY, want: '2026-05-12T12:00:00.000Z' },
  { name: 'Friday evening → Monday', at: '2026-05-15T22:00:00Z', s: NY, want: '2026-05-18T12:00:00.000Z' },
  { name: 'LA Friday evening → Monday 08:00 PDT', at: '2026-05-16T01:00:00Z', s: LA, want: '2026-05-18T15:00:00.000Z' },
  { name: 'lunch break → afternoon', at: '2026-05-12T16:15:00Z', s: NY_SPLIT, want: '2026-05-12T17:00:00.000Z' },
  { name: 'skips a holiday', at: '2026-05-22T22:00:00Z', s: NY_HOLIDAYS, want: '2026-05-26T12:00:00.000Z' },
  { name: 'on a holiday', at: '2026-12-25T15:00:00Z', s: NY_HOLIDAYS, want: '2026-12-28T13:00:00.000Z' },
  { name: 'never open', at: '2026-05-11T12:00:00Z', s: { ...NY, hours: closed }, want: null },
  {
    name: 'only opening is beyond the 14-day search',
    at: '2026-05-11T12:00:00Z',
    s: {
      ...NY,
      holidays: Array.from({ length: 16 }, (_, i) => `2026-05-${String(11 + i).padStart(2, '0')}`),
    },
    want: null,
  },
  // Spring forward: Monday's opening uses EDT (UTC-4), the weekend before was EST.
  { name: 'spring forward: Saturday → Monday 08:00 EDT', at: '2026-03-07T23:00:00Z', s: NY, want: '2026-03-09T12:00:00.000Z' },
  { name: 'spring forward: Friday before, 08:00 EST', at: '2026-03-06T06:00:00Z', s: NY, want: '2026-03-06T13:00:00.000Z' },
  {
    name: 'spring forward: a range starting in the skipped hour opens when clocks jump',
    at: '2026-03-08T05:00:00Z',
    s: NY_SUNDAY_GAP,
    want: '2026-03-08T07:00:00.000Z',
  },
  {
    name: 'spring forward: a range wholly in the skipped hour never opens that day',
    at: '2026-03-08T05:00:00Z',
    s: NY_SUNDAY_LOST,
    want: '2026-03-09T12:00:00.000Z',
  },
  { name: 'spring forward: LA Saturday → Monday 08:00 PDT', at: '2026-03-08T03:00:00Z', s: LA, want: '2026-03-09T15:00:00.000Z' },
  // Fall back: Monday's opening uses EST (UTC-5), the weekend before was EDT.
  { name: 'fall back: Saturday → Monday 08:00 EST', at: '2026-10-31T23:00:00Z', s: NY, want: '2026-11-02T13:00:00.000Z' },
  { name: 'fall back: Friday before, 08:00 EDT', at: '2026-10-30T06:00:00Z', s: NY, want: '2026-10-30T12:00:00.000Z' },
  {
    name: 'fall back: 01:30 comes first in EDT',
    at: '2026-11-01T04:00:00Z',
    s: NY_SUNDAY_NIGHT,
    want: '2026-11-01T05:30:00.000Z',
  },
  {
    name: 'fall back: 01:00 EST (second time round) is closed, 01:30 EST opens again',
    at: '2026-11-01T06:00:00Z',
    s: NY_SUNDAY_NIGHT,
    want: '2026-11-01T06:30:00.000Z',
  },
  { name: 'fall back: LA Sunday → Monday 08:00 PST', at: '2026-11-01T20:00:00Z', s: LA, want: '2026-11-02T16:00:00.000Z' },
];

for (const c of nextCases) {
  test(`nextOpening: ${c.name}`, () => {
    const got = nextOpening(new Date(c.at), c.s);
    assert.equal(got?.toISOString() ?? null, c.want);
    if (got !== null) assert.equal(slotAt(got, c.s), 'open');
  });
}

const windowCases: Array<{ name: string; at: string; s: BusinessSchedule; want: string }> = [
  { name: 'open now', at: '2026-05-11T14:00:00Z', s: NY, want: 'shortly' },
  { name: 'early morning', at: '2026-05-11T10:00:00Z', s: NY, want: 'when we open at 8:00 AM' },
  { name: 'evening', at: '2026-05-11T23:00:00Z', s: NY, want: 'when we open tomorrow at 8:00 AM' },
  { name: 'after midnight UTC, still evening locally', at: '2026-05-12T02:00:00Z', s: NY, want: 'when we open tomorrow at 8:00 AM' },
  { name: 'Friday evening', at: '2026-05-15T22:00:00Z', s: NY, want: 'when we open on Monday at 8:00 AM' },
  { name: 'Saturday', at: '2026-05-16T16:00:00Z', s: NY, want: 'when we open on Monday at 8:00 AM' },
  { name: 'Sunday', at: '2026-05-17T16:00:00Z', s: NY, want: 'when we open tomorrow at 8:00 AM' },
  { name: 'LA Friday evening', at: '2026-05-16T02:00:00Z', s: LA, want: 'when we open on Monday at 8:00 AM' },
  { name: 'lunch break', at: '2026-05-12T16:15:00Z', s: NY_SPLIT, want: 'when we open at 1:00 PM' },
  { name: 'before a holiday weekend', at: '2026-05-22T22:00:00Z', s: NY_HOLIDAYS, want: 'when we open on Tuesday at 8:00 AM' },
  {
    name: 'opening a week or more away names the date',
    at: '2026-05-11T22:00:00Z',
    s: { ...NY, holidays: ['2026-05-12', '2026-05-13', '2026-05-14', '2026-05-15', '2026-05-18'] },
    want: 'when we open on Tuesday, May 19 at 8:00 AM',
  },
  {
    name: 'half past opening',
    at: '2026-05-11T10:00:00Z',
    s: withHours(NY, { mon: [['09:30', '12:00']] }),
    want: 'when we open at 9:30 AM',
  },
  {
    name: 'noon opening',
    at: '2026-05-11T10:00:00Z',
    s: withHours(NY, { mon: [['12:00', '14:00']] }),
    want: 'when we open at 12:00 PM',
  },
  {
    name: 'midnight opening',
    at: '2026-05-11T22:00:00Z',
    s: withHours(NY, { tue: [['00:00', '02:00']] }),
    want: 'when we open tomorrow at 12:00 AM',
  },
  { name: 'never open', at: '2026-05-11T14:00:00Z', s: { ...NY, hours: closed }, want: 'as soon as we can' },
  { name: 'spring forward weekend', at: '2026-03-07T23:00:00Z', s: NY, want: 'when we open on Monday at 8:00 AM' },
  { name: 'fall back Sunday', at: '2026-11-01T20:00:00Z', s: NY, want: 'when we open tomorrow at 8:00 AM' },
];

for (const c of windowCases) {
  test(`describeCallbackWindow: ${c.name} → "${c.want}"`, () => {
    assert.equal(describeCallbackWindow(new Date(c.at), c.s), c.want);
  });
}

const validHours: Array<{ name: string; input: unknown; want: BusinessHours }> = [
  { name: 'defaults', input: DEFAULT_BUSINESS_HOURS, want: DEFAULT_BUSINESS_HOURS },
  { name: 'all closed', input: closed, want: closed },
  {
    name: 'ranges are sorted; touching ranges are fine; 24:00 end',
    input: { ...closed, mon: [['13:00', '24:00'], ['00:00', '13:00']] },
    want: { ...closed, mon: [['00:00', '13:00'], ['13:00', '24:00']] },
  },
];

for (const c of validHours) {
  test(`validateBusinessHours accepts ${c.name}`, () => {
    assert.deepEqual(validateBusinessHours(c.input), { ok: true, value: c.want });
  });
}

const invalidHours: Array<{ name: string; input: unknown; errors: string[] }> = [
  {
    name: 'not an object',
    input: 'mon-fri 8-5',
    errors: ['business hours must be an object with a list of ranges for each day, mon to sun'],
  },
  { name: 'null', input: null, errors: ['business hours must be an object with a list of ranges for each day, mon to sun'] },
  { name: 'missing day', input: { ...closed, sun: undefined }, errors: ['sun is missing; use [] for a closed day'] },
  {
    name: 'unknown day',
    input: { ...closed, monday: [] },
    errors: ['unknown day "monday"; use mon, tue, wed, thu, fri, sat, sun'],
  },
  { name: 'day not a list', input: { ...closed, mon: '08:00-17:00' }, errors: ['mon must be a list of ranges like ["08:00", "17:00"]'] },
  {
    name: 'range not a pair',
    input: { ...closed, tue: [['08:00']] },
    errors: ['tue range 1 must be a pair of times like ["08:00", "17:00"]'],
  },
  {
    name: 'bad formats',
    input: { ...closed, wed: [['8:00', '17:00'], ['09:00', '25:00'], ['24:00', '24:00']] },
    errors: [
      'wed range 1: start "8:00" must be a time HH:MM from 00:00 to 23:59',
      'wed range 2: end "25:00" must be a time HH:MM from 00:01 to 24:00',
      'wed range 3: start "24:00" must be a time HH:MM from 00:00 to 23:59',
    ],
  },
  {
    name: 'start not before end',
    input: { ...closed, thu: [['17:00', '08:00'], ['09:00', '09:00']] },
    errors: ['thu range 1: start 17:00 must be before end 08:00', 'thu range 2: start 09:00 must be before end 09:00'],
  },
  {
    name: 'overlap',
    input: { ...closed, fri: [['12:00', '17:00'], ['08:00', '12:30']] },
    errors: ['fri: ranges 08:00-12:30 and 12:00-17:00 overlap'],
  },
];

for (const c of invalidHours) {
  test(`validateBusinessHours rejects ${c.name}`, () => {
    assert.deepEqual(validateBusinessHours(c.input), { ok: false, errors: c.errors });
  });
}

const zones: Array<[string, boolean]> = [
  ['America/New_York', true],
  ['America/Los_Angeles', true],
  ['Europe/London', true],
  ['UTC', true],
  ['America/Springfield', false],
  ['Eastern', false],
  ['', false],
  ['  ', false],
];

for (const [tz, want] of zones) {
  test(`isValidTimeZone(${JSON.stringify(tz)}) is ${want}`, () => {
    assert.equal(isValidTimeZone(tz), want);
  });
}
