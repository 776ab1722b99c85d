// `npm run bench`: Ringback against the floor (bench/floor.ts), on this machine, in one run.
// See bench/README.md for what is measured and how to read it.
//
//   npm run bench                       full run: 50, 200, 1000/s (A B A B), scaling at 1M messages, step test
//   npm run bench -- --quick            < 1 minute: 200/s, 5 s runs A B A B; last line p99_ratio=… p99_ms=…
//   npm run bench -- --scale=10m        scaling at 10 million messages (seeding takes several minutes)
//   npm run bench -- --no-scale --no-steps --duration 20 --rates 200,500
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { startFakeTwilio, twilioSid, twilioWebhooks, type FakeTwilio } from '../src/carriers/twilio/fake-twilio.ts';
import { classifyCallerId } from '../src/domain/caller-id.ts';
import { SEEDED_AREA_CODES, type BulkSeedResult } from '../src/store/bulk-seed.ts';
import { ArrivalTracker, percentiles, runOpenLoop, waitQuiet, type LoadTarget, type PreparedRequest, type RunResult } from './load.ts';
import { Child, cleanup, freePort, installExitHandlers, machineCpu, registerTempDir, removeTempDir, waitReady } from './procs.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const ACCOUNT_SID = `AC${'b3c4'.repeat(8)}`;
const AUTH_TOKEN = '7e57'.repeat(8);
const ADMIN_API_KEY = 'rb_bench_admin_key_0123456789abcdef';
const SECRET_KEY = randomBytes(32).toString('base64');
/** The line under test (a number the fake Twilio account has) and the phone it rings. */
const LINE = '+14157770100';
const RING_TARGET = '+14157770199';
/** Callers: +1 <area> 2xx xxxx, area codes the seed never uses. */
const CALLER_AREA_CODES = ['415', '510', '628', '650', '408', '925', '707', '831'];
const P99_LIMIT_MS = 100;

// ─── Options ──────────────────────────────────────────────────────────────────────────────────

interface Options {
  quick: boolean;
  rates: number[];
  durationS: number;
  warmupS: number;
  drainMs: number;
  scaleMessages: number | null;
  steps: number[];
  stepDurationS: number;
}

const USAGE = `Usage: npm run bench -- [options]
  --quick              one rate (200/s), 5 s runs A B A B, no scaling, no step test (< 1 minute)
  --duration S         length of each fixed-rate run (default 10; --quick: 5)
  --rates A,B,C        fixed rates per second (default 50,200,1000)
  --scale[=1m|10m|N]   scaling test with this many stored messages (default on, 1m)
  --no-scale           no scaling test
  --steps A,B,…        step-test rates (default 100,200,400,600,800,1000,1500,2000,3000,4000,5000,6000,8000)
  --step-duration S    length of each step (default 5)
  --no-steps           no step test
  -h, --help`;

function parseScale(value: string): number {
  const m = /^(\d+(?:\.\d+)?)([km]?)$/i.exec(value.trim());
  if (!m) throw new Error(`--scale: expected 1m, 10m or a number of messages, got "${value}"`);
  const n = Number(m[1]) * (m[2]?.toLowerCase() === 'm' ? 1e6 : m[2]?.toLowerCase() === 'k' ? 1e3 : 1);
  if (!(n >= 1000 && n <= 50e6)) throw new Error('--scale: between 1k and 50m messages');
  return Math.round(n);
}

function numberList(name: string, value: string): number[] {
  const list = value.split(',').map((s) => Number(s.trim()));
  if (list.length === 0 || list.some((n) => !(n > 0 && n <= 50_000))) throw new Error(`${name}: positive rates up to 50000, comma-separated`);
  return list;
}

function parseOptions(argv: string[]): Options {
  const quick = argv.includes('--quick');
  const o: Options = {
    quick,
    rates: quick ? [200] : [50, 200, 1000],
    durationS: quick ? 5 : 10,
    warmupS: quick ? 1 : 3,
    drainMs: quick ? 4000 : 10_000,
    scaleMessages: quick ? null : 1_000_000,
    steps: quick ? [] : [100, 200, 400, 600, 800, 1000, 1500, 2000, 3000, 4000, 5000, 6000, 8000],
    stepDurationS: 5,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--quick':
        break;
      case '-h':
      case '--help':
        process.stdout.write(USAGE + '\n');
        process.exit(0);
        break;
      case '--duration': {
        const d = Number(value());
        if (!(d >= 1 && d <= 600)) throw new Error('--duration: 1 to 600 seconds');
        o.durationS = d;
        break;
      }
      case '--step-duration': {
        const d = Number(value());
        if (!(d >= 1 && d <= 120)) throw new Error('--step-duration: 1 to 120 seconds');
        o.stepDurationS = d;
        break;
      }
      case '--rates':
        o.rates = numberList('--rates', value());
        break;
      case '--steps':
        o.steps = numberList('--steps', value()).sort((a, b) => a - b);
        break;
      case '--no-steps':
        o.steps = [];
        break;
      case '--scale':
        o.scaleMessages = parseScale(inline ?? '1m');
        break;
      case '--no-scale':
        o.scaleMessages = null;
        break;
      default:
        throw new Error(`unknown option ${arg}\n${USAGE}`);
    }
  }
  return o;
}

// ─── Output helpers ───────────────────────────────────────────────────────────────────────────

const log = (line = '') => process.stdout.write(line + '\n');
const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '—');
const fixed = (v: number, d = 0) => (Number.isFinite(v) ? v.toFixed(d) : '—');
const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : Number.NaN);

function describeRun(r: RunResult): string {
  const problems = [
    r.non2xx ? `${r.non2xx} non-2xx` : '',
    r.transportErrors ? `${r.transportErrors} transport errors` : '',
    r.unanswered ? `${r.unanswered} unanswered` : '',
    r.missing ? `${r.missing} texts missing` : '',
  ].filter(Boolean);
  return (
    `${r.target.padEnd(9)} ${String(r.rate).padStart(5)}/s ${fixed(r.durationS, 0).padStart(3)} s: ` +
    `p50 ${ms(r.latency.p50)}  p99 ${ms(r.latency.p99)}  max ${ms(r.latency.max)} ms, ` +
    `${r.arrived}/${r.sent} texts, ${fixed(r.throughput)}/s, cpu ${fixed(r.cpuPct)}%, rss ${fixed(r.peakRssMb)} MB` +
    `${problems.length ? `  !! ${problems.join(', ')}` : ''}` +
    `${r.generatorLag.p99 > 5 ? `  (generator ran late: p99 ${ms(r.generatorLag.p99)} ms)` : ''}` +
    `${r.stray ? `  (${r.stray} late texts from earlier runs)` : ''}` +
    `${otherCpu(r) > 25 ? `  (other processes used ~${fixed(otherCpu(r))}% of a core)` : ''}` +
    `${r.stealPct > 5 ? `  (hypervisor stole ${fixed(r.stealPct)}% of the CPU)` : ''}`
  );
}

const CORES = os.cpus().length;
/** CPU used during the run by processes other than the target and the bench, % of one core. */
function otherCpu(r: { machineCpuPct: number; cpuPct: number; benchCpuPct: number }): number {
  return Math.max(0, (r.machineCpuPct * CORES) - r.cpuPct - r.benchCpuPct);
}

/** How long one fsync'd SQLite commit (WAL, synchronous=FULL, as Ringback runs) takes in `dir`, ms. */
function probeCommitMs(dir: string): number {
  const probeDir = mkdtempSync(path.join(dir, 'ringback-bench-probe-'));
  try {
    const db = new DatabaseSync(path.join(probeDir, 'probe.db'));
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = FULL');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
    const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
    const n = 100;
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      db.exec('BEGIN');
      insert.run('x'.repeat(200));
      db.exec('COMMIT');
    }
    const perCommit = (performance.now() - t0) / n;
    db.close();
    return perCommit;
  } finally {
    rmSync(probeDir, { recursive: true, force: true });
  }
}

// ─── Callers ──────────────────────────────────────────────────────────────────────────────────

/** Unique, valid, real-format caller numbers for the whole run (never 555-01xx, never seeded). */
class Callers {
  #i = 0;
  #checked = new Map<string, boolean>();
  next(): string {
    for (let guard = 0; guard < 10_000_000; guard++) {
      const i = this.#i++;
      const area = CALLER_AREA_CODES[Math.floor(i / 990_000)];
      if (area === undefined) throw new Error('ran out of caller numbers');
      const rest = i % 990_000;
      let exchange = 200 + Math.floor(rest / 10_000);
      if (exchange >= 211) exchange++; // no N11 service code
      const prefix = `+1${area}${exchange}`;
      let valid = this.#checked.get(prefix);
      if (valid === undefined) {
        const id = classifyCallerId(`${prefix}0000`, { allowFictional: false });
        valid = id.kind === 'valid' && (id.lineType === 'unknown' || id.lineType === 'mobile');
        this.#checked.set(prefix, valid);
      }
      if (valid) return `${prefix}${String(rest % 10_000).padStart(4, '0')}`;
    }
    throw new Error('no valid caller numbers found');
  }
}

// ─── Targets ──────────────────────────────────────────────────────────────────────────────────

interface Target {
  name: string;
  child: Child;
  webhookUrl: string;
  load: LoadTarget;
  coldStartMs: number;
}

function childEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || k.startsWith('RINGBACK_') || k.startsWith('FLOOR_') || k === 'PORT') continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

function newAgent(): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets: 512, maxFreeSockets: 512, scheduling: 'lifo' });
}

async function api(base: string, method: string, route: string, body?: unknown): Promise<Record<string, any>> {
  const res = await fetch(base + route, {
    method,
    headers: { authorization: `Bearer ${ADMIN_API_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${route} answered ${res.status}: ${text.slice(0, 500)}`);
  return text ? (JSON.parse(text) as Record<string, any>) : {};
}

async function startRingback(name: string, dataDir: string, fake: FakeTwilio): Promise<Target> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = new Child(
    name,
    ['src/cli.ts', 'start'],
    childEnv({
      RINGBACK_DATA_DIR: dataDir,
      RINGBACK_PORT: String(port),
      RINGBACK_HOST: '127.0.0.1',
      RINGBACK_PUBLIC_URL: url,
      RINGBACK_ADMIN_API_KEY: ADMIN_API_KEY,
      RINGBACK_DEMO: 'false',
      RINGBACK_LOG_LEVEL: 'warn',
      RINGBACK_SECRET_KEY: SECRET_KEY,
    }),
    ROOT,
  );
  const readyAt = await waitReady(`${url}/readyz`, child, 120_000);
  const coldStartMs = readyAt - child.spawnedAt;
  const { carrier } = await api(url, 'POST', '/api/v1/carriers', { kind: 'twilio', name: 'Bench Twilio', accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, apiBaseUrl: fake.url });
  const created = await api(url, 'POST', '/api/v1/lines', { number: LINE, mode: 'forward', carrierId: carrier.id, ringTargets: [RING_TARGET] });
  if (!created.carrierSetup?.configured) log(`  note: ${name}: the line was not configured at the fake Twilio: ${created.carrierSetup?.note ?? '?'}`);
  return {
    name: 'ringback',
    child,
    webhookUrl: `${url}/webhooks/twilio/${carrier.id as string}/voice/result`,
    load: { name: 'ringback', port, agent: newAgent(), pid: child.pid },
    coldStartMs,
  };
}

async function startFloor(fake: FakeTwilio): Promise<Target> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = new Child(
    'floor',
    ['bench/floor.ts'],
    childEnv({
      FLOOR_PORT: String(port),
      FLOOR_PUBLIC_URL: url,
      FLOOR_TWILIO_API_BASE_URL: fake.url,
      FLOOR_TWILIO_ACCOUNT_SID: ACCOUNT_SID,
      FLOOR_TWILIO_AUTH_TOKEN: AUTH_TOKEN,
    }),
    ROOT,
  );
  const readyAt = await waitReady(`${url}/readyz`, child, 60_000);
  return {
    name: 'floor',
    child,
    webhookUrl: `${url}/webhooks/twilio/floor/voice/result`,
    load: { name: 'floor', port, agent: newAgent(), pid: child.pid },
    coldStartMs: readyAt - child.spawnedAt,
  };
}

// ─── Seeding ──────────────────────────────────────────────────────────────────────────────────

async function runToEnd(child: Child, timeoutMs: number): Promise<void> {
  const timer = setTimeout(() => void child.stop(), timeoutMs);
  await child.exited;
  clearTimeout(timer);
  if (child.exit?.code !== 0) throw new Error(`${child.name} failed.\n${child.describeExit()}`);
}

async function seedDataDir(messages: number): Promise<{ dir: string; result: BulkSeedResult; seconds: number }> {
  const base = process.env.BENCH_TMP ?? os.tmpdir();
  const needBytes = messages * 1100 + 200e6;
  const fs = statfsSync(base);
  const freeBytes = fs.bavail * fs.bsize;
  if (freeBytes < needBytes) {
    throw new Error(`seeding ${messages} messages needs about ${(needBytes / 1e9).toFixed(1)} GB free in ${base}; there are ${(freeBytes / 1e9).toFixed(1)} GB (set BENCH_TMP elsewhere, or --no-scale)`);
  }
  const dir = mkdtempSync(path.join(base, 'ringback-bench-seeded-'));
  registerTempDir(dir);
  const started = performance.now();
  await runToEnd(new Child('ringback migrate', ['src/cli.ts', 'migrate'], childEnv({ RINGBACK_DATA_DIR: dir, RINGBACK_SECRET_KEY: SECRET_KEY }), ROOT), 120_000);
  const seeder = new Child('seed', ['bench/seed.ts', '--dir', dir, '--messages', String(messages), '--secret-key', SECRET_KEY], childEnv({}), ROOT);
  let shown = '';
  const progress = setInterval(() => {
    const last = seeder.tail.findLast((l) => l.includes('seeded'))?.trim();
    if (!last || last === shown) return;
    shown = last;
    if (process.stdout.isTTY) process.stdout.write(`\r  ${last}      `);
    else log(`  ${last}`);
  }, 10_000);
  try {
    await runToEnd(seeder, 60 * 60_000);
  } finally {
    clearInterval(progress);
  }
  if (process.stdout.isTTY && shown) process.stdout.write('\r' + ' '.repeat(60) + '\r');
  const line = seeder.tail.findLast((l) => l.startsWith('{'));
  if (!line) throw new Error(`the seeder printed no result.\n${seeder.describeExit()}`);
  return { dir, result: JSON.parse(line) as BulkSeedResult, seconds: (performance.now() - started) / 1000 };
}

// ─── The run ──────────────────────────────────────────────────────────────────────────────────

interface Recorded extends RunResult {
  phase: string;
  logLines: number;
}

interface ScaleSummary {
  messages: number;
  seedSeconds: number;
  p50: number;
  p99: number;
  p50RatioToEmpty: number;
  p99RatioToEmpty: number;
  coldStartMs: number;
}

interface Combined {
  latency: ReturnType<typeof percentiles>;
  response: ReturnType<typeof percentiles>;
  throughput: number;
  errors: number;
  sent: number;
  arrived: number;
  peakRssMb: number;
  cpuPct: number;
  benchCpuPct: number;
  machineCpuPct: number;
  stealPct: number;
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  installExitHandlers();
  const startedAt = new Date();
  const wallStart = performance.now();
  const cpus = os.cpus();
  const machine = {
    cores: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryGb: os.totalmem() / 2 ** 30,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
  };
  log(`Ringback benchmark — ${startedAt.toISOString()}${opts.quick ? '  (--quick)' : ''}`);
  log(`machine: ${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGb.toFixed(1)} GB RAM, Node ${machine.node}, ${machine.os}`);
  log(`note: the bench process (load generator + fake Twilio), Ringback and the floor share these ${machine.cores} cores.`);
  const tmpBase = process.env.BENCH_TMP ?? os.tmpdir();
  const commitMs = probeCommitMs(tmpBase);
  log(`disk: one fsync'd SQLite commit (WAL, synchronous=FULL) in ${tmpBase} takes ${commitMs.toFixed(2)} ms`);
  const idle0 = machineCpu();
  await new Promise((r) => setTimeout(r, 1000));
  const idle1 = machineCpu();
  const span = idle0 && idle1 && idle1.total > idle0.total ? idle1.total - idle0.total : Number.NaN;
  const busyBefore = idle0 && idle1 ? ((idle1.busy - idle0.busy) / span) * 100 : Number.NaN;
  const stealBefore = idle0 && idle1 ? ((idle1.steal - idle0.steal) / span) * 100 : Number.NaN;
  log(
    `machine CPU before starting: ${fixed(busyBefore)}% busy, ${fixed(stealBefore)}% stolen by the hypervisor` +
      `${busyBefore > 10 || stealBefore > 5 ? '  — WARNING: the machine is not idle; figures will be noisy' : ''}`,
  );
  for (const area of CALLER_AREA_CODES) if (SEEDED_AREA_CODES.includes(area)) throw new Error(`caller area code ${area} is also seeded`);
  for (const n of [LINE, RING_TARGET]) {
    if (classifyCallerId(n, { allowFictional: false }).kind !== 'valid') throw new Error(`${n} is not a valid number`);
  }

  // Seeding first, before anything that is measured runs.
  let seeded: { dir: string; result: BulkSeedResult; seconds: number } | null = null;
  if (opts.scaleMessages !== null) {
    log(`\nseeding ${(opts.scaleMessages / 1e6).toFixed(opts.scaleMessages % 1e6 ? 2 : 0)}M messages into a fresh data dir (migrate, then src/store/bulk-seed.ts)…`);
    seeded = await seedDataDir(opts.scaleMessages);
    const r = seeded.result;
    log(
      `seeded in ${seeded.seconds.toFixed(1)} s (bulk insert ${(r.elapsedMs / 1000).toFixed(1)} s): ${r.messages} messages, ${r.conversations} conversations, ` +
        `${r.contacts} contacts, ${r.calls} calls, ${r.events} events, ${r.leads} leads, ${r.suppressions} opt-outs, ${r.accounts} accounts, ${r.lines} lines; ` +
        `${(r.fileBytes / 1e9).toFixed(2)} GB`,
    );
  }

  const arrivals = new ArrivalTracker();
  const fake = await startFakeTwilio({
    accountSid: ACCOUNT_SID,
    authToken: AUTH_TOKEN,
    numbers: [LINE],
    validate: false,
    record: false,
    onMessage: (m) => arrivals.arrive(m.to, performance.now()),
  });
  const webhooks = twilioWebhooks({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
  const callers = new Callers();
  const build = (target: Target, n: number): PreparedRequest[] => {
    const route = new URL(target.webhookUrl).pathname;
    const out: PreparedRequest[] = [];
    for (let i = 0; i < n; i++) {
      const caller = callers.next();
      const w = webhooks.dialResult(target.webhookUrl, { callSid: twilioSid('CA'), from: caller, to: LINE, dialCallStatus: 'no-answer' });
      const body = Buffer.from(w.rawBody, 'utf8');
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(w.headers)) if (typeof v === 'string') headers[k] = v;
      headers['content-length'] = String(body.length);
      out.push({ path: route, headers, body, caller });
    }
    return out;
  };

  const records: Recorded[] = [];
  const run = async (phase: string, target: Target, rate: number, durationS: number, record = true): Promise<Recorded> => {
    const requests = build(target, Math.max(1, Math.round(rate * durationS)));
    target.child.markOutput();
    const r = await runOpenLoop({ target: target.load, requests, rate, drainMs: opts.drainMs, arrivals, captureBody: !record });
    if (!target.child.alive) throw new Error(`${target.child.name} died during a run.\n${target.child.describeExit()}`);
    const rec: Recorded = { phase, ...r, logLines: target.child.linesSinceMark };
    if (record) records.push(rec);
    log(`  ${describeRun(r)}${rec.logLines ? `  [${rec.logLines} log lines]` : ''}`);
    if (r.errorSamples.length) log(`      e.g. ${r.errorSamples.join(' | ')}`);
    // Let the target finish any backlog (texts queued past the drain period) before the other runs.
    const quietMs = opts.quick ? 3000 : 180_000;
    if (!(await waitQuiet(target.load.pid, quietMs))) log(`    (${target.child.name} was still busy ${quietMs / 1000} s after the run)`);
    return rec;
  };
  const warm = async (target: Target): Promise<string> => {
    const r = await run('warmup', target, 200, opts.warmupS, false);
    if (r.errors > 0) {
      throw new Error(
        `${target.child.name} failed the warm-up (${r.errors} errors: statuses ${JSON.stringify(r.statusCounts)}, ${r.missing} texts missing). ` +
          `Sample answer: ${r.sampleBody?.slice(0, 300) ?? '(none)'}\n${target.child.describeExit()}`,
      );
    }
    return r.sampleBody ?? '';
  };

  log('\nstarting the fake Twilio (in this process), the floor and Ringback (child processes)…');
  const floor = await startFloor(fake);
  const ringbackDir = mkdtempSync(path.join(process.env.BENCH_TMP ?? os.tmpdir(), 'ringback-bench-'));
  registerTempDir(ringbackDir);
  const ringback = await startRingback('ringback', ringbackDir, fake);
  log(`  cold start to /readyz: Ringback ${ms(ringback.coldStartMs)} ms, floor ${ms(floor.coldStartMs)} ms`);

  log('warm-up (200/s, not recorded):');
  const rbAnswer = await warm(ringback);
  const floorAnswer = await warm(floor);
  if (rbAnswer !== floorAnswer) {
    log(`  WARNING: the floor's answer differs from Ringback's:\n    Ringback: ${rbAnswer}\n    floor:    ${floorAnswer}`);
  }

  // Fixed rates, interleaved A B A B.
  log(`\nfixed rates, ${opts.durationS} s runs, Ringback and floor interleaved (A B A B):`);
  for (const rate of opts.rates) {
    for (let rep = 0; rep < 2; rep++) {
      await run(`rate-${rate}`, ringback, rate, opts.durationS);
      await run(`rate-${rate}`, floor, rate, opts.durationS);
    }
  }

  // Scaling: a seeded data dir, 200/s, interleaved with the floor.
  let seededColdStartMs = Number.NaN;
  if (seeded) {
    log(`\nscaling: Ringback on the seeded data dir (${seeded.result.messages} messages), 200/s, ${opts.durationS} s runs (S F S F):`);
    const big = await startRingback('ringback (seeded)', seeded.dir, fake);
    seededColdStartMs = big.coldStartMs;
    log(`  cold start to /readyz with ${seeded.result.messages} messages: ${ms(big.coldStartMs)} ms`);
    await warm(big);
    for (let rep = 0; rep < 2; rep++) {
      await run('scale-200', big, 200, opts.durationS);
      await run('scale-floor-200', floor, 200, opts.durationS);
    }
    await big.child.stop();
    big.load.agent.destroy();
    removeTempDir(seeded.dir);
  }

  // Step test: up the rate until p99 ≥ 100 ms or anything is dropped; each target stops at its first failure.
  const maxRate: Record<string, number> = { ringback: 0, floor: 0 };
  const stoppedAt: Record<string, number | null> = { ringback: null, floor: null };
  if (opts.steps.length > 0) {
    log(`\nstep test, ${opts.stepDurationS} s per step, until p99 ≥ ${P99_LIMIT_MS} ms or anything is dropped:`);
    const active = new Set<Target>([ringback, floor]);
    const stepDeadline = performance.now() + 30 * 60_000;
    for (const rate of opts.steps) {
      if (active.size === 0 || performance.now() > stepDeadline) break;
      for (const target of [ringback, floor]) {
        if (!active.has(target)) continue;
        const passed = (r: RunResult) => r.latency.p99 < P99_LIMIT_MS && r.errors === 0 && r.arrived === r.sent;
        let r = await run(`step-${rate}`, target, rate, opts.stepDurationS);
        if (!passed(r)) {
          // Once more before giving up: a single run can be hit by something else on the machine.
          log(`    ${target.name} failed ${rate}/s; trying it once more`);
          r = await run(`step-${rate}-retry`, target, rate, opts.stepDurationS);
        }
        if (passed(r)) {
          maxRate[target.name] = rate;
        } else {
          stoppedAt[target.name] = rate;
          active.delete(target);
          log(`    → ${target.name} stops at ${rate}/s (${r.errors ? `${r.errors} errors` : `p99 ${ms(r.latency.p99)} ms`})`);
        }
      }
    }
  }

  await ringback.child.stop();
  await floor.child.stop();
  ringback.load.agent.destroy();
  floor.load.agent.destroy();
  await fake.close();
  removeTempDir(ringbackDir);

  // ─── Summary ────────────────────────────────────────────────────────────────────────────────
  const combine = (phase: string, target: string): Combined | null => {
    const runs = records.filter((r) => r.phase === phase && r.target === target);
    if (runs.length === 0) return null;
    const mean = (f: (r: Recorded) => number) => runs.reduce((s, r) => s + f(r), 0) / runs.length;
    const maxOf = (f: (r: Recorded) => number) => Math.max(...runs.map(f));
    const pool = (f: (raw: NonNullable<Recorded['raw']>) => number[]) => percentiles(runs.flatMap((r) => (r.raw ? f(r.raw) : [])));
    return {
      latency: pool((raw) => raw.latencies),
      response: pool((raw) => raw.responses),
      throughput: mean((r) => r.throughput),
      errors: runs.reduce((s, r) => s + r.errors, 0),
      sent: runs.reduce((s, r) => s + r.sent, 0),
      arrived: runs.reduce((s, r) => s + r.arrived, 0),
      peakRssMb: maxOf((r) => r.peakRssMb),
      cpuPct: mean((r) => r.cpuPct),
      benchCpuPct: mean((r) => r.benchCpuPct),
      machineCpuPct: mean((r) => r.machineCpuPct),
      stealPct: mean((r) => r.stealPct),
    };
  };

  const rows: Array<[string, string, string, string]> = [];
  const row = (label: string, a: number, b: number, fmt: (v: number) => string, showRatio = true) =>
    rows.push([label, fmt(a), fmt(b), showRatio ? fixed(ratio(a, b), 2) : '']);
  const sections = new Set<number>();
  const section = (label: string) => sections.add(rows.push([label, '', '', '']) - 1);
  const summary: Record<string, unknown> = {};

  for (const rate of opts.rates) {
    const a = combine(`rate-${rate}`, 'ringback');
    const b = combine(`rate-${rate}`, 'floor');
    if (!a || !b) continue;
    summary[`rate-${rate}`] = { ringback: a, floor: b };
    section(`${rate}/s (2 × ${opts.durationS} s each)`);
    row('  latency p50 (ms)', a.latency.p50, b.latency.p50, ms);
    row('  latency p90 (ms)', a.latency.p90, b.latency.p90, ms);
    row('  latency p99 (ms)', a.latency.p99, b.latency.p99, ms);
    row('  latency max (ms)', a.latency.max, b.latency.max, ms);
    row('  webhook answered p99 (ms)', a.response.p99, b.response.p99, ms);
    row('  throughput (texts/s)', a.throughput, b.throughput, (v) => fixed(v));
    row('  errors (of sent)', a.errors, b.errors, (v) => fixed(v), false);
    rows[rows.length - 1]![3] = `of ${a.sent} / ${b.sent}`;
    row('  peak RSS (MB)', a.peakRssMb, b.peakRssMb, (v) => fixed(v));
    row('  CPU (% of one core)', a.cpuPct, b.cpuPct, (v) => fixed(v));
    row('  bench process CPU (%)', a.benchCpuPct, b.benchCpuPct, (v) => fixed(v), false);
    row('  machine CPU busy (% of all)', a.machineCpuPct, b.machineCpuPct, (v) => fixed(v), false);
    row('  other processes CPU (%)', otherCpu(a), otherCpu(b), (v) => fixed(v), false);
    row('  CPU stolen by hypervisor (% of all)', a.stealPct, b.stealPct, (v) => fixed(v), false);
  }
  section('startup');
  row('  cold start to /readyz (ms)', ringback.coldStartMs, floor.coldStartMs, ms);
  if (opts.steps.length > 0) {
    section(`step test (p99 < ${P99_LIMIT_MS} ms, nothing dropped)`);
    row('  max sustainable rate (/s)', maxRate.ringback!, maxRate.floor!, (v) => (v > 0 ? fixed(v) : `< ${opts.steps[0]}`), maxRate.ringback! > 0);
    const fmtStop = (v: number | null) => (v === null ? `> ${opts.steps.at(-1)}` : String(v));
    rows.push(['  first failing rate (/s)', fmtStop(stoppedAt.ringback!), fmtStop(stoppedAt.floor!), '']);
  }
  let scaleSummary: ScaleSummary | null = null;
  if (seeded) {
    const s = combine('scale-200', 'ringback');
    const f = combine('scale-floor-200', 'floor');
    const e = combine('rate-200', 'ringback');
    if (s && f) {
      const label = `${(seeded.result.messages / 1e6).toFixed(seeded.result.messages % 1e6 ? 2 : 0)}M`;
      section(`scaling: ${label} messages stored, 200/s (Ringback seeded vs floor)`);
      row('  latency p50 (ms)', s.latency.p50, f.latency.p50, ms);
      row('  latency p99 (ms)', s.latency.p99, f.latency.p99, ms);
      row('  latency max (ms)', s.latency.max, f.latency.max, ms);
      row('  errors', s.errors, f.errors, (v) => fixed(v), false);
      row('  peak RSS (MB)', s.peakRssMb, f.peakRssMb, (v) => fixed(v));
      row('  CPU (% of one core)', s.cpuPct, f.cpuPct, (v) => fixed(v));
      rows.push([`  cold start with ${label} (ms)`, ms(seededColdStartMs), '', '']);
      scaleSummary = {
        messages: seeded.result.messages,
        seedSeconds: seeded.seconds,
        p50: s.latency.p50,
        p99: s.latency.p99,
        p50RatioToEmpty: e ? ratio(s.latency.p50, e.latency.p50) : Number.NaN,
        p99RatioToEmpty: e ? ratio(s.latency.p99, e.latency.p99) : Number.NaN,
        coldStartMs: seededColdStartMs,
      };
      if (e) {
        rows.push([`  p50 ${label} / empty DB (ratio)`, '', '', fixed(scaleSummary.p50RatioToEmpty, 2)]);
        rows.push([`  p99 ${label} / empty DB (ratio)`, '', '', fixed(scaleSummary.p99RatioToEmpty, 2)]);
      }
      rows.push([`  seeding time (s)`, fixed(seeded.seconds, 1), '', '']);
      const note =
        e && (e.throughput < 190 || s.throughput < 190)
          ? '  note: Ringback does not keep up with 200/s here, so these ratios compare queues more than per-call cost'
          : e && (e.latency.p99 >= P99_LIMIT_MS || s.latency.p99 >= P99_LIMIT_MS)
            ? `  note: Ringback's p99 at 200/s is set by a few stalls (≥ ${P99_LIMIT_MS} ms) in either run, so the p99 ratio is noisy; p50 is steadier`
            : null;
      if (note) sections.add(rows.push([note, '', '', '']) - 1);
    }
  }

  const widths = [0, 1, 2, 3].map((c) =>
    Math.max(...rows.filter((_, i) => !sections.has(i)).map((r) => r[c]!.length), ['', 'Ringback', 'floor', 'ratio'][c]!.length),
  );
  const fmtRow = (r: readonly string[]) => `${r[0]!.padEnd(widths[0]!)}  ${r[1]!.padStart(widths[1]!)}  ${r[2]!.padStart(widths[2]!)}  ${r[3]!.padStart(widths[3]!)}`;
  log('\n' + fmtRow(['', 'Ringback', 'floor', 'ratio']));
  log('-'.repeat(widths.reduce((s, w) => s + w + 2, -2)));
  rows.forEach((r, i) => log(sections.has(i) ? r[0]! : fmtRow(r)));
  log(`latency: webhook sent (scheduled) → text request received at the fake Twilio. ${machine.cores} cores shared by the bench process, Ringback and the floor.`);

  // DESIGN.md's performance targets, where this run measured them.
  const r200 = summary['rate-200'] as { ringback: Combined; floor: Combined } | undefined;
  const checks: string[] = [];
  if (r200) {
    const p = r200.ringback.latency.p99;
    const q = r200.floor.latency.p99;
    checks.push(`p99 at 200/s ≤ 2× floor and < 25 ms: ${ms(p)} ms, ${fixed(ratio(p, q), 2)}× → ${p < 25 && p <= 2 * q ? 'met' : 'NOT met'}`);
  }
  if (opts.steps.length > 0) {
    checks.push(
      maxRate.floor! > 0
        ? `sustained rate ≥ half the floor's: ${maxRate.ringback}/s vs ${maxRate.floor}/s → ${maxRate.ringback! * 2 >= maxRate.floor! ? 'met' : 'NOT met'}`
        : `sustained rate ≥ half the floor's: not measured (the floor failed the first step; a busy machine?)`,
    );
  }
  if (scaleSummary && Number.isFinite(scaleSummary.p99RatioToEmpty)) {
    checks.push(`latency with ${scaleSummary.messages} messages within 20% of empty: p99 ×${fixed(scaleSummary.p99RatioToEmpty, 2)} → ${scaleSummary.p99RatioToEmpty <= 1.2 ? 'met' : 'NOT met'}${scaleSummary.messages < 10e6 ? ' (target is stated at 10M; run --scale=10m)' : ''}`);
  }
  const peakRss = Math.max(...records.filter((r) => r.target === 'ringback').map((r) => r.peakRssMb));
  if (Number.isFinite(peakRss)) checks.push(`Ringback RSS under load < 200 MB: peak ${fixed(peakRss)} MB → ${peakRss < 200 ? 'met' : 'NOT met'}`);
  if (checks.length) log(`\nDESIGN.md targets:\n${checks.map((c) => `  - ${c}`).join('\n')}`);

  const resultsDir = path.join(ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `${startedAt.toISOString().replace(/[:]/g, '-').replace(/\.\d+Z$/, 'Z')}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      {
        startedAt: startedAt.toISOString(),
        wallSeconds: (performance.now() - wallStart) / 1000,
        machine: { ...machine, busyBeforeStartPct: busyBefore, stealBeforeStartPct: stealBefore, tmpDir: tmpBase, fsyncCommitMs: commitMs },
        options: opts,
        coldStartMs: { ringback: ringback.coldStartMs, floor: floor.coldStartMs, ringbackSeeded: seededColdStartMs },
        summary,
        maxSustainableRate: opts.steps.length ? maxRate : null,
        firstFailingRate: opts.steps.length ? stoppedAt : null,
        scaling: scaleSummary,
        seeding: seeded ? { ...seeded.result, totalSeconds: seeded.seconds } : null,
        checks,
        runs: records.map(({ raw: _raw, ...r }) => r),
      },
      null,
      2,
    ) + '\n',
  );
  log(`\nresults: ${path.relative(process.cwd(), file)}  (${((performance.now() - wallStart) / 1000).toFixed(0)} s in all)`);

  if (r200) {
    log(`p99_ratio=${ratio(r200.ringback.latency.p99, r200.floor.latency.p99).toFixed(2)} p99_ms=${r200.ringback.latency.p99.toFixed(1)}`);
  }
}

main().then(
  async () => {
    await cleanup();
    process.exit(0);
  },
  async (err: unknown) => {
    process.stderr.write(`\nbench failed: ${err instanceof Error ? err.message : String(err)}\n`);
    if (err instanceof Error && err.stack && !(err.message.includes('last output'))) process.stderr.write(`${err.stack.split('\n').slice(1, 6).join('\n')}\n`);
    await cleanup();
    process.exit(1);
  },
);
