// Settings → Lines and carriers, and a line's own text-back messages (issue 7 "Settings: lines and
// carrier connections; templates with live preview"). The owner adds a line with two phones to
// ring (a bad phone is shown at its own input, nothing stored), pauses it and turns texting off
// (kept after a reload), gives it its own after-hours message with a live preview and takes it
// away again, and connects a Twilio account from Settings: bad credentials are refused in plain
// words, good ones connect, and removing a connection a line still uses is refused with the
// server's reason; once that line (added by mistake) is removed, the connection goes too. A line
// with calls stays, with the reason. An agent sees all of it without a single button to change it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { startFakeTwilio, type FakeTwilio } from '../../src/carriers/twilio/fake-twilio.ts';
import { assertNoHorizontalScroll, checkA11y, screenshot, signIn, signInAsOwner, startBrowserHarness, visited, waitForText, type BrowserHarness } from './harness.ts';

const ACCOUNT_SID = 'AC' + 'b2'.repeat(16);
const AUTH_TOKEN = 'c3'.repeat(16);
const TWILIO_LINE = '+14155552681';
const NEW_LINE = '+15555550142';
const NEW_LINE_SHOWN = '(555) 555-0142';

let h: BrowserHarness;
let twilio: FakeTwilio;
before(async () => {
  twilio = await startFakeTwilio({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, numbers: [TWILIO_LINE] });
  h = await startBrowserHarness();
});
after(async () => {
  await h?.close();
  await twilio?.close();
});

interface ApiLine {
  id: string;
  number: string;
  name: string;
  mode: string;
  carrierId: string;
  ringTargets: string[];
  paused: boolean;
  messagingEnabled: boolean;
}

async function lines(): Promise<ApiLine[]> {
  return (await h.server.api('GET', '/api/v1/lines')).body.lines as ApiLine[];
}

async function simulatorId(): Promise<string> {
  const carriers = (await h.server.api('GET', '/api/v1/carriers')).body.carriers as Array<{ id: string; kind: string }>;
  const sim = carriers.find((c) => c.kind === 'simulator');
  assert.ok(sim, 'the test server has the simulator connection');
  return sim.id;
}

async function openAddLine(page: Page) {
  await page.goto('/settings/lines');
  await page.getByRole('heading', { name: 'Lines', exact: true }).waitFor();
  await page.getByRole('button', { name: 'Add a line', exact: true }).click();
  const form = page.getByRole('form', { name: 'Add a line' });
  await form.waitFor();
  return form;
}

test('adding a line: a bad phone to ring is shown at its own input and nothing is stored (mobile)', async () => {
  const page = await h.newPage('mobile');
  await signInAsOwner(page);
  const form = await openAddLine(page);
  await form.getByLabel('Phone number', { exact: true }).fill('+1 555 555 0143');
  await form.getByLabel('Carrier connection', { exact: true }).selectOption(await simulatorId());
  await form.getByLabel('Phone to ring 1', { exact: true }).fill('+15555550177');
  await form.getByRole('button', { name: 'Add a phone to ring' }).click();
  await form.getByLabel('Phone to ring 2', { exact: true }).fill('not a phone');
  await form.getByRole('button', { name: 'Add this line' }).click();
  await waitForText(form.locator('.ring-target').nth(1).locator('.field-error'), /^Phone .+/, 'the server’s reason next to the second phone');
  assert.equal(await form.getByLabel('Phone to ring 2', { exact: true }).getAttribute('aria-invalid'), 'true', 'the second phone is marked invalid');
  assert.equal(await form.getByLabel('Phone to ring 1', { exact: true }).getAttribute('aria-invalid'), null, 'the first phone is fine');
  await waitForText(form.getByRole('alert'), /^Not added: fix what is marked below\.$/, 'the alert points at the marked input instead of repeating API field names');
  assert.equal((await lines()).some((l) => l.number === '+15555550143'), false, 'nothing was stored');
  await assertNoHorizontalScroll(page, 'adding a line at 375 px');
  await visited(page, 'settings-lines-add');
  await form.getByRole('button', { name: 'Cancel' }).click();
  await page.getByRole('button', { name: 'Add a line', exact: true }).waitFor();
});

test('adding a line on the simulator: forward mode, two phones to ring; it is listed with the set-up in plain words', async () => {
  const page = await h.newPage('desktop');
  await signInAsOwner(page);
  const form = await openAddLine(page);
  await form.getByLabel('Phone number', { exact: true }).fill(NEW_LINE);
  await form.getByLabel('Name (optional)', { exact: true }).fill('Second shop');
  await form.getByLabel('Carrier connection', { exact: true }).selectOption(await simulatorId());
  await form.getByRole('radio', { name: /Ringback rings your phones/ }).check();
  await form.getByLabel('Phone to ring 1', { exact: true }).fill('+15555550177');
  await form.getByRole('button', { name: 'Add a phone to ring' }).click();
  await form.getByLabel('Phone to ring 2', { exact: true }).fill('abc');
  await form.getByLabel('Ring for (seconds)', { exact: true }).fill('25');
  await form.getByRole('button', { name: 'Add this line' }).click();
  await waitForText(form.locator('.ring-target').nth(1).locator('.field-error'), /^Phone .+/, 'the bad second phone is named at its input');
  await checkA11y(page, 'add a line, with a field error');
  await screenshot(page, 'settings-lines-add');

  await form.getByLabel('Phone to ring 2', { exact: true }).fill('(555) 555-0178');
  await form.getByRole('button', { name: 'Add this line' }).click();
  const card = page.getByRole('region', { name: 'Lines', exact: true });
  await waitForText(card.getByRole('status').filter({ hasText: 'added' }), /555-0142 · Second shop is added\.[\s\S]*simulator sends this number's calls and texts to Ringback/, 'the added line and its set-up in plain words');
  await waitForText(card.getByRole('listitem').filter({ hasText: NEW_LINE_SHOWN }), /Rings your phones[\s\S]*rings \(555\) 555-0177, \(555\) 555-0178 for 25 s with call screening/, 'the new line is listed with its phones');
  const line = (await lines()).find((l) => l.number === NEW_LINE);
  assert.ok(line, 'the line is stored');
  assert.equal(line.name, 'Second shop');
  assert.equal(line.mode, 'forward');
  assert.deepEqual(line.ringTargets, ['+15555550177', '+15555550178']);
});

test('editing a line: paused and texting off say what they do and are kept after a reload; set up again answers in plain words', async () => {
  const page = await h.newPage('desktop');
  await signInAsOwner(page);
  await page.goto('/settings/lines');
  await page.getByRole('button', { name: `Edit ${NEW_LINE_SHOWN}` }).click();
  const form = page.getByRole('form', { name: `Edit ${NEW_LINE_SHOWN}` });
  await form.waitFor();
  assert.equal(await form.getByLabel('Phone to ring 2', { exact: true }).inputValue(), '+15555550178', 'the form starts from what is stored');
  await form.getByLabel('Paused', { exact: true }).check();
  await waitForText(form, /no automatic text goes out from this number/, 'pausing says what it does');
  await form.getByLabel('Texting on', { exact: true }).uncheck();
  await waitForText(form, /no text goes out from this number: no text-back, no follow-up, and replies from the inbox are refused/, 'texting off says what it does');
  await form.getByRole('button', { name: `Save ${NEW_LINE_SHOWN}` }).click();
  await waitForText(form.getByRole('status').filter({ hasText: 'Saved' }), /Saved\./, 'the saved status');
  await form.getByRole('button', { name: 'Set up at the simulator again' }).click();
  await waitForText(form.getByRole('status').filter({ hasText: 'simulator' }), /simulator sends this number's calls and texts to Ringback/, 'set up again, in plain words');
  await visited(page, 'settings-lines-edit');

  await page.reload();
  const row = page.getByRole('region', { name: 'Lines', exact: true }).getByRole('listitem').filter({ hasText: NEW_LINE_SHOWN });
  await waitForText(row, /Paused[\s\S]*Texting off[\s\S]*texting off/, 'paused and texting off after a reload');
  const line = (await lines()).find((l) => l.number === NEW_LINE);
  assert.equal(line?.paused, true);
  assert.equal(line?.messagingEnabled, false);
  assert.deepEqual(line?.ringTargets, ['+15555550177', '+15555550178'], 'the phones to ring are unchanged');

  // The edit form at 375 px: axe, and nothing sticks out sideways.
  const mobile = await h.newPage('mobile');
  await signInAsOwner(mobile);
  await mobile.goto('/settings/lines');
  await mobile.getByRole('button', { name: `Edit ${NEW_LINE_SHOWN}` }).click();
  await mobile.getByRole('form', { name: `Edit ${NEW_LINE_SHOWN}` }).waitFor();
  await assertNoHorizontalScroll(mobile, 'editing a line at 375 px');
  await checkA11y(mobile, 'edit a line (mobile)');
});

test("a line's own after-hours message: live preview with the line's number, saved, then back to the account's", async () => {
  const page = await h.newPage('desktop');
  await signInAsOwner(page);
  const business = (await h.server.api('GET', '/api/v1/account')).body.account.name as string;
  const line = (await lines()).find((l) => l.number === NEW_LINE)!;
  await page.goto('/settings/templates');
  const card = page.getByRole('region', { name: "A line's own messages" });
  await card.waitFor();
  await card.getByLabel('Line', { exact: true }).selectOption(line.id);
  const slot = card.getByRole('region', { name: `After hours on ${NEW_LINE_SHOWN}` });
  await waitForText(slot, /Account's message/, 'the slot uses the account’s message');
  await slot.getByRole('button', { name: 'Write a message for this line (After hours)' }).click();
  const body = '{{business_name}}, second shop: we open at 8 and will ring you then. This line: {{line_number}}. Reply STOP to opt out.';
  await slot.getByLabel(`After hours on ${NEW_LINE_SHOWN}: message`, { exact: true }).fill(body);
  const preview = slot.getByRole('group', { name: `After hours on ${NEW_LINE_SHOWN}: preview` });
  await waitForText(preview, new RegExp(`${business.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, second shop[\\s\\S]*This line: \\(555\\) 555-0142`), 'the preview fills in the business and this line’s number');
  await waitForText(preview, /segment/, 'the preview counts segments');
  await slot.getByRole('button', { name: 'Save after hours for this line' }).click();
  await waitForText(slot.getByRole('status'), /Saved\./, 'the saved status');
  await waitForText(slot, /Own message/, 'the slot now has its own message');
  const stored = (await h.server.api('GET', '/api/v1/templates')).body.templates as Array<{ slot: string; scope: string; body: string }>;
  assert.equal(stored.find((t) => t.scope === line.id && t.slot === 'after_hours')?.body, body, 'the override is stored for the line');
  assert.notEqual(stored.find((t) => t.scope === 'account' && t.slot === 'after_hours')?.body, body, "the account's message is untouched");
  await visited(page, 'settings-templates-line-override');

  await page.reload();
  await card.getByLabel('Line', { exact: true }).selectOption(line.id);
  await waitForText(slot, /Own message/, 'the override is still there after a reload');
  await slot.getByRole('button', { name: "Use the account's message again (After hours)" }).click();
  await waitForText(slot.getByRole('status'), /uses the account's after hours message again/, 'the removal status');
  await waitForText(slot, /Account's message/, 'the slot uses the account’s message again');
  const after = (await h.server.api('GET', '/api/v1/templates')).body.templates as Array<{ slot: string; scope: string }>;
  assert.equal(after.some((t) => t.scope === line.id), false, 'no override is left');

  const mobile = await h.newPage('mobile');
  await signInAsOwner(mobile);
  await mobile.goto('/settings/templates');
  const mcard = mobile.getByRole('region', { name: "A line's own messages" });
  await mcard.getByLabel('Line', { exact: true }).selectOption(line.id);
  await mcard.getByRole('button', { name: 'Write a message for this line (After hours)' }).click();
  await mcard.getByLabel(`After hours on ${NEW_LINE_SHOWN}: message`, { exact: true }).waitFor();
  await assertNoHorizontalScroll(mobile, "a line's own message at 375 px");
  await checkA11y(mobile, "a line's own message (mobile)");
});

test('carrier connections in Settings: bad credentials in plain words, a Twilio account connected, its removal refused while a line uses it', async () => {
  const page = await h.newPage('desktop');
  await signInAsOwner(page);
  // The form has no API address field: point this page's "connect" at the fake Twilio.
  await page.route('**/api/v1/carriers', async (route) => {
    const request = route.request();
    if (request.method() !== 'POST') return route.continue();
    const sent = JSON.parse(request.postData() ?? '{}') as Record<string, unknown>;
    return route.continue({ postData: JSON.stringify({ ...sent, apiBaseUrl: twilio.url }) });
  });
  await page.goto('/settings/lines');
  const carriers = page.getByRole('region', { name: 'Carrier connections' });
  await carriers.getByRole('button', { name: 'Connect a Twilio or Telnyx account' }).click();
  await carriers.getByLabel('Carrier', { exact: true }).selectOption({ label: 'Twilio' });
  await carriers.getByLabel('Account SID', { exact: true }).fill('AC-not-a-real-sid');
  await carriers.getByLabel('Auth Token', { exact: true }).fill('nope');
  await carriers.getByRole('button', { name: 'Check and connect' }).click();
  const status = carriers.locator('.connect-status');
  await waitForText(status, /Not connected\.[\s\S]*Account SID[\s\S]*AC followed by 32 hex digits/, 'a malformed Account SID, in plain words');
  await checkA11y(page, 'connect a carrier from settings, refused');

  await carriers.getByLabel('Account SID', { exact: true }).fill(ACCOUNT_SID);
  await carriers.getByLabel('Auth Token', { exact: true }).fill('d4'.repeat(16));
  await carriers.getByRole('button', { name: 'Check and connect' }).click();
  await waitForText(status, /Not connected\. Twilio connection not added: Twilio rejected the Account SID or Auth Token/, 'credentials Twilio refuses, in plain words');
  const kinds = () => h.server.api('GET', '/api/v1/carriers').then((r) => (r.body.carriers as Array<{ kind: string }>).map((c) => c.kind));
  assert.deepEqual(await kinds(), ['simulator'], 'nothing is stored after a refused check');
  await screenshot(page, 'settings-carriers-connect-failed');

  await carriers.getByLabel('Auth Token', { exact: true }).fill(AUTH_TOKEN);
  await carriers.getByRole('button', { name: 'Check and connect' }).click();
  await waitForText(status, /Twilio is connected[\s\S]*Next: add a line/, 'connected, with the next step');
  await waitForText(carriers.getByRole('list').first(), /Ringback test account/, 'the connection is listed');
  const twilioId = ((await h.server.api('GET', '/api/v1/carriers')).body.carriers as Array<{ id: string; kind: string }>).find((c) => c.kind === 'twilio')!.id;

  // A line on it, set up at Twilio by Ringback.
  const form = await openAddLine(page);
  await form.getByLabel('Phone number', { exact: true }).fill(TWILIO_LINE);
  await form.getByLabel('Carrier connection', { exact: true }).selectOption(twilioId);
  await form.getByRole('radio', { name: /Your phone forwards missed calls here/ }).check();
  assert.equal(await form.getByLabel('Phone to ring 1', { exact: true }).count(), 0, 'no phones to ring outside forward mode');
  assert.equal(await form.getByLabel('Set up the number at Twilio for me', { exact: true }).isChecked(), true, 'set up at the carrier by default');
  await form.getByRole('button', { name: 'Add this line' }).click();
  await waitForText(page.getByRole('region', { name: 'Lines', exact: true }).getByRole('status').filter({ hasText: 'added' }), /Done: Twilio now sends this number's calls and texts to Ringback/, 'the carrier set-up in plain words');
  assert.match(twilio.numberWebhooks(TWILIO_LINE)?.voiceUrl ?? '', new RegExp(`/webhooks/twilio/${twilioId}/voice$`), 'the number points at Ringback at Twilio');

  await page.goto('/settings/lines');
  const row = carriers.getByRole('listitem').filter({ hasText: 'Ringback test account' });
  await row.getByRole('button', { name: /^Remove / }).click();
  await row.getByRole('button', { name: /^Remove .* now$/ }).click();
  await waitForText(row.getByRole('alert'), /was not removed\. The connection still serves 1 line\(s\) \(\+14155552681\)/, "the server's refusal, clearly");
  assert.ok((await kinds()).includes('twilio'), 'the connection is still there');
  assert.equal(await carriers.getByRole('listitem').filter({ hasText: /Simulator|simulator/ }).getByRole('button', { name: /^Remove / }).count(), 0, 'the built-in simulator has no Remove button');
  await visited(page, 'settings-lines-carriers');

  // The line was a mistake: remove it (nothing happened on it), then the connection goes too.
  const twilioShown = '(415) 555-2681';
  await page.getByRole('button', { name: `Edit ${twilioShown}` }).click();
  const edit = page.getByRole('form', { name: `Edit ${twilioShown}` });
  await edit.getByRole('button', { name: `Remove ${twilioShown}`, exact: true }).click();
  await edit.getByRole('button', { name: `Remove ${twilioShown} now` }).click();
  await waitForText(page.getByRole('region', { name: 'Lines', exact: true }).getByRole('status').filter({ hasText: 'removed' }), /\(415\) 555-2681 is removed\./, 'the line is removed');
  assert.equal((await lines()).some((l) => l.number === TWILIO_LINE), false, 'the line is gone');
  await row.getByRole('button', { name: /^Remove / }).click();
  await row.getByRole('button', { name: /^Remove .* now$/ }).click();
  await h.server.waitFor(async () => !(await kinds()).includes('twilio'), 'the connection is removed');
  await carriers.getByRole('listitem').filter({ hasText: 'Ringback test account' }).waitFor({ state: 'detached' });
});

test('a line with calls cannot be removed: the refusal says why and what to do instead', async () => {
  const called = await h.server.api('POST', '/api/v1/simulator/calls', { from: '+15555550188', to: NEW_LINE, outcome: 'unanswered' });
  assert.ok(called.status < 300, JSON.stringify(called.body));
  await h.server.waitFor(async () => ((await h.server.api('GET', '/api/v1/calls?limit=50')).body.calls as Array<{ to: string }>).some((c) => c.to === NEW_LINE), 'the call is recorded');
  const page = await h.newPage('desktop');
  await signInAsOwner(page);
  await page.goto('/settings/lines');
  await page.getByRole('button', { name: `Edit ${NEW_LINE_SHOWN}` }).click();
  const edit = page.getByRole('form', { name: `Edit ${NEW_LINE_SHOWN}` });
  await edit.getByRole('button', { name: `Remove ${NEW_LINE_SHOWN}`, exact: true }).click();
  await edit.getByRole('button', { name: `Remove ${NEW_LINE_SHOWN} now` }).click();
  await waitForText(edit.getByRole('alert'), /was not removed\. \+15555550142 has 1 call[\s\S]*pause it or turn texting off instead/, "the server's refusal");
  assert.ok((await lines()).some((l) => l.number === NEW_LINE), 'the line is still there');
});

test('an agent sees lines, carriers and line messages with no button to change them', async () => {
  const added = await h.server.api('POST', '/api/v1/team', { email: 'lines.agent@ringback.local', name: 'Lee Agent', role: 'agent' });
  assert.equal(added.status, 201, JSON.stringify(added.body));
  const url = new URL(added.body.inviteUrl as string, 'http://x');
  const token = url.searchParams.get('token') ?? url.pathname.split('/').filter(Boolean).at(-1);
  const accepted = await h.server.api('POST', '/api/v1/auth/invitations/accept', { token, password: 'agent password 2026' }, { key: null });
  assert.ok(accepted.status < 300, `accepting the invitation: ${accepted.status} ${JSON.stringify(accepted.body)}`);
  const line = (await lines()).find((l) => l.number === NEW_LINE)!;
  const saved = await h.server.api('PUT', '/api/v1/templates/text-back/weekend', { body: '{{business_name}} weekend line: back Monday. Reply STOP to opt out.', lineId: line.id });
  assert.equal(saved.status, 200, JSON.stringify(saved.body));

  const page = await h.newPage('mobile');
  await signIn(page, 'lines.agent@ringback.local', 'agent password 2026');
  await page.goto('/settings/lines');
  const lineCard = page.getByRole('region', { name: 'Lines', exact: true });
  await waitForText(lineCard, /555-0142[\s\S]*Second shop/, 'the agent sees the lines');
  await waitForText(page.getByRole('region', { name: 'Carrier connections' }), /Built-in simulator[\s\S]*2 lines/, 'the agent sees the connections');
  const main = page.getByRole('main');
  for (const name of [/^Add a line$/, /^Edit /, /^Remove /, /^Check /, /^Connect a Twilio/]) {
    assert.equal(await main.getByRole('button', { name }).count(), 0, `no ${name} button for an agent`);
  }
  await visited(page, 'settings-lines-agent');

  await page.goto('/settings/templates');
  const card = page.getByRole('region', { name: "A line's own messages" });
  await card.getByLabel('Line', { exact: true }).selectOption(line.id);
  const weekend = card.getByRole('region', { name: `At the weekend on ${NEW_LINE_SHOWN}` });
  await waitForText(weekend, /Own message/, 'the agent sees the override');
  assert.equal(await weekend.getByLabel(`At the weekend on ${NEW_LINE_SHOWN}: message`, { exact: true }).isDisabled(), true, 'read-only for an agent');
  assert.equal(await card.getByRole('button').count(), 0, 'no buttons in the line messages for an agent');
});
