// Removing a line (DELETE /api/v1/lines/:id): a line nothing happened on goes, with its own
// templates, and its number can be added again; a line with calls or conversations stays (its
// history is kept) with a 409 that says what to do instead; agents and unknown lines are refused.
// It is what lets a carrier connection whose only line was added by mistake be removed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startFakeTwilio, type FakeTwilio } from '../src/carriers/twilio/fake-twilio.ts';
import { generateApiKey, hashPassword, storeApiKey } from '../src/services/access.ts';
import { insertMembership, insertUser } from '../src/store/accounts-repository.ts';
import { newId } from '../src/store/ids.ts';
import { DEMO_LINE, settle, startTestServer, type TestServer } from './helpers.ts';
import { testStoreKind } from './support/test-database.ts';

const ACCOUNT_SID = 'AC' + 'e5'.repeat(16);
const AUTH_TOKEN = 'f6'.repeat(16);
const TWILIO_NUMBER = '+14155552691';
const STOP = 'Reply STOP to opt out.';

describe(`removing a line (${testStoreKind()})`, () => {
  let server: TestServer;
  let twilio: FakeTwilio;
  let agentKey: string;

  before(async () => {
    twilio = await startFakeTwilio({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, numbers: [TWILIO_NUMBER] });
    server = await startTestServer();
    const db = server.ringback.store.db;
    const demo = (await server.api('GET', `/api/v1/lines/${encodeURIComponent(DEMO_LINE)}`)).body.line;
    const accountId = (await db.selectFrom('lines').select('account_id').where('id', '=', demo.id).executeTakeFirstOrThrow()).account_id;
    const now = new Date().toISOString();
    const userId = newId('usr');
    await insertUser(db, { id: userId, email: `agent-${userId}@example.com`, name: 'Agent', password_hash: hashPassword('x'), created_at: now });
    await insertMembership(db, { id: newId('mem'), account_id: accountId, user_id: userId, role: 'agent', created_at: now });
    agentKey = generateApiKey();
    await storeApiKey(db, { accountId, userId }, 'agent', agentKey, now);
  });
  after(async () => {
    await server?.close();
    await twilio?.close();
  });

  const simulatorId = async () => ((await server.api('GET', '/api/v1/carriers')).body.carriers as Array<{ id: string; kind: string }>).find((c) => c.kind === 'simulator')!.id;

  test('a line nothing happened on is removed with its own templates, and its number can be added again', async () => {
    const created = await server.api('POST', '/api/v1/lines', { number: '+15555550161', carrierId: await simulatorId(), mode: 'forward', ringTargets: ['+15555550162'] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body.line.id as string;
    const own = await server.api('PUT', '/api/v1/templates/text-back/after_hours', { body: `{{business_name}}: closed, back at 8. ${STOP}`, lineId: id });
    assert.equal(own.status, 200, JSON.stringify(own.body));

    const removed = await server.api('DELETE', `/api/v1/lines/${id}`);
    assert.equal(removed.status, 204, JSON.stringify(removed.body));
    assert.equal((await server.api('GET', `/api/v1/lines/${id}`)).status, 404);
    const templates = (await server.api('GET', '/api/v1/templates')).body.templates as Array<{ scope: string }>;
    assert.equal(templates.some((t) => t.scope === id), false, "the line's own template went with it");
    assert.equal(templates.filter((t) => t.scope === 'account').length, 4, "the account's templates stay");

    const again = await server.api('POST', '/api/v1/lines', { number: '+15555550161', carrierId: await simulatorId(), mode: 'events' });
    assert.equal(again.status, 201, `the number is free again: ${JSON.stringify(again.body)}`);
    assert.notEqual(again.body.line.id, id);
  });

  test('a line with calls and conversations stays, with a 409 saying why and what to do instead', async () => {
    const created = await server.api('POST', '/api/v1/lines', { number: '+15555550163', carrierId: await simulatorId(), mode: 'conditional-forward' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const called = await server.api('POST', '/api/v1/simulator/calls', { from: '+15555550164', to: '+15555550163', outcome: 'unanswered' });
    assert.ok(called.status < 300, JSON.stringify(called.body));
    await settle(server);
    await server.waitFor(async () => ((await server.api('GET', `/api/v1/calls?lineId=${created.body.line.id}`)).body.calls as unknown[]).length > 0, 'the call is recorded');

    const refused = await server.api('DELETE', `/api/v1/lines/${created.body.line.id}`);
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.match(refused.body.error.message, /^\+15555550163 has 1 call and 1 conversation, which are kept, so the line cannot be removed; pause it or turn texting off instead$/);
    assert.equal((await server.api('GET', `/api/v1/lines/${created.body.line.id}`)).status, 200, 'the line is still there');
  });

  test('an unknown line is a 404; an agent is refused and nothing is removed', async () => {
    const unknown = await server.api('DELETE', '/api/v1/lines/line_nope');
    assert.equal(unknown.status, 404);
    const byAgent = await server.api('DELETE', `/api/v1/lines/${encodeURIComponent(DEMO_LINE)}`, undefined, { key: agentKey });
    assert.equal(byAgent.status, 403, JSON.stringify(byAgent.body));
    assert.equal((await server.api('GET', `/api/v1/lines/${encodeURIComponent(DEMO_LINE)}`)).status, 200);
  });

  test('a carrier connection whose only line was added by mistake can be removed once the line is', async () => {
    const carrier = await server.api('POST', '/api/v1/carriers', { kind: 'twilio', accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, apiBaseUrl: twilio.url });
    assert.equal(carrier.status, 201, JSON.stringify(carrier.body));
    const carrierId = carrier.body.carrier.id as string;
    const line = await server.api('POST', '/api/v1/lines', { number: TWILIO_NUMBER, carrierId, mode: 'forward', ringTargets: ['+14155552692'] });
    assert.equal(line.status, 201, JSON.stringify(line.body));

    const busy = await server.api('DELETE', `/api/v1/carriers/${carrierId}`);
    assert.equal(busy.status, 409);
    assert.equal((await server.api('DELETE', `/api/v1/lines/${encodeURIComponent(TWILIO_NUMBER)}`)).status, 204, 'removed by its number');
    assert.equal((await server.api('DELETE', `/api/v1/carriers/${carrierId}`)).status, 204, 'the connection goes once no line uses it');
    assert.equal((await server.api('GET', `/api/v1/carriers/${carrierId}`)).status, 404);
  });
});
