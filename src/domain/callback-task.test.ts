import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addOpenMinutes, callbackDueAt, escalationAt, nextCheckAt, planTaskCheck, reminderAt, type CallbackTiming, type TaskTimingState } from './callback-task.ts';
import { DEFAULT_BUSINESS_HOURS, type BusinessHours, type BusinessSchedule } from './schedule.ts';

const CLOSED: BusinessHours = { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] };
const NY: BusinessSchedule = { timeZone: 'America/New_York', hours: DEFAULT_BUSINESS_HOURS, holidays: [] };
const LA: BusinessSchedule = { ...NY, timeZone: 'America/Los_Angeles' };
const withHours = (s: BusinessSchedule, hours: Partial<BusinessHours>): BusinessSchedule => ({ ...s, hours: { ...s.hours, ...hours } });
const NY_LUNCH = withHours(NY, { tue: [['08:00', '12:00'], ['13:00', '17:00']] });
const NY_ALWAYS: BusinessSchedule = { ...NY, hours: Object.fromEntries(Object.keys(CLOSED).map((d) => [d, [['00:00', '24:00']]])) as BusinessHours };
const NY_SUNDAY_NIGHT: BusinessSchedule = { ...NY, hours: { ...CLOSED, sun: [['00:00', '03:00']] } };
const NY_NEVER: BusinessSchedule = { ...NY, hours: CLOSED };

const DEFAULTS: CallbackTiming = { dueMinutes: 120, afterHoursDueMinutes: 60, remindBeforeMinutes: 15, escalateAfterMinutes: 0 };

// New York: EST (UTC-5) until 2026-03-08 02:00, EDT (UTC-4) until 2026-11-01 02:00.
// 2026-03-03 is a Tuesday; 2026-05-11 a Monday.
const dueCases: Array<{ name: string; call: string; s: BusinessSchedule; timing?: Partial<CallbackTiming>; want: string }> = [
  { name: 'open hours: 10:00 → 12:00', call: '2026-03-03T15:00:00Z', s: NY, want: '2026-03-03T17:00:00Z' },
  { name: 'due exactly at closing stays that day', call: '2026-03-03T20:00:00Z', s: NY, want: '2026-03-03T22:00:00Z' },
  { name: '16:00: one hour today, one from tomorrow\'s opening', call: '2026-03-03T21:00:00Z', s: NY, want: '2026-03-04T14:00:00Z' },
  { name: 'a second before closing: almost all of it tomorrow', call: '2026-03-03T21:59:59Z', s: NY, want: '2026-03-04T14:59:59Z' },
  { name: 'evening 19:00 (closed) → next opening + 1 h', call: '2026-03-04T00:00:00Z', s: NY, want: '2026-03-04T14:00:00Z' },
  { name: 'early morning 06:30 → opening 08:00 + 1 h', call: '2026-03-03T11:30:00Z', s: NY, want: '2026-03-03T14:00:00Z' },
  { name: 'exactly at opening is open hours', call: '2026-03-03T13:00:00Z', s: NY, want: '2026-03-03T15:00:00Z' },
  { name: 'exactly at closing is after hours', call: '2026-03-03T22:00:00Z', s: NY, want: '2026-03-04T14:00:00Z' },
  {
    name: 'Friday 16:30 runs over the weekend and the DST change to Monday 09:30 EDT',
    call: '2026-03-06T21:30:00Z',
    s: NY,
    want: '2026-03-09T13:30:00Z',
  },
  { name: 'Saturday noon → Monday 08:00 (EDT after the change) + 1 h', call: '2026-03-07T17:00:00Z', s: NY, want: '2026-03-09T13:00:00Z' },
  { name: 'Sunday → Monday 09:00', call: '2026-05-10T16:00:00Z', s: NY, want: '2026-05-11T13:00:00Z' },
  { name: 'tomorrow is a holiday: the rest runs on the day after', call: '2026-03-03T21:00:00Z', s: { ...NY, holidays: ['2026-03-04'] }, want: '2026-03-05T14:00:00Z' },
  { name: 'a call on a holiday waits for the next open day', call: '2026-03-04T15:00:00Z', s: { ...NY, holidays: ['2026-03-04'] }, want: '2026-03-05T14:00:00Z' },
  { name: 'holiday on Monday after a weekend', call: '2026-05-08T20:30:00Z', s: { ...NY, holidays: ['2026-05-11'] }, want: '2026-05-12T13:30:00Z' },
  { name: 'lunch break does not count', call: '2026-03-03T16:30:00Z', s: NY_LUNCH, want: '2026-03-03T19:30:00Z' },
  { name: 'a call over lunch is due an hour after the afternoon opens', call: '2026-03-03T17:30:00Z', s: NY_LUNCH, want: '2026-03-03T19:00:00Z' },
  { name: 'open round the clock: midnight joins the next day', call: '2026-05-12T03:00:00Z', s: NY_ALWAYS, want: '2026-05-12T05:00:00Z' },
  { name: 'spring forward inside open hours: real minutes count', call: '2026-03-08T06:30:00Z', s: NY_ALWAYS, want: '2026-03-08T08:30:00Z' },
  {
    name: 'fall back inside a range: 00:30 EDT + 2 h is 01:30 EST (the second 01:30)',
    call: '2026-11-01T04:30:00Z',
    s: NY_SUNDAY_NIGHT,
    want: '2026-11-01T06:30:00Z',
  },
  {
    name: 'fall back: a range cut short at 03:00 EST carries on next Sunday',
    call: '2026-11-01T07:30:00Z',
    s: NY_SUNDAY_NIGHT,
    // 30 minutes until 03:00 EST (08:00Z), 90 more from 00:00 EST on 2026-11-08 (05:00Z).
    want: '2026-11-08T06:30:00Z',
  },
  { name: 'ten hours of work spans into the next day', call: '2026-05-11T14:00:00Z', s: NY, timing: { dueMinutes: 600 }, want: '2026-05-12T15:00:00Z' },
  { name: 'afterHoursDueMinutes 0: due at the opening', call: '2026-03-04T00:00:00Z', s: NY, timing: { afterHoursDueMinutes: 0 }, want: '2026-03-04T13:00:00Z' },
  { name: 'the business\'s own zone: 10:00 in Los Angeles', call: '2026-03-03T18:00:00Z', s: LA, want: '2026-03-03T20:00:00Z' },
  { name: 'never open: on the clock', call: '2026-03-03T15:00:00Z', s: NY_NEVER, want: '2026-03-03T17:00:00Z' },
];

for (const c of dueCases) {
  test(`callbackDueAt: ${c.name}`, () => {
    const due = callbackDueAt(new Date(c.call), c.s, { ...DEFAULTS, ...c.timing });
    assert.equal(due.toISOString(), new Date(c.want).toISOString());
  });
}

test('addOpenMinutes: zero minutes is the start itself', () => {
  assert.equal(addOpenMinutes(new Date('2026-03-03T15:00:00Z'), 0, NY).toISOString(), '2026-03-03T15:00:00.000Z');
});

const offsetCases: Array<{ name: string; timing: Partial<CallbackTiming>; reminder: string | null; escalation: string }> = [
  { name: 'defaults: 15 min before, escalate at due', timing: {}, reminder: '2026-03-03T16:45:00Z', escalation: '2026-03-03T17:00:00Z' },
  { name: 'reminders off', timing: { remindBeforeMinutes: 0 }, reminder: null, escalation: '2026-03-03T17:00:00Z' },
  { name: 'escalate 30 min late', timing: { escalateAfterMinutes: 30 }, reminder: '2026-03-03T16:45:00Z', escalation: '2026-03-03T17:30:00Z' },
  { name: 'remind an hour ahead', timing: { remindBeforeMinutes: 60 }, reminder: '2026-03-03T16:00:00Z', escalation: '2026-03-03T17:00:00Z' },
];

for (const c of offsetCases) {
  test(`reminderAt / escalationAt: ${c.name}`, () => {
    const due = new Date('2026-03-03T17:00:00Z');
    const timing = { ...DEFAULTS, ...c.timing };
    assert.equal(reminderAt(due, timing)?.toISOString() ?? null, c.reminder === null ? null : new Date(c.reminder).toISOString());
    assert.equal(escalationAt(due, timing).toISOString(), new Date(c.escalation).toISOString());
  });
}

const DUE = new Date('2026-03-03T17:00:00Z');
const fresh: TaskTimingState = { dueAt: DUE, remindersSent: 0, escalatedAt: null };
const reminded: TaskTimingState = { ...fresh, remindersSent: 1 };
const at = (iso: string) => new Date(iso);

const checkCases: Array<{ name: string; task: TaskTimingState; timing?: Partial<CallbackTiming>; now: string; action: string; next: string | null }> = [
  { name: 'before the reminder: wait for it', task: fresh, now: '2026-03-03T16:00:00Z', action: 'wait', next: '2026-03-03T16:45:00Z' },
  { name: 'reminder time: remind, then wait for the escalation', task: fresh, now: '2026-03-03T16:45:00Z', action: 'remind', next: '2026-03-03T17:00:00Z' },
  { name: 'already reminded, before due: wait', task: reminded, now: '2026-03-03T16:50:00Z', action: 'wait', next: '2026-03-03T17:00:00Z' },
  { name: 'due (escalate after 0): escalate, nothing after', task: reminded, now: '2026-03-03T17:00:00Z', action: 'escalate', next: null },
  { name: 'both passed (scheduler was down): escalate only', task: fresh, now: '2026-03-03T18:00:00Z', action: 'escalate', next: null },
  { name: 'already escalated: nothing more', task: { ...reminded, escalatedAt: DUE }, now: '2026-03-03T19:00:00Z', action: 'wait', next: null },
  { name: 'no due time: nothing', task: { dueAt: null, remindersSent: 0, escalatedAt: null }, now: '2026-03-03T19:00:00Z', action: 'wait', next: null },
  { name: 'reminders turned off since: the reminder check only re-plans', task: fresh, timing: { remindBeforeMinutes: 0 }, now: '2026-03-03T16:45:00Z', action: 'wait', next: '2026-03-03T17:00:00Z' },
  { name: 'escalation delay: due passed but not yet escalation', task: reminded, timing: { escalateAfterMinutes: 30 }, now: '2026-03-03T17:10:00Z', action: 'wait', next: '2026-03-03T17:30:00Z' },
  { name: 'escalation delay reached', task: reminded, timing: { escalateAfterMinutes: 30 }, now: '2026-03-03T17:30:00Z', action: 'escalate', next: null },
];

for (const c of checkCases) {
  test(`planTaskCheck: ${c.name}`, () => {
    const plan = planTaskCheck(c.task, { ...DEFAULTS, ...c.timing }, at(c.now));
    assert.equal(plan.action, c.action);
    assert.equal(plan.nextCheckAt?.toISOString() ?? null, c.next === null ? null : at(c.next).toISOString());
  });
}

const nextCases: Array<{ name: string; task: TaskTimingState; timing?: Partial<CallbackTiming>; want: string | null }> = [
  { name: 'a new task: its reminder', task: fresh, want: '2026-03-03T16:45:00Z' },
  { name: 'reminders off: the due time (escalate after 0)', task: fresh, timing: { remindBeforeMinutes: 0 }, want: '2026-03-03T17:00:00Z' },
  { name: 'reminded: the escalation', task: reminded, timing: { escalateAfterMinutes: 15 }, want: '2026-03-03T17:15:00Z' },
  { name: 'escalated: none', task: { ...reminded, escalatedAt: DUE }, want: null },
  { name: 'no due time: none', task: { dueAt: null, remindersSent: 0, escalatedAt: null }, want: null },
];

for (const c of nextCases) {
  test(`nextCheckAt: ${c.name}`, () => {
    assert.equal(nextCheckAt(c.task, { ...DEFAULTS, ...c.timing })?.toISOString() ?? null, c.want === null ? null : at(c.want).toISOString());
  });
}
