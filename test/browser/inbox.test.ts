// The inbox (issue 7 "Inbox"): conversations with unread counts, search and the status filter; a
// thread with delivery status and the carrier's explanation of a failure; the composer's counter
// and UCS-2 warning; resolve and reopen; notes; the contact panel with tap-to-call and timeline.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEMO_LINE, settle } from '../helpers.ts';
import { openScreen, signInAsOwner, startBrowserHarness, visited, waitForText, type BrowserHarness } from './harness.ts';

let h: BrowserHarness;
const DANA = '+15555550181';
const OTHER = '+15555550182';

before(async () => {
  h = await startBrowserHarness();
  for (const from of [DANA, OTHER]) {
    const call = await h.server.api('POST', '/api/v1/simulator/calls', { from, to: DEMO_LINE, outcome: 'unanswered' });
    assert.equal(call.status, 202, JSON.stringify(call.body));
    await settle(h.server);
  }
  const text = await h.server.api('POST', '/api/v1/simulator/messages', { from: DANA, to: DEMO_LINE, body: 'Need a quote for a water heater' });
  assert.equal(text.status, 202, JSON.stringify(text.body));
  await settle(h.server);
  const contacts = await h.server.api('GET', '/api/v1/contacts');
  const dana = (contacts.body.contacts as Array<{ id: string; number: string }>).find((c) => c.number === DANA);
  assert.ok(dana, `the contact for ${DANA}: ${JSON.stringify(contacts.body)}`);
  const named = await h.server.api('PATCH', `/api/v1/contacts/${dana.id}`, { name: 'Dana Whitfield' });
  assert.equal(named.status, 200, JSON.stringify(named.body));
});
after(async () => {
  await h?.close();
});

test('inbox: unread, search, status filter, a failed send explained, composer counter and UCS-2 warning, resolve/reopen, notes, contact panel', async () => {
  const page = await h.newPage('desktop');
  await signInAsOwner(page);
  await openScreen(page, 'Inbox');
  const list = page.getByRole('list', { name: 'Conversations' });
  const links = list.getByRole('link');
  await links.nth(1).waitFor();
  assert.equal(await links.count(), 2, 'two conversations');
  const dana = list.getByRole('link', { name: /Dana Whitfield/ });
  await waitForText(dana, /1 unread/, 'Dana\'s conversation shows its unread text');

  // Search by name, then by digits of the number.
  const search = page.getByLabel('Search', { exact: true });
  await search.fill('Dana');
  await waitForText(list, /^(?![\s\S]*0182)[\s\S]*Dana Whitfield/, 'searching "Dana" shows only Dana');
  assert.equal(await links.count(), 1);
  await search.fill('0182');
  await waitForText(list, /555.?\s?555-0182/, 'searching "0182" shows that number');
  assert.equal(await links.count(), 1);
  assert.equal(await dana.count(), 0, 'Dana is not among the "0182" results');
  await search.fill('');
  await links.nth(1).waitFor();

  await dana.click();
  const thread = page.getByRole('region', { name: 'Conversation' });
  const messages = thread.getByRole('log', { name: 'Messages' });
  await waitForText(messages, /Need a quote for a water heater/, 'Dana\'s text in the thread');
  await waitForText(messages, /Reply STOP to opt out[\s\S]*Delivered/i, 'the text-back shows "Delivered"');

  // The composer counts and warns.
  const composer = thread.getByLabel('Message', { exact: true });
  await composer.fill('Hello there');
  await waitForText(thread, /11 characters · 1 segment · GSM-7/, 'the counter for a plain text');
  await composer.fill('Sure thing 👍');
  await waitForText(thread, /UCS-2/, 'the UCS-2 warning for an emoji');

  // A send the carrier refuses shows "Failed:" and the plain explanation.
  h.server.ringback.network.injectFault({ kind: 'permanent', code: '30034' });
  await composer.fill('Could we come at 3pm?');
  await thread.getByRole('button', { name: 'Send', exact: true }).click();
  await waitForText(messages, /Could we come at 3pm\?[\s\S]*Failed: [^\n]*not registered for business texting/i, 'the failed send with its explanation');
  await visited(page, 'inbox-thread-failed');

  // Notes.
  await page.getByLabel('Note', { exact: true }).fill('Prefers afternoons');
  await page.getByRole('button', { name: 'Add note' }).click();
  await waitForText(page.locator('main'), /Prefers afternoons/, 'the note in the conversation');

  // Contact panel: tap-to-call and the timeline.
  const contact = page.getByRole('complementary', { name: 'Contact' });
  assert.equal(await contact.getByRole('link', { name: 'Call' }).getAttribute('href'), `tel:${DANA}`);
  const timeline = contact.getByRole('list', { name: 'Timeline' });
  await waitForText(timeline, /missed/i, 'the missed call on the timeline');
  assert.ok((await timeline.getByRole('listitem').count()) >= 2, 'the timeline lists the call and the texts');

  // Assign and Snooze are offered; resolve and reopen.
  await thread.getByRole('button', { name: 'Assign' }).waitFor();
  await thread.getByRole('button', { name: 'Snooze' }).waitFor();
  await thread.getByRole('button', { name: 'Resolve' }).click();
  await thread.getByRole('button', { name: 'Reopen' }).waitFor();
  const status = page.getByLabel('Status', { exact: true });
  await status.selectOption({ label: 'Resolved' });
  await dana.waitFor();
  assert.equal(await links.count(), 1, 'only the resolved conversation under "Resolved"');
  await status.selectOption({ label: 'Open' });
  await h.server.waitFor(async () => (await dana.count()) === 0, 'Dana\'s resolved conversation leaves the "Open" list', 10_000);
  await thread.getByRole('button', { name: 'Reopen' }).click();
  await thread.getByRole('button', { name: 'Resolve' }).waitFor();
  await dana.waitFor();
  await visited(page, 'inbox-thread-notes');
});
