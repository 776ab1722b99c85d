// Roles, enforced by the server (src/http/role-policy.ts): agents work the inbox and may not
// change how the business is set up; admins may, but cannot make owners; API keys act with their
// user's role. Also the editor's helpers (measure, preview), and invitations without a mail server.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { storeApiKey } from '../src/services/access.ts';
import { DEMO_LINE, settle, startTestServer, type TestServer } from './helpers.ts';
import { SessionClient as Member } from './support/session-client.ts';

/** Adds a member through the API (no mail server: the invitation link comes back) and signs them in from it. */
async function invite(server: TestServer, email: string, role: 'admin' | 'agent', by?: Member): Promise<Member> {
  const input = { email, name: `${role} ${email.split('@')[0]}`, role };
  const added = by ? await by.call('POST', '/api/v1/team', input) : await server.api('POST', '/api/v1/team', input);
  assert.equal(added.status, 201, JSON.stringify(added.body));
  assert.deepEqual(added.body.invitation, { emailed: false });
  assert.match(added.body.inviteUrl, new RegExp(`^${server.url}/accept-invite\\?token=`));
  const token = new URL(added.body.inviteUrl).searchParams.get('token');
  const member = new Member(server.url);
  const accepted = await member.call('POST', '/api/v1/auth/invitations/accept', { token, password: `${email} secret!` });
  assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
  assert.equal(accepted.body.role, role);
  return member;
}

function refused(res: { status: number; body: any }, what: string): void {
  assert.equal(res.status, 403, JSON.stringify(res.body));
  assert.equal(res.body.error.code, 'forbidden');
  assert.equal(res.body.error.message, `agents cannot change ${what}; ask an owner or admin`);
}

describe('roles', () => {
  let server: TestServer;
  let agent: Member;
  let admin: Member;
  let ownerId: string;
  before(async () => {
    server = await startTestServer();
    agent = await invite(server, 'agent@example.com', 'agent');
    admin = await invite(server, 'admin@example.com', 'admin');
    ownerId = (await server.api('GET', '/api/v1/auth/me')).body.user.id;
  });
  after(async () => {
    await server.close();
  });

  test('an agent cannot change how the business is set up, and nothing changes', async () => {
    const account = (await server.api('GET', '/api/v1/account')).body.account;
    refused(await agent.call('PATCH', '/api/v1/account', { name: 'Agent Rename' }), 'account settings');
    refused(await agent.call('POST', '/api/v1/lines', { number: '+15555550111', mode: 'events' }), 'lines');
    refused(await agent.call('PATCH', `/api/v1/lines/${DEMO_LINE}`, { name: 'x' }), 'lines');
    refused(await agent.call('PUT', '/api/v1/templates/text-back/open', { body: 'Hi from {{business_name}}. Reply STOP to opt out.' }), 'templates');
    refused(await agent.call('POST', '/api/v1/carriers', { kind: 'twilio' }), 'carriers');
    refused(await agent.call('POST', '/api/v1/saved-replies', { title: 'Hi', body: 'Hello' }), 'saved replies');
    refused(await agent.call('POST', '/api/v1/sequences', {}), 'sequences');
    refused(await agent.call('POST', '/api/v1/webhook-endpoints', { url: 'https://example.com/hook' }), 'webhook endpoints');
    refused(await agent.call('POST', '/api/v1/api-keys', { name: 'mine' }), 'API keys');
    refused(await agent.call('POST', '/api/v1/team', { email: 'x@example.com', name: 'X', role: 'agent' }), 'the team');
    refused(await agent.call('PATCH', `/api/v1/team/${ownerId}`, { name: 'Not Yours' }), 'other team members');
    refused(await agent.call('DELETE', `/api/v1/team/${admin.userId}`), 'the team');
    assert.deepEqual((await server.api('GET', '/api/v1/account')).body.account, account);
    assert.equal((await server.api('GET', '/api/v1/lines')).body.lines.length, 1);
    assert.equal((await server.api('GET', '/api/v1/team')).body.members.length, 3);
  });

  test('an agent reads everything and works the inbox: calls, messages, assignment, notes, contacts, leads, tasks, their own entry', async () => {
    for (const p of ['/api/v1/account', '/api/v1/lines', '/api/v1/templates', '/api/v1/saved-replies', '/api/v1/team', '/api/v1/sequences', '/api/v1/carriers']) {
      assert.equal((await agent.call('GET', p)).status, 200, p);
    }
    const caller = '+12125550177';
    const call = await agent.call('POST', '/api/v1/simulator/calls', { from: caller, to: DEMO_LINE, outcome: 'unanswered' });
    assert.ok(call.status < 300, JSON.stringify(call.body));
    await settle(server);
    const conversation = (await agent.call('GET', '/api/v1/conversations?limit=200')).body.conversations.find((c: any) => c.contact.number === caller);
    assert.ok(conversation, 'the missed call opened a conversation');
    const sent = await agent.call('POST', `/api/v1/conversations/${conversation.id}/messages`, { body: 'We can come tomorrow at 9.' });
    assert.ok(sent.status < 300, JSON.stringify(sent.body));
    assert.equal((await agent.call('POST', `/api/v1/conversations/${conversation.id}/assign`, { userId: agent.userId })).status, 200);
    for (const action of ['read', 'resolve', 'reopen']) {
      const res = await agent.call('POST', `/api/v1/conversations/${conversation.id}/${action}`, {});
      assert.equal(res.status, 200, `${action}: ${JSON.stringify(res.body)}`);
    }
    const saved = await server.api('POST', '/api/v1/saved-replies', { title: 'On our way', body: 'On our way, {{first_name}}!' });
    assert.equal(saved.status, 201, JSON.stringify(saved.body));
    const rendered = await agent.call('POST', `/api/v1/conversations/${conversation.id}/saved-replies/${saved.body.savedReply.id}/render`, {});
    assert.equal(rendered.status, 200, JSON.stringify(rendered.body));
    assert.ok((await agent.call('POST', `/api/v1/conversations/${conversation.id}/notes`, { body: 'Basement leak' })).status < 300);
    assert.equal((await agent.call('PATCH', `/api/v1/contacts/${conversation.contact.id}`, { name: 'Pat Caller' })).status, 200);
    const lead = (await agent.call('GET', '/api/v1/leads')).body.leads[0];
    assert.ok(lead, 'the missed call opened a lead');
    const moved = await agent.call('PATCH', `/api/v1/leads/${lead.id}`, { stage: 'booked' });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    const task = await agent.call('POST', '/api/v1/tasks', { title: 'Bring the big wrench' });
    assert.equal(task.status, 201, JSON.stringify(task.body));
    assert.equal((await agent.call('POST', `/api/v1/tasks/${task.body.task.id}/done`)).status, 200);
    const own = await agent.call('PATCH', `/api/v1/team/${agent.userId}`, { name: 'Agent Smith', phone: '+15555550188', alertPrefs: { digest: 'daily' } });
    assert.equal(own.status, 200, JSON.stringify(own.body));
    // Their own entry, but not their own role.
    const promote = await agent.call('PATCH', `/api/v1/team/${agent.userId}`, { role: 'admin' });
    assert.equal(promote.status, 403);
  });

  test('an admin sets the business up but cannot make or change owners', async () => {
    const renamed = await admin.call('PATCH', '/api/v1/account', { name: 'Admin Plumbing' });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    const key = await admin.call('POST', '/api/v1/api-keys', { name: 'admin key' });
    assert.equal(key.status, 201);
    const makeOwner = await admin.call('PATCH', `/api/v1/team/${agent.userId}`, { role: 'owner' });
    assert.equal(makeOwner.status, 403);
    assert.match(makeOwner.body.error.message, /only owners may/);
    assert.equal((await admin.call('PATCH', `/api/v1/team/${ownerId}`, { role: 'agent' })).status, 403);
    assert.equal((await admin.call('DELETE', `/api/v1/team/${ownerId}`)).status, 403);
    assert.equal((await server.api('GET', `/api/v1/team/${agent.userId}`)).body.member.role, 'agent');
    // An admin invites people.
    await invite(server, 'agent2@example.com', 'agent', admin);
  });

  test("an API key acts with its user's role", async () => {
    const account = (await server.api('GET', '/api/v1/account')).body.account;
    const key = 'rb_agent_key_0123456789abcdefghijkl';
    await storeApiKey(server.ringback.store.db, { accountId: account.id, userId: agent.userId }, 'agent script', key, new Date().toISOString());
    refused(await server.api('PATCH', '/api/v1/account', { name: 'Key Rename' }, { key }), 'account settings');
    assert.equal((await server.api('GET', '/api/v1/conversations', undefined, { key })).status, 200);
    const me = await server.api('GET', '/api/v1/auth/me', undefined, { key });
    assert.equal(me.body.role, 'agent');
  });

  test('the composer measures a text: characters, encoding, segments, the characters that force UCS-2', async () => {
    const plain = await agent.call('POST', '/api/v1/messages/measure', { body: 'See you at 9' });
    assert.deepEqual(plain.body, { characters: 12, encoding: 'GSM-7', segments: 1, nonGsmCharacters: [] });
    const emoji = await agent.call('POST', '/api/v1/messages/measure', { body: 'Thanks 😀 see you’re fine' });
    assert.equal(emoji.body.encoding, 'UCS-2');
    assert.deepEqual(emoji.body.nonGsmCharacters, ['😀', '’']);
    const long = await agent.call('POST', '/api/v1/messages/measure', { body: 'x'.repeat(161) });
    assert.equal(long.body.segments, 2);
    const bad = await agent.call('POST', '/api/v1/messages/measure', { text: 'wrong field' });
    assert.equal(bad.status, 400);
  });

  test("a template preview is filled in with the account's own values and lists what is wrong", async () => {
    const accountName = (await server.api('GET', '/api/v1/account')).body.account.name;
    const good = await agent.call('POST', '/api/v1/templates/preview', {
      body: 'Hi {{first_name}}, {{business_name}} here from {{line_number}}. Reply STOP to opt out.',
      slot: 'after_hours',
    });
    assert.equal(good.status, 200, JSON.stringify(good.body));
    assert.equal(good.body.text, `Hi Sam, ${accountName} here from (555) 555-0100. Reply STOP to opt out.`);
    assert.deepEqual(good.body.errors, []);
    assert.equal(good.body.encoding, 'GSM-7');
    assert.equal(good.body.segments, 1);
    assert.equal(good.body.characters, [...good.body.text].length);
    const bad = await agent.call('POST', '/api/v1/templates/preview', { body: 'Hi {{frist_name}} {{booking_link}}' });
    assert.equal(bad.status, 200);
    assert.ok(bad.body.errors.some((e: string) => e.includes('unknown variable {{frist_name}}')));
    assert.ok(bad.body.errors.some((e: string) => e.includes('{{business_name}}')));
    assert.ok(bad.body.errors.some((e: string) => e.includes('opt out')));
    assert.ok(bad.body.errors.some((e: string) => e.includes('no booking link')));
    // A saved reply or follow-up step (purpose reply) need not name the business or say STOP.
    const reply = await agent.call('POST', '/api/v1/templates/preview', { body: 'Hi {{frist_name}}, still need help?', purpose: 'reply' });
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    assert.deepEqual(reply.body.errors, ['unknown variable {{frist_name}}; use one of business_name, first_name, callback_window, booking_link, line_number']);
    assert.equal((await agent.call('POST', '/api/v1/templates/preview', { body: 'x', purpose: 'ad' })).status, 400);
  });
});
