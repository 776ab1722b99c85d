// The live event stream (GET /api/v1/events) over real HTTP on loopback, on SQLite and, in the
// Postgres pass, across two Ringback instances that share one database.
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { registerEventRoutes } from '../src/http/routes/api-events.ts';
import type { ServiceContext } from '../src/services/context.ts';
import {
  InProcessEventBus,
  liveEvent,
  PostgresEventBus,
  type EventBus,
  type LiveEvent,
  type LiveEventListener,
  type LiveEventType,
  type SubscribeOptions,
} from '../src/services/live-events.ts';
import type { Tx } from '../src/store/database.ts';
import { openPostgresStore, type PostgresStore } from '../src/store/postgres-store.ts';
import { DEMO_LINE, settle, startTestServer, TEST_API_KEY, type TestServer } from './helpers.ts';
import { createTestDatabase, testStoreKind, type TestDatabase } from './support/test-database.ts';

interface SseFrame {
  id?: string;
  event?: string;
  data?: string;
  retry?: string;
  comments: string[];
}

type EventOf<T extends LiveEventType> = Extract<LiveEvent, { type: T }>;

/**
 * A client of the stream, through fetch and a streaming reader. It never aborts: after an aborted
 * streaming response Node's fetch (undici) opens a spare connection that sends no request, which
 * the server counts as active, so the Ringback's close() would wait until the client dropped it.
 * Streams are left open and ended by the server's close(), which is part of what is under test.
 */
interface Stream {
  status: number;
  headers: Headers;
  frames: SseFrame[];
  /** The events received so far, parsed. */
  events(): LiveEvent[];
  /** Waits for an event of `type` matching `match` (including ones already received). */
  waitForEvent<T extends LiveEventType>(type: T, match: (e: EventOf<T>) => boolean, timeoutMs?: number): Promise<EventOf<T>>;
  waitForFrame(match: (f: SseFrame) => boolean, what: string, timeoutMs?: number): Promise<SseFrame>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
}

function parseFrame(raw: string): SseFrame {
  const frame: SseFrame = { comments: [] };
  for (const line of raw.split('\n')) {
    if (line.startsWith(':')) {
      frame.comments.push(line.slice(1).trim());
      continue;
    }
    const at = line.indexOf(':');
    const field = at < 0 ? line : line.slice(0, at);
    const value = at < 0 ? '' : line.slice(at + 1).replace(/^ /, '');
    if (field === 'id' || field === 'event' || field === 'retry') frame[field] = value;
    else if (field === 'data') frame.data = frame.data === undefined ? value : `${frame.data}\n${value}`;
  }
  return frame;
}

async function openStream(url: string): Promise<Stream> {
  const res = await fetch(`${url}/api/v1/events`, { headers: { authorization: `Bearer ${TEST_API_KEY}` } });
  const frames: SseFrame[] = [];
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const w of [...waiters]) w();
  };
  let done = false;
  const ended = (async () => {
    if (!res.body) return;
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { value, done: finished } = await reader.read();
        if (finished) break;
        buffer += decoder.decode(value, { stream: true });
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          frames.push(parseFrame(buffer.slice(0, cut)));
          buffer = buffer.slice(cut + 2);
        }
        notify();
      }
    } finally {
      done = true;
      notify();
    }
  })();
  ended.catch(() => {});

  const events = () => frames.filter((f) => f.event && f.data).map((f) => JSON.parse(f.data!) as LiveEvent);
  const waitUntil = <T>(find: () => T | undefined, what: string, timeoutMs = 5000) =>
    new Promise<T>((resolve, reject) => {
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      const check = () => {
        const found = find();
        if (found !== undefined) {
          cleanup();
          resolve(found);
        } else if (done) {
          cleanup();
          reject(new Error(`the stream ended before ${what}`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${what}; received: ${JSON.stringify(events().map((e) => [e.type, e.data]))}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });

  return {
    status: res.status,
    headers: res.headers,
    frames,
    events,
    waitForEvent: <T extends LiveEventType>(type: T, match: (e: EventOf<T>) => boolean, timeoutMs?: number) =>
      waitUntil(() => events().find((e): e is EventOf<T> => e.type === type && match(e as EventOf<T>)), type, timeoutMs),
    waitForFrame: (match, what, timeoutMs) => waitUntil(() => frames.find(match), what, timeoutMs),
    ended,
  };
}

async function placeCall(server: TestServer, from: string) {
  const res = await server.api('POST', '/api/v1/simulator/calls', { from, to: DEMO_LINE, outcome: 'unanswered' });
  assert.equal(res.status, 202, JSON.stringify(res.body));
}

async function sendText(server: TestServer, from: string, body = 'hi') {
  const res = await server.api('POST', '/api/v1/simulator/messages', { from, to: DEMO_LINE, body });
  assert.equal(res.status, 202, JSON.stringify(res.body));
}

async function decidedCallFrom(server: TestServer, from: string) {
  return server.waitFor(async () => {
    const { body } = await server.api('GET', '/api/v1/calls?limit=200');
    return (body.calls as any[]).find((c) => c.from === from && c.decision);
  }, `a decided call from ${from}`);
}

async function inboundMessageFrom(server: TestServer, from: string) {
  return server.waitFor(async () => {
    const { body } = await server.api('GET', '/api/v1/conversations?limit=200');
    const conversation = (body.conversations as any[]).find((c) => c.contact.number === from);
    if (!conversation) return null;
    const messages = (await server.api('GET', `/api/v1/conversations/${conversation.id}/messages`)).body.messages as any[];
    const message = messages.find((m) => m.direction === 'inbound');
    return message ? { conversation, message } : null;
  }, `an inbound message from ${from}`);
}

describe('live events over SSE', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ RINGBACK_JOB_BACKOFF_BASE_MS: '5', RINGBACK_JOB_BACKOFF_CAP_MS: '20' });
  });
  after(async () => {
    await server.close();
  });

  test('401 without an API key, or with a wrong one', async () => {
    for (const key of [null, 'rb_not_a_real_key_000000000000000']) {
      const res = await fetch(`${server.url}/api/v1/events`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
      assert.equal(res.status, 401);
      assert.match(res.headers.get('content-type') ?? '', /application\/json/);
      await res.text();
    }
  });

  test('the stream opens with SSE headers and a retry hint', async () => {
    const stream = await openStream(server.url);
    assert.equal(stream.status, 200);
    assert.match(stream.headers.get('content-type') ?? '', /^text\/event-stream/);
    assert.match(stream.headers.get('cache-control') ?? '', /no-cache/);
    assert.equal(stream.headers.get('x-accel-buffering'), 'no');
    const first = await stream.waitForFrame((f) => f.retry !== undefined, 'the retry hint');
    assert.equal(first.retry, '2000');
  });

  test('a missed call: call.decided, then the text-back\'s status as it is sent', async () => {
    const caller = '+12125550140';
    const stream = await openStream(server.url);
    await placeCall(server, caller);
    const call = await decidedCallFrom(server, caller);
    const decided = await stream.waitForEvent('call.decided', (e) => e.data.callId === call.id);
    const { contactId, ...rest } = decided.data;
    assert.deepEqual(rest, { callId: call.id, decision: 'send', reason: 'missed_call', messageId: call.decision.messageId });
    assert.match(decided.data.messageId ?? '', /^msg_/);
    assert.match(contactId ?? '', /^ct_/);
    assert.match(decided.id, /^evt_/);
    assert.ok(!Number.isNaN(Date.parse(decided.at)));
    // The SSE frame itself: its id and event lines match the payload.
    const frame = stream.frames.find((f) => f.id === decided.id)!;
    assert.equal(frame.event, 'call.decided');

    const messageId = decided.data.messageId!;
    const sent = await stream.waitForEvent('message.status', (e) => e.data.messageId === messageId && e.data.status === 'sent', 10_000);
    const statuses = stream
      .events()
      .filter((e) => e.type === 'message.status' && e.data.messageId === messageId)
      .map((e) => (e.type === 'message.status' ? e.data.status : null));
    assert.deepEqual(statuses.slice(0, 2), ['sending', 'sent']);
    assert.match(sent.data.conversationId, /^cv_/);
    assert.equal(sent.data.errorCode, null);
    await settle(server);
    const ids = stream.events().map((e) => e.id);
    assert.equal(new Set(ids).size, ids.length, 'every event has its own id');
  });

  test('an inbound text: message.received with the conversation and message ids', async () => {
    const from = '+12125550141';
    const stream = await openStream(server.url);
    await sendText(server, from);
    const received = await stream.waitForEvent('message.received', () => true);
    const { conversation, message } = await inboundMessageFrom(server, from);
    assert.deepEqual(received.data, { conversationId: conversation.id, messageId: message.id, contactId: conversation.contact.id });
    // Ids only: the body stays behind the authenticated messages API.
    assert.doesNotMatch(stream.frames.find((f) => f.id === received.id)!.data!, /"hi"/);
  });

  test('every open stream gets the event', async () => {
    const a = await openStream(server.url);
    const b = await openStream(server.url);
    await sendText(server, '+12125550142');
    const [ea, eb] = await Promise.all([a.waitForEvent('message.received', () => true), b.waitForEvent('message.received', () => true)]);
    assert.equal(ea.id, eb.id);
  });
});

describe('live events: server shutdown', () => {
  test('open streams end when the server closes, and close() does not wait on them', async () => {
    const server = await startTestServer();
    const streams = [await openStream(server.url), await openStream(server.url)];
    await streams[0]!.waitForFrame((f) => f.retry !== undefined, 'the retry hint');
    const started = Date.now();
    await server.close();
    const closeMs = Date.now() - started;
    // Ends (done), not errors: the browser sees a normal end and reconnects after `retry`.
    await Promise.all(streams.map((s) => s.ended));
    assert.ok(closeMs < 5000, `close took ${closeMs} ms`);
  });
});

/** A bus that records subscriptions, for the route's own behaviour. */
class RecordingBus implements EventBus {
  readonly inner = new InProcessEventBus();
  active = 0;
  gaps: Array<() => void> = [];
  publish(tx: Tx, event: LiveEvent): Promise<void> {
    return this.inner.publish(tx, event);
  }
  subscribe(accountId: string, listener: LiveEventListener, opts: SubscribeOptions = {}): () => void {
    this.active += 1;
    if (opts.onGap) this.gaps.push(opts.onGap);
    const off = this.inner.subscribe(accountId, listener, opts);
    return () => {
      this.active -= 1;
      off();
    };
  }
  async start(): Promise<void> {}
  async stop(): Promise<void> {}
}

/** A Tx that commits at once: enough to drive the in-process bus without a database. */
function committedTx(): Tx {
  return { db: undefined as never, afterCommit: (fn) => fn() };
}

describe('live events: the route', () => {
  const bus = new RecordingBus();
  // These clients abort (see Stream): close the spare connections that leaves behind.
  const app = Fastify({ forceCloseConnections: true });
  let url: string;
  before(async () => {
    app.decorateRequest('principal', null);
    app.addHook('onRequest', async (request) => {
      request.principal = { accountId: String(request.headers['x-account']), userId: 'usr_1', apiKeyId: 'key_1' };
    });
    registerEventRoutes(app, { events: bus } as unknown as ServiceContext, { heartbeatMs: 50 });
    url = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await app.close();
  });

  async function open(accountId: string) {
    const abort = new AbortController();
    const res = await fetch(`${url}/events`, { headers: { 'x-account': accountId }, signal: abort.signal });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    const readUntil = async (pattern: RegExp) => {
      while (!pattern.test(text)) {
        const { value, done } = await reader.read();
        if (done) return { text, done: true };
        text += decoder.decode(value, { stream: true });
      }
      return { text, done: false };
    };
    return { readUntil, abort: () => abort.abort(), text: () => text };
  }

  test('heartbeats, only the account\'s own events, and unsubscribe when the client goes away', async () => {
    const mine = await open('acct_a');
    const theirs = await open('acct_b');
    assert.equal((await mine.readUntil(/: keepalive\n\n/)).done, false);

    await bus.publish(committedTx(), liveEvent('conversation.updated', 'acct_b', { conversationId: 'conv_b' }, new Date()));
    await bus.publish(committedTx(), liveEvent('conversation.updated', 'acct_a', { conversationId: 'conv_a' }, new Date()));
    const { text } = await mine.readUntil(/conv_a/);
    assert.match(text, /id: evt_\w+\nevent: conversation\.updated\ndata: \{.*"conv_a".*\}\n\n/);
    assert.doesNotMatch(text, /conv_b/);
    await theirs.readUntil(/conv_b/);

    assert.equal(bus.active, 2);
    mine.abort();
    theirs.abort();
    const deadline = Date.now() + 2000;
    while (bus.active > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(bus.active, 0, 'the subscriptions were dropped with the connections');
  });

  test('a gap in the bus ends the stream, so the client reconnects and re-fetches', async () => {
    bus.gaps = [];
    const stream = await open('acct_a');
    await stream.readUntil(/retry: 2000/);
    for (const gap of bus.gaps) gap();
    const { done } = await stream.readUntil(/(?!)/);
    assert.equal(done, true);
  });

  test('an event too big for NOTIFY is refused by the in-process bus too', async () => {
    const big = liveEvent('conversation.updated', 'acct_a', { conversationId: 'x'.repeat(9000) }, new Date());
    await assert.rejects(bus.publish(committedTx(), big), /must stay under 8000 bytes/);
  });
});

const onPostgres = testStoreKind() === 'postgres';
const postgresOnly = onPostgres ? false : 'runs in the Postgres pass only (RINGBACK_TEST_STORE=postgres with TEST_DATABASE_URL)';

describe('live events across processes (Postgres)', { skip: postgresOnly }, () => {
  let a: TestServer;
  let b: TestServer;
  before(async () => {
    // Processes sharing a database share the key its carrier credentials are encrypted with.
    const secretKey = { RINGBACK_SECRET_KEY: randomBytes(32).toString('hex') };
    a = await startTestServer(secretKey);
    // A second Ringback on the same database, with its own LISTEN connection.
    b = await startTestServer({ ...a.databaseEnv, ...secretKey });
  });
  after(async () => {
    await b?.close();
    await a?.close();
  });

  test('a text received through server A reaches a subscriber on server B', async () => {
    const onB = await openStream(b.url);
    const onA = await openStream(a.url);
    const from = '+12125550143';
    await sendText(a, from);
    const event = await onB.waitForEvent('message.received', () => true);
    const { conversation, message } = await inboundMessageFrom(a, from);
    assert.deepEqual(event.data, { conversationId: conversation.id, messageId: message.id, contactId: conversation.contact.id });
    // Once per process, whichever process made the change.
    const onAEvent = await onA.waitForEvent('message.received', () => true);
    assert.equal(onAEvent.id, event.id);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(onB.events().filter((e) => e.id === event.id).length, 1);
  });

  test('a missed call decided on server A reaches server B, and so does the text-back\'s status', async () => {
    const onB = await openStream(b.url);
    const caller = '+12125550144';
    await placeCall(a, caller);
    const call = await decidedCallFrom(a, caller);
    const decided = await onB.waitForEvent('call.decided', (e) => e.data.callId === call.id);
    const { messageId } = decided.data;
    assert.equal(messageId, call.decision.messageId);
    // Sent by whichever process's job runner picked it up.
    await onB.waitForEvent('message.status', (e) => e.data.messageId === messageId && e.data.status === 'sent', 15_000);
  });
});

describe('the Postgres event bus', { skip: postgresOnly }, () => {
  let database: TestDatabase;
  let store: PostgresStore;
  let bus: PostgresEventBus;
  before(async () => {
    database = await createTestDatabase('rb_events');
    store = openPostgresStore({ url: database.url, poolSize: 3, statementTimeoutMs: 0, ssl: 'off', applicationName: 'rb-bus-test' });
    bus = new PostgresEventBus(store, { backoff: { baseMs: 20, capMs: 100 } });
    await bus.start();
  });
  after(async () => {
    await bus?.stop();
    await store?.close();
    await database?.drop();
  });

  function collect(accountId: string) {
    const got: LiveEvent[] = [];
    let gaps = 0;
    const off = bus.subscribe(accountId, (e) => got.push(e), { onGap: () => (gaps += 1) });
    return { got, gaps: () => gaps, off };
  }

  async function eventually(check: () => boolean, what: string) {
    const deadline = Date.now() + 5000;
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  test('delivers on commit only, and nothing from a rolled-back transaction', async () => {
    const sub = collect('acct_1');
    const committed = liveEvent('conversation.updated', 'acct_1', { conversationId: 'conv_committed' }, new Date());
    const rolledBack = liveEvent('conversation.updated', 'acct_1', { conversationId: 'conv_rolled_back' }, new Date());
    const other = liveEvent('conversation.updated', 'acct_2', { conversationId: 'conv_other' }, new Date());

    let seenBeforeCommit = -1;
    await store.transaction(async (tx) => {
      await bus.publish(tx, committed);
      await bus.publish(tx, other);
      await new Promise((r) => setTimeout(r, 100));
      seenBeforeCommit = sub.got.length;
    });
    await assert.rejects(
      store.transaction(async (tx) => {
        await bus.publish(tx, rolledBack);
        throw new Error('roll back');
      }),
      /roll back/,
    );
    await eventually(() => sub.got.length >= 1, 'the committed event');
    assert.equal(seenBeforeCommit, 0, 'nothing is delivered before the commit');
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(sub.got.map((e) => e.id), [committed.id], 'only the committed event, only for this account');
    assert.deepEqual(sub.got[0], committed);
    sub.off();
  });

  test('refuses an event too big for NOTIFY', async () => {
    const big = liveEvent('conversation.updated', 'acct_1', { conversationId: 'x'.repeat(9000) }, new Date());
    await assert.rejects(store.transaction((tx) => bus.publish(tx, big)), /must stay under 8000 bytes/);
  });

  test('reconnects after the LISTEN connection is killed, and tells subscribers about the gap', async () => {
    const sub = collect('acct_1');
    const { rows } = await store.pool.query<{ n: number }>(
      `select count(pg_terminate_backend(pid))::int as n from pg_stat_activity
        where application_name = 'rb-bus-test-events' and datname = current_database()`,
    );
    assert.equal(rows[0]!.n, 1);
    // onGap comes once LISTEN is back (not at the drop): events from the gap are gone by then.
    await eventually(() => sub.gaps() === 1, 'onGap after the reconnect');
    assert.equal(bus.listening, true);

    const after = liveEvent('conversation.updated', 'acct_1', { conversationId: 'conv_after' }, new Date());
    await store.transaction((tx) => bus.publish(tx, after));
    await eventually(() => sub.got.some((e) => e.id === after.id), 'an event after the reconnect');
    sub.off();
  });
});
