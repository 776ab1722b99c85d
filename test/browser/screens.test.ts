// Every main screen at both sizes (375 × 812 and 1280 × 800): axe-core finds no serious or critical
// violations, no sideways scroll on a phone, and a screenshot lands in test/browser/screenshots/
// (git-ignored) for people to look at. The screens are the "Main" navigation's links: whatever is
// built is visited; the contract's first screens must be there.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEMO_LINE, settle } from '../helpers.ts';
import { assertNoHorizontalScroll, checkA11y, screenshot, signInAsOwner, startBrowserHarness, waitForText, type BrowserHarness, type ViewportName } from './harness.ts';

let h: BrowserHarness;

before(async () => {
  h = await startBrowserHarness();
  // Something on every screen: a missed call texted back and answered, and a call from an opted-out number.
  for (const [from, body] of [['+15555550161', 'Do you do boiler servicing?'], ['+15555550162', 'STOP']] as const) {
    const call = await h.server.api('POST', '/api/v1/simulator/calls', { from, to: DEMO_LINE, outcome: 'unanswered' });
    assert.equal(call.status, 202, JSON.stringify(call.body));
    await settle(h.server);
    await h.server.api('POST', '/api/v1/simulator/messages', { from, to: DEMO_LINE, body });
    await settle(h.server);
  }
  await h.server.api('POST', '/api/v1/simulator/calls', { from: '+15555550162', to: DEMO_LINE, outcome: 'unanswered' });
  await settle(h.server);
});
after(async () => {
  await h?.close();
});

const slug = (name: string) => name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

for (const viewport of ['mobile', 'desktop'] as ViewportName[]) {
  test(`every main screen at ${viewport} size: no serious accessibility violations, a screenshot`, async () => {
    const page = await h.newPage(viewport);
    // Every screen is visited and photographed even when an earlier one has a problem; all the
    // problems are reported together at the end.
    const problems: string[] = [];
    const check = async (what: string, fn: () => Promise<void>) => {
      try {
        await fn();
      } catch (err) {
        problems.push(`${what}: ${(err as Error).message}`);
      }
    };
    await page.goto('/sign-in');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await screenshot(page, 'sign-in');
    await check('sign-in', () => checkA11y(page, `sign-in (${viewport})`));
    if (viewport === 'mobile') await check('sign-in', () => assertNoHorizontalScroll(page, 'sign-in'));
    await signInAsOwner(page);

    // The screens the "Main" navigation links to (on a phone the links may sit behind a menu: go by href).
    const links = page.getByRole('navigation', { name: 'Main' }).getByRole('link');
    const screens: Array<{ name: string; href: string }> = [];
    for (let i = 0; i < (await links.count()); i++) {
      const link = links.nth(i);
      screens.push({ name: (await link.innerText()).trim() || (await link.getAttribute('aria-label')) || '', href: (await link.getAttribute('href')) ?? '' });
    }
    const names = screens.map((s) => s.name);
    for (const must of ['Get started', 'Inbox', 'Calls']) assert.ok(names.includes(must), `the Main navigation links "${must}" (it has ${JSON.stringify(names)})`);

    for (const screen of screens) {
      assert.ok(screen.href.startsWith('/'), `"${screen.name}" links inside the app (${screen.href})`);
      await page.goto(screen.href);
      await page.getByRole('navigation', { name: 'Main' }).waitFor();
      await page.getByRole('heading', { name: screen.name }).first().waitFor({ timeout: 5000 }).catch(() => {});
      if (screen.name === 'Inbox') await page.getByRole('list', { name: 'Conversations' }).getByRole('link').first().waitFor();
      if (screen.name === 'Calls') {
        await page.getByRole('heading', { name: 'Calls' }).waitFor();
        const table = page.getByRole('table');
        await waitForText(table, /Texted back/i, 'the Calls table shows a texted-back decision');
        await waitForText(table, /Not texted[^\n]*opted out/i, 'the Calls table shows why an opted-out caller was not texted');
      }
      await screenshot(page, slug(screen.name));
      await check(screen.name, () => checkA11y(page, `${screen.name} (${viewport})`));
      if (viewport === 'mobile') await check(screen.name, () => assertNoHorizontalScroll(page, screen.name));
    }

    // A thread, the inbox's other half.
    await page.goto('/inbox');
    await page.getByRole('list', { name: 'Conversations' }).getByRole('link').first().click();
    await waitForText(page.getByRole('region', { name: 'Conversation' }).getByRole('log', { name: 'Messages' }), /\S/, 'a thread');
    await screenshot(page, 'inbox-thread');
    await check('inbox thread', () => checkA11y(page, `inbox thread (${viewport})`));
    if (viewport === 'mobile') await check('inbox thread', () => assertNoHorizontalScroll(page, 'a thread'));
    assert.deepEqual(problems, [], `problems on the main screens at ${viewport} size:\n${problems.join('\n\n')}`);
  });
}
