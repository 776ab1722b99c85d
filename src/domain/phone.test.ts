import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatPhoneForDisplay, isFictionalNanp, normalizePhone } from './phone.ts';
import type { NormalizeOptions, PhoneResult } from './phone.ts';

const NOT_A_NUMBER: PhoneResult = { ok: false, reason: 'must be a phone number in E.164 form, e.g. +12125550123' };
const NOT_VALID: PhoneResult = { ok: false, reason: 'is not a valid phone number for its country' };
const ok = (e164: string): PhoneResult => ({ ok: true, e164 });

const normalizeCases: Array<{ input: string; opts?: NormalizeOptions; want: PhoneResult }> = [
  { input: '(212) 555-0123', want: ok('+12125550123') },
  { input: '2125550123', want: ok('+12125550123') },
  { input: '12125550123', want: ok('+12125550123') },
  { input: '212.555.0123', want: ok('+12125550123') },
  { input: '+1 212-555-0123', want: ok('+12125550123') },
  { input: '  +1 (415) 555 2671  ', want: ok('+14155552671') },
  { input: '+44 7911 123456', want: ok('+447911123456') },
  { input: '011 44 7911 123456', want: ok('+447911123456') },
  { input: '07911 123456', opts: { defaultRegion: 'GB' }, want: ok('+447911123456') },
  { input: '07911 123456', want: NOT_VALID },
  // NANP fiction range: not a real number, accepted only when fiction is allowed (the default).
  { input: '+15555550100', want: ok('+15555550100') },
  { input: '(555) 555-0199', want: ok('+15555550199') },
  { input: '+15555550100', opts: { allowFictional: false }, want: NOT_VALID },
  { input: '+15555550200', want: NOT_VALID },
  // Every 555-01XX number is fiction, even in a real area code: refused when fiction is not allowed.
  { input: '+12125550142', opts: { allowFictional: false }, want: NOT_VALID },
  { input: '+12125550142', want: ok('+12125550142') },
  { input: '', want: { ok: false, reason: 'is required' } },
  { input: '   ', want: { ok: false, reason: 'is required' } },
  { input: 'abc', want: NOT_A_NUMBER },
  { input: '1-800-FLOWERS', want: NOT_A_NUMBER },
  { input: '212-555-0123 x12', want: NOT_A_NUMBER },
  { input: 'call 212-555-0123', want: NOT_A_NUMBER },
  { input: '212+5550123', want: NOT_A_NUMBER },
  { input: '12345', want: NOT_VALID },
  { input: '+1212555012', want: NOT_VALID },
  { input: '+1 212 555 01234', want: NOT_VALID },
  { input: '+266696687', want: NOT_VALID },
];

for (const c of normalizeCases) {
  test(`normalizePhone(${JSON.stringify(c.input)}, ${JSON.stringify(c.opts ?? {})})`, () => {
    assert.deepEqual(normalizePhone(c.input, c.opts), c.want);
  });
}

const fictionalCases: Array<[string, boolean]> = [
  ['+15555550100', true],
  ['+15555550199', true],
  ['+12125550142', true],
  ['+19995550101', true],
  ['+12125550200', false],
  ['+12125550099', false],
  ['+11235550100', false], // area codes start 2-9
  ['+447911555010', false],
  ['12125550142', false], // not E.164
  ['+121255501420', false],
];

for (const [e164, want] of fictionalCases) {
  test(`isFictionalNanp(${e164}) is ${want}`, () => {
    assert.equal(isFictionalNanp(e164), want);
  });
}

const displayCases: Array<[string, string]> = [
  ['+15555550100', '(555) 555-0100'],
  ['+12125550123', '(212) 555-0123'],
  ['+447911123456', '+44 7911 123456'],
  ['not a number', 'not a number'],
  ['', ''],
];

for (const [e164, want] of displayCases) {
  test(`formatPhoneForDisplay(${JSON.stringify(e164)}) is ${JSON.stringify(want)}`, () => {
    assert.equal(formatPhoneForDisplay(e164), want);
  });
}
