// Saved replies (composer templates) over real HTTP, on SQLite and (in the Postgres pass) Postgres:
// create, list, edit and delete them; bad titles and bodies refused naming the field (and the
// variable); a taken title is 409, also when two saves race; agents list and render but cannot
// change them; rendering fills in the conversation's contact, the business, the booking link and
// the line, and measures the result; another account's replies and conversations are 404.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { storeApiKey } from '../src/services/access.ts';
import { measureText } from '../src/domain/templates.ts';
import { newId } from '../src/store/ids.ts';
import { DEMO_LINE, settle, startTestServer, type TestServer } from './helpers.ts';

const AGENT_KEY = 'rb_test_replies_agent_0123456789abc';
const OTHER_KEY = 'rb_test_replies_other_0123456789abc';

describe('saved replies', () => {
  let server: TestServer;
  let ownerId = '';
  let accountName = '';
  const db = () => server.ringback.store.db;

  const create = (body: unknown, key?: string) => server.api('POST', '/api/v1/saved-replies', body, key ? { key } : {});
  const list = async (key?: string) => {
    const res = await server.api('GET', '/api/v1/saved-replies', undefined, key ? { key } : {});
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.savedReplies as any[];
  };
  const count = async () => (await db().selectFrom('saved_replies').select('id').execute()).length;

  async function conversationWith(number: string, name: string | null): Promise<string> {
    const res = await server.api('POST', '/api/v1/simulator/messages', { from: number, to: DEMO_LINE, body: 'Are you free this week?' });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    await settle(server);
    const conversation = await server.waitFor(async () => {
      const { body } = await server.api('GET', '/api/v1/conversations?limit=200');
      return (body.conversations as any[]).find((c) => c.contact.number === number);
    }, `the conversation with ${number}`);
    if (name !== null) {
      const named = await server.api('PATCH', `/api/v1/contacts/${conversation.contact.id}`, { name });
      assert.equal(named.status, 200, JSON.stringify(named.body));
    }
    return conversation.id;
  }

  const render = (conversationId: string, replyId: string, key?: string) =>
    server.api('POST', `/api/v1/conversations/${conversationId}/saved-replies/${replyId}/render`, undefined, key ? { key } : {});

  before(async () => {
    server = await startTestServer();
    const key = await db().selectFrom('api_keys').select(['user_id', 'account_id']).orderBy('created_at').executeTakeFirstOrThrow();
    ownerId = key.user_id;
    accountName = (await server.api('GET', '/api/v1/account')).body.account.name;
    const agentId = newId('usr');
    const iso = new Date().toISOString();
    await db().insertInto('users').values({ id: agentId, email: 'agent@replies.test', name: 'Agent', password_hash: 'x', created_at: iso }).execute();
    await db().insertInto('memberships').values({ id: newId('mem'), account_id: key.account_id, user_id: agentId, role: 'agent', created_at: iso }).execute();
    await storeApiKey(db(), { accountId: key.account_id, userId: agentId }, 'agent', AGENT_KEY, iso);
  });
  after(async () => {
    await server.close();
  });

  test('create, list (by title, ignoring case), read one; each with its variables and measure; audited', async () => {
    const res = await create({ title: '  On our way ', body: 'Hi {{first_name}}, {{ business_name }} here: we are on our way.' });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    const reply = res.body.savedReply;
    assert.match(reply.id, /^reply_/);
    assert.equal(reply.title, 'On our way', 'the title is trimmed');
    assert.deepEqual(reply.variables, ['first_name', 'business_name']);
    assert.deepEqual([reply.encoding, reply.segments], ['GSM-7', 1]);
    assert.equal(reply.characters, [...reply.body].length);
    assert.equal(reply.createdByUserId, ownerId);
    assert.ok(reply.createdAt && reply.updatedAt);
    assert.equal((await create({ title: 'appointment reminder', body: 'See you tomorrow at 9 ☺' })).status, 201);
    assert.equal((await create({ title: 'Zebra crossing', body: 'Thanks!' })).status, 201);

    const titles = (await list()).map((r) => r.title);
    assert.deepEqual(titles.filter((t) => ['On our way', 'appointment reminder', 'Zebra crossing'].includes(t)), ['appointment reminder', 'On our way', 'Zebra crossing']);
    const smiley = (await list()).find((r) => r.title === 'appointment reminder');
    assert.equal(smiley.encoding, 'UCS-2');
    const one = await server.api('GET', `/api/v1/saved-replies/${reply.id}`);
    assert.equal(one.status, 200);
    assert.deepEqual(one.body.savedReply, reply);
    assert.equal((await server.api('GET', '/api/v1/saved-replies/reply_nope')).status, 404);
    const audit = await db().selectFrom('events').selectAll().where('subject_type', '=', 'saved_reply').where('subject_id', '=', reply.id).execute();
    assert.deepEqual(audit.map((e) => [e.type, e.actor, JSON.parse(e.data)]), [['saved_reply.created', `user:${ownerId}`, { title: 'On our way' }]]);
  });

  test('bad input is refused (400) naming the field, and the variable; nothing is written', async () => {
    const before = await count();
    const cases: Array<[unknown, string, RegExp]> = [
      [{ title: '', body: 'Hello' }, 'title', /must not be empty/],
      [{ title: '   ', body: 'Hello' }, 'title', /must not be empty/],
      [{ title: 'x'.repeat(61), body: 'Hello' }, 'title', /at most 60 characters/],
      [{ title: 'Two\nlines', body: 'Hello' }, 'title', /one line/],
      [{ body: 'Hello' }, 'title', /required/],
      [{ title: 42, body: 'Hello' }, 'title', /must be a string/],
      [{ title: 'Empty', body: '' }, 'body', /empty/],
      [{ title: 'Blank', body: '  \n ' }, 'body', /empty/],
      [{ title: 'Typo', body: 'Hi {{frist_name}}, see you soon' }, 'body', /unknown variable \{\{frist_name\}\}/],
      [{ title: 'Braces', body: 'Hi {first_name}}' }, 'body', /unbalanced braces/],
      [{ title: 'Booking', body: 'Book here: {{booking_link}}' }, 'body', /no booking link is set up/],
      [{ title: 'Long', body: 'x'.repeat(1601) }, 'body', /limit is 1600/],
      [{ title: 'Huge', body: 'x'.repeat(7000) }, 'body', /at most 6400 characters/],
      [{ title: 'Extra', body: 'Hello', slot: 'open' }, 'slot', /not a known field/],
    ];
    for (const [body, field, pattern] of cases) {
      const res = await create(body);
      assert.equal(res.status, 400, `${JSON.stringify(body).slice(0, 80)}: ${JSON.stringify(res.body).slice(0, 300)}`);
      const hit = (res.body.error.fields as any[]).find((f) => f.field === field);
      assert.ok(hit, `${JSON.stringify(body).slice(0, 80)} names ${field}: ${JSON.stringify(res.body).slice(0, 300)}`);
      assert.match(hit.message, pattern);
    }
    // A 60-character title in characters (not bytes) is fine.
    assert.equal((await create({ title: 'é'.repeat(60), body: 'Merci' })).status, 201);
    assert.equal(await count(), before + 1, 'only the good one was written');
  });

  test('a title already in use is 409 (ignoring case and spaces), also when two saves race; edits keep titles unique', async () => {
    const first = await create({ title: 'Running late', body: 'Sorry, running 15 minutes late.' });
    assert.equal(first.status, 201);
    const dup = await create({ title: '  running   LATE ', body: 'Another text' });
    assert.equal(dup.status, 409, JSON.stringify(dup.body));
    assert.match(dup.body.error.message, /"Running late"/);

    const raced = await Promise.all([create({ title: 'Gate code', body: 'What is the gate code?' }), create({ title: 'gate code', body: 'Gate code please' })]);
    assert.deepEqual(raced.map((r) => r.status).sort(), [201, 409], JSON.stringify(raced.map((r) => r.body)));
    assert.equal((await list()).filter((r) => r.title.toLowerCase() === 'gate code').length, 1);

    const other = await create({ title: 'Thanks', body: 'Thanks for choosing us.' });
    const renamed = await server.api('PATCH', `/api/v1/saved-replies/${other.body.savedReply.id}`, { title: 'Running Late' });
    assert.equal(renamed.status, 409, 'renaming onto a taken title');
    const recased = await server.api('PATCH', `/api/v1/saved-replies/${first.body.savedReply.id}`, { title: 'Running LATE' });
    assert.equal(recased.status, 200, 'a reply may change the case of its own title');
    assert.equal(recased.body.savedReply.title, 'Running LATE');
  });

  test('edit and delete: a new body is checked and measured; PATCH needs a change; delete is 204 then 404', async () => {
    const made = (await create({ title: 'Quote', body: 'We will send a quote today.' })).body.savedReply;
    let res = await server.api('PATCH', `/api/v1/saved-replies/${made.id}`, { body: 'Hi {{first_name}}, your quote is on its way 📄' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual([res.body.savedReply.title, res.body.savedReply.encoding, res.body.savedReply.variables], ['Quote', 'UCS-2', ['first_name']]);
    for (const [body, field] of [
      [{}, '(request body)'],
      [{ body: 'Hi {{nickname}}' }, 'body'],
      [{ title: '' }, 'title'],
      [{ id: 'reply_x' }, 'id'],
    ] as const) {
      res = await server.api('PATCH', `/api/v1/saved-replies/${made.id}`, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.ok(res.body.error.fields.some((f: any) => f.field === field), JSON.stringify(res.body));
    }
    assert.equal((await server.api('GET', `/api/v1/saved-replies/${made.id}`)).body.savedReply.body, 'Hi {{first_name}}, your quote is on its way 📄', 'refused edits changed nothing');
    assert.equal((await server.api('PATCH', '/api/v1/saved-replies/reply_nope', { title: 'x' })).status, 404);

    assert.equal((await server.api('DELETE', `/api/v1/saved-replies/${made.id}`)).status, 204);
    assert.equal((await server.api('DELETE', `/api/v1/saved-replies/${made.id}`)).status, 404);
    assert.equal((await server.api('GET', `/api/v1/saved-replies/${made.id}`)).status, 404);
    assert.ok(!(await list()).some((r) => r.id === made.id));
    const types = (await db().selectFrom('events').select('type').where('subject_id', '=', made.id).execute()).map((e) => e.type).sort();
    assert.deepEqual(types, ['saved_reply.created', 'saved_reply.deleted', 'saved_reply.updated']);
  });

  test('agents list and render saved replies but cannot create, edit or delete them (403)', async () => {
    const made = (await create({ title: 'Agent visible', body: 'Hi {{first_name}}!' })).body.savedReply;
    const before = await count();
    assert.ok((await list(AGENT_KEY)).some((r) => r.id === made.id));
    const refused = [
      await create({ title: 'By an agent', body: 'Hello' }, AGENT_KEY),
      await server.api('PATCH', `/api/v1/saved-replies/${made.id}`, { title: 'Renamed by agent' }, { key: AGENT_KEY }),
      await server.api('DELETE', `/api/v1/saved-replies/${made.id}`, undefined, { key: AGENT_KEY }),
    ];
    for (const res of refused) {
      assert.equal(res.status, 403, JSON.stringify(res.body));
      assert.equal(res.body.error.message, 'agents cannot change saved replies; ask an owner or admin');
    }
    assert.equal(await count(), before);
    assert.equal((await server.api('GET', `/api/v1/saved-replies/${made.id}`)).body.savedReply.title, 'Agent visible');
    const conversationId = await conversationWith('+12125550161', 'Robin Agentson');
    const rendered = await render(conversationId, made.id, AGENT_KEY);
    assert.equal(rendered.status, 200, JSON.stringify(rendered.body));
    assert.equal(rendered.body.text, 'Hi Robin!');
  });

  test('render fills in the contact\'s first name, the business, the booking link and the line, and measures the text', async () => {
    const booking = 'https://book.example.com/harbor';
    assert.equal((await server.api('PATCH', '/api/v1/account', { bookingUrl: booking })).status, 200);
    const made = await create({
      title: 'Book online',
      body: "Hi {{first_name}}, it's {{business_name}}. Book at {{booking_link}} or call {{line_number}}. We'll call {{callback_window}}.",
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const reply = made.body.savedReply;
    const dana = await conversationWith('+12125550162', 'Dana Whitfield');
    const res = await render(dana, reply.id);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.match(res.body.text, new RegExp(`^Hi Dana, it's ${accountName}\\. Book at ${booking.replace(/\./g, '\\.')} or call \\(555\\) 555-0100\\. We'll call .+\\.$`));
    assert.doesNotMatch(res.body.text, /\{\{/);
    const m = measureText(res.body.text);
    assert.deepEqual(
      [res.body.characters, res.body.encoding, res.body.segments, res.body.nonGsmCharacters],
      [m.characters, 'GSM-7', m.segments, []],
    );
    assert.deepEqual(res.body.reply, { id: reply.id, title: 'Book online' });
    assert.deepEqual(res.body.warnings, []);
    assert.equal((await server.api('POST', `/api/v1/conversations/${dana}/saved-replies/${reply.id}/render`, {})).status, 200, 'an empty JSON body is fine');
    assert.equal((await server.api('POST', `/api/v1/conversations/${dana}/saved-replies/${reply.id}/render`, { contactId: 'x' })).status, 400);

    // The rendered text is what is measured: a name outside GSM-7 makes it UCS-2.
    const zoe = await conversationWith('+12125550163', 'Zoë Park');
    const ucs = await render(zoe, reply.id);
    assert.equal(ucs.body.encoding, 'UCS-2');
    assert.deepEqual(ucs.body.nonGsmCharacters, ['ë']);
    assert.match(ucs.body.text, /^Hi Zoë,/);

    // The booking link cannot be removed while a saved reply uses it (as for templates).
    const removing = await server.api('PATCH', '/api/v1/account', { bookingUrl: null });
    assert.equal(removing.status, 409, JSON.stringify(removing.body));
    assert.match(removing.body.error.message, /the booking link is used by 1 template\(s\) \(saved reply “Book online”\); change them first/);
    assert.equal((await server.api('GET', '/api/v1/account')).body.account.bookingUrl, booking);

    // No name saved: "there", said in a warning. A link gone anyway (a reply older than this
    // check): left empty, said too.
    const nameless = await conversationWith('+12125550164', null);
    await db().updateTable('accounts').set({ booking_url: null }).where('name', '=', accountName).execute();
    const partial = await render(nameless, reply.id);
    assert.equal(partial.status, 200);
    assert.match(partial.body.text, /^Hi there, it's .+\. Book at or call/, 'the empty link leaves no double space');
    assert.equal(partial.body.warnings.length, 2, JSON.stringify(partial.body.warnings));
    assert.ok(partial.body.warnings.some((w: string) => /booking_link/.test(w)));
    assert.ok(partial.body.warnings.some((w: string) => /first_name/.test(w)));

    assert.equal((await render('cv_nope', reply.id)).status, 404);
    assert.equal((await render(dana, 'reply_nope')).status, 404);
  });

  test('another account sees none of these replies, cannot change or render them, and may use the same titles', async () => {
    const ours = (await create({ title: 'Shared title', body: 'Ours' })).body.savedReply;
    const dana = await conversationWith('+12125550165', 'Dana Other');
    const iso = new Date().toISOString();
    const accountId = newId('acc');
    const userId = newId('usr');
    await db().insertInto('accounts').values({ id: accountId, name: 'Other Co', time_zone: 'America/Chicago', business_hours: '{}', booking_url: null, help_contact: null, created_at: iso, updated_at: iso }).execute();
    await db().insertInto('users').values({ id: userId, email: 'other@replies.test', name: null, password_hash: 'x', created_at: iso }).execute();
    await db().insertInto('memberships').values({ id: newId('mem'), account_id: accountId, user_id: userId, role: 'owner', created_at: iso }).execute();
    await storeApiKey(db(), { accountId, userId }, 'other', OTHER_KEY, iso);

    assert.deepEqual(await list(OTHER_KEY), []);
    assert.equal((await server.api('GET', `/api/v1/saved-replies/${ours.id}`, undefined, { key: OTHER_KEY })).status, 404);
    assert.equal((await server.api('PATCH', `/api/v1/saved-replies/${ours.id}`, { title: 'Stolen' }, { key: OTHER_KEY })).status, 404);
    assert.equal((await server.api('DELETE', `/api/v1/saved-replies/${ours.id}`, undefined, { key: OTHER_KEY })).status, 404);
    assert.equal((await render(dana, ours.id, OTHER_KEY)).status, 404, 'our conversation and reply');
    const theirs = await create({ title: 'Shared title', body: 'Theirs' }, OTHER_KEY);
    assert.equal(theirs.status, 201, 'titles are unique per account');
    assert.equal((await render(dana, theirs.body.savedReply.id)).status, 404, 'their reply in our conversation');
    assert.deepEqual((await list(OTHER_KEY)).map((r) => r.body), ['Theirs']);
    const stillOurs = await server.api('GET', `/api/v1/saved-replies/${ours.id}`);
    assert.deepEqual([stillOurs.body.savedReply.title, stillOurs.body.savedReply.body], ['Shared title', 'Ours']);
  });
});
