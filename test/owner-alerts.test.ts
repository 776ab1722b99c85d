// Owner alerts end to end: a real Ringback on loopback, the simulator carrier (the owner's and
// callers' phones), a real SMTP server for email and a real HTTP receiver for webhooks.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { signSimulatorWebhook } from '../src/carriers/simulator/signature.ts';
import { verifyWebhook } from '../src/domain/webhook-signature.ts';
import { storeApiKey } from '../src/services/access.ts';
import { DEMO_LINE, settle, startTestServer, type TestServer } from './helpers.ts';
import { startSmtpSink, type SmtpSink } from './support/smtp-sink.ts';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.ts';

const OWNER_EMAIL = 'owner@ringback.local';
const OWNER_CELL = '+13055550123';
const AGENT_CELL = '+13055550124';
const SECOND_AGENT_CELL = '+13055550125';
const LEAVER_CELL = '+13055550126';
const BACKOFF = { RINGBACK_JOB_BACKOFF_BASE_MS: '10', RINGBACK_JOB_BACKOFF_CAP_MS: '50' };

let n = 0;
/** A fresh fictional caller per use, so tests share no conversations or cooldowns. */
const nextCaller = () => `+1212555${String(100 + n++).padStart(4, '0')}`;

async function sendText(server: TestServer, from: string, body: string) {
  const res = await server.api('POST', '/api/v1/simulator/messages', { from, to: DEMO_LINE, body });
  assert.equal(res.status, 202, JSON.stringify(res.body));
}

async function owner(server: TestServer) {
  const { body } = await server.api('GET', '/api/v1/team');
  return (body.members as any[]).find((m) => m.role === 'owner');
}

async function notifications(server: TestServer) {
  const res = await server.api('GET', '/api/v1/notifications?limit=200');
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.notifications as any[];
}

async function messageIdOf(server: TestServer, caller: string, body: string) {
  const row = await server.ringback.store.db
    .selectFrom('messages')
    .select(['id', 'conversation_id'])
    .where('from_number', '=', caller)
    .where('body', '=', body)
    .executeTakeFirstOrThrow();
  return row;
}

describe('owner alerts', () => {
  let server: TestServer;
  let sink: SmtpSink;
  let receiver: WebhookReceiver;
  let ownerId: string;

  before(async () => {
    sink = await startSmtpSink();
    receiver = await startWebhookReceiver();
    server = await startTestServer({ ...BACKOFF, RINGBACK_SMTP_URL: sink.url, RINGBACK_PUBLIC_URL: 'http://ringback.test' });
    ownerId = (await owner(server)).userId;
  });
  after(async () => {
    await server.close();
    await sink.close();
    await receiver.close();
  });

  test('the owner receives a text, an email and a signed webhook for a new reply', async () => {
    const me = await server.api('PATCH', `/api/v1/team/${ownerId}`, { phone: '(305) 555-0123', name: 'Pat Owner' });
    assert.equal(me.status, 200, JSON.stringify(me.body));
    assert.equal(me.body.member.phone, OWNER_CELL, 'normalised to E.164');
    assert.deepEqual(me.body.member.alertPrefs.events, ['message.received', 'task.reminder', 'task.overdue', 'emergency']);
    const created = await server.api('POST', '/api/v1/webhook-endpoints', { url: receiver.url, events: ['message.received'] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const secret = created.body.secret as string;
    assert.match(secret, /^whsec_/);

    const caller = nextCaller();
    const words = 'Can you come look at my water heater today?';
    const placed = await server.api('POST', '/api/v1/simulator/calls', { from: caller, to: DEMO_LINE, outcome: 'unanswered' });
    assert.equal(placed.status, 202);
    await settle(server);
    await sendText(server, caller, words);
    await settle(server);

    // 1. A text on the owner's phone, from the line, with the words and a tap-to-call link.
    const texts = await server.phoneInbox(OWNER_CELL);
    assert.equal(texts.length, 1, JSON.stringify(texts));
    assert.equal(texts[0]!.from, DEMO_LINE);
    assert.equal(texts[0]!.body, `Ringback: new reply from (212) 555-${caller.slice(-4)}: "${words}" Call back: tel:${caller}`);

    // 2. An email with the words, the link and the conversation's page.
    const { conversation_id: conversationId } = await messageIdOf(server, caller, words);
    const [mail] = await sink.waitForMails(1, { to: OWNER_EMAIL });
    assert.match(mail!.subject ?? '', /^New reply from \(212\) 555-/);
    assert.ok(mail!.text?.includes(words), mail!.text);
    assert.ok(mail!.text?.includes(`tel:${caller}`), mail!.text);
    assert.ok(mail!.text?.includes(`http://ringback.test/inbox/${conversationId}`), mail!.text);
    assert.ok(String(mail!.html).includes(`href="tel:${caller}"`), String(mail!.html));

    // 3. A webhook whose signature verifies with the secret shown at creation.
    const [hook] = await receiver.waitForRequests(1);
    const verified = verifyWebhook(secret, hook!.body, hook!.headers['ringback-signature'] as string, Math.floor(Date.now() / 1000));
    assert.ok(verified.ok, JSON.stringify(verified));
    const event = JSON.parse(hook!.body);
    assert.equal(event.type, 'message.received');
    assert.equal(event.data.body, words);
    assert.equal(event.data.contact.number, caller);
    assert.equal(event.data.line.number, DEMO_LINE);
    assert.equal(event.data.conversationId, conversationId);
    assert.equal(hook!.headers['ringback-event-id'], event.id);
    assert.equal(hook!.headers['ringback-event-type'], 'message.received');
    assert.equal(hook!.headers['user-agent'], 'Ringback-Webhooks/1');
    assert.match(String(hook!.headers['ringback-delivery-id']), /^whd_/);

    // The delivery log of alerts: one per channel, sent.
    const log = (await notifications(server)).filter((x) => x.kind === 'message.received');
    assert.deepEqual(log.map((x) => [x.channel, x.status, x.userId]).sort(), [
      ['email', 'sent', ownerId],
      ['sms', 'sent', ownerId],
    ]);
  });

  test('STOP, START and HELP send no owner alert', async () => {
    const before = (await notifications(server)).length;
    const caller = nextCaller();
    for (const word of ['STOP', 'start', 'HELP']) await sendText(server, caller, word);
    await settle(server);
    assert.equal((await notifications(server)).length, before);
    assert.equal((await server.phoneInbox(OWNER_CELL)).length, 1, 'still only the first test\'s alert');
  });

  test('a replayed carrier webhook (same message id) sends no second alert', async () => {
    const beforeCount = (await notifications(server)).length;
    const beforeHooks = receiver.requests.length;
    const caller = nextCaller();
    const db = server.ringback.store.db;
    const connection = await db.selectFrom('carrier_connections').selectAll().executeTakeFirstOrThrow();
    const signingSecret = server.ringback.ctx.carriers.open(connection).signingSecret as string;
    const path = `/webhooks/simulator/${connection.id}/messages`;
    const payload = JSON.stringify({ event: 'message.received', messageId: `SMreplay${caller.slice(-4)}`, from: caller, to: DEMO_LINE, body: 'Do you service boilers?', receivedAt: new Date().toISOString() });
    const post = () =>
      fetch(server.url + path, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-simulator-signature': signSimulatorWebhook(signingSecret, server.ringback.ctx.webhookBase() + path, payload, Math.floor(Date.now() / 1000)),
        },
        body: payload,
      });
    const answers = await Promise.all([post(), post(), post()]);
    assert.deepEqual(answers.map((r) => r.status), [200, 200, 200]);
    assert.equal((await post()).status, 200);
    await settle(server);
    const added = (await notifications(server)).slice(0, (await notifications(server)).length - beforeCount);
    assert.deepEqual(added.map((x) => x.channel).sort(), ['email', 'sms']);
    const texts = await server.phoneInbox(OWNER_CELL);
    assert.equal(texts.filter((t) => t.body.includes('Do you service boilers?')).length, 1);
    assert.equal(receiver.requests.length - beforeHooks, 1);
  });

  test('carrier and mail server trouble delays an alert but never sends it twice', async () => {
    assert.equal((await server.api('PATCH', `/api/v1/team/${ownerId}`, { phone: OWNER_CELL })).status, 200);
    const network = server.ringback.network;
    const words = (label: string) => `Trouble check ${label}: please call me`;
    const cases = [
      { label: 'timeout after the carrier took it', fault: { kind: 'accept-then-timeout' as const }, attempts: 1 },
      { label: 'carrier busy twice', fault: { kind: 'retryable' as const, times: 2 }, attempts: 3 },
    ];
    for (const c of cases) {
      const before = (await server.phoneInbox(OWNER_CELL)).length;
      network.injectFault(c.fault);
      const caller = nextCaller();
      await sendText(server, caller, words(c.label));
      await settle(server);
      const texts = (await server.phoneInbox(OWNER_CELL)).slice(before);
      assert.equal(texts.length, 1, `${c.label}: ${JSON.stringify(texts)}`);
      assert.ok(texts[0]!.body.includes(words(c.label)));
      const { id: messageId } = await messageIdOf(server, caller, words(c.label));
      const sms = (await notifications(server)).find((x) => x.subject.id === messageId && x.channel === 'sms');
      assert.deepEqual([sms.status, sms.attempts], ['sent', c.attempts], c.label);
    }

    // The mail server says "try again later" twice: the email arrives once, on the third attempt.
    const mailsBefore = sink.to(OWNER_EMAIL).length;
    sink.rejectNext(2, 451);
    const caller = nextCaller();
    await sendText(server, caller, words('mail'));
    await settle(server);
    const mails = await sink.waitForMails(mailsBefore + 1, { to: OWNER_EMAIL });
    assert.equal(mails.length, mailsBefore + 1);
    assert.ok(mails.at(-1)!.text?.includes(words('mail')));
    assert.equal(sink.rejected, 2);
    const { id: messageId } = await messageIdOf(server, caller, words('mail'));
    const email = (await notifications(server)).find((x) => x.subject.id === messageId && x.channel === 'email');
    assert.deepEqual([email.status, email.attempts, email.error], ['sent', 3, null]);

    // A refusal for good (550) fails the alert with the server's reason, without retrying.
    sink.rejectNext(1, 550);
    const refusedCaller = nextCaller();
    await sendText(server, refusedCaller, words('refused'));
    await settle(server);
    const { id: refusedId } = await messageIdOf(server, refusedCaller, words('refused'));
    const refused = (await notifications(server)).find((x) => x.subject.id === refusedId && x.channel === 'email');
    assert.deepEqual([refused.status, refused.attempts], ['failed', 1]);
    assert.match(refused.error, /the mail server refused it: .*550/);
  });

  test('the alert log pages newest first', async () => {
    const all = await notifications(server);
    assert.ok(all.length >= 4);
    const seen: string[] = [];
    let next: string | null = null;
    do {
      const res: { status: number; body: any } = await server.api('GET', `/api/v1/notifications?limit=3${next ? `&before=${next}` : ''}`);
      assert.equal(res.status, 200);
      seen.push(...res.body.notifications.map((x: any) => x.id));
      next = res.body.next;
    } while (next);
    assert.deepEqual(seen, all.map((x) => x.id));
    const mine = await server.api('GET', `/api/v1/notifications?userId=${ownerId}&limit=200`);
    assert.ok(mine.body.notifications.every((x: any) => x.userId === ownerId));
    assert.equal((await server.api('GET', '/api/v1/notifications?limit=500')).status, 400);
    assert.equal((await server.api('GET', '/api/v1/notifications?before=soon')).status, 400);
  });

  test('a missed call alerts those who asked for it, saying whether it was texted back', async () => {
    const me = await server.api('PATCH', `/api/v1/team/${ownerId}`, { phone: OWNER_CELL, alertPrefs: { events: ['message.received', 'call.missed', 'task.overdue', 'emergency'] } });
    assert.equal(me.status, 200, JSON.stringify(me.body));
    try {
      const before = (await server.phoneInbox(OWNER_CELL)).length;
      const caller = nextCaller();
      const placed = await server.api('POST', '/api/v1/simulator/calls', { from: caller, to: DEMO_LINE, outcome: 'busy' });
      assert.equal(placed.status, 202);
      await settle(server);
      const texts = (await server.phoneInbox(OWNER_CELL)).slice(before);
      assert.equal(texts.length, 1, JSON.stringify(texts));
      assert.equal(texts[0]!.body, `Ringback: missed call from (212) 555-${caller.slice(-4)} on Demo line (texted back). Call back: tel:${caller}`);
      const [mail] = (await sink.waitForMails(1, { to: OWNER_EMAIL })).filter((m) => m.subject?.startsWith('Missed call from'));
      assert.ok(mail, 'and an email');
      assert.ok(mail!.text?.includes('http://ringback.test/inbox/cv_'), 'with the conversation the text-back opened');
    } finally {
      await server.api('PATCH', `/api/v1/team/${ownerId}`, { alertPrefs: { events: ['message.received', 'task.overdue', 'emergency'] } });
    }
  });

  test('bad team and preference input names the field and changes nothing', async () => {
    assert.equal((await server.api('PATCH', `/api/v1/team/${ownerId}`, { phone: OWNER_CELL })).status, 200);
    const added = await server.api('POST', '/api/v1/team', { email: 'NoPhone@Example.com ', name: 'Noa Phone', role: 'agent' });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    assert.equal(added.body.member.email, 'nophone@example.com');
    assert.deepEqual(added.body.member.alertPrefs.events, ['task.reminder']);
    const agentId = added.body.member.userId as string;
    const snapshot = (await server.api('GET', '/api/v1/team')).body;

    const cases: Array<{ method: string; path: string; body?: unknown; status: number; fields: string[] }> = [
      { method: 'POST', path: '/api/v1/team', body: { email: 'not-an-email', name: '', role: 'owner' }, status: 400, fields: ['email', 'name', 'role'] },
      { method: 'POST', path: '/api/v1/team', body: { email: 'x@example.com', name: 'X', role: 'agent', phone: '12' }, status: 400, fields: ['phone'] },
      { method: 'POST', path: '/api/v1/team', body: { email: OWNER_EMAIL, name: 'Again', role: 'agent' }, status: 409, fields: ['email'] },
      { method: 'PATCH', path: `/api/v1/team/${ownerId}`, body: { phone: 'hello' }, status: 400, fields: ['phone'] },
      { method: 'PATCH', path: `/api/v1/team/${ownerId}`, body: { nickname: 'P' }, status: 400, fields: ['nickname'] },
      { method: 'PATCH', path: `/api/v1/team/${ownerId}`, body: { alertPrefs: { quietHours: { start: '22:00', end: '22:00' } } }, status: 422, fields: ['alertPrefs.quietHours'] },
      { method: 'PATCH', path: `/api/v1/team/${ownerId}`, body: { alertPrefs: { quietHours: { start: '10pm', end: '07:00' } } }, status: 400, fields: ['alertPrefs.quietHours.start'] },
      { method: 'PATCH', path: `/api/v1/team/${ownerId}`, body: { alertPrefs: { events: ['message.received', 'lunch'] } }, status: 400, fields: ['alertPrefs.events.1'] },
      { method: 'PATCH', path: `/api/v1/team/${ownerId}`, body: { alertPrefs: { sms: false, email: false } }, status: 422, fields: ['alertPrefs.events'] },
      { method: 'PATCH', path: `/api/v1/team/${ownerId}`, body: { alertPrefs: { digest: 'weekly' } }, status: 400, fields: ['alertPrefs.digest'] },
      { method: 'PATCH', path: `/api/v1/team/${ownerId}`, body: { phone: null }, status: 422, fields: ['phone'] },
      { method: 'PATCH', path: `/api/v1/team/${agentId}`, body: { alertPrefs: { sms: true } }, status: 422, fields: ['alertPrefs.sms'] },
      { method: 'PATCH', path: `/api/v1/team/${ownerId}`, body: { role: 'agent' }, status: 409, fields: ['role'] },
      { method: 'DELETE', path: `/api/v1/team/${ownerId}`, status: 409, fields: [] },
      { method: 'PATCH', path: '/api/v1/team/usr_nobody', body: { name: 'X' }, status: 404, fields: [] },
    ];
    for (const c of cases) {
      const res = await server.api(c.method, c.path, c.body);
      const what = `${c.method} ${c.path} ${JSON.stringify(c.body)} → ${JSON.stringify(res.body)}`;
      assert.equal(res.status, c.status, what);
      assert.deepEqual((res.body.error.fields ?? []).map((f: any) => f.field), c.fields, what);
      assert.ok(res.body.error.message.length > 10, what);
    }
    assert.deepEqual((await server.api('GET', '/api/v1/team')).body, snapshot, 'nothing changed');

    // An agent manages only themselves; a removed member's key stops working.
    const agentKey = 'rb_agent_key_0123456789abcdefghij';
    const db = server.ringback.store.db;
    const { account_id: accountId } = await db.selectFrom('memberships').select('account_id').where('user_id', '=', agentId).executeTakeFirstOrThrow();
    await storeApiKey(db, { accountId, userId: agentId }, 'agent', agentKey, new Date().toISOString());
    const asAgent = { key: agentKey };
    assert.equal((await server.api('PATCH', `/api/v1/team/${ownerId}`, { name: 'Hacked' }, asAgent)).status, 403);
    assert.equal((await server.api('POST', '/api/v1/team', { email: 'friend@example.com', name: 'F', role: 'admin' }, asAgent)).status, 403);
    assert.equal((await server.api('PATCH', `/api/v1/team/${agentId}`, { role: 'owner' }, asAgent)).status, 403);
    const self = await server.api('PATCH', `/api/v1/team/${agentId}`, { name: 'Noa P.', alertPrefs: { events: ['task.reminder', 'call.missed'], sms: false } }, asAgent);
    assert.equal(self.status, 200, JSON.stringify(self.body));
    assert.deepEqual(self.body.member.alertPrefs.events, ['task.reminder', 'call.missed']);
    assert.equal((await server.api('DELETE', `/api/v1/team/${agentId}`)).status, 204);
    assert.equal((await server.api('GET', '/api/v1/team', undefined, asAgent)).status, 401);
    assert.equal((await server.api('GET', '/api/v1/team')).body.members.length, 1);
  });
});

describe('quiet time, digests and emergencies (on the application clock)', () => {
  let server: TestServer;
  let sink: SmtpSink;
  let offsetMs = 0;
  /** Moves the application clock to this instant (and lets it run on from there). */
  const setNow = (iso: string) => {
    offsetMs = Date.parse(iso) - Date.now();
  };

  before(async () => {
    sink = await startSmtpSink();
    server = await startTestServer({ ...BACKOFF, RINGBACK_SMTP_URL: sink.url }, { clock: () => new Date(Date.now() + offsetMs) });
    const tz = await server.api('PATCH', '/api/v1/account', { timeZone: 'America/New_York' });
    assert.equal(tz.status, 200, JSON.stringify(tz.body));
    const ownerId = (await owner(server)).userId;
    const me = await server.api('PATCH', `/api/v1/team/${ownerId}`, { phone: OWNER_CELL, alertPrefs: { quietHours: { start: '22:00', end: '07:00' } } });
    assert.equal(me.status, 200, JSON.stringify(me.body));
  });
  after(async () => {
    await server.close();
    await sink.close();
  });

  test('quiet time holds an alert until it ends', async () => {
    setNow('2026-06-10T03:30:00Z'); // 23:30 in New York
    const caller = nextCaller();
    await sendText(server, caller, 'Is Tuesday OK for the estimate?');
    await settle(server);
    const { id: messageId } = await messageIdOf(server, caller, 'Is Tuesday OK for the estimate?');
    let rows = (await notifications(server)).filter((x) => x.subject.id === messageId);
    assert.deepEqual(rows.map((x) => [x.channel, x.status, x.deliverAfter]).sort(), [
      ['email', 'held', '2026-06-10T11:00:00.000Z'],
      ['sms', 'held', '2026-06-10T11:00:00.000Z'],
    ]);
    assert.equal((await server.phoneInbox(OWNER_CELL)).length, 0);
    assert.equal(sink.to(OWNER_EMAIL).length, 0);

    setNow('2026-06-10T10:59:00Z'); // 06:59: still quiet
    await settle(server);
    assert.equal((await server.phoneInbox(OWNER_CELL)).length, 0);

    setNow('2026-06-10T11:00:30Z'); // 07:00:30
    await settle(server);
    const texts = await server.phoneInbox(OWNER_CELL);
    assert.equal(texts.length, 1);
    assert.match(texts[0]!.body, /"Is Tuesday OK for the estimate\?" Call back: tel:\+1212555/);
    await sink.waitForMails(1, { to: OWNER_EMAIL });
    rows = (await notifications(server)).filter((x) => x.subject.id === messageId);
    assert.deepEqual(rows.map((x) => x.status), ['sent', 'sent']);
  });

  test('a digest folds the alerts of a quiet night into one text and one email', async () => {
    const ownerId = (await owner(server)).userId;
    const set = await server.api('PATCH', `/api/v1/team/${ownerId}`, { alertPrefs: { duringQuietHours: 'digest' } });
    assert.equal(set.status, 200, JSON.stringify(set.body));
    const textsBefore = (await server.phoneInbox(OWNER_CELL)).length;
    const mailsBefore = sink.to(OWNER_EMAIL).length;
    setNow('2026-06-11T03:00:00Z'); // 23:00
    const callers = [nextCaller(), nextCaller(), nextCaller()];
    for (const [i, caller] of callers.entries()) {
      await sendText(server, caller, `Night question ${i + 1}`);
      await settle(server); // one at a time, so the digest's order is known
    }
    assert.equal((await server.phoneInbox(OWNER_CELL)).length, textsBefore);

    setNow('2026-06-11T11:01:00Z'); // 07:01
    await settle(server);
    const texts = (await server.phoneInbox(OWNER_CELL)).slice(textsBefore);
    assert.equal(texts.length, 1, JSON.stringify(texts));
    assert.match(texts[0]!.body, /^Ringback: 3 alerts: 1\) reply from \(212\) 555-\d{4}: "Night question 1" tel:\+1212555\d{4}; 2\) .*; 3\) .*"Night question 3"/);
    const mails = await sink.waitForMails(mailsBefore + 1, { to: OWNER_EMAIL });
    assert.equal(mails.at(-1)!.subject, 'Ringback: 3 alerts');
    for (let i = 1; i <= 3; i++) assert.ok(mails.at(-1)!.text?.includes(`Night question ${i}`));

    const log = await notifications(server);
    const digests = log.filter((x) => x.kind === 'digest');
    assert.deepEqual(digests.map((x) => [x.channel, x.status, x.items.length]).sort(), [
      ['email', 'sent', 3],
      ['sms', 'sent', 3],
    ]);
    const folded = log.filter((x) => digests.some((d) => d.items.includes(x.id)));
    assert.equal(folded.length, 6);
    assert.ok(folded.every((x) => x.status === 'digested'));
    assert.equal((await settle(server), (await server.phoneInbox(OWNER_CELL)).length), textsBefore + 1, 'nothing more on the next tick');
  });

  test('an emergency word pages the on-call member at once, through quiet time, and flags the conversation', async () => {
    const added = await server.api('POST', '/api/v1/team', { email: 'sam@example.com', name: 'Sam Oncall', role: 'agent', phone: AGENT_CELL });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const onCall = await server.api('PATCH', `/api/v1/team/${added.body.member.userId}`, {
      alertPrefs: { onCall: true, quietHours: { start: '22:00', end: '07:00' } },
    });
    assert.equal(onCall.status, 200, JSON.stringify(onCall.body));
    const ownerTexts = (await server.phoneInbox(OWNER_CELL)).length;

    setNow('2026-06-12T03:30:00Z'); // 23:30: quiet for everyone
    const caller = nextCaller();
    await sendText(server, caller, 'Help, my basement is FLOODING');
    await settle(server);

    const paged = await server.phoneInbox(AGENT_CELL);
    assert.equal(paged.length, 1);
    assert.equal(paged[0]!.body, `Ringback URGENT (flooding): (212) 555-${caller.slice(-4)} wrote: "Help, my basement is FLOODING" Call now: tel:${caller}`);
    // The first mail to a new member is their invitation to sign in; the page comes after it.
    const mail = (await sink.waitForMails(2, { to: 'sam@example.com' })).find((m) => !m.subject?.startsWith('You are invited'));
    assert.match(mail!.subject ?? '', /^URGENT: "flooding"/);
    // The owner is not on call: they hear about it on their own terms, after quiet time.
    assert.equal((await server.phoneInbox(OWNER_CELL)).length, ownerTexts);

    const { id: messageId, conversation_id } = await messageIdOf(server, caller, 'Help, my basement is FLOODING');
    const rows = (await notifications(server)).filter((x) => x.subject.id === messageId);
    assert.deepEqual(rows.map((x) => [x.kind, x.channel, x.status, x.userId === added.body.member.userId ? 'agent' : 'owner']).sort(), [
      ['emergency', 'email', 'held', 'owner'],
      ['emergency', 'email', 'sent', 'agent'],
      ['emergency', 'sms', 'held', 'owner'],
      ['emergency', 'sms', 'sent', 'agent'],
    ]);
    const conversation = await server.ringback.store.db.selectFrom('conversations').selectAll().where('id', '=', conversation_id).executeTakeFirstOrThrow();
    assert.equal(conversation.needs_attention, 1);
    assert.match(conversation.attention_reason ?? '', /flooding.*Sam Oncall/);
  });

  test('a callback task reminds its assignee, then escalates to the owner when overdue', async () => {
    setNow('2026-06-15T14:00:00Z'); // Monday 10:00 in New York: open, so the callback is due at noon
    const added = await server.api('POST', '/api/v1/team', { email: 'ria@example.com', name: 'Ria Agent', role: 'agent', phone: SECOND_AGENT_CELL });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const riaId = added.body.member.userId as string;
    const caller = nextCaller();
    const placed = await server.api('POST', '/api/v1/simulator/calls', { from: caller, to: DEMO_LINE, outcome: 'unanswered' });
    assert.equal(placed.status, 202);
    await settle(server);
    const db = server.ringback.store.db;
    const contact = await db.selectFrom('contacts').select('id').where('number', '=', caller).executeTakeFirstOrThrow();
    const task = await db.selectFrom('tasks').selectAll().where('contact_id', '=', contact.id).executeTakeFirstOrThrow();
    assert.match(task.due_at ?? '', /^2026-06-15T16:00:00/, 'two hours after the call');
    await db.updateTable('tasks').set({ assignee_user_id: riaId }).where('id', '=', task.id).execute();
    const ownerTexts = (await server.phoneInbox(OWNER_CELL)).length;

    setNow('2026-06-15T15:46:00Z'); // 11:46: the reminder, 15 minutes before
    await settle(server);
    const reminders = await server.phoneInbox(SECOND_AGENT_CELL);
    assert.equal(reminders.length, 1);
    assert.match(reminders[0]!.body, new RegExp(`^Ringback: reminder: ".+" due Mon 12:00 PM \\(\\(212\\) 555-${caller.slice(-4)}\\)\\. Call: tel:\\${caller}$`));
    assert.equal((await server.phoneInbox(OWNER_CELL)).length, ownerTexts, 'owners are not reminded of someone else\'s task');

    setNow('2026-06-15T16:01:00Z'); // 12:01: overdue
    await settle(server);
    const escalations = (await server.phoneInbox(OWNER_CELL)).slice(ownerTexts);
    assert.equal(escalations.length, 1);
    assert.match(escalations[0]!.body, /^Ringback: OVERDUE: ".+" was due Mon 12:00 PM, assigned to Ria Agent \(\(212\) 555-\d{4}\)\. Call: tel:\+1212555\d{4}$/);
    const kinds = (await notifications(server)).filter((x) => x.subject.id === task.id).map((x) => [x.kind, x.channel, x.userId === riaId ? 'ria' : 'owner']);
    assert.deepEqual(kinds.sort(), [
      ['task.overdue', 'email', 'owner'],
      ['task.overdue', 'sms', 'owner'],
      ['task.reminder', 'email', 'ria'],
      ['task.reminder', 'sms', 'ria'],
    ]);
  });

  test('someone who leaves the team does not get the alerts still held for them', async () => {
    const added = await server.api('POST', '/api/v1/team', { email: 'leaver@example.com', name: 'Lee Ver', role: 'agent', phone: LEAVER_CELL });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const leaverId = added.body.member.userId as string;
    const prefs = await server.api('PATCH', `/api/v1/team/${leaverId}`, { alertPrefs: { events: ['message.received'], quietHours: { start: '22:00', end: '07:00' } } });
    assert.equal(prefs.status, 200, JSON.stringify(prefs.body));
    setNow('2026-06-17T03:30:00Z'); // 23:30
    const caller = nextCaller();
    await sendText(server, caller, 'Late question about a quote');
    await settle(server);
    const held = (await notifications(server)).filter((x) => x.userId === leaverId);
    assert.deepEqual(held.map((x) => x.status), ['held', 'held']);
    assert.equal((await server.api('DELETE', `/api/v1/team/${leaverId}`)).status, 204);

    setNow('2026-06-17T11:01:00Z'); // 07:01
    await settle(server);
    assert.equal((await server.phoneInbox(LEAVER_CELL)).length, 0);
    assert.equal(sink.to('leaver@example.com').filter((m) => !m.subject?.startsWith('You are invited')).length, 0);
    const after = (await notifications(server)).filter((x) => x.userId === leaverId);
    assert.deepEqual(after.map((x) => [x.status, x.error]), [
      ['skipped', 'the person is no longer a member of the team'],
      ['skipped', 'the person is no longer a member of the team'],
    ]);
  });
});
