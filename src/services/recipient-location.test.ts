import { test } from 'node:test';
import assert from 'node:assert/strict';
import { geocoder, timezones } from 'libphonenumber-geo-carrier';
import { createRecipientLocator, locateRecipient } from './recipient-location.ts';
import type { AreaCodeLookups } from './recipient-location.ts';

/** The real look-ups, counted. */
function counted() {
  const calls = { timezones: 0, geocoder: 0 };
  const lookups: AreaCodeLookups = {
    timezones: (n) => {
      calls.timezones++;
      return timezones(n);
    },
    geocoder: (n) => {
      calls.geocoder++;
      return geocoder(n, 'en');
    },
  };
  return { calls, locator: createRecipientLocator(lookups) };
}

test('305 (Miami) → Florida, America/New_York, by area code', async () => {
  assert.deepEqual(await locateRecipient({ number: '+13055550123' }), {
    states: ['FL'],
    timeZones: ['America/New_York'],
    source: 'area_code',
  });
});

test('208 (Idaho) → ID with both of its zones', async () => {
  assert.deepEqual(await locateRecipient({ number: '+12085550142' }), {
    states: ['ID'],
    timeZones: ['America/Boise', 'America/Los_Angeles'],
    source: 'area_code',
  });
});

test('toll-free and non-US numbers → unknown', async () => {
  for (const number of ['+18005550123', '+18885550100', '+442071234567', '+33612345678']) {
    assert.deepEqual(await locateRecipient({ number }), { states: [], timeZones: [], source: 'unknown' }, number);
  }
});

test('a Canadian number keeps its zone but has no US state', async () => {
  assert.deepEqual(await locateRecipient({ number: '+16045550123' }), { states: [], timeZones: ['America/Vancouver'], source: 'area_code' });
});

test('"City, ST" geocodes (415 San Francisco) and DC', async () => {
  assert.deepEqual((await locateRecipient({ number: '+14155550123' })).states, ['CA']);
  assert.deepEqual((await locateRecipient({ number: '+12025550123' })).states, ['DC']);
});

test('the contact address wins over the area code', async () => {
  assert.deepEqual(await locateRecipient({ number: '+12125550123', contactState: 'ca', contactTimeZone: 'America/Los_Angeles' }), {
    states: ['CA'],
    timeZones: ['America/Los_Angeles'],
    source: 'address',
  });
  // An address state without a zone: the state's zones (the area code is elsewhere).
  assert.deepEqual(await locateRecipient({ number: '+12125550123', contactState: 'TX' }), {
    states: ['TX'],
    timeZones: ['America/Chicago', 'America/Denver'],
    source: 'address',
  });
  // Same state as the area code: the area code's (narrower) zones.
  assert.deepEqual(await locateRecipient({ number: '+12085550142', contactState: 'ID' }), {
    states: ['ID'],
    timeZones: ['America/Boise', 'America/Los_Angeles'],
    source: 'address',
  });
});

test('a Florida area code keeps FL beside a different address state (strictest wins)', async () => {
  assert.deepEqual(await locateRecipient({ number: '+13055550123', contactState: 'NY', contactTimeZone: 'America/New_York' }), {
    states: ['NY', 'FL'],
    timeZones: ['America/New_York'],
    source: 'address',
  });
  assert.deepEqual(await locateRecipient({ number: '+13055550123', contactState: 'CA', contactTimeZone: 'America/Los_Angeles' }), {
    states: ['CA', 'FL'],
    timeZones: ['America/Los_Angeles', 'America/New_York'],
    source: 'address',
  });
  // Oklahoma's law covers any Oklahoma area code too; a New York area code does not follow the person.
  assert.deepEqual((await locateRecipient({ number: '+14055550123', contactState: 'TX' })).states, ['TX', 'OK']);
  assert.deepEqual((await locateRecipient({ number: '+12125550123', contactState: 'FL' })).states, ['FL']);
});

test('Twilio CallerState adds its state; Canadian provinces are ignored', async () => {
  assert.deepEqual(await locateRecipient({ number: '+12125550123', callerState: 'NJ' }), {
    states: ['NJ', 'NY'],
    timeZones: ['America/New_York'],
    source: 'caller_state',
  });
  assert.deepEqual(await locateRecipient({ number: '+18005550123', callerState: 'FL' }), {
    states: ['FL'],
    timeZones: ['America/New_York', 'America/Chicago'],
    source: 'caller_state',
  });
  assert.equal((await locateRecipient({ number: '+12125550123', callerState: 'ON' })).source, 'area_code');
});

test('fictional 555-01XX numbers are located by their area code', async () => {
  assert.deepEqual(await locateRecipient({ number: '+17025550199' }), { states: ['NV'], timeZones: ['America/Los_Angeles'], source: 'area_code' });
});

test('area codes split between zones by exchange follow the exchange (850 Florida Panhandle)', async () => {
  const { locator } = counted();
  // 850-222 is Tallahassee (Eastern); 850-434 is Pensacola (Central).
  assert.deepEqual(await locator.locate({ number: '+18502220123' }), { states: ['FL'], timeZones: ['America/New_York'], source: 'area_code' });
  assert.deepEqual(await locator.locate({ number: '+18504340123' }), { states: ['FL'], timeZones: ['America/Chicago'], source: 'area_code' });
});

test('cache hit: the second number in an area code does not look the state up again', async () => {
  const { calls, locator } = counted();
  await locator.locate({ number: '+13055550123' });
  assert.deepEqual(calls, { timezones: 1, geocoder: 1 });
  await locator.locate({ number: '+13055550188' });
  assert.deepEqual(calls, { timezones: 1, geocoder: 1 }, 'same NPA-NXX: both cached');
  await locator.locate({ number: '+13052220123' });
  assert.deepEqual(calls, { timezones: 2, geocoder: 1 }, 'new exchange: zones looked up, state cached per area code');
  await Promise.all([locator.locate({ number: '+14155550100' }), locator.locate({ number: '+14155550101' })]);
  assert.deepEqual(calls, { timezones: 3, geocoder: 2 }, 'concurrent look-ups share one call');
  assert.deepEqual(locator.cacheSize(), { areaCodes: 2, exchanges: 3 });
  locator.clearCache();
  await locator.locate({ number: '+13055550123' });
  assert.deepEqual(calls, { timezones: 4, geocoder: 3 });
});

test('a failed look-up is not cached', async () => {
  let fail = true;
  const locator = createRecipientLocator({
    geocoder: async () => {
      if (fail) throw new Error('disk');
      return 'Florida';
    },
    timezones: async () => ['America/New_York'],
  });
  await assert.rejects(locator.locate({ number: '+13055550123' }), /disk/);
  fail = false;
  assert.deepEqual((await locator.locate({ number: '+13055550123' })).states, ['FL']);
});

// One area code per state: the library still maps each to its state.
const AREA_CODES: Record<string, string> = {
  AL: '205', AK: '907', AZ: '602', AR: '501', CA: '415', CO: '303', CT: '203', DE: '302', DC: '202', FL: '305',
  GA: '404', HI: '808', ID: '208', IL: '312', IN: '317', IA: '515', KS: '785', KY: '502', LA: '504', ME: '207',
  MD: '410', MA: '617', MI: '313', MN: '612', MS: '601', MO: '314', MT: '406', NE: '402', NV: '702', NH: '603',
  NJ: '201', NM: '505', NY: '212', NC: '919', ND: '701', OH: '614', OK: '405', OR: '503', PA: '215', RI: '401',
  SC: '803', SD: '605', TN: '615', TX: '512', UT: '801', VT: '802', VA: '804', WA: '206', WV: '304', WI: '414',
  WY: '307',
};
test('every state has an area code the library maps back to it', async () => {
  const { locator } = counted();
  for (const [state, npa] of Object.entries(AREA_CODES)) {
    const found = await locator.locate({ number: `+1${npa}5550123` });
    assert.deepEqual(found.states, [state], npa);
    assert.ok(found.timeZones.length >= 1 && found.timeZones.length <= 2, `${npa} ${found.timeZones.join(',')}`);
  }
});
