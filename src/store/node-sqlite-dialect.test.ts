import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { sql } from 'kysely';
import { openSqliteStore, type Store } from './database.ts';

let dir: string;
let store: Store;
let file: string;

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ringback-store-'));
  file = path.join(dir, 'ringback.db');
  store = openSqliteStore(file);
  await store.migrate();
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('the database is in WAL mode with full sync and foreign keys on', async () => {
  const pragma = async (name: string) => Object.values((await sql.raw(`pragma ${name}`).execute(store.db)).rows[0] as object)[0];
  assert.equal(pragma && (await pragma('journal_mode')), 'wal');
  assert.equal(await pragma('synchronous'), 2); // FULL
  assert.equal(await pragma('foreign_keys'), 1);
  assert.equal(await pragma('busy_timeout'), 5000);
});

test('migrations are recorded and running them again changes nothing', async () => {
  assert.deepEqual(await store.migrate(), []);
  const tables = await store.db.introspection.getTables();
  for (const name of ['accounts', 'lines', 'calls', 'messages', 'suppressions', 'jobs', 'events', 'leads', 'tasks']) {
    assert.ok(tables.some((t) => t.name === name), `table ${name} exists`);
  }
});

test('concurrent transactions do not interleave on the single connection', async () => {
  const now = new Date().toISOString();
  await store.db
    .insertInto('accounts')
    .values({ id: 'acc_tx', name: 'T', time_zone: 'UTC', business_hours: '{}', booking_url: null, help_contact: null, created_at: now, updated_at: now })
    .execute();
  // Each transaction reads, yields, then writes read+1: interleaving would lose updates.
  await Promise.all(
    Array.from({ length: 20 }, () =>
      store.transaction(async (tx) => {
        const row = await tx.db.selectFrom('accounts').select('average_job_value_cents').where('id', '=', 'acc_tx').executeTakeFirstOrThrow();
        await new Promise((r) => setImmediate(r));
        await tx.db.updateTable('accounts').set({ average_job_value_cents: row.average_job_value_cents + 1 }).where('id', '=', 'acc_tx').execute();
      }),
    ),
  );
  const row = await store.db.selectFrom('accounts').select('average_job_value_cents').where('id', '=', 'acc_tx').executeTakeFirstOrThrow();
  assert.equal(row.average_job_value_cents, 20);
});

test('a failed transaction leaves nothing behind and the connection stays usable', async () => {
  await assert.rejects(
    store.transaction(async (tx) => {
      const now = new Date().toISOString();
      await tx.db
        .insertInto('accounts')
        .values({ id: 'acc_rollback', name: 'R', time_zone: 'UTC', business_hours: '{}', booking_url: null, help_contact: null, created_at: now, updated_at: now })
        .execute();
      await tx.db.insertInto('memberships').values({ id: 'm', account_id: 'no-such-account', user_id: 'no-such-user', role: 'owner', created_at: now }).execute();
    }),
    /FOREIGN KEY/,
  );
  assert.equal(await store.db.selectFrom('accounts').select('id').where('id', '=', 'acc_rollback').executeTakeFirst(), undefined);
  await store.ping();
});

test('after-commit hooks run only after a commit', async () => {
  const ran: string[] = [];
  await store.transaction(async (tx) => tx.afterCommit(() => ran.push('committed')));
  await assert.rejects(
    store.transaction(async (tx) => {
      tx.afterCommit(() => ran.push('rolled back'));
      throw new Error('no');
    }),
  );
  assert.deepEqual(ran, ['committed']);
});

test('a committed write is on disk for another connection at once', async () => {
  const now = new Date().toISOString();
  await store.transaction(async (tx) => {
    await tx.db
      .insertInto('accounts')
      .values({ id: 'acc_visible', name: 'V', time_zone: 'UTC', business_hours: '{}', booking_url: null, help_contact: null, created_at: now, updated_at: now })
      .execute();
  });
  const other = new DatabaseSync(file, { readOnly: true });
  try {
    const row = other.prepare('select name from accounts where id = ?').get('acc_visible') as { name: string } | undefined;
    assert.equal(row?.name, 'V');
  } finally {
    other.close();
  }
});

test('partial unique index allows one active suppression per number', async () => {
  const now = new Date().toISOString();
  const base = { account_id: 'acc_tx', number: '+12125550123', kind: 'opt_out' as const, source: 'keyword' as const, words: 'STOP', message_id: null, created_at: now, lifted_by: null };
  await store.db.insertInto('suppressions').values({ ...base, id: 's1', lifted_at: now }).execute();
  await store.db.insertInto('suppressions').values({ ...base, id: 's2', lifted_at: null }).execute();
  await assert.rejects(store.db.insertInto('suppressions').values({ ...base, id: 's3', lifted_at: null }).execute(), /UNIQUE/);
});

test('a recoverable transaction commits without fsync and puts full sync back afterwards', async () => {
  const pragma = async () => Object.values((await sql.raw('pragma synchronous').execute(store.db)).rows[0] as object)[0];
  let inside: unknown;
  await store.transaction(
    async (tx) => {
      inside = Object.values((await sql.raw('pragma synchronous').execute(tx.db)).rows[0] as object)[0];
      const now = new Date().toISOString();
      await tx.db
        .insertInto('accounts')
        .values({ id: 'acc_relaxed', name: 'N', time_zone: 'UTC', business_hours: '{}', booking_url: null, help_contact: null, created_at: now, updated_at: now })
        .execute();
    },
    { durability: 'recoverable' },
  );
  assert.equal(inside, 1, 'NORMAL inside');
  assert.equal(await pragma(), 2, 'FULL again after');
  assert.ok(await store.db.selectFrom('accounts').select('id').where('id', '=', 'acc_relaxed').executeTakeFirst());
  await assert.rejects(store.transaction(async () => { throw new Error('boom'); }, { durability: 'recoverable' }), /boom/);
  assert.equal(await pragma(), 2, 'FULL again after a rollback');
});
