// The one job interface. Jobs are enqueued inside the caller's transaction, so a job exists if
// and only if the data that caused it was committed. Handlers must be idempotent: a job can run
// again after a crash or a retry.
import type { Tx } from '../store/database.ts';

export interface JobSpec {
  task: string;
  payload: Record<string, unknown>;
  runAt?: Date;
  /** At most one pending job per key; enqueueing a key that is already pending does nothing. */
  jobKey?: string;
  maxAttempts?: number;
}

export interface JobContext {
  jobId: string;
  attempt: number;
  maxAttempts: number;
}

export interface TaskDefinition {
  run(payload: Record<string, unknown>, ctx: JobContext): Promise<void>;
  /** Called once when the last attempt has failed (the dead-letter moment). */
  onExhausted?(payload: Record<string, unknown>, error: Error): Promise<void>;
}

export interface JobQueue {
  enqueue(tx: Tx, spec: JobSpec): Promise<void>;
  /**
   * When the job with this key, or with a key under it (`<key>:…`), is next due; null when none
   * is waiting (it is running now, finished, or failed for good). For showing people when a
   * retry will happen; on the application clock.
   */
  whenDue(jobKey: string): Promise<Date | null>;
}

export interface JobRunner extends JobQueue {
  register(task: string, definition: TaskDefinition): void;
  /** Makes the queue usable for enqueueing (e.g. installs its schema); every role calls it. */
  prepare(): Promise<void>;
  /** Starts working jobs (worker and all roles only). */
  start(): Promise<void>;
  /** Stops taking jobs and waits for the running ones to finish. */
  stop(): Promise<void>;
  readonly running: boolean;
  /** Resolves when nothing is running or due within `horizonMs` (for tests and the CLI). */
  drain(timeoutMs?: number, horizonMs?: number): Promise<void>;
}

/** Thrown by a handler to retry after a specific delay (e.g. a carrier's Retry-After). */
export class RetryLaterError extends Error {
  readonly delayMs: number;
  constructor(message: string, delayMs: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RetryLaterError';
    this.delayMs = delayMs;
  }
}

/** Thrown by a handler when retrying can never help; the job fails at once. */
export class PermanentJobError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PermanentJobError';
  }
}
