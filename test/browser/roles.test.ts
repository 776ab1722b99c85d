// Role restrictions (issue 7 "roles (owner, admin, agent) enforced by the server, not only hidden
// in the UI"): an agent invited through the API signs in, works the inbox, and the server refuses
// the agent's settings changes with 403 (through the UI where the UI offers them, and through
// fetch with the agent's own session cookie and CSRF token where it does not).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEMO_LINE, settle } from '../helpers.ts';
import { fetchInPage, openScreen, signIn, startBrowserHarness, visited, waitForText, type BrowserHarness } from './harness.ts';

let h: BrowserHarness;
const AGENT_EMAIL = 'alex.agent@ringback.local';
const AGENT_PASSWORD = 'agent password 2026';
const CALLER = '+15555550177';

before(async () => {
  h = await startBrowserHarness();
  // A conversation to work on: a missed call on the demo line, texted back.
  const call = await h.server.api('POST', '/api/v1/simulator/calls', { from: CALLER, to: DEMO_LINE, outcome: 'unanswered' });
  assert.equal(call.status, 202, JSON.stringify(call.body));
  await settle(h.server);
});
after(async () => {
  await h?.close();
});

function inviteToken(inviteUrl: string): string {
  const url = new URL(inviteUrl, 'http://x');
  const token = url.searchParams.get('token') ?? url.pathname.split('/').filter(Boolean).at(-1);
  assert.ok(token, `no token in inviteUrl ${inviteUrl}`);
  return token;
}

test('an agent signs in, works the inbox, and the server refuses their settings changes', async () => {
  const added = await h.server.api('POST', '/api/v1/team', { email: AGENT_EMAIL, name: 'Alex Agent', role: 'agent' });
  assert.equal(added.status, 201, JSON.stringify(added.body));
  const inviteUrl: unknown = added.body.inviteUrl ?? added.body.member?.inviteUrl;
  assert.equal(typeof inviteUrl, 'string', `POST /team answers an inviteUrl when no mailer is set: ${JSON.stringify(added.body)}`);
  const accepted = await h.server.api('POST', '/api/v1/auth/invitations/accept', { token: inviteToken(inviteUrl as string), password: AGENT_PASSWORD }, { key: null });
  assert.ok(accepted.status === 200 || accepted.status === 201 || accepted.status === 204, `accepting the invitation: ${accepted.status} ${JSON.stringify(accepted.body)}`);

  const page = await h.newPage('desktop');
  await signIn(page, AGENT_EMAIL, AGENT_PASSWORD);

  // The inbox works for an agent.
  await openScreen(page, 'Inbox');
  const conversations = page.getByRole('list', { name: 'Conversations' });
  await conversations.getByRole('link').first().click();
  const thread = page.getByRole('region', { name: 'Conversation' });
  const messages = thread.getByRole('log', { name: 'Messages' });
  await waitForText(messages, /Reply STOP to opt out/i, 'the text-back in the agent\'s thread');
  await thread.getByLabel('Message', { exact: true }).fill('Hi, this is Alex. When suits you?');
  await thread.getByRole('button', { name: 'Send', exact: true }).click();
  await waitForText(messages, /Hi, this is Alex\. When suits you\?/, 'the agent\'s reply in the thread');
  await h.server.waitFor(async () => (await h.server.phoneInbox(CALLER)).some((m) => m.body === 'Hi, this is Alex. When suits you?'), 'the agent\'s reply on the caller\'s phone', 10_000);
  await page.getByLabel('Note', { exact: true }).fill('Gate code 4471');
  await page.getByRole('button', { name: 'Add note' }).click();
  await waitForText(page.locator('body'), /Gate code 4471/, 'the agent\'s note shown');
  await visited(page, 'inbox-thread-agent');

  // The agent's session and CSRF token are good for what an agent may do…
  const conversationId = new URL(page.url()).pathname.split('/').at(-1)!;
  const note = await fetchInPage(page, 'POST', `/api/v1/conversations/${conversationId}/notes`, { body: 'Second note from the agent' });
  assert.equal(note.status, 201, `an agent may add a note: ${JSON.stringify(note.body)}`);

  // …and refused, by the server, for settings.
  const before = (await h.server.api('GET', '/api/v1/account')).body.account.name;
  const refusals: Array<[string, string, unknown]> = [
    ['PATCH', '/api/v1/account', { name: 'Renamed by an agent' }],
    ['PUT', '/api/v1/templates/text-back/closed', { body: '{{business_name}}: agents cannot change this. Reply STOP to opt out.' }],
    ['POST', '/api/v1/api-keys', { name: 'agent key' }],
    ['POST', '/api/v1/team', { email: 'friend@ringback.local', name: 'Friend', role: 'admin' }],
  ];
  for (const [method, url, body] of refusals) {
    const res = await fetchInPage(page, method, url, body);
    assert.equal(res.status, 403, `${method} ${url} as an agent: expected 403, got ${res.status} ${JSON.stringify(res.body)}`);
    assert.doesNotMatch(JSON.stringify(res.body), /csrf/i, `${method} ${url}: refused for the role, not for a missing CSRF token`);
  }
  assert.equal((await h.server.api('GET', '/api/v1/account')).body.account.name, before, 'the account is unchanged');

  // Where the UI offers a settings change to an agent, it shows the refusal and changes nothing.
  const nav = page.getByRole('navigation', { name: 'Main' });
  if ((await nav.getByRole('link', { name: 'Get started', exact: true }).count()) > 0) {
    await openScreen(page, 'Get started');
    const businessName = page.getByLabel('Business name', { exact: true });
    if ((await businessName.count()) > 0 && (await businessName.isEditable())) {
      await businessName.fill('Renamed by an agent in the UI');
      await page.getByRole('button', { name: 'Save business' }).click();
      await waitForText(page.getByRole('alert').first(), /\S/, 'the refusal shown to the agent');
      assert.equal((await h.server.api('GET', '/api/v1/account')).body.account.name, before, 'the account is unchanged after the agent\'s try in the UI');
      await visited(page, 'get-started-agent-refused');
    }
  }
});
