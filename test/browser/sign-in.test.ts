// Sign-in errors, a successful sign-in landing in the app, and sign-out (issue 7: "sign-in errors").
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { checkA11y, OWNER_EMAIL, OWNER_PASSWORD, screenshot, startBrowserHarness, waitForText, type BrowserHarness } from './harness.ts';

let h: BrowserHarness;
before(async () => {
  h = await startBrowserHarness();
});
after(async () => {
  await h?.close();
});

test('a wrong password is refused with an alert, the right one lands in the app, and sign-out ends the session', async () => {
  const page = await h.newPage('desktop');
  await page.goto('/sign-in');
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await checkA11y(page, 'sign-in');
  await screenshot(page, 'sign-in');

  await page.getByLabel('Email', { exact: true }).fill(OWNER_EMAIL);
  await page.getByLabel('Password', { exact: true }).fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  const alert = page.getByRole('alert');
  const said = await waitForText(alert, /\S/, 'the alert after a wrong password');
  assert.doesNotMatch(said, /correct horse/, 'the alert does not echo the password');
  assert.equal(await page.getByRole('navigation', { name: 'Main' }).count(), 0, 'a wrong password does not enter the app');
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await checkA11y(page, 'sign-in with an error');
  await screenshot(page, 'sign-in-error');

  // An unknown email gets an alert too (and no hint about which of the two was wrong).
  await page.getByLabel('Email', { exact: true }).fill('nobody@ringback.local');
  await page.getByLabel('Password', { exact: true }).fill(OWNER_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await waitForText(page.getByRole('alert'), /\S/, 'the alert after an unknown email');
  assert.equal(await page.getByRole('navigation', { name: 'Main' }).count(), 0, 'an unknown email does not enter the app');

  await page.getByLabel('Email', { exact: true }).fill(OWNER_EMAIL);
  await page.getByLabel('Password', { exact: true }).fill(OWNER_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
  assert.doesNotMatch(new URL(page.url()).pathname, /^\/sign-in/, 'a signed-in owner leaves the sign-in page');
  await page.getByRole('button', { name: 'Sign out' }).waitFor();

  // The session survives a reload.
  await page.reload();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();

  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  // Signed out for real: the app's screens send the browser back to sign-in.
  await page.goto('/inbox');
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  assert.equal(await page.getByRole('navigation', { name: 'Main' }).count(), 0, 'after sign-out the app shell is gone');
});

test('keyboard only: sign in with Tab and Enter, then reach the inbox from the Main navigation', async () => {
  const page = await h.newPage('desktop');
  await page.goto('/sign-in');
  await page.getByRole('heading', { name: 'Sign in' }).waitFor();
  await page.getByLabel('Email', { exact: true }).focus();
  await page.keyboard.type(OWNER_EMAIL);
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate('document.activeElement && document.activeElement.type'), 'password', 'Tab moves from Email to Password');
  await page.keyboard.type(OWNER_PASSWORD);
  await page.keyboard.press('Enter');
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
  const inboxLink = page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Inbox', exact: true });
  await inboxLink.focus();
  await page.keyboard.press('Enter');
  await page.getByRole('list', { name: 'Conversations' }).waitFor({ state: 'attached' });
  assert.match(new URL(page.url()).pathname, /^\/inbox/);
});
