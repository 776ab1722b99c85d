// Inbox search on the server and saved replies (issue 7, inbox: "search", "composer with
// templates"): the search box finds a conversation by a word of a text and by a number typed the
// way people type it, says when nothing matches and clears; the composer's "Saved replies" menu
// points to Settings while there are none; a reply made in Settings → Saved replies (with its live
// preview) is inserted from the menu by keyboard with the contact's first name, sent, and shows in
// the thread; an agent sees the replies read-only but can use them. axe and screenshots throughout.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { DEMO_LINE, settle } from '../helpers.ts';
import { assertNoHorizontalScroll, openScreen, signIn, signInAsOwner, startBrowserHarness, visited, waitForText, type BrowserHarness } from './harness.ts';

let h: BrowserHarness;
const DANA = '+15555550191';
const LEE = '+15555550192';
const AGENT_EMAIL = 'sky.agent@ringback.local';
const AGENT_PASSWORD = 'agent password 2026';
let business = '';

before(async () => {
  h = await startBrowserHarness();
  for (const from of [DANA, LEE]) {
    const call = await h.server.api('POST', '/api/v1/simulator/calls', { from, to: DEMO_LINE, outcome: 'unanswered' });
    assert.equal(call.status, 202, JSON.stringify(call.body));
    await settle(h.server);
  }
  const text = await h.server.api('POST', '/api/v1/simulator/messages', { from: DANA, to: DEMO_LINE, body: 'The boiler makes a rattling noise at night' });
  assert.equal(text.status, 202, JSON.stringify(text.body));
  await settle(h.server);
  const contacts = (await h.server.api('GET', '/api/v1/contacts')).body.contacts as Array<{ id: string; number: string }>;
  const dana = contacts.find((c) => c.number === DANA);
  assert.ok(dana);
  assert.equal((await h.server.api('PATCH', `/api/v1/contacts/${dana.id}`, { name: 'Dana Whitfield' })).status, 200);
  business = (await h.server.api('GET', '/api/v1/account')).body.account.name;
});
after(async () => {
  await h?.close();
});

async function openInbox(page: Page) {
  await openScreen(page, 'Inbox');
  const list = page.getByRole('list', { name: 'Conversations' });
  await list.getByRole('link').nth(1).waitFor();
  return list;
}

test('search: a word of a text, a number as typed, nothing found (with a way back), and the status filter', async () => {
  const page = await h.newPage('desktop');
  await signInAsOwner(page);
  const list = await openInbox(page);
  const links = list.getByRole('link');
  const search = page.getByLabel('Search', { exact: true });

  // "rattling" is only in Dana's text, not in her name or number: the server found it.
  await search.fill('rattling');
  await waitForText(list, /^(?![\s\S]*0192)[\s\S]*Dana Whitfield/, 'a word of Dana\'s text finds only Dana');
  assert.equal(await links.count(), 1);
  await waitForText(page.getByRole('status').filter({ hasText: 'match' }), /1 conversation matches “rattling”/, 'the result announced');
  assert.match(page.url(), /[?&]q=rattling(&|$)/, 'the search is kept in the address');
  await visited(page, 'inbox-search');

  // The number typed with brackets, spaces and a dash.
  await search.fill('(555) 555-0192');
  await waitForText(list, /^(?![\s\S]*Dana)[\s\S]*555.?\s?555-0192/, 'Lee\'s number typed as (555) 555-0192');
  assert.equal(await links.count(), 1);

  // Nothing matches: said, with the words, and "Clear search" brings everything back.
  await search.fill('no such words anywhere');
  await waitForText(page.locator('.inbox-list'), /No conversations match “no such words anywhere”/, 'the no-match message');
  assert.equal(await links.count(), 0);
  await page.getByRole('button', { name: 'Clear search' }).click();
  await links.nth(1).waitFor();
  assert.equal(await search.inputValue(), '');
  assert.equal(await page.evaluate('document.activeElement && document.activeElement.getAttribute("type")'), 'search', 'focus is back in the search box');
  assert.doesNotMatch(page.url(), /[?&]q=/);

  // With the status filter: Dana's conversation is open, so under "Resolved" the search finds nothing,
  // and "Search all conversations" widens it.
  await page.getByLabel('Status', { exact: true }).selectOption({ label: 'Resolved' });
  await search.fill('rattling');
  await waitForText(page.locator('.inbox-list'), /No conversations match “rattling” among “Resolved” conversations/, 'no match among resolved');
  await page.getByRole('button', { name: 'Search all conversations' }).click();
  await list.getByRole('link', { name: /Dana Whitfield/ }).waitFor();
  assert.equal(await page.getByLabel('Status', { exact: true }).inputValue(), 'open,pending,snoozed,resolved');

  // Still live: a new text with the word from Lee joins the results without a reload.
  const text = await h.server.api('POST', '/api/v1/simulator/messages', { from: LEE, to: DEMO_LINE, body: 'Mine is rattling too' });
  assert.equal(text.status, 202);
  await settle(h.server);
  await waitForText(list, /555.?\s?555-0192/, 'Lee\'s conversation joins the "rattling" results live');
  assert.equal(await links.count(), 2);
});

test('the composer\'s "Saved replies" menu says where to add one while there are none', async () => {
  const page = await h.newPage('desktop');
  await signInAsOwner(page);
  const list = await openInbox(page);
  await list.getByRole('link', { name: /Dana Whitfield/ }).click();
  const thread = page.getByRole('region', { name: 'Conversation' });
  await thread.getByRole('button', { name: 'Saved replies' }).click();
  const add = page.getByRole('link', { name: 'Add one in Settings → Saved replies' });
  await add.waitFor();
  await waitForText(page.locator('#saved-replies-menu'), /No saved replies yet/, 'the empty menu');
  assert.equal(await page.evaluate('document.activeElement && document.activeElement.textContent'), 'Add one in Settings → Saved replies', 'focus is on the link');
  await page.keyboard.press('Escape');
  assert.equal(await thread.getByRole('button', { name: 'Saved replies' }).getAttribute('aria-expanded'), 'false');
  assert.equal(await page.evaluate('document.activeElement && document.activeElement.textContent'), 'Saved replies', 'Escape goes back to the button');
  await thread.getByRole('button', { name: 'Saved replies' }).click();
  await add.click();
  await page.getByRole('heading', { name: 'Add a saved reply', exact: true }).waitFor();
  assert.match(page.url(), /\/settings\/saved-replies$/);
});

test('Settings → Saved replies: add with a live preview (a typo is shown), edit, delete after confirming', async () => {
  const page = await h.newPage('desktop');
  await signInAsOwner(page);
  await openScreen(page, 'Settings');
  await page.getByRole('navigation', { name: 'Settings sections' }).getByRole('link', { name: 'Saved replies', exact: true }).click();
  await page.getByRole('heading', { name: 'Add a saved reply', exact: true }).waitFor();
  await waitForText(page.locator('main'), /No saved replies yet/, 'none yet');

  const title = page.getByLabel('New reply: title', { exact: true });
  const message = page.getByLabel('New reply: message', { exact: true });
  const preview = page.getByRole('group', { name: 'New reply: preview' });
  await title.fill('On our way');
  await message.fill('Hi {{frist_name}}!');
  await waitForText(page.getByRole('list', { name: 'Problems with this message' }), /Unknown variable \{\{frist_name\}\}/, 'the typo is shown while typing');
  await page.getByRole('button', { name: 'Add saved reply' }).click();
  await waitForText(page.getByRole('alert'), /unknown variable \{\{frist_name\}\}/i, 'the server refuses it, naming the variable');
  await message.fill("Hi {{first_name}}, it's {{business_name}}. We're on our way!");
  await waitForText(preview, new RegExp(`Hi Sam, it's ${business}\\. We're on our way!`), 'the preview fills in the values');
  await waitForText(preview, /1 segment.*GSM-7/, 'the preview counts segments');
  assert.equal(await page.getByRole('list', { name: 'Problems with this message' }).count(), 0, 'no problems listed (no text-back rules for a reply)');
  await page.getByRole('button', { name: 'Add saved reply' }).click();
  await waitForText(page.getByRole('status').filter({ hasText: 'Added' }), /Added “On our way”\./, 'the added status');
  const listed = page.getByRole('region', { name: 'Saved replies' });
  await waitForText(listed, /On our way[\s\S]*Hi \{\{first_name\}\}, it's \{\{business_name\}\}/, 'the new reply is listed');
  assert.equal(await title.inputValue(), '', 'the form is empty again');

  // A second one, edited, then deleted after a confirmation.
  await title.fill('Running late');
  await message.fill('Sorry, we are running 15 minutes late.');
  await page.getByRole('button', { name: 'Add saved reply' }).click();
  await waitForText(listed, /Running late/, 'the second reply');
  await page.getByRole('button', { name: 'Edit “Running late”' }).click();
  await page.getByLabel('Running late: message', { exact: true }).fill('Sorry, we are running 30 minutes late.');
  await page.getByRole('button', { name: 'Save “Running late”' }).click();
  await waitForText(listed, /running 30 minutes late/, 'the edit is saved');
  await visited(page, 'settings-saved-replies');
  await page.getByRole('button', { name: 'Delete “Running late”' }).click();
  await page.getByRole('button', { name: 'Delete “Running late” now' }).click();
  await waitForText(page.getByRole('status').filter({ hasText: 'Deleted' }), /Deleted “Running late”\./, 'the deleted status');
  await h.server.waitFor(async () => (await listed.getByRole('heading', { name: 'Running late' }).count()) === 0, 'the deleted reply leaves the list');
  await listed.getByRole('heading', { name: 'On our way' }).waitFor();
  const stored = (await h.server.api('GET', '/api/v1/saved-replies')).body.savedReplies as Array<{ title: string }>;
  assert.deepEqual(stored.map((r) => r.title), ['On our way']);

  const mobile = await h.newPage('mobile');
  await signInAsOwner(mobile);
  await mobile.goto('/settings/saved-replies');
  await mobile.getByRole('heading', { name: 'Add a saved reply', exact: true }).waitFor();
  await assertNoHorizontalScroll(mobile, 'Settings → Saved replies');
  await visited(mobile, 'settings-saved-replies');
});

test('the composer inserts a saved reply by keyboard with the contact\'s first name; it is sent and shows in the thread', async () => {
  const page = await h.newPage('desktop');
  await signInAsOwner(page);
  const list = await openInbox(page);
  await list.getByRole('link', { name: /Dana Whitfield/ }).click();
  const thread = page.getByRole('region', { name: 'Conversation' });
  const composer = thread.getByLabel('Message', { exact: true });
  await composer.fill('Thanks!');

  const button = thread.getByRole('button', { name: 'Saved replies' });
  await button.focus();
  await page.keyboard.press('ArrowDown');
  const menu = page.getByRole('menu', { name: 'Insert a saved reply' });
  const item = menu.getByRole('menuitem', { name: /On our way/ });
  await item.waitFor();
  await h.server.waitFor(async () => (await page.evaluate('document.activeElement && document.activeElement.getAttribute("role")')) === 'menuitem', 'focus on the first reply');
  assert.equal(await button.getAttribute('aria-expanded'), 'true');
  await visited(page, 'inbox-saved-replies');
  await page.keyboard.press('Enter');

  const expected = `Thanks! Hi Dana, it's ${business}. We're on our way!`;
  await h.server.waitFor(async () => (await composer.inputValue()) === expected, `the composer reads "${expected}"`, 10_000);
  assert.equal(await menu.count(), 0, 'the menu closed');
  assert.equal(await page.evaluate('document.activeElement && document.activeElement.tagName'), 'TEXTAREA', 'focus is back in the message');
  await waitForText(thread, new RegExp(`${[...expected].length} characters · 1 segment · GSM-7`), 'the counter measures the inserted text');
  await waitForText(thread.getByRole('status').filter({ hasText: 'Inserted' }), /Inserted “On our way”/, 'what was inserted is said');

  await thread.getByRole('button', { name: 'Send', exact: true }).click();
  const messages = thread.getByRole('log', { name: 'Messages' });
  await waitForText(messages, /Thanks! Hi Dana, it's .+\. We're on our way!/, 'the sent reply in the thread');
  assert.equal(await composer.inputValue(), '');
  await h.server.waitFor(async () => (await h.server.phoneInbox(DANA)).some((m) => m.body === expected), 'the reply on Dana\'s phone', 10_000);

  // At 375 px the menu fits the screen.
  const mobile = await h.newPage('mobile');
  await signInAsOwner(mobile);
  await mobile.goto('/inbox');
  await mobile.getByRole('list', { name: 'Conversations' }).getByRole('link', { name: /Dana Whitfield/ }).click();
  const mobileThread = mobile.getByRole('region', { name: 'Conversation' });
  await mobileThread.getByRole('button', { name: 'Saved replies' }).click();
  await mobile.getByRole('menu', { name: 'Insert a saved reply' }).getByRole('menuitem', { name: /On our way/ }).waitFor();
  await assertNoHorizontalScroll(mobile, 'the saved replies menu');
  const box = await mobile.locator('#saved-replies-menu').boundingBox();
  assert.ok(box && box.x >= 0 && box.x + box.width <= 375, `the menu is on screen: ${JSON.stringify(box)}`);
  await visited(mobile, 'inbox-saved-replies');
});

test('an agent sees saved replies read-only in Settings and inserts them in the composer', async () => {
  const added = await h.server.api('POST', '/api/v1/team', { email: AGENT_EMAIL, name: 'Sky Agent', role: 'agent' });
  assert.equal(added.status, 201, JSON.stringify(added.body));
  const token = new URL(added.body.inviteUrl).searchParams.get('token');
  const accepted = await h.server.api('POST', '/api/v1/auth/invitations/accept', { token, password: AGENT_PASSWORD }, { key: null });
  assert.equal(accepted.status, 200, JSON.stringify(accepted.body));

  const page = await h.newPage('desktop');
  await signIn(page, AGENT_EMAIL, AGENT_PASSWORD);
  await page.goto('/settings/saved-replies');
  await waitForText(page.getByRole('region', { name: 'Saved replies' }), /On our way/, 'the agent sees the replies');
  await waitForText(page.locator('main'), /signed in as an agent/, 'the read-only note');
  assert.equal(await page.getByRole('heading', { name: 'Add a saved reply' }).count(), 0, 'no form to add one');
  assert.equal(await page.getByRole('button', { name: /Edit|Delete/ }).count(), 0, 'no edit or delete');

  const list = await openInbox(page);
  await list.getByRole('link', { name: /555.?\s?555-0192/ }).click();
  const thread = page.getByRole('region', { name: 'Conversation' });
  await thread.getByRole('button', { name: 'Saved replies' }).click();
  await page.getByRole('menuitem', { name: /On our way/ }).click();
  // Lee has no name saved: "there", and the composer says why.
  await h.server.waitFor(async () => (await thread.getByLabel('Message', { exact: true }).inputValue()).startsWith("Hi there, it's"), 'the reply for a contact without a name');
  await waitForText(thread.getByRole('status').filter({ hasText: 'Inserted' }), /no first name is saved/i, 'the warning about the missing name');
});
