// Follow-up sequences end to end, on a clock the test moves: a real server, the simulator carrier,
// the account's default sequence (wait 2 h → send; wait 1 day → send). Every instant below is
// Eastern Time in December (UTC-5), on weekdays, away from holidays.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { runDueSteps } from '../src/services/follow-ups.ts';
import { moveLead } from '../src/services/pipeline.ts';
import { findAccount } from '../src/store/accounts-repository.ts';
import { findOpenLeadFor } from '../src/store/leads-repository.ts';
import { newId } from '../src/store/ids.ts';
import { DEMO_LINE, settle, startTestServer, type TestServer } from './helpers.ts';
import { testStoreKind } from './support/test-database.ts';

/** An Eastern wall-clock time in December 2026 (EST, UTC-5) as an instant. */
const et = (local: string) => Date.parse(`2026-12-${local}:00-05:00`);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let n = 0;
/** A fresh fictional number per test in the given area code (212: New York; 305: Florida). */
const caller = (areaCode: '212' | '305') => `+1${areaCode}55501${String(n++).padStart(2, '0')}`;

/** The Eastern wall-clock time of an ISO instant, "HH:MM". */
const easternTime = (iso: string) =>
  new Intl.DateTimeFormat('en-GB', { timeZone: 'America/New_York', hour: '2-digit', minute: '2-digit', hour12: false }).format(new Date(iso));

/**
 * When a text left for the phone. sent_at stays empty when the simulator's delivery receipt
 * overtakes the send job's own "sent" mark (message-status.ts moves it straight to delivered);
 * the receipt's time is then the one we have, and on this frozen clock it is the same instant.
 */
const wentAt = (m: { sentAt: string | null; deliveredAt: string | null }) => (m.sentAt ?? m.deliveredAt)!;

describe(`follow-up sequences (${testStoreKind()})`, () => {
  let server: TestServer;
  let now = et('01T10:00');

  before(async () => {
    server = await startTestServer({ RINGBACK_JOB_BACKOFF_BASE_MS: '5', RINGBACK_JOB_BACKOFF_CAP_MS: '20' }, { clock: () => new Date(now) });
  });
  after(async () => {
    await server?.close();
  });

  /** Moves the application clock (only forward: jobs already queued keep their times). */
  const setNow = (at: number) => {
    assert.ok(at >= now, `the clock only moves forward (${new Date(at).toISOString()} < ${new Date(now).toISOString()})`);
    now = at;
  };

  async function missedCall(from: string) {
    const res = await server.api('POST', '/api/v1/simulator/calls', { from, to: DEMO_LINE, outcome: 'unanswered' });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    await server.waitFor(async () => (await server.phoneInbox(from)).length > 0, `the text-back to ${from}`);
    await settle(server);
  }

  async function textFrom(from: string, body: string) {
    const res = await server.api('POST', '/api/v1/simulator/messages', { from, to: DEMO_LINE, body });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    await settle(server);
  }

  async function conversationOf(number: string) {
    const { body } = await server.api('GET', '/api/v1/conversations?limit=200');
    const conv = body.conversations.find((c: any) => c.contact.number === number);
    assert.ok(conv, `a conversation with ${number}`);
    return conv as { id: string; contact: { id: string; number: string } };
  }

  async function runOf(number: string) {
    const conv = await conversationOf(number);
    const res = await server.api('GET', `/api/v1/conversations/${conv.id}/follow-ups`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.runs.length, 1, JSON.stringify(res.body.runs));
    return res.body.runs[0];
  }

  async function outboundOf(number: string) {
    const conv = await conversationOf(number);
    const { body } = await server.api('GET', `/api/v1/conversations/${conv.id}/messages?limit=200`);
    return (body.messages as any[]).filter((m) => m.direction === 'outbound');
  }

  async function inboxBodies(number: string) {
    return (await server.phoneInbox(number)).map((m) => m.body);
  }

  test('no reply: the text-back, then follow-up 1 two hours later and follow-up 2 the next day, inside the lawful window', async () => {
    setNow(et('01T10:00'));
    const from = caller('212');
    await missedCall(from);
    let run = await runOf(from);
    assert.equal(run.status, 'active');
    assert.equal(run.stepIndex, 1);
    assert.equal(run.nextRunAt, new Date(et('01T12:00')).toISOString());
    assert.deepEqual([run.sendsDone, run.sendsTotal], [0, 2]);

    setNow(et('01T11:59'));
    await settle(server);
    assert.equal((await server.phoneInbox(from)).length, 1, 'nothing before it is due');

    setNow(et('01T12:00'));
    await settle(server);
    let inbox = await inboxBodies(from);
    assert.equal(inbox.length, 2);
    assert.match(inbox[1]!, /^Hi there, it's Demo Plumbing following up on your call\. .*Reply STOP to opt out\.$/);
    run = await runOf(from);
    assert.deepEqual([run.status, run.stepIndex, run.sendsDone], ['active', 3, 1]);
    assert.equal(run.nextRunAt, new Date(et('02T12:00')).toISOString(), 'a day after follow-up 1 went');

    setNow(et('02T12:00'));
    await settle(server);
    inbox = await inboxBodies(from);
    assert.equal(inbox.length, 3);
    assert.match(inbox[2]!, /one last note from Demo Plumbing/);
    run = await runOf(from);
    assert.deepEqual([run.status, run.nextRunAt, run.sendsDone], ['completed', null, 2]);

    const sent = await outboundOf(from);
    assert.deepEqual(sent.map((m) => m.reason), ['missed_call', 'follow_up', 'follow_up']);
    assert.deepEqual(sent.map((m) => m.author), ['automation', 'automation', 'automation']);
    assert.deepEqual(sent.map((m) => m.status), ['delivered', 'delivered', 'delivered']);
    assert.deepEqual(sent.map((m) => easternTime(wentAt(m))), ['10:00', '12:00', '12:00']);
    assert.ok(sent.every((m) => m.encoding === 'GSM-7' && m.segments >= 1));

    // Nothing more, ever.
    setNow(et('04T12:00'));
    await settle(server);
    assert.equal((await server.phoneInbox(from)).length, 3);
  });

  test('a reply after the text-back stops the follow-ups', async () => {
    setNow(et('07T10:00'));
    const from = caller('212');
    await missedCall(from);
    setNow(et('07T10:20'));
    await textFrom(from, 'Yes please, the boiler is making a noise');
    const run = await runOf(from);
    assert.deepEqual([run.status, run.stopReason, run.nextRunAt], ['stopped', 'replied', null]);
    assert.match(run.stopExplanation, /replied/);
    setNow(et('09T12:00'));
    await settle(server);
    assert.equal((await server.phoneInbox(from)).length, 1, 'only the text-back');
    const events = await server.ringback.store.db
      .selectFrom('events')
      .select(['type', 'actor'])
      .where('subject_type', '=', 'sequence_run')
      .where('subject_id', '=', run.id)
      .orderBy('created_at')
      .execute();
    assert.deepEqual(events.map((e) => e.type), ['follow_up.started', 'follow_up.stopped']);
  });

  test('Florida: a follow-up due at 20:30 Eastern waits for 08:00-08:15 the next morning, and says why', async () => {
    setNow(et('10T18:30'));
    const from = caller('305');
    await missedCall(from);
    setNow(et('10T20:30'));
    await settle(server);
    assert.equal((await server.phoneInbox(from)).length, 1, 'not sent at night');
    let run = await runOf(from);
    assert.equal(run.status, 'active');
    assert.equal(run.stepIndex, 1);
    const heldUntil = Date.parse(run.nextRunAt);
    assert.ok(heldUntil >= et('11T08:00') && heldUntil <= et('11T08:15'), `held until ${run.nextRunAt}`);
    assert.match(run.lastDeferral, /Held until 8:\d\d AM Eastern Time/);
    assert.match(run.lastDeferral, /Florida/);

    setNow(heldUntil);
    await settle(server);
    assert.equal((await server.phoneInbox(from)).length, 2);
    const sent = await outboundOf(from);
    const followUp = sent.find((m) => m.reason === 'follow_up');
    const at = easternTime(wentAt(followUp));
    assert.ok(at >= '08:00' && at <= '08:15', `sent at ${at} Eastern`);
    run = await runOf(from);
    assert.equal(run.lastDeferral, null, 'cleared once the step went');
    const deferred = await server.ringback.store.db
      .selectFrom('events')
      .select('data')
      .where('type', '=', 'follow_up.deferred')
      .where('subject_id', '=', run.id)
      .executeTakeFirstOrThrow();
    assert.equal(JSON.parse(deferred.data).reason, 'quiet_hours');
  });

  test('STOP suppresses and stops; no follow-up after the confirmation', async () => {
    setNow(et('14T10:00'));
    const from = caller('212');
    await missedCall(from);
    await textFrom(from, 'STOP');
    const run = await runOf(from);
    assert.deepEqual([run.status, run.stopReason], ['stopped', 'opted_out']);
    setNow(et('16T12:00'));
    await settle(server);
    const inbox = await inboxBodies(from);
    assert.equal(inbox.length, 2);
    assert.match(inbox[1]!, /unsubscribed/i);
  });

  test('"please stop texting me" stops the follow-ups', async () => {
    setNow(et('17T10:00'));
    const from = caller('212');
    await missedCall(from);
    await textFrom(from, 'please stop texting me');
    const run = await runOf(from);
    assert.equal(run.status, 'stopped');
    const suppressed = await server.ringback.store.db
      .selectFrom('suppressions')
      .select('id')
      .where('number', '=', from)
      .where('lifted_at', 'is', null)
      .executeTakeFirst();
    // With the plain-language opt-out classifier it is an opt-out; before it, still a reply.
    assert.equal(run.stopReason, suppressed ? 'opted_out' : 'replied');
    setNow(et('19T12:00'));
    await settle(server);
    assert.ok((await server.phoneInbox(from)).every((m) => !/following up|last note/.test(m.body)), 'no follow-up');
  });

  test("a person's own text stops the follow-ups", async () => {
    setNow(et('21T10:00'));
    const from = caller('212');
    await missedCall(from);
    const conv = await conversationOf(from);
    const sent = await server.api('POST', `/api/v1/conversations/${conv.id}/messages`, { body: 'Hi, this is Sam - when suits you?' });
    assert.equal(sent.status, 202, JSON.stringify(sent.body));
    await settle(server);
    // At once (the message.sent_by_person hook), not only when the step falls due.
    const run = await runOf(from);
    assert.deepEqual([run.status, run.stopReason], ['stopped', 'person_replied']);
    setNow(et('21T12:30'));
    await settle(server);
    const inbox = await inboxBodies(from);
    assert.equal(inbox.length, 2, 'the text-back and the person\'s text, no follow-up');
    assert.equal(inbox[1], 'Hi, this is Sam - when suits you?');
  });

  test('moving the lead to booked stops the follow-ups', async () => {
    setNow(et('22T10:00'));
    const from = caller('212');
    await missedCall(from);
    const conv = await conversationOf(from);
    const { ctx, store } = server.ringback;
    await store.transaction(async (tx) => {
      const { account_id } = await tx.db.selectFrom('conversations').select('account_id').where('id', '=', conv.id).executeTakeFirstOrThrow();
      const account = (await findAccount(tx.db, account_id))!;
      const lead = (await findOpenLeadFor(tx.db, account.id, conv.contact.id))!;
      await moveLead(ctx, tx, { account, lead, to: 'booked', actor: 'user:test' });
    });
    const run = await runOf(from);
    assert.deepEqual([run.status, run.stopReason], ['stopped', 'booked']);
    setNow(et('22T12:30'));
    await settle(server);
    assert.equal((await server.phoneInbox(from)).length, 1);
  });

  test('stop by hand: the run stops with the user as actor; stopping again is a conflict', async () => {
    setNow(et('23T10:00'));
    const from = caller('212');
    await missedCall(from);
    const run = await runOf(from);
    const res = await server.api('POST', `/api/v1/sequence-runs/${run.id}/stop`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual([res.body.run.status, res.body.run.stopReason], ['stopped', 'stopped_by_user']);
    const again = await server.api('POST', `/api/v1/sequence-runs/${run.id}/stop`);
    assert.equal(again.status, 409);
    assert.match(again.body.error.message, /already stopped/);
    const unknown = await server.api('POST', '/api/v1/sequence-runs/run_nope/stop');
    assert.equal(unknown.status, 404);
    const event = await server.ringback.store.db
      .selectFrom('events')
      .select(['actor', 'data'])
      .where('type', '=', 'follow_up.stopped')
      .where('subject_id', '=', run.id)
      .executeTakeFirstOrThrow();
    assert.match(event.actor, /^user:usr_/);
    assert.equal(JSON.parse(event.data).reason, 'stopped_by_user');
    setNow(et('23T12:30'));
    await settle(server);
    assert.equal((await server.phoneInbox(from)).length, 1);
  });

  test('automation paused (a person must look first) holds the step, unsent and unstopped, until it is cleared', async () => {
    setNow(et('24T10:00'));
    const from = caller('212');
    await missedCall(from);
    const conv = await conversationOf(from);
    const db = server.ringback.store.db;
    await db.updateTable('conversations').set({ automation_paused: 1 }).where('id', '=', conv.id).execute();
    setNow(et('24T12:30'));
    await settle(server);
    let run = await runOf(from);
    assert.deepEqual([run.status, run.stepIndex, run.nextRunAt], ['active', 1, new Date(et('24T12:00')).toISOString()]);
    assert.equal((await server.phoneInbox(from)).length, 1);

    await db.updateTable('conversations').set({ automation_paused: 0 }).where('id', '=', conv.id).execute();
    setNow(et('24T12:31'));
    await settle(server);
    assert.equal((await server.phoneInbox(from)).length, 2);
    run = await runOf(from);
    assert.equal(run.stepIndex, 3);
  });

  test('the cap: with three automated texts in the last 24 h the step waits until the oldest leaves the window', async () => {
    setNow(et('28T10:00'));
    const from = caller('212');
    await missedCall(from);
    const conv = await conversationOf(from);
    const db = server.ringback.store.db;
    const base = await db.selectFrom('messages').selectAll().where('conversation_id', '=', conv.id).executeTakeFirstOrThrow();
    // Two more automated texts went to this person (say, from another flow) at 10:30 and 11:00.
    for (const at of [et('28T10:30'), et('28T11:00')]) {
      const iso = new Date(at).toISOString();
      await db
        .insertInto('messages')
        .values({ ...base, id: newId('msg'), reason: 'reminder', carrier_message_id: null, created_at: iso, sent_at: iso, delivered_at: iso, updated_at: iso })
        .execute();
    }
    setNow(et('28T12:00'));
    await settle(server);
    let run = await runOf(from);
    assert.equal(run.stepIndex, 1);
    const heldUntil = Date.parse(run.nextRunAt);
    assert.ok(heldUntil >= et('29T10:00') && heldUntil <= et('29T10:15'), `held until ${run.nextRunAt}`);
    assert.match(run.lastDeferral, /3 automated texts already went to this person in the last 24 hours/);
    assert.equal((await server.phoneInbox(from)).length, 1);

    setNow(heldUntil);
    await settle(server);
    assert.equal((await server.phoneInbox(from)).length, 2);
    run = await runOf(from);
    assert.equal(run.sendsDone, 1);
  });

  test('send-time re-check: a follow-up queued before the window closes but sent after is canceled and rescheduled, never sent at night', async () => {
    setNow(et('30T17:50'));
    const from = caller('305');
    await missedCall(from);
    // Its first attempt meets a carrier hiccup; the retry comes after Florida's 20:00 close.
    server.ringback.network.injectFault({ kind: 'retryable', times: 1, retryAfterMs: 3000 });
    setNow(et('30T19:50'));
    await server.ringback.scheduler.tick();
    const db = server.ringback.store.db;
    const queued = await server.waitFor(
      async () =>
        db
          .selectFrom('messages')
          .selectAll()
          .where('to_number', '=', from)
          .where('reason', '=', 'follow_up')
          .where('attempts', '>=', 1)
          .where('status', '=', 'queued')
          .executeTakeFirst(),
      'the follow-up back in the queue after the failed attempt',
    );
    assert.equal(queued.send_deadline, new Date(et('30T20:00')).toISOString(), 'its deadline is the close of the window');
    setNow(et('30T20:01'));
    await server.ringback.runner.drain(15_000, 10_000);
    await settle(server);

    const message = await db.selectFrom('messages').selectAll().where('id', '=', queued.id).executeTakeFirstOrThrow();
    assert.equal(message.status, 'canceled');
    assert.equal(message.error_message, "canceled: outside the recipient's lawful hours; the follow-up was rescheduled");
    assert.equal((await server.phoneInbox(from)).length, 1, 'nothing at night');
    let run = await runOf(from);
    assert.deepEqual([run.status, run.stepIndex], ['active', 1]);
    const heldUntil = Date.parse(run.nextRunAt);
    assert.ok(heldUntil >= et('31T08:00') && heldUntil <= et('31T08:15'), `rescheduled to ${run.nextRunAt}`);
    assert.match(run.lastDeferral, /Florida/);

    setNow(heldUntil);
    await settle(server);
    const inbox = await inboxBodies(from);
    assert.equal(inbox.length, 2);
    assert.match(inbox[1]!, /following up/);
    run = await runOf(from);
    assert.deepEqual([run.stepIndex, run.sendsDone], [3, 1]);
  });

  test('two processes ticking at once send a step once', async () => {
    // Four days after the last test's morning: the clock is past every earlier run's steps.
    setNow(Date.parse('2027-01-04T15:00:00Z'));
    const from = caller('212');
    await missedCall(from);
    setNow(Date.parse('2027-01-04T17:00:00Z'));
    const results = await Promise.all([0, 1, 2].map(() => runDueSteps(server.ringback.ctx, new Date(now))));
    assert.ok(results.reduce((a, b) => a + b, 0) >= 1);
    await settle(server);
    const followUps = (await outboundOf(from)).filter((m) => m.reason === 'follow_up');
    assert.equal(followUps.length, 1);
    assert.equal((await server.phoneInbox(from)).length, 2);
  });

  test("a text-back held for the recipient's window: the first wait counts from when it goes, not from the call", async () => {
    const set = await server.api('PATCH', '/api/v1/account', { textBackOutsideLawfulHours: 'hold' });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    try {
      setNow(Date.parse('2027-01-05T03:00:00Z')); // 22:00 Eastern on Monday the 4th
      const from = caller('305');
      const res = await server.api('POST', '/api/v1/simulator/calls', { from, to: DEMO_LINE, outcome: 'unanswered' });
      assert.equal(res.status, 202);
      await server.waitFor(async () => (await server.api('GET', '/api/v1/conversations?limit=200')).body.conversations.some((c: any) => c.contact.number === from), 'the conversation');
      await settle(server);
      assert.equal((await server.phoneInbox(from)).length, 0, 'held overnight');
      let run = await runOf(from);
      const textBackAt = Date.parse(run.nextRunAt) - 2 * HOUR;
      assert.ok(textBackAt >= Date.parse('2027-01-05T13:00:00Z') && textBackAt <= Date.parse('2027-01-05T13:15:00Z'), `the text-back goes at 08:00-08:15 Eastern (${run.nextRunAt})`);

      setNow(textBackAt);
      await settle(server);
      assert.equal((await server.phoneInbox(from)).length, 1, 'the text-back, in the morning');
      setNow(Date.parse(run.nextRunAt));
      await settle(server);
      const sent = await outboundOf(from);
      assert.deepEqual(sent.map((m) => m.reason), ['missed_call', 'follow_up']);
      assert.equal(Date.parse(wentAt(sent[1])) - Date.parse(wentAt(sent[0])), 2 * HOUR);
      run = await runOf(from);
      assert.equal(run.sendsDone, 1);
    } finally {
      await server.api('PATCH', '/api/v1/account', { textBackOutsideLawfulHours: 'send' });
    }
  });

  test('a call from the business to the contact stops the follow-ups', async () => {
    setNow(Date.parse('2027-01-06T15:00:00Z'));
    const from = caller('212');
    await missedCall(from);
    setNow(Date.parse('2027-01-06T15:30:00Z'));
    const res = await server.api('POST', '/api/v1/simulator/calls/outbound', { line: DEMO_LINE, to: from, answered: true });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    await server.waitFor(async () => (await runOf(from)).status === 'stopped', 'the run stopped by the callback');
    const run = await runOf(from);
    assert.equal(run.stopReason, 'person_called');
    setNow(Date.parse('2027-01-06T18:00:00Z'));
    await settle(server);
    assert.equal((await server.phoneInbox(from)).length, 1, 'only the text-back');
  });

  test('a reply while a follow-up waits in the queue cancels it with the run', async () => {
    setNow(Date.parse('2027-01-07T15:00:00Z'));
    const from = caller('212');
    await missedCall(from);
    server.ringback.network.injectFault({ kind: 'retryable', times: 1, retryAfterMs: 3000 });
    setNow(Date.parse('2027-01-07T17:00:00Z'));
    await server.ringback.scheduler.tick();
    const db = server.ringback.store.db;
    const queued = await server.waitFor(
      async () =>
        db.selectFrom('messages').selectAll().where('to_number', '=', from).where('reason', '=', 'follow_up').where('attempts', '>=', 1).where('status', '=', 'queued').executeTakeFirst(),
      'the follow-up back in the queue after the failed attempt',
    );
    await textFrom(from, 'Sorry, was driving. Can you come Friday?');
    // The retry falls due (on SQLite the runner schedules by the application clock).
    setNow(Date.parse('2027-01-07T17:01:00Z'));
    await server.ringback.runner.drain(15_000, 10_000);
    await settle(server);
    const message = await db.selectFrom('messages').selectAll().where('id', '=', queued.id).executeTakeFirstOrThrow();
    assert.equal(message.status, 'canceled');
    assert.match(message.error_message!, /^canceled: the follow-ups stopped \(the contact replied/);
    assert.equal((await server.phoneInbox(from)).length, 1, 'only the text-back');
    const run = await runOf(from);
    assert.deepEqual([run.status, run.stopReason], ['stopped', 'replied']);
  });
});
