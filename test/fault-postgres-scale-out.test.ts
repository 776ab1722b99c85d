// Fault test (Postgres pass): Ringback scaled out on one PostgreSQL database — two web processes
// taking Twilio's webhooks and two workers running the send jobs — with ~2000 missed calls
// spread over both web processes, a fifth of them delivered a second time to the OTHER web process
// (some at the same moment as the first delivery), and one worker killed with SIGKILL a third of
// the way in and started again. Every caller must get exactly one text at the carrier, every call
// must be decided "send", every text must be recorded sent, and SIGTERM must drain every process
// to exit 0.
//
// Recovery of the killed worker's jobs waits for the dead-worker sweep of the graphile runner
// (src/jobs/graphile-runner.ts: heartbeat every 5 s, a worker unseen for 20 s is dead); there is
// no setting to shorten it, so this test allows for it.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import pg from 'pg';
import { startFakeTwilio, twilioWebhooks } from '../src/carriers/twilio/fake-twilio.ts';
import {
  FAULT_ACCOUNT_SID,
  FAULT_AUTH_TOKEN,
  FAULT_LINE,
  FAULT_PUBLIC_URL,
  FaultResources,
  RingbackProcess,
  WebhookSender,
  addTwilioLine,
  api,
  childEnv,
  countDeliveries,
  figures,
  freePort,
  mapLimit,
  newSecretKey,
  paced,
  sleep,
  uniqueCallers,
  waitUntil,
  assertOneTextPerCall,
} from './support/fault-harness.ts';
import { createTestDatabase, testStoreKind } from './support/test-database.ts';

const CALLS = 2000;
const RATE_PER_S = 60;
const MAX_IN_FLIGHT = 64;
/** Every REPLAY_EVERY-th call's dial result also goes to the other web process (20%). */
const REPLAY_EVERY = 5;
/** The worker is killed when this call starts (a third of the way in)… */
const KILL_AT_CALL = Math.floor(CALLS / 3);
/** …and started again this long after. */
const RESTART_AFTER_MS = 2000;
/** How long the fake Twilio takes to answer a message create (the message exists at once). */
const CARRIER_LATENCY_MS = 250;

const resources = new FaultResources();
after(() => resources.release());

describe('Postgres: 2 web + 2 worker processes, replays across web processes, a worker killed with SIGKILL', () => {
  test(
    `${CALLS} missed calls: every caller gets exactly one text, and SIGTERM drains every process`,
    { skip: testStoreKind() !== 'postgres' ? 'runs on the Postgres pass' : false, timeout: 300_000 },
    async (t) => {
      const started = performance.now();
      const database = await createTestDatabase('rb_fault_scale');
      resources.cleanups.push(() => database.drop());
      const twilio = await startFakeTwilio({ accountSid: FAULT_ACCOUNT_SID, authToken: FAULT_AUTH_TOKEN, numbers: [FAULT_LINE] });
      resources.cleanups.push(() => twilio.close());
      // Twilio takes a while to answer a create: at any moment each worker has texts at the
      // carrier whose answer it has not had yet, so the kill lands in the middle of sends.
      twilio.setLatency(CARRIER_LATENCY_MS);
      const dir = resources.tempDir('ringback-fault-pg-');
      const secretKey = newSecretKey();
      const spawnRole = async (name: string, role: 'web' | 'worker') =>
        new RingbackProcess(
          resources,
          name,
          await freePort(),
          childEnv({
            DATABASE_URL: database.url,
            RINGBACK_DATABASE_POOL_SIZE: '4',
            RINGBACK_JOB_CONCURRENCY: '8',
            // The killed worker's jobs go to the other one once its heartbeat is this old.
            RINGBACK_JOB_DEAD_WORKER_MS: '4000',
            RINGBACK_ROLE: role,
            RINGBACK_SECRET_KEY: secretKey,
            RINGBACK_DATA_DIR: path.join(dir, name),
          }),
          dir,
        );
      const web1 = await spawnRole('web1', 'web');
      const web2 = await spawnRole('web2', 'web');
      const worker1 = await spawnRole('worker1', 'worker');
      const worker2 = await spawnRole('worker2', 'worker');
      const all = [web1, web2, worker1, worker2];
      // The first migrates and creates the owner; the others then start together.
      await web1.start();
      await Promise.all([web2.start(), worker1.start(), worker2.start()]);
      const carrierId = await addTwilioLine(web1.url, twilio.url);

      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      resources.cleanups.push(() => client.end());

      const callers = uniqueCallers(CALLS, ['415', '646']);
      const hooks = twilioWebhooks({ accountSid: FAULT_ACCOUNT_SID, authToken: FAULT_AUTH_TOKEN });
      const hookUrl = (hook: string) => `${FAULT_PUBLIC_URL}/webhooks/twilio/${carrierId}/${hook}`;
      const sender = new WebhookSender({ giveUpMs: 120_000, retryDelayMs: 200 });
      const webs = [web1, web2];
      const callSids = new Map<string, string>();
      let concurrentReplays = 0;
      let laterReplays = 0;

      // The fault: kill -9 worker1 a third of the way in, start it again 2 s later.
      let chaos: Promise<unknown> = Promise.resolve(null);
      let killedAt = 0; // wall clock, ms
      const kill = () => {
        chaos = (async () => {
          killedAt = Date.now();
          const exit = await worker1.kill9();
          assert.equal(exit?.signal, 'SIGKILL');
          await sleep(RESTART_AFTER_MS);
          await worker1.start();
        })().then(
          () => null,
          (err: unknown) => err,
        );
      };

      await paced(
        CALLS,
        RATE_PER_S,
        MAX_IN_FLIGHT,
        async (i) => {
          const from = callers[i]!;
          const home = webs[i % 2]!;
          const other = webs[(i + 1) % 2]!;
          const incoming = hooks.incomingCall(hookUrl('voice'), { from, to: FAULT_LINE });
          callSids.set(from, incoming.params.CallSid!);
          const twiml = await sender.deliver(() => home.port, incoming);
          assert.ok(twiml?.includes('<Dial'), `the incoming call from ${from} was answered with a <Dial>: ${twiml}`);
          const result = hooks.dialResult(hookUrl('voice/result'), { callSid: incoming.params.CallSid!, from, to: FAULT_LINE, dialCallStatus: 'no-answer' });
          if (i % REPLAY_EVERY !== 0) {
            assert.notEqual(await sender.deliver(() => home.port, result), null, `the dial result for ${from} was delivered`);
          } else if ((i / REPLAY_EVERY) % 2 === 0) {
            // Twilio's retry racing the first delivery, on the other process.
            concurrentReplays++;
            const both = await Promise.all([sender.deliver(() => home.port, result), sender.deliver(() => other.port, result, { replay: true })]);
            assert.ok(both.every((b) => b !== null), `the dial result for ${from} was delivered twice`);
          } else {
            laterReplays++;
            assert.notEqual(await sender.deliver(() => home.port, result), null);
            assert.notEqual(await sender.deliver(() => other.port, result, { replay: true }), null);
          }
        },
        (i) => {
          if (i === KILL_AT_CALL) kill();
        },
      );
      const loadS = (performance.now() - started) / 1000;
      const chaosError = await chaos;
      if (chaosError) throw chaosError;

      // Every caller texted; nothing left to send or run; then nothing more for a while.
      const texted = () => new Set(twilio.messages().map((m) => m.to));
      await waitUntil(() => callers.every((c) => texted().has(c)), `a text for each of the ${CALLS} callers (have ${texted().size})`, 120_000, 250);
      const allTextedS = (performance.now() - started) / 1000;
      const pendingWork = async () => {
        const { rows } = await client.query<{ unsent: number; jobs: number }>(
          `select (select count(*)::int from messages where status in ('queued', 'sending')) as unsent,
                  (select count(*)::int from graphile_worker._private_jobs) as jobs`,
        );
        return rows[0]!;
      };
      await waitUntil(async () => {
        const w = await pendingWork();
        return w.unsent === 0 && w.jobs === 0;
      }, 'no message queued or sending and no job left', 60_000, 250);
      let seen = -1;
      await waitUntil(
        () => {
          const now = twilio.messages().length;
          const quiet = now === seen;
          seen = now;
          return quiet;
        },
        'the fake carrier to stop receiving texts',
        60_000,
        2000,
      );

      // What Ringback recorded, from the database…
      const { rows: calls } = await client.query<{ id: string; from_raw: string; decision: string | null; message_id: string | null; status: string | null; conversation_id: string | null; carrier_message_id: string | null }>(
        `select c.id, c.from_raw, c.decision, c.message_id, m.status, m.conversation_id, m.carrier_message_id
           from calls c left join messages m on m.id = c.message_id`,
      );
      const { rows: perCaller } = await client.query<{ to_number: string; n: number }>(
        `select to_number, count(*)::int as n from messages where direction = 'outbound' group by to_number`,
      );
      const { rows: retried } = await client.query<{ n: number }>(`select count(*)::int as n from messages where direction = 'outbound' and attempts > 1`);

      // …and through the API of both web processes: each call's decision and its message's status.
      const apiProblems: string[] = [];
      await mapLimit(calls, 16, async (call, i) => {
        const base = webs[i % 2]!.url;
        const got = await api(base, 'GET', `/api/v1/calls/${call.id}`);
        const decision = got.body?.call?.decision;
        if (got.status !== 200 || decision?.action !== 'send' || !decision.messageId) {
          apiProblems.push(`call ${call.id} (${call.from_raw}): HTTP ${got.status} decision ${JSON.stringify(decision)}`);
          return;
        }
        const msgs = await api(base, 'GET', `/api/v1/conversations/${call.conversation_id}/messages`);
        const message = (msgs.body?.messages as any[] | undefined)?.find((m) => m.id === decision.messageId);
        if (!message || !['sent', 'delivered'].includes(message.status) || !message.carrierMessageId) {
          apiProblems.push(`call ${call.id} (${call.from_raw}): message ${JSON.stringify(message ?? null)}`);
        }
      });

      // The call list, paged as a client would page it: every call once, though many share a second.
      const paged = new Set<string>();
      let before: string | null = null;
      for (let pages = 0; pages < 100; pages++) {
        const page = await api(web1.url, 'GET', `/api/v1/calls?limit=200${before ? `&before=${encodeURIComponent(before)}` : ''}`);
        for (const c of page.body.calls as Array<{ id: string }>) paged.add(c.id);
        before = page.body.next;
        if (!before) break;
      }
      assert.equal(paged.size, CALLS, 'paging through /api/v1/calls returns every call');

      // How many jobs the dead-worker sweep released, and when (the runner logs it).
      const sweeps = all.flatMap((p) => p.grepLog('released the jobs of dead job workers'));
      const releasedJobs = () => sweeps.reduce((n, line) => n + (Number(/"jobs":(\d+)/.exec(line)?.[1]) || 0), 0);
      const firstSweepAt = Math.min(...sweeps.map((line) => Number(/"time":(\d+)/.exec(line)?.[1] ?? Number.NaN)).filter(Number.isFinite));

      // The drain: SIGTERM to all four; each exits 0. After that nothing can send: final counts.
      const exits = await Promise.all(all.map((p) => p.stop()));
      const count = countDeliveries(callers, twilio.messages(), FAULT_LINE);

      const stats = sender.stats;
      const summary = figures('fault-postgres-scale-out', {
        calls: CALLS,
        webhooks: stats.requests,
        replays: stats.replays,
        concurrentReplays,
        laterReplays,
        retries: stats.retries,
        transportErrors: stats.transportErrors,
        http5xx: stats.serverErrors,
        http4xx: stats.clientErrors,
        undelivered: stats.undelivered,
        texts: count.received,
        exactlyOnce: count.exactlyOnce,
        duplicates: count.duplicates,
        losses: count.losses,
        strays: count.strays,
        reconcileLookups: twilio.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/Messages.json')).length,
        sendsRetried: retried[0]!.n,
        releasedBySweep: releasedJobs(),
        kills: 1,
        restarts: worker1.starts - 1,
        killAtCall: KILL_AT_CALL,
        callsPagedViaApi: paged.size,
        loadS: loadS.toFixed(1),
        allTextedS: allTextedS.toFixed(1),
        sweepAfterKillS: Number.isFinite(firstSweepAt) ? ((firstSweepAt - killedAt) / 1000).toFixed(1) : 'none',
        exitCodes: exits.map((e) => e.code).join('/'),
        elapsedS: ((performance.now() - started) / 1000).toFixed(1),
      });
      t.diagnostic(summary);
      console.log(summary);
      if (stats.errorSamples.length) t.diagnostic(`transport error samples: ${stats.errorSamples.join(' | ')}`);
      if (stats.statusSamples.length) t.diagnostic(`HTTP error samples: ${stats.statusSamples.join(' | ')}`);

      const evidence = (list: string[]) =>
        list
          .slice(0, 5)
          .map((c) => {
            const texts = twilio.messages().filter((m) => m.to === c);
            const logs = all.flatMap((p) => p.grepLog(c).map((l) => `${p.name}: ${l}`));
            return `${c} (CallSid ${callSids.get(c)}): ${texts.length} texts ${texts.map((m) => `${m.sid}@${m.dateCreated.toISOString()}`).join(', ')}\n${logs.join('\n')}`;
          })
          .join('\n');
      assertOneTextPerCall({
        calls: CALLS,
        stats,
        count,
        evidence,
        carrierSids: new Set(twilio.messages().map((m) => m.sid)),
        violations: twilio.violations(),
        recorded: calls,
        outboundPerCaller: perCaller,
      });
      assert.deepEqual(apiProblems.slice(0, 5), [], `the API shows every call decided "send" and its message sent (${apiProblems.length} problems)`);

      for (const [i, exit] of exits.entries()) {
        assert.deepEqual(exit, { code: 0, signal: null }, `SIGTERM drained ${all[i]!.name} and it exited 0\n${all[i]!.describe()}`);
      }
    },
  );
});
