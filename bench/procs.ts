// Child processes for the benchmark: spawned with their output kept (not printed), always killed
// on the way out (SIGTERM, then SIGKILL), and their resource use read from /proc. Other things to
// undo on the way out (the Postgres targets' databases) register with registerCleanup.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';

const TAIL_LINES = 40;

export class Child {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly pid: number;
  readonly spawnedAt: number;
  /** The last lines of stdout and stderr, for error reports. */
  readonly tail: string[] = [];
  /** Lines written since `markOutput()`. */
  linesSinceMark = 0;
  exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  readonly exited: Promise<void>;

  constructor(name: string, args: string[], env: Record<string, string>, cwd: string) {
    this.name = name;
    this.spawnedAt = performance.now();
    this.proc = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    if (this.proc.pid === undefined) throw new Error(`could not start ${name}`);
    this.pid = this.proc.pid;
    live.add(this);
    for (const stream of [this.proc.stdout!, this.proc.stderr!]) {
      let partial = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        const parts = (partial + chunk).split('\n');
        partial = parts.pop() ?? '';
        for (const line of parts) {
          this.linesSinceMark++;
          this.tail.push(line.length > 500 ? line.slice(0, 500) + '…' : line);
          if (this.tail.length > TAIL_LINES) this.tail.shift();
        }
      });
    }
    this.exited = new Promise((resolve) => {
      this.proc.once('exit', (code, signal) => {
        this.exit = { code, signal };
        live.delete(this);
        resolve();
      });
    });
  }

  get alive(): boolean {
    return this.exit === null;
  }

  markOutput(): void {
    this.linesSinceMark = 0;
  }

  /** How it ended (or that it is running) and its last `lines` lines of output (each cut at `width`). */
  describeExit(lines = TAIL_LINES, width = 500): string {
    const how = this.exit ? (this.exit.signal ? `killed by ${this.exit.signal}` : `exited with code ${this.exit.code}`) : 'still running';
    const shown = this.tail.filter((l) => l.trim() !== '').slice(-lines).map((l) => `    | ${l.length > width ? l.slice(0, width) + '…' : l}`);
    return `${this.name} (pid ${this.pid}) ${how}; its last output:\n${shown.join('\n') || '    (none)'}`;
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    if (!this.alive) return;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (this.alive) this.proc.kill('SIGKILL');
    }, graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

const live = new Set<Child>();
const tempDirs = new Set<string>();
interface CleanupHook {
  name: string;
  run: () => Promise<void>;
  /** What the last-resort exit handler does instead (it cannot wait for promises). */
  runSync: () => void;
}
const hooks = new Set<CleanupHook>();

/**
 * Something to undo on the way out (a database to drop), after the children are stopped: run by
 * `cleanup()`, or synchronously by the exit handler if the bench ends without it. Returns the
 * function that unregisters it (call it once the thing is undone).
 */
export function registerCleanup(name: string, run: () => Promise<void>, runSync: () => void): () => void {
  const hook: CleanupHook = { name, run, runSync };
  hooks.add(hook);
  return () => void hooks.delete(hook);
}

export function registerTempDir(dir: string): void {
  tempDirs.add(dir);
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

/** Stops every child (SIGTERM then SIGKILL) and removes the temp dirs. */
export async function cleanup(): Promise<void> {
  await Promise.all([...live].map((c) => c.stop()));
  for (const dir of [...tempDirs]) removeTempDir(dir);
  for (const hook of [...hooks]) {
    try {
      await hook.run();
      hooks.delete(hook);
    } catch (err) {
      process.stderr.write(`bench: cleanup: ${hook.name} failed: ${(err as Error).message}\n`);
    }
  }
}

let installed = false;
/** Last-resort cleanup: children are SIGKILLed and temp dirs removed however the process ends. */
export function installExitHandlers(): void {
  if (installed) return;
  installed = true;
  process.on('exit', () => {
    for (const c of live) {
      try {
        process.kill(c.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const dir of tempDirs) {
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // best effort
      }
    }
    for (const hook of hooks) {
      try {
        hook.runSync();
      } catch {
        // best effort
      }
    }
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      process.stderr.write(`\nbench: ${signal}: stopping the children and removing temp dirs…\n`);
      const force = setTimeout(() => process.exit(130), 8000);
      force.unref();
      cleanup().finally(() => process.exit(130));
    });
  }
}

/** A free TCP port on 127.0.0.1 (asked of the OS, then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

/** Polls `url` until it answers 200; returns the time of that answer (performance.now()). */
export async function waitReady(url: string, child: Child, timeoutMs: number): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  let last = 'no answer yet';
  while (performance.now() < deadline) {
    if (!child.alive) throw new Error(`${child.name} stopped before it was ready.\n${child.describeExit()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 200) return performance.now();
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`${child.name} was not ready at ${url} within ${timeoutMs / 1000} s (${last}).\n${child.describeExit()}`);
}

// ─── /proc ────────────────────────────────────────────────────────────────────────────────────

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    const n = Number(out.stdout?.trim());
    clockTicks = Number.isFinite(n) && n > 0 ? n : 100;
  }
  return clockTicks;
}

export interface ProcStat {
  comm: string;
  ppid: number;
  /** CPU of the process itself, and of its children that have exited and been waited for, in ticks. */
  utime: number;
  stime: number;
  cutime: number;
  cstime: number;
  ticksPerSecond: number;
}

/** The fields of `/proc/<pid>/stat` the bench uses; null when the process is gone. */
export function procStat(pid: number): ProcStat | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
  const close = stat.lastIndexOf(')');
  const fields = stat.slice(close + 2).split(' ');
  return {
    comm: stat.slice(stat.indexOf('(') + 1, close),
    ppid: Number(fields[1]),
    utime: Number(fields[11]),
    stime: Number(fields[12]),
    cutime: Number(fields[13]),
    cstime: Number(fields[14]),
    ticksPerSecond: ticksPerSecond(),
  };
}

/** Seconds of CPU (user + system) the process has used; null when it is gone. */
export function cpuSeconds(pid: number): number | null {
  const s = procStat(pid);
  return s ? (s.utime + s.stime) / s.ticksPerSecond : null;
}

/** Seconds of CPU the processes have used together; null when any of them is gone. */
export function cpuSecondsSum(pids: readonly number[]): number | null {
  let sum = 0;
  for (const pid of pids) {
    const s = cpuSeconds(pid);
    if (s === null) return null;
    sum += s;
  }
  return sum;
}

/** Resident memory in MB (VmRSS); null when the process is gone. */
export function rssMb(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/**
 * The whole machine's CPU time from /proc/stat, in jiffies: `busy` (user, nice, system, irq,
 * softirq), `steal` (taken by the hypervisor for other guests: this VM wanted the CPU and did not
 * get it) and `total`.
 */
export function machineCpu(): { busy: number; steal: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const n = line.trim().split(/\s+/).slice(1, 9).map(Number);
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = n;
    return { busy: user + nice + system + irq + softirq, steal, total: user + nice + system + idle + iowait + irq + softirq + steal };
  } catch {
    return null;
  }
}

/**
 * Samples VmRSS every `everyMs` until stopped. Returns the peak of each group's sum (a group is
 * the processes of one target: its peak is the highest total seen at one sample, not the sum of
 * each process's own peak), in MB.
 */
export function sampleRss(groups: ReadonlyArray<readonly number[]>, everyMs = 100): { stop(): number[] } {
  const peaks = groups.map(() => 0);
  const sample = () => {
    groups.forEach((pids, g) => {
      let sum = 0;
      for (const pid of pids) sum += rssMb(pid) ?? 0;
      if (sum > peaks[g]!) peaks[g] = sum;
    });
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peaks.map((p) => (p > 0 ? p : Number.NaN));
    },
  };
}
