// What the first start creates, and what later starts leave alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { startTestServer, TEST_API_KEY } from './helpers.ts';
import { verifyPassword } from '../src/services/access.ts';

test('first start: owner, account with default templates, the simulator, the demo line; data is owner-only', async () => {
  const server = await startTestServer();
  try {
    const { body: lines } = await server.api('GET', '/api/v1/lines');
    assert.deepEqual(
      lines.lines.map((l: any) => [l.number, l.mode, l.carrierKind, l.screening, l.ringSeconds]),
      [['+15555550100', 'forward', 'simulator', true, 18]],
    );
    assert.match(lines.lines[0].webhooks.voice, /\/webhooks\/simulator\/cc_[a-z0-9]+\/voice$/);
    const { body: templates } = await server.api('GET', '/api/v1/templates');
    assert.deepEqual(templates.templates.map((t: any) => t.slot).sort(), ['after_hours', 'holiday', 'open', 'weekend']);
    assert.ok(templates.templates.every((t: any) => t.encoding === 'GSM-7' && t.scope === 'account'));
    const owner = await server.ringback.store.db.selectFrom('users').selectAll().executeTakeFirstOrThrow();
    assert.equal(owner.email, 'owner@ringback.local');
    assert.ok(verifyPassword('correct horse battery', owner.password_hash));
    assert.ok(!verifyPassword('wrong password', owner.password_hash));
    const keys = await server.ringback.store.db.selectFrom('api_keys').select('key_hash').execute();
    assert.ok(keys.every((k) => !k.key_hash.includes(TEST_API_KEY)), 'keys are stored hashed');

    if (server.ringback.store.kind === 'sqlite') {
      assert.equal(statSync(path.join(server.dataDir, 'ringback.db')).mode & 0o077, 0, 'the database is owner-only');
    }
    assert.equal(statSync(path.join(server.dataDir, 'cli-api-key')).mode & 0o077, 0, 'the CLI key is owner-only');
    const root = await fetch(server.url + '/');
    assert.equal(((await root.json()) as { name: string }).name, 'Ringback');
  } finally {
    await server.close();
  }
});

test('RINGBACK_DEMO=false: no demo line, but the simulator is there to add lines to', async () => {
  const server = await startTestServer({ RINGBACK_DEMO: 'false' });
  try {
    assert.deepEqual((await server.api('GET', '/api/v1/lines')).body.lines, []);
    const { body } = await server.api('GET', '/api/v1/carriers');
    assert.deepEqual(body.carriers.map((c: any) => c.kind), ['simulator']);
    const created = await server.api('POST', '/api/v1/lines', { number: '+15555550111', mode: 'conditional-forward' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    // Conditional forwarding: every call that reaches the line was already missed.
    const placed = await server.api('POST', '/api/v1/simulator/calls', { from: '+12125550133', to: '+15555550111', outcome: 'answered' });
    assert.equal(placed.status, 202);
    const call = await server.waitFor(async () => (await server.api('GET', '/api/v1/calls')).body.calls.find((c: any) => c.decision), 'the call');
    assert.deepEqual([call.outcome, call.decision.action], ['missed', 'send']);
  } finally {
    await server.close();
  }
});

test('a later start keeps the account and applies RINGBACK_ADMIN_PASSWORD and RINGBACK_ADMIN_API_KEY', async () => {
  const first = await startTestServer();
  const dataDir = first.dataDir;
  const accountId = (await first.api('GET', '/api/v1/account')).body.account.id;
  await first.ringback.stop();
  const newKey = 'rb_second_start_key_0123456789abcdef';
  const second = await startTestServer(
    { ...first.databaseEnv, RINGBACK_ADMIN_API_KEY: newKey, RINGBACK_ADMIN_PASSWORD: 'a brand new password' },
    { dataDir },
  );
  try {
    const res = await second.api('GET', '/api/v1/account', undefined, { key: newKey });
    assert.equal(res.status, 200);
    assert.equal(res.body.account.id, accountId);
    assert.equal((await second.api('GET', '/api/v1/account', undefined, { key: TEST_API_KEY })).status, 200, 'the first key still works');
    const owner = await second.ringback.store.db.selectFrom('users').selectAll().executeTakeFirstOrThrow();
    assert.ok(verifyPassword('a brand new password', owner.password_hash));
    assert.equal((await second.ringback.store.db.selectFrom('accounts').select('id').execute()).length, 1);
  } finally {
    await second.ringback.stop();
    await first.releaseDatabase();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
