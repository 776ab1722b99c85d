// Shared test harness: a real Ringback on a loopback port with its own temporary data dir.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../src/config.ts';
import { createRingback, type Ringback } from '../src/main.ts';
import { testDatabaseEnv } from './support/test-database.ts';

export const TEST_API_KEY = 'rb_test_key_0123456789abcdefghijkl';
export const DEMO_LINE = '+15555550100';

export interface TestServer {
  ringback: Ringback;
  /** The database env this server runs on (DATABASE_URL on the Postgres pass), to restart on it. */
  databaseEnv: Record<string, string>;
  /** Drops the Postgres database this server created (close() does it too); no-op on SQLite. */
  releaseDatabase(): Promise<void>;
  url: string;
  dataDir: string;
  /** The one-time /welcome link token the first start printed (undefined on a restart). */
  welcomeToken: string | undefined;
  /** Calls the API with the owner's key; returns status and parsed JSON (null for no body). */
  api(method: string, path: string, body?: unknown, opts?: { key?: string | null; headers?: Record<string, string> }): Promise<{ status: number; body: any }>;
  /** Waits until `check` returns a truthy value (polling), or fails after `timeoutMs`. */
  waitFor<T>(check: () => Promise<T | undefined | null | false>, what: string, timeoutMs?: number): Promise<T>;
  phoneInbox(number: string): Promise<Array<{ from: string; body: string; receivedAt: string }>>;
  close(): Promise<void>;
}

export async function startTestServer(env: Record<string, string> = {}, opts: { dataDir?: string; clock?: () => Date } = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? mkdtempSync(path.join(tmpdir(), 'ringback-test-'));
  // A caller that passes its own DATABASE_URL (a restart on the same database) keeps it.
  const database = env.DATABASE_URL ? { env: {}, drop: async () => {} } : await testDatabaseEnv();
  const config = loadConfig({
    RINGBACK_DATA_DIR: dataDir,
    RINGBACK_PORT: '0',
    RINGBACK_HOST: '127.0.0.1',
    RINGBACK_ADMIN_API_KEY: TEST_API_KEY,
    RINGBACK_ADMIN_PASSWORD: 'correct horse battery',
    RINGBACK_LOG_LEVEL: 'silent',
    ...database.env,
    ...env,
  });
  const ringback = createRingback(config, { logger: pino({ level: 'silent' }), ...(opts.clock ? { clock: opts.clock } : {}) });
  let url: string;
  let welcomeToken: string | undefined;
  try {
    ({ url, welcomeToken } = await ringback.start());
  } catch (err) {
    await ringback.stop().catch(() => {});
    await database.drop();
    throw err;
  }

  const api: TestServer['api'] = async (method, p, body, o = {}) => {
    const key = o.key === undefined ? TEST_API_KEY : o.key;
    const res = await fetch(url + p, {
      method,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...o.headers,
      },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : null };
  };

  const waitFor: TestServer['waitFor'] = async (check, what, timeoutMs = 5000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await check();
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };

  return {
    ringback,
    databaseEnv: { ...database.env, ...(env.DATABASE_URL ? { DATABASE_URL: env.DATABASE_URL } : {}) },
    releaseDatabase: () => database.drop(),
    url,
    dataDir,
    welcomeToken,
    api,
    waitFor,
    async phoneInbox(number) {
      const res = await api('GET', `/api/v1/simulator/phones/${encodeURIComponent(number)}/messages`);
      return res.body.messages;
    },
    async close() {
      try {
        await ringback.stop();
      } finally {
        await database.drop();
        if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

/** Lets queued jobs and simulator callbacks finish. */
export async function settle(server: TestServer): Promise<void> {
  // Each side can start work for the other (a webhook queues a send; a send's delivery and
  // status callbacks go through the simulator), and on Postgres a job may be picked up only
  // after the first drain has looked: go round until both were idle.
  // Due work (follow-ups, reminders) runs first: a test that moved its clock expects it to fire.
  for (let round = 0; round < 3; round++) {
    await server.ringback.scheduler.tick();
    await server.ringback.runner.drain();
    await server.ringback.network.settle();
  }
  await server.ringback.runner.drain();
}
