// Calls (issue 7 "Calls"): every call with its outcome and the decision in a sentence, and a
// voicemail player with its transcript when the call left one.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEMO_LINE, settle } from '../helpers.ts';
import { openScreen, signInAsOwner, startBrowserHarness, visited, waitForText, type BrowserHarness } from './harness.ts';

let h: BrowserHarness;
const CALLER = '+15555550191';
const VOICEMAIL_URL = 'https://recordings.example.test/RE0123456789abcdef.mp3';

before(async () => {
  h = await startBrowserHarness();
  const call = await h.server.api('POST', '/api/v1/simulator/calls', { from: CALLER, to: DEMO_LINE, outcome: 'unanswered' });
  assert.equal(call.status, 202, JSON.stringify(call.body));
  await settle(h.server);
  // The simulator's callers leave no voicemail; a carrier's recording and transcript land in these
  // two columns (twilio-flow and telnyx-flow test that path), so the screen is given one directly.
  const [updated] = await h.server.ringback.store.db
    .updateTable('calls')
    .set({ voicemail_url: VOICEMAIL_URL, voicemail_transcript: 'Hi, the kitchen tap is leaking, please call me back.' })
    .where('from_number', '=', CALLER)
    .execute();
  assert.equal(Number(updated?.numUpdatedRows), 1, 'the call got its voicemail');
});
after(async () => {
  await h?.close();
});

test('calls: outcome, the decision in a sentence, the voicemail player and its transcript', async () => {
  const page = await h.newPage('desktop');
  await signInAsOwner(page);
  await openScreen(page, 'Calls');
  await page.getByRole('heading', { name: 'Calls' }).waitFor();
  const table = page.getByRole('table');
  const row = table.getByRole('row').filter({ hasText: /555.?\s?555-0191/ });
  await waitForText(row, /Missed/i, 'the call\'s outcome');
  await waitForText(row, /Texted back: the call was missed\./, 'the decision sentence');
  await waitForText(row, /the kitchen tap is leaking/, 'the voicemail transcript');
  const audio = row.locator('audio');
  assert.equal(await audio.count(), 1, 'a voicemail player');
  assert.equal(await audio.getAttribute('src'), VOICEMAIL_URL);
  await visited(page, 'calls-voicemail');
});
