// First run end to end (issue 7 "First run"): Get started → call the demo line → the text-back
// reaches the demo phone and the inbox at the same moment (no reload); a reply from the demo phone
// arrives live in the thread open in another tab; a reply from the inbox reaches the demo phone.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openScreen, signInAsOwner, startBrowserHarness, visited, waitForText, type BrowserHarness } from './harness.ts';

let h: BrowserHarness;
before(async () => {
  h = await startBrowserHarness();
});
after(async () => {
  await h?.close();
});

const DEMO_TEXT_TIMEOUT = 30_000; // the demo call rings out before it counts as missed

test('first run: call the demo line, the text arrives on the demo phone and in the inbox live; replies go both ways live', async () => {
  const page = await h.newPage('desktop');
  await signInAsOwner(page);
  await openScreen(page, 'Get started');
  await page.getByRole('heading', { name: 'Get started' }).waitFor();
  const checklist = page.getByRole('list', { name: 'Checklist' });
  await checklist.waitFor();
  assert.ok((await checklist.getByRole('listitem').count()) > 0, 'the checklist has items');
  const doneItems = async () => {
    let done = 0;
    for (const text of await checklist.getByRole('listitem').allInnerTexts()) if (/\bdone\b/i.test(text) && !/not done/i.test(text)) done++;
    return done;
  };
  await waitForText(checklist, /not done/i, 'the checklist says what is not done yet');
  const doneBefore = await doneItems();
  await visited(page, 'get-started');

  // The inbox in a second tab of the same session, open before the call.
  const inbox = await page.context().newPage();
  await inbox.goto('/inbox');
  const conversations = inbox.getByRole('list', { name: 'Conversations' });
  await conversations.waitFor({ state: 'attached' }); // empty, so it has no size yet
  assert.equal(await conversations.getByRole('link').count(), 0, 'a new install has no conversations');
  await visited(inbox, 'inbox-empty');

  const demo = page.getByRole('region', { name: 'Demo phone' });
  await demo.getByRole('button', { name: 'Call the demo line' }).click();
  const demoTexts = demo.getByRole('log', { name: 'Texts on the demo phone' });
  const textBack = await waitForText(demoTexts, /Reply STOP to opt out/i, 'the text-back on the demo phone', DEMO_TEXT_TIMEOUT);
  assert.match(textBack, /\S/);
  await h.server.waitFor(async () => (await doneItems()) > doneBefore, 'the checklist marks the demo call done', 10_000);

  // The same moment, in the other tab, without a reload.
  const first = conversations.getByRole('link').first();
  await first.waitFor({ timeout: DEMO_TEXT_TIMEOUT });
  assert.equal(await conversations.getByRole('link').count(), 1, 'one conversation for the demo call');
  await visited(inbox, 'inbox');
  await first.click();
  const thread = inbox.getByRole('region', { name: 'Conversation' });
  const messages = thread.getByRole('log', { name: 'Messages' });
  await waitForText(messages, /Reply STOP to opt out/i, 'the text-back in the thread');
  assert.match(new URL(inbox.url()).pathname, /^\/inbox\/[^/]+$/, 'a thread has its own address');
  await visited(inbox, 'inbox-thread');

  // A reply from the demo phone arrives in the thread open in the other tab, live.
  await demo.getByLabel('Reply from the demo phone', { exact: true }).fill('Can you come Tuesday morning?');
  await demo.getByRole('button', { name: 'Send reply' }).click();
  await waitForText(messages, /Can you come Tuesday morning\?/, 'the demo phone\'s reply in the open thread (no reload)');

  // And back: the inbox answers, the demo phone gets it, the thread shows its delivery.
  await thread.getByLabel('Message', { exact: true }).fill('Tuesday 9am works, see you then');
  await thread.getByRole('button', { name: 'Send', exact: true }).click();
  await waitForText(demoTexts, /Tuesday 9am works, see you then/, 'the inbox reply on the demo phone');
  await waitForText(messages, /Tuesday 9am works, see you then[\s\S]*Delivered/, 'the sent reply shows "Delivered" in the thread');
  await visited(inbox, 'inbox-thread-replied');
  // The demo phone with its texts (axe last, so a finding there does not hide the flow's result).
  await visited(page, 'get-started-demo-call');
});
