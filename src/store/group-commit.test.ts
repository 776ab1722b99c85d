import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { openSqliteStore, type Store } from './database.ts';

let dir: string;
let store: Store;
let file: string;
const now = new Date().toISOString();
const account = (id: string) => ({ id, name: id, time_zone: 'UTC', business_hours: '{}', booking_url: null, help_contact: null, created_at: now, updated_at: now });

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ringback-group-'));
  file = path.join(dir, 'g.db');
  store = openSqliteStore(file);
  await store.migrate();
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

test('callers that arrive together share a commit; one failing caller is rolled back alone', async () => {
  const ids = Array.from({ length: 40 }, (_, i) => `acc_g${i}`);
  const results = await Promise.allSettled(
    ids.map((id, i) =>
      store.transaction(async (tx) => {
        await tx.db.insertInto('accounts').values(account(id)).execute();
        if (i === 7) throw new Error('caller 7 changes its mind');
        return id;
      }),
    ),
  );
  assert.equal(results.filter((r) => r.status === 'fulfilled').length, 39);
  const rejected = results[7] as PromiseRejectedResult;
  assert.match(String(rejected.reason), /caller 7 changes its mind/);
  const stored = await store.db.selectFrom('accounts').select('id').where('id', 'like', 'acc_g%').execute();
  assert.equal(stored.length, 39);
  assert.ok(!stored.some((r) => r.id === 'acc_g7'), 'the failed caller left nothing');
});

test('a caller hears "committed" only once its work is visible to another connection', async () => {
  const other = new DatabaseSync(file, { readOnly: true });
  try {
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        store
          .transaction(async (tx) => {
            await tx.db.insertInto('accounts').values(account(`acc_v${i}`)).execute();
          })
          .then(() => {
            const row = other.prepare('select id from accounts where id = ?').get(`acc_v${i}`);
            assert.ok(row, `acc_v${i} is committed when its caller is told so`);
          }),
      ),
    );
  } finally {
    other.close();
  }
});

test('a constraint error in one caller does not poison the others in its batch', async () => {
  await store.transaction(async (tx) => {
    await tx.db.insertInto('accounts').values(account('acc_dup')).execute();
  });
  const [dup, fresh] = await Promise.allSettled([
    store.transaction(async (tx) => tx.db.insertInto('accounts').values(account('acc_dup')).execute()),
    store.transaction(async (tx) => tx.db.insertInto('accounts').values(account('acc_fresh')).execute()),
  ]);
  assert.equal(dup.status, 'rejected');
  assert.match(String((dup as PromiseRejectedResult).reason), /UNIQUE/);
  assert.equal(fresh.status, 'fulfilled');
});

test('the checkpointer thread moves committed pages into the database file itself', async () => {
  const { copyFileSync } = await import('node:fs');
  await store.transaction(async (tx) => {
    await tx.db.insertInto('accounts').values(account('acc_ckpt')).execute();
  });
  // The main connection no longer checkpoints on commit; the worker does, every half second.
  const copy = path.join(dir, 'copy.db');
  let found = false;
  for (let i = 0; i < 40 && !found; i++) {
    await new Promise((r) => setTimeout(r, 100));
    // The database file alone, without its WAL: only checkpointed pages are in it.
    copyFileSync(file, copy);
    const alone = new DatabaseSync(copy, { readOnly: true });
    try {
      found = alone.prepare("select id from accounts where id = 'acc_ckpt'").get() !== undefined;
    } catch {
      found = false; // not even the schema has been checkpointed yet
    } finally {
      alone.close();
    }
  }
  assert.ok(found, 'the row reached the database file within 4 s');
});

test('urgent work (sends under way) is served before queued intake', async () => {
  const order: string[] = [];
  let release!: () => void;
  let started!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const running = new Promise<void>((r) => (started = r));
  const first = store.transaction(async () => {
    order.push('first');
    started();
    await gate;
  });
  await running; // the others queue up while the first one holds the batch
  const intake = ['a', 'b', 'c'].map((name) => store.transaction(async () => void order.push(name)));
  const urgent = store.transaction(async () => void order.push('urgent'), { urgent: true });
  release();
  await Promise.all([first, ...intake, urgent]);
  assert.deepEqual(order, ['first', 'urgent', 'a', 'b', 'c']);
});
