// The PostgreSQL side of the benchmark: the server given by BENCH_DATABASE_URL, a fresh database
// per Postgres target (created here, dropped when the target is done — also on Ctrl-C or a
// failure, see registerCleanup in procs.ts) and the server's CPU use read from /proc.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { procStat, registerCleanup } from './procs.ts';

export const DEFAULT_BENCH_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const ROOT = path.resolve(import.meta.dirname, '..');

/** The URL with any password replaced, for printing. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(an unparsable URL)';
  }
}

export interface PostgresServer {
  /** The admin URL (BENCH_DATABASE_URL): where databases are created and dropped. */
  adminUrl: string;
  version: string;
  /** The postmaster's pid when the server runs on this machine (its CPU can be read), else null. */
  postmasterPid: number | null;
  /** Why the server's CPU is not measured, when it is not. */
  cpuNote: string | null;
  maxConnections: number;
  /** Connections a new client of ours may still open: max_connections, less the reserved ones (for a non-superuser) and those open now. */
  freeConnections: number;
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>, timeoutMs = 5000): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, application_name: 'ringback-bench' });
  // An error on an idle client (the server going away) must not crash the bench.
  client.on('error', () => {});
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]', '']);

/** Connects to the server and finds out what can be measured; throws (with the reason) when it is unreachable. */
export async function probePostgres(adminUrl: string): Promise<PostgresServer> {
  return withClient(adminUrl, async (c) => {
    const { rows } = await c.query<{ version: string; pid: number; max_connections: string; reserved: string; super: boolean; in_use: number; can_create: boolean }>(
      `select current_setting('server_version') as version, pg_backend_pid() as pid,
              current_setting('max_connections') as max_connections,
              current_setting('superuser_reserved_connections') as reserved,
              (select rolsuper from pg_roles where rolname = current_user) as super,
              (select count(*)::int from pg_stat_activity where backend_type = 'client backend') as in_use,
              (select rolcreatedb or rolsuper from pg_roles where rolname = current_user) as can_create`,
    );
    const row = rows[0]!;
    if (!row.can_create) throw new Error(`the role in BENCH_DATABASE_URL may not create databases (CREATEDB)`);
    let postmasterPid: number | null = null;
    let cpuNote: string | null = null;
    const host = new URL(adminUrl).hostname;
    if (!LOCAL_HOSTS.has(host) && !host.startsWith('/')) {
      cpuNote = `the server (${host}) is not on this machine`;
    } else {
      // Our own backend is a child of the postmaster; both are `postgres` processes.
      const backend = procStat(row.pid);
      const parent = backend ? procStat(backend.ppid) : null;
      if (backend?.comm === 'postgres' && parent?.comm === 'postgres') postmasterPid = backend.ppid;
      else cpuNote = 'its processes are not visible in /proc here (a container?)';
    }
    const maxConnections = Number(row.max_connections);
    const freeConnections = maxConnections - (row.super ? 0 : Number(row.reserved)) - row.in_use;
    return { adminUrl, version: row.version, postmasterPid, cpuNote, maxConnections, freeConnections };
  });
}

/** The server's own processes that serve every database (not a connection's backend). */
const SHARED = /^postgres: (?:.*: )?(checkpointer|background writer|walwriter|autovacuum launcher|logical replication launcher|stats collector|archiver|startup|walreceiver)\b/;

function processTitle(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return null;
  }
}

/** Children of the postmaster, by pid, with their CPU in seconds. */
function postmasterChildren(postmasterPid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    const c = entry.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const s = procStat(Number(entry));
    if (s && s.ppid === postmasterPid) out.set(Number(entry), (s.utime + s.stime) / s.ticksPerSecond);
  }
  return out;
}

export interface ServerCpu {
  /** CPU seconds of this database's backends (connections, autovacuum) and the server's shared processes (WAL writer, checkpointer…). */
  own: number;
  /** CPU seconds of the whole server, other databases' work included. */
  total: number;
}

/**
 * Measures what a Postgres server spends on one database. Backends show their database in their
 * process title (`postgres: 15/main: user db host(port) state`); they and the shared processes
 * are sampled every `everyMs` (a backend that exits between samples loses at most that much; the
 * pools keep theirs open). The whole server's figure is exact (see serverCpuSeconds).
 */
export function postgresCpuMeter(postmasterPid: number, dbName: string, everyMs = 250) {
  const kind = new Map<number, 'own' | 'other'>();
  const classify = (pid: number): 'own' | 'other' => {
    let k = kind.get(pid);
    if (k === undefined) {
      const title = processTitle(pid) ?? '';
      k = SHARED.test(title) || ` ${title} `.includes(` ${dbName} `) ? 'own' : 'other';
      kind.set(pid, k);
    }
    return k;
  };
  /** This database's and the shared processes' CPU, now, by pid. */
  const ownNow = (): Map<number, number> => {
    const out = new Map<number, number>();
    for (const [pid, cpu] of postmasterChildren(postmasterPid)) if (classify(pid) === 'own') out.set(pid, cpu);
    return out;
  };
  const sum = (m: Map<number, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  return {
    /** CPU seconds used so far by this database's and the shared processes (those alive now). */
    ownSeconds: (): number => sum(ownNow()),
    start(): { stop(): ServerCpu | null } {
      const total0 = serverCpuSeconds(postmasterPid);
      const first = ownNow();
      const last = new Map(first);
      const sample = () => {
        for (const [pid, cpu] of ownNow()) last.set(pid, cpu);
      };
      const timer = setInterval(sample, everyMs);
      return {
        stop() {
          clearInterval(timer);
          sample();
          const total1 = serverCpuSeconds(postmasterPid);
          if (total0 === null || total1 === null) return null;
          let own = 0;
          for (const [pid, cpu] of last) own += cpu - (first.get(pid) ?? 0);
          return { own, total: total1 - total0 };
        },
      };
    },
  };
}

export type PostgresCpuMeter = ReturnType<typeof postgresCpuMeter>;

/**
 * CPU seconds the whole server has used: the postmaster, its live children (backends, WAL writer,
 * checkpointer, autovacuum…), and the children that have exited (the kernel adds those to the
 * postmaster's cutime/cstime when it reaps them). The difference of two readings is what the
 * server used in between, short-lived connections included. Null when the postmaster is gone.
 */
export function serverCpuSeconds(postmasterPid: number): number | null {
  const master = procStat(postmasterPid);
  if (!master) return null;
  let seconds = (master.utime + master.stime + master.cutime + master.cstime) / master.ticksPerSecond;
  for (const cpu of postmasterChildren(postmasterPid).values()) seconds += cpu;
  return seconds;
}

export interface BenchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
  /** Leaves the database in place when the bench ends (--keep-databases). */
  keep(): void;
}

function quoteIdent(name: string): string {
  if (!/^[a-z0-9_]+$/.test(name)) throw new Error(`unexpected database name ${name}`);
  return `"${name}"`;
}

async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  await withClient(adminUrl, async (c) => {
    try {
      // PostgreSQL 13+: also ends the connections still open to it.
      await c.query(`drop database if exists ${quoteIdent(name)} with (force)`);
    } catch (err) {
      if ((err as { code?: string }).code !== '42601') throw err; // not a syntax error: a real failure
      await c.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [name]);
      await c.query(`drop database if exists ${quoteIdent(name)}`);
    }
  });
}

/** The same drop, synchronously, for the last-resort exit handler (a child Node process, 10 s at most). */
function dropDatabaseSync(adminUrl: string, name: string): void {
  const script = `
    import pg from 'pg';
    const c = new pg.Client({ connectionString: process.env.BENCH_ADMIN_URL, connectionTimeoutMillis: 3000 });
    await c.connect();
    await c.query('drop database if exists "' + process.env.BENCH_DROP_DB + '" with (force)');
    await c.end();`;
  spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: ROOT,
    env: { ...process.env, BENCH_ADMIN_URL: adminUrl, BENCH_DROP_DB: name },
    stdio: 'ignore',
    timeout: 10_000,
  });
}

/** A new, empty database on the server, dropped by `drop()` or, failing that, when the bench exits. */
export async function createBenchDatabase(server: PostgresServer, label: string): Promise<BenchDatabase> {
  const name = `ringback_bench_${label.replace(/[^a-z0-9]/gi, '').toLowerCase()}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  await withClient(server.adminUrl, (c) => c.query(`create database ${quoteIdent(name)}`));
  const url = new URL(server.adminUrl);
  url.pathname = `/${name}`;
  let dropped: Promise<void> | null = null;
  const unregister = registerCleanup(`drop database ${name}`, () => drop(), () => dropDatabaseSync(server.adminUrl, name));
  const drop = (): Promise<void> => {
    dropped ??= dropDatabase(server.adminUrl, name).then(unregister);
    return dropped;
  };
  return { name, url: url.toString(), drop, keep: unregister };
}

/** Databases left by earlier bench runs that were killed with SIGKILL (names start ringback_bench_). */
export async function leftoverBenchDatabases(adminUrl: string): Promise<string[]> {
  return withClient(adminUrl, async (c) => {
    const { rows } = await c.query<{ datname: string }>(`select datname from pg_database where datname like 'ringback\\_bench\\_%' order by 1`);
    return rows.map((r) => r.datname);
  });
}


/** Client connections open on the server now: in all, and to databases whose names start with `prefix`. */
export async function connectionsInUse(adminUrl: string, prefix: string): Promise<{ total: number; ours: number }> {
  return withClient(adminUrl, async (c) => {
    const { rows } = await c.query<{ total: number; ours: number }>(
      `select count(*)::int as total, (count(*) filter (where datname like $1 || '%'))::int as ours
         from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid()`,
      [prefix],
    );
    return rows[0]!;
  });
}
