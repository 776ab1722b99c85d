// Several businesses on one install (DESIGN: the agency "wants many accounts on one install"): an
// owner adds a business from Settings → Business, lands in it, and switches back from the top bar;
// each business shows only its own conversations.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEMO_LINE, settle } from '../helpers.ts';
import { assertNoHorizontalScroll, openScreen, signInAsOwner, startBrowserHarness, visited, waitForText, type BrowserHarness } from './harness.ts';

let h: BrowserHarness;
const CALLER = '+15555550166';

before(async () => {
  h = await startBrowserHarness();
  const call = await h.server.api('POST', '/api/v1/simulator/calls', { from: CALLER, to: DEMO_LINE, outcome: 'unanswered' });
  assert.equal(call.status, 202, JSON.stringify(call.body));
  await settle(h.server);
});
after(async () => {
  await h?.close();
});

test('an owner adds a business, lands in it, and switches back from the top bar', async () => {
  const page = await h.newPage('desktop');
  await signInAsOwner(page);
  // One business: no switcher, just its name.
  assert.equal(await page.getByLabel('Business', { exact: true }).count(), 0);

  await openScreen(page, 'Settings');
  await page.getByRole('link', { name: 'Business', exact: true }).click();
  const card = page.getByRole('region', { name: 'Add a business' });
  await card.getByLabel('New business name').fill('Acme Heating');
  await card.getByLabel('Its time zone').selectOption('America/Denver');
  await card.getByRole('button', { name: 'Add business and switch to it' }).click();

  // In the new business: Get started, its own name, an empty inbox.
  await page.waitForURL(/\/get-started$/);
  const switcher = page.getByLabel('Business', { exact: true });
  await switcher.waitFor();
  assert.equal(await switcher.locator('option:checked').textContent(), 'Acme Heating (owner)');
  await openScreen(page, 'Inbox');
  await waitForText(page.locator('main'), /No open conversations|Nothing here/i, 'the new business has an empty inbox');
  await visited(page, 'business-switcher');

  // Back to the first business from the top bar: its conversation is there.
  await switcher.selectOption({ label: 'Demo Plumbing (owner)' });
  await page.waitForURL(/\/inbox$/);
  await waitForText(page.getByRole('list', { name: 'Conversations' }), /555.*0166/, 'the first business keeps its conversation');
  assert.equal(await page.getByLabel('Business', { exact: true }).locator('option:checked').textContent(), 'Demo Plumbing (owner)');
});

test('the switcher fits a 375 px phone', async () => {
  const page = await h.newPage('mobile');
  await signInAsOwner(page);
  await page.getByLabel('Business', { exact: true }).waitFor();
  await assertNoHorizontalScroll(page, 'the top bar with the business switcher');
  await visited(page, 'business-switcher');
});
