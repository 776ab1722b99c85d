// `npm run bench`: Ringback against the floor (bench/floor.ts), on this machine, in one run —
// embedded (SQLite) and, when a PostgreSQL server is reachable, on Postgres: one `--role all`
// process, and 2 web + 2 worker processes. See bench/README.md for what is measured and how to read it.
//
//   npm run bench                       full run: 50, 200, 1000/s (A B C D A B C D), scaling at 1M messages, step test
//   npm run bench -- --quick            < 2 minutes: 200/s, 5 s runs; last line p99_ratio=… p99_ms=…
//   npm run bench -- --postgres=off     embedded and the floor only
//   npm run bench -- --postgres=only --no-steps --rates 200,500 --duration 15
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
import { loadConfig } from '../src/config.ts';
import { SEEDED_AREA_CODES, type BulkSeedResult } from '../src/store/bulk-seed.ts';
import { ArrivalTracker, percentiles, runOpenLoop, waitQuiet, type LoadTarget, type PreparedRequest, type RunResult } from './load.ts';
import {
  connectionsInUse,
  createBenchDatabase,
  DEFAULT_BENCH_DATABASE_URL,
  leftoverBenchDatabases,
  probePostgres,
  redactUrl,
  postgresCpuMeter,
  type BenchDatabase,
  type PostgresServer,
} from './postgres.ts';
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

/** The targets, in the order they run (the floor last); 'ringback' is embedded (SQLite). */
type TargetName = 'ringback' | 'postgres-1' | 'postgres-2w2w' | 'floor';
const TARGET_ORDER: readonly TargetName[] = ['ringback', 'postgres-1', 'postgres-2w2w', 'floor'];
const LABEL: Record<TargetName, string> = { ringback: 'embedded', 'postgres-1': 'postgres-1', 'postgres-2w2w': 'postgres-2w2w', floor: 'floor' };
const SHORT: Record<TargetName, string> = { ringback: 'emb', 'postgres-1': 'pg-1', 'postgres-2w2w': '2w2w', floor: 'floor' };
type Role = 'all' | 'web' | 'worker';
/** The Postgres targets' processes. */
const PG_TARGETS: ReadonlyArray<readonly [TargetName, readonly Role[]]> = [
  ['postgres-1', ['all']],
  ['postgres-2w2w', ['web', 'web', 'worker', 'worker']],
];
/** Share of max_connections left for others on the Postgres server (tests, psql) when the bench sizes its pools. */
const CONNECTION_MARGIN = 0.25;

/** A failure the bench explains itself: printed without a stack trace. */
class BenchError extends Error {}

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
  /** on: embedded, Postgres and the floor; off: no Postgres; only: Postgres and the floor. */
  postgres: 'on' | 'off' | 'only';
  /** Leave the Postgres targets' databases in place afterwards, for inspection. */
  keepDatabases: boolean;
}

const USAGE = `Usage: npm run bench -- [options]
  --quick              one rate (200/s), 5 s runs, no scaling, no step test (< 2 minutes with Postgres)
  --duration S         length of each fixed-rate run (default 10; --quick: 5)
  --rates A,B,C        fixed rates per second (default 50,200,1000)
  --scale[=1m|10m|N]   scaling test (embedded only) with this many stored messages (default on, 1m)
  --no-scale           no scaling test
  --steps A,B,…        step-test rates (default 100,200,400,600,800,1000,1500,2000,3000,4000,5000,6000,8000)
  --step-duration S    length of each step (default 5)
  --no-steps           no step test
  --postgres=on|off|only
                       the Postgres targets postgres-1 (one --role all process) and postgres-2w2w
                       (2 web + 2 worker processes), each on a fresh database on the server at
                       BENCH_DATABASE_URL (default ${DEFAULT_BENCH_DATABASE_URL}), dropped afterwards.
                       on (default): beside embedded; off: not run; only: Postgres and the floor
  --keep-databases     leave the Postgres targets' databases in place afterwards (to inspect them)
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
    postgres: 'on',
    keepDatabases: false,
  };
  let scaleAsked = false;
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
        scaleAsked = true;
        break;
      case '--no-scale':
        o.scaleMessages = null;
        break;
      case '--postgres': {
        const v = value();
        if (v !== 'on' && v !== 'off' && v !== 'only') throw new Error(`--postgres: on, off or only, got "${v}"`);
        o.postgres = v;
        break;
      }
      case '--no-postgres':
        o.postgres = 'off';
        break;
      case '--keep-databases':
        o.keepDatabases = true;
        break;
      default:
        throw new Error(`unknown option ${arg}\n${USAGE}`);
    }
  }
  if (o.postgres === 'only' && o.scaleMessages !== null) {
    // The scaling test seeds an SQLite data dir and runs embedded Ringback on it.
    if (scaleAsked) throw new Error('--scale measures embedded Ringback; it cannot be combined with --postgres=only');
    o.scaleMessages = null;
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
    r.duplicate ? `${r.duplicate} duplicate texts` : '',
  ].filter(Boolean);
  return (
    `${r.target.padEnd(13)} ${String(r.rate).padStart(5)}/s ${fixed(r.durationS, 0).padStart(3)} s: ` +
    `p50 ${ms(r.latency.p50)}  p99 ${ms(r.latency.p99)}  max ${ms(r.latency.max)} ms, ` +
    `${r.arrived}/${r.sent} texts, ${fixed(r.throughput)}/s, cpu ${fixed(r.cpuPct)}%` +
    `${r.cpuPctByProcess.length > 1 ? ` (${r.cpuPctByProcess.map((v) => fixed(v)).join('+')})` : ''}` +
    `${Number.isFinite(r.serverCpuPct) ? ` + postgres ${fixed(r.serverCpuPct)}%` : ''}, rss ${fixed(r.peakRssMb)} MB` +
    `${problems.length ? `  !! ${problems.join(', ')}` : ''}` +
    `${r.generatorLag.p99 > 5 ? `  (generator ran late: p99 ${ms(r.generatorLag.p99)} ms)` : ''}` +
    `${r.stray ? `  (${r.stray} late texts from earlier runs)` : ''}` +
    `${otherCpu(r) > 25 ? `  (other processes used ~${fixed(otherCpu(r))}% of a core)` : ''}` +
    `${r.serverTotalCpuPct - r.serverCpuPct > 10 ? `  (other databases on the Postgres server used ~${fixed(r.serverTotalCpuPct - r.serverCpuPct)}% of a core)` : ''}` +
    `${r.stealPct > 5 ? `  (hypervisor stole ${fixed(r.stealPct)}% of the CPU)` : ''}`
  );
}

const CORES = os.cpus().length;
/** CPU used during the run by processes other than the target, its database server and the bench, % of one core. */
function otherCpu(r: { machineCpuPct: number; cpuPct: number; benchCpuPct: number; serverCpuPct: number }): number {
  return Math.max(0, r.machineCpuPct * CORES - r.cpuPct - r.benchCpuPct - (Number.isFinite(r.serverCpuPct) ? r.serverCpuPct : 0));
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


// ─── Postgres connections ─────────────────────────────────────────────────────────────────────

interface PgSettings {
  poolSize: number;
  jobConcurrency: number;
  /** Most connections the Postgres targets can hold together with these settings. */
  connections: number;
  defaults: boolean;
}

/**
 * The most connections one Ringback process holds (src/main.ts): its store pool; graphile-worker's
 * pool, job concurrency + 2, when it runs jobs (a web process opens only a couple, to prepare the
 * queue); the live-events LISTEN connection when it serves the API.
 */
function connectionsPerProcess(role: Role, poolSize: number, jobConcurrency: number): number {
  return poolSize + (role === 'web' ? 2 : jobConcurrency + 2) + (role === 'worker' ? 0 : 1);
}

/**
 * Ringback's defaults when both Postgres targets (they stay up together) fit in the server's
 * connections (max_connections less a quarter for others); otherwise smaller pools and job
 * concurrency, the same for both targets. Decided from the server's configuration, not from how
 * many connections happen to be open, so that runs on one server compare. Past max_connections a
 * send job fails ("sorry, too many clients already") and is retried, which would measure the
 * server's limit rather than Ringback.
 */
function choosePgSettings(maxConnections: number): PgSettings {
  const d = loadConfig({});
  const candidates = [
    { poolSize: d.databasePoolSize, jobConcurrency: d.jobConcurrency },
    { poolSize: 5, jobConcurrency: 8 },
    { poolSize: 3, jobConcurrency: 4 },
  ];
  const need = (c: { poolSize: number; jobConcurrency: number }) =>
    PG_TARGETS.reduce((sum, [, roles]) => sum + roles.reduce((s, r) => s + connectionsPerProcess(r, c.poolSize, c.jobConcurrency), 0), 0);
  const budget = Math.floor(maxConnections * (1 - CONNECTION_MARGIN));
  const fits = candidates.find((c) => need(c) <= budget) ?? candidates.at(-1)!;
  return { ...fits, connections: need(fits), defaults: fits === candidates[0] };
}

// ─── Targets ──────────────────────────────────────────────────────────────────────────────────

interface Target {
  name: TargetName;
  /** Every process of the target (one, except postgres-2w2w). */
  children: Child[];
  webhookUrl: string;
  load: LoadTarget;
  /** Spawned → first 200 from /readyz; for postgres-2w2w, the first web process (see README). */
  coldStartMs: number;
  /** The Postgres targets' own database (dropped when the target is retired or the bench ends). */
  db?: BenchDatabase;
  tempDir?: string;
}

function childEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    // DATABASE_URL too: embedded Ringback must not pick up a Postgres URL from the bench's environment.
    if (v === undefined || k.startsWith('RINGBACK_') || k.startsWith('FLOOR_') || k === 'PORT' || k === 'DATABASE_URL') continue;
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

/** Distinct free ports (the OS may hand the same one out twice once it is released). */
async function freePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

interface RingbackSpec {
  name: TargetName;
  /** A temp dir: the data dir (SQLite), or a parent of each process's own data dir (Postgres). */
  dir: string;
  /** Postgres: the target's database; the processes' roles (the first must be web or all); pool settings. */
  postgres?: { db: BenchDatabase; server: PostgresServer; roles: Role[]; settings: PgSettings };
}

/**
 * Starts Ringback: one process on SQLite, or the given processes on a Postgres database. Every
 * process has the same secret key and public URL (the first web process's), so any web process
 * accepts the webhooks signed for that URL. The Twilio connection and the line are added through
 * the first process's API.
 */
async function startRingback(spec: RingbackSpec, fake: FakeTwilio): Promise<Target> {
  const roles: Role[] = spec.postgres?.roles ?? ['all'];
  const ports = await freePorts(roles.length);
  const urls = ports.map((p) => `http://127.0.0.1:${p}`);
  const publicUrl = urls[0]!;
  const common: Record<string, string> = {
    RINGBACK_HOST: '127.0.0.1',
    RINGBACK_PUBLIC_URL: publicUrl,
    RINGBACK_ADMIN_API_KEY: ADMIN_API_KEY,
    RINGBACK_DEMO: 'false',
    RINGBACK_LOG_LEVEL: 'warn',
    RINGBACK_SECRET_KEY: SECRET_KEY,
    ...(spec.postgres ? { DATABASE_URL: spec.postgres.db.url } : {}),
    ...(spec.postgres && !spec.postgres.settings.defaults
      ? { RINGBACK_DATABASE_POOL_SIZE: String(spec.postgres.settings.poolSize), RINGBACK_JOB_CONCURRENCY: String(spec.postgres.settings.jobConcurrency) }
      : {}),
  };
  const multi = roles.length > 1;
  const procName = (i: number) => (multi ? `${spec.name} ${roles[i]} ${roles.slice(0, i + 1).filter((r) => r === roles[i]).length}` : spec.name);
  const spawnOne = (i: number) => {
    const dataDir = multi ? path.join(spec.dir, `p${i}`) : spec.dir;
    mkdirSync(dataDir, { recursive: true });
    const env = { ...common, RINGBACK_DATA_DIR: dataDir, RINGBACK_PORT: String(ports[i]), ...(spec.postgres ? { RINGBACK_ROLE: roles[i]! } : {}) };
    return new Child(procName(i), ['src/cli.ts', 'start'], childEnv(env), ROOT);
  };
  const children: Child[] = [];
  try {
    return await setUp();
  } catch (err) {
    await Promise.all(children.map((c) => c.stop()));
    throw err;
  }

  async function setUp(): Promise<Target> {
    let coldStartMs: number;
    if (!multi) {
      // One process on a fresh database (or data dir): it migrates itself, as a first start does.
      children.push(spawnOne(0));
      coldStartMs = (await waitReady(`${urls[0]}/readyz`, children[0]!, 120_000)) - children[0]!.spawnedAt;
    } else {
      // Several processes: the schema first (`ringback migrate`, as a deployment's release step),
      // then the first process alone (the first start creates the owner), then the rest together.
      await runToEnd(new Child(`${spec.name} migrate`, ['src/cli.ts', 'migrate'], childEnv({ ...common, RINGBACK_DATA_DIR: spec.dir }), ROOT), 120_000);
      children.push(spawnOne(0));
      coldStartMs = (await waitReady(`${urls[0]}/readyz`, children[0]!, 120_000)) - children[0]!.spawnedAt;
      for (let i = 1; i < roles.length; i++) children.push(spawnOne(i));
      await Promise.all(children.slice(1).map((c, j) => waitReady(`${urls[j + 1]}/readyz`, c, 120_000)));
    }
    const { carrier } = await api(publicUrl, 'POST', '/api/v1/carriers', { kind: 'twilio', name: 'Bench Twilio', accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, apiBaseUrl: fake.url });
    const created = await api(publicUrl, 'POST', '/api/v1/lines', { number: LINE, mode: 'forward', carrierId: carrier.id, ringTargets: [RING_TARGET] });
    if (!created.carrierSetup?.configured) log(`  note: ${spec.name}: the line was not configured at the fake Twilio: ${created.carrierSetup?.note ?? '?'}`);
    const webPorts = ports.filter((_, i) => roles[i] !== 'worker');
    const postmaster = spec.postgres?.server.postmasterPid ?? null;
    return {
      name: spec.name,
      children,
      webhookUrl: `${publicUrl}/webhooks/twilio/${carrier.id as string}/voice/result`,
      load: {
        name: spec.name,
        ports: webPorts,
        agent: newAgent(),
        pids: children.map((c) => c.pid),
        ...(postmaster !== null && spec.postgres ? { server: postgresCpuMeter(postmaster, spec.postgres.db.name) } : {}),
      },
      coldStartMs,
      ...(spec.postgres ? { db: spec.postgres.db } : {}),
      tempDir: spec.dir,
    };
  }
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
    children: [child],
    webhookUrl: `${url}/webhooks/twilio/floor/voice/result`,
    load: { name: 'floor', ports: [port], agent: newAgent(), pids: [child.pid] },
    coldStartMs: readyAt - child.spawnedAt,
  };
}

/** Stops a target's processes, then drops its database (unless `keepDb`) and removes its temp dir. */
async function stopTarget(t: Target, keepDb = false): Promise<void> {
  await Promise.all(t.children.map((c) => c.stop()));
  t.load.agent.destroy();
  if (t.db && keepDb) {
    t.db.keep();
    log(`  kept database ${t.db.name} (${t.name}); drop it with: psql … -c 'drop database "${t.db.name}"'`);
  } else if (t.db) await t.db.drop();
  if (t.tempDir) removeTempDir(t.tempDir);
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
  processes: number;
  peakRssMb: number;
  cpuPct: number;
  serverCpuPct: number;
  serverTotalCpuPct: number;
  benchCpuPct: number;
  machineCpuPct: number;
  stealPct: number;
}

/** A target that was asked for and could not be measured (a Postgres target that failed). */
interface Failure {
  target: TargetName;
  stage: string;
  error: string;
}

async function main(): Promise<number> {
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
  log(
    `note: the bench process (load generator + fake Twilio), every Ringback process, the floor` +
      `${opts.postgres === 'off' ? '' : ' and the Postgres server'} share these ${machine.cores} cores.`,
  );
  const tmpBase = process.env.BENCH_TMP ?? os.tmpdir();
  const commitMs = probeCommitMs(tmpBase);
  log(`disk: one fsync'd SQLite commit (WAL, synchronous=FULL) in ${tmpBase} takes ${commitMs.toFixed(2)} ms`);

  // Postgres: reachable? Then the Postgres targets run; otherwise say so and run the others.
  const failures: Failure[] = [];
  let pgServer: PostgresServer | null = null;
  let pgSettings: PgSettings | null = null;
  let pgUnavailable: string | null = null;
  const adminUrl = process.env.BENCH_DATABASE_URL || DEFAULT_BENCH_DATABASE_URL;
  if (opts.postgres !== 'off') {
    try {
      pgServer = await probePostgres(adminUrl);
      log(
        `postgres: ${redactUrl(adminUrl)} (PostgreSQL ${pgServer.version}, max_connections ${pgServer.maxConnections}); ` +
          (pgServer.postmasterPid !== null
            ? `its CPU is read from /proc (postmaster pid ${pgServer.postmasterPid} and its children)`
            : `its CPU is not measured: ${pgServer.cpuNote}`),
      );
      pgSettings = choosePgSettings(pgServer.maxConnections);
      const d = loadConfig({});
      log(
        pgSettings.defaults
          ? `  Postgres targets at Ringback's defaults (pool ${pgSettings.poolSize}, job concurrency ${pgSettings.jobConcurrency}): up to ${pgSettings.connections} connections`
          : `  NOTE: at Ringback's defaults (pool ${d.databasePoolSize}, job concurrency ${d.jobConcurrency}) the two Postgres targets could hold ` +
              `${choosePgSettings(Number.POSITIVE_INFINITY).connections} connections, more than max_connections ${pgServer.maxConnections} less a quarter for others. ` +
              `They run with RINGBACK_DATABASE_POOL_SIZE=${pgSettings.poolSize} RINGBACK_JOB_CONCURRENCY=${pgSettings.jobConcurrency} (up to ${pgSettings.connections}).`,
      );
      if (pgSettings.connections > pgServer.freeConnections) {
        log(`  WARNING: only ${pgServer.freeConnections} connections are free now (others use the server); sends may fail with "too many clients".`);
      }
      const leftovers = await leftoverBenchDatabases(adminUrl).catch(() => []);
      if (leftovers.length) log(`  note: databases left by earlier bench runs that were killed: ${leftovers.join(', ')} (drop them by hand if no bench is running)`);
    } catch (err) {
      pgUnavailable = (err as Error).message || String(err);
      const msg = `postgres: NOT AVAILABLE at ${redactUrl(adminUrl)} (${pgUnavailable})`;
      if (opts.postgres === 'only') throw new BenchError(`${msg}. Start PostgreSQL or point BENCH_DATABASE_URL at a server (postgres://user@host:port/db, a role that may create databases).`);
      log(`${msg}\n  → the Postgres targets are SKIPPED; embedded and the floor run as usual. Set BENCH_DATABASE_URL, or --postgres=off to silence this.`);
      for (const t of ['postgres-1', 'postgres-2w2w'] as const) failures.push({ target: t, stage: 'server', error: `Postgres not available: ${pgUnavailable}` });
    }
  }

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

  /** The targets being measured, in run order; a Postgres target that fails is retired from it. */
  const targets: Target[] = [];
  const retired = new Set<TargetName>();
  const coldStartMs: Partial<Record<TargetName, number>> = {};
  const isOptional = (t: TargetName) => t === 'postgres-1' || t === 'postgres-2w2w';
  /**
   * A Postgres target that fails (does not start, fails the warm-up, a process dies) is reported,
   * stopped and dropped, and the bench goes on with the others; embedded or the floor failing
   * ends the bench.
   */
  const retire = async (name: TargetName, stage: string, err: unknown): Promise<void> => {
    let error = err instanceof Error ? err.message : String(err);
    if (!isOptional(name)) throw err;
    if (pgServer && /too many clients|remaining connection slots/.test(error)) {
      const n = await connectionsInUse(pgServer.adminUrl, 'ringback_bench_').catch(() => null);
      if (n) error = `the Postgres server ran out of connections (max_connections ${pgServer.maxConnections}; now ${n.total} open, ${n.ours} of them the bench's). ${error}`;
    }
    failures.push({ target: name, stage, error });
    retired.add(name);
    log(`  !! ${name} FAILED (${stage}); it is left out of the rest of the run:\n${error.split('\n').map((l) => `     ${l}`).join('\n')}`);
    const t = targets.find((x) => x.name === name);
    if (t) {
      targets.splice(targets.indexOf(t), 1);
      await stopTarget(t).catch((e: unknown) => log(`     (stopping ${name}: ${(e as Error).message})`));
    }
  };
  const addTarget = (t: Target) => {
    targets.push(t);
    targets.sort((a, b) => TARGET_ORDER.indexOf(a.name) - TARGET_ORDER.indexOf(b.name));
    coldStartMs[t.name] = t.coldStartMs;
  };

  const records: Recorded[] = [];
  const run = async (phase: string, target: Target, rate: number, durationS: number, record = true): Promise<Recorded> => {
    const requests = build(target, Math.max(1, Math.round(rate * durationS)));
    for (const c of target.children) c.markOutput();
    const r = await runOpenLoop({ target: target.load, requests, rate, drainMs: opts.drainMs, arrivals, captureBody: !record });
    const dead = target.children.find((c) => !c.alive);
    if (dead) throw new Error(`${dead.name} died during a run.\n${dead.describeExit()}`);
    const logLines = target.children.reduce((s, c) => s + c.linesSinceMark, 0);
    const rec: Recorded = { phase, ...r, logLines };
    if (record) records.push(rec);
    log(`  ${describeRun(r)}${logLines ? `  [${logLines} log lines]` : ''}`);
    if (r.errorSamples.length) log(`      e.g. ${r.errorSamples.join(' | ')}`);
    if (logLines) {
      // One of the lines it logged (at warn or above), to show what went wrong.
      const c = target.children.find((x) => x.linesSinceMark > 0)!;
      log(`      ${c.name} logged e.g.: ${c.tail.at(-1)?.slice(0, 300) ?? ''}`);
    }
    // Let the target finish any backlog (texts queued past the drain period) before the other runs.
    const quietMs = opts.quick ? 3000 : 180_000;
    if (!(await waitQuiet(target.load, quietMs))) log(`    (${target.name} was still busy ${quietMs / 1000} s after the run)`);
    return rec;
  };
  const warm = async (target: Target): Promise<string> => {
    const r = await run('warmup', target, 200, opts.warmupS, false);
    if (r.errors > 0) {
      throw new Error(
        `${target.name} failed the warm-up (${r.errors} errors: statuses ${JSON.stringify(r.statusCounts)}, ${r.missing} texts missing). ` +
          `Sample answer: ${r.sampleBody?.slice(0, 300) ?? '(none)'}\n${target.children.map((c) => (target.children.length > 1 ? c.describeExit(4, 300) : c.describeExit())).join('\n')}`,
      );
    }
    return r.sampleBody ?? '';
  };
  /** Runs `fn` for a target; a Postgres target that fails is retired (see `retire`). */
  const attempt = async (t: Target, stage: string, fn: () => Promise<unknown>): Promise<boolean> => {
    try {
      await fn();
      return true;
    } catch (err) {
      await retire(t.name, stage, err);
      return false;
    }
  };

  const names = TARGET_ORDER.filter((n) => (n === 'ringback' ? opts.postgres !== 'only' : n === 'floor' ? true : pgServer !== null));
  log(`\nstarting the fake Twilio (in this process) and the targets (child processes): ${names.map((n) => LABEL[n]).join(', ')}…`);
  const floor = await startFloor(fake);
  addTarget(floor);
  if (names.includes('ringback')) {
    const dir = mkdtempSync(path.join(tmpBase, 'ringback-bench-'));
    registerTempDir(dir);
    addTarget(await startRingback({ name: 'ringback', dir }, fake));
  }
  for (const [name, roles] of PG_TARGETS) {
    if (!names.includes(name) || !pgServer || !pgSettings) continue;
    const server = pgServer;
    const settings = pgSettings;
    let db: BenchDatabase | undefined;
    const dir = mkdtempSync(path.join(tmpBase, `ringback-bench-${name}-`));
    registerTempDir(dir);
    try {
      db = await createBenchDatabase(server, name);
      addTarget(await startRingback({ name, dir, postgres: { db, server, roles: [...roles], settings } }, fake));
      log(`  ${name}: ${roles.length} process${roles.length > 1 ? 'es' : ''} (${roles.join(', ')}) on database ${db.name}`);
    } catch (err) {
      await retire(name, 'start', err);
      // startRingback has stopped the processes it started.
      await db?.drop().catch(() => {});
      removeTempDir(dir);
    }
  }
  log(`  cold start to /readyz: ${targets.map((t) => `${LABEL[t.name]} ${ms(t.coldStartMs)} ms`).join(', ')}`);

  log('warm-up (200/s, not recorded):');
  let floorAnswer = '';
  const answers = new Map<TargetName, string>();
  for (const t of [...targets]) {
    await attempt(t, 'warm-up', async () => answers.set(t.name, await warm(t)));
  }
  floorAnswer = answers.get('floor') ?? '';
  for (const [name, answer] of answers) {
    if (name !== 'floor' && answer !== floorAnswer) {
      log(`  WARNING: the floor's answer differs from ${LABEL[name]}'s:\n    ${LABEL[name]}: ${answer}\n    floor:    ${floorAnswer}`);
    }
  }

  // Fixed rates, every target in turn, twice (A B C D A B C D): drift on the machine hits them all.
  log(`\nfixed rates, ${opts.durationS} s runs, targets interleaved (${targets.map((t) => SHORT[t.name]).join(' ')}, twice):`);
  for (const rate of opts.rates) {
    for (let rep = 0; rep < 2; rep++) {
      for (const t of [...targets]) await attempt(t, `rate ${rate}/s`, () => run(`rate-${rate}`, t, rate, opts.durationS));
    }
  }

  // Scaling (embedded only): a seeded data dir, 200/s, interleaved with the floor.
  let seededColdStartMs = Number.NaN;
  if (seeded) {
    log(`\nscaling: embedded Ringback on the seeded data dir (${seeded.result.messages} messages), 200/s, ${opts.durationS} s runs (S F S F):`);
    const big = await startRingback({ name: 'ringback', dir: seeded.dir }, fake);
    seededColdStartMs = big.coldStartMs;
    log(`  cold start to /readyz with ${seeded.result.messages} messages: ${ms(big.coldStartMs)} ms`);
    await warm(big);
    for (let rep = 0; rep < 2; rep++) {
      await run('scale-200', big, 200, opts.durationS);
      await run('scale-floor-200', floor, 200, opts.durationS);
    }
    await stopTarget(big);
  }

  // Step test: up the rate until p99 ≥ 100 ms or anything is dropped; each target stops at its first failure.
  const maxRate: Partial<Record<TargetName, number>> = {};
  const stoppedAt: Partial<Record<TargetName, number | null>> = {};
  if (opts.steps.length > 0) {
    log(`\nstep test, ${opts.stepDurationS} s per step, until p99 ≥ ${P99_LIMIT_MS} ms or anything is dropped:`);
    const active = new Set<Target>(targets);
    for (const t of targets) {
      maxRate[t.name] = 0;
      stoppedAt[t.name] = null;
    }
    const stepDeadline = performance.now() + 30 * 60_000;
    for (const rate of opts.steps) {
      if (active.size === 0 || performance.now() > stepDeadline) break;
      for (const target of [...targets]) {
        if (!active.has(target)) continue;
        const passed = (r: RunResult) => r.latency.p99 < P99_LIMIT_MS && r.errors === 0 && r.arrived === r.sent;
        await attempt(target, `step ${rate}/s`, async () => {
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
        });
        if (!targets.includes(target)) active.delete(target);
      }
    }
  }

  for (const t of [...targets]) await stopTarget(t, opts.keepDatabases);
  await fake.close();

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
      processes: runs[0]!.processes,
      peakRssMb: maxOf((r) => r.peakRssMb),
      cpuPct: mean((r) => r.cpuPct),
      serverCpuPct: mean((r) => r.serverCpuPct),
      serverTotalCpuPct: mean((r) => r.serverTotalCpuPct),
      benchCpuPct: mean((r) => r.benchCpuPct),
      machineCpuPct: mean((r) => r.machineCpuPct),
      stealPct: mean((r) => r.stealPct),
    };
  };

  // Columns: every target that was measured, then each one's ratio to the floor.
  const cols = TARGET_ORDER.filter((n) => records.some((r) => r.target === n) || coldStartMs[n] !== undefined);
  const ratioCols = cols.filter((n) => n !== 'floor');
  const header = ['', ...cols.map((n) => LABEL[n]), ...ratioCols.map((n) => (ratioCols.length === 1 ? 'ratio' : `${SHORT[n]}÷floor`))];
  const rows: string[][] = [];
  const sections = new Set<number>();
  const section = (label: string) => sections.add(rows.push([label]) - 1);
  /** A row: each target's value (blank where it has none) and, unless `showRatio` is false, its ratio to the floor. */
  const row = (label: string, values: Partial<Record<TargetName, number | string>>, fmt: (v: number) => string, showRatio = true) => {
    const cell = (n: TargetName) => {
      const v = values[n];
      return v === undefined ? '' : typeof v === 'string' ? v : fmt(v);
    };
    const floorValue = values.floor;
    rows.push([
      label,
      ...cols.map(cell),
      ...ratioCols.map((n) => {
        const v = values[n];
        return showRatio && typeof v === 'number' && typeof floorValue === 'number' ? fixed(ratio(v, floorValue), 2) : '';
      }),
    ]);
  };
  const each = <T,>(m: Partial<Record<TargetName, T>>, f: (v: T, n: TargetName) => number | string): Partial<Record<TargetName, number | string>> => {
    const out: Partial<Record<TargetName, number | string>> = {};
    for (const n of cols) if (m[n] !== undefined) out[n] = f(m[n]!, n);
    return out;
  };
  const summary: Record<string, unknown> = {};
  const anyPostgres = cols.some(isOptional);

  for (const rate of opts.rates) {
    const c: Partial<Record<TargetName, Combined>> = {};
    for (const n of cols) {
      const x = combine(`rate-${rate}`, n);
      if (x) c[n] = x;
    }
    if (Object.keys(c).length === 0) continue;
    summary[`rate-${rate}`] = c;
    section(`${rate}/s (2 × ${opts.durationS} s each)`);
    row('  latency p50 (ms)', each(c, (x) => x.latency.p50), ms);
    row('  latency p90 (ms)', each(c, (x) => x.latency.p90), ms);
    row('  latency p99 (ms)', each(c, (x) => x.latency.p99), ms);
    row('  latency max (ms)', each(c, (x) => x.latency.max), ms);
    row('  webhook answered p99 (ms)', each(c, (x) => x.response.p99), ms);
    row('  throughput (texts/s)', each(c, (x) => x.throughput), (v) => fixed(v));
    row('  errors (of sent)', each(c, (x) => `${x.errors} of ${x.sent}`), String, false);
    if (anyPostgres) row('  processes', each(c, (x) => x.processes), (v) => fixed(v), false);
    row('  peak RSS (MB, all processes)', each(c, (x) => x.peakRssMb), (v) => fixed(v));
    row('  CPU (% of one core, all processes)', each(c, (x) => x.cpuPct), (v) => fixed(v));
    if (anyPostgres) {
      row('  Postgres CPU for it (% of one core)', each(c, (x, n) => (isOptional(n) ? x.serverCpuPct : '')), (v) => fixed(v), false);
      row('  CPU with Postgres (% of one core)', each(c, (x) => x.cpuPct + (Number.isFinite(x.serverCpuPct) ? x.serverCpuPct : 0)), (v) => fixed(v));
    }
    row('  bench process CPU (%)', each(c, (x) => x.benchCpuPct), (v) => fixed(v), false);
    row('  machine CPU busy (% of all)', each(c, (x) => x.machineCpuPct), (v) => fixed(v), false);
    row('  other processes CPU (%)', each(c, (x) => otherCpu(x)), (v) => fixed(v), false);
    if (anyPostgres) {
      row('  …of which other Postgres databases (%)', each(c, (x) => (Number.isFinite(x.serverTotalCpuPct) ? x.serverTotalCpuPct - x.serverCpuPct : '')), (v) => fixed(v), false);
    }
    row('  CPU stolen by hypervisor (% of all)', each(c, (x) => x.stealPct), (v) => fixed(v), false);
  }
  section('startup');
  row('  cold start to /readyz (ms)', each(coldStartMs, (v) => v), ms);
  if (opts.steps.length > 0) {
    section(`step test (p99 < ${P99_LIMIT_MS} ms, nothing dropped)`);
    const fmtMax = (v: number) => (v > 0 ? fixed(v) : `< ${opts.steps[0]}`);
    row('  max sustainable rate (/s)', each(maxRate, (v) => fmtMax(v)), String, false);
    // Ratios where both figures are real rates.
    const last = rows.at(-1)!;
    ratioCols.forEach((n, i) => {
      const a = maxRate[n];
      const f = maxRate.floor;
      if (a && f) last[1 + cols.length + i] = fixed(a / f, 2);
    });
    const fmtStop = (v: number | null) => (v === null ? `> ${opts.steps.at(-1)}` : String(v));
    row('  first failing rate (/s)', each(stoppedAt, (v) => fmtStop(v)), String, false);
  }
  let scaleSummary: ScaleSummary | null = null;
  if (seeded) {
    const s = combine('scale-200', 'ringback');
    const f = combine('scale-floor-200', 'floor');
    const e = combine('rate-200', 'ringback');
    if (s && f) {
      const label = `${(seeded.result.messages / 1e6).toFixed(seeded.result.messages % 1e6 ? 2 : 0)}M`;
      section(`scaling: ${label} messages stored, 200/s (embedded, seeded, vs floor)`);
      const pair = (g: (x: Combined) => number) => ({ ringback: g(s), floor: g(f) });
      row('  latency p50 (ms)', pair((x) => x.latency.p50), ms);
      row('  latency p99 (ms)', pair((x) => x.latency.p99), ms);
      row('  latency max (ms)', pair((x) => x.latency.max), ms);
      row('  errors', pair((x) => x.errors), (v) => fixed(v), false);
      row('  peak RSS (MB)', pair((x) => x.peakRssMb), (v) => fixed(v));
      row('  CPU (% of one core)', pair((x) => x.cpuPct), (v) => fixed(v));
      row(`  cold start with ${label} (ms)`, { ringback: seededColdStartMs }, ms, false);
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
        row(`  p50 ${label} / empty DB (ratio)`, { ringback: fixed(scaleSummary.p50RatioToEmpty, 2) }, String, false);
        row(`  p99 ${label} / empty DB (ratio)`, { ringback: fixed(scaleSummary.p99RatioToEmpty, 2) }, String, false);
      }
      row('  seeding time (s)', { ringback: seeded.seconds }, (v) => fixed(v, 1), false);
      const note =
        e && (e.throughput < 190 || s.throughput < 190)
          ? '  note: Ringback does not keep up with 200/s here, so these ratios compare queues more than per-call cost'
          : e && (e.latency.p99 >= P99_LIMIT_MS || s.latency.p99 >= P99_LIMIT_MS)
            ? `  note: Ringback's p99 at 200/s is set by a few stalls (≥ ${P99_LIMIT_MS} ms) in either run, so the p99 ratio is noisy; p50 is steadier`
            : null;
      if (note) section(note);
    }
  }

  const widths = header.map((h, c) => Math.max(h.length, ...rows.filter((_, i) => !sections.has(i)).map((r) => (r[c] ?? '').length)));
  const fmtRow = (r: readonly string[]) => widths.map((w, c) => (c === 0 ? (r[c] ?? '').padEnd(w) : (r[c] ?? '').padStart(w))).join('  ');
  log('\n' + fmtRow(header));
  log('-'.repeat(widths.reduce((s, w) => s + w + 2, -2)));
  rows.forEach((r, i) => log(sections.has(i) ? r[0]! : fmtRow(r)));
  log(
    `latency: webhook sent (scheduled) → text request received at the fake Twilio. ${machine.cores} cores shared by the bench process, ` +
      `every Ringback process${anyPostgres ? ', the floor and Postgres' : ' and the floor'}.`,
  );
  if (anyPostgres) {
    log(
      `postgres-1: one --role all process; postgres-2w2w: 2 web (load round robin) + 2 worker processes; each on its own fresh database; ` +
        `pool ${pgSettings?.poolSize}, job concurrency ${pgSettings?.jobConcurrency} per process${pgSettings?.defaults ? " (Ringback's defaults)" : ' (below the defaults, to fit max_connections: see above)'}. ` +
        `CPU and RSS are summed over a target's processes; "Postgres CPU for it": ${pgServer?.postmasterPid !== null ? "the backends of its database and the server's shared processes (WAL writer, checkpointer…), from /proc" : `not measured (${pgServer?.cpuNote})`}.`,
    );
  }
  for (const f of failures) log(`!! ${f.target}: not measured (${f.stage}): ${f.error.split('\n')[0]}`);

  // DESIGN.md's performance targets, where this run measured them (they are stated for embedded Ringback).
  const r200 = summary['rate-200'] as Partial<Record<TargetName, Combined>> | undefined;
  const checks: string[] = [];
  if (r200?.ringback && r200.floor) {
    const p = r200.ringback.latency.p99;
    const q = r200.floor.latency.p99;
    checks.push(`p99 at 200/s ≤ 2× floor and < 25 ms: ${ms(p)} ms, ${fixed(ratio(p, q), 2)}× → ${p < 25 && p <= 2 * q ? 'met' : 'NOT met'}`);
  }
  if (opts.steps.length > 0 && maxRate.ringback !== undefined) {
    checks.push(
      maxRate.floor! > 0
        ? `sustained rate ≥ half the floor's: ${maxRate.ringback}/s vs ${maxRate.floor}/s → ${maxRate.ringback * 2 >= maxRate.floor! ? 'met' : 'NOT met'}`
        : `sustained rate ≥ half the floor's: not measured (the floor failed the first step; a busy machine?)`,
    );
  }
  if (scaleSummary && Number.isFinite(scaleSummary.p99RatioToEmpty)) {
    checks.push(`latency with ${scaleSummary.messages} messages within 20% of empty: p99 ×${fixed(scaleSummary.p99RatioToEmpty, 2)} → ${scaleSummary.p99RatioToEmpty <= 1.2 ? 'met' : 'NOT met'}${scaleSummary.messages < 10e6 ? ' (target is stated at 10M; run --scale=10m)' : ''}`);
  }
  const peakRss = Math.max(...records.filter((r) => r.target === 'ringback').map((r) => r.peakRssMb));
  if (Number.isFinite(peakRss)) checks.push(`Ringback RSS under load < 200 MB: peak ${fixed(peakRss)} MB → ${peakRss < 200 ? 'met' : 'NOT met'}`);
  if (checks.length) log(`\nDESIGN.md targets (embedded):\n${checks.map((c) => `  - ${c}`).join('\n')}`);

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
        targets: cols,
        postgres:
          opts.postgres === 'off'
            ? null
            : {
                server: redactUrl(adminUrl),
                version: pgServer?.version ?? null,
                unavailable: pgUnavailable,
                serverCpuMeasured: pgServer?.postmasterPid != null,
                serverCpuNote: pgServer?.cpuNote ?? null,
                processes: Object.fromEntries(PG_TARGETS),
                freeConnections: pgServer?.freeConnections ?? null,
                settings: pgSettings,
              },
        failures,
        coldStartMs: { ...coldStartMs, ringbackSeeded: seededColdStartMs },
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

  if (r200?.ringback && r200.floor) {
    log(`p99_ratio=${ratio(r200.ringback.latency.p99, r200.floor.latency.p99).toFixed(2)} p99_ms=${r200.ringback.latency.p99.toFixed(1)}`);
  }
  // A Postgres target that was asked for and failed (not one skipped because no server was there) fails the bench.
  return failures.some((f) => f.stage !== 'server') ? 1 : 0;
}

main().then(
  async (code) => {
    await cleanup();
    process.exit(code);
  },
  async (err: unknown) => {
    process.stderr.write(`\nbench failed: ${err instanceof Error ? err.message : String(err)}\n`);
    if (err instanceof Error && !(err instanceof BenchError) && err.stack && !err.message.includes('last output')) process.stderr.write(`${err.stack.split('\n').slice(1, 6).join('\n')}\n`);
    await cleanup();
    process.exit(1);
  },
);
