// The open-loop load generator and its statistics.
//
// Open loop: request i is sent at t0 + i/rate whatever happened to the earlier ones, so a target
// that falls behind builds a queue and the queue shows in the latencies, which are measured from
// the SCHEDULED send time (no coordinated omission). Requests are pre-built and pre-signed;
// sending one is an http.request on a keep-alive Agent with a generous pool. The end-to-end
// latency stops when the text's request reaches the fake Twilio (its onMessage, same process and
// clock as the generator).
import http from 'node:http';
import { cpuSeconds, cpuSecondsSum, machineCpu, sampleRss } from './procs.ts';

export interface PreparedRequest {
  path: string;
  headers: Record<string, string>;
  body: Buffer;
  /** The caller: the text-back goes to this number, which identifies its arrival. */
  caller: string;
}

export interface LoadTarget {
  name: string;
  /** The ports that take the webhooks: request i goes to ports[i % ports.length] (round robin). */
  ports: number[];
  agent: http.Agent;
  /** Every process of the target: CPU and RSS are summed over them. */
  pids: number[];
  /**
   * The database server the target needs (a cost outside its own processes): `start()` begins
   * measuring, `stop()` returns the CPU seconds it used for the target (`own`) and in all (`total`).
   */
  server?: { start(): { stop(): { own: number; total: number } | null }; ownSeconds(): number };
}

/** Arrival times of texts at the fake carrier, by the number they are sent to. */
export class ArrivalTracker {
  #index = new Map<string, number>();
  #arrivals: Float64Array = new Float64Array(0);
  count = 0;
  last = 0;
  /** Texts for numbers this run did not call (late ones from an earlier run, or strays). */
  stray = 0;
  /** Texts for a number that had already been texted in this run. */
  duplicate = 0;

  begin(callers: readonly string[]): Float64Array {
    this.#index = new Map(callers.map((c, i) => [c, i]));
    this.#arrivals = new Float64Array(callers.length).fill(Number.NaN);
    this.count = 0;
    this.last = 0;
    this.stray = 0;
    this.duplicate = 0;
    return this.#arrivals;
  }

  end(): void {
    this.#index = new Map();
  }

  arrive(to: string, at: number): void {
    const i = this.#index.get(to);
    if (i === undefined) {
      this.stray++;
      return;
    }
    if (!Number.isNaN(this.#arrivals[i]!)) {
      this.duplicate++;
      return;
    }
    this.#arrivals[i] = at;
    this.count++;
    if (at > this.last) this.last = at;
  }
}

export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  n: number;
}

export function percentiles(values: ArrayLike<number>): Percentiles {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  if (n === 0) return { p50: Number.NaN, p90: Number.NaN, p99: Number.NaN, max: Number.NaN, mean: Number.NaN, n: 0 };
  // Nearest rank.
  const at = (q: number) => sorted[Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1))]!;
  let sum = 0;
  for (const v of sorted) sum += v;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted[n - 1]!, mean: sum / n, n };
}

export interface RunResult {
  target: string;
  rate: number;
  durationS: number;
  sent: number;
  /** Webhooks answered 2xx. */
  ok: number;
  non2xx: number;
  transportErrors: number;
  /** Webhooks with no answer when the drain period ended. */
  unanswered: number;
  arrived: number;
  /** Texts that had not arrived at the fake when the drain period ended. */
  missing: number;
  stray: number;
  duplicate: number;
  /** Calls that went wrong: webhook not answered 2xx, or its text missing (each call counted once). */
  errors: number;
  /** Webhook sent (scheduled) → text request received at the fake, ms. */
  latency: Percentiles;
  /** Webhook sent (scheduled) → webhook answered, ms. */
  response: Percentiles;
  /** How late the generator sent requests (actual − scheduled), ms. */
  generatorLag: Percentiles;
  /** Texts arrived per second, from the first scheduled send to the last arrival. */
  throughput: number;
  /** How many processes the target has (CPU and RSS are their sums). */
  processes: number;
  /** The target's CPU over the run (t0 → drained), summed over its processes, % of one core. */
  cpuPct: number;
  /** The same for each process, in the order of `LoadTarget.pids`. */
  cpuPctByProcess: number[];
  /** The database server's CPU for this target over the run (its database's backends and the shared processes), % of one core; NaN when not measured. */
  serverCpuPct: number;
  /** The whole database server's CPU over the run (other databases' work included), % of one core; NaN when not measured. */
  serverTotalCpuPct: number;
  /** Highest total VmRSS of the target's processes (sampled together every 100 ms). */
  peakRssMb: number;
  benchCpuPct: number;
  benchPeakRssMb: number;
  /** The whole machine's CPU over the run (stolen time not included), % of all cores. */
  machineCpuPct: number;
  /** CPU time the hypervisor gave to other guests while this VM wanted it, % of all cores. */
  stealPct: number;
  /** t0 → everything answered and arrived (or the drain period over), s. */
  wallS: number;
  statusCounts: Record<string, number>;
  errorSamples: string[];
  /** One answer body, when asked for (the warm-up checks it). */
  sampleBody?: string;
  /** The raw values behind `latency` and `response`, for pooling runs (left out of the JSON). */
  raw?: { latencies: number[]; responses: number[] };
}

export interface RunOptions {
  target: LoadTarget;
  requests: PreparedRequest[];
  rate: number;
  /** After the last scheduled send, how long to wait for answers and texts. */
  drainMs: number;
  arrivals: ArrivalTracker;
  captureBody?: boolean;
}

const noop = () => {};

export async function runOpenLoop(o: RunOptions): Promise<RunResult> {
  const { target, requests, rate } = o;
  const n = requests.length;
  const interval = 1000 / rate;
  const status = new Int16Array(n); // 0: no answer yet; -1: transport error
  const respAt = new Float64Array(n);
  const sentAt = new Float64Array(n);
  const arrivals = o.arrivals.begin(requests.map((r) => r.caller));
  const inflight = new Set<http.ClientRequest>();
  const errorSamples: string[] = [];
  let answered = 0;
  let sampleBody: string | undefined;

  const t0 = performance.now() + 20;
  const schedule = (i: number) => t0 + i * interval;
  const cpu0s = target.pids.map(cpuSeconds);
  const server = target.server?.start() ?? null;
  const machine0 = machineCpu();
  const bench0 = process.cpuUsage();
  const rss = sampleRss([target.pids, [process.pid]]);
  const ports = target.ports;

  const send = (i: number) => {
    const r = requests[i]!;
    sentAt[i] = performance.now();
    const req = http.request(
      { agent: target.agent, host: '127.0.0.1', port: ports[i % ports.length], method: 'POST', path: r.path, headers: r.headers },
      (res) => {
        const capture = o.captureBody && sampleBody === undefined;
        const chunks: Buffer[] = [];
        if (capture) res.on('data', (c: Buffer) => chunks.push(c));
        else res.on('data', noop);
        res.on('end', () => {
          respAt[i] = performance.now();
          status[i] = res.statusCode ?? 0;
          answered++;
          inflight.delete(req);
          if (capture) sampleBody = Buffer.concat(chunks).toString('utf8');
        });
        res.on('error', noop);
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (status[i] === 0) {
        status[i] = -1;
        respAt[i] = performance.now();
        answered++;
      }
      inflight.delete(req);
      if (errorSamples.length < 5) errorSamples.push(`${err.code ?? ''} ${err.message}`.trim());
    });
    inflight.add(req);
    req.end(r.body);
  };

  // The schedule: every request that is due goes out; then sleep until the next one is.
  await new Promise<void>((resolve) => {
    let i = 0;
    const tick = () => {
      const now = performance.now();
      while (i < n && schedule(i) <= now) send(i++);
      if (i >= n) return resolve();
      setTimeout(tick, Math.max(0, schedule(i) - performance.now()));
    };
    setTimeout(tick, Math.max(0, t0 - performance.now()));
  });

  // Drain: until every webhook is answered and every text arrived, or the drain period is over.
  const deadline = schedule(n - 1) + o.drainMs;
  while (performance.now() < deadline && (answered < n || o.arrivals.count < n)) {
    await new Promise((r) => setTimeout(r, 5));
  }
  const tDone = performance.now();
  const cpu1s = target.pids.map(cpuSeconds);
  // Null when a process is gone (the run then reports NaN; run.ts stops on a dead target anyway).
  const total = (xs: Array<number | null>) => (xs.every((x) => x !== null) ? (xs as number[]).reduce((a, b) => a + b, 0) : null);
  const cpu0 = total(cpu0s);
  const cpu1 = total(cpu1s);
  const serverCpu = server?.stop() ?? null;
  const machine1 = machineCpu();
  const bench1 = process.cpuUsage(bench0);
  const [peakRssMb, benchPeakRssMb] = rss.stop();
  for (const req of inflight) req.destroy();
  inflight.clear();
  const stray = o.arrivals.stray;
  const duplicate = o.arrivals.duplicate;
  o.arrivals.end();

  const latencies: number[] = [];
  const responses: number[] = [];
  const lags: number[] = [];
  const statusCounts: Record<string, number> = {};
  let ok = 0;
  let non2xx = 0;
  let transportErrors = 0;
  let unanswered = 0;
  let failed = 0;
  for (let i = 0; i < n; i++) {
    const s = status[i]!;
    if (!(s >= 200 && s < 300) || Number.isNaN(arrivals[i]!)) failed++;
    const key = s === 0 ? 'none' : s === -1 ? 'error' : String(s);
    statusCounts[key] = (statusCounts[key] ?? 0) + 1;
    if (s >= 200 && s < 300) ok++;
    else if (s === -1) transportErrors++;
    else if (s === 0) unanswered++;
    else non2xx++;
    if (s !== 0) responses.push(respAt[i]! - schedule(i));
    lags.push(sentAt[i]! - schedule(i));
    if (!Number.isNaN(arrivals[i]!)) latencies.push(arrivals[i]! - schedule(i));
  }
  const arrived = latencies.length;
  const missing = n - arrived;
  const wallS = (tDone - t0) / 1000;
  const spanS = arrived > 0 ? (o.arrivals.last - t0) / 1000 : wallS;
  return {
    target: target.name,
    rate,
    durationS: (n * interval) / 1000,
    sent: n,
    ok,
    non2xx,
    transportErrors,
    unanswered,
    arrived,
    missing,
    stray,
    duplicate,
    errors: failed,
    latency: percentiles(latencies),
    response: percentiles(responses),
    generatorLag: percentiles(lags),
    throughput: spanS > 0 ? arrived / spanS : 0,
    processes: target.pids.length,
    cpuPct: cpu0 !== null && cpu1 !== null ? ((cpu1 - cpu0) / wallS) * 100 : Number.NaN,
    cpuPctByProcess: cpu0s.map((a, i) => (a !== null && cpu1s[i] != null ? ((cpu1s[i]! - a) / wallS) * 100 : Number.NaN)),
    serverCpuPct: serverCpu ? (serverCpu.own / wallS) * 100 : Number.NaN,
    serverTotalCpuPct: serverCpu ? (serverCpu.total / wallS) * 100 : Number.NaN,
    peakRssMb: peakRssMb!,
    benchCpuPct: ((bench1.user + bench1.system) / 1e6 / wallS) * 100,
    benchPeakRssMb: benchPeakRssMb!,
    machineCpuPct:
      machine0 && machine1 && machine1.total > machine0.total ? ((machine1.busy - machine0.busy) / (machine1.total - machine0.total)) * 100 : Number.NaN,
    stealPct:
      machine0 && machine1 && machine1.total > machine0.total ? ((machine1.steal - machine0.steal) / (machine1.total - machine0.total)) * 100 : Number.NaN,
    wallS,
    statusCounts,
    errorSamples,
    ...(sampleBody === undefined ? {} : { sampleBody }),
    raw: { latencies, responses },
  };
}

/**
 * Waits until the target's processes (and its database server's work for it, when it has one)
 * together use under `pct`% of a core (plus 2% for each process past the first: idle job pollers)
 * over 300 ms windows (at most `maxMs`).
 */
export async function waitQuiet(target: Pick<LoadTarget, 'pids' | 'server'>, maxMs: number, pct = 5): Promise<boolean> {
  const deadline = performance.now() + maxMs;
  pct += 2 * (target.pids.length - 1) + (target.server ? 5 : 0);
  const cpu = () => {
    const own = cpuSecondsSum(target.pids);
    return own === null ? null : own + (target.server?.ownSeconds() ?? 0);
  };
  while (performance.now() < deadline) {
    const a = cpu();
    const t = performance.now();
    await new Promise((r) => setTimeout(r, 300));
    const b = cpu();
    if (a === null || b === null) return false;
    if (((b - a) / ((performance.now() - t) / 1000)) * 100 < pct) return true;
  }
  return false;
}
