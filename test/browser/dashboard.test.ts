// Dashboard (issue 7 "Dashboard"): money first, counts against the period before, response times,
// and a chart; it updates by itself when a missed call is texted back. The last 7 and 30 days and
// a line picker (with more than one line) show the API's figures for that filter, and the address
// keeps the view through a reload and a shared link.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
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

const SECOND_LINE = '+15555550152';
const DAY_MS = 86_400_000;

/** The five counts as the screen shows them, by card name. */
async function shownCounts(page: Page): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const name of ['Missed calls', 'Texted back', 'Replied', 'Booked', 'Won']) {
    const card = page.locator('.dash-stats > div').filter({ has: page.getByText(name, { exact: true }) });
    out[name] = Number((await card.locator('dd').first().innerText()).replace(/,/g, ''));
  }
  return out;
}

/** The API's answer for a filter, as the five counts. */
async function apiCounts(query: string): Promise<Record<string, number>> {
  const res = await h.server.api('GET', `/api/v1/dashboard?${query}`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const c = res.body.dashboard.current;
  return { 'Missed calls': c.missedCalls, 'Texted back': c.texted, Replied: c.replied, Booked: c.booked, Won: c.won };
}

/** Waits until the screen shows what the API answers for the filter (the figures load after a click). */
async function expectFigures(page: Page, query: string, what: string): Promise<Record<string, number>> {
  const expected = await apiCounts(query);
  const missed = expected['Missed calls']!;
  await waitForText(page.locator('.dash-hero'), new RegExp(`from ${missed} missed calls?\\b`), `${what}: the hero line`);
  let shown: Record<string, number> = {};
  await h.server.waitFor(async () => {
    shown = await shownCounts(page);
    return JSON.stringify(shown) === JSON.stringify(expected);
  }, `${what}: the cards show ${JSON.stringify(expected)} (last seen ${JSON.stringify(shown)})`);
  return expected;
}

test('dashboard: last 7 and 30 days and one line show the API’s figures for that filter; the address keeps the view', async () => {
  const page = await h.newPage('desktop');
  await signInAsOwner(page);
  await openScreen(page, 'Dashboard');
  await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
  await page.locator('.dash-hero').waitFor();
  assert.equal(await page.getByLabel('Line', { exact: true }).count(), 0, 'no line picker with one line');

  // A second line, and missed calls on both: two on the demo line today, one on the second line
  // today, and one on the demo line moved to three days ago (in the last 7 days, not today).
  const line = await h.server.api('POST', '/api/v1/lines', { number: SECOND_LINE, mode: 'forward', name: 'Van', ringTargets: ['+15555550188'] });
  assert.equal(line.status, 201, JSON.stringify(line.body));
  const secondLineId = line.body.line.id as string;
  const calls: Array<[string, string]> = [
    ['+12125550161', DEMO_LINE],
    ['+12125550162', DEMO_LINE],
    ['+12125550163', SECOND_LINE],
    ['+12125550164', DEMO_LINE],
  ];
  for (const [from, to] of calls) {
    const res = await h.server.api('POST', '/api/v1/simulator/calls', { from, to, outcome: 'unanswered' });
    assert.equal(res.status, 202, JSON.stringify(res.body));
  }
  await settle(h.server);
  const db = h.server.ringback.store.db;
  const old = await db.selectFrom('calls').select(['id', 'started_at', 'ended_at', 'message_id']).where('from_number', '=', '+12125550164').executeTakeFirstOrThrow();
  const back = (iso: string | null) => (iso ? new Date(Date.parse(iso) - 3 * DAY_MS).toISOString() : null);
  await db.updateTable('calls').set({ started_at: back(old.started_at)!, ended_at: back(old.ended_at) }).where('id', '=', old.id).execute();
  if (old.message_id) {
    const m = await db.selectFrom('messages').select(['created_at', 'sent_at']).where('id', '=', old.message_id).executeTakeFirstOrThrow();
    await db.updateTable('messages').set({ created_at: back(m.created_at)!, sent_at: back(m.sent_at) }).where('id', '=', old.message_id).execute();
  }

  const today = await expectFigures(page, 'period=today', 'today, all lines');
  const week = await apiCounts('period=7d');
  assert.equal(week['Missed calls'], today['Missed calls']! + 1, 'the call three days ago is in the last 7 days only');

  const periods = page.getByRole('group', { name: 'Period' });
  await periods.getByRole('button', { name: 'Last 7 days' }).click();
  assert.equal(await periods.getByRole('button', { name: 'Last 7 days' }).getAttribute('aria-pressed'), 'true');
  await expectFigures(page, 'period=7d', 'last 7 days, all lines');
  await waitForText(page.locator('.dash-stats > div').first(), /from the 7 days before/, 'compared with the 7 days before');
  assert.equal(new URL(page.url()).searchParams.get('period'), '7d', 'the period is in the address');
  assert.equal((await page.locator('.dash-chart table tbody tr').count()), 7, 'a row per day in the chart’s table');

  // The picker appears with the second line; one line's figures are that line's.
  const picker = page.getByLabel('Line', { exact: true });
  await page.reload();
  await picker.waitFor();
  assert.equal(await periods.getByRole('button', { name: 'Last 7 days' }).getAttribute('aria-pressed'), 'true', 'the period survives a reload');
  await expectFigures(page, 'period=7d', 'last 7 days after a reload');
  assert.ok((await picker.locator('option').allInnerTexts()).some((t) => /^Van · \(555\) 555-0152$/.test(t)), 'the picker names the line');
  await picker.selectOption(secondLineId);
  const lineWeek = await expectFigures(page, `period=7d&lineId=${secondLineId}`, 'last 7 days, the second line');
  assert.equal(lineWeek['Missed calls'], 1, 'one missed call on the second line');
  assert.ok(lineWeek['Missed calls']! < week['Missed calls']!, 'the line filter narrows the figures');
  assert.equal(new URL(page.url()).searchParams.get('line'), secondLineId, 'the line is in the address');
  await waitForText(page.locator('main'), /Calls to Van · \(555\) 555-0152 only\./, 'the screen says which line');
  await assertNoHorizontalScroll(page, 'dashboard, one line, desktop');
  await visited(page, 'dashboard-line-filter');

  const demoLineId = (await h.server.api('GET', '/api/v1/lines')).body.lines.find((l: { number: string }) => l.number === DEMO_LINE).id as string;
  await picker.selectOption(demoLineId);
  await expectFigures(page, `period=7d&lineId=${demoLineId}`, 'last 7 days, the demo line');
  await picker.selectOption({ label: 'All lines' });
  await expectFigures(page, 'period=7d', 'back to all lines');
  assert.equal(new URL(page.url()).searchParams.get('line'), null);

  // A shared link opens on the same view, at both sizes.
  for (const viewport of ['desktop', 'mobile'] as ViewportName[]) {
    const p = await h.newPage(viewport);
    await signInAsOwner(p);
    await p.goto(`/dashboard?period=30d&line=${encodeURIComponent(secondLineId)}`);
    await p.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
    assert.equal(await p.getByRole('group', { name: 'Period' }).getByRole('button', { name: 'Last 30 days' }).getAttribute('aria-pressed'), 'true');
    assert.equal(await p.getByLabel('Line', { exact: true }).inputValue(), secondLineId);
    await expectFigures(p, `period=30d&lineId=${secondLineId}`, `a shared link, last 30 days, one line (${viewport})`);
    await waitForText(p.locator('.dash-stats > div').first(), /from the 30 days before/, 'compared with the 30 days before');
    await assertNoHorizontalScroll(p, `dashboard, last 30 days, one line, ${viewport}`);
    await visited(p, 'dashboard-30d');
  }
});
