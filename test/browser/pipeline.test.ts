// Pipeline (issue 7 "Pipeline"): a lead card is dragged to another column with the mouse and
// with a finger (Pointer Events, at 375 px on a touch screen); the move is on the server and
// survives a reload, the column counts and money follow, and screen readers hear it. A drop on
// Won asks for the job's value first; Esc cancels a drag; a move the server refuses puts the card
// back and says why. The stage menu (the keyboard path) still moves a lead.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { DEMO_LINE, settle } from '../helpers.ts';
import {
  assertNoHorizontalScroll,
  checkA11y,
  openScreen,
  SCREENSHOT_DIR,
  signInAsOwner,
  startBrowserHarness,
  UI_TIMEOUT,
  visited,
  VIEWPORTS,
  waitForText,
  watchPage,
  type BrowserHarness,
} from './harness.ts';

let h: BrowserHarness;
/** Lead id by the contact's name. */
const leadIds: Record<string, string> = {};
const PEOPLE: Array<[string, string]> = [
  ['Jane Doe', '+12125550141'],
  ['Omar Haddad', '+12125550142'],
  ['Priya Shah', '+12125550143'],
  ['Luis Ortega', '+12125550144'],
  ['Ada Byrne', '+12125550145'],
];

before(async () => {
  h = await startBrowserHarness();
  // Missed calls: each caller is texted back, so each lead is in Contacted.
  for (const [, number] of PEOPLE) {
    const res = await h.server.api('POST', '/api/v1/simulator/calls', { from: number, to: DEMO_LINE, outcome: 'unanswered' });
    assert.equal(res.status, 202, JSON.stringify(res.body));
  }
  await settle(h.server);
  const contacts = (await h.server.api('GET', '/api/v1/contacts?limit=100')).body.contacts as Array<{ id: string; number: string }>;
  const leads = (await h.server.api('GET', '/api/v1/leads?limit=100')).body.leads as Array<{ id: string; contactId: string; stage: string }>;
  for (const [name, number] of PEOPLE) {
    const contact = contacts.find((c) => c.number === number);
    assert.ok(contact, `the contact ${number} exists`);
    const named = await h.server.api('PATCH', `/api/v1/contacts/${contact.id}`, { name });
    assert.equal(named.status, 200, JSON.stringify(named.body));
    const lead = leads.find((l) => l.contactId === contact.id);
    assert.ok(lead, `${name} has a lead`);
    assert.equal(lead.stage, 'contacted', `${name}'s lead starts in Contacted`);
    leadIds[name] = lead.id;
  }
});
after(async () => {
  await h?.close();
});

async function serverStage(name: string): Promise<{ stage: string; valueCents: number | null }> {
  const res = await h.server.api('GET', `/api/v1/leads/${leadIds[name]}`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.lead;
}

const column = (page: Page, label: string) => page.getByRole('region', { name: new RegExp(`^${label} \\d+$`) });
const card = (page: Page, label: string, name: string) => column(page, label).getByRole('listitem').filter({ hasText: name });

async function openPipeline(page: Page): Promise<void> {
  await openScreen(page, 'Pipeline');
  await page.getByRole('heading', { level: 1, name: 'Pipeline' }).waitFor();
  await card(page, 'Contacted', 'Jane Doe').or(card(page, 'Booked', 'Jane Doe')).or(card(page, 'Won', 'Jane Doe')).first().waitFor();
}

async function countOf(page: Page, label: string): Promise<number> {
  const text = await column(page, label).getByRole('heading').innerText();
  return Number(/(\d+)\s*$/.exec(text)?.[1] ?? NaN);
}

async function waitCount(page: Page, label: string, n: number): Promise<void> {
  await waitForText(column(page, label).getByRole('heading'), new RegExp(`^${label}\\s+${n}$`), `${label} shows ${n}`);
}

async function center(l: Locator): Promise<{ x: number; y: number }> {
  const box = await l.boundingBox();
  assert.ok(box, 'the element is on screen');
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/** Presses on the card's name, moves over the column's heading; releases unless told not to. */
async function mouseDrag(page: Page, from: Locator, to: Locator, opts: { release?: boolean } = {}): Promise<void> {
  const start = await center(from.locator('.lead-name'));
  await page.mouse.move(start.x, start.y);
  await page.mouse.down();
  await page.mouse.move(start.x + 12, start.y + 8, { steps: 3 });
  const end = await center(to.getByRole('heading'));
  await page.mouse.move(end.x, end.y + 30, { steps: 12 });
  if (opts.release !== false) await page.mouse.up();
}

/** The desktop board scrolls sideways: bring both columns into its view first. */
async function showColumns(page: Page, ...labels: string[]): Promise<void> {
  for (const label of labels) await column(page, label).scrollIntoViewIfNeeded();
  const boxes = await Promise.all(labels.map((l) => column(page, l).boundingBox()));
  const width = page.viewportSize()!.width;
  if (boxes.some((b) => !b || b.x < 0 || b.x + b.width > width)) {
    // Scroll the board so the leftmost asked-for column sits at its left edge.
    const left = Math.min(...boxes.map((b) => b?.x ?? 0));
    await page.locator('.board').evaluate((el, dx) => el.scrollBy(dx, 0), left - 20);
  }
}

test('mouse: drag a lead from Contacted to Booked; it moves on the server, counts follow, and it stays after a reload', async () => {
  const page = await h.newPage('desktop');
  await signInAsOwner(page);
  await openPipeline(page);
  await waitCount(page, 'Contacted', 5);
  await waitCount(page, 'Booked', 0);
  await showColumns(page, 'Contacted', 'Booked');

  await mouseDrag(page, card(page, 'Contacted', 'Jane Doe'), column(page, 'Booked'), { release: false });
  // While dragging: the card floats with the pointer and the column it would land in says so.
  await page.locator('.lead-ghost').filter({ hasText: 'Jane Doe' }).waitFor();
  await waitForText(column(page, 'Booked'), /Drop to move Jane Doe here/, 'the landing place is shown');
  assert.match((await column(page, 'Booked').getAttribute('class')) ?? '', /drop-target/);
  // The window as it is (not the harness's full-page shot, which scrolls the page under the pointer).
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'pipeline-dragging-desktop.png'), animations: 'disabled' });
  const over = await center(column(page, 'Booked').getByRole('heading'));
  await page.mouse.move(over.x + 4, over.y + 34, { steps: 2 });
  await page.mouse.up();

  await waitForText(page.getByRole('status').filter({ hasText: 'Moved' }), /^Moved Jane Doe to Booked$/, 'the move is announced');
  await card(page, 'Booked', 'Jane Doe').waitFor();
  assert.equal(await card(page, 'Contacted', 'Jane Doe').count(), 0, 'the card left Contacted');
  await h.server.waitFor(async () => (await serverStage('Jane Doe')).stage === 'booked', 'the lead booked on the server');
  await waitCount(page, 'Booked', 1);
  await waitCount(page, 'Contacted', 4);
  await page.locator('.lead-ghost').waitFor({ state: 'detached' });

  await page.reload();
  await card(page, 'Booked', 'Jane Doe').waitFor();
  assert.equal(await countOf(page, 'Booked'), 1);
  await visited(page, 'pipeline');
});

test('mouse: a drop on Won asks for the value; Cancel keeps the lead, a value moves it and counts as money', async () => {
  const page = await h.newPage('desktop');
  await signInAsOwner(page);
  await openPipeline(page);
  await card(page, 'Booked', 'Jane Doe').waitFor();
  await showColumns(page, 'Booked', 'Won');

  await mouseDrag(page, card(page, 'Booked', 'Jane Doe'), column(page, 'Won'));
  let dialog = page.getByRole('dialog', { name: 'Mark Jane Doe won' });
  await dialog.waitFor();
  await checkA11y(page, 'pipeline, the won dialog');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await dialog.waitFor({ state: 'detached' });
  await waitForText(page.getByRole('status').filter({ hasText: 'cancelled' }), /Move cancelled\. Jane Doe stays in Booked\./, 'the cancel is announced');
  assert.equal((await serverStage('Jane Doe')).stage, 'booked');
  await card(page, 'Booked', 'Jane Doe').waitFor();

  await mouseDrag(page, card(page, 'Booked', 'Jane Doe'), column(page, 'Won'));
  dialog = page.getByRole('dialog', { name: 'Mark Jane Doe won' });
  await dialog.getByRole('button', { name: 'Mark won' }).click();
  // Nothing typed: the dialog says what it needs and stays.
  await waitForText(dialog, /Enter what the job was worth/, 'an empty value is refused in the dialog');
  await dialog.getByLabel('Job value ($)').fill('1,250');
  await dialog.getByRole('button', { name: 'Mark won' }).click();
  await dialog.waitFor({ state: 'detached' });
  await waitForText(page.getByRole('status').filter({ hasText: 'Moved' }), /^Moved Jane Doe to Won$/, 'the move is announced');
  await h.server.waitFor(async () => (await serverStage('Jane Doe')).stage === 'won', 'the lead won on the server');
  assert.equal((await serverStage('Jane Doe')).valueCents, 125_000);
  await waitCount(page, 'Won', 1);
  await waitCount(page, 'Booked', 0);
  await waitForText(column(page, 'Won').locator('p.muted').first(), /\$1,250/, 'the Won column adds up the value');
});

test('mouse: Esc cancels a drag; a move the server refuses puts the card back with the reason', async () => {
  const page = await h.newPage('desktop');
  await signInAsOwner(page);
  await openPipeline(page);
  await showColumns(page, 'New', 'Contacted', 'Engaged');

  await mouseDrag(page, card(page, 'Contacted', 'Omar Haddad'), column(page, 'Engaged'), { release: false });
  await waitForText(column(page, 'Engaged'), /Drop to move Omar Haddad here/, 'hovering over Engaged');
  await page.keyboard.press('Escape');
  await page.locator('.lead-ghost').waitFor({ state: 'detached' });
  await page.mouse.up();
  await waitForText(page.getByRole('status').filter({ hasText: 'cancelled' }), /Move cancelled\. Omar Haddad stays in Contacted\./, 'the cancel is announced');
  await card(page, 'Contacted', 'Omar Haddad').waitFor();
  assert.equal(await card(page, 'Engaged', 'Omar Haddad').count(), 0);
  assert.equal((await serverStage('Omar Haddad')).stage, 'contacted', 'Esc sent nothing');

  // A drop where it already is does nothing.
  await mouseDrag(page, card(page, 'Contacted', 'Omar Haddad'), column(page, 'Contacted'));
  await page.waitForTimeout(300);
  assert.equal(await page.getByRole('dialog').count(), 0);
  assert.equal((await serverStage('Omar Haddad')).stage, 'contacted');

  // The server never moves a lead back to New: the card goes back and the alert says why.
  await mouseDrag(page, card(page, 'Contacted', 'Omar Haddad'), column(page, 'New'));
  await waitForText(page.getByRole('alert'), /Omar Haddad was not moved to New: a lead cannot be moved back to new/, 'the refusal is shown');
  await card(page, 'Contacted', 'Omar Haddad').waitFor();
  assert.equal(await card(page, 'New', 'Omar Haddad').count(), 0, 'the card went back');
  assert.equal((await serverStage('Omar Haddad')).stage, 'contacted');
});

test('keyboard path: the stage menu still moves a lead, and Won through it asks for the value', async () => {
  const page = await h.newPage('desktop');
  await signInAsOwner(page);
  await openPipeline(page);
  const menu = page.getByLabel('Stage for Ada Byrne');
  await menu.selectOption('lost');
  await card(page, 'Contacted', 'Ada Byrne').getByRole('button', { name: 'Move' }).click();
  await waitForText(page.getByRole('status').filter({ hasText: 'Moved' }), /^Moved Ada Byrne to Lost$/, 'the menu move is announced');
  await card(page, 'Lost', 'Ada Byrne').waitFor();
  assert.equal((await serverStage('Ada Byrne')).stage, 'lost');

  await page.getByLabel('Stage for Luis Ortega').selectOption('won');
  await card(page, 'Contacted', 'Luis Ortega').getByRole('button', { name: 'Move' }).click();
  const dialog = page.getByRole('dialog', { name: 'Mark Luis Ortega won' });
  await dialog.waitFor();
  // Esc closes the dialog and leaves the lead where it was.
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  assert.equal((await serverStage('Luis Ortega')).stage, 'contacted');
});

test('touch at 375 px: a finger drags a lead by its grip to the next column', async () => {
  const context = await h.browser.newContext({ baseURL: h.server.url, viewport: VIEWPORTS.mobile, hasTouch: true, isMobile: true });
  context.setDefaultTimeout(UI_TIMEOUT);
  try {
    const page = await context.newPage();
    watchPage(page);
    await signInAsOwner(page);
    await page.goto('/pipeline');
    await card(page, 'Contacted', 'Priya Shah').waitFor();
    await assertNoHorizontalScroll(page, 'pipeline at 375 px');
    await visited(page, 'pipeline');

    const grip = card(page, 'Contacted', 'Priya Shah').locator('.lead-grip');
    await grip.scrollIntoViewIfNeeded();
    // Bring the Engaged column up under the finger too: scroll so the card sits near the top.
    const gripBox = await grip.boundingBox();
    assert.ok(gripBox);
    await page.evaluate(`window.scrollBy(0, ${Math.round(gripBox.y - 80)})`);
    const from = await center(grip);
    const to = await center(column(page, 'Engaged').getByRole('heading'));
    assert.ok(to.y < VIEWPORTS.mobile.height - 60, `Engaged is on screen below the card (y ${to.y})`);

    // Real touch input through the DevTools protocol: Chromium turns it into pointer events
    // (pointerType "touch"), with the browser's own scrolling in play.
    const cdp = await context.newCDPSession(page);
    const touch = (type: 'touchStart' | 'touchMove' | 'touchEnd', x: number, y: number) =>
      cdp.send('Input.dispatchTouchEvent', { type, touchPoints: type === 'touchEnd' ? [] : [{ x: Math.round(x), y: Math.round(y), id: 1 }] });
    await touch('touchStart', from.x, from.y);
    const steps = 14;
    for (let i = 1; i <= steps; i++) {
      await touch('touchMove', from.x + ((to.x - from.x) * i) / steps, from.y + ((to.y + 20 - from.y) * i) / steps);
      await page.waitForTimeout(16);
    }
    await waitForText(column(page, 'Engaged'), /Drop to move Priya Shah here/, 'the landing place under the finger');
    // (No full-page screenshot mid-drag here: it resizes the emulated phone's viewport, which ends the touch.)
    await touch('touchEnd', to.x, to.y + 20);

    await waitForText(page.getByRole('status').filter({ hasText: 'Moved' }), /^Moved Priya Shah to Engaged$/, 'the touch move is announced');
    await card(page, 'Engaged', 'Priya Shah').waitFor();
    await h.server.waitFor(async () => (await serverStage('Priya Shah')).stage === 'engaged', 'the lead engaged on the server');
    await assertNoHorizontalScroll(page, 'pipeline at 375 px after a drag');

    // Swiping over a card (not its grip) still scrolls the page: no drag starts.
    const before = (await page.evaluate('window.scrollY')) as number;
    const body = await center(card(page, 'Engaged', 'Priya Shah').locator('.lead-name'));
    await touch('touchStart', body.x, body.y);
    for (let i = 1; i <= 8; i++) {
      await touch('touchMove', body.x, body.y - i * 30);
      await page.waitForTimeout(16);
    }
    assert.equal(await page.locator('.lead-ghost').count(), 0, 'no drag from the card body on touch');
    await touch('touchEnd', body.x, body.y - 240);
    await h.server.waitFor(async () => ((await page.evaluate('window.scrollY')) as number) !== before, 'the page scrolled under the finger', 3000);
    assert.equal((await serverStage('Priya Shah')).stage, 'engaged');
  } finally {
    await context.close();
  }
});
