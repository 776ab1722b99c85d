// Opt-outs in ordinary words, end to end: "please stop texting me" suppresses the number, cancels
// what was queued and gets one confirmation; "my sink won't stop leaking" opts nobody out but
// pauses automation and flags the conversation for a person.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_LINE, settle, startTestServer, type TestServer } from './helpers.ts';

describe('plain-language opt-outs', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.close();
  });

  async function missedCallThenReply(from: string, words: string) {
    assert.equal((await server.api('POST', '/api/v1/simulator/calls', { from, to: DEMO_LINE, outcome: 'unanswered' })).status, 202);
    await settle(server);
    assert.equal((await server.api('POST', '/api/v1/simulator/messages', { from, to: DEMO_LINE, body: words })).status, 202);
    await settle(server);
    const list = await server.api('GET', '/api/v1/conversations?limit=200');
    return list.body.conversations.find((c: any) => c.contact.number === from);
  }

  test('"please stop texting me" suppresses the number and confirms once', async () => {
    const caller = '+12125550601';
    const conversation = await missedCallThenReply(caller, 'please stop texting me');
    const inbox = await server.phoneInbox(caller);
    assert.equal(inbox.length, 2, 'the text-back and one confirmation');
    assert.match(inbox[1]!.body, /unsubscribed/);

    const suppression = await server.ringback.store.db
      .selectFrom('suppressions')
      .selectAll()
      .where('number', '=', caller)
      .where('lifted_at', 'is', null)
      .executeTakeFirstOrThrow();
    assert.equal(suppression.words, 'please stop texting me');
    const evidence = await server.ringback.store.db
      .selectFrom('events')
      .select('data')
      .where('type', '=', 'contact.opted_out')
      .where('subject_id', '=', conversation.contact.id)
      .executeTakeFirstOrThrow();
    assert.match(JSON.parse(evidence.data).rule, /^phrase:/);

    // Nothing automated reaches them any more: a new missed call is skipped as opted out.
    await server.api('POST', '/api/v1/simulator/calls', { from: caller, to: DEMO_LINE, outcome: 'unanswered' });
    await settle(server);
    const calls = await server.api('GET', '/api/v1/calls?limit=200');
    const latest = calls.body.calls.find((c: any) => c.from === caller);
    assert.equal(latest.decision.reason, 'opted_out');
    assert.equal((await server.phoneInbox(caller)).length, 2);
  });

  test('"my sink won\'t stop leaking" opts nobody out, pauses automation and flags a person', async () => {
    const caller = '+12125550602';
    await missedCallThenReply(caller, "my sink won't stop leaking");
    const suppressed = await server.ringback.store.db.selectFrom('suppressions').select('id').where('number', '=', caller).executeTakeFirst();
    assert.equal(suppressed, undefined);
    const row = await server.ringback.store.db
      .selectFrom('conversations')
      .innerJoin('contacts', 'contacts.id', 'conversations.contact_id')
      .select(['conversations.needs_attention', 'conversations.automation_paused', 'conversations.attention_reason'])
      .where('contacts.number', '=', caller)
      .executeTakeFirstOrThrow();
    assert.equal(row.needs_attention, 1);
    assert.equal(row.automation_paused, 1);
    assert.match(row.attention_reason ?? '', /stop texting/);
    assert.equal((await server.phoneInbox(caller)).length, 1, 'no confirmation: they did not opt out');
  });

  test('an ordinary reply is just a reply', async () => {
    const caller = '+12125550603';
    await missedCallThenReply(caller, 'yes please call me back, the water heater is out');
    const row = await server.ringback.store.db
      .selectFrom('conversations')
      .innerJoin('contacts', 'contacts.id', 'conversations.contact_id')
      .select(['conversations.needs_attention'])
      .where('contacts.number', '=', caller)
      .executeTakeFirstOrThrow();
    assert.equal(row.needs_attention, 0);
    const suppressed = await server.ringback.store.db.selectFrom('suppressions').select('id').where('number', '=', caller).executeTakeFirst();
    assert.equal(suppressed, undefined);
  });
});
