// STOP from the demo phone (issue 7 "First run": "send STOP"): the opt-out confirmation reaches
// the demo phone and the contact shows as opted out in the inbox.
import { after, before, test } from 'node:test';
import { openScreen, signInAsOwner, startBrowserHarness, visited, waitForText, type BrowserHarness } from './harness.ts';

let h: BrowserHarness;
before(async () => {
  h = await startBrowserHarness();
});
after(async () => {
  await h?.close();
});

test('STOP from the demo phone: the confirmation arrives on the demo phone and the contact shows as opted out', async () => {
  const page = await h.newPage('desktop');
  await signInAsOwner(page);
  await openScreen(page, 'Get started');
  const demo = page.getByRole('region', { name: 'Demo phone' });
  await demo.getByRole('button', { name: 'Call the demo line' }).click();
  const demoTexts = demo.getByRole('log', { name: 'Texts on the demo phone' });
  await waitForText(demoTexts, /Reply STOP to opt out/i, 'the text-back on the demo phone', 30_000);

  await demo.getByLabel('Reply from the demo phone', { exact: true }).fill('STOP');
  await demo.getByRole('button', { name: 'Send reply' }).click();
  await waitForText(demoTexts, /unsubscribed/i, 'the opt-out confirmation on the demo phone');

  const inbox = await page.context().newPage();
  await inbox.goto('/inbox');
  await inbox.getByRole('list', { name: 'Conversations' }).getByRole('link').first().click();
  await waitForText(inbox.getByRole('region', { name: 'Conversation' }).getByRole('log', { name: 'Messages' }), /STOP/, 'the STOP in the thread');
  await waitForText(inbox.getByRole('complementary', { name: 'Contact' }), /opted out/i, 'the contact panel says the contact opted out');
  await visited(inbox, 'inbox-thread-opted-out');
  // axe last on the demo phone, so a finding there does not hide the flow's result.
  await visited(page, 'get-started-opted-out');
});
