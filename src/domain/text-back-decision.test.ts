import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SKIP_REASONS, decideTextBack, describeDecision } from './text-back-decision.ts';
import type { Decision, SkipReason, TextBackInput } from './text-back-decision.ts';

const NOW = new Date('2026-05-12T15:00:00Z');
const DAY = 24 * 60 * 60 * 1000;
const ago = (ms: number) => new Date(NOW.getTime() - ms);

const base: TextBackInput = {
  now: NOW,
  callOutcome: 'missed',
  callerId: { kind: 'valid', e164: '+12127365000', lineType: 'unknown', fictional: false },
  contact: { blocked: false, lineType: 'unknown', invalid: false },
  suppressed: false,
  line: { paused: false, messagingEnabled: true },
  account: { paused: false },
  lastAutoTextAt: null,
  lastPersonContactAt: null,
  cooldownMs: DAY,
};

const SEND: Decision = { action: 'send', reason: 'missed_call' };
const skip = (reason: SkipReason): Decision => ({ action: 'skip', reason });
const valid = (lineType: 'mobile' | 'landline' | 'voip' | 'toll_free' | 'no_sms' | 'unknown') =>
  ({ kind: 'valid', e164: '+12127365000', lineType, fictional: false }) as const;

const cases: Array<{ name: string; change: Partial<TextBackInput>; want: Decision }> = [
  { name: 'a missed call from a plain number', change: {}, want: SEND },
  { name: 'no contact record yet', change: { contact: null }, want: SEND },
  { name: 'busy counts as missed', change: { callOutcome: 'busy' }, want: SEND },
  { name: 'failed counts as missed', change: { callOutcome: 'failed' }, want: SEND },
  { name: 'voicemail counts as missed', change: { callOutcome: 'voicemail' }, want: SEND },
  { name: 'rejected counts as missed', change: { callOutcome: 'rejected' }, want: SEND },
  { name: 'mobile caller', change: { callerId: valid('mobile') }, want: SEND },
  { name: 'voip caller', change: { callerId: valid('voip') }, want: SEND },
  { name: 'fictional caller (demo)', change: { callerId: { ...valid('unknown'), fictional: true } }, want: SEND },

  // One case per skip reason.
  { name: 'answered', change: { callOutcome: 'answered' }, want: skip('answered') },
  { name: 'account paused', change: { account: { paused: true } }, want: skip('account_paused') },
  { name: 'line paused', change: { line: { paused: true, messagingEnabled: true } }, want: skip('line_paused') },
  {
    name: 'messaging off',
    change: { line: { paused: false, messagingEnabled: false } },
    want: skip('messaging_disabled'),
  },
  { name: 'anonymous', change: { callerId: { kind: 'anonymous', raw: '+266696687' } }, want: skip('anonymous_caller') },
  { name: 'invalid caller ID', change: { callerId: { kind: 'invalid', raw: 'abc' } }, want: skip('invalid_caller') },
  { name: 'short code', change: { callerId: { kind: 'short_code', raw: '12345' } }, want: skip('short_code') },
  { name: 'blocked', change: { contact: { blocked: true, lineType: 'unknown', invalid: false } }, want: skip('blocked') },
  { name: 'opted out', change: { suppressed: true }, want: skip('opted_out') },
  {
    name: 'contact learned invalid (delivery errors)',
    change: { contact: { blocked: false, lineType: 'unknown', invalid: true } },
    want: skip('invalid_caller'),
  },
  { name: 'landline caller ID', change: { callerId: valid('landline') }, want: skip('not_mobile') },
  { name: 'toll-free caller ID', change: { callerId: valid('toll_free') }, want: skip('not_mobile') },
  { name: 'premium-rate, pager or voicemail caller ID', change: { callerId: valid('no_sms') }, want: skip('not_mobile') },
  { name: 'a person replied', change: { lastPersonContactAt: ago(60_000) }, want: skip('person_replied') },
  { name: 'already auto-texted', change: { lastAutoTextAt: ago(60_000) }, want: skip('cooldown') },

  // Line type: the contact's learned type wins unless it is unknown.
  {
    name: 'contact learned landline beats a mobile-looking number',
    change: { callerId: valid('mobile'), contact: { blocked: false, lineType: 'landline', invalid: false } },
    want: skip('not_mobile'),
  },
  {
    name: 'contact learned toll-free',
    change: { contact: { blocked: false, lineType: 'toll_free', invalid: false } },
    want: skip('not_mobile'),
  },
  {
    name: 'contact learned mobile beats a landline-looking number',
    change: { callerId: valid('landline'), contact: { blocked: false, lineType: 'mobile', invalid: false } },
    want: SEND,
  },
  {
    name: 'contact learned voip beats a landline-looking number',
    change: { callerId: valid('landline'), contact: { blocked: false, lineType: 'voip', invalid: false } },
    want: SEND,
  },
  {
    name: 'contact type unknown falls back to the caller ID',
    change: { callerId: valid('landline'), contact: { blocked: false, lineType: 'unknown', invalid: false } },
    want: skip('not_mobile'),
  },
  { name: 'no contact: caller ID type decides', change: { callerId: valid('toll_free'), contact: null }, want: skip('not_mobile') },

  // Precedence: the first rule that applies wins.
  {
    name: 'answered beats everything',
    change: { callOutcome: 'answered', account: { paused: true }, suppressed: true },
    want: skip('answered'),
  },
  {
    name: 'account paused beats anonymous',
    change: { account: { paused: true }, callerId: { kind: 'anonymous', raw: '' } },
    want: skip('account_paused'),
  },
  {
    name: 'account paused beats line paused',
    change: { account: { paused: true }, line: { paused: true, messagingEnabled: false } },
    want: skip('account_paused'),
  },
  {
    name: 'line paused beats messaging off',
    change: { line: { paused: true, messagingEnabled: false } },
    want: skip('line_paused'),
  },
  {
    name: 'messaging off beats anonymous',
    change: { line: { paused: false, messagingEnabled: false }, callerId: { kind: 'anonymous', raw: '' } },
    want: skip('messaging_disabled'),
  },
  {
    name: 'blocked beats opted out',
    change: { contact: { blocked: true, lineType: 'unknown', invalid: false }, suppressed: true },
    want: skip('blocked'),
  },
  {
    name: 'opted out beats learned invalid',
    change: { contact: { blocked: false, lineType: 'unknown', invalid: true }, suppressed: true },
    want: skip('opted_out'),
  },
  {
    name: 'opted out beats landline',
    change: { callerId: valid('landline'), suppressed: true },
    want: skip('opted_out'),
  },
  {
    name: 'landline beats cooldown',
    change: { callerId: valid('landline'), lastAutoTextAt: ago(1000) },
    want: skip('not_mobile'),
  },
  {
    name: 'person replied beats cooldown',
    change: { lastPersonContactAt: ago(1000), lastAutoTextAt: ago(1000) },
    want: skip('person_replied'),
  },

  // Cooldown boundaries: now - last < cooldownMs is "within".
  { name: 'auto text exactly one cooldown ago', change: { lastAutoTextAt: ago(DAY) }, want: SEND },
  { name: 'auto text 1 ms short of the cooldown', change: { lastAutoTextAt: ago(DAY - 1) }, want: skip('cooldown') },
  { name: 'auto text long ago', change: { lastAutoTextAt: ago(30 * DAY) }, want: SEND },
  { name: 'auto text stamped in the future (skew)', change: { lastAutoTextAt: ago(-5000) }, want: skip('cooldown') },
  { name: 'person contact exactly one cooldown ago', change: { lastPersonContactAt: ago(DAY) }, want: SEND },
  {
    name: 'person contact 1 ms short of the cooldown',
    change: { lastPersonContactAt: ago(DAY - 1) },
    want: skip('person_replied'),
  },
  {
    name: 'shorter cooldown setting',
    change: { cooldownMs: 60 * 60 * 1000, lastAutoTextAt: ago(2 * 60 * 60 * 1000) },
    want: SEND,
  },
  { name: 'zero cooldown never skips', change: { cooldownMs: 0, lastAutoTextAt: NOW }, want: SEND },
];

for (const c of cases) {
  test(`decideTextBack: ${c.name} → ${c.want.action} ${c.want.reason}`, () => {
    assert.deepEqual(decideTextBack({ ...base, ...c.change }), c.want);
  });
}

test('every skip reason is reachable from the table', () => {
  const reached = new Set(cases.map((c) => c.want.reason));
  assert.deepEqual(
    SKIP_REASONS.filter((r) => !reached.has(r)),
    [],
  );
});

const decisions: Decision[] = [SEND, ...SKIP_REASONS.map(skip)];
for (const d of decisions) {
  test(`describeDecision(${d.reason}) is one plain sentence`, () => {
    const text = describeDecision(d);
    assert.match(text, /^[A-Z][^.]*[a-z)]\.$/);
    assert.match(text, d.action === 'send' ? /^Texted back/ : /^Not texted: /);
  });
}

test('describeDecision gives every reason its own sentence', () => {
  const texts = decisions.map((d) => describeDecision(d));
  assert.equal(new Set(texts).size, texts.length);
});

const cooldownWording: Array<{ reason: SkipReason; cooldownMs?: number; want: string }> = [
  {
    reason: 'cooldown',
    cooldownMs: DAY,
    want: 'Not texted: this caller already got an automatic text from this line in the last 24 hours.',
  },
  {
    reason: 'cooldown',
    cooldownMs: 60 * 60 * 1000,
    want: 'Not texted: this caller already got an automatic text from this line in the last hour.',
  },
  {
    reason: 'cooldown',
    cooldownMs: 30 * 60 * 1000,
    want: 'Not texted: this caller already got an automatic text from this line in the last 30 minutes.',
  },
  {
    reason: 'cooldown',
    cooldownMs: 7 * DAY,
    want: 'Not texted: this caller already got an automatic text from this line in the last 7 days.',
  },
  { reason: 'cooldown', want: 'Not texted: this caller already got an automatic text from this line recently.' },
  {
    reason: 'person_replied',
    cooldownMs: DAY,
    want: 'Not texted: someone on your team already texted or called this caller in the last 24 hours.',
  },
];

for (const c of cooldownWording) {
  test(`describeDecision(${c.reason}, cooldownMs ${c.cooldownMs}) names the window`, () => {
    const opts = c.cooldownMs === undefined ? {} : { cooldownMs: c.cooldownMs };
    assert.equal(describeDecision(skip(c.reason), opts), c.want);
  });
}
