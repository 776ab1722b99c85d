// Fault test (SQLite pass): one `ringback start --role all` process takes a steady stream of
// missed calls from a fake Twilio while it is killed with SIGKILL and started again, over and
// over, on the same data dir. The load generator delivers every webhook like a carrier does,
// retrying (connection refused or reset, 5xx) until it gets a 2xx. Every caller must get exactly
// one text at the carrier: no duplicates, no losses.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
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
  childEnv,
  countDeliveries,
  figures,
  freePort,
  newSecretKey,
  paced,
  sleep,
  uniqueCallers,
  waitUntil,
  assertOneTextPerCall,
} from './support/fault-harness.ts';
import { testStoreKind } from './support/test-database.ts';

const CALLS = 1500;
const RATE_PER_S = 60;
const MAX_IN_FLIGHT = 400;
const KILLS = 5;
const KILL_EVERY_MS = 2000;
/** Calls whose dial result is delivered a second time on purpose (after the first got its 2xx). */
const REPLAY_EVERY = 10;

const resources = new FaultResources();
after(() => resources.release());

describe('SQLite: one process killed with SIGKILL and restarted again and again under load', () => {
  test(
    `${CALLS} missed calls, ${KILLS} kill -9 + restarts: every caller gets exactly one text`,
    { skip: testStoreKind() !== 'sqlite' ? 'runs on the SQLite pass' : false, timeout: 300_000 },
    async (t) => {
      const started = performance.now();
      // Told of each text as the fake accepts it, before Ringback has its answer: a kill here
      // lands between "the carrier has it" and "Ringback recorded it".
      let onText: (() => void) | null = null;
      const twilio = await startFakeTwilio({
        accountSid: FAULT_ACCOUNT_SID,
        authToken: FAULT_AUTH_TOKEN,
        numbers: [FAULT_LINE],
        onMessage: () => {
          const hook = onText;
          onText = null;
          hook?.();
        },
      });
      resources.cleanups.push(() => twilio.close());
      const dir = resources.tempDir('ringback-fault-sqlite-');
      const dataDir = path.join(dir, 'data');
      const port = await freePort();
      const ringback = new RingbackProcess(
        resources,
        'all',
        port,
        childEnv({ RINGBACK_DATA_DIR: dataDir, RINGBACK_ROLE: 'all', RINGBACK_SECRET_KEY: newSecretKey() }),
        dir,
      );
      await ringback.start();
      const carrierId = await addTwilioLine(ringback.url, twilio.url);

      const callers = uniqueCallers(CALLS, ['312', '617']);
      const hooks = twilioWebhooks({ accountSid: FAULT_ACCOUNT_SID, authToken: FAULT_AUTH_TOKEN });
      const hookUrl = (hook: string) => `${FAULT_PUBLIC_URL}/webhooks/twilio/${carrierId}/${hook}`;
      const sender = new WebhookSender({ giveUpMs: 120_000, retryDelayMs: 150 });
      const target = () => port;
      const callSids = new Map<string, string>();

      // The chaos: kill -9, start again at once, let it run 2 s, again; KILLS times. Every other
      // kill waits for the next text the fake carrier accepts and kills in that instant (a send in
      // flight: at the carrier, not yet recorded); the others land wherever they land.
      let kills = 0;
      let midSendKills = 0;
      const downtimes: number[] = [];
      const chaos = (async () => {
        for (let k = 0; k < KILLS; k++) {
          await sleep(KILL_EVERY_MS);
          if (k % 2 === 0) {
            const caught = await Promise.race([
              new Promise<boolean>((resolve) => {
                onText = () => {
                  ringback.signal('SIGKILL');
                  resolve(true);
                };
              }),
              sleep(5000).then(() => false),
            ]);
            onText = null;
            if (caught) midSendKills++;
          }
          const exit = await ringback.kill9();
          assert.equal(exit?.signal, 'SIGKILL', `kill #${k + 1} killed the process`);
          kills++;
          const down = performance.now();
          await ringback.start();
          downtimes.push(performance.now() - down);
        }
      })().then(
        () => null,
        (err: unknown) => err,
      );

      await paced(CALLS, RATE_PER_S, MAX_IN_FLIGHT, async (i) => {
        const from = callers[i]!;
        const incoming = hooks.incomingCall(hookUrl('voice'), { from, to: FAULT_LINE });
        callSids.set(from, incoming.params.CallSid!);
        const twiml = await sender.deliver(target, incoming);
        assert.ok(twiml?.includes('<Dial'), `the incoming call from ${from} was answered with a <Dial>: ${twiml}`);
        const result = hooks.dialResult(hookUrl('voice/result'), { callSid: incoming.params.CallSid!, from, to: FAULT_LINE, dialCallStatus: 'no-answer' });
        assert.notEqual(await sender.deliver(target, result), null, `the dial result for ${from} was delivered`);
        if (i % REPLAY_EVERY === 0) assert.notEqual(await sender.deliver(target, result, { replay: true }), null);
      });
      const loadS = (performance.now() - started) / 1000;
      const chaosError = await chaos;
      if (chaosError) throw chaosError;
      assert.equal(kills, KILLS);

      // Every caller texted, then nothing more for a while.
      const texted = () => new Set(twilio.messages().map((m) => m.to));
      await waitUntil(() => callers.every((c) => texted().has(c)), `a text for each of the ${CALLS} callers (have ${texted().size})`, 120_000, 250);
      let seen = -1;
      await waitUntil(
        async () => {
          const now = twilio.messages().length;
          const quiet = now === seen;
          seen = now;
          return quiet;
        },
        'the fake carrier to stop receiving texts',
        60_000,
        2000,
      );

      // The drain: SIGTERM, exit 0. After it nothing can send any more, so the counts are final.
      const exit = await ringback.stop();
      assert.deepEqual(exit, { code: 0, signal: null }, `SIGTERM drained and exited 0\n${ringback.describe()}`);
      const count = countDeliveries(callers, twilio.messages(), FAULT_LINE);

      // What Ringback recorded (read from its database file once it has stopped).
      const db = new DatabaseSync(path.join(dataDir, 'ringback.db'), { readOnly: true });
      let calls: Array<{ from_raw: string; carrier_call_id: string; decision: string | null; message_id: string | null; status: string | null; carrier_message_id: string | null }>;
      let messagesPerCaller: Array<{ to_number: string; n: number }>;
      let pendingJobs: number;
      let retriedSends: number;
      try {
        calls = db
          .prepare(
            `select c.from_raw, c.carrier_call_id, c.decision, c.message_id, m.status, m.carrier_message_id
               from calls c left join messages m on m.id = c.message_id`,
          )
          .all() as typeof calls;
        messagesPerCaller = db.prepare(`select to_number, count(*) as n from messages where direction = 'outbound' group by to_number`).all() as typeof messagesPerCaller;
        retriedSends = (db.prepare(`select count(*) as n from messages where direction = 'outbound' and attempts > 1`).get() as { n: number }).n;
        pendingJobs = (db.prepare(`select count(*) as n from jobs where status in ('queued', 'running')`).get() as { n: number }).n;
      } finally {
        db.close();
      }

      const stats = sender.stats;
      const summary = figures('fault-sqlite-restarts', {
        calls: CALLS,
        webhooks: stats.requests,
        retries: stats.retries,
        replays: stats.replays,
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
        sendsRetried: retriedSends,
        kills,
        midSendKills,
        restarts: ringback.starts - 1,
        restartMsMax: Math.round(Math.max(...downtimes)),
        loadS: loadS.toFixed(1),
        elapsedS: ((performance.now() - started) / 1000).toFixed(1),
      });
      t.diagnostic(summary);
      console.log(summary);
      if (stats.errorSamples.length) t.diagnostic(`transport error samples: ${stats.errorSamples.join(' | ')}`);
      if (stats.statusSamples.length) t.diagnostic(`HTTP error samples: ${stats.statusSamples.join(' | ')}`);

      const evidence = (callersToShow: string[]) =>
        callersToShow
          .slice(0, 5)
          .map((c) => {
            const texts = twilio.messages().filter((m) => m.to === c);
            return `${c} (CallSid ${callSids.get(c)}): ${texts.length} texts ${texts.map((m) => `${m.sid}@${m.dateCreated.toISOString()}`).join(', ')}\n${ringback.grepLog(c).join('\n')}`;
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
        outboundPerCaller: messagesPerCaller,
      });
      assert.equal(pendingJobs, 0, 'no job is left to run');
    },
  );
});
