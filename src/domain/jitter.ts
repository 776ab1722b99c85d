import { createHash } from 'node:crypto';

/** Up to 15 minutes (reference §1.5.5): deferred texts must not all leave at 08:00:00. */
export const MAX_JITTER_MS = 15 * 60_000;

/**
 * A stable spread for deferred sends, derived from an id: the same run or contact gets the same
 * offset on every retry and in every process, so rescheduling never drifts and tests can predict it.
 */
export function jitterFor(id: string, maxMs = MAX_JITTER_MS): number {
  const n = createHash('sha256').update(id).digest().readUInt32BE(0);
  return Math.floor((n / 0x1_0000_0000) * maxMs);
}
