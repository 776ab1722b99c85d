// JobQueue.whenDue: when a job (or one under its key, `key:…`) will next run, wherever it waits:
// in the runner (a short delay) or held in scheduled_jobs (longer than 30 s); null once it ran.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from './helpers.ts';

let server: TestServer;
// The real time: on Postgres the runner compares run_at with the database's clock.
const now = Date.now();
before(async () => {
  server = await startTestServer({}, { clock: () => new Date(now) });
});
after(async () => {
  await server.close();
});

test('a job held for later reports its run time, also under a sub-key; an unknown key reports null', async () => {
  const { ctx, store } = server.ringback;
  const runAt = new Date(now + 2 * 3_600_000);
  await store.transaction((tx) =>
    ctx.jobs.enqueue(tx, { task: 'deliver-webhook', payload: { deliveryId: 'whd_none' }, jobKey: 'webhook-delivery:whd_none:redeliver_1', runAt }),
  );
  const held = await store.db.selectFrom('scheduled_jobs').select(['job_key', 'run_at']).where('job_key', 'like', 'webhook-delivery:whd_none%').execute();
  assert.equal(held.length, 1, 'two hours ahead, the job waits in scheduled_jobs');
  assert.equal((await ctx.jobs.whenDue('webhook-delivery:whd_none'))?.toISOString(), runAt.toISOString());
  assert.equal((await ctx.jobs.whenDue('webhook-delivery:whd_none:redeliver_1'))?.toISOString(), runAt.toISOString());
  // A key that merely starts with the same letters is another job.
  assert.equal(await ctx.jobs.whenDue('webhook-delivery:whd_no'), null);
  assert.equal(await ctx.jobs.whenDue('webhook-delivery:whd_unknown'), null);
});

test('a job due soon waits in the runner and reports its time there', async () => {
  const { ctx, store } = server.ringback;
  const runAt = new Date(now + 10_000);
  await store.transaction((tx) => ctx.jobs.enqueue(tx, { task: 'deliver-webhook', payload: { deliveryId: 'whd_soon' }, jobKey: 'webhook-delivery:whd_soon', runAt }));
  const due = await ctx.jobs.whenDue('webhook-delivery:whd_soon');
  assert.ok(due, 'the runner knows the job');
  assert.ok(Math.abs(due.getTime() - runAt.getTime()) < 1_000, `due ${due.toISOString()} vs ${runAt.toISOString()}`);
});
