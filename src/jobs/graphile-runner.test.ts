// The graphile-worker runner against a real PostgreSQL: each run makes its own database and drops
// it afterwards. Timing is never asserted against the wall clock: delays are read from run_at,
// in database time, and waits are bounded by drain()'s timeout only.
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import pg from 'pg';
import pino from 'pino';
import { openPostgresStore, type PostgresStore } from '../store/postgres-store.ts';
import { GraphileJobRunner, RESERVED_FIELD, WORKERS_TABLE, type GraphileRunnerOptions } from './graphile-runner.ts';
import { PermanentJobError, RetryLaterError, type JobContext } from './job-queue.ts';

const BASE_URL = process.env.TEST_DATABASE_URL;
const logger = pino({ level: 'silent' });
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

async function admin(statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: BASE_URL });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface JobRow {
  id: number;
  payload: Record<string, unknown>;
  run_at: Date;
  created_at: Date;
  attempts: number;
  max_attempts: number;
  last_error: string | null;
  key: string | null;
  locked_by: string | null;
  db_now: Date;
}

describe('graphile-worker job runner', { skip: !BASE_URL && 'needs TEST_DATABASE_URL (runs in CI)' }, () => {
  let dbName: string | undefined;
  let url: string;
  let store: PostgresStore | undefined;
  const runners: GraphileJobRunner[] = [];
  const children: ChildProcess[] = [];

  const db = () => store!.db;

  function runner(opts: Partial<GraphileRunnerOptions> = {}): GraphileJobRunner {
    const r = new GraphileJobRunner({
      store: store!,
      poolConfig: { connectionString: url, max: 6 },
      logger,
      concurrency: 4,
      defaultMaxAttempts: 3,
      backoff: { baseMs: 1, capMs: 5 },
      heartbeatIntervalMs: 100,
      deadWorkerAfterMs: 3_000, // 30 beats: a loaded CI machine that delays a few is not a death
      pollIntervalMs: 200,
      ...opts,
    });
    runners.push(r);
    return r;
  }

  async function jobRows(task: string): Promise<JobRow[]> {
    const { rows } = await sql<JobRow>`
      select j.id, j.payload, j.run_at, j.created_at, j.attempts, j.max_attempts, j.last_error, j.key, j.locked_by, now() as db_now
      from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id
      where t.identifier = ${task} order by j.id`.execute(db());
    return rows;
  }

  before(async () => {
    dbName = `rb_jobs_${randomBytes(6).toString('hex')}`;
    await admin(`create database ${dbName}`);
    const u = new URL(BASE_URL!);
    u.pathname = `/${dbName}`;
    url = u.toString();
    store = openPostgresStore({ url, poolSize: 5, statementTimeoutMs: 15_000, ssl: 'off' });
    await store.migrate();
  });

  after(async () => {
    try {
      for (const child of children) child.kill('SIGKILL');
      await Promise.allSettled(runners.map((r) => r.stop()));
      await store?.close();
    } finally {
      if (dbName) await admin(`drop database if exists ${dbName} with (force)`);
    }
  });

  beforeEach(async () => {
    const { rows } = await sql<{ ready: boolean }>`select to_regclass('ringback_jobs.ringback_job_workers') is not null as ready`.execute(db());
    if (!rows[0]?.ready) return;
    await sql`delete from graphile_worker._private_jobs`.execute(db());
    await sql`delete from ringback_jobs.ringback_job_workers`.execute(db());
  });

  afterEach(async () => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    await Promise.allSettled(runners.splice(0).map((r) => r.stop()));
  });

  test('prepare() is safe when several processes install the schema at once', async () => {
    // The database is fresh: this is the first install, raced four ways.
    const racing = [runner(), runner(), runner(), runner()];
    await Promise.all(racing.map((r) => r.prepare()));
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from graphile_worker.migrations`.execute(db());
    assert.ok(rows[0]!.n >= 20);
    await sql`select * from ringback_jobs.ringback_job_workers`.execute(db());
    await Promise.all(racing.map((r) => r.stop()));
    // prepare() again (a restart) is a no-op.
    await runner().prepare();
  });

  test('stop() without start() is fine, and so is a second stop()', async () => {
    const r = runner();
    await r.stop();
    await r.prepare();
    await r.stop();
    await r.stop();
    assert.equal(r.running, false);
  });

  test('enqueue refuses an unregistered task and the reserved payload field', async () => {
    const r = runner();
    r.register('known', { run: async () => {} });
    await r.prepare();
    await assert.rejects(store!.transaction((tx) => r.enqueue(tx, { task: 'unknown', payload: {} })), /no handler is registered/);
    await assert.rejects(store!.transaction((tx) => r.enqueue(tx, { task: 'known', payload: { [RESERVED_FIELD]: 1 } })), /reserved/);
    assert.equal((await jobRows('known')).length, 0);
  });

  test('a job enqueued in a transaction that rolls back never exists and never runs', async () => {
    const r = runner();
    const ran: unknown[] = [];
    r.register('rollback', { run: async (p) => void ran.push(p) });
    await r.start();
    await assert.rejects(
      store!.transaction(async (tx) => {
        await r.enqueue(tx, { task: 'rollback', payload: { n: 1 } });
        assert.equal((await sql<{ n: number }>`select count(*)::int as n from graphile_worker._private_jobs`.execute(tx.db)).rows[0]!.n, 1);
        throw new Error('boom');
      }),
      /boom/,
    );
    await r.drain();
    assert.deepEqual(ran, []);
    assert.equal((await jobRows('rollback')).length, 0);
  });

  test('a committed job runs once, woken by NOTIFY, with its payload, and is removed', async () => {
    const r = runner({ pollIntervalMs: 60_000 }); // no poll within the test: only the NOTIFY can start it
    const ran: Array<[Record<string, unknown>, JobContext]> = [];
    r.register('once', { run: async (p, ctx) => void ran.push([p, ctx]) });
    await r.start();
    assert.equal(r.running, true);
    await sleep(50); // let the workers' first (empty) fetch pass, so the job cannot ride on it
    await store!.transaction((tx) => r.enqueue(tx, { task: 'once', payload: { n: 2, nested: { a: [1, 2] } } }));
    await r.drain();
    assert.equal(ran.length, 1);
    assert.deepEqual(ran[0]![0], { n: 2, nested: { a: [1, 2] } });
    assert.equal(ran[0]![1].attempt, 1);
    assert.equal(ran[0]![1].maxAttempts, 3);
    assert.match(ran[0]![1].jobId, /^\d+$/);
    assert.equal((await jobRows('once')).length, 0);
  });

  test('a job key makes a second enqueue of a pending job a no-op; once done, the key is free', async () => {
    const r = runner();
    const ran: unknown[] = [];
    r.register('keyed', { run: async (p) => void ran.push(p) });
    await r.prepare();
    await store!.transaction(async (tx) => {
      await r.enqueue(tx, { task: 'keyed', payload: { n: 1 }, jobKey: 'k' });
      await r.enqueue(tx, { task: 'keyed', payload: { n: 2 }, jobKey: 'k' });
    });
    await store!.transaction((tx) => r.enqueue(tx, { task: 'keyed', payload: { n: 3 }, jobKey: 'k' }));
    const rows = await jobRows('keyed');
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.payload.n, 1);
    await r.start();
    await r.drain();
    assert.deepEqual(ran, [{ n: 1 }]);
    await store!.transaction((tx) => r.enqueue(tx, { task: 'keyed', payload: { n: 4 }, jobKey: 'k' }));
    await r.drain();
    assert.deepEqual(ran, [{ n: 1 }, { n: 4 }]);
  });

  test('a job in the future waits for its time (kept as a delay in database time)', async () => {
    const r = runner();
    const ran: unknown[] = [];
    r.register('later', { run: async (p) => void ran.push(p) });
    await r.start();
    await store!.transaction((tx) => r.enqueue(tx, { task: 'later', payload: {}, runAt: new Date(Date.now() + 3_600_000) }));
    await r.drain();
    assert.deepEqual(ran, []);
    const [row] = await jobRows('later');
    const inMs = row!.run_at.getTime() - row!.created_at.getTime();
    assert.ok(inMs >= 3_500_000, `run_at in ${inMs} ms`);
    assert.ok(row!.run_at.getTime() <= row!.db_now.getTime() + 3_600_000);
  });

  test('a failing job is retried with attempts 1, 2, 3 and RetryLaterError sets the earliest retry', async () => {
    const r = runner();
    const seen: JobContext[] = [];
    const payloads: unknown[] = [];
    r.register('retry', {
      run: async (p, ctx) => {
        seen.push(ctx);
        payloads.push(p);
        if (ctx.attempt === 1) throw new RetryLaterError('carrier busy', 60_000);
        if (ctx.attempt === 2) throw new Error('flaky');
      },
    });
    await r.start();
    await store!.transaction((tx) => r.enqueue(tx, { task: 'retry', payload: { n: 7 }, jobKey: 'retry-key', maxAttempts: 5 }));
    await r.drain(); // the retry is a minute away: beyond drain's horizon

    assert.deepEqual(
      seen.map((c) => c.attempt),
      [1],
    );
    const [pending] = await jobRows('retry');
    assert.ok(pending);
    const delay = pending.run_at.getTime() - pending.created_at.getTime();
    // At least the delay asked for, counted from when the retry was written (created_at is that
    // transaction's start, so it can only make the measured delay longer, never shorter)…
    assert.ok(delay >= 60_000, `retry in ${delay} ms`);
    // …and not more than the delay plus how long ago that was (so not graphile's own schedule).
    assert.ok(pending.run_at.getTime() <= pending.db_now.getTime() + 60_000, 'retry not later than asked');
    assert.equal(pending.attempts, 0);
    assert.equal(pending.key, 'retry-key');
    assert.equal(pending.last_error, 'carrier busy');
    assert.deepEqual(pending.payload[RESERVED_FIELD], { attempt: 2, maxAttempts: 5, jobId: seen[0]!.jobId });

    // The key is still held by the pending retry.
    await store!.transaction((tx) => r.enqueue(tx, { task: 'retry', payload: { n: 8 }, jobKey: 'retry-key' }));
    assert.equal((await jobRows('retry')).length, 1);

    // Bring the retry forward instead of waiting a minute, and wake the workers.
    await sql`update graphile_worker._private_jobs set run_at = now() where id = ${pending.id}`.execute(db());
    await sql`select pg_notify('jobs:insert', '{"count":1}')`.execute(db());
    await r.drain();
    assert.deepEqual(
      seen.map((c) => c.attempt),
      [1, 2, 3],
    );
    assert.deepEqual(
      seen.map((c) => c.maxAttempts),
      [5, 5, 5],
    );
    assert.equal(new Set(seen.map((c) => c.jobId)).size, 1, 'one job id across retries');
    assert.deepEqual(payloads, [{ n: 7 }, { n: 7 }, { n: 7 }]);
    assert.equal((await jobRows('retry')).length, 0);
  });

  test('the backoff applies when it is longer than what RetryLaterError asks for', async () => {
    // random 0.5, base 1,000 s: the first retry's backoff is 500 s, longer than the 1 s asked for.
    const r = runner({ backoff: { baseMs: 1_000_000, capMs: 10_000_000 }, random: () => 0.5 });
    r.register('backoff', {
      run: async () => {
        throw new RetryLaterError('soon', 1_000);
      },
    });
    await r.start();
    await store!.transaction((tx) => r.enqueue(tx, { task: 'backoff', payload: {} }));
    await r.drain();
    const [row] = await jobRows('backoff');
    assert.ok(row);
    assert.ok(row.run_at.getTime() - row.created_at.getTime() >= 500_000);
    assert.ok(row.run_at.getTime() <= row.db_now.getTime() + 500_000);
    assert.equal((row.payload[RESERVED_FIELD] as { attempt: number }).attempt, 2);
  });

  test('exhausted attempts call the exhaustion hook once and leave a failed job that never runs again', async () => {
    const r = runner();
    let attempts = 0;
    const exhausted: Array<[unknown, string]> = [];
    r.register('exhaust', {
      run: async () => {
        attempts++;
        throw new Error(`attempt ${attempts} failed`);
      },
      onExhausted: async (p, err) => void exhausted.push([p, err.message]),
    });
    await r.start();
    await store!.transaction((tx) => r.enqueue(tx, { task: 'exhaust', payload: { m: 1 }, jobKey: 'exhaust-key', maxAttempts: 3 }));
    await r.drain();
    assert.equal(attempts, 3);
    assert.deepEqual(exhausted, [[{ m: 1 }, 'attempt 3 failed']]);
    const rows = await jobRows('exhaust');
    assert.equal(rows.length, 1);
    assert.ok(rows[0]!.attempts >= rows[0]!.max_attempts, 'permanently failed in graphile');
    assert.equal(rows[0]!.locked_by, null);
    assert.equal(rows[0]!.last_error, 'attempt 3 failed');
    assert.equal(rows[0]!.key, null, 'a failed job does not hold its key');
    // Nothing left to run: another poll or sweep changes nothing.
    await sql`select pg_notify('jobs:insert', '{"count":1}')`.execute(db());
    await sleep(300);
    await r.drain();
    assert.equal(attempts, 3);
    assert.equal(exhausted.length, 1);
    // The key is free again: a new job for it runs.
    await store!.transaction((tx) => r.enqueue(tx, { task: 'exhaust', payload: { m: 2 }, jobKey: 'exhaust-key', maxAttempts: 1 }));
    await r.drain();
    assert.equal(attempts, 4);
    assert.deepEqual(exhausted[1], [{ m: 2 }, 'attempt 4 failed']);
  });

  test('a permanent error is not retried and calls the exhaustion hook once', async () => {
    const r = runner();
    let attempts = 0;
    const exhausted: Error[] = [];
    r.register('permanent', {
      run: async () => {
        attempts++;
        throw new PermanentJobError('never');
      },
      onExhausted: async (_p, err) => void exhausted.push(err),
    });
    await r.start();
    await store!.transaction((tx) => r.enqueue(tx, { task: 'permanent', payload: {}, maxAttempts: 5 }));
    await r.drain();
    await sleep(300);
    await r.drain();
    assert.equal(attempts, 1);
    assert.equal(exhausted.length, 1);
    assert.ok(exhausted[0] instanceof PermanentJobError);
    const [row] = await jobRows('permanent');
    assert.ok(row!.attempts >= row!.max_attempts);
    assert.equal(row!.last_error, 'never');
  });

  test('a job whose worker was killed (SIGKILL, in another process) runs again within seconds', async () => {
    const r = runner();
    const ran: Array<[unknown, JobContext]> = [];
    r.register('crash', { run: async (p, ctx) => void ran.push([p, ctx]) });
    await r.prepare();
    await store!.transaction((tx) => r.enqueue(tx, { task: 'crash', payload: { c: 1 } }));

    const moduleUrl = (p: string) => JSON.stringify(new URL(p, import.meta.url).href);
    const childCode = `
      import pino from 'pino';
      import { openPostgresStore } from ${moduleUrl('../store/postgres-store.ts')};
      import { GraphileJobRunner } from ${moduleUrl('./graphile-runner.ts')};
      const url = process.env.RB_TEST_URL;
      const store = openPostgresStore({ url, poolSize: 2, statementTimeoutMs: 15000, ssl: 'off' });
      const r = new GraphileJobRunner({
        store, poolConfig: { connectionString: url, max: 4 }, logger: pino({ level: 'silent' }),
        concurrency: 1, defaultMaxAttempts: 3, backoff: { baseMs: 1, capMs: 5 },
        heartbeatIntervalMs: 100, deadWorkerAfterMs: 1000, pollIntervalMs: 200,
      });
      r.register('crash', { run: async () => { process.stdout.write('started\\n'); await new Promise(() => {}); } });
      await r.start();
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', childCode], {
      cwd: repoRoot,
      env: { ...process.env, RB_TEST_URL: url },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(child);
    const lines = createInterface({ input: child.stdout! });
    await Promise.race([
      once(lines, 'line'),
      once(child, 'exit').then(() => {
        throw new Error('the child process exited before taking the job');
      }),
    ]);

    const [locked] = await jobRows('crash');
    assert.ok(locked?.locked_by, 'the child holds the job');
    const { rows: beats } = await sql<{ worker_id: string }>`select worker_id from ringback_jobs.ringback_job_workers`.execute(db());
    assert.deepEqual(
      beats.map((b) => b.worker_id),
      [locked.locked_by],
    );

    // A live runner here does not take the job while the child's heartbeat is fresh…
    await r.start();
    await sleep(300);
    assert.equal(ran.length, 0);
    // …but once the child is killed mid-job, the sweep releases it and it runs here.
    child.kill('SIGKILL');
    await once(child, 'exit');
    await r.drain(15_000);
    assert.equal(ran.length, 1);
    assert.deepEqual(ran[0]![0], { c: 1 });
    assert.equal(ran[0]![1].attempt, 1, 'a crash is not a failed attempt');
    assert.equal((await jobRows('crash')).length, 0);
    const { rows: left } = await sql<{ n: number }>`select count(*)::int as n from ringback_jobs.ringback_job_workers where worker_id = ${locked.locked_by}`.execute(db());
    assert.equal(left[0]!.n, 0, 'the dead worker is forgotten');
  });

  async function lockForFakeWorker(task: string, workerId: string, lastSeen: 'stale' | 'fresh', attempts = 1): Promise<number> {
    const [row] = await jobRows(task);
    assert.ok(row);
    const seen = lastSeen === 'stale' ? sql`now() - interval '1 hour'` : sql`now() + interval '1 hour'`;
    await sql.raw(`insert into ${WORKERS_TABLE} (worker_id, hostname, pid) values ('${workerId}', 'elsewhere', 1)`).execute(db());
    await sql`update ringback_jobs.ringback_job_workers set last_seen = ${seen} where worker_id = ${workerId}`.execute(db());
    await sql`update graphile_worker._private_jobs set locked_by = ${workerId}, locked_at = now(), attempts = ${attempts} where id = ${row.id}`.execute(db());
    return row.id;
  }

  test('a job locked by a worker whose heartbeat is stale is released by the sweep and run', async () => {
    const r = runner();
    const ran: unknown[] = [];
    r.register('stale', { run: async (p) => void ran.push(p) });
    await r.prepare();
    await store!.transaction((tx) => r.enqueue(tx, { task: 'stale', payload: { s: 1 } }));
    await lockForFakeWorker('stale', 'pool-dead', 'stale');
    await r.start();
    await r.drain();
    assert.deepEqual(ran, [{ s: 1 }]);
    assert.equal((await jobRows('stale')).length, 0);
  });

  test('a job locked by a worker with a fresh heartbeat is left alone until that heartbeat stops', async () => {
    const r = runner();
    const ran: unknown[] = [];
    r.register('alive', { run: async (p) => void ran.push(p) });
    await r.prepare();
    await store!.transaction((tx) => r.enqueue(tx, { task: 'alive', payload: { a: 1 } }));
    await lockForFakeWorker('alive', 'pool-alive', 'fresh');
    await r.start();
    await sleep(600); // several sweeps
    assert.deepEqual(ran, []);
    assert.equal((await jobRows('alive'))[0]!.locked_by, 'pool-alive');
    await sql`update ringback_jobs.ringback_job_workers set last_seen = now() - interval '1 hour' where worker_id = 'pool-alive'`.execute(db());
    await r.drain();
    assert.deepEqual(ran, [{ a: 1 }]);
  });

  test('a runner sweeps only after its own heartbeat has been getting through for the dead-worker threshold', async () => {
    // As after a database outage: the other worker's row is stale because nobody could write.
    // A 60 s threshold: within this test the new runner has not been healthy long enough to judge.
    const r = runner({ deadWorkerAfterMs: 60_000, heartbeatIntervalMs: 50 });
    const ran: unknown[] = [];
    r.register('outage', { run: async (p) => void ran.push(p) });
    await r.prepare();
    await store!.transaction((tx) => r.enqueue(tx, { task: 'outage', payload: {} }));
    await lockForFakeWorker('outage', 'pool-was-cut-off', 'stale');
    await r.start();
    await sleep(500); // several heartbeats
    assert.equal(ran.length, 0);
    assert.equal((await jobRows('outage'))[0]!.locked_by, 'pool-was-cut-off');
  });

  test('a job that keeps killing its worker fails for good after maxInterruptions', async () => {
    const r = runner({ maxInterruptions: 2 });
    let runs = 0;
    const exhausted: string[] = [];
    r.register('poison', {
      run: async () => void runs++,
      onExhausted: async (_p, err) => void exhausted.push(err.message),
    });
    await r.prepare();
    await store!.transaction((tx) => r.enqueue(tx, { task: 'poison', payload: {} }));
    // Claimed three times already, never finished: the next claim is the fourth.
    await lockForFakeWorker('poison', 'pool-poisoned', 'stale', 3);
    await r.start();
    await r.drain();
    assert.equal(runs, 0);
    assert.equal(exhausted.length, 1);
    assert.match(exhausted[0]!, /interrupted 3 times/);
  });

  test('a long job of a live runner is not taken by another runner', async () => {
    // The job outlasts the dead-worker threshold; the threshold is 20 beats, so a busy machine
    // (CI runs other suites alongside) that delays a few beats does not look like a death.
    const a = runner({ deadWorkerAfterMs: 2_000, heartbeatIntervalMs: 100 });
    const b = runner({ deadWorkerAfterMs: 2_000, heartbeatIntervalMs: 100 });
    let runs = 0;
    for (const r of [a, b]) {
      r.register('long', {
        run: async () => {
          runs++;
          await sleep(3_500);
        },
      });
    }
    await a.start();
    await b.start();
    await store!.transaction((tx) => a.enqueue(tx, { task: 'long', payload: {} }));
    await a.drain(15_000);
    assert.equal(runs, 1);
  });

  test('stop() waits for the job in flight to finish, and completes it', async () => {
    const r = runner();
    let finished = false;
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    r.register('slow', {
      run: async () => {
        started();
        await sleep(300);
        finished = true;
      },
    });
    await r.start();
    await store!.transaction((tx) => r.enqueue(tx, { task: 'slow', payload: {} }));
    await running;
    await r.stop();
    assert.equal(finished, true, 'stop() resolved only after the job finished');
    assert.equal(r.running, false);
    assert.equal((await jobRows('slow')).length, 0, 'the finished job was completed, not released');
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from ringback_jobs.ringback_job_workers`.execute(db());
    assert.equal(rows[0]!.n, 0, 'a stopped runner removes its heartbeat');
  });

  test('two runners on one database run each of 200 jobs exactly once', async () => {
    const a = runner({ concurrency: 4 });
    const b = runner({ concurrency: 4 });
    const runs = new Map<number, number>();
    let concurrent = 0;
    const active = new Set<number>();
    for (const r of [a, b]) {
      r.register('many', {
        run: async (p) => {
          const n = p.n as number;
          if (active.has(n)) concurrent++;
          active.add(n);
          runs.set(n, (runs.get(n) ?? 0) + 1);
          await sleep(Math.floor(Math.random() * 5));
          active.delete(n);
        },
      });
    }
    await a.start();
    await b.start();
    await store!.transaction(async (tx) => {
      for (let n = 0; n < 200; n++) await a.enqueue(tx, { task: 'many', payload: { n } });
    });
    await a.drain(30_000);
    await b.drain(30_000);
    assert.equal(concurrent, 0);
    assert.equal(runs.size, 200);
    assert.deepEqual(
      [...runs.values()].filter((c) => c !== 1),
      [],
    );
    assert.equal((await jobRows('many')).length, 0);
  });
});
