// Browser sign-in over real HTTP: sessions in an httpOnly cookie, CSRF on changes, API keys
// unchanged, failed sign-ins limited, sign-out and password changes ending sessions, reset and
// invitation links read from real mail, and the owner's one-time welcome link.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import { loadConfig } from '../src/config.ts';
import { createRingback } from '../src/main.ts';
import { startTestServer, type TestServer } from './helpers.ts';
import { SessionClient as Browser } from './support/session-client.ts';
import { startSmtpSink, type SmtpSink } from './support/smtp-sink.ts';
import { testDatabaseEnv, testStoreKind } from './support/test-database.ts';

const OWNER_EMAIL = 'owner@ringback.local';
const OWNER_PASSWORD = 'correct horse battery';
const WRONG = 'the email or password is wrong';


function linkToken(text: string | undefined, page: string): string {
  const match = new RegExp(`/${page}\\?token=([A-Za-z0-9_%-]+)`).exec(text ?? '');
  assert.ok(match, `no /${page} link in: ${text}`);
  return decodeURIComponent(match[1]!);
}

describe('sign-in', () => {
  let server: TestServer;
  let sink: SmtpSink;
  before(async () => {
    sink = await startSmtpSink();
    server = await startTestServer({ RINGBACK_SMTP_URL: sink.url });
  });
  after(async () => {
    await server.close();
    await sink.close();
  });

  test('the owner signs in: who they are, a CSRF token, and an httpOnly SameSite=Lax cookie', async () => {
    const res = await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'Owner@Ringback.local ', password: OWNER_PASSWORD }),
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as any;
    assert.equal(body.user.email, OWNER_EMAIL);
    assert.equal(typeof body.user.id, 'string');
    assert.equal(typeof body.account.id, 'string');
    assert.equal(typeof body.account.name, 'string');
    assert.equal(body.role, 'owner');
    assert.match(body.csrfToken, /^[A-Za-z0-9_-]{20,}$/);
    const cookie = res.headers.getSetCookie().find((c) => c.startsWith('rb_session='));
    assert.ok(cookie, 'sets rb_session');
    assert.match(cookie, /; HttpOnly/i);
    assert.match(cookie, /; SameSite=Lax/i);
    assert.match(cookie, /; Path=\//);
    assert.doesNotMatch(cookie, /; Secure/i, 'plain http (no https public URL): not Secure, or the browser would drop it');
    assert.equal(res.headers.get('cache-control'), 'no-store');
  });

  test('a wrong password and an unknown email get the same answer', async () => {
    const b = new Browser(server.url);
    const wrongPassword = await b.login(OWNER_EMAIL, 'not the password');
    const unknown = await b.login('nobody@example.com', OWNER_PASSWORD);
    assert.equal(wrongPassword.status, 401);
    assert.equal(unknown.status, 401);
    assert.deepEqual(wrongPassword.body, unknown.body);
    assert.equal(wrongPassword.body.error.message, WRONG);
    assert.equal(b.cookie, null);
    const bad = await b.call('POST', '/api/v1/auth/login', { email: 'not-an-email', password: '' });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.error.fields.map((f: any) => f.field).sort(), ['email', 'password']);
  });

  test('GET /auth/me answers for a session and for an API key, 401 for neither', async () => {
    const b = new Browser(server.url);
    const login = await b.login(OWNER_EMAIL, OWNER_PASSWORD);
    const me = await b.call('GET', '/api/v1/auth/me');
    assert.equal(me.status, 200);
    assert.deepEqual(me.body, login.body);
    const byKey = await server.api('GET', '/api/v1/auth/me');
    assert.equal(byKey.status, 200);
    assert.equal(byKey.body.role, 'owner');
    assert.equal(byKey.body.csrfToken, null);
    assert.equal((await new Browser(server.url).call('GET', '/api/v1/auth/me')).status, 401);
    const forged = new Browser(server.url);
    forged.cookie = 'rb_session=made-up';
    assert.equal((await forged.call('GET', '/api/v1/auth/me')).status, 401);
    assert.equal((await forged.call('GET', '/api/v1/account')).status, 401);
  });

  test('a cookie change without the CSRF token, or with a wrong one, is refused and changes nothing', async () => {
    const b = new Browser(server.url);
    await b.login(OWNER_EMAIL, OWNER_PASSWORD);
    const before = (await b.call('GET', '/api/v1/account')).body.account.name;
    for (const csrf of [null, 'wrong-token', `${b.csrf}x`]) {
      const res = await b.call('PATCH', '/api/v1/account', { name: 'Forged Name' }, { csrf });
      assert.equal(res.status, 403, JSON.stringify(res.body));
      assert.equal(res.body.error.code, 'forbidden');
      assert.equal(res.body.error.message, 'missing or wrong CSRF token (send the x-csrf-token header from /api/v1/auth/me)');
    }
    assert.equal((await server.api('GET', '/api/v1/account')).body.account.name, before);
    // Logout needs it too: a cross-site page cannot sign someone out.
    assert.equal((await b.call('POST', '/api/v1/auth/logout', undefined, { csrf: null })).status, 403);
    assert.equal((await b.call('GET', '/api/v1/auth/me')).status, 200);

    const ok = await b.call('PATCH', '/api/v1/account', { name: 'Cookie Plumbing' });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal(ok.body.account.name, 'Cookie Plumbing');
  });

  test('API keys work as before, with no CSRF token', async () => {
    const res = await server.api('PATCH', '/api/v1/account', { name: 'Key Plumbing' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.account.name, 'Key Plumbing');
    assert.equal((await server.api('GET', '/api/v1/account', undefined, { key: null })).status, 401);
  });

  test('the live event stream opens with the session cookie alone (EventSource sends no headers)', async () => {
    const b = new Browser(server.url);
    await b.login(OWNER_EMAIL, OWNER_PASSWORD);
    const controller = new AbortController();
    const res = await fetch(`${server.url}/api/v1/events`, { headers: { cookie: b.cookie!, accept: 'text/event-stream' }, signal: controller.signal });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    // An event for this account arrives on the stream.
    const reader = res.body!.getReader();
    await server.api('POST', '/api/v1/simulator/calls', { from: '+12125550142', to: '+15555550100', outcome: 'unanswered' });
    let seen = '';
    const deadline = Date.now() + 5000;
    while (!seen.includes('event:') && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += new TextDecoder().decode(value);
    }
    controller.abort();
    await reader.cancel().catch(() => {});
    assert.match(seen, /event: /);
    const anonymous = await fetch(`${server.url}/api/v1/events`);
    assert.equal(anonymous.status, 401);
    await anonymous.body?.cancel();
  });

  test('five failed sign-ins for one email: the sixth try is refused with 429 and Retry-After, even with the right password', async () => {
    const b = new Browser(server.url);
    const invited = await server.api('POST', '/api/v1/team', { email: 'locked@example.com', name: 'Lock Ed', role: 'agent' });
    assert.equal(invited.status, 201);
    const token = linkToken((await sink.waitForMails(1, { to: 'locked@example.com' }))[0]!.text, 'accept-invite');
    assert.equal((await b.call('POST', '/api/v1/auth/invitations/accept', { token, password: 'locked password 1' })).status, 200);
    for (let i = 0; i < 5; i++) assert.equal((await b.login('locked@example.com', `guess ${i}`)).status, 401);
    const limited = await b.login('locked@example.com', 'locked password 1');
    assert.equal(limited.status, 429);
    const retryAfter = Number(limited.headers.get('retry-after'));
    assert.ok(retryAfter > 0 && retryAfter <= 15 * 60, `Retry-After ${retryAfter}`);
    assert.match(limited.body.error.message, /too many failed sign-ins for this email; try again in 15 minutes/);
    // Another person from the same address still signs in (the per-IP limit is 20).
    assert.equal((await new Browser(server.url).login(OWNER_EMAIL, OWNER_PASSWORD)).status, 200);
  });

  test('signing out ends the session on the server and clears the cookie', async () => {
    const b = new Browser(server.url);
    await b.login(OWNER_EMAIL, OWNER_PASSWORD);
    const stolen = b.cookie!;
    const out = await fetch(`${server.url}/api/v1/auth/logout`, { method: 'POST', headers: { cookie: stolen, 'x-csrf-token': b.csrf! } });
    assert.equal(out.status, 204);
    const cleared = out.headers.getSetCookie().find((c) => c.startsWith('rb_session='));
    assert.match(cleared ?? '', /^rb_session=;.*(Max-Age=0|Expires=Thu, 01 Jan 1970)/i);
    const replay = new Browser(server.url);
    replay.cookie = stolen;
    assert.equal((await replay.call('GET', '/api/v1/auth/me')).status, 401);
    assert.equal((await replay.call('GET', '/api/v1/conversations')).status, 401);
  });

  test('a password change keeps this session, ends the others, and the old password stops working', async () => {
    const here = new Browser(server.url);
    const elsewhere = new Browser(server.url);
    await here.login(OWNER_EMAIL, OWNER_PASSWORD);
    await elsewhere.login(OWNER_EMAIL, OWNER_PASSWORD);
    const weak = await here.call('POST', '/api/v1/auth/password', { currentPassword: OWNER_PASSWORD, newPassword: 'short' });
    assert.equal(weak.status, 400);
    assert.equal(weak.body.error.fields[0].field, 'newPassword');
    const asEmail = await here.call('POST', '/api/v1/auth/password', { currentPassword: OWNER_PASSWORD, newPassword: OWNER_EMAIL });
    assert.equal(asEmail.status, 400);
    assert.match(asEmail.body.error.message, /newPassword must not be your email address/);
    const noCurrent = await here.call('POST', '/api/v1/auth/password', { newPassword: 'a brand new password' });
    assert.deepEqual(noCurrent.body.error.fields, [{ field: 'currentPassword', message: 'is required' }]);
    const wrongCurrent = await here.call('POST', '/api/v1/auth/password', { currentPassword: 'nope nope nope', newPassword: 'a brand new password' });
    assert.equal(wrongCurrent.status, 400);
    assert.equal(wrongCurrent.body.error.fields[0].field, 'currentPassword');
    assert.equal((await here.call('POST', '/api/v1/auth/password', { currentPassword: OWNER_PASSWORD, newPassword: 'a brand new password' }, { csrf: null })).status, 403);

    const changed = await here.call('POST', '/api/v1/auth/password', { currentPassword: OWNER_PASSWORD, newPassword: 'a brand new password' });
    assert.equal(changed.status, 204, JSON.stringify(changed.body));
    assert.equal((await here.call('GET', '/api/v1/auth/me')).status, 200);
    assert.equal((await elsewhere.call('GET', '/api/v1/auth/me')).status, 401);
    assert.equal((await new Browser(server.url).login(OWNER_EMAIL, OWNER_PASSWORD)).status, 401);
    assert.equal((await new Browser(server.url).login(OWNER_EMAIL, 'a brand new password')).status, 200);
    // Back as it was, for the other tests.
    assert.equal((await here.call('POST', '/api/v1/auth/password', { currentPassword: 'a brand new password', newPassword: OWNER_PASSWORD })).status, 204);
  });

  test('an invitation by email: the new member sets a password from the link and is signed in; the link works once', async () => {
    const added = await server.api('POST', '/api/v1/team', { email: 'ann@example.com', name: 'Ann Agent', role: 'agent' });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    assert.deepEqual(added.body.invitation, { emailed: true });
    assert.equal(added.body.inviteUrl, undefined, 'emailed: the link is not handed to the owner');
    const [mail] = await sink.waitForMails(1, { to: 'ann@example.com' });
    assert.match(mail!.subject ?? '', /invited to .* on Ringback/);
    assert.ok(mail!.text?.includes(`${server.url}/accept-invite?token=`));
    const token = linkToken(mail!.text, 'accept-invite');

    // Before accepting, no password signs Ann in.
    assert.equal((await new Browser(server.url).login('ann@example.com', '!unusable')).status, 401);
    const b = new Browser(server.url);
    const weak = await b.call('POST', '/api/v1/auth/invitations/accept', { token, password: 'short' });
    assert.equal(weak.status, 400);
    assert.equal(weak.body.error.fields[0].field, 'password');
    const accepted = await b.call('POST', '/api/v1/auth/invitations/accept', { token, password: 'anns own password', name: 'Ann A.' });
    assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
    assert.equal(accepted.body.role, 'agent');
    assert.equal(accepted.body.user.email, 'ann@example.com');
    assert.equal(accepted.body.user.name, 'Ann A.');
    assert.ok(b.cookie);
    assert.equal((await b.call('GET', '/api/v1/conversations')).status, 200);

    const again = await new Browser(server.url).call('POST', '/api/v1/auth/invitations/accept', { token, password: 'someone elses password' });
    assert.equal(again.status, 400);
    assert.equal(again.body.error.fields[0].field, 'token');
    assert.equal((await new Browser(server.url).login('ann@example.com', 'anns own password')).status, 200);
  });

  test('a password reset by email: one link, one hour, single use; every session ends; unknown emails get the same 202', async () => {
    const b = new Browser(server.url);
    await b.login('ann@example.com', 'anns own password');
    const before = sink.mails.length;
    const unknown = await new Browser(server.url).call('POST', '/api/v1/auth/password-reset', { email: 'stranger@example.com' });
    const known = await new Browser(server.url).call('POST', '/api/v1/auth/password-reset', { email: 'ANN@example.com' });
    assert.equal(unknown.status, 202);
    assert.equal(known.status, 202);
    assert.deepEqual(unknown.body, known.body);
    const mails = await sink.waitForMails(before + 1);
    const mail = mails.at(-1)!;
    assert.equal(mail.subject, 'Reset your Ringback password');
    assert.equal(sink.to('stranger@example.com').length, 0);
    const token = linkToken(mail.text, 'reset-password');

    const bad = await new Browser(server.url).call('POST', '/api/v1/auth/password-reset/complete', { token: 'made-up', newPassword: 'a fresh password' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.fields[0].field, 'token');
    const weak = await new Browser(server.url).call('POST', '/api/v1/auth/password-reset/complete', { token, newPassword: 'ann@example.com' });
    assert.equal(weak.status, 400);
    assert.equal(weak.body.error.fields[0].field, 'newPassword');

    const done = await new Browser(server.url).call('POST', '/api/v1/auth/password-reset/complete', { token, newPassword: 'a fresh password' });
    assert.equal(done.status, 204, JSON.stringify(done.body));
    assert.equal((await b.call('GET', '/api/v1/auth/me')).status, 401, 'the reset signs out every session');
    assert.equal((await new Browser(server.url).login('ann@example.com', 'anns own password')).status, 401);
    assert.equal((await new Browser(server.url).login('ann@example.com', 'a fresh password')).status, 200);
    const reused = await new Browser(server.url).call('POST', '/api/v1/auth/password-reset/complete', { token, newPassword: 'yet another password' });
    assert.equal(reused.status, 400);
    assert.equal(reused.body.error.fields[0].field, 'token');

    // An hour later, a link is dead.
    const countBefore = sink.mails.length;
    await new Browser(server.url).call('POST', '/api/v1/auth/password-reset', { email: 'ann@example.com' });
    const late = linkToken((await sink.waitForMails(countBefore + 1)).at(-1)!.text, 'reset-password');
    await server.ringback.store.db.updateTable('auth_tokens').set({ expires_at: new Date(Date.now() - 1000).toISOString() }).where('kind', '=', 'reset').where('used_at', 'is', null).execute();
    const expired = await new Browser(server.url).call('POST', '/api/v1/auth/password-reset/complete', { token: late, newPassword: 'too late password' });
    assert.equal(expired.status, 400);
    assert.equal(expired.body.error.fields[0].field, 'token');
  });
});

describe('first start: the welcome link', () => {
  test('bootstrap makes a one-time link that signs the owner in; a second start makes none', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'ringback-welcome-'));
    const database = await testDatabaseEnv();
    const env = { RINGBACK_DATA_DIR: dataDir, RINGBACK_PORT: '0', RINGBACK_HOST: '127.0.0.1', RINGBACK_LOG_LEVEL: 'silent', ...database.env };
    try {
      const first = createRingback(loadConfig(env), { logger: pino({ level: 'silent' }) });
      const boot = await first.start();
      try {
        assert.equal(boot.created, true);
        assert.ok(boot.generatedPassword, 'the generated password is still shown');
        assert.match(boot.welcomeToken ?? '', /^[A-Za-z0-9_-]{40,}$/);
        const b = new Browser(boot.url);
        assert.equal((await b.call('POST', '/api/v1/auth/welcome', { token: 'wrong' })).status, 400);
        const welcomed = await b.call('POST', '/api/v1/auth/welcome', { token: boot.welcomeToken });
        assert.equal(welcomed.status, 200, JSON.stringify(welcomed.body));
        assert.equal(welcomed.body.role, 'owner');
        assert.ok(b.cookie);
        // Signed in, the owner sets a password of their own without the generated one, once.
        const set = await b.call('POST', '/api/v1/auth/password', { newPassword: 'my own owner password' });
        assert.equal(set.status, 204, JSON.stringify(set.body));
        const twice = await b.call('POST', '/api/v1/auth/password', { newPassword: 'another owner password' });
        assert.equal(twice.status, 400);
        assert.deepEqual(twice.body.error.fields, [{ field: 'currentPassword', message: 'is required' }]);
        assert.equal((await new Browser(boot.url).login('owner@ringback.local', 'my own owner password')).status, 200);
        assert.equal((await new Browser(boot.url).login('owner@ringback.local', boot.generatedPassword!)).status, 401);
        const again = await new Browser(boot.url).call('POST', '/api/v1/auth/welcome', { token: boot.welcomeToken });
        assert.equal(again.status, 400);
        assert.equal(again.body.error.fields[0].field, 'token');
      } finally {
        await first.stop();
      }
      const second = createRingback(loadConfig(env), { logger: pino({ level: 'silent' }) });
      const reboot = await second.start();
      try {
        assert.equal(reboot.created, false);
        assert.equal(reboot.welcomeToken, undefined);
      } finally {
        await second.stop();
      }
    } finally {
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('sign-in behind https, and the per-address limit', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ RINGBACK_PUBLIC_URL: 'https://ringback.example.com' });
  });
  after(async () => {
    await server.close();
  });

  test('with an https public URL the cookie is Secure', async () => {
    const res = await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: OWNER_EMAIL, password: OWNER_PASSWORD }),
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.getSetCookie().find((c) => c.startsWith('rb_session=')) ?? '', /; Secure/i);
  });

  test('twenty failed sign-ins from one address, whatever the emails: the next is refused with 429', async () => {
    const b = new Browser(server.url);
    for (let i = 0; i < 20; i++) assert.equal((await b.login(`guess${i}@example.com`, 'wrong password')).status, 401);
    const limited = await b.login(OWNER_EMAIL, OWNER_PASSWORD);
    assert.equal(limited.status, 429);
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
    assert.match(limited.body.error.message, /too many failed sign-ins for this address/);
    // API keys are not sign-ins: they keep working.
    assert.equal((await server.api('GET', '/api/v1/auth/me')).status, 200);
  });
});

describe('the sign-in limit is kept in the database', () => {
  test('failures counted by one process refuse the next try on another process (a restart on SQLite, a second web process on Postgres)', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'ringback-limit-'));
    const first = await startTestServer({}, { dataDir });
    let second: TestServer | null = null;
    try {
      for (let i = 0; i < 5; i++) assert.equal((await new Browser(first.url).login(OWNER_EMAIL, `guess ${i}`)).status, 401);
      // One process owns an SQLite file, so the "other process" is the same data after a restart;
      // on Postgres both run side by side on one database.
      if (testStoreKind() === 'sqlite') await first.close();
      second = await startTestServer(first.databaseEnv, { dataDir: testStoreKind() === 'sqlite' ? dataDir : mkdtempSync(path.join(tmpdir(), 'ringback-limit-')) });
      const limited = await new Browser(second.url).login(OWNER_EMAIL, OWNER_PASSWORD);
      assert.equal(limited.status, 429);
      assert.match(limited.body.error.message, /too many failed sign-ins for this email/);
      const rows = await second.ringback.store.db.selectFrom('sign_in_failures').select(['key']).execute();
      assert.equal(rows.filter((r) => r.key === `email:${OWNER_EMAIL}`).length, 5);
    } finally {
      await second?.close();
      if (testStoreKind() === 'postgres') await first.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  test('a successful sign-in clears the email’s failures, and failures older than the window are pruned', async () => {
    let now = Date.parse('2026-11-23T10:00:00Z');
    const server = await startTestServer({}, { clock: () => new Date(now) });
    try {
      for (let i = 0; i < 3; i++) assert.equal((await new Browser(server.url).login(OWNER_EMAIL, `guess ${i}`)).status, 401);
      const count = async (key: string) =>
        (await server.ringback.store.db.selectFrom('sign_in_failures').select('key').where('key', '=', key).execute()).length;
      assert.equal(await count(`email:${OWNER_EMAIL}`), 3);
      assert.equal((await new Browser(server.url).login(OWNER_EMAIL, OWNER_PASSWORD)).status, 200);
      assert.equal(await count(`email:${OWNER_EMAIL}`), 0);
      // The address's failures stay until they age out: 16 minutes later, the next failure prunes them.
      const ipKeys = (await server.ringback.store.db.selectFrom('sign_in_failures').select('key').execute()).map((r) => r.key);
      assert.equal(ipKeys.length, 3);
      now += 16 * 60_000;
      assert.equal((await new Browser(server.url).login('someone@example.com', 'nope')).status, 401);
      const left = await server.ringback.store.db.selectFrom('sign_in_failures').select(['key', 'failed_at']).execute();
      assert.deepEqual(left.map((r) => r.failed_at), [new Date(now).toISOString(), new Date(now).toISOString()]);
    } finally {
      await server.close();
    }
  });
});

describe('the client address behind a reverse proxy (RINGBACK_TRUST_PROXY)', () => {
  const failFrom = async (url: string, forwardedFor: string, n: number, first = 0) => {
    for (let i = first; i < first + n; i++) {
      const res = await fetch(`${url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
        body: JSON.stringify({ email: `guess${i}@example.com`, password: 'wrong password' }),
      });
      assert.equal(res.status, 401);
    }
  };
  const loginFrom = (url: string, forwardedFor: string) =>
    fetch(`${url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
      body: JSON.stringify({ email: OWNER_EMAIL, password: OWNER_PASSWORD }),
    });

  test('trusted proxy: the limit is per forwarded client, so one client cannot lock out everyone behind the proxy', async () => {
    const server = await startTestServer({ RINGBACK_TRUST_PROXY: '127.0.0.1' });
    try {
      await failFrom(server.url, '203.0.113.7', 20);
      assert.equal((await loginFrom(server.url, '203.0.113.7')).status, 429);
      assert.equal((await loginFrom(server.url, '198.51.100.9')).status, 200);
      const keys = (await server.ringback.store.db.selectFrom('sign_in_failures').select('key').execute()).map((r) => r.key);
      assert.ok(keys.includes('ip:203.0.113.7'), `keys: ${keys.slice(0, 3).join(', ')}`);
    } finally {
      await server.close();
    }
  });

  test('no trusted proxy (the default): X-Forwarded-For is ignored, so a client cannot dodge the limit by changing it', async () => {
    const server = await startTestServer();
    try {
      for (let i = 0; i < 20; i++) await failFrom(server.url, `203.0.113.${i + 1}`, 1, i);
      assert.equal((await loginFrom(server.url, '198.51.100.9')).status, 429);
    } finally {
      await server.close();
    }
  });
});
