// Contacts over real HTTP on loopback, on SQLite and (in the Postgres pass) Postgres: search and
// filters with paging, the detail view, edits with field-level errors that change nothing,
// blocking (which cancels queued automatic texts), the timeline and its paging across sources,
// and another account's ids answering 404.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { storeApiKey } from '../src/services/access.ts';
import { newId } from '../src/store/ids.ts';
import { DEMO_LINE, settle, startTestServer, TEST_API_KEY, type TestServer } from './helpers.ts';
import { openLive } from './support/live-stream.ts';

const T0 = Date.parse('2026-11-23T15:00:00.000Z');
const OTHER_KEY = 'rb_test_other_contacts_0123456789abc';

let n = 0;
/** A fresh fictional number (555-01XX) in area code 312 per use. */
const nextNumber = () => `+1312555${String(100 + n++).padStart(4, '0')}`;


describe('contacts', () => {
  let server: TestServer;
  let live: any[];
  let now = T0;
  let ownerId = '';
  let accountId = '';
  const db = () => server.ringback.store.db;

  async function textIn(from: string, body = 'Hello') {
    const res = await server.api('POST', '/api/v1/simulator/messages', { from, to: DEMO_LINE, body });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    await settle(server);
  }

  async function newContact(): Promise<{ number: string; id: string }> {
    const number = nextNumber();
    await textIn(number);
    const row = await db().selectFrom('contacts').select('id').where('number', '=', number).executeTakeFirstOrThrow();
    return { number, id: row.id };
  }

  async function patch(id: string, body: unknown) {
    return server.api('PATCH', `/api/v1/contacts/${id}`, body);
  }

  async function contactEvents(id: string, type = 'contact.updated') {
    return db().selectFrom('events').selectAll().where('subject_type', '=', 'contact').where('subject_id', '=', id).where('type', '=', type).execute();
  }

  async function listIds(query: string): Promise<string[]> {
    const res = await server.api('GET', `/api/v1/contacts?limit=200${query ? `&${query}` : ''}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return (res.body.contacts as any[]).map((c) => c.id);
  }

  before(async () => {
    server = await startTestServer({ RINGBACK_JOB_BACKOFF_BASE_MS: '5', RINGBACK_JOB_BACKOFF_CAP_MS: '20' }, { clock: () => new Date(now) });
    live = (await openLive(server)).events;
    const key = await db().selectFrom('api_keys').select(['user_id', 'account_id']).orderBy('created_at').executeTakeFirstOrThrow();
    ownerId = key.user_id;
    accountId = key.account_id;
  });
  after(async () => {
    await server.close();
  });

  test('search and filters: q (name, email, number digits), tag, customer, blocked, optedOut; bad values → 400', async () => {
    const ana = await newContact();
    const bo = await newContact();
    const cy = await newContact();
    assert.equal((await patch(ana.id, { name: 'Ana Gómez', email: 'Ana@Example.com', tags: ['VIP', 'boiler'], isCustomer: true })).status, 200);
    assert.equal((await patch(bo.id, { name: 'Bo Li', tags: ['boiler_2'], blocked: true })).status, 200);
    await textIn(cy.number, 'STOP');
    const mine = new Set([ana.id, bo.id, cy.id]);
    const of = async (query: string) => (await listIds(query)).filter((id) => mine.has(id)).sort();
    const sorted = (...xs: string[]) => [...xs].sort();

    assert.deepEqual(await of('q=ana'), [ana.id]);
    assert.deepEqual(await of('q=G%C3%B3MEZ'), [ana.id], 'case-insensitive (ASCII) on names');
    assert.deepEqual(await of('q=example.COM'), [ana.id]);
    assert.deepEqual(await of(`q=${encodeURIComponent(`(312) 555-${bo.number.slice(-4)}`)}`), [bo.id], 'a formatted number matches by its digits');
    assert.deepEqual(await of('q=zzz'), []);
    assert.deepEqual(await of('q=%25'), [], 'LIKE wildcards are literal');
    assert.deepEqual(await of('tag=vip'), [ana.id]);
    assert.deepEqual(await of('tag=BOILER'), [ana.id], 'a tag matches whole, in any case');
    assert.deepEqual(await of('tag=boiler_2'), [bo.id]);
    assert.deepEqual(await of('tag=boiler%252'), [], 'a % in a tag is literal');
    assert.deepEqual(await of('customer=true'), [ana.id]);
    assert.deepEqual(await of('customer=false'), sorted(bo.id, cy.id));
    assert.deepEqual(await of('blocked=true'), [bo.id]);
    assert.deepEqual(await of('blocked=false'), sorted(ana.id, cy.id));
    assert.deepEqual(await of('optedOut=true'), [cy.id]);
    assert.deepEqual(await of('optedOut=false'), sorted(ana.id, bo.id));
    assert.deepEqual(await of('optedOut=false&blocked=false&customer=true&tag=vip&q=ana'), [ana.id]);

    const row = (await server.api('GET', '/api/v1/contacts?limit=200')).body.contacts.find((c: any) => c.id === cy.id);
    assert.deepEqual(
      Object.keys(row).sort(),
      ['blocked', 'createdAt', 'email', 'id', 'isCustomer', 'lineType', 'name', 'number', 'optedOut', 'tags', 'updatedAt'],
    );
    assert.equal(row.optedOut, true);

    for (const [query, field] of [
      ['customer=yes', 'customer'],
      ['blocked=1', 'blocked'],
      ['optedOut=maybe', 'optedOut'],
      ['q=', 'q'],
      ['tag=' + 'x'.repeat(41), 'tag'],
      ['before=yesterday', 'before'],
      ['limit=500', 'limit'],
    ] as const) {
      const res = await server.api('GET', `/api/v1/contacts?${query}`);
      assert.equal(res.status, 400, query);
      assert.ok(res.body.error.fields.some((f: any) => f.field === field), `${query}: ${JSON.stringify(res.body)}`);
    }
  });

  test('the list pages by (created, id): every contact exactly once', async () => {
    for (let i = 0; i < 3; i++) await newContact(); // same clock instant: ties broken by id
    const all = await listIds('');
    for (const limit of [1, 2, 5]) {
      const seen: string[] = [];
      let before: string | null = null;
      for (let page = 0; page < 100; page++) {
        const res: { body: any } = await server.api('GET', `/api/v1/contacts?limit=${limit}${before ? `&before=${encodeURIComponent(before)}` : ''}`);
        seen.push(...res.body.contacts.map((c: any) => c.id));
        before = res.body.next;
        if (!before) break;
      }
      assert.deepEqual(seen, all, `pages of ${limit}`);
    }
  });

  test('the detail view: address fields, opt-out (since, words, source), lead stage and conversations; unknown id → 404', async () => {
    const c = await newContact();
    await textIn(c.number, 'Stop');
    const res = await server.api('GET', `/api/v1/contacts/${c.id}`);
    assert.equal(res.status, 200);
    const d = res.body.contact;
    assert.equal(d.optedOut, true);
    assert.deepEqual(d.optOut, { since: new Date(now).toISOString(), words: 'Stop', source: 'keyword' });
    assert.equal(d.lead.stage, 'engaged');
    assert.equal(d.conversations.length, 1);
    assert.deepEqual([d.address, d.state, d.timeZone, d.invalid], [null, null, null, false]);
    const missing = await server.api('GET', '/api/v1/contacts/ct_nope');
    assert.equal(missing.status, 404);
    assert.match(missing.body.error.message, /ct_nope/);
    await textIn(c.number, 'START');
    assert.equal((await server.api('GET', `/api/v1/contacts/${c.id}`)).body.contact.optOut, null);
  });

  test('an edit is normalised, audited without personal values, and told to open inboxes; the same edit again records nothing', async () => {
    const c = await newContact();
    const res = await patch(c.id, {
      name: '  Dee Kay ',
      email: 'Dee@Example.COM',
      tags: [' Boiler ', 'VIP', 'boiler', 'vip'],
      isCustomer: true,
      address: '1 Main St, Austin',
      state: 'tx',
      timeZone: 'america/chicago',
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const d = res.body.contact;
    assert.deepEqual(
      [d.name, d.email, d.tags, d.isCustomer, d.address, d.state, d.timeZone],
      ['Dee Kay', 'dee@example.com', ['boiler', 'vip'], true, '1 Main St, Austin', 'TX', 'America/Chicago'],
    );
    const [audit, ...more] = await contactEvents(c.id);
    assert.equal(more.length, 0);
    assert.equal(audit!.actor, `user:${ownerId}`);
    const data = JSON.parse(audit!.data);
    assert.deepEqual(data.fields.sort(), ['address', 'email', 'isCustomer', 'name', 'state', 'tags', 'timeZone']);
    assert.equal(data.isCustomer, true);
    for (const secret of ['Dee', 'example', 'Main', 'boiler']) assert.ok(!audit!.data.includes(secret), `the audit keeps no ${secret}`);
    await server.waitFor(async () => live.find((e) => e.type === 'contact.updated' && e.data.contactId === c.id), 'contact.updated');

    assert.equal((await patch(c.id, { name: 'Dee Kay', tags: ['vip', 'boiler'].reverse() })).status, 200);
    assert.equal((await contactEvents(c.id)).length, 1, 'nothing changed, nothing recorded');

    const cleared = await patch(c.id, { name: null, email: '', address: null, state: null, timeZone: null, tags: [] });
    assert.equal(cleared.status, 200);
    assert.deepEqual(
      [cleared.body.contact.name, cleared.body.contact.email, cleared.body.contact.address, cleared.body.contact.state, cleared.body.contact.timeZone, cleared.body.contact.tags],
      [null, null, null, null, null, []],
    );
  });

  test('each bad field → 400 naming it, and the contact is unchanged', async () => {
    const c = await newContact();
    await patch(c.id, { name: 'Eve', tags: ['a'] });
    const snapshot = async () => ({
      row: await db().selectFrom('contacts').selectAll().where('id', '=', c.id).executeTakeFirstOrThrow(),
      events: (await contactEvents(c.id)).length,
    });
    const before = await snapshot();
    const cases: Array<[unknown, string]> = [
      [{ name: 'x'.repeat(201) }, 'name'],
      [{ name: 42 }, 'name'],
      [{ email: 'not-an-email' }, 'email'],
      [{ tags: 'vip' }, 'tags'],
      [{ tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }, 'tags'],
      [{ tags: ['ok', 'x'.repeat(41)] }, 'tags.1'],
      [{ tags: ['  '] }, 'tags.0'],
      [{ isCustomer: 'yes' }, 'isCustomer'],
      [{ blocked: 1 }, 'blocked'],
      [{ address: 'x'.repeat(501) }, 'address'],
      [{ state: 'XX' }, 'state'],
      [{ state: 'Texas' }, 'state'],
      [{ timeZone: 'Mars/Olympus_Mons' }, 'timeZone'],
      [{ timeZone: '' }, 'timeZone'],
      [{ number: '+15555550000' }, 'number'],
      [{ name: 'Ok', state: 'ZZ' }, 'state'],
      [{}, '(request body)'],
    ];
    for (const [body, field] of cases) {
      const res = await patch(c.id, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.error.code, 'validation_failed');
      assert.ok(res.body.error.fields.some((f: any) => f.field === field), `${JSON.stringify(body)} → ${JSON.stringify(res.body.error)}`);
    }
    assert.deepEqual(await snapshot(), before);
    assert.equal((await patch('ct_nope', { name: 'x' })).status, 404);
  });

  test('blocking cancels queued automatic texts and refuses replies; unblocking lets a person text again', async () => {
    const c = await newContact();
    const conversation = await db().selectFrom('conversations').selectAll().where('contact_id', '=', c.id).executeTakeFirstOrThrow();
    const line = await db().selectFrom('lines').selectAll().where('number', '=', DEMO_LINE).executeTakeFirstOrThrow();
    const iso = new Date(now).toISOString();
    const queued = newId('msg');
    const manual = newId('msg');
    const row = {
      account_id: accountId,
      conversation_id: conversation.id,
      line_id: line.id,
      contact_id: c.id,
      direction: 'outbound' as const,
      from_number: DEMO_LINE,
      to_number: c.number,
      encoding: 'GSM-7',
      segments: 1,
      status: 'queued' as const,
      author_user_id: null,
      call_id: null,
      carrier_message_id: null,
      carrier_error_code: null,
      error_message: null,
      send_deadline: null,
      created_at: iso,
      sent_at: null,
      delivered_at: null,
      updated_at: iso,
    };
    // Rows only, no send jobs: what a queued follow-up looks like before its job runs.
    await db().insertInto('messages').values({ ...row, id: queued, body: 'Following up!', author: 'automation', reason: 'follow_up' }).execute();
    await db().insertInto('messages').values({ ...row, id: manual, body: 'typed earlier', author: 'user', reason: 'manual' }).execute();

    const res = await patch(c.id, { blocked: true });
    assert.equal(res.status, 200);
    assert.equal(res.body.contact.blocked, true);
    const status = async (id: string) => ({ ...(await db().selectFrom('messages').select(['status', 'error_message']).where('id', '=', id).executeTakeFirstOrThrow()) });
    assert.deepEqual(await status(queued), { status: 'canceled', error_message: 'canceled: the contact is blocked' });
    assert.equal((await status(manual)).status, 'queued', 'a person\'s own text is not canceled by the block');
    const [audit] = await contactEvents(c.id);
    assert.deepEqual(JSON.parse(audit!.data), { fields: ['blocked'], blocked: true, canceledMessageIds: [queued] });

    const refused = await server.api('POST', `/api/v1/conversations/${conversation.id}/messages`, { body: 'hi' });
    assert.equal(refused.status, 409);
    assert.match(refused.body.error.message, /blocked/);

    assert.equal((await patch(c.id, { blocked: false })).body.contact.blocked, false);
    assert.equal((await server.api('POST', `/api/v1/conversations/${conversation.id}/messages`, { body: 'hi' })).status, 202);
    await db().deleteFrom('messages').where('id', '=', manual).execute();
    await settle(server);
  });

  test('the timeline: calls with decision and voicemail, texts, decisions, tasks, stage changes, notes, opt-out/in and follow-ups, newest first; paged without gaps', async () => {
    const number = nextNumber();
    const tick = () => {
      now += 1000;
    };
    const call = await server.api('POST', '/api/v1/simulator/calls', { from: number, to: DEMO_LINE, outcome: 'unanswered' });
    assert.equal(call.status, 202);
    await settle(server);
    const contact = await server.waitFor(
      () => db().selectFrom('contacts').selectAll().where('number', '=', number).executeTakeFirst(),
      'the caller as a contact',
    );
    const callRow = await server.waitFor(
      () => db().selectFrom('calls').selectAll().where('contact_id', '=', contact.id).where('decision', 'is not', null).executeTakeFirst(),
      'the decided call',
    );
    await db().updateTable('calls').set({ voicemail_url: 'https://example.test/vm.mp3', voicemail_transcript: 'Please call me back' }).where('id', '=', callRow.id).execute();
    tick();
    await textIn(number, 'Yes please, tomorrow morning');
    const conversation = await db().selectFrom('conversations').selectAll().where('contact_id', '=', contact.id).executeTakeFirstOrThrow();
    tick();
    const note = await server.api('POST', `/api/v1/conversations/${conversation.id}/notes`, { body: 'Prefers mornings' });
    assert.equal(note.status, 201);
    // Same instant as the note: the id breaks the tie, across sources.
    const atNote = new Date(now).toISOString();
    await db().insertInto('events').values({ id: newId('ev'), account_id: accountId, type: 'follow_up.step_sent', subject_type: 'conversation', subject_id: conversation.id, actor: 'system', data: JSON.stringify({ step: 1 }), created_at: atNote }).execute();
    tick();
    const taskId = newId('task');
    const created = new Date(now).toISOString();
    tick();
    const completed = new Date(now).toISOString();
    await db().insertInto('tasks').values({ id: taskId, account_id: accountId, contact_id: contact.id, lead_id: null, conversation_id: conversation.id, line_id: null, call_id: callRow.id, kind: 'test_call', title: 'Call back', due_at: completed, assignee_user_id: ownerId, status: 'done', next_reminder_at: null, completed_by: `user:${ownerId}`, created_at: created, updated_at: completed, completed_at: completed }).execute();
    await db().insertInto('events').values({ id: newId('ev'), account_id: accountId, type: 'follow_up.stopped', subject_type: 'contact', subject_id: contact.id, actor: 'system', data: JSON.stringify({ reason: 'replied' }), created_at: completed }).execute();
    // Someone else's follow-up event is not in this timeline.
    await db().insertInto('events').values({ id: newId('ev'), account_id: accountId, type: 'follow_up.stopped', subject_type: 'contact', subject_id: 'ct_someone_else', actor: 'system', data: '{}', created_at: completed }).execute();
    tick();
    await textIn(number, 'STOP');
    tick();
    await textIn(number, 'START');

    const res = await server.api('GET', `/api/v1/contacts/${contact.id}/timeline?limit=200`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.next, null);
    const items: any[] = res.body.items;
    const ats = items.map((i) => i.at);
    assert.deepEqual(ats, [...ats].sort().reverse(), 'newest first');
    const types = new Set(items.map((i) => i.type));
    for (const t of ['call', 'message', 'decision', 'task', 'stage_change', 'note', 'opt_out', 'opt_in', 'follow_up']) assert.ok(types.has(t), `has a ${t} item`);

    const callItem = items.find((i) => i.type === 'call');
    assert.equal(callItem.id, callRow.id);
    assert.equal(callItem.direction, 'inbound');
    assert.equal(callItem.outcome, 'missed');
    assert.deepEqual([callItem.decision.action, callItem.decision.reason], ['send', 'missed_call']);
    assert.match(callItem.decision.explanation, /missed/);
    assert.deepEqual(callItem.voicemail, { url: 'https://example.test/vm.mp3', transcript: 'Please call me back' });
    const decision = items.find((i) => i.type === 'decision');
    assert.deepEqual([decision.callId, decision.action, decision.reason, decision.messageId], [callRow.id, 'send', 'missed_call', callRow.message_id]);
    const texts = items.filter((i) => i.type === 'message');
    assert.ok(texts.some((m) => m.direction === 'outbound' && m.author === 'automation' && m.reason === 'missed_call'));
    assert.ok(texts.some((m) => m.direction === 'inbound' && m.body === 'Yes please, tomorrow morning'));
    assert.ok(texts.some((m) => m.reason === 'opt_out_confirmation'));
    assert.deepEqual(
      items.filter((i) => i.type === 'task' && i.id === taskId).map((t) => [t.change, t.at, t.id]),
      [
        ['done', completed, taskId],
        ['created', created, taskId],
      ],
    );
    assert.ok(items.some((i) => i.type === 'stage_change' && i.to === 'engaged'));
    assert.deepEqual(
      items.filter((i) => i.type === 'note').map((x) => [x.body, x.authorUserId]),
      [['Prefers mornings', ownerId]],
    );
    assert.equal(items.find((i) => i.type === 'opt_out').words, 'STOP');
    assert.ok(items.findIndex((i) => i.type === 'opt_in') < items.findIndex((i) => i.type === 'opt_out'));
    assert.deepEqual(
      items.filter((i) => i.type === 'follow_up').map((f) => [f.event, f.subjectType, f.detail]),
      [
        ['follow_up.stopped', 'contact', { reason: 'replied' }],
        ['follow_up.step_sent', 'conversation', { step: 1 }],
      ],
    );

    const identity = (i: any) => `${i.type}:${i.id}:${i.change ?? ''}`;
    for (const limit of [1, 2, 3, 7]) {
      const seen: any[] = [];
      let before: string | null = null;
      for (let page = 0; page < 200; page++) {
        const p: { status: number; body: any } = await server.api('GET', `/api/v1/contacts/${contact.id}/timeline?limit=${limit}${before ? `&before=${encodeURIComponent(before)}` : ''}`);
        assert.equal(p.status, 200);
        assert.ok(p.body.items.length <= limit);
        seen.push(...p.body.items);
        before = p.body.next;
        if (!before) break;
      }
      assert.deepEqual(seen.map(identity), items.map(identity), `pages of ${limit}`);
    }

    const other = await newContact();
    const otherItems = (await server.api('GET', `/api/v1/contacts/${other.id}/timeline`)).body.items as any[];
    assert.ok(otherItems.every((i) => i.type === 'message' || i.type === 'stage_change'), JSON.stringify(otherItems.map((i) => i.type)));
    assert.equal((await server.api('GET', '/api/v1/contacts/ct_nope/timeline')).status, 404);
    assert.equal((await server.api('GET', `/api/v1/contacts/${contact.id}/timeline?before=soon`)).status, 400);
  });

  test('another account\'s contacts are 404 for every route, and its list holds only its own', async () => {
    const mine = await newContact();
    const iso = new Date(now).toISOString();
    const otherAccount = newId('acc');
    const userId = newId('usr');
    const theirs = newId('ct');
    await db().insertInto('accounts').values({ id: otherAccount, name: 'Other Co', time_zone: 'America/Chicago', business_hours: '{}', booking_url: null, help_contact: null, created_at: iso, updated_at: iso }).execute();
    await db().insertInto('users').values({ id: userId, email: 'other@contacts.test', name: null, password_hash: 'x', created_at: iso }).execute();
    await db().insertInto('memberships').values({ id: newId('mem'), account_id: otherAccount, user_id: userId, role: 'owner', created_at: iso }).execute();
    await storeApiKey(db(), { accountId: otherAccount, userId }, 'other', OTHER_KEY, iso);
    // The same number is a contact in both accounts: each sees only its own.
    await db().insertInto('contacts').values({ id: theirs, account_id: otherAccount, number: mine.number, name: 'Theirs', email: null, created_at: iso, updated_at: iso }).execute();

    const before = await db().selectFrom('contacts').selectAll().where('id', 'in', [mine.id, theirs]).orderBy('id').execute();
    for (const [key, id] of [
      [OTHER_KEY, mine.id],
      [TEST_API_KEY, theirs],
    ] as const) {
      assert.equal((await server.api('GET', `/api/v1/contacts/${id}`, undefined, { key })).status, 404);
      assert.equal((await server.api('PATCH', `/api/v1/contacts/${id}`, { name: 'Mallory', blocked: true }, { key })).status, 404);
      assert.equal((await server.api('GET', `/api/v1/contacts/${id}/timeline`, undefined, { key })).status, 404);
    }
    assert.deepEqual(await db().selectFrom('contacts').selectAll().where('id', 'in', [mine.id, theirs]).orderBy('id').execute(), before);
    const list = await server.api('GET', '/api/v1/contacts?limit=200', undefined, { key: OTHER_KEY });
    assert.deepEqual(list.body.contacts.map((c: any) => c.id), [theirs]);
    assert.ok(!(await listIds('')).includes(theirs));
    assert.deepEqual(await server.api('GET', `/api/v1/contacts?q=Theirs`).then((r) => r.body.contacts), []);
  });
});
