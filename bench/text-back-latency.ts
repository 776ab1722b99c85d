// Measures the core loop in one process: a simulated unanswered call placed through the API →
// the text-back recorded on the caller's virtual phone. Prints percentiles; asserts nothing.
// Usage: node bench/text-back-latency.ts [calls=200] [concurrency=1]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { loadConfig } from '../src/config.ts';
import { createRingback } from '../src/main.ts';

const calls = Number(process.argv[2] ?? 200);
const concurrency = Number(process.argv[3] ?? 1);
const dataDir = mkdtempSync(path.join(process.env.BENCH_TMP ?? tmpdir(), 'ringback-bench-'));
const key = 'rb_bench_key_0123456789abcdefghijkl';
const ringback = createRingback(
  loadConfig({ RINGBACK_DATA_DIR: dataDir, RINGBACK_PORT: '0', RINGBACK_HOST: '127.0.0.1', RINGBACK_ADMIN_API_KEY: key, RINGBACK_LOG_LEVEL: 'silent' }),
  { logger: pino({ level: 'silent' }) },
);
const { url } = await ringback.start();

// Arrival times on the phones, by caller, straight from the simulator (no polling delay).
const arrivals = new Map<string, number>();
const network = ringback.network as unknown as { acceptMessage: (m: { to: string }) => unknown };
const accept = network.acceptMessage.bind(ringback.network);
network.acceptMessage = (m) => {
  const result = accept(m as never);
  arrivals.set(m.to, performance.now());
  return result;
};

async function one(i: number): Promise<number> {
  // Unique real-format callers, so no call meets another's cooldown.
  const caller = `+1415${2_000_000 + i}`;
  const start = performance.now();
  const res = await fetch(`${url}/api/v1/simulator/calls`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ from: caller, to: '+15555550100', outcome: 'unanswered' }),
  });
  if (res.status !== 202) throw new Error(`${res.status} ${await res.text()}`);
  for (;;) {
    const at = arrivals.get(caller);
    if (at !== undefined) return at - start;
    await new Promise((r) => setImmediate(r));
  }
}

const latencies: number[] = [];
const started = performance.now();
let next = 0;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < calls) latencies.push(await one(next++));
  }),
);
const elapsed = (performance.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!.toFixed(2);
console.log(
  `calls=${calls} concurrency=${concurrency} p50=${pct(50)}ms p90=${pct(90)}ms p99=${pct(99)}ms max=${latencies.at(-1)!.toFixed(2)}ms throughput=${(calls / elapsed).toFixed(0)}/s rss=${(process.memoryUsage().rss / 1e6).toFixed(0)}MB`,
);
await ringback.stop();
rmSync(dataDir, { recursive: true, force: true });
