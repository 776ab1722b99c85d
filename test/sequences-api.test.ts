// The sequences API: the default sequence, CRUD, every validation rule answered field by field
// with nothing saved, one enabled sequence per trigger, runs by sequence and by conversation, and
// another account's ids answered 404.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_BUSINESS_HOURS } from '../src/domain/schedule.ts';
import { generateApiKey, hashPassword, storeApiKey } from '../src/services/access.ts';
import { insertAccount, insertMembership, insertUser } from '../src/store/accounts-repository.ts';
import { newId } from '../src/store/ids.ts';
import { DEMO_LINE, settle, startTestServer, type TestServer } from './helpers.ts';
import { testStoreKind } from './support/test-database.ts';

const STOP = 'Reply STOP to opt out.';
const wait = (minutes: number) => ({ type: 'wait', minutes });
const send = (body = `Still need a hand? ${STOP}`) => ({ type: 'send', body });

describe(`sequences API (${testStoreKind()})`, () => {
  let server: TestServer;
  let otherKey: string;
  let defaultId: string;

  before(async () => {
    server = await startTestServer();
    // A second account on the same install, with its own key.
    const db = server.ringback.store.db;
    const now = new Date().toISOString();
    const accountId = newId('acc');
    const userId = newId('usr');
    await insertAccount(db, { id: accountId, name: 'Other Co', time_zone: 'America/Chicago', business_hours: JSON.stringify(DEFAULT_BUSINESS_HOURS), booking_url: null, help_contact: null, created_at: now, updated_at: now });
    await insertUser(db, { id: userId, email: `other-${accountId}@example.com`, name: 'Other', password_hash: hashPassword('x'), created_at: now });
    await insertMembership(db, { id: newId('mem'), account_id: accountId, user_id: userId, role: 'owner', created_at: now });
    otherKey = generateApiKey();
    await storeApiKey(db, { accountId, userId }, 'other', otherKey, now);
  });
  after(async () => {
    await server?.close();
  });

  /** Everything a sequences request could write. */
  async function snapshot() {
    const db = server.ringback.store.db;
    return {
      sequences: await db.selectFrom('sequences').selectAll().orderBy('id').execute(),
      runs: await db.selectFrom('sequence_runs').selectAll().orderBy('id').execute(),
      events: (await db.selectFrom('events').select('id').execute()).length,
    };
  }

  test('every account starts with the default sequence, enabled, each send with its encoding and segments', async () => {
    const res = await server.api('GET', '/api/v1/sequences');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.sequences.length, 1);
    const [seq] = res.body.sequences;
    defaultId = seq.id;
    assert.equal(seq.name, 'Missed call follow-up');
    assert.equal(seq.trigger, 'missed_call_no_reply');
    assert.equal(seq.enabled, true);
    assert.deepEqual(
      seq.steps.map((s: any) => s.type),
      ['wait', 'send', 'wait', 'send'],
    );
    assert.deepEqual([seq.steps[0].minutes, seq.steps[2].minutes], [120, 1440]);
    for (const step of [seq.steps[1], seq.steps[3]]) {
      assert.equal(step.encoding, 'GSM-7');
      assert.ok(step.segments >= 1 && step.segments <= 2);
      assert.match(step.preview, /^Hi there, .*Demo Plumbing.*\(555\) 555-0100.*Reply STOP to opt out\.$/);
      assert.match(step.body, /\{\{business_name\}\}/);
    }
    assert.deepEqual([seq.steps[1].afterMinutes, seq.steps[3].afterMinutes], [120, 1560]);
    // Asking again makes no second default.
    assert.equal((await server.api('GET', '/api/v1/sequences')).body.sequences.length, 1);
    const one = await server.api('GET', `/api/v1/sequences/${defaultId}`);
    assert.equal(one.status, 200);
    assert.deepEqual(one.body.sequence, seq);
  });

  test('create (201) a disabled sequence, read it, replace it, rename it', async () => {
    const created = await server.api('POST', '/api/v1/sequences', { name: ' Gentle nudge ', steps: [wait(30), send('Hi from {{business_name}} – still there? Reply STOP to opt out.')], enabled: false });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const seq = created.body.sequence;
    assert.match(seq.id, /^seq_/);
    assert.equal(seq.name, 'Gentle nudge');
    assert.equal(seq.enabled, false);
    assert.equal(seq.steps[1].encoding, 'UCS-2', 'the en dash forces UCS-2, and the API says so');
    assert.deepEqual(seq.steps[1].nonGsmCharacters, ['–']);

    const got = await server.api('GET', `/api/v1/sequences/${seq.id}`);
    assert.equal(got.status, 200);
    assert.equal(got.body.sequence.name, 'Gentle nudge');

    const replaced = await server.api('PUT', `/api/v1/sequences/${seq.id}`, { name: 'Nudge', steps: [wait(60), send(), wait(1440), send()] });
    assert.equal(replaced.status, 200, JSON.stringify(replaced.body));
    assert.equal(replaced.body.sequence.name, 'Nudge');
    assert.equal(replaced.body.sequence.steps.length, 4);
    assert.equal(replaced.body.sequence.enabled, false, 'enabled kept when not given');
    assert.equal(replaced.body.sequence.steps[1].encoding, 'GSM-7');

    const renamed = await server.api('PATCH', `/api/v1/sequences/${seq.id}`, { name: 'Nudge 2' });
    assert.equal(renamed.status, 200);
    assert.equal(renamed.body.sequence.name, 'Nudge 2');
    assert.equal(renamed.body.sequence.steps.length, 4);

    const list = await server.api('GET', '/api/v1/sequences');
    assert.deepEqual(list.body.sequences.map((s: any) => s.name), ['Missed call follow-up', 'Nudge 2']);

    const deleted = await server.api('DELETE', `/api/v1/sequences/${seq.id}`);
    assert.equal(deleted.status, 204);
    assert.equal(deleted.body, null);
    assert.equal((await server.api('GET', `/api/v1/sequences/${seq.id}`)).status, 404);
    assert.equal((await server.api('DELETE', `/api/v1/sequences/${seq.id}`)).status, 404);
  });

  test('only one enabled sequence per trigger: a second is refused with 409 naming the enabled one, and nothing is saved', async () => {
    const beforeAll = await snapshot();
    const second = await server.api('POST', '/api/v1/sequences', { name: 'Second', steps: [wait(60), send()] });
    assert.equal(second.status, 409, JSON.stringify(second.body));
    assert.equal(second.body.error.code, 'conflict');
    assert.match(second.body.error.message, new RegExp(`"Missed call follow-up" \\(${defaultId}\\) is already enabled`));
    assert.deepEqual(await snapshot(), beforeAll);

    const off = await server.api('POST', '/api/v1/sequences', { name: 'Second', steps: [wait(60), send()], enabled: false });
    assert.equal(off.status, 201);
    const id = off.body.sequence.id;
    for (const [method, body] of [
      ['PATCH', { enabled: true }],
      ['PUT', { name: 'Second', steps: [wait(60), send()], enabled: true }],
    ] as const) {
      const res = await server.api(method, `/api/v1/sequences/${id}`, body);
      assert.equal(res.status, 409, `${method}: ${JSON.stringify(res.body)}`);
      assert.match(res.body.error.message, /Missed call follow-up/);
    }

    // Turn the default off, then the second on; and back again.
    assert.equal((await server.api('PATCH', `/api/v1/sequences/${defaultId}`, { enabled: false })).status, 200);
    const on = await server.api('PATCH', `/api/v1/sequences/${id}`, { enabled: true });
    assert.equal(on.status, 200);
    assert.equal(on.body.sequence.enabled, true);
    assert.equal((await server.api('PATCH', `/api/v1/sequences/${defaultId}`, { enabled: true })).status, 409);
    assert.equal((await server.api('DELETE', `/api/v1/sequences/${id}`)).status, 204);
    assert.equal((await server.api('PATCH', `/api/v1/sequences/${defaultId}`, { enabled: true })).status, 200);
  });

  const invalid: Array<{ name: string; body: unknown; status: 400 | 422; fields: Array<[string, RegExp]> }> = [
    { name: 'no body', body: undefined, status: 400, fields: [] },
    { name: 'name missing', body: { steps: [wait(60), send()] }, status: 400, fields: [['name', /is required/]] },
    { name: 'steps not a list', body: { name: 'x', steps: 'wait then send' }, status: 400, fields: [['steps', /must be a list/]] },
    { name: 'minutes not a number', body: { name: 'x', steps: [wait(60), send(), { type: 'wait', minutes: '60' }, send()] }, status: 400, fields: [['steps[2].minutes', /must be a number/]] },
    { name: 'unknown step type', body: { name: 'x', steps: [{ type: 'call' }] }, status: 400, fields: [['steps[0].type', /.+/]] },
    { name: 'unknown field', body: { name: 'x', steps: [wait(60), send()], colour: 'red' }, status: 400, fields: [['colour', /not a known field/]] },
    { name: 'unknown trigger', body: { name: 'x', steps: [wait(60), send()], trigger: 'form' }, status: 400, fields: [['trigger', /must be one of/]] },
    { name: 'empty name', body: { name: ' ', steps: [wait(60), send()], enabled: false }, status: 422, fields: [['name', /must not be empty/]] },
    { name: 'name too long', body: { name: 'n'.repeat(81), steps: [wait(60), send()], enabled: false }, status: 422, fields: [['name', /at most 80/]] },
    { name: 'no send step', body: { name: 'x', steps: [wait(60)], enabled: false }, status: 422, fields: [['steps', /no send step/]] },
    { name: 'send first', body: { name: 'x', steps: [send()], enabled: false }, status: 422, fields: [['steps[0]', /double-text/]] },
    { name: 'two sends in a row', body: { name: 'x', steps: [wait(60), send(), send()], enabled: false }, status: 422, fields: [['steps[2]', /double-text/]] },
    { name: 'wait too short', body: { name: 'x', steps: [wait(10), send()], enabled: false }, status: 422, fields: [['steps[0].minutes', /at least 15/]] },
    { name: 'wait too long', body: { name: 'x', steps: [wait(50_000), send()], enabled: false }, status: 422, fields: [['steps[0].minutes', /30 days/]] },
    {
      name: 'more than 60 days in all',
      body: { name: 'x', steps: [wait(43_200), send(), wait(43_200), send(), wait(60), send()], enabled: false },
      status: 422,
      fields: [['steps', /within 60 days/]],
    },
    {
      name: 'more than 10 sends',
      body: { name: 'x', steps: Array.from({ length: 11 }, () => [wait(15), send()]).flat(), enabled: false },
      status: 422,
      fields: [['steps', /at most 10/]],
    },
    { name: 'no STOP', body: { name: 'x', steps: [wait(60), send('Still need a hand?')], enabled: false }, status: 422, fields: [['steps[1].body', /opt out/]] },
    { name: 'unknown variable', body: { name: 'x', steps: [wait(60), send(`Hi {{nickname}} ${STOP}`)], enabled: false }, status: 422, fields: [['steps[1].body', /unknown variable/]] },
    {
      name: 'booking link without one set up',
      body: { name: 'x', steps: [wait(60), send(`Book: {{booking_link}} ${STOP}`)], enabled: false },
      status: 422,
      fields: [['steps[1].body', /no booking link/]],
    },
    { name: 'a trailing wait', body: { name: 'x', steps: [wait(60), send(), wait(60)], enabled: false }, status: 422, fields: [['steps[2]', /nothing follows/]] },
  ];

  for (const c of invalid) {
    test(`POST refused (${c.status}): ${c.name}; nothing saved`, async () => {
      const beforeAll = await snapshot();
      const res = await server.api('POST', '/api/v1/sequences', c.body);
      assert.equal(res.status, c.status, JSON.stringify(res.body));
      assert.equal(res.body.error.code, c.status === 400 ? 'validation_failed' : 'unprocessable');
      for (const [field, message] of c.fields) {
        const hit = (res.body.error.fields as Array<{ field: string; message: string }>).find((f) => f.field === field);
        assert.ok(hit, `a field error for ${field} in ${JSON.stringify(res.body.error.fields)}`);
        assert.match(hit.message, message);
        assert.ok(res.body.error.message.includes(field), 'the message names the field');
      }
      assert.deepEqual(await snapshot(), beforeAll);
    });
  }

  test('PUT and PATCH are validated the same way and change nothing when refused', async () => {
    const beforeAll = await snapshot();
    const put = await server.api('PUT', `/api/v1/sequences/${defaultId}`, { name: 'x', steps: [wait(5), send('no opt-out here')] });
    assert.equal(put.status, 422);
    assert.deepEqual(
      put.body.error.fields.map((f: any) => f.field),
      ['steps[0].minutes', 'steps[1].body'],
    );
    const patch = await server.api('PATCH', `/api/v1/sequences/${defaultId}`, { name: '' });
    assert.equal(patch.status, 422);
    assert.deepEqual(patch.body.error.fields, [{ field: 'name', message: 'must not be empty' }]);
    const empty = await server.api('PATCH', `/api/v1/sequences/${defaultId}`, {});
    assert.equal(empty.status, 400);
    const steps = await server.api('PATCH', `/api/v1/sequences/${defaultId}`, { steps: [] });
    assert.equal(steps.status, 400, 'steps are replaced with PUT');
    assert.deepEqual(await snapshot(), beforeAll);
  });

  test('runs: listed by sequence and by conversation; deleting the sequence stops them', async () => {
    const caller = '+12125550177';
    const call = await server.api('POST', '/api/v1/simulator/calls', { from: caller, to: DEMO_LINE, outcome: 'unanswered' });
    assert.equal(call.status, 202);
    await server.waitFor(async () => (await server.phoneInbox(caller)).length > 0, 'the text-back');
    await settle(server);

    const runs = await server.api('GET', `/api/v1/sequences/${defaultId}/runs?status=active`);
    assert.equal(runs.status, 200, JSON.stringify(runs.body));
    assert.equal(runs.body.runs.length, 1);
    const run = runs.body.runs[0];
    assert.equal(run.status, 'active');
    assert.equal(run.sequenceId, defaultId);
    assert.equal(run.nextStep.index, 1);
    assert.match(run.nextStep.body, /following up/);
    assert.ok(run.triggerMessageId);
    assert.equal(runs.body.next, null);
    assert.equal((await server.api('GET', `/api/v1/sequences/${defaultId}/runs?status=stopped`)).body.runs.length, 0);
    const paged = await server.api('GET', `/api/v1/sequences/${defaultId}/runs?limit=1`);
    assert.equal(paged.body.runs.length, 1);
    assert.ok(paged.body.next);
    assert.equal((await server.api('GET', `/api/v1/sequences/${defaultId}/runs?before=${paged.body.next}`)).body.runs.length, 0);
    for (const q of ['status=done', 'limit=0', 'before=yesterday', 'colour=red']) {
      const bad = await server.api('GET', `/api/v1/sequences/${defaultId}/runs?${q}`);
      assert.equal(bad.status, 400, q);
    }

    const byConversation = await server.api('GET', `/api/v1/conversations/${run.conversationId}/follow-ups`);
    assert.equal(byConversation.status, 200);
    assert.deepEqual(byConversation.body.runs, [run]);
    assert.equal((await server.api('GET', '/api/v1/conversations/cv_nope/follow-ups')).status, 404);

    // The other account sees none of it.
    const other = { key: otherKey };
    const own = await server.api('GET', '/api/v1/sequences', undefined, other);
    assert.equal(own.status, 200, JSON.stringify(own.body));
    assert.equal(own.body.sequences.length, 1, 'its own default only');
    for (const [method, path, body] of [
      ['GET', `/api/v1/sequences/${defaultId}`, undefined],
      ['PUT', `/api/v1/sequences/${defaultId}`, { name: 'x', steps: [wait(60), send()] }],
      ['PATCH', `/api/v1/sequences/${defaultId}`, { enabled: false }],
      ['DELETE', `/api/v1/sequences/${defaultId}`, undefined],
      ['GET', `/api/v1/sequences/${defaultId}/runs`, undefined],
      ['GET', `/api/v1/conversations/${run.conversationId}/follow-ups`, undefined],
      ['POST', `/api/v1/sequence-runs/${run.id}/stop`, undefined],
    ] as const) {
      const res = await server.api(method, path, body, other);
      assert.equal(res.status, 404, `${method} ${path}: ${JSON.stringify(res.body)}`);
    }
    assert.equal((await server.api('GET', `/api/v1/sequences/${defaultId}/runs?status=active`)).body.runs.length, 1, 'untouched');

    const deleted = await server.api('DELETE', `/api/v1/sequences/${defaultId}`);
    assert.equal(deleted.status, 204);
    const after = await server.api('GET', `/api/v1/conversations/${run.conversationId}/follow-ups`);
    assert.deepEqual([after.body.runs[0].status, after.body.runs[0].stopReason], ['stopped', 'sequence_deleted']);
    // Deleted for good: the default is not made again.
    assert.deepEqual((await server.api('GET', '/api/v1/sequences')).body.sequences, []);
  });
});
