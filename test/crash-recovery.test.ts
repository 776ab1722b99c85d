// A real Ringback process is killed with SIGKILL in the middle of a send, then started again on
// the same data dir: the caller gets the text exactly once.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { testDatabaseEnv } from './support/test-database.ts';

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const KEY = 'rb_crash_test_key_0123456789abcdefgh';
const LINE = '+15555550100';

interface Child {
  process: ChildProcess;
  url: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startChild(dataDir: string, extraEnv: Record<string, string> = {}): Promise<Child> {
  const child = spawn(process.execPath, [CLI, 'start'], {
    env: {
      PATH: process.env.PATH ?? '',
      RINGBACK_DATA_DIR: dataDir,
      RINGBACK_PORT: '0',
      RINGBACK_HOST: '127.0.0.1',
      RINGBACK_ADMIN_API_KEY: KEY,
      RINGBACK_LOG_LEVEL: 'warn',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`child did not start in time:\n${out}\n${err}`)), 20_000);
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const match = /running at (http:\/\/localhost:\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({ process: child, url: match[1]!, exited });
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`child exited early (code ${code}, signal ${signal}):\n${out}\n${err}`));
    });
  });
}

async function api(url: string, method: string, p: string, body?: unknown) {
  const res = await fetch(url + p, {
    method,
    headers: { authorization: `Bearer ${KEY}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function waitFor<T>(check: () => Promise<T | null | undefined | false>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const dirs: string[] = [];
const databases: Array<{ drop(): Promise<void> }> = [];
after(async () => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  for (const db of databases) await db.drop();
});

for (const fault of ['kill-before-send', 'kill-after-send'] as const) {
  describe(`a process killed with SIGKILL ${fault === 'kill-before-send' ? 'after the commit, before the carrier request' : 'after the carrier accepted, before recording it'}`, () => {
    test('delivers the text exactly once after a restart', async () => {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'ringback-crash-'));
      dirs.push(dataDir);
      const caller = fault === 'kill-before-send' ? '+12125550171' : '+12125550172';

      // On the Postgres pass both processes share one fresh database.
      const database = await testDatabaseEnv();
      // The dead process's jobs stay locked until its heartbeat is this old (Postgres only).
      database.env.RINGBACK_JOB_DEAD_WORKER_MS = '3000';
      databases.push(database);
      const first = await startChild(dataDir, { ...database.env, RINGBACK_FAULT: fault });
      const placed = await api(first.url, 'POST', '/api/v1/simulator/calls', { from: caller, to: LINE, outcome: 'unanswered' });
      assert.equal(placed.status, 202);
      const death = await first.exited;
      assert.equal(death.signal, 'SIGKILL', 'the process died at the injected crash point');

      const second = await startChild(dataDir, database.env);
      try {
        const inbox = await waitFor(async () => {
          const { body } = await api(second.url, 'GET', `/api/v1/simulator/phones/${encodeURIComponent(caller)}/messages`);
          return body.messages.length > 0 ? body.messages : null;
        }, 'the text after the restart');
        const { body: calls } = await api(second.url, 'GET', '/api/v1/calls');
        const call = calls.calls.find((c: any) => c.from === caller);
        assert.equal(call.decision.action, 'send');

        // Let anything that could still run (retries, reconciliation, callbacks) run, then count.
        const message = await waitFor(async () => {
          const { body } = await api(second.url, 'GET', '/api/v1/conversations');
          const conv = body.conversations.find((c: any) => c.contact.number === caller);
          if (!conv) return null;
          const { body: msgs } = await api(second.url, 'GET', `/api/v1/conversations/${conv.id}/messages`);
          const m = msgs.messages.find((x: any) => x.id === call.decision.messageId);
          return m && ['sent', 'delivered'].includes(m.status) ? m : null;
        }, 'the message to be recorded as sent');
        assert.ok(message.carrierMessageId, 'the carrier id is recorded');
        await new Promise((r) => setTimeout(r, 300));
        const { body: finalInbox } = await api(second.url, 'GET', `/api/v1/simulator/phones/${encodeURIComponent(caller)}/messages`);
        assert.equal(inbox.length, 1);
        assert.equal(finalInbox.messages.length, 1, 'exactly one text on the phone');
        assert.match(finalInbox.messages[0].body, /Demo Plumbing/);
      } finally {
        second.process.kill('SIGTERM');
        const stopped = await second.exited;
        assert.equal(stopped.code, 0, 'a SIGTERM stop is clean');
      }
    });
  });
}
