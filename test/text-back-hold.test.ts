// The immediate text-back's lawful-hours policy (docs/compliance.md) and the account settings
// that carry it, with a controllable clock: 'send' texts a Florida caller at 2 AM at once; 'hold'
// waits for 8 AM Eastern, with the reason recorded, and the held send is a durable row that the
// scheduler releases when the clock gets there (the same on SQLite and Postgres).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEMO_LINE, settle, startTestServer, type TestServer } from './helpers.ts';

// Tuesday 2026-12-01, 02:00 Eastern (07:00 UTC).
const NIGHT = Date.parse('2026-12-01T07:00:00Z');

describe('text-back outside lawful hours', () => {
  let server: TestServer;
  let now = NIGHT;
  before(async () => {
    server = await startTestServer({}, { clock: () => new Date(now) });
  });
  after(async () => {
    await server.close();
  });

  async function missedCall(from: string) {
    const res = await server.api('POST', '/api/v1/simulator/calls', { from, to: DEMO_LINE, outcome: 'unanswered' });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    await settle(server);
  }

  test('by default the text-back goes at once, at any hour', async () => {
    const settings = await server.api('GET', '/api/v1/account');
    assert.equal(settings.body.account.textBackOutsideLawfulHours, 'send');
    await missedCall('+13055550101');
    const inbox = await server.phoneInbox('+13055550101');
    assert.equal(inbox.length, 1);
  });

  test("'hold' waits for the recipient's window, says why, and sends when it opens", async () => {
    const set = await server.api('PATCH', '/api/v1/account', { textBackOutsideLawfulHours: 'hold' });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    assert.equal(set.body.account.textBackOutsideLawfulHours, 'hold');

    now = NIGHT + 60 * 60_000; // 03:00 Eastern
    await missedCall('+13055550102');
    assert.deepEqual(await server.phoneInbox('+13055550102'), [], 'nothing at 3 AM');

    const conversations = await server.api('GET', '/api/v1/conversations?limit=200');
    const conversation = conversations.body.conversations.find((c: any) => c.contact.number === '+13055550102');
    const messages = await server.api('GET', `/api/v1/conversations/${conversation.id}/messages`);
    assert.equal(messages.body.messages[0].status, 'queued');

    const held = await server.ringback.store.db
      .selectFrom('events')
      .select(['data'])
      .where('type', '=', 'text_back.held')
      .where('subject_id', '=', messages.body.messages[0].id)
      .executeTakeFirstOrThrow();
    const data = JSON.parse(held.data);
    const until = Date.parse(data.until);
    // 08:00 Eastern (13:00 UTC) plus at most 15 minutes of jitter.
    assert.ok(until >= Date.parse('2026-12-01T13:00:00Z') && until < Date.parse('2026-12-01T13:15:00Z'), data.until);
    assert.match(data.explanation, /Florida/);

    now = Date.parse('2026-12-01T12:59:00Z');
    await settle(server);
    assert.deepEqual(await server.phoneInbox('+13055550102'), [], 'still nothing at 07:59');

    now = until;
    await settle(server);
    const inbox = await server.phoneInbox('+13055550102');
    const textBack = inbox.filter((m) => /Sorry we missed your call/.test(m.body));
    assert.equal(textBack.length, 1, 'the text-back was sent when the window opened');
    assert.match(textBack[0]!.body, /Demo Plumbing/);
  });

  test('settings that could never send, or are malformed, are refused with the field and change nothing', async () => {
    const before = (await server.api('GET', '/api/v1/account')).body.account;
    const cases: Array<[unknown, string]> = [
      [{ automationHours: { mon: [['22:00', '23:00']], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] } }, 'automationHours'],
      [{ automationHours: { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] } }, 'automationHours'],
      [{ automationCap: { messages: 0, hours: 24 } }, 'automationCap.messages'],
      [{ textBackOutsideLawfulHours: 'later' }, 'textBackOutsideLawfulHours'],
      [{ callbackTasks: { dueMinutes: 1 } }, 'callbackTasks.dueMinutes'],
      [{ emergencyWords: ['x'] }, 'emergencyWords.0'],
    ];
    for (const [patch, field] of cases) {
      const res = await server.api('PATCH', '/api/v1/account', patch);
      assert.equal(res.status, 400, `${JSON.stringify(patch)} → ${JSON.stringify(res.body)}`);
      assert.ok(res.body.error.fields.some((f: any) => f.field.startsWith(field)), `${field} named in ${JSON.stringify(res.body.error.fields)}`);
    }
    assert.deepEqual((await server.api('GET', '/api/v1/account')).body.account, before);
  });

  test('valid settings are stored and shown', async () => {
    const res = await server.api('PATCH', '/api/v1/account', {
      automationHours: { mon: [['09:00', '17:00']], tue: [['09:00', '17:00']], wed: [], thu: [], fri: [], sat: [], sun: [] },
      automationCap: { messages: 2, hours: 24 },
      emergencyWords: ['Flood', 'flood', 'sewage backup'],
      callbackTasks: { dueMinutes: 60 },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const account = (await server.api('GET', '/api/v1/account')).body.account;
    assert.deepEqual(account.automationCap, { messages: 2, hours: 24 });
    assert.deepEqual(account.emergencyWords, ['flood', 'sewage backup']);
    assert.equal(account.callbackTasks.dueMinutes, 60);
    assert.equal(account.callbackTasks.afterHoursDueMinutes, 60, 'other callback settings keep their values');
    assert.deepEqual(account.automationHours.mon, [['09:00', '17:00']]);
  });
});
