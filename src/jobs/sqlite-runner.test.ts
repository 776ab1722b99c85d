import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { openSqliteStore, type Store } from '../store/database.ts';
import { PermanentJobError, RetryLaterError } from './job-queue.ts';
import { SqliteJobRunner } from './sqlite-runner.ts';

const logger = pino({ level: 'silent' });
let dir: string;
let store: Store;

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'ringback-jobs-'));
  store = openSqliteStore(path.join(dir, 'jobs.db'));
  await store.migrate();
});
after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  await store.db.deleteFrom('jobs').execute();
});

function runner(opts: Partial<ConstructorParameters<typeof SqliteJobRunner>[0]> = {}) {
  return new SqliteJobRunner({ store, logger, concurrency: 4, defaultMaxAttempts: 3, backoff: { baseMs: 1, capMs: 5 }, ...opts });
}

const jobRows = () => store.db.selectFrom('jobs').selectAll().execute();

describe('SQLite job runner', () => {
  test('a job enqueued in a transaction that rolls back never exists and never runs', async () => {
    const r = runner();
    const ran: unknown[] = [];
    r.register('t', { run: async (p) => void ran.push(p) });
    await r.start();
    await assert.rejects(
      store.transaction(async (tx) => {
        await r.enqueue(tx, { task: 't', payload: { n: 1 } });
        throw new Error('boom');
      }),
      /boom/,
    );
    await r.drain();
    assert.deepEqual(ran, []);
    assert.equal((await jobRows()).length, 0);
    await r.stop();
  });

  test('a committed job runs once, right after the commit, and is removed', async () => {
    const r = runner({ pollIntervalMs: 60_000 }); // no poll: only the after-commit wake-up can start it
    const ran: unknown[] = [];
    r.register('t', { run: async (p) => void ran.push(p) });
    await r.start();
    await store.transaction((tx) => r.enqueue(tx, { task: 't', payload: { n: 2 } }));
    await r.drain();
    assert.deepEqual(ran, [{ n: 2 }]);
    assert.equal((await jobRows()).length, 0);
    await r.stop();
  });

  test('a job key makes a second enqueue of a pending job a no-op', async () => {
    const r = runner();
    const ran: unknown[] = [];
    r.register('t', { run: async (p) => void ran.push(p) });
    await store.transaction(async (tx) => {
      await r.enqueue(tx, { task: 't', payload: { n: 1 }, jobKey: 'k' });
      await r.enqueue(tx, { task: 't', payload: { n: 2 }, jobKey: 'k' });
    });
    assert.equal((await jobRows()).length, 1);
    await r.start();
    await r.drain();
    assert.deepEqual(ran, [{ n: 1 }]);
    await r.stop();
  });

  test('a failing job is retried with backoff, then fails for good and calls its exhaustion hook', async () => {
    const r = runner();
    let attempts = 0;
    const exhausted: string[] = [];
    r.register('t', {
      run: async () => {
        attempts++;
        throw new Error(`attempt ${attempts} failed`);
      },
      onExhausted: async (_p, err) => void exhausted.push(err.message),
    });
    await r.start();
    await store.transaction((tx) => r.enqueue(tx, { task: 't', payload: {}, maxAttempts: 3 }));
    await r.drain();
    assert.equal(attempts, 3);
    assert.deepEqual(exhausted, ['attempt 3 failed']);
    const [row] = await jobRows();
    assert.equal(row!.status, 'failed');
    assert.equal(row!.attempts, 3);
    assert.equal(row!.last_error, 'attempt 3 failed');
    await r.stop();
  });

  test('a permanent error is not retried', async () => {
    const r = runner();
    let attempts = 0;
    r.register('t', {
      run: async () => {
        attempts++;
        throw new PermanentJobError('never');
      },
    });
    await r.start();
    await store.transaction((tx) => r.enqueue(tx, { task: 't', payload: {}, maxAttempts: 5 }));
    await r.drain();
    assert.equal(attempts, 1);
    assert.equal((await jobRows())[0]!.status, 'failed');
    await r.stop();
  });

  test('RetryLaterError waits at least the delay it asks for', async () => {
    const now = Date.parse('2026-11-22T12:00:00Z');
    const r = runner({ now: () => new Date(now) });
    r.register('t', {
      run: async () => {
        throw new RetryLaterError('busy', 30_000);
      },
    });
    await r.start();
    await store.transaction((tx) => r.enqueue(tx, { task: 't', payload: {} }));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const [row] = await jobRows();
    assert.equal(row!.status, 'queued');
    assert.ok(Date.parse(row!.run_at) - now >= 30_000, `run_at ${row!.run_at} is at least 30 s later`);
    await r.stop();
  });

  test('jobs left running by a crashed process run again on the next start', async () => {
    const r1 = runner();
    r1.register('t', { run: async () => {} });
    await store.transaction((tx) => r1.enqueue(tx, { task: 't', payload: {} }));
    // What a crash leaves behind: a job marked running that nobody will finish.
    await store.db.updateTable('jobs').set({ status: 'running', attempts: 1 }).execute();
    const ran: string[] = [];
    const r2 = runner();
    r2.register('t', { run: async () => void ran.push('again') });
    await r2.start();
    await r2.drain();
    assert.deepEqual(ran, ['again']);
    assert.equal((await jobRows()).length, 0);
    await r2.stop();
  });

  test('jobs scheduled for later wait for their time', async () => {
    const r = runner();
    const ran: number[] = [];
    r.register('t', { run: async () => void ran.push(Date.now()) });
    await r.start();
    const at = Date.now() + 150;
    await store.transaction((tx) => r.enqueue(tx, { task: 't', payload: {}, runAt: new Date(at) }));
    await r.drain(5000, 1000);
    assert.equal(ran.length, 1);
    assert.ok(ran[0]! >= at, 'not run before its run-at');
    await r.stop();
  });

  test('enqueueing a task with no handler is refused', async () => {
    const r = runner();
    await assert.rejects(store.transaction((tx) => r.enqueue(tx, { task: 'nope', payload: {} })), /no handler/);
  });
});
