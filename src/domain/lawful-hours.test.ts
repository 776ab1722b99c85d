import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { TZDate } from '@date-fns/tz';
import {
  DEFAULT_AUTOMATED_CAP,
  capFor,
  capsFor,
  decideSendTime,
  humanReplyWarning,
  lawfulWindowCheck,
  nextLawfulInstant,
  nextUnderCap,
  stateFromGeocode,
  timeZonesForState,
  validateAutomationHours,
  validateCap,
} from './lawful-hours.ts';
import type { LawfulWindowOptions, RecipientLocation } from './lawful-hours.ts';
import { STATE_RULES, US_STATE_CODES, parseStateRules, stateRulesMarkdown } from './state-rules.ts';
import rawRules from './data/state-rules.json' with { type: 'json' };
import type { BusinessHours, Weekday } from './schedule.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const OPTS: LawfulWindowOptions = { fallbackTimeZone: 'America/New_York' };

// One representative area code per state and the zones libphonenumber gives for it (pinned here so
// the domain tests stay pure; recipient-location.test.ts checks the library agrees).
const AREA: Record<string, { npa: string; zones: string[] }> = {
  AL: { npa: '205', zones: ['America/Chicago'] },
  AK: { npa: '907', zones: ['America/Adak', 'America/Anchorage'] },
  AZ: { npa: '602', zones: ['America/Phoenix'] },
  AR: { npa: '501', zones: ['America/Chicago'] },
  CA: { npa: '415', zones: ['America/Los_Angeles'] },
  CO: { npa: '303', zones: ['America/Denver'] },
  CT: { npa: '203', zones: ['America/New_York'] },
  DE: { npa: '302', zones: ['America/New_York'] },
  DC: { npa: '202', zones: ['America/New_York'] },
  FL: { npa: '305', zones: ['America/New_York'] },
  GA: { npa: '404', zones: ['America/New_York'] },
  HI: { npa: '808', zones: ['Pacific/Honolulu'] },
  ID: { npa: '208', zones: ['America/Boise', 'America/Los_Angeles'] },
  IL: { npa: '312', zones: ['America/Chicago'] },
  IN: { npa: '317', zones: ['America/New_York'] },
  IA: { npa: '515', zones: ['America/Chicago'] },
  KS: { npa: '785', zones: ['America/Chicago'] },
  KY: { npa: '502', zones: ['America/New_York'] },
  LA: { npa: '504', zones: ['America/Chicago'] },
  ME: { npa: '207', zones: ['America/New_York'] },
  MD: { npa: '410', zones: ['America/New_York'] },
  MA: { npa: '617', zones: ['America/New_York'] },
  MI: { npa: '313', zones: ['America/New_York'] },
  MN: { npa: '612', zones: ['America/Chicago'] },
  MS: { npa: '601', zones: ['America/Chicago'] },
  MO: { npa: '314', zones: ['America/Chicago'] },
  MT: { npa: '406', zones: ['America/Denver'] },
  NE: { npa: '402', zones: ['America/Chicago'] },
  NV: { npa: '702', zones: ['America/Los_Angeles'] },
  NH: { npa: '603', zones: ['America/New_York'] },
  NJ: { npa: '201', zones: ['America/New_York'] },
  NM: { npa: '505', zones: ['America/Denver'] },
  NY: { npa: '212', zones: ['America/New_York'] },
  NC: { npa: '919', zones: ['America/New_York'] },
  ND: { npa: '701', zones: ['America/Denver', 'America/North_Dakota/Center'] },
  OH: { npa: '614', zones: ['America/New_York'] },
  OK: { npa: '405', zones: ['America/Chicago'] },
  OR: { npa: '503', zones: ['America/Los_Angeles'] },
  PA: { npa: '215', zones: ['America/New_York'] },
  RI: { npa: '401', zones: ['America/New_York'] },
  SC: { npa: '803', zones: ['America/New_York'] },
  SD: { npa: '605', zones: ['America/Denver', 'America/North_Dakota/Center'] },
  TN: { npa: '615', zones: ['America/Chicago'] },
  TX: { npa: '512', zones: ['America/Chicago'] },
  UT: { npa: '801', zones: ['America/Denver'] },
  VT: { npa: '802', zones: ['America/New_York'] },
  VA: { npa: '804', zones: ['America/New_York'] },
  WA: { npa: '206', zones: ['America/Los_Angeles'] },
  WV: { npa: '304', zones: ['America/New_York'] },
  WI: { npa: '414', zones: ['America/Chicago'] },
  WY: { npa: '307', zones: ['America/Denver'] },
};

type Range = [string, string] | null;
interface Expected {
  weekday: Range;
  sat: Range;
  sun: Range;
  noHolidays: boolean;
  cap: { messages: number; hours: number } | null;
}
// The spec (compliance reference section 1.4); everything else is federal 08:00-21:00.
const FED: Range = ['08:00', '21:00'];
const every = (r: Range): Pick<Expected, 'weekday' | 'sat' | 'sun'> => ({ weekday: r, sat: r, sun: r });
const SPEC: Record<string, Partial<Expected>> = {
  FL: { ...every(['08:00', '20:00']), cap: { messages: 3, hours: 24 } },
  OK: { ...every(['08:00', '20:00']), cap: { messages: 3, hours: 24 } },
  MD: { ...every(['08:00', '20:00']), cap: { messages: 3, hours: 24 } },
  WA: every(['08:00', '20:00']),
  MA: every(['08:00', '20:00']),
  AL: { weekday: ['08:00', '20:00'], sat: ['08:00', '20:00'], sun: null, noHolidays: true },
  LA: { weekday: ['08:00', '20:00'], sat: ['08:00', '20:00'], sun: null, noHolidays: true },
  MS: { weekday: ['08:00', '20:00'], sat: ['08:00', '20:00'], sun: null, noHolidays: true },
  CT: every(['09:00', '20:00']),
  NV: every(['09:00', '20:00']),
  MI: every(['09:00', '21:00']),
  MN: every(['09:00', '21:00']),
  NM: every(['09:00', '21:00']),
  KY: every(['10:00', '21:00']),
  IL: every(['08:00', '21:00']),
  RI: { weekday: ['09:00', '18:00'], sat: ['10:00', '17:00'], sun: null, noHolidays: true },
  PA: { weekday: ['08:00', '21:00'], sat: ['09:00', '20:00'], sun: ['13:30', '21:00'], noHolidays: true },
  TX: { weekday: ['09:00', '21:00'], sat: ['09:00', '21:00'], sun: ['12:00', '21:00'] },
  ME: { cap: { messages: 1, hours: 8 } },
};
const expected = (code: string): Expected => ({ ...every(FED), noHolidays: false, cap: null, ...SPEC[code] });

const loc = (states: string[], timeZones: string[], source: RecipientLocation['source'] = 'area_code'): RecipientLocation => ({
  states,
  timeZones,
  source,
});
const stateLoc = (code: string) => loc([code], AREA[code]!.zones);
/** The instant the wall clock reads HH:MM on that local date in the zone. */
const wall = (date: string, hhmm: string, zone: string): number => {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const [h, min] = hhmm.split(':').map(Number) as [number, number];
  return new TZDate(y, m - 1, d, h, min, zone).getTime();
};
const open = (at: number, l: RecipientLocation, o: LawfulWindowOptions = OPTS) => lawfulWindowCheck(new Date(at), l, o).open;

// ── The data file ───────────────────────────────────────────────────────────────────────────────

test('the table covers the 50 states and DC, each with hours, holidays, cap, sources, confidence, notes', () => {
  assert.equal(Object.keys(STATE_RULES.states).length, 51);
  assert.deepEqual(Object.keys(STATE_RULES.states).sort(), [...US_STATE_CODES].sort());
  assert.match(STATE_RULES.version, /^\d{4}-\d{2}-\d{2}$/);
  assert.ok(STATE_RULES.reviewedFrom.length > 0);
  for (const [code, rule] of Object.entries(STATE_RULES.states)) {
    assert.ok(rule.sources.length > 0, `${code} sources`);
    assert.ok(['V', 'S', 'U'].includes(rule.confidence), `${code} confidence`);
    assert.ok(rule.notes.length > 0, `${code} notes`);
  }
  assert.deepEqual(STATE_RULES.federal.hours.mon, [['08:00', '21:00']]);
  assert.deepEqual(STATE_RULES.unknownRecipient.hours.sun, [['09:00', '20:00']]);
  assert.equal(Object.keys(AREA).length, 51);
});

const DAY_KEYS: Array<[keyof Pick<Expected, 'weekday' | 'sat' | 'sun'>, Weekday[]]> = [
  ['weekday', ['mon', 'tue', 'wed', 'thu', 'fri']],
  ['sat', ['sat']],
  ['sun', ['sun']],
];
for (const code of US_STATE_CODES) {
  test(`${code}: the data file matches the reference table`, () => {
    const want = expected(code);
    const rule = STATE_RULES.states[code]!;
    for (const [key, days] of DAY_KEYS) {
      for (const d of days) assert.deepEqual(rule.hours[d], want[key] ? [want[key]] : [], `${code} ${d}`);
    }
    assert.equal(rule.noHolidays, want.noHolidays, `${code} noHolidays`);
    assert.deepEqual(rule.cap, want.cap, `${code} cap`);
    if (['PA', 'TX'].includes(code)) assert.equal(rule.confidence, 'U');
  });
}

// ── Window edges for every state, in its area code's zone(s) ────────────────────────────────────

// 2026-11-18 is a Wednesday; 11-21 a Saturday; 11-22 a Sunday; no state holiday falls on them.
const SAMPLE_DAYS: Array<[keyof Pick<Expected, 'weekday' | 'sat' | 'sun'>, string]> = [
  ['weekday', '2026-11-18'],
  ['sat', '2026-11-21'],
  ['sun', '2026-11-22'],
];
for (const code of US_STATE_CODES) {
  for (const [key, date] of SAMPLE_DAYS) {
    const range = expected(code)[key];
    const zones = AREA[code]!.zones;
    const where = `${code} (${AREA[code]!.npa}: ${zones.join(' + ')}) ${key} ${date}`;
    if (range === null) {
      test(`${where}: closed all day`, () => {
        for (const hhmm of ['00:00', '08:00', '09:00', '12:00', '13:30', '17:59', '20:59', '23:59']) {
          for (const zone of zones) {
            const check = lawfulWindowCheck(new Date(wall(date, hhmm, zone)), stateLoc(code), OPTS);
            assert.equal(check.open, false, `${where} ${hhmm} ${zone}`);
            if (!check.open) assert.equal(check.reason, 'sunday');
          }
        }
      });
      continue;
    }
    test(`${where}: opens at ${range[0]} and closes at ${range[1]} in every zone`, () => {
      // Intersection over zones: the last zone to open, the first to close.
      const opensAt = Math.max(...zones.map((z) => wall(date, range[0], z)));
      const closesAt = Math.min(...zones.map((z) => wall(date, range[1], z)));
      const l = stateLoc(code);
      assert.equal(open(opensAt - MIN, l), false, `${where} one minute before open`);
      assert.equal(open(opensAt, l), true, `${where} at open`);
      assert.equal(open(closesAt - MIN, l), true, `${where} one minute before close`);
      assert.equal(open(closesAt, l), false, `${where} at close`);
      const early = lawfulWindowCheck(new Date(opensAt - MIN), l, OPTS);
      assert.ok(!early.open && early.reason === 'quiet_hours');
      assert.equal(nextLawfulInstant(new Date(opensAt - 3 * HOUR), l, OPTS)?.getTime(), opensAt, `${where} next opening`);
    });
  }
}

// ── Holidays ───────────────────────────────────────────────────────────────────────────────────

const NO_HOLIDAY_STATES = US_STATE_CODES.filter((c) => expected(c).noHolidays);
test('exactly AL, LA, MS, PA and RI block holidays', () => {
  assert.deepEqual([...NO_HOLIDAY_STATES].sort(), ['AL', 'LA', 'MS', 'PA', 'RI']);
});
for (const code of US_STATE_CODES) {
  const blocks = expected(code).noHolidays;
  // Christmas 2026 is a Friday; 2026-07-03 is the Friday observance of Independence Day.
  for (const date of ['2026-12-25', '2026-07-03']) {
    test(`${code}: ${date} is ${blocks ? 'closed all day (holiday)' : 'an ordinary Friday'}`, () => {
      const zone = AREA[code]!.zones[0]!;
      const check = lawfulWindowCheck(new Date(wall(date, '12:00', zone)), stateLoc(code), OPTS);
      if (!blocks) {
        assert.equal(check.open, true);
        return;
      }
      assert.equal(check.open, false);
      if (!check.open) {
        assert.equal(check.reason, 'holiday');
        assert.match(check.explanation, /holiday/);
      }
      const next = nextLawfulInstant(new Date(wall(date, '07:00', zone)), stateLoc(code), OPTS)!;
      assert.ok(next.getTime() > wall(date, '23:59', zone), `${code} reopens after the holiday`);
    });
  }
}

test('Pennsylvania also blocks Good Friday and Election Day (extra rules in the data file)', () => {
  const pa = stateLoc('PA');
  for (const date of ['2026-04-03', '2026-11-03', '2027-03-26']) {
    const check = lawfulWindowCheck(new Date(wall(date, '12:00', 'America/New_York')), pa, OPTS);
    assert.ok(!check.open && check.reason === 'holiday', date);
  }
  // New York has neither.
  assert.equal(open(wall('2026-11-03', '12:00', 'America/New_York'), stateLoc('NY')), true);
});

test('a holiday explanation names the holiday and the state', () => {
  const check = lawfulWindowCheck(new Date(wall('2026-12-25', '12:00', 'America/Chicago')), stateLoc('AL'), OPTS);
  assert.ok(!check.open);
  assert.match(check.explanation, /Christmas Day/);
  assert.match(check.explanation, /Alabama/);
});

// ── Scenarios ──────────────────────────────────────────────────────────────────────────────────

test('a Florida number texted at 20:30 local is held to 08:00 the next morning plus jitter', () => {
  // Tuesday 2026-11-17 20:30 in Miami.
  const now = new Date(wall('2026-11-17', '20:30', 'America/New_York'));
  const d = decideSendTime({ now, location: stateLoc('FL'), fallbackTimeZone: 'America/Chicago', recentAutomated: [], jitterMs: 7 * MIN });
  assert.equal(d.action, 'defer');
  if (d.action !== 'defer') return;
  assert.equal(d.until.getTime(), wall('2026-11-18', '08:00', 'America/New_York') + 7 * MIN);
  assert.equal(d.reason, 'quiet_hours');
  assert.equal(
    d.explanation,
    "Held until 8:07 AM Eastern Time on Wednesday: it is 8:30 PM for the recipient in Florida, after the state's 8:00 PM limit.",
  );
});

test('jitter is added only when deferring', () => {
  const now = new Date(wall('2026-11-17', '12:00', 'America/New_York'));
  assert.deepEqual(decideSendTime({ now, location: stateLoc('FL'), fallbackTimeZone: 'UTC', recentAutomated: [], jitterMs: 9 * MIN }), { action: 'send' });
});

test('Connecticut at 08:30 waits for 09:00', () => {
  const now = new Date(wall('2026-11-18', '08:30', 'America/New_York'));
  const d = decideSendTime({ now, location: stateLoc('CT'), fallbackTimeZone: 'America/New_York', recentAutomated: [] });
  assert.ok(d.action === 'defer');
  assert.equal(d.until.getTime(), wall('2026-11-18', '09:00', 'America/New_York'));
  assert.equal(d.reason, 'quiet_hours');
  assert.match(d.explanation, /^Held until 9:00 AM Eastern Time today: it is 8:30 AM for the recipient in Connecticut, before the state's 9:00 AM start\.$/);
});

test('Idaho 208 spans Boise and Los Angeles: texts go only when both are inside the window', () => {
  const id = stateLoc('ID');
  const day = '2026-11-18';
  // 08:30 in Boise is 07:30 in Los Angeles: closed.
  assert.equal(open(wall(day, '08:30', 'America/Boise'), id), false);
  // 09:00 Boise = 08:00 Los Angeles: open.
  assert.equal(open(wall(day, '09:00', 'America/Boise'), id), true);
  // 20:59 Los Angeles = 21:59 Boise: closed; 20:59 Boise = 19:59 LA: open; 21:00 Boise: closed.
  assert.equal(open(wall(day, '20:59', 'America/Los_Angeles'), id), false);
  assert.equal(open(wall(day, '20:59', 'America/Boise'), id), true);
  assert.equal(open(wall(day, '21:00', 'America/Boise'), id), false);
  const next = nextLawfulInstant(new Date(wall(day, '08:30', 'America/Boise')), id, OPTS);
  assert.equal(next?.getTime(), wall(day, '08:00', 'America/Los_Angeles'));
  const check = lawfulWindowCheck(new Date(wall(day, '08:30', 'America/Boise')), id, OPTS);
  assert.ok(!check.open);
  assert.match(check.explanation, /7:30 AM \(Pacific Time\) for the recipient in Idaho, before the federal 8:00 AM start/);
});

test('an unknown location uses the business zone and 09:00-20:00', () => {
  const unknown = loc([], [], 'unknown');
  const biz: LawfulWindowOptions = { fallbackTimeZone: 'America/Denver' };
  const day = '2026-11-22'; // a Sunday: the unknown window has no Sunday ban
  assert.equal(open(wall(day, '08:59', 'America/Denver'), unknown, biz), false);
  assert.equal(open(wall(day, '09:00', 'America/Denver'), unknown, biz), true);
  assert.equal(open(wall(day, '19:59', 'America/Denver'), unknown, biz), true);
  assert.equal(open(wall(day, '20:00', 'America/Denver'), unknown, biz), false);
  // 'Etc/Unknown' from the zone mapper means the same.
  assert.equal(open(wall(day, '08:59', 'America/Denver'), loc([], ['Etc/Unknown']), biz), false);
  const check = lawfulWindowCheck(new Date(wall(day, '20:30', 'America/Denver')), unknown, biz);
  assert.ok(!check.open);
  assert.equal(
    check.explanation,
    "the recipient's location is unknown, so automated texts go only from 9:00 AM to 8:00 PM in the business's time zone (Mountain Time), where it is 8:30 PM",
  );
});

test('a known zone without a US state (Canada, territories) uses 09:00-20:00 in that zone', () => {
  const vancouver = loc([], ['America/Vancouver']);
  assert.equal(open(wall('2026-11-18', '08:30', 'America/Vancouver'), vancouver), false);
  assert.equal(open(wall('2026-11-18', '09:00', 'America/Vancouver'), vancouver), true);
});

test('a state without a zone uses every zone the state spans', () => {
  assert.deepEqual(timeZonesForState('FL'), ['America/New_York', 'America/Chicago']);
  const fl = loc(['FL'], [], 'address');
  // 07:30 Central = 08:30 Eastern: closed because the Panhandle is still before 08:00.
  assert.equal(open(wall('2026-11-18', '07:30', 'America/Chicago'), fl), false);
  assert.equal(open(wall('2026-11-18', '08:00', 'America/Chicago'), fl), true);
  // 19:30 Central = 20:30 Eastern: closed in Miami.
  assert.equal(open(wall('2026-11-18', '19:30', 'America/Chicago'), fl), false);
});

test('several states: the strictest wins (Florida address, Kentucky area code)', () => {
  const both = loc(['FL', 'KY'], ['America/New_York'], 'address');
  assert.equal(open(wall('2026-11-18', '09:59', 'America/New_York'), both), false); // KY from 10:00
  assert.equal(open(wall('2026-11-18', '10:00', 'America/New_York'), both), true);
  assert.equal(open(wall('2026-11-18', '20:00', 'America/New_York'), both), false); // FL until 20:00
  const check = lawfulWindowCheck(new Date(wall('2026-11-18', '09:30', 'America/New_York')), both, OPTS);
  assert.ok(!check.open);
  assert.match(check.explanation, /in Kentucky, before the state's 10:00 AM start/);
});

test('the business automation hours narrow the window, in the recipient time', () => {
  const hours: BusinessHours = { mon: [['09:00', '17:00']], tue: [['09:00', '17:00']], wed: [['09:00', '17:00']], thu: [['09:00', '17:00']], fri: [['09:00', '17:00']], sat: [], sun: [] };
  const o: LawfulWindowOptions = { ...OPTS, automationHours: hours };
  const ca = stateLoc('CA');
  assert.equal(open(wall('2026-11-18', '08:30', 'America/Los_Angeles'), ca, o), false);
  assert.equal(open(wall('2026-11-18', '09:00', 'America/Los_Angeles'), ca, o), true);
  assert.equal(open(wall('2026-11-18', '17:00', 'America/Los_Angeles'), ca, o), false);
  const sat = lawfulWindowCheck(new Date(wall('2026-11-21', '12:00', 'America/Los_Angeles')), ca, o);
  assert.ok(!sat.open && sat.reason === 'closed_day');
  assert.match(sat.explanation, /business's hours for automated texts are closed/);
  const sun = lawfulWindowCheck(new Date(wall('2026-11-22', '12:00', 'America/Los_Angeles')), ca, o);
  assert.ok(!sun.open && sun.reason === 'closed_day');
  assert.equal(nextLawfulInstant(new Date(wall('2026-11-20', '17:30', 'America/Los_Angeles')), ca, o)?.getTime(), wall('2026-11-23', '09:00', 'America/Los_Angeles'));
});

test('DST spring-forward day in America/New_York (2026-03-08, a Sunday)', () => {
  const ny = stateLoc('NY');
  assert.equal(open(Date.parse('2026-03-08T11:59:00Z'), ny), false); // 07:59 EDT
  assert.equal(open(Date.parse('2026-03-08T12:00:00Z'), ny), true); // 08:00 EDT
  assert.equal(open(Date.parse('2026-03-09T00:59:00Z'), ny), true); // 20:59 EDT
  assert.equal(open(Date.parse('2026-03-09T01:00:00Z'), ny), false); // 21:00 EDT
  // From 01:30 EST, across the 02:00 jump, to 08:00 EDT (not 08:00 EST).
  assert.equal(nextLawfulInstant(new Date('2026-03-08T06:30:00Z'), ny, OPTS)?.toISOString(), '2026-03-08T12:00:00.000Z');
  // Automation hours that start in the skipped hour open when the clocks jump, still capped by 08:00.
  const o = { ...OPTS, automationHours: { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [['02:30', '23:00']] } as BusinessHours };
  assert.equal(nextLawfulInstant(new Date('2026-03-08T06:30:00Z'), ny, o)?.toISOString(), '2026-03-08T12:00:00.000Z');
});

test('DST fall-back day in America/New_York (2026-11-01, a Sunday)', () => {
  const ny = stateLoc('NY');
  assert.equal(open(Date.parse('2026-11-01T12:59:00Z'), ny), false); // 07:59 EST
  assert.equal(open(Date.parse('2026-11-01T13:00:00Z'), ny), true); // 08:00 EST
  assert.equal(open(Date.parse('2026-11-02T01:59:00Z'), ny), true); // 20:59 EST
  assert.equal(open(Date.parse('2026-11-02T02:00:00Z'), ny), false); // 21:00 EST
  // From Saturday 22:00 EDT across the repeated 01:00 hour to Sunday 08:00 EST.
  assert.equal(nextLawfulInstant(new Date('2026-11-01T02:00:00Z'), ny, OPTS)?.toISOString(), '2026-11-01T13:00:00.000Z');
  // Florida (Eastern) on the same day closes at 20:00 EST.
  assert.equal(open(Date.parse('2026-11-02T00:59:00Z'), stateLoc('FL')), true);
  assert.equal(open(Date.parse('2026-11-02T01:00:00Z'), stateLoc('FL')), false);
});

// ── Caps ───────────────────────────────────────────────────────────────────────────────────────

test('nextUnderCap: now when under the cap, else when the oldest counted one leaves the window', () => {
  const now = new Date('2026-11-18T15:00:00Z');
  const cap = { messages: 3, windowMs: 24 * HOUR };
  const at = (iso: string) => new Date(iso);
  assert.equal(nextUnderCap(now, [], cap).getTime(), now.getTime());
  assert.equal(nextUnderCap(now, [at('2026-11-18T01:00:00Z'), at('2026-11-18T02:00:00Z')], cap).getTime(), now.getTime());
  // One outside the window (exactly 24 h old) does not count.
  assert.equal(nextUnderCap(now, [at('2026-11-17T15:00:00Z'), at('2026-11-18T01:00:00Z'), at('2026-11-18T02:00:00Z')], cap).getTime(), now.getTime());
  const three = [at('2026-11-18T02:00:00Z'), at('2026-11-17T20:00:00Z'), at('2026-11-18T10:00:00Z')];
  assert.equal(nextUnderCap(now, three, cap).toISOString(), '2026-11-18T20:00:00.000Z');
  // Five in the window: three must leave before a fourth fits.
  const five = [...three, at('2026-11-18T11:00:00Z'), at('2026-11-18T12:00:00Z')];
  assert.equal(nextUnderCap(now, five, cap).toISOString(), '2026-11-19T10:00:00.000Z');
  assert.equal(nextUnderCap(now, three, null).getTime(), now.getTime());
  // Several caps: each must hold.
  const both = [cap, { messages: 1, windowMs: 8 * HOUR }];
  assert.equal(nextUnderCap(now, [at('2026-11-18T12:00:00Z')], both).toISOString(), '2026-11-18T20:00:00.000Z');
});

test('capsFor / capFor: account default 3 per 24 h everywhere; state caps on top; Maine keeps both', () => {
  assert.deepEqual(capFor(stateLoc('CA')), DEFAULT_AUTOMATED_CAP);
  assert.deepEqual(capFor(stateLoc('FL')), { messages: 3, windowMs: 24 * HOUR });
  assert.deepEqual(capFor(loc([], [], 'unknown')), DEFAULT_AUTOMATED_CAP);
  assert.equal(capFor(stateLoc('CA'), STATE_RULES, null), null);
  assert.deepEqual(capFor(stateLoc('FL'), STATE_RULES, null), { messages: 3, windowMs: 24 * HOUR });
  // A looser account cap does not loosen Florida's.
  assert.deepEqual(capFor(stateLoc('FL'), STATE_RULES, { messages: 5, windowMs: 24 * HOUR }), { messages: 3, windowMs: 24 * HOUR });
  // A stricter account cap wins.
  assert.deepEqual(capFor(stateLoc('FL'), STATE_RULES, { messages: 2, windowMs: 48 * HOUR }), { messages: 2, windowMs: 48 * HOUR });
  const me = capsFor(stateLoc('ME'));
  assert.deepEqual(me.map((c) => [c.messages, c.windowMs / HOUR]).sort(), [[1, 8], [3, 24]]);
  assert.deepEqual(capFor(stateLoc('ME')), { messages: 1, windowMs: 24 * HOUR });
});

test('a 4th automated message in 24 h waits until the first leaves the window, then for the window', () => {
  const z = 'America/New_York';
  // Texts at 06:00 (the immediate text-back, any hour), 10:00 and 11:00 on Wednesday; now noon.
  const sent = [wall('2026-11-18', '06:00', z), wall('2026-11-18', '10:00', z), wall('2026-11-18', '11:00', z)].map((t) => new Date(t));
  const d = decideSendTime({ now: new Date(wall('2026-11-18', '12:00', z)), location: stateLoc('FL'), fallbackTimeZone: z, recentAutomated: sent, jitterMs: 4 * MIN });
  assert.ok(d.action === 'defer');
  // The first leaves at Thursday 06:00, outside Florida's window: Thursday 08:00 (+ jitter).
  assert.equal(d.until.getTime(), wall('2026-11-19', '08:04', z));
  assert.equal(d.reason, 'cap');
  assert.match(d.explanation, /^Held until 8:04 AM Eastern Time on Thursday: 3 automated texts already went to this person in the last 24 hours, and Florida law allows 3 per 24 hours; the next one could go at 6:00 AM Eastern Time on Thursday, but that is outside the recipient's lawful hours\.$/);
  // Released inside the window: exactly then.
  const later = [wall('2026-11-18', '09:00', z), wall('2026-11-18', '10:00', z), wall('2026-11-18', '11:00', z)].map((t) => new Date(t));
  const e = decideSendTime({ now: new Date(wall('2026-11-18', '12:00', z)), location: stateLoc('NY'), fallbackTimeZone: z, recentAutomated: later });
  assert.ok(e.action === 'defer');
  assert.equal(e.until.getTime(), wall('2026-11-19', '09:00', z));
  assert.equal(e.reason, 'cap');
  assert.match(e.explanation, /this account's limit allows 3 per 24 hours\.$/);
  // The same release seen from California (06:00 Pacific) moves to 08:00 Pacific.
  const f = decideSendTime({ now: new Date(wall('2026-11-18', '12:00', z)), location: stateLoc('CA'), fallbackTimeZone: z, recentAutomated: later });
  assert.ok(f.action === 'defer');
  assert.equal(f.until.getTime(), wall('2026-11-19', '08:00', 'America/Los_Angeles'));
});

test('Maine: 1 automated text per 8 h', () => {
  const z = 'America/New_York';
  const me = stateLoc('ME');
  const d = decideSendTime({ now: new Date(wall('2026-11-18', '10:00', z)), location: me, fallbackTimeZone: z, recentAutomated: [new Date(wall('2026-11-18', '09:00', z))] });
  assert.ok(d.action === 'defer');
  assert.equal(d.until.getTime(), wall('2026-11-18', '17:00', z));
  assert.match(d.explanation, /1 automated text already went to this person in the last 8 hours, and Maine law allows 1 per 8 hours/);
  // 8 h after the last one falls at 01:00: held to 08:00.
  const e = decideSendTime({ now: new Date(wall('2026-11-18', '18:00', z)), location: me, fallbackTimeZone: z, recentAutomated: [new Date(wall('2026-11-18', '17:00', z))] });
  assert.ok(e.action === 'defer');
  assert.equal(e.until.getTime(), wall('2026-11-19', '08:00', z));
  // Maine's 1 per 8 h is met, but three texts (e.g. ones that did not wait) in 24 h hit the account's 3 per 24 h.
  const three = ['12:00', '12:30', '13:00'].map((t) => new Date(wall('2026-11-18', t, z)));
  const f = decideSendTime({ now: new Date(wall('2026-11-19', '08:00', z)), location: me, fallbackTimeZone: z, recentAutomated: three });
  assert.ok(f.action === 'defer');
  assert.equal(f.until.getTime(), wall('2026-11-19', '12:00', z));
  assert.match(f.explanation, /this account's limit allows 3 per 24 hours/);
  assert.deepEqual(decideSendTime({ now: new Date(wall('2026-11-18', '17:01', z)), location: me, fallbackTimeZone: z, recentAutomated: [new Date(wall('2026-11-18', '09:00', z))] }), { action: 'send' });
});

test('jitter that would leave the window is dropped', () => {
  const z = 'America/New_York';
  const sent = ['19:55', '20:00', '20:30'].map((t) => new Date(wall('2026-11-17', t, z)));
  // Florida, cap releases Wednesday 19:55; 10 min of jitter would be 20:05, after 20:00.
  const d = decideSendTime({ now: new Date(wall('2026-11-18', '12:00', z)), location: stateLoc('FL'), fallbackTimeZone: z, recentAutomated: sent, jitterMs: 10 * MIN });
  assert.ok(d.action === 'defer');
  assert.equal(d.until.getTime(), wall('2026-11-18', '19:55', z));
});

// ── Property: nextLawfulInstant agrees with lawfulWindowCheck ───────────────────────────────────

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('nextLawfulInstant agrees with lawfulWindowCheck over random instants, states and zones', () => {
  const rand = prng(20261122);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const start = Date.parse('2026-01-01T00:00:00Z');
  const span = 2 * 365 * 24 * HOUR;
  const automation: Array<BusinessHours | null> = [
    null,
    null,
    { mon: [['09:00', '17:00']], tue: [['09:00', '17:00']], wed: [['09:00', '12:00'], ['13:00', '17:30']], thu: [['09:00', '17:00']], fri: [['09:00', '17:00']], sat: [['10:00', '14:00']], sun: [] },
    { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [['00:00', '24:00']] },
  ];
  for (let i = 0; i < 600; i++) {
    const t = new Date(start + Math.floor(rand() * span));
    const kind = rand();
    let l: RecipientLocation;
    if (kind < 0.1) l = loc([], [], 'unknown');
    else if (kind < 0.2) l = loc([pick(US_STATE_CODES), pick(US_STATE_CODES)], [...AREA[pick(US_STATE_CODES)]!.zones, ...AREA[pick(US_STATE_CODES)]!.zones]);
    else l = stateLoc(pick(US_STATE_CODES));
    const o: LawfulWindowOptions = { fallbackTimeZone: pick(['America/New_York', 'America/Los_Angeles', 'Europe/London']), automationHours: pick(automation) };
    const what = `${t.toISOString()} ${JSON.stringify(l)} ${o.fallbackTimeZone} ${o.automationHours ? 'automation' : ''}`;
    const next = nextLawfulInstant(t, l, o);
    if (next === null) {
      // Only when nothing is open for the whole search (e.g. Sunday-only automation hours in Alabama).
      for (let m = 0; m < 21 * 24 * 60; m += 30) assert.equal(lawfulWindowCheck(new Date(t.getTime() + m * MIN), l, o).open, false, `null but open: ${what}`);
      continue;
    }
    assert.equal(lawfulWindowCheck(next, l, o).open, true, `result open: ${what}`);
    if (lawfulWindowCheck(t, l, o).open) {
      assert.equal(next.getTime(), t.getTime(), what);
      continue;
    }
    assert.ok(next.getTime() > t.getTime(), what);
    assert.equal(lawfulWindowCheck(new Date(next.getTime() - MIN), l, o).open, false, `one minute earlier closed: ${what} → ${next.toISOString()}`);
    // Spot checks: nothing in between is open.
    for (let k = 0; k < 5; k++) {
      const between: number = t.getTime() + Math.floor(rand() * (next.getTime() - t.getTime()));
      assert.equal(lawfulWindowCheck(new Date(between), l, o).open, false, `between: ${what} ${new Date(between).toISOString()}`);
    }
  }
});

test('decideSendTime sends exactly when the window is open and the cap allows', () => {
  const rand = prng(7);
  const start = Date.parse('2026-06-01T00:00:00Z');
  for (let i = 0; i < 200; i++) {
    const now = new Date(start + Math.floor(rand() * 60 * 24 * HOUR));
    const code = US_STATE_CODES[Math.floor(rand() * US_STATE_CODES.length)]!;
    const recent = Array.from({ length: Math.floor(rand() * 5) }, () => new Date(now.getTime() - Math.floor(rand() * 30 * HOUR)));
    const l = stateLoc(code);
    const d = decideSendTime({ now, location: l, fallbackTimeZone: 'America/New_York', recentAutomated: recent, jitterMs: Math.floor(rand() * 15 * MIN) });
    const openNow = lawfulWindowCheck(now, l, OPTS).open;
    const capOk = nextUnderCap(now, recent, capsFor(l)).getTime() === now.getTime();
    assert.equal(d.action === 'send', openNow && capOk, `${code} ${now.toISOString()}`);
    if (d.action === 'defer') {
      assert.ok(d.until.getTime() > now.getTime());
      assert.equal(lawfulWindowCheck(d.until, l, OPTS).open, true, `until lawful: ${code} ${now.toISOString()}`);
      assert.equal(nextUnderCap(d.until, recent, capsFor(l)).getTime(), d.until.getTime(), 'until under the cap');
      assert.match(d.explanation, /^Held until /);
    }
  }
});

// ── Validation and parsing ─────────────────────────────────────────────────────────────────────

test('validateAutomationHours: reuses the business-hours checks and refuses a window that never sends', () => {
  const week = (r: Array<[string, string]>): BusinessHours => ({ mon: r, tue: r, wed: r, thu: r, fri: r, sat: r, sun: r });
  assert.deepEqual(validateAutomationHours(null), { ok: true, value: null });
  const ok = validateAutomationHours(week([['09:00', '17:00']]));
  assert.ok(ok.ok);
  const night = validateAutomationHours(week([['21:00', '24:00'], ['00:00', '08:00']]));
  assert.ok(!night.ok);
  assert.deepEqual(night.errors, [{ field: 'automationHours', message: 'never inside lawful hours (08:00-21:00 recipient time): automated texts could never be sent' }]);
  const allClosed = validateAutomationHours(week([]));
  assert.ok(!allClosed.ok);
  // One minute of overlap is enough.
  assert.ok(validateAutomationHours({ ...week([]), sun: [['20:59', '23:00']] }).ok);
  const bad = validateAutomationHours({ mon: [['9', '17:00']] });
  assert.ok(!bad.ok);
  assert.ok(bad.errors.length > 1 && bad.errors.every((e) => e.field === 'automationHours'));
  assert.ok(!validateAutomationHours('9-5').ok);
});

test('validateCap: messages 1-10 and hours 1-168, whole numbers', () => {
  assert.deepEqual(validateCap({ messages: 3, hours: 24 }), { ok: true, value: { messages: 3, hours: 24 } });
  assert.ok(validateCap({ messages: 1, hours: 1 }).ok);
  assert.ok(validateCap({ messages: 10, hours: 168 }).ok);
  for (const bad of [{ messages: 0, hours: 24 }, { messages: 11, hours: 24 }, { messages: 3, hours: 0 }, { messages: 3, hours: 169 }, { messages: 2.5, hours: 24 }, { messages: '3', hours: 24 }, { messages: 3 }, null, [], { messages: 3, hours: 24, extra: 1 }]) {
    const r = validateCap(bad);
    assert.ok(!r.ok, JSON.stringify(bad));
  }
  const r = validateCap({ messages: 0, hours: 200 });
  assert.ok(!r.ok);
  assert.deepEqual(r.errors.map((e) => e.field), ['automationCap.messages', 'automationCap.hours']);
});

test('stateFromGeocode: state names, "City, ST", DC; Canada and elsewhere are null', () => {
  const cases: Array<[string | null, string | null]> = [
    ['Florida', 'FL'],
    ['New Jersey', 'NJ'],
    ['District of Columbia', 'DC'],
    ['Washington D.C.', 'DC'],
    ['Washington, DC', 'DC'],
    ['Washington State', 'WA'],
    ['Washington', 'WA'],
    ['San Francisco, CA', 'CA'],
    ['Omaha, NE', 'NE'],
    ['Windsor North, Orem, UT', 'UT'],
    ['  new york  ', 'NY'],
    ['Ontario', null],
    ['British Columbia', null],
    ['Toronto, ON', null],
    ['Charlotte Amalie, VI', null],
    ['London', null],
    ['', null],
    [null, null],
  ];
  for (const [input, want] of cases) assert.equal(stateFromGeocode(input), want, String(input));
});

test('parseStateRules rejects a malformed entry with a clear message', () => {
  const clone = () => JSON.parse(JSON.stringify(rawRules)) as { states: Record<string, Record<string, unknown>> };
  assert.doesNotThrow(() => parseStateRules(clone()));
  const badHours = clone();
  badHours.states.FL!.hours = { mon: [['08:00', '25:00']] };
  assert.throws(() => parseStateRules(badHours), /states\.FL\.hours: .*25:00/);
  const missing = clone();
  delete missing.states.TX;
  assert.throws(() => parseStateRules(missing), /states\.TX is missing/);
  const badCap = clone();
  badCap.states.ME!.cap = { messages: 0, hours: 8 };
  assert.throws(() => parseStateRules(badCap), /states\.ME\.cap/);
  const badConfidence = clone();
  badConfidence.states.CT!.confidence = 'maybe';
  assert.throws(() => parseStateRules(badConfidence), /states\.CT\.confidence/);
  const badRule = clone();
  badRule.states.PA!.extraHolidays = [{ rule: 'whenever', name: 'x' }];
  assert.throws(() => parseStateRules(badRule), /states\.PA\.extraHolidays\[0\]/);
  const extra = clone();
  extra.states.PR = extra.states.FL!;
  assert.throws(() => parseStateRules(extra), /unknown state code "PR"/);
});

test('an invalid business time zone is refused', () => {
  assert.throws(() => lawfulWindowCheck(new Date(), loc([], [], 'unknown'), { fallbackTimeZone: 'Mars/Base' }), /not an IANA time zone/);
});

test('humanReplyWarning: warns outside 08:00-21:00 recipient time, never blocks', () => {
  const z = 'America/Los_Angeles';
  assert.equal(humanReplyWarning(new Date(wall('2026-11-18', '20:30', z)), stateLoc('CA'), 'America/New_York'), null);
  // Florida's own 20:00 limit is for automated texts; a person may still reply at 20:30.
  assert.equal(humanReplyWarning(new Date(wall('2026-11-18', '20:30', 'America/New_York')), stateLoc('FL'), 'America/New_York'), null);
  assert.equal(
    humanReplyWarning(new Date(wall('2026-11-18', '21:15', z)), stateLoc('CA'), 'America/New_York'),
    'It is 9:15 PM for the recipient (Pacific Time), outside the usual hours for texts (8:00 AM to 9:00 PM). The reply is not blocked.',
  );
  const unknown = humanReplyWarning(new Date(wall('2026-11-18', '07:00', 'America/Chicago')), loc([], [], 'unknown'), 'America/Chicago');
  assert.match(unknown ?? '', /^It is 7:00 AM in the business's time zone \(Central Time; the recipient's location is unknown\)/);
  // Idaho: 08:30 Boise is 07:30 Los Angeles.
  assert.match(humanReplyWarning(new Date(wall('2026-11-18', '08:30', 'America/Boise')), stateLoc('ID'), z) ?? '', /7:30 AM for the recipient \(Pacific Time\)/);
});

test('docs/compliance.md carries the current state table', () => {
  const doc = readFileSync(new URL('../../docs/compliance.md', import.meta.url), 'utf8');
  const table = /<!-- state-rules:begin -->\n([\s\S]*?)\n<!-- state-rules:end -->/.exec(doc)?.[1];
  assert.equal(table, stateRulesMarkdown(), 'regenerate section 8 of docs/compliance.md (see section 1 there)');
});
