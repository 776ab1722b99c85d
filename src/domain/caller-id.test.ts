import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classifyCallerId } from './caller-id.ts';
import type { CallerId } from './caller-id.ts';

const SENTINELS = ['266696687', '7378742833', '2562533', '8656696', '86282452253'];
const sentinelForms = SENTINELS.flatMap((d) => [d, `+${d}`, `1${d}`, `+1${d}`, ` +${d} `]);

for (const raw of sentinelForms) {
  test(`keypad sentinel ${JSON.stringify(raw)} is anonymous, not a foreign number`, () => {
    assert.deepEqual(classifyCallerId(raw, { allowFictional: true }), { kind: 'anonymous', raw });
  });
}

const LITERALS = ['Anonymous', 'Restricted', 'Unknown', 'Private', 'Unavailable', 'Blocked', 'Withheld', 'Private Number'];
const literalForms = LITERALS.flatMap((w) => [w, w.toUpperCase(), w.toLowerCase(), `  ${w}  `]);

for (const raw of [...literalForms, 'private   number', '', '   ', null, undefined]) {
  test(`caller ID ${JSON.stringify(raw)} is anonymous`, () => {
    assert.deepEqual(classifyCallerId(raw, { allowFictional: true }), { kind: 'anonymous', raw: raw ?? '' });
  });
}

const cases: Array<{ raw: string; allowFictional?: boolean; want: CallerId }> = [
  { raw: '12345', want: { kind: 'short_code', raw: '12345' } },
  { raw: '898211', want: { kind: 'short_code', raw: '898211' } },
  { raw: '611', want: { kind: 'short_code', raw: '611' } },
  { raw: ' 22395 ', want: { kind: 'short_code', raw: ' 22395 ' } },
  { raw: '+12127365000', want: { kind: 'valid', e164: '+12127365000', lineType: 'unknown', fictional: false } },
  { raw: '(212) 736-5000', want: { kind: 'valid', e164: '+12127365000', lineType: 'unknown', fictional: false } },
  { raw: '4155552671', want: { kind: 'valid', e164: '+14155552671', lineType: 'unknown', fictional: false } },
  { raw: '+447911123456', want: { kind: 'valid', e164: '+447911123456', lineType: 'mobile', fictional: false } },
  { raw: '+442071838750', want: { kind: 'valid', e164: '+442071838750', lineType: 'landline', fictional: false } },
  { raw: '+445600123456', want: { kind: 'valid', e164: '+445600123456', lineType: 'voip', fictional: false } },
  { raw: '+18005551234', want: { kind: 'valid', e164: '+18005551234', lineType: 'toll_free', fictional: false } },
  { raw: '+19005551234', want: { kind: 'valid', e164: '+19005551234', lineType: 'no_sms', fictional: false } },
  { raw: '+449012345678', want: { kind: 'valid', e164: '+449012345678', lineType: 'no_sms', fictional: false } },
  { raw: '+18885550100', want: { kind: 'valid', e164: '+18885550100', lineType: 'unknown', fictional: true } },
  { raw: '+15555550123', want: { kind: 'valid', e164: '+15555550123', lineType: 'unknown', fictional: true } },
  { raw: '+15555550123', allowFictional: false, want: { kind: 'invalid', raw: '+15555550123' } },
  { raw: '+12125550142', allowFictional: false, want: { kind: 'invalid', raw: '+12125550142' } },
  { raw: '12', want: { kind: 'invalid', raw: '12' } },
  { raw: '1234567', want: { kind: 'invalid', raw: '1234567' } },
  { raw: '+12345', want: { kind: 'invalid', raw: '+12345' } },
  { raw: 'sip:anonymous@example.com', want: { kind: 'invalid', raw: 'sip:anonymous@example.com' } },
  { raw: 'client:alice', want: { kind: 'invalid', raw: 'client:alice' } },
  { raw: 'Anonymous Caller', want: { kind: 'invalid', raw: 'Anonymous Caller' } },
  { raw: '+99912345678', want: { kind: 'invalid', raw: '+99912345678' } },
  { raw: '+2665012345', want: { kind: 'invalid', raw: '+2665012345' } },
];

for (const c of cases) {
  test(`classifyCallerId(${JSON.stringify(c.raw)}, allowFictional ${c.allowFictional ?? true}) is ${c.want.kind}`, () => {
    assert.deepEqual(classifyCallerId(c.raw, { allowFictional: c.allowFictional ?? true }), c.want);
  });
}

test('defaultRegion decides how a national number is read', () => {
  assert.deepEqual(classifyCallerId('07911 123456', { allowFictional: false, defaultRegion: 'GB' }), {
    kind: 'valid',
    e164: '+447911123456',
    lineType: 'mobile',
    fictional: false,
  });
  assert.equal(classifyCallerId('07911 123456', { allowFictional: false }).kind, 'invalid');
});
