// The inbox API over real HTTP on loopback, on SQLite and (in the Postgres pass) Postgres: the
// list and its filters, a person's reply and why one may be refused, the actions on a thread with
// their audit records and live events, snooze wake-up on the application clock, private notes,
// and another account's ids answering 404.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { HookData } from '../src/services/hooks.ts';
import { newId } from '../src/store/ids.ts';
import { DEMO_LINE, settle, startTestServer, type TestServer } from './helpers.ts';
import { seedOtherAccount } from './support/other-account.ts';
import { openLive, type Live } from './support/live-stream.ts';

/** Monday 10:00 in New York, where the test numbers' area code (212) is. */
const T0 = Date.parse('2026-11-23T15:00:00.000Z');
const HOUR = 3_600_000;
const OTHER_KEY = 'rb_test_other_account_0123456789abcd';

let n = 0;
/** A fresh fictional number (555-01XX) in area code 212 per use. */
const nextNumber = () => `+1212555${String(100 + n++).padStart(4, '0')}`;


describe('inbox', () => {
  let server: TestServer;
  let live: Live;
  let now = T0;
  let ownerId = '';
  let agentId = '';
  const sentByPerson: Array<HookData['message.sent_by_person']> = [];

  const db = () => server.ringback.store.db;

  async function textIn(from: string, body = 'Hi, are you open today?') {
    const res = await server.api('POST', '/api/v1/simulator/messages', { from, to: DEMO_LINE, body });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    await settle(server);
  }

  async function conversationOf(number: string): Promise<any> {
    return server.waitFor(async () => {
      const { body } = await server.api('GET', '/api/v1/conversations?limit=200');
      return (body.conversations as any[]).find((c) => c.contact.number === number);
    }, `the conversation with ${number}`);
  }

  /** A conversation with a fresh contact, opened by an inbound text. */
  async function newConversation(body?: string): Promise<{ number: string; id: string; conversation: any }> {
    const number = nextNumber();
    await textIn(number, body);
    const conversation = await conversationOf(number);
    return { number, id: conversation.id, conversation };
  }

  async function get(id: string): Promise<any> {
    const res = await server.api('GET', `/api/v1/conversations/${id}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.conversation;
  }

  async function auditOf(conversationId: string, type: string) {
    return db().selectFrom('events').selectAll().where('subject_type', '=', 'conversation').where('subject_id', '=', conversationId).where('type', '=', type).execute();
  }

  async function messageCount(conversationId: string): Promise<number> {
    const rows = await db().selectFrom('messages').select('id').where('conversation_id', '=', conversationId).execute();
    return rows.length;
  }

  async function ids(query: string): Promise<string[]> {
    const res = await server.api('GET', `/api/v1/conversations?limit=200${query ? `&${query}` : ''}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return (res.body.conversations as any[]).map((c) => c.id);
  }

  before(async () => {
    server = await startTestServer({ RINGBACK_JOB_BACKOFF_BASE_MS: '5', RINGBACK_JOB_BACKOFF_CAP_MS: '20' }, { clock: () => new Date(now) });
    live = await openLive(server);
    const key = await db().selectFrom('api_keys').select(['user_id', 'account_id']).orderBy('created_at').executeTakeFirstOrThrow();
    ownerId = key.user_id;
    agentId = newId('usr');
    const iso = new Date(now).toISOString();
    await db().insertInto('users').values({ id: agentId, email: 'agent@inbox.test', name: 'Agent', password_hash: 'x', created_at: iso }).execute();
    await db().insertInto('memberships').values({ id: newId('mem'), account_id: key.account_id, user_id: agentId, role: 'agent', created_at: iso }).execute();
    server.ringback.ctx.hooks.on('message.sent_by_person', 'inbox test', async (_ctx, _tx, data) => {
      sentByPerson.push(data);
    });
  });
  after(async () => {
    await server.close();
  });

  test('each row: line, contact, status, flags and the last message with a 140-character preview', async () => {
    const long = `${'Water everywhere in the basement. '.repeat(6)}Call me.`;
    const { number, id } = await newConversation(long);
    const row = (await server.api('GET', '/api/v1/conversations?limit=200')).body.conversations.find((c: any) => c.id === id);
    const line = (await server.api('GET', '/api/v1/lines')).body.lines.find((l: any) => l.number === DEMO_LINE);
    assert.deepEqual(row.line, { id: line.id, number: DEMO_LINE, name: line.name });
    assert.deepEqual(Object.keys(row.contact).sort(), ['blocked', 'id', 'isCustomer', 'name', 'number', 'optedOut']);
    assert.equal(row.contact.number, number);
    assert.deepEqual([row.contact.isCustomer, row.contact.blocked, row.contact.optedOut], [false, false, false]);
    assert.equal(row.status, 'open');
    assert.equal(row.unreadCount, 1);
    assert.equal(row.assigneeUserId, null);
    assert.equal(row.snoozedUntil, null);
    assert.equal(row.needsAttention, false);
    assert.equal(row.attentionReason, null);
    assert.equal(row.automationPaused, false);
    assert.equal(row.lastMessage.direction, 'inbound');
    assert.equal(row.lastMessage.status, 'received');
    assert.equal(row.lastMessage.preview, long.slice(0, 140));
    assert.ok(row.lastMessage.at);
    assert.ok(row.lastMessageAt);
    assert.ok(row.createdAt);
  });

  test('filters: status (one or a comma list), unread, assignee (me, none, a member), lineId, needsAttention', async () => {
    const a = await newConversation(); // open, unread
    const b = await newConversation(); // read, assigned to me
    const c = await newConversation(); // pending (we replied), assigned to the agent
    const d = await newConversation(); // flagged for a person
    assert.equal((await server.api('POST', `/api/v1/conversations/${b.id}/read`)).status, 200);
    assert.equal((await server.api('POST', `/api/v1/conversations/${b.id}/assign`, { userId: ownerId })).status, 200);
    assert.equal((await server.api('POST', `/api/v1/conversations/${c.id}/messages`, { body: 'On our way' })).status, 202);
    assert.equal((await server.api('POST', `/api/v1/conversations/${c.id}/assign`, { userId: agentId })).status, 200);
    await db().updateTable('conversations').set({ needs_attention: 1, attention_reason: 'unclear stop' }).where('id', '=', d.id).execute();
    await settle(server);
    const mine = new Set([a.id, b.id, c.id, d.id]);
    const of = async (query: string) => (await ids(query)).filter((id) => mine.has(id)).sort();
    const sorted = (...xs: string[]) => [...xs].sort();

    assert.deepEqual(await of('status=open'), sorted(a.id, b.id, d.id));
    assert.deepEqual(await of('status=pending'), [c.id]);
    assert.deepEqual(await of('status=pending,open'), sorted(a.id, b.id, c.id, d.id));
    assert.deepEqual(await of('status=resolved,snoozed'), []);
    assert.deepEqual(await of('unread=true'), sorted(a.id, d.id));
    assert.deepEqual(await of('unread=false'), sorted(b.id, c.id));
    assert.deepEqual(await of('assignee=me'), [b.id]);
    assert.deepEqual(await of(`assignee=${agentId}`), [c.id]);
    assert.deepEqual(await of('assignee=none'), sorted(a.id, d.id));
    assert.deepEqual(await of('needsAttention=true'), [d.id]);
    assert.deepEqual(await of('needsAttention=false'), sorted(a.id, b.id, c.id));
    assert.deepEqual(await of('unread=true&needsAttention=false&status=open'), [a.id]);
    const lineId = a.conversation.line.id;
    assert.deepEqual(await of(`lineId=${lineId}`), sorted(a.id, b.id, c.id, d.id));
    assert.deepEqual(await of('lineId=line_nope'), []);

    for (const [query, field] of [
      ['status=closed', 'status'],
      ['status=open,closed', 'status'],
      ['unread=yes', 'unread'],
      ['needsAttention=1', 'needsAttention'],
      ['assignee=', 'assignee'],
      ['limit=0', 'limit'],
    ] as const) {
      const res = await server.api('GET', `/api/v1/conversations?${query}`);
      assert.equal(res.status, 400, query);
      assert.ok(res.body.error.fields.some((f: any) => f.field === field), `${query}: ${JSON.stringify(res.body)}`);
    }
  });

  test('paging a filtered list by (last message, id): every conversation exactly once', async () => {
    const all = await ids('status=open,pending');
    const seen: string[] = [];
    let before: string | null = null;
    for (let page = 0; page < 200; page++) {
      const res: { status: number; body: any } = await server.api(
        'GET',
        `/api/v1/conversations?status=open,pending&limit=2${before ? `&before=${encodeURIComponent(before)}` : ''}`,
      );
      assert.equal(res.status, 200);
      seen.push(...res.body.conversations.map((c: any) => c.id));
      before = res.body.next;
      if (!before) break;
    }
    assert.deepEqual(seen, all);
    assert.ok(all.length >= 4);
  });

  test('the detail view: the row plus the lead and counts; an unknown id → 404', async () => {
    const { id } = await newConversation('Can you quote a new boiler?');
    await server.api('POST', `/api/v1/conversations/${id}/notes`, { body: 'Asked about boilers before' });
    const detail = await get(id);
    assert.equal(detail.id, id);
    assert.equal(detail.lead.stage, 'engaged');
    assert.match(detail.lead.id, /^lead_/);
    assert.equal(detail.lead.valueCents, null);
    assert.deepEqual(detail.counts, { messages: 1, notes: 1, openTasks: 0 });
    assert.equal(detail.lastMessage.preview, 'Can you quote a new boiler?');
    const missing = await server.api('GET', '/api/v1/conversations/cv_nope');
    assert.equal(missing.status, 404);
    assert.match(missing.body.error.message, /cv_nope/);
  });

  test('a person\'s reply: queued, the thread waits on the contact (pending) and is read, the hook fires, and it is audited', async () => {
    const { id, number } = await newConversation();
    const hooksBefore = sentByPerson.length;
    const res = await server.api('POST', `/api/v1/conversations/${id}/messages`, { body: 'We can come at 2pm.' });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.deepEqual(res.body.warnings, [], '10:00 in New York is inside the window');
    assert.equal(res.body.message.author, 'user');
    assert.equal(res.body.message.status, 'queued');
    const after = await get(id);
    assert.equal(after.status, 'pending');
    assert.equal(after.unreadCount, 0);
    await live.waitFor((e) => e.type === 'conversation.updated' && e.data.conversationId === id && e.data.change === 'status' && e.data.status === 'pending', 'the pending status');
    assert.equal(sentByPerson.length, hooksBefore + 1);
    const hook = sentByPerson.at(-1)!;
    assert.equal(hook.message.id, res.body.message.id);
    assert.equal(hook.conversation.status, 'pending');
    assert.equal(hook.userId, ownerId);
    assert.equal(hook.contact.number, number);
    const [audit] = await auditOf(id, 'message.sent_by_person');
    assert.equal(audit!.actor, `user:${ownerId}`);
    await settle(server);
    assert.deepEqual((await server.phoneInbox(number)).map((m) => m.body), ['We can come at 2pm.']);

    // A snoozed thread also goes to pending; a resolved one stays resolved.
    const snoozed = await newConversation();
    await server.api('POST', `/api/v1/conversations/${snoozed.id}/snooze`, { until: new Date(now + HOUR).toISOString() });
    await server.api('POST', `/api/v1/conversations/${snoozed.id}/messages`, { body: 'Any update?' });
    const s = await get(snoozed.id);
    assert.deepEqual([s.status, s.snoozedUntil], ['pending', null]);
    const resolved = await newConversation();
    await server.api('POST', `/api/v1/conversations/${resolved.id}/resolve`);
    await server.api('POST', `/api/v1/conversations/${resolved.id}/messages`, { body: 'Thanks again!' });
    assert.equal((await get(resolved.id)).status, 'resolved');
  });

  test('a reply at night where the recipient is comes with a warning, and is still sent', async () => {
    const { id } = await newConversation();
    const saved = now;
    now = Date.parse('2026-11-24T03:30:00.000Z'); // 22:30 in New York
    try {
      const res = await server.api('POST', `/api/v1/conversations/${id}/messages`, { body: 'Sorry for the late reply' });
      assert.equal(res.status, 202);
      assert.equal(res.body.warnings.length, 1);
      assert.match(res.body.warnings[0], /10:30 PM/);
      assert.match(res.body.warnings[0], /Eastern/);
      await settle(server);
    } finally {
      now = Math.max(now, saved);
    }
  });

  test('a reply is refused, with the reason, to an opted-out, blocked, landline or invalid number and from a line with texting off; nothing is written', async () => {
    const expectRefused = async (id: string, body: unknown, status: number, pattern: RegExp, field?: string) => {
      const before = await messageCount(id);
      const jobs = (await db().selectFrom('jobs').select('id').execute()).length;
      const res = await server.api('POST', `/api/v1/conversations/${id}/messages`, body);
      assert.equal(res.status, status, JSON.stringify(res.body));
      assert.match(res.body.error.message, pattern);
      if (field) assert.ok(res.body.error.fields.some((f: any) => f.field === field));
      assert.equal(await messageCount(id), before, 'no message was written');
      if (server.ringback.store.kind === 'sqlite') assert.equal((await db().selectFrom('jobs').select('id').execute()).length, jobs, 'no job was queued');
    };

    const optedOut = await newConversation();
    await textIn(optedOut.number, 'STOP');
    await expectRefused(optedOut.id, { body: 'hello?' }, 409, /must reply START/);

    const blocked = await newConversation();
    await db().updateTable('contacts').set({ blocked: 1 }).where('number', '=', blocked.number).execute();
    await expectRefused(blocked.id, { body: 'hello?' }, 409, /blocked/);

    const landline = await newConversation();
    await db().updateTable('contacts').set({ line_type: 'landline' }).where('number', '=', landline.number).execute();
    await expectRefused(landline.id, { body: 'hello?' }, 409, /landline/);

    const invalid = await newConversation();
    await db().updateTable('contacts').set({ invalid: 1 }).where('number', '=', invalid.number).execute();
    await expectRefused(invalid.id, { body: 'hello?' }, 409, /not to be a valid number/);

    const quiet = await newConversation();
    await db().updateTable('lines').set({ messaging_enabled: 0 }).where('number', '=', DEMO_LINE).execute();
    try {
      await expectRefused(quiet.id, { body: 'hello?' }, 409, /texting is turned off/);
    } finally {
      await db().updateTable('lines').set({ messaging_enabled: 1 }).where('number', '=', DEMO_LINE).execute();
    }

    await expectRefused(quiet.id, { body: '   ' }, 400, /body/, 'body');
    await expectRefused(quiet.id, { body: 'x'.repeat(1601) }, 400, /1600/, 'body');
    await expectRefused(quiet.id, {}, 400, /body/, 'body');
    await expectRefused(quiet.id, { body: 'hi', to: '+15555550000' }, 400, /to/, 'to');
  });

  test('assign: to a member, to nobody; a non-member → 422 naming userId and nothing changes; the same assignee again changes nothing', async () => {
    const { id } = await newConversation();
    let res = await server.api('POST', `/api/v1/conversations/${id}/assign`, { userId: agentId });
    assert.equal(res.status, 200);
    assert.equal(res.body.conversation.assigneeUserId, agentId);
    await live.waitFor((e) => e.data.conversationId === id && e.data.change === 'assignment' && e.data.assigneeUserId === agentId, 'the assignment event');
    res = await server.api('POST', `/api/v1/conversations/${id}/assign`, { userId: agentId });
    assert.equal(res.status, 200);
    assert.equal((await auditOf(id, 'conversation.assigned')).length, 1, 'no second record for the same assignee');

    const otherUser = newId('usr');
    await db().insertInto('users').values({ id: otherUser, email: 'stranger@inbox.test', name: null, password_hash: 'x', created_at: new Date(now).toISOString() }).execute();
    for (const userId of [otherUser, 'usr_nope']) {
      res = await server.api('POST', `/api/v1/conversations/${id}/assign`, { userId });
      assert.equal(res.status, 422, JSON.stringify(res.body));
      assert.deepEqual(res.body.error.fields.map((f: any) => f.field), ['userId']);
    }
    for (const body of [{}, { userId: 42 }, { userId: '' }, { userId: agentId, extra: 1 }]) {
      res = await server.api('POST', `/api/v1/conversations/${id}/assign`, body);
      assert.equal(res.status, 400, JSON.stringify(body));
    }
    assert.equal((await get(id)).assigneeUserId, agentId, 'the refused requests changed nothing');

    res = await server.api('POST', `/api/v1/conversations/${id}/assign`, { userId: null });
    assert.equal(res.status, 200);
    assert.equal(res.body.conversation.assigneeUserId, null);
    const audits = await auditOf(id, 'conversation.assigned');
    assert.deepEqual(
      audits.map((a) => [a.actor, JSON.parse(a.data)]).sort((x, y) => (JSON.stringify(x) < JSON.stringify(y) ? -1 : 1)),
      [
        [`user:${ownerId}`, { from: agentId, to: null }],
        [`user:${ownerId}`, { from: null, to: agentId }],
      ],
    );
    await live.waitFor((e) => e.data.conversationId === id && e.data.change === 'assignment' && e.data.assigneeUserId === null, 'the unassignment event');
  });

  test('snooze: until must be a future time within 90 days; a resolved thread is not snoozed; the clock wakes it, once', async () => {
    const { id } = await newConversation();
    for (const [body, status, field] of [
      [{ until: new Date(now - 60_000).toISOString() }, 422, 'until'],
      [{ until: new Date(now + 91 * 24 * HOUR).toISOString() }, 422, 'until'],
      [{ until: 'tomorrow' }, 400, 'until'],
      [{ until: '2026-11-24T10:00:00' }, 400, 'until'],
      [{}, 400, 'until'],
    ] as const) {
      const res = await server.api('POST', `/api/v1/conversations/${id}/snooze`, body);
      assert.equal(res.status, status, JSON.stringify(body));
      assert.ok(res.body.error.fields.some((f: any) => f.field === field), JSON.stringify(res.body));
    }
    assert.equal((await get(id)).status, 'open', 'refused snoozes changed nothing');

    const until = new Date(now + 2 * HOUR).toISOString();
    const res = await server.api('POST', `/api/v1/conversations/${id}/snooze`, { until });
    assert.equal(res.status, 200);
    assert.deepEqual([res.body.conversation.status, res.body.conversation.snoozedUntil], ['snoozed', until]);
    await live.waitFor((e) => e.data.conversationId === id && e.data.change === 'snooze' && e.data.status === 'snoozed', 'the snooze event');
    assert.equal((await auditOf(id, 'conversation.snoozed')).length, 1);
    assert.deepEqual(await ids('status=snoozed').then((xs) => xs.includes(id)), true);

    now += HOUR;
    await settle(server);
    assert.equal((await get(id)).status, 'snoozed', 'not yet');
    now += HOUR;
    await settle(server);
    const woke = await get(id);
    assert.deepEqual([woke.status, woke.snoozedUntil], ['open', null]);
    await live.waitFor((e) => e.data.conversationId === id && e.data.change === 'snooze' && e.data.status === 'open', 'the wake-up event');
    const audits = await auditOf(id, 'conversation.woke');
    assert.equal(audits.length, 1);
    assert.equal(audits[0]!.actor, 'system');
    await settle(server);
    assert.equal((await auditOf(id, 'conversation.woke')).length, 1, 'woken once');

    const resolved = await newConversation();
    await server.api('POST', `/api/v1/conversations/${resolved.id}/resolve`);
    const refused = await server.api('POST', `/api/v1/conversations/${resolved.id}/snooze`, { until: new Date(now + HOUR).toISOString() });
    assert.equal(refused.status, 409);
    assert.match(refused.body.error.message, /reopen/);
  });

  test('the wake-up claims each due conversation once when ticks run side by side', async () => {
    const convs = await Promise.all([newConversation(), newConversation(), newConversation()]);
    for (const c of convs) await server.api('POST', `/api/v1/conversations/${c.id}/snooze`, { until: new Date(now + 60_000).toISOString() });
    now += 2 * 60_000;
    const { wakeSnoozedConversations } = await import('../src/services/conversations.ts');
    const counts = await Promise.all([1, 2, 3].map(() => wakeSnoozedConversations(server.ringback.ctx, new Date(now))));
    assert.equal(counts.reduce((a, b) => a + b, 0), 3);
    for (const c of convs) assert.equal((await auditOf(c.id, 'conversation.woke')).length, 1);
  });

  test('resolve and reopen: idempotent, audited once, with live events', async () => {
    const { id } = await newConversation();
    let res = await server.api('POST', `/api/v1/conversations/${id}/resolve`);
    assert.equal(res.status, 200);
    assert.equal(res.body.conversation.status, 'resolved');
    assert.ok(res.body.conversation.resolvedAt);
    await live.waitFor((e) => e.data.conversationId === id && e.data.change === 'status' && e.data.status === 'resolved', 'the resolve event');
    res = await server.api('POST', `/api/v1/conversations/${id}/resolve`, {});
    assert.equal(res.status, 200);
    assert.equal((await auditOf(id, 'conversation.resolved')).length, 1);
    assert.equal((await server.api('POST', `/api/v1/conversations/${id}/resolve`, { now: true })).status, 400, 'a body with fields is refused');

    res = await server.api('POST', `/api/v1/conversations/${id}/reopen`);
    assert.equal(res.status, 200);
    assert.deepEqual([res.body.conversation.status, res.body.conversation.resolvedAt], ['open', null]);
    await live.waitFor((e) => e.data.conversationId === id && e.data.change === 'status' && e.data.status === 'open', 'the reopen event');
    res = await server.api('POST', `/api/v1/conversations/${id}/reopen`);
    assert.equal(res.status, 200, 'reopening an open conversation is a no-op');
    const reopened = await auditOf(id, 'conversation.reopened');
    assert.equal(reopened.length, 1);
    assert.equal(reopened[0]!.actor, `user:${ownerId}`);
    assert.deepEqual(JSON.parse(reopened[0]!.data), { from: 'resolved' });
  });

  test('an inbound text reopens a resolved or snoozed conversation and clears its times', async () => {
    const resolved = await newConversation();
    await server.api('POST', `/api/v1/conversations/${resolved.id}/resolve`);
    await textIn(resolved.number, 'One more question');
    const r = await get(resolved.id);
    assert.deepEqual([r.status, r.resolvedAt, r.unreadCount], ['open', null, 2]);

    const snoozed = await newConversation();
    await server.api('POST', `/api/v1/conversations/${snoozed.id}/snooze`, { until: new Date(now + 5 * HOUR).toISOString() });
    await textIn(snoozed.number, 'Hello again');
    const s = await get(snoozed.id);
    assert.deepEqual([s.status, s.snoozedUntil], ['open', null]);
  });

  test('read: unread goes to 0, once', async () => {
    const { id, number } = await newConversation();
    await textIn(number, 'second');
    assert.equal((await get(id)).unreadCount, 2);
    const res = await server.api('POST', `/api/v1/conversations/${id}/read`);
    assert.equal(res.status, 200);
    assert.equal(res.body.conversation.unreadCount, 0);
    await live.waitFor((e) => e.data.conversationId === id && e.data.change === 'read', 'the read event');
    await server.api('POST', `/api/v1/conversations/${id}/read`);
    const audits = await auditOf(id, 'conversation.read');
    assert.equal(audits.length, 1);
    assert.deepEqual(JSON.parse(audits[0]!.data), { unread: 2 });
  });

  test('PATCH: a person clears the attention flag and pauses or resumes automation; bad patches → 400 and change nothing', async () => {
    const { id } = await newConversation();
    await db().updateTable('conversations').set({ needs_attention: 1, attention_reason: 'may be asking to stop', automation_paused: 1 }).where('id', '=', id).execute();
    for (const [body, field] of [
      [{ needsAttention: true }, 'needsAttention'],
      [{ automationPaused: 'yes' }, 'automationPaused'],
      [{}, '(request body)'],
      [{ status: 'open' }, 'status'],
    ] as const) {
      const res = await server.api('PATCH', `/api/v1/conversations/${id}`, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.ok(res.body.error.fields.some((f: any) => f.field === field), JSON.stringify(res.body));
    }
    let c = await get(id);
    assert.deepEqual([c.needsAttention, c.automationPaused], [true, true]);

    let res = await server.api('PATCH', `/api/v1/conversations/${id}`, { needsAttention: false });
    assert.equal(res.status, 200);
    assert.deepEqual([res.body.conversation.needsAttention, res.body.conversation.attentionReason, res.body.conversation.automationPaused], [false, null, true]);
    await live.waitFor((e) => e.data.conversationId === id && e.data.change === 'flag', 'the flag event');
    const cleared = await auditOf(id, 'conversation.attention_cleared');
    assert.deepEqual(JSON.parse(cleared[0]!.data), { reason: 'may be asking to stop' });

    res = await server.api('PATCH', `/api/v1/conversations/${id}`, { automationPaused: false, needsAttention: false });
    assert.equal(res.status, 200);
    assert.equal(res.body.conversation.automationPaused, false);
    await live.waitFor((e) => e.data.conversationId === id && e.data.change === 'automation', 'the automation event');
    assert.equal((await auditOf(id, 'conversation.automation_resumed')).length, 1);
    assert.equal((await auditOf(id, 'conversation.attention_cleared')).length, 1, 'clearing a clear flag records nothing');

    res = await server.api('PATCH', `/api/v1/conversations/${id}`, { automationPaused: true });
    c = res.body.conversation;
    assert.equal(c.automationPaused, true);
    assert.equal((await auditOf(id, 'conversation.automation_paused')).length, 1);
  });

  test('notes: private (never texted, never in the thread), 1..5000 characters, listed oldest first with paging', async () => {
    const { id, number } = await newConversation();
    const res = await server.api('POST', `/api/v1/conversations/${id}/notes`, { body: 'Gate code is 4411' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.deepEqual(Object.keys(res.body.note).sort(), ['authorUserId', 'body', 'conversationId', 'createdAt', 'id']);
    assert.equal(res.body.note.authorUserId, ownerId);
    await live.waitFor((e) => e.data.conversationId === id && e.data.change === 'note', 'the note event');
    assert.ok(!JSON.stringify(live.events).includes('4411'), 'live events carry no bodies');
    const audit = await auditOf(id, 'conversation.note_added');
    assert.deepEqual(JSON.parse(audit[0]!.data), { noteId: res.body.note.id });
    now += 1000;
    await server.api('POST', `/api/v1/conversations/${id}/notes`, { body: 'Dog in the yard' });

    for (const body of [{ body: '' }, { body: ' \n' }, { body: 'x'.repeat(5001) }, {}, { body: 'ok', private: false }]) {
      const bad = await server.api('POST', `/api/v1/conversations/${id}/notes`, body);
      assert.equal(bad.status, 400, JSON.stringify(body));
    }
    assert.equal((await server.api('POST', `/api/v1/conversations/${id}/notes`, { body: 'y'.repeat(5000) })).status, 201);

    const first = await server.api('GET', `/api/v1/conversations/${id}/notes?limit=2`);
    assert.deepEqual(first.body.notes.map((x: any) => x.body.slice(0, 15)), ['Dog in the yard', 'yyyyyyyyyyyyyyy']);
    const second = await server.api('GET', `/api/v1/conversations/${id}/notes?limit=2&before=${encodeURIComponent(first.body.next)}`);
    assert.deepEqual(second.body.notes.map((x: any) => x.body), ['Gate code is 4411']);
    await settle(server);
    assert.deepEqual(await server.phoneInbox(number), [], 'nothing reached the contact');
    const messages = await server.api('GET', `/api/v1/conversations/${id}/messages`);
    assert.ok(messages.body.messages.every((m: any) => m.direction === 'inbound'));
    assert.equal((await server.api('POST', '/api/v1/conversations/cv_nope/notes', { body: 'x' })).status, 404);
    assert.equal((await server.api('GET', '/api/v1/conversations/cv_nope/notes')).status, 404);
  });

  test('another account\'s conversations are 404 for every route, and its list holds only its own', async () => {
    const mine = await newConversation();
    const { conversationId: theirsId } = await seedOtherAccount(server, {
      apiKey: OTHER_KEY,
      ownerEmail: 'other@inbox.test',
      contact: { number: mine.number },
      at: new Date(now).toISOString(),
    });

    const routes = (id: string): Array<[string, string, unknown?]> => [
      ['GET', `/api/v1/conversations/${id}`],
      ['GET', `/api/v1/conversations/${id}/messages`],
      ['POST', `/api/v1/conversations/${id}/messages`, { body: 'hi' }],
      ['POST', `/api/v1/conversations/${id}/assign`, { userId: null }],
      ['POST', `/api/v1/conversations/${id}/snooze`, { until: new Date(now + HOUR).toISOString() }],
      ['POST', `/api/v1/conversations/${id}/resolve`],
      ['POST', `/api/v1/conversations/${id}/reopen`],
      ['POST', `/api/v1/conversations/${id}/read`],
      ['PATCH', `/api/v1/conversations/${id}`, { automationPaused: true }],
      ['POST', `/api/v1/conversations/${id}/notes`, { body: 'x' }],
      ['GET', `/api/v1/conversations/${id}/notes`],
    ];
    const before = JSON.stringify(await get(mine.id));
    for (const [method, path, body] of routes(mine.id)) {
      const res = await server.api(method, path, body, { key: OTHER_KEY });
      assert.equal(res.status, 404, `${method} ${path} with the other account's key`);
    }
    for (const [method, path, body] of routes(theirsId)) {
      const res = await server.api(method, path, body);
      assert.equal(res.status, 404, `${method} ${path} of the other account's conversation`);
    }
    assert.equal(JSON.stringify(await get(mine.id)), before, 'nothing changed');
    const theirs = await server.api('GET', '/api/v1/conversations?limit=200', undefined, { key: OTHER_KEY });
    assert.deepEqual(theirs.body.conversations.map((c: any) => c.id), [theirsId]);
    const assignMine = await server.api('POST', `/api/v1/conversations/${theirsId}/assign`, { userId: ownerId }, { key: OTHER_KEY });
    assert.equal(assignMine.status, 422, 'a member of another account cannot be assigned');
    assert.ok(!(await ids('')).includes(theirsId));
  });
});
