import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_SEQUENCE,
  MAX_SENDS,
  firstClosedMinute,
  nextSendAt,
  sendOffsets,
  validateSequence,
  type FieldError,
  type SequenceStep,
} from './follow-up-sequence.ts';
import { checkTemplate, measureText, renderTemplate } from './templates.ts';

const STOP = 'Reply STOP to opt out.';
const wait = (minutes: number): SequenceStep => ({ type: 'wait', minutes });
const send = (body = `Still need a hand? ${STOP}`): SequenceStep => ({ type: 'send', body });
const NO_LINK = { hasBookingLink: false };

const cases: Array<{ name: string; input: { name: string; steps: SequenceStep[] }; opts?: { hasBookingLink: boolean }; errors: FieldError[] | 'ok' }> = [
  { name: 'the default sequence', input: DEFAULT_SEQUENCE, errors: 'ok' },
  { name: 'one wait, one send', input: { name: 'Nudge', steps: [wait(15), send()] }, errors: 'ok' },
  { name: 'two waits in a row add up', input: { name: 'Nudge', steps: [wait(60), wait(60), send()] }, errors: 'ok' },
  { name: 'stop in lower case is enough', input: { name: 'Nudge', steps: [wait(60), send('reply stop to opt out')] }, errors: 'ok' },
  {
    name: 'booking link with one set up',
    input: { name: 'Nudge', steps: [wait(60), send(`Book: {{booking_link}} ${STOP}`)] },
    opts: { hasBookingLink: true },
    errors: 'ok',
  },
  { name: 'the name is trimmed before counting', input: { name: `  ${'n'.repeat(80)}  `, steps: [wait(60), send()] }, errors: 'ok' },
  { name: 'empty name', input: { name: '  ', steps: [wait(60), send()] }, errors: [{ field: 'name', message: 'must not be empty' }] },
  { name: 'name too long', input: { name: 'n'.repeat(81), steps: [wait(60), send()] }, errors: [{ field: 'name', message: 'must be at most 80 characters' }] },
  {
    name: 'no steps',
    input: { name: 'Nudge', steps: [] },
    errors: [{ field: 'steps', message: 'has no send step, so it could never send anything; add a wait and then a send' }],
  },
  {
    name: 'only waits',
    input: { name: 'Nudge', steps: [wait(60)] },
    errors: [{ field: 'steps', message: 'has no send step, so it could never send anything; add a wait and then a send' }],
  },
  {
    name: 'a send first would double-text',
    input: { name: 'Nudge', steps: [send()] },
    errors: [{ field: 'steps[0]', message: 'a sequence must start with a wait: a send right after the text-back would double-text the caller' }],
  },
  {
    name: 'two sends in a row',
    input: { name: 'Nudge', steps: [wait(60), send(), send()] },
    errors: [{ field: 'steps[2]', message: 'a send must follow a wait: two sends in a row would double-text the caller' }],
  },
  {
    name: 'a wait after the last send',
    input: { name: 'Nudge', steps: [wait(60), send(), wait(60)] },
    errors: [{ field: 'steps[2]', message: 'nothing follows this wait; a sequence ends with its last send' }],
  },
  { name: 'wait too short', input: { name: 'Nudge', steps: [wait(14), send()] }, errors: [{ field: 'steps[0].minutes', message: 'must be at least 15 minutes' }] },
  {
    name: 'wait too long',
    input: { name: 'Nudge', steps: [wait(30 * 1440 + 1), send()] },
    errors: [{ field: 'steps[0].minutes', message: 'must be at most 43200 minutes (30 days)' }],
  },
  { name: 'wait of 30 days exactly', input: { name: 'Nudge', steps: [wait(30 * 1440), send()] }, errors: 'ok' },
  { name: 'fractional wait', input: { name: 'Nudge', steps: [wait(20.5), send()] }, errors: [{ field: 'steps[0].minutes', message: 'must be a whole number of minutes' }] },
  {
    name: 'waits adding up past 60 days',
    input: { name: 'Nudge', steps: [wait(30 * 1440), send(), wait(30 * 1440), send(), wait(15), send()] },
    errors: [{ field: 'steps', message: 'the waits add up to 60 days 15 min; a sequence must end within 60 days' }],
  },
  { name: 'exactly 60 days', input: { name: 'Nudge', steps: [wait(30 * 1440), send(), wait(30 * 1440), send()] }, errors: 'ok' },
  {
    name: 'too many sends',
    input: { name: 'Nudge', steps: Array.from({ length: MAX_SENDS + 1 }, () => [wait(15), send()]).flat() },
    errors: [{ field: 'steps', message: 'has 11 sends; at most 10 are allowed' }],
  },
  { name: 'ten sends', input: { name: 'Nudge', steps: Array.from({ length: MAX_SENDS }, () => [wait(15), send()]).flat() }, errors: 'ok' },
  {
    name: 'no opt-out wording',
    input: { name: 'Nudge', steps: [wait(60), send('Still need a hand?')] },
    errors: [{ field: 'steps[1].body', message: 'must say how to opt out, e.g. "Reply STOP to opt out."' }],
  },
  {
    name: '"stopping" is not opt-out wording',
    input: { name: 'Nudge', steps: [wait(60), send('We are stopping by tomorrow.')] },
    errors: [{ field: 'steps[1].body', message: 'must say how to opt out, e.g. "Reply STOP to opt out."' }],
  },
  {
    name: 'an empty body',
    input: { name: 'Nudge', steps: [wait(60), send(' ')] },
    errors: [
      { field: 'steps[1].body', message: 'the message is empty' },
      { field: 'steps[1].body', message: 'must say how to opt out, e.g. "Reply STOP to opt out."' },
    ],
  },
  {
    name: 'an unknown variable',
    input: { name: 'Nudge', steps: [wait(60), send(`Hi {{nickname}}. ${STOP}`)] },
    errors: [
      {
        field: 'steps[1].body',
        message: 'unknown variable {{nickname}}; use one of business_name, first_name, callback_window, booking_link, line_number',
      },
    ],
  },
  {
    name: 'booking link without one set up',
    input: { name: 'Nudge', steps: [wait(60), send(`Book: {{booking_link}} ${STOP}`)] },
    errors: [{ field: 'steps[1].body', message: '{{booking_link}} is used but no booking link is set up' }],
  },
  {
    name: 'every problem at once, each with its field',
    input: { name: '', steps: [send('hello'), wait(5), send()] },
    errors: [
      { field: 'name', message: 'must not be empty' },
      { field: 'steps[0]', message: 'a sequence must start with a wait: a send right after the text-back would double-text the caller' },
      { field: 'steps[0].body', message: 'must say how to opt out, e.g. "Reply STOP to opt out."' },
      { field: 'steps[1].minutes', message: 'must be at least 15 minutes' },
    ],
  },
];

for (const c of cases) {
  test(`validateSequence: ${c.name}`, () => {
    const result = validateSequence(c.input, c.opts ?? NO_LINK);
    if (c.errors === 'ok') {
      assert.equal(result.ok, true, JSON.stringify(result));
      if (result.ok) assert.equal(result.value.name, c.input.name.trim());
    } else {
      assert.deepEqual(result, { ok: false, errors: c.errors });
    }
  });
}

test('validateSequence keeps only the step fields it knows', () => {
  const result = validateSequence({ name: 'x', steps: [{ type: 'wait', minutes: 60, extra: 1 } as never, send()] }, NO_LINK);
  assert.ok(result.ok);
  assert.deepEqual(result.value.steps[0], { type: 'wait', minutes: 60 });
});

const FROM = new Date('2026-12-01T15:00:00Z');
const plus = (minutes: number) => new Date(FROM.getTime() + minutes * 60_000);
const nextCases: Array<{ name: string; steps: SequenceStep[]; index: number; want: { sendIndex: number; at: Date } | null }> = [
  { name: 'first send after the first wait', steps: DEFAULT_SEQUENCE.steps, index: 0, want: { sendIndex: 1, at: plus(120) } },
  { name: 'a pending send is due at once', steps: DEFAULT_SEQUENCE.steps, index: 1, want: { sendIndex: 1, at: FROM } },
  { name: 'after the first send: a day later', steps: DEFAULT_SEQUENCE.steps, index: 2, want: { sendIndex: 3, at: plus(1440) } },
  { name: 'after the last send: done', steps: DEFAULT_SEQUENCE.steps, index: 4, want: null },
  { name: 'past the end: done', steps: DEFAULT_SEQUENCE.steps, index: 40, want: null },
  { name: 'waits in a row add up', steps: [wait(30), wait(45), send()], index: 0, want: { sendIndex: 2, at: plus(75) } },
  { name: 'a trailing wait is not a send', steps: [wait(30), send(), wait(60)], index: 2, want: null },
  { name: 'no steps', steps: [], index: 0, want: null },
  { name: 'a negative index starts at the beginning', steps: [wait(30), send()], index: -3, want: { sendIndex: 1, at: plus(30) } },
];

for (const c of nextCases) {
  test(`nextSendAt: ${c.name}`, () => {
    assert.deepEqual(nextSendAt(c.steps, c.index, FROM), c.want);
  });
}

test('sendOffsets lists each send with its wait from the start', () => {
  assert.deepEqual(sendOffsets(DEFAULT_SEQUENCE.steps), [
    { sendIndex: 1, afterMinutes: 120 },
    { sendIndex: 3, afterMinutes: 1560 },
  ]);
});

const closeCases: Array<{ name: string; closesAt: number | null; horizonMin: number; fromOffsetMs: number; want: number | null }> = [
  { name: 'closes inside the horizon', closesAt: 10, horizonMin: 30, fromOffsetMs: 0, want: 10 },
  { name: 'stays open past the horizon', closesAt: 45, horizonMin: 30, fromOffsetMs: 0, want: null },
  { name: 'closes exactly at the horizon', closesAt: 30, horizonMin: 30, fromOffsetMs: 0, want: 30 },
  { name: 'from mid-minute: the next whole minute', closesAt: 1, horizonMin: 30, fromOffsetMs: 20_000, want: 1 },
  { name: 'never closes', closesAt: null, horizonMin: 30, fromOffsetMs: 0, want: null },
];

for (const c of closeCases) {
  test(`firstClosedMinute: ${c.name}`, () => {
    const from = new Date(FROM.getTime() + c.fromOffsetMs);
    const isOpen = (at: Date) => c.closesAt === null || at.getTime() < plus(c.closesAt).getTime();
    const got = firstClosedMinute(from, c.horizonMin * 60_000, isOpen);
    assert.deepEqual(got, c.want === null ? null : plus(c.want));
  });
}

test('the default sequence renders to one or two GSM-7 segments with a long business name', () => {
  for (const step of DEFAULT_SEQUENCE.steps) {
    if (step.type !== 'send') continue;
    assert.ok(checkTemplate(step.body, { purpose: 'reply', hasBookingLink: false }).ok);
    const text = renderTemplate(step.body, {
      business_name: 'Demo Plumbing & Heating',
      first_name: 'there',
      line_number: '(555) 555-0100',
      booking_link: '',
      callback_window: 'soon',
    });
    assert.match(text, /^Hi there, /);
    const m = measureText(text);
    assert.equal(m.encoding, 'GSM-7');
    assert.ok(m.segments <= 2, `${m.segments} segments: ${text}`);
  }
});
