// Follow-up sequences: the rules a sequence must keep to be saved, and the schedule of its sends.
// Pure: no I/O, no clock (callers pass the times).
//
// A sequence starts right after the missed-call text-back went out, so its first step must be a
// wait: a send at once would be a second text seconds after the first (a double text). Waits are
// long enough not to pester (15 minutes at least) and the whole sequence ends within 60 days, past
// which a "follow-up" on a missed call is no longer one. Automated texts say how to opt out
// (compliance reference §0 rule 2), so every send names STOP.
import { checkTemplate } from './templates.ts';

export type SequenceStep = { type: 'wait'; minutes: number } | { type: 'send'; body: string };

export type SequenceTrigger = 'missed_call_no_reply';
export const SEQUENCE_TRIGGERS: readonly SequenceTrigger[] = ['missed_call_no_reply'];

export interface SequenceDraft {
  name: string;
  steps: SequenceStep[];
}

export interface FieldError {
  field: string;
  message: string;
}

export type SequenceCheck = { ok: true; value: SequenceDraft } | { ok: false; errors: FieldError[] };

export const NAME_MAX_CHARACTERS = 80;
export const MAX_SENDS = 10;
/** Two waits in a row are allowed (they add up); this only bounds the size of what is stored. */
export const MAX_STEPS = 2 * MAX_SENDS + 10;
export const MIN_WAIT_MINUTES = 15;
export const MAX_WAIT_MINUTES = 30 * 24 * 60;
export const MAX_TOTAL_MINUTES = 60 * 24 * 60;

const MINUTE_MS = 60_000;

/**
 * Checks a sequence's name and steps (already shaped: strings, numbers and step types were
 * checked at the edge). Every problem is reported, each naming its field (`steps[2].minutes`).
 * An account's automation hours that never open are the account settings' rule, not this one.
 */
export function validateSequence(input: SequenceDraft, opts: { hasBookingLink: boolean }): SequenceCheck {
  const errors: FieldError[] = [];
  const name = input.name.trim();
  if (name === '') errors.push({ field: 'name', message: 'must not be empty' });
  else if ([...name].length > NAME_MAX_CHARACTERS) errors.push({ field: 'name', message: `must be at most ${NAME_MAX_CHARACTERS} characters` });

  const steps = input.steps;
  const sends = steps.filter((s) => s.type === 'send').length;
  if (steps.length > MAX_STEPS) {
    errors.push({ field: 'steps', message: `must have at most ${MAX_STEPS} steps` });
  }
  if (sends === 0) {
    errors.push({ field: 'steps', message: 'has no send step, so it could never send anything; add a wait and then a send' });
  } else if (sends > MAX_SENDS) {
    errors.push({ field: 'steps', message: `has ${sends} sends; at most ${MAX_SENDS} are allowed` });
  }

  let total = 0;
  steps.forEach((step, i) => {
    const at = `steps[${i}]`;
    if (step.type === 'wait') {
      if (!Number.isInteger(step.minutes)) {
        errors.push({ field: `${at}.minutes`, message: 'must be a whole number of minutes' });
      } else if (step.minutes < MIN_WAIT_MINUTES) {
        errors.push({ field: `${at}.minutes`, message: `must be at least ${MIN_WAIT_MINUTES} minutes` });
      } else if (step.minutes > MAX_WAIT_MINUTES) {
        errors.push({ field: `${at}.minutes`, message: `must be at most ${MAX_WAIT_MINUTES} minutes (30 days)` });
      }
      if (Number.isFinite(step.minutes) && step.minutes > 0) total += step.minutes;
      if (i === steps.length - 1 && sends > 0) {
        errors.push({ field: at, message: 'nothing follows this wait; a sequence ends with its last send' });
      }
      return;
    }
    const previous = steps[i - 1];
    if (previous?.type !== 'wait') {
      errors.push({
        field: at,
        message:
          i === 0
            ? 'a sequence must start with a wait: a send right after the text-back would double-text the caller'
            : 'a send must follow a wait: two sends in a row would double-text the caller',
      });
    }
    const check = checkTemplate(step.body, { purpose: 'reply', hasBookingLink: opts.hasBookingLink });
    if (!check.ok) for (const message of check.errors) errors.push({ field: `${at}.body`, message });
    if (!/\bstop\b/i.test(step.body)) {
      errors.push({ field: `${at}.body`, message: 'must say how to opt out, e.g. "Reply STOP to opt out."' });
    }
  });
  if (total > MAX_TOTAL_MINUTES) {
    errors.push({ field: 'steps', message: `the waits add up to ${formatMinutes(total)}; a sequence must end within 60 days` });
  }

  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value: { name, steps: steps.map((s) => (s.type === 'wait' ? { type: 'wait', minutes: s.minutes } : { type: 'send', body: s.body })) } };
}

/**
 * The next send at or after `stepIndex`, and when it falls due counting the waits before it from
 * `from`; null when no send is left (the run is complete). Waits are counted from when the
 * previous step actually happened, so a send held overnight keeps its gap to the next one.
 */
export function nextSendAt(steps: readonly SequenceStep[], stepIndex: number, from: Date): { sendIndex: number; at: Date } | null {
  let waited = 0;
  for (let i = Math.max(0, stepIndex); i < steps.length; i++) {
    const step = steps[i]!;
    if (step.type === 'wait') waited += step.minutes;
    else return { sendIndex: i, at: new Date(from.getTime() + waited * MINUTE_MS) };
  }
  return null;
}

/** Where each send falls if nothing is held: for showing a sequence ("2 hours", "1 day later"). */
export function sendOffsets(steps: readonly SequenceStep[]): Array<{ sendIndex: number; afterMinutes: number }> {
  const out: Array<{ sendIndex: number; afterMinutes: number }> = [];
  let total = 0;
  steps.forEach((s, i) => {
    if (s.type === 'wait') total += s.minutes;
    else out.push({ sendIndex: i, afterMinutes: total });
  });
  return out;
}

/**
 * The first whole minute in (from, from + horizonMs] at which `isOpen` says no, or null when the
 * window stays open that long. Lawful windows open and close on whole minutes (HH:MM), so looking
 * at each minute finds the close exactly.
 */
export function firstClosedMinute(from: Date, horizonMs: number, isOpen: (at: Date) => boolean): Date | null {
  const end = from.getTime() + horizonMs;
  for (let t = Math.floor(from.getTime() / MINUTE_MS) * MINUTE_MS + MINUTE_MS; t <= end; t += MINUTE_MS) {
    if (!isOpen(new Date(t))) return new Date(t);
  }
  return null;
}

function formatMinutes(total: number): string {
  const days = Math.floor(total / 1440);
  const rest = total - days * 1440;
  const hours = Math.floor(rest / 60);
  const minutes = rest - hours * 60;
  const parts = [days ? `${days} ${days === 1 ? 'day' : 'days'}` : '', hours ? `${hours} h` : '', minutes ? `${minutes} min` : ''].filter(Boolean);
  return parts.join(' ') || '0 min';
}

/** The sequence every account starts with (created on first use). Plain ASCII: one smart quote would double the cost. */
export const DEFAULT_SEQUENCE: SequenceDraft & { trigger: SequenceTrigger } = {
  name: 'Missed call follow-up',
  trigger: 'missed_call_no_reply',
  steps: [
    { type: 'wait', minutes: 120 },
    {
      type: 'send',
      body: "Hi {{first_name}}, it's {{business_name}} following up on your call. Still need a hand? Reply here or call {{line_number}}. Reply STOP to opt out.",
    },
    { type: 'wait', minutes: 24 * 60 },
    {
      type: 'send',
      body: "Hi {{first_name}}, one last note from {{business_name}}: if you still need help, just reply or call {{line_number}} and we'll take it from there. Reply STOP to opt out.",
    },
  ],
};
