// Dashboard (issue 7 "Dashboard"): money first, counts against the period before, response times,
// and a chart; it updates by itself when a missed call is texted back.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEMO_LINE, settle } from '../helpers.ts';
import { assertNoHorizontalScroll, openScreen, signInAsOwner, startBrowserHarness, visited, waitForText, type BrowserHarness, type ViewportName } from './harness.ts';

let h: BrowserHarness;

before(async () => {
  h = await startBrowserHarness();
});
after(async () => {
  await h?.close();
});

test('dashboard: a missed call shows up by itself, texted back; the period switch; at both sizes', async () => {
  const page = await h.newPage('desktop');
  await signInAsOwner(page);
  await openScreen(page, 'Dashboard');
  await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
  const main = page.locator('main');
  await waitForText(main, /Recovered\s+\$0\s+from 0 missed calls/, 'an empty day');

  // A demo missed call through the API: the screen refetches on the live events.
  const call = await h.server.api('POST', '/api/v1/simulator/calls', { from: '+15555550177', to: DEMO_LINE, outcome: 'unanswered' });
  assert.equal(call.status, 202, JSON.stringify(call.body));
  await settle(h.server);
  await waitForText(main, /Recovered\s+\$0\s+from 1 missed call\b/, 'the missed call, live');
  const card = (name: string) => page.locator('.dash-stats > div').filter({ has: page.getByText(name, { exact: true }) });
  await waitForText(card('Missed calls').locator('dd').first(), /^1$/, 'one missed call');
  await waitForText(card('Texted back').locator('dd').first(), /^1$/, 'one texted back');
  await waitForText(card('Missed calls'), /Up 1 from yesterday/, 'the change from yesterday');
  await waitForText(card('Missed call to text-back'), /Median of 1 text/, 'the text-back time');

  for (const viewport of ['desktop', 'mobile'] as ViewportName[]) {
    const p = viewport === 'desktop' ? page : await h.newPage('mobile');
    if (p !== page) {
      await signInAsOwner(p);
      await openScreen(p, 'Dashboard');
    }
    const m = p.locator('main');
    await waitForText(m, /from 1 missed call\b/, `the dashboard on ${viewport}`);
    await visited(p, 'dashboard');

    const month = p.getByRole('group', { name: 'Period' }).getByRole('button', { name: 'This month' });
    await month.click();
    assert.equal(await month.getAttribute('aria-pressed'), 'true');
    await waitForText(m, /from last month/, 'this month against last month');
    await p.getByRole('heading', { name: 'Missed calls per day' }).waitFor();
    const table = p.locator('.dash-chart table');
    assert.ok((await table.locator('tbody tr').count()) >= 28, 'a row per day of the month in the text alternative');
    assert.match((await p.locator('.dash-chart svg').getAttribute('aria-label')) ?? '', /1 missed call over \d+ days/);
    await assertNoHorizontalScroll(p, `dashboard, this month, ${viewport}`);
    await visited(p, 'dashboard-month');

    await p.getByRole('button', { name: 'Today' }).click();
    await waitForText(m, /from yesterday/, 'back to today');
  }
});
