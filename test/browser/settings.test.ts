// Settings (issue 7 "Settings"): the owner changes the business name and sees it in the header,
// saves a text-back template and sees its preview, holds text-backs until lawful hours (kept after
// a reload), and an automation window that could never send shows the server's reason. Every
// section passes axe and is photographed at both viewports without sideways scroll.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { assertNoHorizontalScroll, openScreen, signInAsOwner, startBrowserHarness, visited, waitForText, type BrowserHarness, type ViewportName } from './harness.ts';

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
];

async function openSection(page: Page, name: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Settings sections' }).getByRole('link', { name, exact: true }).click();
  await page.getByRole('heading', { name: name === 'Text-back templates' ? 'After hours' : name, exact: true }).waitFor();
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

for (const viewport of ['desktop', 'mobile'] as ViewportName[]) {
  test(`every settings section passes axe, fits the ${viewport} width, and is photographed`, async () => {
    const page = await h.newPage(viewport);
    await signInAsOwner(page);
    await page.goto('/settings');
    await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
    for (const [name, id] of SECTIONS) {
      await openSection(page, name);
      assert.match(page.url(), new RegExp(`/settings/${id}$`));
      await assertNoHorizontalScroll(page, `Settings → ${name}`);
      await visited(page, `settings-${id}`);
    }
  });
}
