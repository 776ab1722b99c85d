// Callback tasks end to end, on a controllable clock: a real Ringback on loopback, the simulator
// carrier, the account in New York on weekday hours 08:00-17:00.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatPhoneForDisplay } from '../src/domain/phone.ts';
import { generateApiKey, storeApiKey } from '../src/services/access.ts';
import type { LiveEvent } from '../src/services/live-events.ts';
import { runTaskChecks } from '../src/services/tasks.ts';
import { insertAccount, insertMembership, insertUser } from '../src/store/accounts-repository.ts';
import { ensureContact } from '../src/store/contacts-repository.ts';
import { newId } from '../src/store/ids.ts';
import { DEMO_LINE, settle, startTestServer, type TestServer } from './helpers.ts';

const EVENTS_LINE = '+15555550150';
const WEEKDAYS = { mon: [['08:00', '17:00']], tue: [['08:00', '17:00']], wed: [['08:00', '17:00']], thu: [['08:00', '17:00']], fri: [['08:00', '17:00']], sat: [], sun: [] };

let n = 0;
/** A fresh fictional caller per test, so tests share no leads or cooldowns. */
const nextCaller = () => `+1212555${String(200 + n++).padStart(4, '0')}`;

/** The clock every part of the server reads; tests move it. 2026-03-03 is a Tuesday. */
let now = Date.parse('2026-03-03T15:00:00Z');
const setNow = (iso: string) => {
  now = Date.parse(iso);
};

async function missedCall(server: TestServer, from: string) {
  const res = await server.api('POST', '/api/v1/simulator/calls', { from, to: DEMO_LINE, outcome: 'unanswered' });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  await settle(server);
}

async function callbackTasksFor(server: TestServer, caller: string) {
  const res = await server.api('GET', '/api/v1/tasks?kind=callback&limit=200');
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return (res.body.tasks as any[]).filter((t) => t.title.endsWith(formatPhoneForDisplay(caller)));
}

async function onlyCallbackFor(server: TestServer, caller: string) {
  const tasks = await callbackTasksFor(server, caller);
  assert.equal(tasks.length, 1, `one callback task for ${caller}`);
  return tasks[0];
}

async function task(server: TestServer, id: string) {
  const res = await server.api('GET', `/api/v1/tasks/${id}`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.task;
}

const historyTypes = (t: any) => (t.history as any[]).map((h) => h.type);

async function countTasks(server: TestServer) {
  const row = await server.ringback.store.db.selectFrom('tasks').select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Another business on the same install, with its own key, contact and task. */
async function otherAccount(server: TestServer) {
  const db = server.ringback.store.db;
  const at = new Date(now).toISOString();
  const accountId = newId('acc');
  const userId = newId('usr');
  await insertAccount(db, { id: accountId, name: 'Other Co', time_zone: 'America/Chicago', business_hours: JSON.stringify(WEEKDAYS), booking_url: null, help_contact: null, created_at: at, updated_at: at });
  await insertUser(db, { id: userId, email: `${userId}@other.test`, name: 'Other', password_hash: 'x', created_at: at });
  await insertMembership(db, { id: newId('mem'), account_id: accountId, user_id: userId, role: 'owner', created_at: at });
  const key = generateApiKey();
  await storeApiKey(db, { accountId, userId }, 'other', key, at);
  const contact = await ensureContact(db, accountId, '+13125550199', at);
  return { accountId, userId, key, contactId: contact.id };
}

describe('callback tasks', () => {
  let server: TestServer;
  let accountId: string;
  let ownerId: string;
  const live: LiveEvent[] = [];
  const hooked: Array<{ type: string; taskId: string }> = [];

  before(async () => {
    server = await startTestServer({ RINGBACK_JOB_BACKOFF_BASE_MS: '5', RINGBACK_JOB_BACKOFF_CAP_MS: '20' }, { clock: () => new Date(now) });
    const patched = await server.api('PATCH', '/api/v1/account', { timeZone: 'America/New_York', businessHours: WEEKDAYS, holidays: [] });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    accountId = patched.body.account.id;
    const owner = await server.ringback.store.db.selectFrom('memberships').select('user_id').where('account_id', '=', accountId).where('role', '=', 'owner').executeTakeFirstOrThrow();
    ownerId = owner.user_id;
    const line = await server.api('POST', '/api/v1/lines', { number: EVENTS_LINE, mode: 'events' });
    assert.equal(line.status, 201, JSON.stringify(line.body));
    server.ringback.ctx.events.subscribe(accountId, (e) => live.push(e));
    // The hooks the owner-alerts module listens to, heard directly.
    server.ringback.ctx.hooks.on('task.reminder', 'test', async (_ctx, _tx, d) => void hooked.push({ type: 'task.reminder', taskId: d.task.id }));
    server.ringback.ctx.hooks.on('task.overdue', 'test', async (_ctx, _tx, d) => void hooked.push({ type: 'task.overdue', taskId: d.task.id }));
  });
  after(async () => {
    await server.close();
  });

  const liveFor = (taskId: string) => live.filter((e) => e.type === 'task.updated' && e.data.taskId === taskId).map((e) => (e.type === 'task.updated' ? e.data.change : ''));

  test('a missed call at 10:00 in open hours opens "Call back …" due at 12:00, once per contact', async () => {
    setNow('2026-03-03T15:00:00Z');
    const caller = nextCaller();
    await missedCall(server, caller);
    const t = await onlyCallbackFor(server, caller);
    assert.equal(t.title, `Call back ${formatPhoneForDisplay(caller)}`);
    assert.equal(t.kind, 'callback');
    assert.equal(t.status, 'open');
    assert.equal(t.dueAt, '2026-03-03T17:00:00.000Z', '12:00 in New York');
    assert.equal(t.nextReminderAt, '2026-03-03T16:45:00.000Z', 'reminder 15 minutes before');
    assert.equal(t.overdue, false);
    assert.ok(t.leadId && t.callId && t.contactId && t.conversationId && t.lineId);
    const detail = await task(server, t.id);
    assert.equal(detail.contact.id, t.contactId);
    assert.deepEqual(historyTypes(detail), ['task.created']);
    assert.equal(detail.history[0].actor, 'system');
    assert.deepEqual(liveFor(t.id), ['created']);

    // A second missed call from the same number: the lead is still open, so no second task.
    setNow('2026-03-03T15:30:00Z');
    const again = await server.api('POST', '/api/v1/simulator/calls', { from: caller, to: DEMO_LINE, outcome: 'busy' });
    assert.equal(again.status, 202);
    await settle(server);
    assert.equal((await callbackTasksFor(server, caller)).length, 1, 'still one callback task');
  });

  test('a call at 19:00 (closed) is due at the next opening plus an hour', async () => {
    setNow('2026-03-04T00:00:00Z'); // Tuesday 19:00 EST
    const caller = nextCaller();
    await missedCall(server, caller);
    const t = await onlyCallbackFor(server, caller);
    assert.equal(t.dueAt, '2026-03-04T14:00:00.000Z', 'Wednesday 09:00 in New York');
  });

  test('an open callback from an earlier lead keeps a new lead from adding another', async () => {
    setNow('2026-03-04T15:00:00Z');
    const caller = nextCaller();
    await missedCall(server, caller);
    const first = await onlyCallbackFor(server, caller);
    // The lead is lost by hand; the callback stays open. A new call opens a new lead...
    const lost = await server.api('PATCH', `/api/v1/leads/${first.leadId}`, { stage: 'lost' });
    assert.equal(lost.status, 200, JSON.stringify(lost.body));
    setNow('2026-03-05T15:00:00Z');
    await missedCall(server, caller);
    const leads = await server.ringback.store.db.selectFrom('leads').select('id').where('contact_id', '=', first.contactId).execute();
    assert.equal(leads.length, 2, 'a second lead');
    // ...but not a second open callback.
    assert.deepEqual((await callbackTasksFor(server, caller)).map((t) => t.id), [first.id]);
  });

  test('the callback goes to whoever has the conversation', async () => {
    setNow('2026-03-05T16:00:00Z');
    const db = server.ringback.store.db;
    const agentId = newId('usr');
    await insertUser(db, { id: agentId, email: `${agentId}@ringback.test`, name: 'Dispatcher', password_hash: 'x', created_at: new Date(now).toISOString() });
    await insertMembership(db, { id: newId('mem'), account_id: accountId, user_id: agentId, role: 'agent', created_at: new Date(now).toISOString() });
    const caller = nextCaller();
    await missedCall(server, caller);
    const first = await onlyCallbackFor(server, caller);
    assert.equal(first.assigneeUserId, null, 'nobody has the conversation yet');
    assert.equal((await server.api('POST', `/api/v1/tasks/${first.id}/done`)).status, 200);
    assert.equal((await server.api('PATCH', `/api/v1/leads/${first.leadId}`, { stage: 'lost' })).status, 200);
    await db.updateTable('conversations').set({ assignee_user_id: agentId }).where('id', '=', first.conversationId).execute();

    setNow('2026-03-06T16:00:00Z');
    await missedCall(server, caller);
    const open = (await callbackTasksFor(server, caller)).filter((t) => t.status === 'open');
    assert.equal(open.length, 1);
    assert.equal(open[0].assigneeUserId, agentId);
    assert.equal(open[0].conversationId, first.conversationId);
  });

  test('turned off in the account settings: no task', async () => {
    setNow('2026-03-05T15:00:00Z');
    assert.equal((await server.api('PATCH', '/api/v1/account', { callbackTasks: { enabled: false } })).status, 200);
    try {
      const caller = nextCaller();
      await missedCall(server, caller);
      assert.equal((await callbackTasksFor(server, caller)).length, 0);
    } finally {
      assert.equal((await server.api('PATCH', '/api/v1/account', { callbackTasks: { enabled: true } })).status, 200);
    }
  });

  test('the reminder fires once at due − 15 min, the escalation once when overdue', async () => {
    setNow('2026-03-06T15:00:00Z'); // Friday 10:00 EST → due 12:00 EST
    const caller = nextCaller();
    await missedCall(server, caller);
    const t = await onlyCallbackFor(server, caller);
    assert.equal(t.dueAt, '2026-03-06T17:00:00.000Z');

    setNow('2026-03-06T16:44:59Z');
    await settle(server);
    assert.equal((await task(server, t.id)).remindersSent, 0, 'not yet');

    setNow('2026-03-06T16:45:00Z');
    await settle(server);
    await settle(server); // several ticks: still one reminder
    let detail = await task(server, t.id);
    assert.equal(detail.remindersSent, 1);
    assert.equal(detail.nextReminderAt, '2026-03-06T17:00:00.000Z', 'next: the escalation at the due time');
    assert.equal(detail.escalatedAt, null);
    assert.deepEqual(historyTypes(detail), ['task.created', 'task.reminded']);
    assert.deepEqual(hooked.filter((h) => h.taskId === t.id), [{ type: 'task.reminder', taskId: t.id }]);
    assert.deepEqual(liveFor(t.id), ['created', 'reminded']);

    setNow('2026-03-06T17:00:00Z');
    await settle(server);
    await settle(server);
    detail = await task(server, t.id);
    assert.equal(detail.escalatedAt, '2026-03-06T17:00:00.000Z');
    assert.equal(detail.nextReminderAt, null, 'nothing more to do');
    assert.equal(detail.overdue, false, 'due exactly now is not past due');
    assert.deepEqual(historyTypes(detail), ['task.created', 'task.reminded', 'task.escalated']);
    assert.deepEqual(hooked.filter((h) => h.taskId === t.id).map((h) => h.type), ['task.reminder', 'task.overdue']);
    assert.deepEqual(liveFor(t.id), ['created', 'reminded', 'escalated']);

    setNow('2026-03-06T19:00:00Z');
    await settle(server);
    assert.equal((await task(server, t.id)).overdue, true);
    assert.deepEqual(historyTypes(await task(server, t.id)), ['task.created', 'task.reminded', 'task.escalated'], 'escalated once');
    const overdue = await server.api('GET', '/api/v1/tasks?overdue=true&limit=200');
    assert.ok((overdue.body.tasks as any[]).some((x) => x.id === t.id));
    const notOverdue = await server.api('GET', '/api/v1/tasks?overdue=false&limit=200');
    assert.ok(!(notOverdue.body.tasks as any[]).some((x) => x.id === t.id));
  });

  test('due work run by several workers at once (as on Postgres) reminds once and escalates once', async () => {
    setNow('2026-03-06T18:00:00Z'); // Friday 13:00 EST → due 15:00 EST
    const caller = nextCaller();
    await missedCall(server, caller);
    const t = await onlyCallbackFor(server, caller);
    const runAll = async (iso: string) => {
      setNow(iso);
      const at = new Date(now);
      return (await Promise.all([1, 2, 3, 4].map(() => runTaskChecks(server.ringback.ctx, at)))).reduce((a, b) => a + b, 0);
    };
    const mine = () => hooked.filter((h) => h.taskId === t.id).map((h) => h.type);
    assert.ok((await runAll('2026-03-06T19:45:00Z')) >= 1);
    assert.deepEqual(mine(), ['task.reminder']);
    assert.ok((await runAll('2026-03-06T20:00:00Z')) >= 1);
    assert.deepEqual(mine(), ['task.reminder', 'task.overdue']);
    assert.deepEqual(historyTypes(await task(server, t.id)), ['task.created', 'task.reminded', 'task.escalated']);
  });

  test('an answered outbound call reported by the phone system completes the callback', async () => {
    setNow('2026-03-09T14:00:00Z'); // Monday 10:00 EDT
    const caller = nextCaller();
    await missedCall(server, caller);
    const t = await onlyCallbackFor(server, caller);

    setNow('2026-03-09T14:20:00Z');
    const missed = await server.api('POST', '/api/v1/calls', { direction: 'outbound', line: EVENTS_LINE, to: caller, status: 'missed', externalId: `cb-${caller}-1`, occurredAt: '2026-03-09T14:20:00Z' });
    assert.equal(missed.status, 201, JSON.stringify(missed.body));
    let detail = await task(server, t.id);
    assert.equal(detail.status, 'open', 'an unanswered callback leaves it open');
    assert.deepEqual(historyTypes(detail), ['task.created', 'task.call_attempted']);
    assert.deepEqual(detail.history[1].data, { callId: missed.body.call.id, outcome: 'missed' });

    setNow('2026-03-09T14:30:00Z');
    const answered = await server.api('POST', '/api/v1/calls', { direction: 'outbound', line: EVENTS_LINE, to: caller, status: 'answered', externalId: `cb-${caller}-2`, occurredAt: '2026-03-09T14:30:00Z' });
    assert.equal(answered.status, 201, JSON.stringify(answered.body));
    detail = await task(server, t.id);
    assert.equal(detail.status, 'done');
    assert.equal(detail.completedBy, `call:${answered.body.call.id}`);
    assert.equal(detail.completedAt, '2026-03-09T14:30:00.000Z');
    assert.equal(detail.nextReminderAt, null, 'no reminder for a done task');
    assert.deepEqual(historyTypes(detail), ['task.created', 'task.call_attempted', 'task.completed']);
    assert.deepEqual(liveFor(t.id), ['created', 'done']);

    // Done means done: the reminder time passing does nothing.
    setNow('2026-03-09T16:00:00Z');
    await settle(server);
    assert.deepEqual(historyTypes(await task(server, t.id)), ['task.created', 'task.call_attempted', 'task.completed']);
  });

  test('a call to the contact reported late, over before the missed call came in, does not count for its task', async () => {
    setNow('2026-03-09T17:00:00Z');
    const caller = nextCaller();
    await missedCall(server, caller);
    const t = await onlyCallbackFor(server, caller);
    const earlier = await server.api('POST', '/api/v1/calls', { direction: 'outbound', line: EVENTS_LINE, to: caller, status: 'answered', externalId: `cb-${caller}-early`, occurredAt: '2026-03-09T16:00:00Z' });
    assert.equal(earlier.status, 201, JSON.stringify(earlier.body));
    const detail = await task(server, t.id);
    assert.equal(detail.status, 'open');
    assert.deepEqual(historyTypes(detail), ['task.created']);
  });

  test('a voicemail left on the callback counts as reaching them', async () => {
    setNow('2026-03-09T15:00:00Z');
    const caller = nextCaller();
    await missedCall(server, caller);
    const t = await onlyCallbackFor(server, caller);
    const vm = await server.api('POST', '/api/v1/calls', { direction: 'outbound', line: EVENTS_LINE, to: caller, status: 'voicemail', externalId: `cb-${caller}`, occurredAt: '2026-03-09T15:05:00Z' });
    assert.equal(vm.status, 201, JSON.stringify(vm.body));
    assert.equal((await task(server, t.id)).completedBy, `call:${vm.body.call.id}`);
  });

  test('the simulator: an answered callback from the line completes the task; an unanswered one does not', async () => {
    setNow('2026-03-09T16:00:00Z');
    const caller = nextCaller();
    await missedCall(server, caller);
    const t = await onlyCallbackFor(server, caller);

    const noAnswer = await server.api('POST', '/api/v1/simulator/calls/outbound', { line: DEMO_LINE, to: caller, answered: false });
    assert.equal(noAnswer.status, 202, JSON.stringify(noAnswer.body));
    await settle(server);
    assert.equal((await task(server, t.id)).status, 'open');
    assert.deepEqual(historyTypes(await task(server, t.id)), ['task.created', 'task.call_attempted']);

    setNow('2026-03-09T16:10:00Z');
    const reached = await server.api('POST', '/api/v1/simulator/calls/outbound', { line: DEMO_LINE, to: caller, answered: true });
    assert.equal(reached.status, 202, JSON.stringify(reached.body));
    await settle(server);
    const detail = await task(server, t.id);
    assert.equal(detail.status, 'done');
    const calls = (await server.api('GET', '/api/v1/calls?limit=200')).body.calls as any[];
    const outbound = calls.filter((c) => c.direction === 'outbound' && c.to === caller);
    assert.equal(outbound.length, 2, 'both callbacks are calls of the line');
    const answered = outbound.find((c) => c.outcome === 'answered');
    assert.equal(detail.completedBy, `call:${answered.id}`);
    assert.equal(answered.from, DEMO_LINE);
    assert.equal(answered.decision, null, 'no text-back decision for a call the business made');
  });

  test('done and reopen by hand, with who did it', async () => {
    setNow('2026-03-10T14:00:00Z');
    const caller = nextCaller();
    await missedCall(server, caller);
    const t = await onlyCallbackFor(server, caller);

    const done = await server.api('POST', `/api/v1/tasks/${t.id}/done`);
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal(done.body.task.status, 'done');
    assert.equal(done.body.task.completedBy, `user:${ownerId}`);
    const again = await server.api('POST', `/api/v1/tasks/${t.id}/done`);
    assert.equal(again.status, 200);
    assert.equal(again.body.task.completedAt, done.body.task.completedAt, 'done twice is still done once');

    const reopened = await server.api('POST', `/api/v1/tasks/${t.id}/reopen`);
    assert.equal(reopened.status, 200, JSON.stringify(reopened.body));
    assert.equal(reopened.body.task.status, 'open');
    assert.equal(reopened.body.task.completedBy, null);
    assert.equal(reopened.body.task.nextReminderAt, '2026-03-10T15:45:00.000Z', 'its reminder is back');
    const detail = await task(server, t.id);
    assert.deepEqual(historyTypes(detail), ['task.created', 'task.completed', 'task.reopened']);
    assert.deepEqual(detail.history.slice(1).map((h: any) => h.actor), [`user:${ownerId}`, `user:${ownerId}`]);
    assert.deepEqual(liveFor(t.id), ['created', 'done', 'reopened']);
    assert.equal(done.body.task.id, t.id);
  });

  test('tasks by hand: create, assign, edit (a new due time re-plans the reminder), filter', async () => {
    setNow('2026-03-10T14:00:00Z');
    const db = server.ringback.store.db;
    const at = new Date(now).toISOString();
    const agentId = newId('usr');
    await insertUser(db, { id: agentId, email: `${agentId}@ringback.test`, name: 'Agent', password_hash: 'x', created_at: at });
    await insertMembership(db, { id: newId('mem'), account_id: accountId, user_id: agentId, role: 'agent', created_at: at });
    const contact = await ensureContact(db, accountId, '+13055550177', at);

    const created = await server.api('POST', '/api/v1/tasks', { title: 'Send the quote', dueAt: '2026-03-10T20:00:00Z', contactId: contact.id, assigneeUserId: agentId });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const t = created.body.task;
    assert.equal(t.kind, 'todo');
    assert.equal(t.assigneeUserId, agentId);
    assert.equal(t.nextReminderAt, '2026-03-10T19:45:00.000Z');
    assert.equal((await task(server, t.id)).history[0].actor, `user:${ownerId}`);

    const mine = await server.api('GET', '/api/v1/tasks?assignee=me&limit=200');
    assert.ok(!(mine.body.tasks as any[]).some((x) => x.id === t.id));
    const theirs = await server.api('GET', `/api/v1/tasks?assignee=${agentId}`);
    assert.deepEqual((theirs.body.tasks as any[]).map((x) => x.id), [t.id]);
    const byContact = await server.api('GET', `/api/v1/tasks?contactId=${contact.id}&status=open&kind=todo`);
    assert.deepEqual((byContact.body.tasks as any[]).map((x) => x.id), [t.id]);

    const moved = await server.api('PATCH', `/api/v1/tasks/${t.id}`, { dueAt: '2026-03-11T20:00:00Z', title: 'Send the revised quote' });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    assert.equal(moved.body.task.nextReminderAt, '2026-03-11T19:45:00.000Z');
    assert.equal(moved.body.task.title, 'Send the revised quote');
    const reassigned = await server.api('PATCH', `/api/v1/tasks/${t.id}`, { assigneeUserId: ownerId });
    assert.equal(reassigned.status, 200);
    const mineNow = await server.api('GET', '/api/v1/tasks?assignee=me&limit=200');
    assert.ok((mineNow.body.tasks as any[]).some((x) => x.id === t.id));
    const unassigned = await server.api('PATCH', `/api/v1/tasks/${t.id}`, { assigneeUserId: null });
    assert.equal(unassigned.body.task.assigneeUserId, null);
    const none = await server.api('GET', '/api/v1/tasks?assignee=none&limit=200');
    assert.ok((none.body.tasks as any[]).some((x) => x.id === t.id));
    assert.deepEqual(historyTypes(await task(server, t.id)), ['task.created', 'task.edited', 'task.assigned', 'task.assigned']);
    assert.deepEqual(liveFor(t.id), ['created', 'edited', 'assigned', 'assigned']);

    const noDue = await server.api('POST', '/api/v1/tasks', { title: 'Order parts' });
    assert.equal(noDue.status, 201);
    assert.equal(noDue.body.task.dueAt, null);
    assert.equal(noDue.body.task.nextReminderAt, null, 'nothing to remind of');
  });

  test('pages through tasks with before', async () => {
    const first = await server.api('GET', '/api/v1/tasks?limit=2');
    assert.equal(first.body.tasks.length, 2);
    assert.ok(first.body.next);
    const second = await server.api('GET', `/api/v1/tasks?limit=2&before=${first.body.next}`);
    assert.equal(second.status, 200);
    const ids = [...first.body.tasks, ...second.body.tasks].map((t: any) => t.id);
    assert.equal(new Set(ids).size, ids.length, 'no task twice');
  });

  describe('bad input changes nothing', () => {
    let other: Awaited<ReturnType<typeof otherAccount>>;
    let otherTaskId: string;
    let mineId: string;
    before(async () => {
      other = await otherAccount(server);
      const created = await server.api('POST', '/api/v1/tasks', { title: 'Theirs', contactId: other.contactId }, { key: other.key });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      otherTaskId = created.body.task.id;
      mineId = (await server.api('POST', '/api/v1/tasks', { title: 'Mine' })).body.task.id;
    });

    const cases: Array<{ name: string; method: string; path: () => string; body?: () => unknown; status: number; field?: string }> = [
      { name: 'no body', method: 'POST', path: () => '/api/v1/tasks', status: 400 },
      { name: 'title missing', method: 'POST', path: () => '/api/v1/tasks', body: () => ({ dueAt: '2026-03-10T20:00:00Z' }), status: 400, field: 'title' },
      { name: 'title blank', method: 'POST', path: () => '/api/v1/tasks', body: () => ({ title: '   ' }), status: 400, field: 'title' },
      { name: 'title too long', method: 'POST', path: () => '/api/v1/tasks', body: () => ({ title: 'x'.repeat(201) }), status: 400, field: 'title' },
      { name: 'dueAt not a time', method: 'POST', path: () => '/api/v1/tasks', body: () => ({ title: 'a', dueAt: 'tomorrow' }), status: 400, field: 'dueAt' },
      { name: 'dueAt without a zone', method: 'POST', path: () => '/api/v1/tasks', body: () => ({ title: 'a', dueAt: '2026-03-10T20:00:00' }), status: 400, field: 'dueAt' },
      { name: 'unknown kind', method: 'POST', path: () => '/api/v1/tasks', body: () => ({ title: 'a', kind: 'chore' }), status: 400, field: 'kind' },
      { name: 'unknown field', method: 'POST', path: () => '/api/v1/tasks', body: () => ({ title: 'a', priority: 'high' }), status: 400, field: 'priority' },
      { name: 'assignee not a member', method: 'POST', path: () => '/api/v1/tasks', body: () => ({ title: 'a', assigneeUserId: 'usr_nobody' }), status: 422, field: 'assigneeUserId' },
      { name: 'assignee from another account', method: 'POST', path: () => '/api/v1/tasks', body: () => ({ title: 'a', assigneeUserId: other.userId }), status: 422, field: 'assigneeUserId' },
      { name: 'unknown contact', method: 'POST', path: () => '/api/v1/tasks', body: () => ({ title: 'a', contactId: 'ct_nobody' }), status: 422, field: 'contactId' },
      { name: 'another account\'s contact', method: 'POST', path: () => '/api/v1/tasks', body: () => ({ title: 'a', contactId: other.contactId }), status: 422, field: 'contactId' },
      { name: 'a callback without a contact', method: 'POST', path: () => '/api/v1/tasks', body: () => ({ title: 'a', kind: 'callback' }), status: 422, field: 'contactId' },
      { name: 'patch nothing', method: 'PATCH', path: () => `/api/v1/tasks/${mineId}`, body: () => ({}), status: 400, field: '(request body)' },
      { name: 'patch title blank', method: 'PATCH', path: () => `/api/v1/tasks/${mineId}`, body: () => ({ title: '' }), status: 400, field: 'title' },
      { name: 'patch dueAt bad', method: 'PATCH', path: () => `/api/v1/tasks/${mineId}`, body: () => ({ dueAt: 12 }), status: 400, field: 'dueAt' },
      { name: 'patch status (not editable)', method: 'PATCH', path: () => `/api/v1/tasks/${mineId}`, body: () => ({ status: 'done' }), status: 400, field: 'status' },
      { name: 'patch assignee not a member', method: 'PATCH', path: () => `/api/v1/tasks/${mineId}`, body: () => ({ title: 'Renamed', assigneeUserId: other.userId }), status: 422, field: 'assigneeUserId' },
      { name: 'list: bad status', method: 'GET', path: () => '/api/v1/tasks?status=closed', status: 400, field: 'status' },
      { name: 'list: bad overdue', method: 'GET', path: () => '/api/v1/tasks?overdue=yes', status: 400, field: 'overdue' },
      { name: 'list: bad limit', method: 'GET', path: () => '/api/v1/tasks?limit=0', status: 400, field: 'limit' },
      { name: 'list: bad before', method: 'GET', path: () => '/api/v1/tasks?before=!!', status: 400, field: 'before' },
      { name: 'another account\'s task: get', method: 'GET', path: () => `/api/v1/tasks/${otherTaskId}`, status: 404 },
      { name: 'another account\'s task: patch', method: 'PATCH', path: () => `/api/v1/tasks/${otherTaskId}`, body: () => ({ title: 'mine now' }), status: 404 },
      { name: 'another account\'s task: done', method: 'POST', path: () => `/api/v1/tasks/${otherTaskId}/done`, status: 404 },
      { name: 'another account\'s task: reopen', method: 'POST', path: () => `/api/v1/tasks/${otherTaskId}/reopen`, status: 404 },
      { name: 'unknown task', method: 'POST', path: () => '/api/v1/tasks/task_nope/done', status: 404 },
    ];

    for (const c of cases) {
      test(`${c.name} → ${c.status}${c.field ? ` naming ${c.field}` : ''}`, async () => {
        const before = await countTasks(server);
        const snapshot = await server.ringback.store.db.selectFrom('tasks').selectAll().orderBy('id').execute();
        const res = await server.api(c.method, c.path(), c.body?.());
        assert.equal(res.status, c.status, JSON.stringify(res.body));
        if (c.field) {
          const fields = (res.body.error.fields ?? []) as Array<{ field: string }>;
          assert.ok(fields.some((f) => f.field === c.field), `names ${c.field}: ${JSON.stringify(res.body)}`);
        }
        assert.equal(await countTasks(server), before);
        assert.deepEqual(await server.ringback.store.db.selectFrom('tasks').selectAll().orderBy('id').execute(), snapshot, 'nothing changed');
      });
    }

    test('the other account sees only its own task', async () => {
      const res = await server.api('GET', '/api/v1/tasks?limit=200', undefined, { key: other.key });
      assert.deepEqual((res.body.tasks as any[]).map((t) => t.id), [otherTaskId]);
    });

    test('a second open callback for a contact by hand → 409 naming contactId', async () => {
      const created = await server.api('POST', '/api/v1/tasks', { title: 'Call them', kind: 'callback', contactId: other.contactId }, { key: other.key });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const before = await countTasks(server);
      const second = await server.api('POST', '/api/v1/tasks', { title: 'Call them again', kind: 'callback', contactId: other.contactId }, { key: other.key });
      assert.equal(second.status, 409, JSON.stringify(second.body));
      assert.equal(second.body.error.fields[0].field, 'contactId');
      assert.equal(await countTasks(server), before);
    });
  });
});
