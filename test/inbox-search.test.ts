// Inbox search on the server (GET /api/v1/conversations?q=), on SQLite and (in the Postgres pass)
// Postgres: the contact's name and email, the number typed in any common form, the text of any
// message in the thread, LIKE's wildcards taken literally, together with the other filters and
// paging, a bad q refused naming the field, and another account's conversations never found.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '../src/store/ids.ts';
import { DEMO_LINE, settle, startTestServer, type TestServer } from './helpers.ts';
import { seedOtherAccount } from './support/other-account.ts';

const OTHER_KEY = 'rb_test_search_other_0123456789abcd';

describe('inbox search', () => {
  let server: TestServer;
  const db = () => server.ringback.store.db;
  /** Conversation ids by the name the test gives them. */
  const ids: Record<string, string> = {};

  async function textIn(from: string, body: string): Promise<void> {
    const res = await server.api('POST', '/api/v1/simulator/messages', { from, to: DEMO_LINE, body });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    await settle(server);
  }

  async function conversationOf(number: string): Promise<any> {
    return server.waitFor(async () => {
      const { body } = await server.api('GET', '/api/v1/conversations?limit=200&status=open,pending,snoozed,resolved');
      return (body.conversations as any[]).find((c) => c.contact.number === number);
    }, `the conversation with ${number}`);
  }

  /** Opens a conversation with a text from `number`; names the contact and sets their email when given. */
  async function open(key: string, number: string, text: string, contact: { name?: string; email?: string } = {}): Promise<string> {
    await textIn(number, text);
    const conversation = await conversationOf(number);
    if (contact.name !== undefined || contact.email !== undefined) {
      const res = await server.api('PATCH', `/api/v1/contacts/${conversation.contact.id}`, contact);
      assert.equal(res.status, 200, JSON.stringify(res.body));
    }
    ids[key] = conversation.id;
    return conversation.id;
  }

  /** The ids a search finds (every status unless the query says), newest first. */
  async function search(query: string, key?: string): Promise<string[]> {
    const withStatus = /(^|&)status=/.test(query) ? query : `status=open,pending,snoozed,resolved&${query}`;
    const res = await server.api('GET', `/api/v1/conversations?limit=200&${withStatus}`, undefined, key ? { key } : {});
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return (res.body.conversations as any[]).map((c) => c.id);
  }

  const q = (text: string) => `q=${encodeURIComponent(text)}`;
  /** Names of the conversations a search finds, sorted, among those this test made. */
  async function found(query: string): Promise<string[]> {
    const byId = new Map(Object.entries(ids).map(([k, v]) => [v, k]));
    return (await search(query)).map((id) => byId.get(id) ?? `unknown ${id}`).sort();
  }

  before(async () => {
    server = await startTestServer();
    await open('dana', '+12125550142', 'Need a quote for a water heater', { name: 'Dana Whitfield', email: 'dana@harbor-example.com' });
    await open('flood', '+13125550199', 'The basement is 50% under water');
    await open('units', '+16465550123', 'We have 500 units on site', { name: 'Sam Axb' });
    await open('literal', '+17135550177', 'Hello', { name: 'The a_b Company' });
    await open('percent', '+13055550166', 'Discount of 50 percent?', { name: 'Pat Long' });
    const reply = await server.api('POST', `/api/v1/conversations/${ids.percent}/messages`, { body: 'We will bring the tall ladder' });
    assert.equal(reply.status, 202, JSON.stringify(reply.body));
    await settle(server);
  });
  after(async () => {
    await server.close();
  });

  test('the contact\'s name and email, whatever the case, and q is trimmed', async () => {
    assert.deepEqual(await found(q('Whitfield')), ['dana']);
    assert.deepEqual(await found(q('WHITFIELD')), ['dana']);
    assert.deepEqual(await found(q('  dana whit  ')), ['dana']);
    assert.deepEqual(await found(q('HARBOR-EXAMPLE.com')), ['dana']);
    assert.deepEqual(await found(q('nobody-by-this-name')), []);
  });

  test('the number typed in any common form matches its digits inside the E.164 number', async () => {
    for (const typed of ['555 0142', '(212) 555-0142', '+12125550142', '212.555.0142', '1 212 555 0142', '0142']) {
      assert.deepEqual(await found(q(typed)), ['dana'], typed);
    }
    assert.deepEqual(await found(q('(312) 555-0199')), ['flood']);
    // Digits among words are not a number ("Unit 4" must not find every number with a 4).
    assert.deepEqual(await found(q('Dana 0142')), []);
    assert.deepEqual(await found(q('555 9999')), []);
  });

  test('the text of any message in the thread, inbound or our own, not only the last one', async () => {
    assert.deepEqual(await found(q('water heater')), ['dana']);
    assert.deepEqual(await found(q('BASEMENT')), ['flood']);
    assert.deepEqual(await found(q('tall ladder')), ['percent'], 'our own reply');
    assert.deepEqual(await found(q('discount of 50')), ['percent'], 'an earlier message than the last');
  });

  test('% and _ are matched literally, not as LIKE wildcards', async () => {
    assert.deepEqual(await found(q('50%')), ['flood'], '"50%" is not "50" followed by anything');
    assert.deepEqual(await found(q('a_b')), ['literal'], '"a_b" does not match "Axb"');
    assert.deepEqual(await found(q('%')), ['flood']);
    assert.deepEqual(await found(q('_')), ['literal']);
    assert.deepEqual(await found(q('!')), [], 'the escape character itself is literal too');
  });

  test('combined with the status, unread and assignee filters in one query', async () => {
    assert.equal((await server.api('POST', `/api/v1/conversations/${ids.dana}/resolve`)).status, 200);
    try {
      assert.deepEqual(await found(`status=open,pending&${q('dana')}`), []);
      assert.deepEqual(await found(`status=resolved&${q('dana')}`), ['dana']);
      assert.deepEqual(await found(`status=resolved&${q('basement')}`), []);
    } finally {
      assert.equal((await server.api('POST', `/api/v1/conversations/${ids.dana}/reopen`)).status, 200);
    }
    // The reply made "percent" pending and read; the others are open and unread.
    assert.deepEqual(await found(`status=pending&${q('discount')}`), ['percent']);
    assert.deepEqual(await found(`status=open&${q('discount')}`), []);
    assert.deepEqual(await found(`unread=true&${q('water')}`), ['dana', 'flood']);
    assert.deepEqual(await found(`unread=false&${q('water')}`), []);
    assert.deepEqual(await found(`assignee=none&${q('a_b')}`), ['literal']);
    assert.deepEqual(await found(`assignee=me&${q('a_b')}`), []);
  });

  test('paging through the results: every match exactly once, in the list\'s order, and nothing else', async () => {
    const gutters: string[] = [];
    for (let i = 0; i < 5; i++) gutters.push(await open(`gutter${i}`, `+1404555${String(1100 + i)}`, `The gutter is loose, side ${i}`));
    await open('noise', '+14045551200', 'Nothing about roofs here');
    const all = await search(q('GUTTER'));
    assert.deepEqual([...all].sort(), [...gutters].sort());
    const everything = await search('');
    assert.deepEqual(all, everything.filter((id) => gutters.includes(id)), 'the same order as the unsearched list');
    const seen: string[] = [];
    let before: string | null = null;
    for (let page = 0; page < 10; page++) {
      const res: { status: number; body: any } = await server.api('GET', `/api/v1/conversations?status=open&limit=2&${q('gutter')}${before ? `&before=${encodeURIComponent(before)}` : ''}`);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.ok(res.body.conversations.length <= 2);
      seen.push(...res.body.conversations.map((c: any) => c.id));
      before = res.body.next;
      if (!before) break;
    }
    assert.deepEqual(seen, all);
  });

  test('a bad q is refused (400) naming the field, and a q of 100 characters is fine', async () => {
    for (const [query, pattern] of [
      ['q=', /must not be empty/],
      ['q=%20%20%20', /must not be empty/],
      [q('x'.repeat(101)), /at most 100 characters/],
      [q('é'.repeat(101)), /at most 100 characters/],
      ['q=a&q=b', /must be a string/],
    ] as const) {
      const res = await server.api('GET', `/api/v1/conversations?${query}`);
      assert.equal(res.status, 400, `${query}: ${JSON.stringify(res.body)}`);
      const field = res.body.error.fields.find((f: any) => f.field === 'q');
      assert.ok(field, `${query}: ${JSON.stringify(res.body)}`);
      assert.match(field.message, pattern);
    }
    assert.equal((await server.api('GET', `/api/v1/conversations?${q('x'.repeat(100))}`)).status, 200);
    assert.equal((await server.api('GET', `/api/v1/conversations?${q(`  ${'é'.repeat(100)}  `)}`)).status, 200, 'trimmed, counted in characters');
  });

  test('another account\'s conversations never match, and it finds only its own', async () => {
    const iso = new Date().toISOString();
    // The same number, name and words as one of ours.
    const { accountId, lineId, contactId, conversationId: theirsId } = await seedOtherAccount(server, {
      apiKey: OTHER_KEY,
      ownerEmail: 'other@search.test',
      contact: { number: '+12125550142', name: 'Dana Whitfield', email: 'dana@harbor-example.com' },
      at: iso,
    });
    await db()
      .insertInto('messages')
      .values({ id: newId('msg'), account_id: accountId, conversation_id: theirsId, line_id: lineId, contact_id: contactId, direction: 'inbound', from_number: '+12125550142', to_number: '+15555550177', body: 'Need a quote for a water heater', encoding: 'GSM-7', segments: 1, status: 'received', author: 'contact', reason: 'inbound', created_at: iso, updated_at: iso })
      .execute();

    for (const text of ['Dana', '555-0142', 'water heater', 'harbor-example']) {
      const mine = await search(q(text));
      assert.ok(!mine.includes(theirsId), `${text}: another account's conversation is not found`);
      assert.deepEqual(mine, [ids.dana], text);
      assert.deepEqual(await search(q(text), OTHER_KEY), [theirsId], `${text}: the other account finds only its own`);
    }
    assert.deepEqual(await search(q('gutter'), OTHER_KEY), []);
  });
});
