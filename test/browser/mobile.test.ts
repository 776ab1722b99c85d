// Phone-first (issue 7 "Works at 375 px wide"): at 375 × 812 the inbox list and a thread are usable —
// no sideways scroll, the composer in reach, a reply goes out — and the contact's number is a
// tap-to-call link.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEMO_LINE, settle } from '../helpers.ts';
import { assertNoHorizontalScroll, openScreen, signInAsOwner, startBrowserHarness, visited, VIEWPORTS, waitForText, type BrowserHarness } from './harness.ts';

let h: BrowserHarness;
const CALLER = '+15555550142';

before(async () => {
  h = await startBrowserHarness();
  const call = await h.server.api('POST', '/api/v1/simulator/calls', { from: CALLER, to: DEMO_LINE, outcome: 'unanswered' });
  assert.equal(call.status, 202, JSON.stringify(call.body));
  await settle(h.server);
  const text = await h.server.api('POST', '/api/v1/simulator/messages', { from: CALLER, to: DEMO_LINE, body: 'Hi, my boiler is leaking, can someone come today? It is dripping under the kitchen sink and the floor is getting wet.' });
  assert.equal(text.status, 202, JSON.stringify(text.body));
  await settle(h.server);
});
after(async () => {
  await h?.close();
});

async function assertWithinWidth(locator: import('playwright-core').Locator, what: string): Promise<void> {
  const box = await locator.boundingBox();
  assert.ok(box, `${what} is shown`);
  assert.ok(box.x >= 0 && box.x + box.width <= VIEWPORTS.mobile.width + 0.5, `${what} fits in ${VIEWPORTS.mobile.width} px (x ${box.x}, width ${box.width})`);
}

test('at 375 px the inbox list and a thread are usable without sideways scrolling', async () => {
  const page = await h.newPage('mobile');
  await signInAsOwner(page);

  // Through the Main navigation, as on a phone.
  await openScreen(page, 'Inbox');
  const conversations = page.getByRole('list', { name: 'Conversations' });
  const item = conversations.getByRole('link').first();
  await item.waitFor();
  await assertWithinWidth(item, 'the conversation in the list');
  await assertNoHorizontalScroll(page, 'the inbox list');
  await visited(page, 'inbox');

  await item.click();
  const thread = page.getByRole('region', { name: 'Conversation' });
  const messages = thread.getByRole('log', { name: 'Messages' });
  await waitForText(messages, /my boiler is leaking/, 'the caller\'s text in the thread');
  await assertNoHorizontalScroll(page, 'the thread');
  const composer = thread.getByLabel('Message', { exact: true });
  const send = thread.getByRole('button', { name: 'Send', exact: true });
  await assertWithinWidth(composer, 'the composer');
  await assertWithinWidth(send, 'the Send button');
  await composer.fill('On our way, about 30 minutes');
  await waitForText(thread, /\d+ characters? · 1 segment · GSM-7/, 'the composer\'s counter');
  await send.click();
  await waitForText(messages, /On our way, about 30 minutes/, 'the reply in the thread');
  await h.server.waitFor(async () => (await h.server.phoneInbox(CALLER)).some((m) => m.body === 'On our way, about 30 minutes'), 'the reply on the caller\'s phone', 10_000);
  await assertNoHorizontalScroll(page, 'the thread after a reply');

  // The contact panel's tap-to-call link.
  const call = page.getByRole('complementary', { name: 'Contact' }).getByRole('link', { name: 'Call' });
  assert.equal(await call.getAttribute('href'), `tel:${CALLER}`);
  await visited(page, 'inbox-thread');
});
