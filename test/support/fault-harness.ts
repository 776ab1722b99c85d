// Shared machinery for the fault tests (test/fault-*.test.ts): real `ringback start` child
// processes with their output kept in log files, a webhook sender that behaves like a carrier
// (retries until it gets a 2xx), unique valid caller numbers, and exactly-once bookkeeping of the
// texts a fake carrier received.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, type WriteStream } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TwilioWebhook } from '../../src/carriers/twilio/fake-twilio.ts';
import { classifyCallerId } from '../../src/domain/caller-id.ts';
import { freePort } from '../../bench/procs.ts';

export { freePort };

const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

export const FAULT_ACCOUNT_SID = `AC${'c0ffee00'.repeat(4)}`;
export const FAULT_AUTH_TOKEN = 'fa17'.repeat(8);
export const FAULT_ADMIN_KEY = 'rb_fault_admin_key_0123456789abcdef';
/** Signatures are computed over this URL; the requests go to the real loopback ports. */
export const FAULT_PUBLIC_URL = 'http://ringback.fault.test';
/** The line under test (a number of the fake Twilio account) and the cell it rings. */
export const FAULT_LINE = '+14157770100';
export const FAULT_RING_TARGET = '+14157770199';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A 32-byte RINGBACK_SECRET_KEY (base64) shared by every process of one test. */
export function newSecretKey(): string {
  return randomBytes(32).toString('base64');
}

/** Temp dirs and children of this test file, removed / killed in after() whatever happened. */
export class FaultResources {
  readonly dirs: string[] = [];
  readonly processes: RingbackProcess[] = [];
  readonly cleanups: Array<() => Promise<void>> = [];

  tempDir(prefix: string): string {
    const dir = mkdtempSync(path.join(tmpdir(), prefix));
    this.dirs.push(dir);
    return dir;
  }

  /** SIGKILLs every child still alive, runs the cleanups (e.g. drop a database), removes temp dirs. */
  async release(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.kill9().catch(() => {})));
    for (const fn of this.cleanups.splice(0).reverse()) {
      try {
        await fn();
      } catch (err) {
        process.stderr.write(`fault test cleanup failed: ${(err as Error).message}\n`);
      }
    }
    // KEEP_FAULT_LOGS=1 keeps the data dirs and the children's logs for a post-mortem.
    if (process.env.KEEP_FAULT_LOGS === '1') {
      process.stderr.write(`fault test: kept ${this.dirs.join(', ')}\n`);
      return;
    }
    for (const dir of this.dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  }
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * One `ringback start` child on a fixed port. Started again on the same port after a kill; every
 * incarnation's output is appended to one log file (`logFile`), the last lines kept for errors.
 */
export class RingbackProcess {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  readonly logFile: string;
  readonly env: Record<string, string>;
  /** How many times the process was started (1 + restarts). */
  starts = 0;
  #child: ChildProcess | undefined;
  #exited: Promise<ExitInfo> | undefined;
  #exit: ExitInfo | null = null;
  #log: WriteStream;
  readonly #tail: string[] = [];

  constructor(resources: FaultResources, name: string, port: number, env: Record<string, string>, logDir: string) {
    this.name = name;
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
    this.env = env;
    this.logFile = path.join(logDir, `${name}.log`);
    this.#log = createWriteStream(this.logFile, { flags: 'a' });
    resources.processes.push(this);
  }

  get alive(): boolean {
    return this.#child !== undefined && this.#exit === null;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Spawns the process and waits until /readyz answers 200 (or fails with its output). */
  async start(readyTimeoutMs = 60_000): Promise<void> {
    if (this.alive) throw new Error(`${this.name} is already running`);
    this.starts++;
    this.#exit = null;
    this.#log.write(`\n===== ${this.name}: start #${this.starts} at ${new Date().toISOString()} =====\n`);
    const child = spawn(process.execPath, [CLI, 'start'], {
      env: { PATH: process.env.PATH ?? '', ...this.env, RINGBACK_PORT: String(this.port), RINGBACK_HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    this.#exited = new Promise<ExitInfo>((resolve) =>
      child.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        this.#log.write(`===== ${this.name}: exited (code ${code}, signal ${signal}) at ${new Date().toISOString()} =====\n`);
        resolve({ code, signal });
      }),
    );
    for (const stream of [child.stdout!, child.stderr!]) {
      let partial = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        this.#log.write(chunk);
        const parts = (partial + chunk).split('\n');
        partial = parts.pop() ?? '';
        for (const line of parts) {
          this.#tail.push(line.length > 400 ? `${line.slice(0, 400)}…` : line);
          if (this.#tail.length > 30) this.#tail.shift();
        }
      });
    }
    const deadline = Date.now() + readyTimeoutMs;
    let last = 'no answer yet';
    while (Date.now() < deadline) {
      if (this.#exit) throw new Error(`${this.name} exited before it was ready.\n${this.describe()}`);
      try {
        const res = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(2000) });
        const text = await res.text();
        if (res.status === 200) return;
        last = `HTTP ${res.status} ${text}`;
      } catch (err) {
        last = (err as Error).message;
      }
      await sleep(50);
    }
    throw new Error(`${this.name} was not ready at ${this.url}/readyz within ${readyTimeoutMs / 1000} s (${last}).\n${this.describe()}`);
  }

  /** Sends a signal now, synchronously (e.g. SIGKILL from inside another callback); kill9() then waits for the exit. */
  signal(signal: NodeJS.Signals): void {
    if (this.alive) this.#child!.kill(signal);
  }

  /** kill -9, and wait for the exit. */
  async kill9(): Promise<ExitInfo | null> {
    if (!this.alive) return this.#exit;
    this.#child!.kill('SIGKILL');
    return this.#exited!;
  }

  /** SIGTERM (the drain), then waits for the exit; SIGKILL only after `timeoutMs`. */
  async stop(timeoutMs = 45_000): Promise<ExitInfo> {
    if (!this.alive) return this.#exit ?? { code: null, signal: null };
    this.#child!.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (this.alive) this.#child!.kill('SIGKILL');
    }, timeoutMs);
    const exit = await this.#exited!;
    clearTimeout(timer);
    return exit;
  }

  describe(): string {
    const how = this.#exit ? (this.#exit.signal ? `killed by ${this.#exit.signal}` : `exited with code ${this.#exit.code}`) : 'running';
    return `${this.name} (pid ${this.pid}, start #${this.starts}) ${how}; log ${this.logFile}; last output:\n${this.#tail.map((l) => `    | ${l}`).join('\n') || '    (none)'}`;
  }

  /** Lines of every incarnation's log that mention `needle`. */
  grepLog(needle: string, max = 20): string[] {
    try {
      return readFileSync(this.logFile, 'utf8')
        .split('\n')
        .filter((l) => l.includes(needle))
        .slice(0, max);
    } catch {
      return [];
    }
  }
}

/** The environment every fault-test child gets (nothing inherited from the test's RINGBACK_*). */
export function childEnv(extra: Record<string, string>): Record<string, string> {
  return {
    RINGBACK_ADMIN_API_KEY: FAULT_ADMIN_KEY,
    RINGBACK_ADMIN_PASSWORD: 'correct horse battery staple',
    RINGBACK_PUBLIC_URL: FAULT_PUBLIC_URL,
    RINGBACK_DEMO: 'false',
    RINGBACK_LOG_LEVEL: 'info',
    ...extra,
  };
}

/** Calls the API with the fault tests' admin key. */
export async function api(base: string, method: string, route: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(base + route, {
    method,
    headers: { authorization: `Bearer ${FAULT_ADMIN_KEY}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** Adds the fake Twilio account as a carrier connection and the line in forward mode; returns the connection id. */
export async function addTwilioLine(base: string, apiBaseUrl: string): Promise<string> {
  const created = await api(base, 'POST', '/api/v1/carriers', { kind: 'twilio', accountSid: FAULT_ACCOUNT_SID, authToken: FAULT_AUTH_TOKEN, apiBaseUrl });
  if (created.status !== 201) throw new Error(`adding the Twilio connection: HTTP ${created.status} ${JSON.stringify(created.body)}`);
  const carrierId = created.body.carrier.id as string;
  const line = await api(base, 'POST', '/api/v1/lines', { number: FAULT_LINE, carrierId, mode: 'forward', ringTargets: [FAULT_RING_TARGET], name: 'Fault line' });
  if (line.status !== 201) throw new Error(`adding the line: HTTP ${line.status} ${JSON.stringify(line.body)}`);
  return carrierId;
}

/**
 * `n` unique, valid US caller numbers (mobile or unknown line type, never 555-01xx), from area
 * codes given per test so two tests never share a caller.
 */
export function uniqueCallers(n: number, areaCodes: string[]): string[] {
  const out: string[] = [];
  const checked = new Map<string, boolean>();
  for (const area of areaCodes) {
    for (let exchange = 201; exchange <= 989 && out.length < n; exchange++) {
      if (exchange % 100 === 11 || exchange === 555) continue; // N11 codes, 555
      const prefix = `+1${area}${exchange}`;
      let valid = checked.get(prefix);
      if (valid === undefined) {
        const id = classifyCallerId(`${prefix}4321`, { allowFictional: false });
        valid = id.kind === 'valid' && !id.fictional && (id.lineType === 'unknown' || id.lineType === 'mobile');
        checked.set(prefix, valid);
      }
      if (!valid) continue;
      // A few numbers per exchange, spread over the line numbers.
      for (let k = 0; k < 8 && out.length < n; k++) out.push(`${prefix}${String(1000 + k * 1117).padStart(4, '0')}`);
    }
    if (out.length >= n) break;
  }
  if (out.length < n) throw new Error(`only ${out.length} valid caller numbers in ${areaCodes.join(', ')}`);
  return out;
}

// ─── The carrier's side: webhooks sent like Twilio sends them, retried until a 2xx ─────────────

export interface WebhookStats {
  /** HTTP requests actually sent (first tries, retries and deliberate replays). */
  requests: number;
  /** Requests that got no HTTP answer (refused, reset, timed out). */
  transportErrors: number;
  /** Requests answered 5xx. */
  serverErrors: number;
  /** Requests answered 4xx (never retried: a bug in the test or in Ringback). */
  clientErrors: number;
  /** Retries after a failed request. */
  retries: number;
  /** Deliberate replays (a second delivery of a webhook already sent). */
  replays: number;
  /** Webhooks that never got a 2xx before the sender gave up. */
  undelivered: number;
  errorSamples: string[];
  statusSamples: string[];
}

export function newWebhookStats(): WebhookStats {
  return { requests: 0, transportErrors: 0, serverErrors: 0, clientErrors: 0, retries: 0, replays: 0, undelivered: 0, errorSamples: [], statusSamples: [] };
}

export class WebhookSender {
  readonly stats = newWebhookStats();
  readonly #agents = new Map<number, http.Agent>();
  readonly #giveUpMs: number;
  readonly #retryDelayMs: number;

  constructor(opts: { giveUpMs?: number; retryDelayMs?: number } = {}) {
    this.#giveUpMs = opts.giveUpMs ?? 90_000;
    this.#retryDelayMs = opts.retryDelayMs ?? 150;
  }

  #agent(port: number): http.Agent {
    let agent = this.#agents.get(port);
    if (!agent) {
      agent = new http.Agent({ keepAlive: true, maxSockets: 64, keepAliveMsecs: 1000 });
      this.#agents.set(port, agent);
    }
    return agent;
  }

  /** One request; resolves with the HTTP status, or -1 when no answer came. */
  #once(port: number, hook: TwilioWebhook): Promise<{ status: number; body: string; error?: string }> {
    const target = new URL(hook.url);
    const body = Buffer.from(hook.rawBody);
    this.stats.requests++;
    return new Promise((resolve) => {
      const req = http.request(
        {
          agent: this.#agent(port),
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: target.pathname + target.search,
          headers: { ...(hook.headers as Record<string, string>), 'content-length': String(body.length) },
          timeout: 20_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', (err) => resolve({ status: -1, body: '', error: err.message }));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', (err: NodeJS.ErrnoException) => resolve({ status: -1, body: '', error: `${err.code ?? ''} ${err.message}`.trim() }));
      req.end(body);
    });
  }

  /**
   * Delivers a webhook as a carrier does: again and again (connection refused or reset, 5xx) until
   * a 2xx. `port()` is asked before every try (a load balancer picking a process). A 4xx is not
   * retried. Resolves with the 2xx body, or null when it gave up.
   */
  async deliver(port: () => number, hook: TwilioWebhook, opts: { replay?: boolean } = {}): Promise<string | null> {
    if (opts.replay) this.stats.replays++;
    const giveUpAt = Date.now() + this.#giveUpMs;
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) this.stats.retries++;
      const res = await this.#once(port(), hook);
      if (res.status >= 200 && res.status < 300) return res.body;
      if (res.status === -1) {
        this.stats.transportErrors++;
        if (this.stats.errorSamples.length < 5) this.stats.errorSamples.push(res.error ?? 'no answer');
      } else if (res.status >= 500) {
        this.stats.serverErrors++;
        if (this.stats.statusSamples.length < 5) this.stats.statusSamples.push(`${res.status} ${res.body.slice(0, 200)}`);
      } else {
        this.stats.clientErrors++;
        if (this.stats.statusSamples.length < 5) this.stats.statusSamples.push(`${res.status} ${res.body.slice(0, 200)}`);
        this.stats.undelivered++;
        return null;
      }
      if (Date.now() > giveUpAt) {
        this.stats.undelivered++;
        return null;
      }
      // A little jitter, so a restarted process is not hit by every retry in the same millisecond.
      await sleep(this.#retryDelayMs * (0.5 + Math.random()));
    }
  }

  close(): void {
    for (const agent of this.#agents.values()) agent.destroy();
    this.#agents.clear();
  }
}

/**
 * Runs `n` jobs, starting one every `1000 / rate` ms (a steady arrival rate, whatever happened to
 * the earlier ones) with at most `maxInFlight` unfinished; `onStart(i)` is told as each starts.
 */
export async function paced(n: number, rate: number, maxInFlight: number, job: (i: number) => Promise<void>, onStart?: (i: number) => void): Promise<void> {
  const interval = 1000 / rate;
  const t0 = performance.now();
  const running = new Set<Promise<void>>();
  const failures: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const due = t0 + i * interval;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    while (running.size >= maxInFlight) await Promise.race(running);
    onStart?.(i);
    const p: Promise<void> = job(i)
      .catch((err: unknown) => {
        failures.push(err);
      })
      .finally(() => running.delete(p));
    running.add(p);
  }
  await Promise.all(running);
  if (failures.length > 0) throw failures[0];
}

// ─── Exactly-once bookkeeping at the fake carrier ────────────────────────────────────────────

export interface DeliveryCount {
  /** Texts the fake carrier accepted in all. */
  received: number;
  /** Callers with exactly one text. */
  exactlyOnce: number;
  /** Texts beyond the first, summed over callers. */
  duplicates: number;
  /** Callers with no text. */
  losses: number;
  /** Texts to numbers that were not callers, or not from the line. */
  strays: number;
  duplicateCallers: string[];
  lostCallers: string[];
}

export function countDeliveries(callers: readonly string[], texts: ReadonlyArray<{ to: string; from: string }>, line: string): DeliveryCount {
  const wanted = new Set(callers);
  const perCaller = new Map<string, number>();
  let strays = 0;
  for (const t of texts) {
    if (!wanted.has(t.to) || t.from !== line) {
      strays++;
      continue;
    }
    perCaller.set(t.to, (perCaller.get(t.to) ?? 0) + 1);
  }
  const duplicateCallers: string[] = [];
  const lostCallers: string[] = [];
  let duplicates = 0;
  let exactlyOnce = 0;
  for (const c of callers) {
    const k = perCaller.get(c) ?? 0;
    if (k === 0) lostCallers.push(c);
    else if (k === 1) exactlyOnce++;
    else {
      duplicates += k - 1;
      duplicateCallers.push(c);
    }
  }
  return { received: texts.length, exactlyOnce, duplicates, losses: lostCallers.length, strays, duplicateCallers, lostCallers };
}

/** Polls `check` every `everyMs` until it returns a truthy value; fails with `what` after `timeoutMs`. */
export async function waitUntil<T>(check: () => Promise<T | null | undefined | false> | T | null | undefined | false, what: string, timeoutMs: number, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Maps `items` through `fn` with at most `concurrency` at a time. */
export async function mapLimit<T, R>(items: readonly T[], concurrency: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return out;
}

/** A one-line summary for t.diagnostic / the log. */
export function figures(title: string, values: Record<string, string | number | boolean>): string {
  return `${title}: ${Object.entries(values)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')}`;
}

export interface RecordedCall {
  decision: string | null;
  status: string | null;
  carrier_message_id: string | null;
}

/**
 * The exactly-once verdict both load-under-faults suites share: what the carrier received, what
 * the senders saw, and what Ringback recorded must all say one text per call.
 */
export function assertOneTextPerCall(o: {
  calls: number;
  stats: WebhookStats;
  count: DeliveryCount;
  evidence: (callers: string[]) => string;
  carrierSids: ReadonlySet<string>;
  violations: readonly unknown[];
  recorded: readonly RecordedCall[];
  outboundPerCaller: ReadonlyArray<{ n: number | string }>;
}): void {
  assert.equal(o.stats.clientErrors, 0, `no webhook was refused with a 4xx: ${o.stats.statusSamples.join(' | ')}`);
  assert.equal(o.stats.undelivered, 0, 'every webhook was delivered in the end');
  assert.equal(o.count.duplicates, 0, `duplicate texts:\n${o.evidence(o.count.duplicateCallers)}`);
  assert.equal(o.count.losses, 0, `callers without a text:\n${o.evidence(o.count.lostCallers)}`);
  assert.equal(o.count.strays, 0, 'no text to anyone else');
  assert.equal(o.count.received, o.calls);
  assert.deepEqual(o.violations, [], 'every request matched the OpenAPI description');

  assert.equal(o.recorded.length, o.calls, 'one call row per call, however often its webhooks came');
  const notSend = o.recorded.filter((c) => c.decision !== 'send');
  assert.deepEqual(notSend.slice(0, 5), [], `every call was decided "send" (${notSend.length} were not)`);
  const notSent = o.recorded.filter((c) => !['sent', 'delivered'].includes(c.status ?? ''));
  assert.deepEqual(notSent.slice(0, 5), [], `every text-back is recorded sent (${notSent.length} are not)`);
  assert.ok(o.recorded.every((c) => c.carrier_message_id && o.carrierSids.has(c.carrier_message_id)), "every message records the carrier's SID of its text");
  assert.equal(o.outboundPerCaller.length, o.calls);
  assert.ok(o.outboundPerCaller.every((r) => Number(r.n) === 1), 'one outbound message row per caller');
}
