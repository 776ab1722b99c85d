// Settings (issue 7 "Settings"): the owner changes the business name and sees it in the header,
// saves a text-back template and sees its preview, holds text-backs until lawful hours (kept after
// a reload), and an automation window that could never send shows the server's reason. Every
// section passes axe and is photographed at both viewports without sideways scroll.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { assertNoHorizontalScroll, openScreen, signIn, signInAsOwner, startBrowserHarness, visited, waitForText, type BrowserHarness, type ViewportName } from './harness.ts';

let h: BrowserHarness;
before(async () => {
  h = await startBrowserHarness();
});
after(async () => {
  await h?.close();
});

const SECTIONS: Array<[string, string]> = [
  ['Business', 'business'],
  ['Text-back templates', 'templates'],
  ['Compliance', 'compliance'],
  ['Follow-up sequences', 'follow-ups'],
  ['Team and alerts', 'team'],
  ['API keys and webhooks', 'api'],
  ['Lines and carriers', 'lines'],
];

const SECTION_HEADING: Record<string, string> = { 'Text-back templates': 'After hours', 'Follow-up sequences': 'Missed call follow-up', 'Team and alerts': 'Members', 'API keys and webhooks': 'API keys', 'Lines and carriers': 'Lines' };

async function openSection(page: Page, name: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Settings sections' }).getByRole('link', { name, exact: true }).click();
  await page.getByRole('heading', { name: SECTION_HEADING[name] ?? name, exact: true }).waitFor();
}

test('business: a new name is saved and shows in the header; holidays are added', async () => {
  const page = await h.newPage('desktop');
  await signInAsOwner(page);
  await openScreen(page, 'Settings');
  await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
  await page.getByRole('heading', { name: 'Business', exact: true }).waitFor();

  await page.getByLabel('Business name', { exact: true }).fill('Harbor Heating');
  await page.getByLabel('Add a holiday', { exact: true }).fill('2026-12-25');
  await page.getByRole('button', { name: 'Add date' }).click();
  await page.getByRole('button', { name: /Remove holiday/ }).first().waitFor();
  await page.getByRole('button', { name: 'Save business' }).click();
  await waitForText(page.getByRole('status').filter({ hasText: 'Saved' }), /Saved\./, 'the saved status');
  await waitForText(page.locator('.account-name'), /Harbor Heating/, 'the header shows the new business name');
  const account = (await h.server.api('GET', '/api/v1/account')).body.account;
  assert.equal(account.name, 'Harbor Heating');
  assert.ok(account.holidays.includes('2026-12-25'), `the holiday is stored (${JSON.stringify(account.holidays)})`);
});

test('templates: typing fills the preview with the business name and counts segments; saving keeps it', async () => {
  const page = await h.newPage('desktop');
  await signInAsOwner(page);
  await page.goto('/settings/templates');
  await page.getByRole('heading', { name: 'After hours', exact: true }).waitFor();
  const body = '{{business_name}}: sorry we missed your call, we will ring you back first thing. Reply STOP to opt out.';
  await page.getByLabel('After hours: message', { exact: true }).fill(body);
  const preview = page.getByRole('group', { name: 'After hours: preview' });
  await waitForText(preview, /Harbor Heating: sorry we missed your call/, 'the preview fills in the business name');
  await waitForText(preview, /\b1 segment\b.*GSM-7/, 'the segment and encoding line');
  await page.getByRole('button', { name: 'Save after hours' }).click();
  await waitForText(page.getByRole('status').filter({ hasText: 'Saved' }), /Saved\./, 'the saved status');
  const templates = (await h.server.api('GET', '/api/v1/templates')).body.templates as Array<{ slot: string; scope: string; body: string }>;
  assert.equal(templates.find((t) => t.slot === 'after_hours' && t.scope === 'account')?.body, body);
});

test('compliance: hold outside lawful hours is kept after a reload; a window that never sends shows the server’s reason', async () => {
  const page = await h.newPage('desktop');
  await signInAsOwner(page);
  await page.goto('/settings/compliance');
  await page.getByRole('heading', { name: 'Compliance', exact: true }).waitFor();
  await page.getByRole('radio', { name: /Hold until lawful hours/ }).check();
  await page.getByRole('button', { name: 'Save compliance' }).click();
  await waitForText(page.getByRole('status').filter({ hasText: 'Saved' }), /Saved\./, 'the saved status');
  await page.reload();
  await page.getByRole('heading', { name: 'Compliance', exact: true }).waitFor();
  assert.equal(await page.getByRole('radio', { name: /Hold until lawful hours/ }).isChecked(), true, 'hold is still chosen after a reload');
  assert.equal((await h.server.api('GET', '/api/v1/account')).body.account.textBackOutsideLawfulHours, 'hold');

  // Our own window, only late at night: never inside 08:00–21:00, so the server refuses it.
  await page.getByRole('radio', { name: /Only inside our own hours/ }).check();
  for (const day of ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday']) {
    await page.getByLabel(`${day} automated texts from`, { exact: true }).fill('22:00');
    await page.getByLabel(`${day} automated texts until`, { exact: true }).fill('23:00');
  }
  await page.getByRole('button', { name: 'Save compliance' }).click();
  await waitForText(page.locator('.field-error').first(), /never inside lawful hours/, 'the server’s reason next to the window');
  await page.getByRole('alert').first().waitFor();
  assert.equal((await h.server.api('GET', '/api/v1/account')).body.account.automationHours, null, 'nothing was stored');
});

test('follow-ups: a wait that is too short is shown at its step; a fixed one saves; a text previews', async () => {
  const page = await h.newPage('desktop');
  await signInAsOwner(page);
  await page.goto('/settings/follow-ups');
  const card = page.getByRole('region', { name: 'Missed call follow-up' });
  await card.waitFor();
  const wait = card.getByLabel('Step 1: wait (minutes)', { exact: true });
  await wait.fill('5');
  await card.getByRole('button', { name: 'Save Missed call follow-up' }).click();
  const waitError = await waitForText(card.locator('.seq-step').first().locator('.field-error'), /\S/, 'the error is shown at step 1');
  assert.equal(await wait.getAttribute('aria-invalid'), 'true', `step 1 is marked invalid (${waitError})`);

  await wait.fill('180');
  const text = card.getByLabel('Step 2: text', { exact: true });
  await text.fill('Hi {{first_name}}, {{business_name}} here again: still need a hand? Reply STOP to opt out.');
  await waitForText(card.getByRole('group', { name: 'Step 2: preview' }), /Harbor Heating here again.*\n?.*1 segment/s, 'the step previews with the business name and its segments');
  await card.getByRole('button', { name: 'Save Missed call follow-up' }).click();
  await waitForText(card.getByRole('status').filter({ hasText: 'Saved' }), /Saved\./, 'the saved status');
  const seq = ((await h.server.api('GET', '/api/v1/sequences')).body.sequences as Array<{ name: string; steps: Array<{ type: string; minutes?: number; body?: string }> }>).find((s) => s.name === 'Missed call follow-up');
  assert.equal(seq?.steps[0]?.minutes, 180);
  assert.match(seq?.steps[1]?.body ?? '', /still need a hand/);

  await card.getByRole('button', { name: 'Turn off Missed call follow-up' }).click();
  await card.getByRole('button', { name: 'Turn on Missed call follow-up' }).waitFor();
  assert.equal(((await h.server.api('GET', '/api/v1/sequences')).body.sequences as Array<{ name: string; enabled: boolean }>).find((s) => s.name === 'Missed call follow-up')?.enabled, false);
  await card.getByRole('button', { name: 'Turn on Missed call follow-up' }).click();
  await card.getByRole('button', { name: 'Turn off Missed call follow-up' }).waitFor();
});

test('team: an invitation gives a link to pass on; the owner sets their phone and alerts', async () => {
  const page = await h.newPage('desktop');
  await signInAsOwner(page);
  await page.goto('/settings/team');
  await page.getByRole('heading', { name: 'Members', exact: true }).waitFor();
  await page.getByLabel('Their name', { exact: true }).fill('Rosa Diaz');
  await page.getByLabel('Their email', { exact: true }).fill('rosa@example.com');
  await page.getByRole('button', { name: 'Send invitation' }).click();
  await waitForText(page.getByRole('status').filter({ hasText: 'Rosa Diaz' }), /Rosa Diaz is added/, 'the invitation result');
  await page.getByText('rosa@example.com').first().waitFor();

  await page.getByRole('button', { name: /^Alerts for .*owner|^Alerts for / }).first().click();
  await page.getByLabel('Phone for alerts', { exact: true }).fill('+15555550199');
  await page.getByLabel('On call: paged for emergencies at any hour, on every channel').check();
  await page.getByRole('button', { name: /^Save alerts for/ }).click();
  await waitForText(page.getByRole('status').filter({ hasText: 'Saved' }), /Saved\./, 'the saved status');
  const members = (await h.server.api('GET', '/api/v1/team')).body.members as Array<{ email: string; phone: string | null; alertPrefs: { onCall: boolean } }>;
  const owner = members.find((m) => m.email === 'owner@ringback.local');
  assert.equal(owner?.phone, '+15555550199');
  assert.equal(owner?.alertPrefs.onCall, true);
  assert.ok(members.some((m) => m.email === 'rosa@example.com'), 'the invited member is listed');
});

test('API keys and webhooks: a new key and a webhook secret are shown once; a key is revoked; a test event shows in the log', async () => {
  const page = await h.newPage('desktop');
  await signInAsOwner(page);
  await page.goto('/settings/api');
  await page.getByRole('heading', { name: 'API keys', exact: true }).waitFor();
  await page.getByLabel("New key's name", { exact: true }).fill('Zapier');
  await page.getByRole('button', { name: 'Create key' }).click();
  await waitForText(page.getByRole('status').filter({ hasText: 'Zapier' }), /rb_\S+/, 'the new key is shown once');
  await page.getByRole('button', { name: 'Revoke Zapier', exact: true }).click();
  await page.getByRole('button', { name: 'Revoke Zapier now' }).click();
  await page.getByText('Revoked', { exact: true }).first().waitFor();
  const keys = (await h.server.api('GET', '/api/v1/api-keys')).body.apiKeys as Array<{ name: string; revokedAt: string | null }>;
  assert.ok(keys.find((k) => k.name === 'Zapier')?.revokedAt, 'the key is revoked');

  await page.getByLabel('Webhook URL', { exact: true }).fill('not a url');
  await page.getByRole('button', { name: 'Add webhook' }).click();
  await waitForText(page.locator('.field-error').first(), /URL must be an http\(s\) URL/, 'the URL error next to the field');
  await page.getByLabel('Webhook URL', { exact: true }).fill('http://127.0.0.1:9/ringback-hook');
  await page.getByRole('button', { name: 'Add webhook' }).click();
  await waitForText(page.getByRole('status').filter({ hasText: 'Signing secret' }), /whsec_\S+/, 'the signing secret is shown once');
  await page.getByRole('button', { name: /^Send a test event/ }).click();
  await waitForText(page.getByRole('list', { name: 'Delivery log' }), /ping/, 'the test event shows in the delivery log');
  await page.getByRole('button', { name: /^Turn off/ }).click();
  await page.getByRole('button', { name: /^Turn on/ }).waitFor();
});

test('lines and carriers: the demo line is listed; checking the simulator answers in plain words', async () => {
  const page = await h.newPage('desktop');
  await signInAsOwner(page);
  await page.goto('/settings/lines');
  const lines = page.getByRole('region', { name: 'Lines', exact: true });
  await waitForText(lines, /555.*0100/, 'the demo line is listed');
  const carriers = page.getByRole('region', { name: 'Carrier connections' });
  await carriers.getByRole('button', { name: /^Check / }).first().click();
  await waitForText(carriers.getByRole('status').first(), /checks out|need fixing|set up correctly/, 'the check result in plain words');
});

test('an agent sees the settings read-only, with a note, but may change their own alerts', async () => {
  const added = await h.server.api('POST', '/api/v1/team', { email: 'sam.agent@ringback.local', name: 'Sam Agent', role: 'agent' });
  assert.equal(added.status, 201, JSON.stringify(added.body));
  const url = new URL(added.body.inviteUrl as string, 'http://x');
  const token = url.searchParams.get('token') ?? url.pathname.split('/').filter(Boolean).at(-1);
  const accepted = await h.server.api('POST', '/api/v1/auth/invitations/accept', { token, password: 'agent password 2026' }, { key: null });
  assert.ok(accepted.status < 300, `accepting the invitation: ${accepted.status} ${JSON.stringify(accepted.body)}`);

  const page = await h.newPage('mobile');
  await signIn(page, 'sam.agent@ringback.local', 'agent password 2026');
  await page.goto('/settings/business');
  await page.getByRole('heading', { name: 'Business', exact: true }).waitFor();
  await waitForText(page.locator('.alert-warn'), /signed in as an agent/, 'the read-only note');
  assert.equal(await page.getByLabel('Business name', { exact: true }).isDisabled(), true, 'the business name cannot be edited');
  assert.equal(await page.getByRole('button', { name: 'Save business' }).count(), 0, 'no save button for an agent');
  await visited(page, 'settings-business-agent');

  await page.goto('/settings/team');
  await page.getByRole('button', { name: 'Alerts for Sam Agent' }).click();
  await page.getByLabel('Phone for alerts', { exact: true }).fill('+15555550188');
  await page.getByRole('button', { name: 'Save alerts for Sam Agent' }).click();
  await waitForText(page.getByRole('status').filter({ hasText: 'Saved' }), /Saved\./, 'the agent saved their own alerts');
});

for (const viewport of ['desktop', 'mobile'] as ViewportName[]) {
  test(`every settings section passes axe, fits the ${viewport} width, and is photographed`, async () => {
    const page = await h.newPage(viewport);
    await signInAsOwner(page);
    await page.goto('/settings');
    await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
    for (const [name, id] of SECTIONS) {
      await openSection(page, name);
      assert.match(page.url(), new RegExp(`/settings/${id}$`));
      // The previews have the server's rendering (no {{variables}} left) before the picture.
      await page.waitForFunction("[...document.querySelectorAll('.preview .bubble')].every((b) => !(b.textContent || '').includes('{{'))", undefined, { timeout: 5000 });
      await assertNoHorizontalScroll(page, `Settings → ${name}`);
      await visited(page, `settings-${id}`);
    }
  });
}
