// The first-start sign-in link (`npm start` prints /welcome?token=…): it signs the owner in, asks
// for a new password ("New password", "Set password") and then goes to Get started; the new
// password is the one that works from then on.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { OWNER_EMAIL, signIn, startBrowserHarness, visited, type BrowserHarness } from './harness.ts';

let h: BrowserHarness;
before(async () => {
  h = await startBrowserHarness();
});
after(async () => {
  await h?.close();
});

test('the welcome link signs the owner in, sets a new password and goes to Get started', async () => {
  // The very link the first start printed (`npm start` shows /welcome?token=…).
  const token = h.server.welcomeToken;
  assert.ok(token, 'the first start made a welcome link');

  const page = await h.newPage('desktop');
  await page.goto(`/welcome?token=${encodeURIComponent(token)}`);
  const newPassword = page.getByLabel('New password', { exact: true });
  await newPassword.waitFor();
  await visited(page, 'welcome');
  await newPassword.fill('my own new password 42');
  await page.getByRole('button', { name: 'Set password' }).click();
  await page.getByRole('heading', { name: 'Get started' }).waitFor();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();

  // The link works once.
  const again = await h.newPage('desktop');
  await again.goto(`/welcome?token=${encodeURIComponent(token)}`);
  await again.getByRole('alert').first().waitFor();
  assert.equal(await again.getByRole('navigation', { name: 'Main' }).count(), 0, 'a spent welcome link does not sign in');

  // The new password is the owner's now.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await signIn(page, OWNER_EMAIL, 'my own new password 42');
});
