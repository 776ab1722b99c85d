// Get started, "connect a real number" (issue 7 "First run": "connect a real number (Twilio/Telnyx)
// with the check results in plain words"): the credential fields follow the chosen carrier, and a
// check that fails says why in words (a malformed Account SID is caught before any network call).
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

test('connect a real number: fields per carrier, and a failed check in plain words', async () => {
  const page = await h.newPage('desktop');
  await signInAsOwner(page);
  await openScreen(page, 'Get started');
  const carrier = page.getByLabel('Carrier', { exact: true });
  await carrier.selectOption({ label: 'Telnyx' });
  await page.getByLabel('API key', { exact: true }).waitFor();
  await page.getByLabel('Public key', { exact: true }).waitFor();
  assert.equal(await page.getByLabel('Account SID', { exact: true }).count(), 0, 'no Twilio fields for Telnyx');

  await carrier.selectOption({ label: 'Twilio' });
  await page.getByLabel('Account SID', { exact: true }).fill('AC-not-a-real-sid');
  await page.getByLabel('Auth Token', { exact: true }).fill('not-a-real-token');
  assert.equal(await page.getByLabel('API key', { exact: true }).count(), 0, 'no Telnyx fields for Twilio');
  await page.getByRole('button', { name: 'Check and connect' }).click();
  await waitForText(page.getByRole('status').filter({ hasText: /\S/ }).last(), /Account SID[\s\S]*AC followed by 32 hex digits|AC followed by 32 hex digits/i, 'the check result in plain words (role=status)');
  const carriers = await h.server.api('GET', '/api/v1/carriers');
  assert.deepEqual(
    (carriers.body.carriers as Array<{ kind: string }>).filter((c) => c.kind === 'twilio'),
    [],
    'no Twilio connection is stored after a failed check (the demo line\'s simulator is the only carrier)',
  );
  await visited(page, 'get-started-connect-failed');
});
