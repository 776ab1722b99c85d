import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeCarrierError, explainCarrierError } from './carrier-errors.ts';

const cases: Array<{ code: string; effect: string; systemic: boolean; mentions: RegExp }> = [
  { code: '21610', effect: 'opt_out', systemic: false, mentions: /STOP/ },
  { code: '40300', effect: 'opt_out', systemic: false, mentions: /STOP/ },
  { code: '21211', effect: 'invalid_number', systemic: false, mentions: /not a valid/ },
  { code: '21614', effect: 'not_mobile', systemic: false, mentions: /not a mobile/ },
  { code: '30006', effect: 'not_mobile', systemic: false, mentions: /landline/ },
  { code: '30005', effect: 'invalid_number', systemic: false, mentions: /no longer in service/ },
  { code: '30003', effect: 'none', systemic: false, mentions: /unreachable/ },
  { code: '30034', effect: 'none', systemic: true, mentions: /not registered for business texting in the US/ },
  { code: '30007', effect: 'none', systemic: true, mentions: /spam/ },
  { code: '20003', effect: 'none', systemic: true, mentions: /credentials/ },
  { code: '10009', effect: 'none', systemic: true, mentions: /API key/ },
  { code: '40001', effect: 'not_mobile', systemic: false, mentions: /cannot take texts/ },
];

for (const c of cases) {
  test(`carrier error ${c.code}: ${c.effect}${c.systemic ? ', alerts the owner' : ''}`, () => {
    const info = describeCarrierError(c.code);
    assert.ok(info);
    assert.equal(info.effect, c.effect);
    assert.equal(info.systemic, c.systemic);
    assert.match(explainCarrierError(c.code), c.mentions);
    assert.ok(explainCarrierError(c.code).startsWith(`${c.code}: `));
  });
}

test('an unknown code keeps the carrier\'s own words; no code at all still explains', () => {
  assert.equal(describeCarrierError('99999'), null);
  assert.equal(explainCarrierError('99999', 'Something odd'), '99999: Something odd');
  assert.equal(explainCarrierError(undefined, 'timeout'), 'timeout');
  assert.match(explainCarrierError(null), /without a code/);
});
