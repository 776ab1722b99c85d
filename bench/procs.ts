// Child processes for the benchmark: spawned with their output kept (not printed), always killed
// on the way out (SIGTERM, then SIGKILL), and their resource use read from /proc.
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

  describeExit(): string {
    const how = this.exit ? (this.exit.signal ? `killed by ${this.exit.signal}` : `exited with code ${this.exit.code}`) : 'still running';
    return `${this.name} (pid ${this.pid}) ${how}; its last output:\n${this.tail.map((l) => `    | ${l}`).join('\n') || '    (none)'}`;
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

/** Seconds of CPU (user + system) the process has used; null when it is gone. */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return (utime + stime) / ticksPerSecond();
  } catch {
    return null;
  }
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

/** Samples VmRSS of some processes every `everyMs` until stopped; returns the peaks in MB. */
export function sampleRss(pids: number[], everyMs = 100): { stop(): Map<number, number> } {
  const peaks = new Map<number, number>();
  const sample = () => {
    for (const pid of pids) {
      const mb = rssMb(pid);
      if (mb !== null && mb > (peaks.get(pid) ?? 0)) peaks.set(pid, mb);
    }
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peaks;
    },
  };
}
