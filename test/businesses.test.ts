// Several businesses on one install (an agency): an owner adds a business, switches the session
// between the businesses they belong to, and each business sees only its own data.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEMO_LINE, startTestServer, type TestServer } from './helpers.ts';
import { SessionClient } from './support/session-client.ts';

const OWNER_EMAIL = 'owner@ringback.local';
const OWNER_PASSWORD = 'correct horse battery';

describe('several businesses', () => {
  let server: TestServer;
  let owner: SessionClient;
  let firstAccountId: string;
  before(async () => {
    server = await startTestServer();
    owner = new SessionClient(server.url);
    const signedIn = await owner.login(OWNER_EMAIL, OWNER_PASSWORD);
    assert.equal(signedIn.status, 200);
    firstAccountId = signedIn.body.account.id;
  });
  after(async () => {
    await server.close();
  });

  test('an owner adds a business: it has the default templates and the simulator, and is listed as theirs', async () => {
    const added = await owner.call('POST', '/api/v1/auth/accounts', { name: 'Acme Heating', timeZone: 'America/Denver' });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    assert.equal(added.body.account.name, 'Acme Heating');
    assert.equal(added.body.account.role, 'owner');
    const listed = await owner.call('GET', '/api/v1/auth/accounts');
    assert.equal(listed.status, 200);
    assert.equal(listed.body.current, firstAccountId);
    assert.deepEqual(
      listed.body.accounts.map((a: any) => [a.name, a.role]),
      [
        ['Demo Plumbing', 'owner'],
        ['Acme Heating', 'owner'],
      ],
    );
    const db = server.ringback.store.db;
    const templates = await db.selectFrom('templates').select('slot').where('account_id', '=', added.body.account.id).execute();
    assert.equal(templates.length, 4);
    const carriers = await db.selectFrom('carrier_connections').select('kind').where('account_id', '=', added.body.account.id).execute();
    assert.deepEqual(carriers.map((c) => c.kind), ['simulator']);
  });

  test('switching: a new session in the other business, the old cookie stops working, and each business sees only its own data', async () => {
    // Something in the first business: a missed call on the demo line.
    const call = await server.api('POST', '/api/v1/simulator/calls', { from: '+15125550177', to: DEMO_LINE, outcome: 'unanswered' });
    assert.ok(call.status === 201 || call.status === 202, JSON.stringify(call.body));
    const accounts = (await owner.call('GET', '/api/v1/auth/accounts')).body.accounts;
    const acme = accounts.find((a: any) => a.name === 'Acme Heating');
    const before = { cookie: owner.cookie, csrf: owner.csrf };
    const switched = await owner.call('POST', '/api/v1/auth/accounts/switch', { accountId: acme.id });
    assert.equal(switched.status, 200, JSON.stringify(switched.body));
    assert.equal(switched.body.account.name, 'Acme Heating');
    assert.equal(switched.body.role, 'owner');
    assert.notEqual(owner.cookie, before.cookie);
    assert.notEqual(owner.csrf, before.csrf);

    const me = await owner.call('GET', '/api/v1/auth/me');
    assert.equal(me.body.account.id, acme.id);
    assert.equal((await owner.call('GET', '/api/v1/account')).body.account.timeZone, 'America/Denver');
    assert.deepEqual((await owner.call('GET', '/api/v1/calls')).body.calls, []);
    assert.deepEqual((await owner.call('GET', '/api/v1/lines')).body.lines, []);

    const stale = new SessionClient(server.url);
    stale.cookie = before.cookie;
    assert.equal((await stale.call('GET', '/api/v1/auth/me')).status, 401);

    // And back: the first business's call is there.
    assert.equal((await owner.call('POST', '/api/v1/auth/accounts/switch', { accountId: firstAccountId })).status, 200);
    const calls = (await owner.call('GET', '/api/v1/calls')).body.calls;
    assert.ok(calls.some((c: any) => c.from === '+15125550177'), 'the first business keeps its call');
  });

  test('switching to a business you do not belong to is refused and the session stays where it was', async () => {
    const stranger = await server.ringback.store.db.insertInto('accounts').values({
      id: 'acc_stranger',
      name: 'Someone Else',
      time_zone: 'America/Chicago',
      business_hours: '{}',
      booking_url: null,
      help_contact: null,
      created_at: new Date().toISOString(),
      updated_at: new Date().toISOString(),
    }).execute();
    assert.ok(stranger);
    const cookie = owner.cookie;
    for (const accountId of ['acc_stranger', 'acc_does_not_exist']) {
      const res = await owner.call('POST', '/api/v1/auth/accounts/switch', { accountId });
      assert.equal(res.status, 404, JSON.stringify(res.body));
      assert.equal(res.body.error.message, 'you are not a member of that business');
    }
    assert.equal(owner.cookie, cookie);
    assert.equal((await owner.call('GET', '/api/v1/auth/me')).body.account.id, firstAccountId);
  });

  test('bad input is refused with the field named, and no business is created', async () => {
    const count = async () => (await server.ringback.store.db.selectFrom('accounts').select('id').execute()).length;
    const before = await count();
    const cases: Array<[unknown, RegExp]> = [
      [{ name: '', timeZone: 'America/Denver' }, /name/],
      [{ name: 'Valid', timeZone: 'Mars/Olympus' }, /timeZone: "Mars\/Olympus" is not an IANA time zone/],
      [{ name: 'Valid' }, /timeZone/],
      [{ name: 'Valid', timeZone: 'America/Denver', plan: 'gold' }, /plan/],
    ];
    for (const [body, message] of cases) {
      const res = await owner.call('POST', '/api/v1/auth/accounts', body);
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.match(res.body.error.message, message);
    }
    assert.equal((await owner.call('POST', '/api/v1/auth/accounts/switch', {})).status, 400);
    assert.equal(await count(), before);
  });

  test('only owners add businesses; an agent of two businesses switches between them with their role in each', async () => {
    const invited = await owner.call('POST', '/api/v1/team', { email: 'dispatch@example.com', name: 'Dee Spatch', role: 'agent' });
    assert.equal(invited.status, 201, JSON.stringify(invited.body));
    const agent = new SessionClient(server.url);
    const token = new URL(invited.body.inviteUrl).searchParams.get('token');
    assert.equal((await agent.call('POST', '/api/v1/auth/invitations/accept', { token, password: 'dispatch secret 1' })).status, 200);

    const refused = await agent.call('POST', '/api/v1/auth/accounts', { name: 'Side Hustle', timeZone: 'America/Denver' });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.message, 'only an owner can add a business');

    // The owner makes them an admin of Acme too.
    const acme = (await owner.call('GET', '/api/v1/auth/accounts')).body.accounts.find((a: any) => a.name === 'Acme Heating');
    assert.equal((await owner.call('POST', '/api/v1/auth/accounts/switch', { accountId: acme.id })).status, 200);
    const second = await owner.call('POST', '/api/v1/team', { email: 'dispatch@example.com', name: 'Dee Spatch', role: 'admin' });
    assert.equal(second.status, 201, JSON.stringify(second.body));

    const mine = (await agent.call('GET', '/api/v1/auth/accounts')).body.accounts;
    assert.deepEqual(mine.map((a: any) => [a.name, a.role]), [
      ['Demo Plumbing', 'agent'],
      ['Acme Heating', 'admin'],
    ]);
    const switched = await agent.call('POST', '/api/v1/auth/accounts/switch', { accountId: acme.id });
    assert.equal(switched.body.role, 'admin');
    // As Acme's admin they may change Acme's setup.
    assert.equal((await agent.call('PATCH', '/api/v1/account', { name: 'Acme Heating & Air' })).status, 200);
  });

  test('an API key belongs to one business: it may list but not switch', async () => {
    const listed = await server.api('GET', '/api/v1/auth/accounts');
    assert.equal(listed.status, 200);
    assert.equal(listed.body.current, firstAccountId);
    const res = await server.api('POST', '/api/v1/auth/accounts/switch', { accountId: firstAccountId });
    assert.equal(res.status, 400);
    assert.match(res.body.error.message, /switching business is for browser sessions/);
  });
});
