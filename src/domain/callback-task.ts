// When a callback is due, and when the team is reminded and the owners told it is overdue. Pure:
// the schedule and the settings come in, instants go out.
//
// Due time counts business time: "call back within 2 hours" means two hours the business is
// open. A call at 16:00 on a day that closes at 17:00 is due at 09:00 the next open day (one hour
// that day, one hour the next), not at 18:00 when nobody is there; a call that comes while the
// business is closed is due `afterHoursDueMinutes` of open time after the next opening. The
// reminder and the escalation are plain clock offsets from the due time: they are about the
// deadline, which is already in business terms.
import { TZDate } from '@date-fns/tz';
import { nextOpening, slotAt, type BusinessSchedule, type Weekday } from './schedule.ts';

export interface CallbackTiming {
  /** Due this many open minutes after a call that comes in open hours. */
  dueMinutes: number;
  /** Due this many open minutes after the next opening, for a call outside open hours. */
  afterHoursDueMinutes: number;
  /** Remind this long before the due time; 0: no reminder. */
  remindBeforeMinutes: number;
  /** Escalate this long after the due time (0: as soon as it is due). */
  escalateAfterMinutes: number;
}

const MINUTE_MS = 60_000;
/** Open stretches walked at most (a week of minutes over split days stays far below this). */
const MAX_STRETCHES = 500;
// Date.getDay() order.
const WEEKDAY_BY_INDEX: readonly Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

function toMinutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

/**
 * The instant the open range containing `at` ends (its wall-clock end on `at`'s local date), or
 * null when `at` is in no range. Elapsed time is real time, so a range that spans a DST change is
 * an hour shorter or longer, as it is for the people working it.
 */
function openRangeEnd(at: Date, s: BusinessSchedule): number | null {
  const local = new TZDate(at.getTime(), s.timeZone);
  const minute = local.getHours() * 60 + local.getMinutes();
  const range = s.hours[WEEKDAY_BY_INDEX[local.getDay()]!].find(([start, end]) => toMinutes(start) <= minute && minute < toMinutes(end));
  if (!range) return null;
  const end = new TZDate(local.getFullYear(), local.getMonth(), local.getDate(), 0, toMinutes(range[1]), s.timeZone).getTime();
  return end > at.getTime() ? end : null;
}

/**
 * `minutes` of open time from `start` (which should be open). Past closing, the remaining
 * minutes continue from the next opening (holidays and closed days skipped). When the schedule
 * has no opening ahead (closed for weeks), the rest runs on the plain clock.
 */
export function addOpenMinutes(start: Date, minutes: number, s: BusinessSchedule): Date {
  let at = start.getTime();
  let left = minutes * MINUTE_MS;
  for (let i = 0; i < MAX_STRETCHES && left > 0; i++) {
    const end = openRangeEnd(new Date(at), s);
    if (end === null) break;
    if (at + left <= end) return new Date(at + left);
    left -= end - at;
    // Back-to-back ranges (12:00-13:00 then 13:00-17:00, or 24:00 into 00:00) reopen at once.
    const next = nextOpening(new Date(end), s);
    if (next === null) return new Date(end + left);
    at = next.getTime();
  }
  return new Date(at + left);
}

/** When the callback for a missed call at `callAt` is due. */
export function callbackDueAt(callAt: Date, schedule: BusinessSchedule, timing: Pick<CallbackTiming, 'dueMinutes' | 'afterHoursDueMinutes'>): Date {
  if (slotAt(callAt, schedule) === 'open') return addOpenMinutes(callAt, timing.dueMinutes, schedule);
  const opening = nextOpening(callAt, schedule);
  // No opening in sight: a callback is still owed, on the clock.
  if (opening === null) return new Date(callAt.getTime() + timing.dueMinutes * MINUTE_MS);
  return addOpenMinutes(opening, timing.afterHoursDueMinutes, schedule);
}

/** When to remind the assignee; null when reminders are off. */
export function reminderAt(due: Date, timing: Pick<CallbackTiming, 'remindBeforeMinutes'>): Date | null {
  return timing.remindBeforeMinutes > 0 ? new Date(due.getTime() - timing.remindBeforeMinutes * MINUTE_MS) : null;
}

/** When an open task counts as overdue for the owners. */
export function escalationAt(due: Date, timing: Pick<CallbackTiming, 'escalateAfterMinutes'>): Date {
  return new Date(due.getTime() + timing.escalateAfterMinutes * MINUTE_MS);
}

/** What the scheduler knows about an open task. */
export interface TaskTimingState {
  dueAt: Date | null;
  remindersSent: number;
  escalatedAt: Date | null;
}

/**
 * When the scheduler should next look at the task (its next_reminder_at): the reminder while
 * one is owed, else the escalation; null once escalated or without a due time.
 */
export function nextCheckAt(task: TaskTimingState, timing: Pick<CallbackTiming, 'remindBeforeMinutes' | 'escalateAfterMinutes'>): Date | null {
  if (task.dueAt === null || task.escalatedAt !== null) return null;
  const remind = task.remindersSent === 0 ? reminderAt(task.dueAt, timing) : null;
  return remind ?? escalationAt(task.dueAt, timing);
}

export type TaskCheck = { action: 'remind' | 'escalate' | 'wait'; nextCheckAt: Date | null };

/**
 * What to do when a task's check time comes, under the settings as they are now (they may have
 * changed since the check was planned, so a check that comes early only re-plans). Escalation
 * wins over a reminder that was never sent: reminding someone of a deadline that has passed
 * (the scheduler was down) adds nothing to telling the owners.
 */
export function planTaskCheck(task: TaskTimingState, timing: Pick<CallbackTiming, 'remindBeforeMinutes' | 'escalateAfterMinutes'>, now: Date): TaskCheck {
  if (task.dueAt === null || task.escalatedAt !== null) return { action: 'wait', nextCheckAt: null };
  const escalate = escalationAt(task.dueAt, timing);
  if (now.getTime() >= escalate.getTime()) return { action: 'escalate', nextCheckAt: null };
  const remind = task.remindersSent === 0 ? reminderAt(task.dueAt, timing) : null;
  if (remind !== null && now.getTime() >= remind.getTime()) return { action: 'remind', nextCheckAt: escalate };
  return { action: 'wait', nextCheckAt: remind ?? escalate };
}
