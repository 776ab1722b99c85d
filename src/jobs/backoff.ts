/**
 * Exponential backoff with full jitter (AWS Architecture Blog): a random delay between 0 and
 * min(cap, base * 2^attempt), so jobs that failed together do not retry together.
 */
export function fullJitterDelayMs(
  attempt: number,
  opts: { baseMs: number; capMs: number },
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(opts.capMs, opts.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}
