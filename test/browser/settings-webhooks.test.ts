// Settings → API keys and webhooks (issue 7): an owner adds a webhook pointing at a real HTTP
// receiver on loopback, sends a signed test event, watches a failing delivery be retried and fail
// in the delivery log, redelivers it once the receiver is fixed, changes the webhook, replaces its
// signing secret (shown once; the old one stops verifying) and deletes it after confirming. An API
// key is created (shown once), works against the API, and is refused once revoked. An agent sees
// the lists without any button that changes them. axe and screenshots at 375 and 1280 px.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { verifyWebhook } from '../../src/domain/webhook-signature.ts';
import { settle } from '../helpers.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver.ts';
import { assertNoHorizontalScroll, checkA11y, screenshot, signIn, signInAsOwner, startBrowserHarness, visited, waitForText, type BrowserHarness, type ViewportName } from './harness.ts';

let h: BrowserHarness;
let receiver: WebhookReceiver;
const AGENT_EMAIL = 'kim.agent@ringback.local';
const AGENT_PASSWORD = 'agent password 2026';
const nowSeconds = () => Math.floor(Date.now() / 1000);

before(async () => {
  // Two attempts a delivery and a short backoff: a failing delivery fails within seconds.
  h = await startBrowserHarness({
    RINGBACK_WEBHOOK_MAX_ATTEMPTS: '2',
    RINGBACK_JOB_BACKOFF_BASE_MS: '500',
    RINGBACK_JOB_BACKOFF_CAP_MS: '500',
    RINGBACK_WEBHOOK_TIMEOUT_MS: '3000',
  });
  receiver = await startWebhookReceiver();
});
after(async () => {
  await h?.close();
  await receiver?.close();
});

async function openApiSettings(page: Page): Promise<void> {
  await page.goto('/settings/api');
  await page.getByRole('heading', { name: 'Outgoing webhooks', exact: true }).waitFor();
  await page.getByRole('heading', { name: 'API keys', exact: true }).waitFor();
}

/** The endpoint's own list item (the first: delivery items are nested inside it). */
function endpointRow(page: Page): Locator {
  return page.getByRole('list', { name: 'Webhooks' }).getByRole('listitem').first();
}

function rowStatus(page: Page): Locator {
  return endpointRow(page).getByRole('status').first();
}

async function endpoints(): Promise<Array<{ id: string; url: string; description: string | null; events: string[]; enabled: boolean }>> {
  return (await h.server.api('GET', '/api/v1/webhook-endpoints')).body.endpoints;
}

async function focusedText(page: Page): Promise<string> {
  return (await page.evaluate('document.activeElement ? document.activeElement.textContent : ""')) as string;
}

test('webhooks: add, test, a failure retried and logged, redeliver, change, new secret, delete', async () => {
  const page = await h.newPage('desktop');
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: h.server.url });
  await signInAsOwner(page);
  await openApiSettings(page);

  // Wrong input: the server's reasons at the fields, nothing created.
  await page.getByLabel('Webhook URL', { exact: true }).fill('ftp://example.com/hook');
  for (const name of ['Missed call', 'Text received', 'Lead changed stage', 'Callback overdue']) await page.getByRole('checkbox', { name }).uncheck();
  await page.getByRole('button', { name: 'Add webhook' }).click();
  await waitForText(page.locator('.field-error').first(), /^URL must be an http\(s\) URL/, 'the URL error at the URL field');
  assert.equal(await page.getByLabel('Webhook URL', { exact: true }).getAttribute('aria-invalid'), 'true');
  await waitForText(page.getByRole('group', { name: 'Events to send' }), /Events must list at least one event/, 'the events error at the events');
  assert.equal((await endpoints()).length, 0, 'nothing was created');
  // Each event says what it means.
  const describedBy = await page.getByRole('checkbox', { name: 'Missed call' }).getAttribute('aria-describedby');
  const missed = await page.locator(`[id="${describedBy}"]`).innerText();
  assert.match(missed, /call\.missed: A call went unanswered/);

  await page.getByLabel('Webhook URL', { exact: true }).fill(receiver.url);
  await page.getByLabel('Description (optional)', { exact: true }).fill('CRM');
  for (const name of ['Missed call', 'Text received', 'Lead changed stage']) await page.getByRole('checkbox', { name }).check();
  await page.getByRole('button', { name: 'Add webhook' }).click();
  const created = page.getByRole('status').filter({ hasText: 'Signing secret' });
  await waitForText(created, /whsec_\S+/, 'the signing secret is shown once');
  const secret = (await created.locator('code').innerText()).trim();
  assert.match(secret, /^whsec_/);
  await created.getByRole('button', { name: 'Copy secret' }).click();
  await waitForText(created, /Copied\./, 'the copy confirmation');
  assert.equal(await page.evaluate('navigator.clipboard.readText()'), secret, 'the clipboard holds the secret');
  const [endpoint] = await endpoints();
  assert.ok(endpoint, 'the endpoint is stored');
  assert.equal(endpoint.url, receiver.url);
  assert.equal(endpoint.description, 'CRM');
  assert.deepEqual(endpoint.events, ['call.missed', 'message.received', 'lead.stage_changed']);
  await checkA11y(page, 'settings-webhooks-added');

  // A test event: delivered, signed with the secret that was shown.
  await endpointRow(page).getByRole('button', { name: /^Send a test event/ }).click();
  await waitForText(rowStatus(page), /Test event delivered: your endpoint answered 200 in \d+ ms\./, 'the test event result');
  const [ping] = await receiver.waitForRequests(1);
  const signature = ping!.headers['ringback-signature'];
  assert.equal(typeof signature, 'string', 'the request carries a ringback-signature header');
  assert.ok(verifyWebhook(secret, ping!.body, signature as string, nowSeconds()).ok, 'it verifies with the secret shown');
  assert.equal(JSON.parse(ping!.body).type, 'ping');
  const log = endpointRow(page).getByRole('list', { name: 'Delivery log' });
  await waitForText(log, /Delivered/, 'the delivered test event in the log');

  // The receiver breaks: 500 (asking for a retry in 4 s), then 500 again, the last attempt.
  receiver.script({ status: 500, headers: { 'retry-after': '4' } }, 500);
  await endpointRow(page).getByRole('button', { name: /^Send a test event/ }).click();
  await waitForText(rowStatus(page), /Test event not delivered yet\. Your endpoint answered 500 Internal Server Error; it needs to answer with a 2xx code\. Ringback tries again/, 'the failed test event, with the retry');
  const failing = log.getByRole('listitem').filter({ hasText: /Retrying|Failed/ });
  await waitForText(failing, /Retrying[\s\S]*Next try/, 'the log shows the retry and when it is due');
  await waitForText(failing, /^Failed[\s\S]*2 attempts\. Last: Your endpoint answered 500/, 'the log shows the failure and its status code', 15_000);
  await waitForText(rowStatus(page), /^Test event not delivered after 2 attempts\. Your endpoint answered 500/, 'the test event result follows the retry to the end');
  await failing.getByText(/^Every attempt/).click();
  await waitForText(failing.getByRole('listitem').nth(1), /answered 500[\s\S]*scripted 500/, 'each attempt with its answer');
  await screenshot(page, 'settings-webhooks-deliveries');
  await checkA11y(page, 'settings-webhooks-deliveries');

  // Fixed (the script is used up: 200 from now on). Redeliver: the same event, delivered.
  const failedEventId = receiver.requests[1]!.headers['ringback-event-id'];
  await failing.getByRole('button', { name: /^Redeliver/ }).click();
  const redelivered = log.getByRole('listitem').filter({ hasText: 'Sent again' });
  await waitForText(redelivered, /Sent again and delivered: your endpoint answered 200/, 'the redelivery result');
  await waitForText(redelivered, /^Delivered/, 'the delivery is now delivered');
  assert.equal(receiver.requests.length, 4);
  assert.equal(receiver.requests[3]!.headers['ringback-event-id'], failedEventId, 'the same event was sent again');

  // Change it: a bad URL is refused at the field; a good change is stored.
  await endpointRow(page).getByRole('button', { name: /^Edit/ }).click();
  const edit = page.getByRole('form', { name: /^Change the webhook to/ });
  await edit.getByLabel('Webhook URL', { exact: true }).fill('javascript:alert(1)');
  await edit.getByRole('button', { name: 'Save webhook' }).click();
  await waitForText(edit.locator('.field-error').first(), /^URL must be an http\(s\) URL/, 'the edit form shows the URL error');
  await edit.getByLabel('Webhook URL', { exact: true }).fill(receiver.url);
  await edit.getByLabel('Description (optional)', { exact: true }).fill('Dispatch board');
  await edit.getByRole('checkbox', { name: 'Lead changed stage' }).uncheck();
  await edit.getByRole('checkbox', { name: 'Callback overdue' }).check();
  await edit.getByRole('button', { name: 'Save webhook' }).click();
  await waitForText(rowStatus(page), /^Saved\.$/, 'saved');
  assert.match(await focusedText(page), /^Edit/, 'focus is back on the Edit button');
  let [stored] = await endpoints();
  assert.equal(stored!.description, 'Dispatch board');
  assert.deepEqual(stored!.events, ['call.missed', 'message.received', 'task.overdue']);

  // Off and on.
  await endpointRow(page).getByRole('button', { name: /^Turn off/ }).click();
  await waitForText(rowStatus(page), /Turned off: no events are sent/, 'turned off');
  assert.equal((await endpoints())[0]!.enabled, false);
  await endpointRow(page).getByRole('button', { name: /^Turn on/ }).click();
  await waitForText(rowStatus(page), /Turned on/, 'turned on');
  assert.equal((await endpoints())[0]!.enabled, true);

  // A new signing secret: asked first (Escape / "Keep" go back), then shown once.
  await endpointRow(page).getByRole('button', { name: /^Replace signing secret/ }).click();
  const ask = page.getByRole('group', { name: /^Replace the signing secret/ });
  await waitForText(ask, /stops working at once[\s\S]*no overlap/, 'the question says the old secret stops at once');
  await ask.getByRole('button', { name: 'Keep the current one' }).click();
  assert.equal(await ask.count(), 0, 'the question is gone');
  assert.match(await focusedText(page), /^Replace signing secret/, 'focus is back on the button');
  await endpointRow(page).getByRole('button', { name: /^Replace signing secret/ }).click();
  await page.keyboard.press('Escape');
  assert.equal(await ask.count(), 0, 'Escape closes the question');
  await endpointRow(page).getByRole('button', { name: /^Replace signing secret/ }).click();
  await ask.getByRole('button', { name: 'Replace secret now' }).click();
  const rotated = page.getByRole('status').filter({ hasText: 'New signing secret' });
  await waitForText(rotated, /whsec_\S+[\s\S]*/, 'the new secret is shown');
  assert.match(await rotated.innerText(), /shown only this once\. The old secret has stopped working/);
  const newSecret = (await rotated.locator('code').innerText()).trim();
  assert.notEqual(newSecret, secret);
  assert.equal(await focusedText(page), 'Copy secret', 'focus is on the copy button');
  await endpointRow(page).getByRole('button', { name: /^Send a test event/ }).click();
  await waitForText(rowStatus(page), /Test event delivered/, 'a test event after the rotation');
  const last = receiver.requests.at(-1)!;
  assert.ok(verifyWebhook(newSecret, last.body, last.headers['ringback-signature'] as string, nowSeconds()).ok, 'signed with the new secret');
  assert.equal(verifyWebhook(secret, last.body, last.headers['ringback-signature'] as string, nowSeconds()).ok, false, 'the old secret no longer verifies');

  // Delete, after confirming.
  await endpointRow(page).getByRole('button', { name: /^Delete/ }).click();
  const confirmDelete = page.getByRole('group', { name: /^Delete the webhook to/ });
  await waitForText(confirmDelete, /delivery log is deleted with it\. This cannot be undone\./, 'the delete question');
  assert.equal((await endpoints()).length, 1, 'nothing deleted before confirming');
  await confirmDelete.getByRole('button', { name: 'Delete webhook now' }).click();
  await waitForText(page.getByRole('status').filter({ hasText: 'is deleted' }), /The webhook to .* is deleted\./, 'the deletion is confirmed');
  await page.getByText('No webhooks yet.').waitFor();
  stored = (await endpoints())[0];
  assert.equal(stored, undefined, 'the endpoint is gone');
});

test('API keys: created and shown once, works against the API, refused once revoked', async () => {
  const page = await h.newPage('desktop');
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: h.server.url });
  await signInAsOwner(page);
  await openApiSettings(page);

  await page.getByRole('button', { name: 'Create key' }).click();
  await waitForText(page.locator('.field-error').first(), /^Name must not be empty/, 'the name error at the field');

  await page.getByLabel("New key's name", { exact: true }).fill('Reporting script');
  await page.getByRole('button', { name: 'Create key' }).click();
  const shown = page.getByRole('status').filter({ hasText: 'Reporting script' });
  await waitForText(shown, /rb_\S+/, 'the new key');
  assert.match(await shown.innerText(), /Store it now .*: it won't be shown again\./);
  const key = (await shown.locator('code').innerText()).trim();
  assert.match(key, /^rb_[A-Za-z0-9_-]{20,}$/);
  await shown.getByRole('button', { name: 'Copy key' }).click();
  await waitForText(shown, /Copied\./, 'copied');
  assert.equal(await page.evaluate('navigator.clipboard.readText()'), key);
  const keys = page.getByRole('list', { name: 'API keys' });
  await waitForText(keys, new RegExp(`Reporting script ${key.slice(0, 10)}…[\\s\\S]*never used`), 'the key is listed by name and prefix, never used');
  await checkA11y(page, 'settings-api-keys-created');
  await screenshot(page, 'settings-api-keys-created');

  // The key works, as the API expects it: Authorization: Bearer <key>.
  const call = (k: string) => fetch(`${h.server.url}/api/v1/account`, { headers: { authorization: `Bearer ${k}` } });
  const ok = await call(key);
  assert.equal(ok.status, 200);
  assert.ok(((await ok.json()) as { account: { id: string } }).account.id);
  await page.reload();
  await waitForText(page.getByRole('list', { name: 'API keys' }), /Reporting script[\s\S]*last used/, 'the list says when it was last used');
  assert.equal(await page.getByRole('status').filter({ hasText: 'rb_' }).count(), 0, 'the key is not shown again');

  await page.getByRole('button', { name: 'Revoke Reporting script', exact: true }).click();
  const ask = page.getByRole('group', { name: /^Revoke the key “Reporting script”/ });
  await waitForText(ask, /refused from the next request on/, 'the revoke question');
  await ask.getByRole('button', { name: 'Revoke Reporting script now' }).click();
  await waitForText(page.getByRole('status').filter({ hasText: 'is revoked' }), /The key “Reporting script” is revoked\./, 'revoked');
  await waitForText(page.getByRole('list', { name: 'API keys' }), /Reporting script[\s\S]*Revoked/, 'the list marks it revoked');
  assert.equal(await page.getByRole('button', { name: 'Revoke Reporting script', exact: true }).count(), 0, 'no revoke button for a revoked key');
  const refused = await call(key);
  assert.equal(refused.status, 401, 'a revoked key is refused');
});

test('an agent sees keys, webhooks and the delivery log, with no button that changes them', async () => {
  const r = await h.server.api('POST', '/api/v1/webhook-endpoints', { url: receiver.url, events: ['call.missed'], description: 'Agent view' });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal((await h.server.api('POST', `/api/v1/webhook-endpoints/${r.body.endpoint.id}/test`)).status, 202);
  await settle(h.server);
  assert.equal((await h.server.api('POST', '/api/v1/api-keys', { name: 'Owner tool' })).status, 201);

  const added = await h.server.api('POST', '/api/v1/team', { email: AGENT_EMAIL, name: 'Kim Agent', role: 'agent' });
  assert.equal(added.status, 201, JSON.stringify(added.body));
  const url = new URL(added.body.inviteUrl as string, 'http://x');
  const token = url.searchParams.get('token') ?? url.pathname.split('/').filter(Boolean).at(-1);
  const accepted = await h.server.api('POST', '/api/v1/auth/invitations/accept', { token, password: AGENT_PASSWORD }, { key: null });
  assert.ok(accepted.status < 300, `accepting the invitation: ${accepted.status} ${JSON.stringify(accepted.body)}`);

  const page = await h.newPage('mobile');
  await signIn(page, AGENT_EMAIL, AGENT_PASSWORD);
  await openApiSettings(page);
  await waitForText(page.locator('.alert-warn'), /signed in as an agent/, 'the read-only note');
  await waitForText(page.getByRole('list', { name: 'API keys' }), /Owner tool/, 'the agent sees the keys');
  await waitForText(page.getByRole('list', { name: 'Webhooks' }), new RegExp(receiver.url.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')), 'the agent sees the webhooks');
  await endpointRow(page).getByRole('button', { name: /^Show delivery log/ }).click();
  await waitForText(endpointRow(page).getByRole('list', { name: 'Delivery log' }), /Test event[\s\S]*Delivered/, 'the agent sees the delivery log');
  for (const name of [/^Create key$/, /^Add webhook$/, /^Revoke/, /^Edit/, /^Turn (off|on)/, /^Send a test event/, /^Replace signing secret/, /^Delete/, /^Redeliver/]) {
    assert.equal(await page.getByRole('button', { name }).count(), 0, `no ${name} button for an agent`);
  }
  assert.equal(await page.getByLabel('Webhook URL').count(), 0, 'no add form for an agent');
  await assertNoHorizontalScroll(page, 'API keys and webhooks (agent)');
  await visited(page, 'settings-webhooks-agent');
  await h.server.api('DELETE', `/api/v1/webhook-endpoints/${r.body.endpoint.id}`);
});

test('the delivery log shows the newest ten and pages to older ones', async () => {
  const r = await h.server.api('POST', '/api/v1/webhook-endpoints', { url: receiver.url, events: ['message.received'] });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const id = r.body.endpoint.id as string;
  try {
    for (let i = 0; i < 12; i++) assert.equal((await h.server.api('POST', `/api/v1/webhook-endpoints/${id}/test`)).status, 202);
    await settle(h.server);
    const page = await h.newPage('desktop');
    await signInAsOwner(page);
    await openApiSettings(page);
    await endpointRow(page).getByRole('button', { name: /^Show delivery log/ }).click();
    const log = endpointRow(page).getByRole('list', { name: 'Delivery log' });
    await waitForText(log, /Delivered/, 'the log is shown');
    const items = log.locator(':scope > li');
    assert.equal(await items.count(), 10, 'the first page');
    await endpointRow(page).getByRole('button', { name: /^Show older deliveries/ }).click();
    await endpointRow(page).getByText('That is every delivery.').waitFor();
    assert.equal(await items.count(), 12, 'the older ones follow');
    assert.equal(await endpointRow(page).getByRole('button', { name: /^Show older deliveries/ }).count(), 0);
  } finally {
    await h.server.api('DELETE', `/api/v1/webhook-endpoints/${id}`);
  }
});

for (const viewport of ['mobile', 'desktop'] as ViewportName[]) {
  test(`the section with a webhook, its log and a confirm step passes axe and fits at ${viewport} width`, async () => {
    const r = await h.server.api('POST', '/api/v1/webhook-endpoints', {
      url: `${receiver.url}/${viewport}/a-rather-long-path-that-has-to-wrap-on-a-phone`,
      events: ['call.missed', 'message.received'],
      description: `Layout check (${viewport})`,
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    receiver.script(500, 500);
    await h.server.api('POST', `/api/v1/webhook-endpoints/${r.body.endpoint.id}/test`);
    await h.server.api('POST', `/api/v1/webhook-endpoints/${r.body.endpoint.id}/test`);
    await settle(h.server);

    try {
      const page = await h.newPage(viewport);
      await signInAsOwner(page);
      await openApiSettings(page);
      await endpointRow(page).getByRole('button', { name: /^Show delivery log/ }).click();
      await waitForText(endpointRow(page).getByRole('list', { name: 'Delivery log' }), /Failed|Delivered/, 'the log is shown');
      await endpointRow(page).getByRole('button', { name: /^Delete/ }).click();
      await page.getByRole('group', { name: /^Delete the webhook to/ }).waitFor();
      await assertNoHorizontalScroll(page, `API keys and webhooks (${viewport})`);
      await visited(page, 'settings-webhooks');
      await page.getByRole('button', { name: 'Delete webhook now' }).click();
      await page.getByText('No webhooks yet.').waitFor();
    } finally {
      await h.server.api('DELETE', `/api/v1/webhook-endpoints/${r.body.endpoint.id}`);
    }
  });
}
