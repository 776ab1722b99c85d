// The embedded job runner: a jobs table in the same SQLite file, worked in-process. A job starts
// the moment its transaction commits (enqueue registers an after-commit wake-up), so the hot
// path never waits for a poll; a slow poll remains as a safety net for timers.
//
// One process owns the file, so which jobs are running is kept in memory, not written: a claim
// would cost a synchronous commit (an fsync) on the hot path and buy nothing, because after a
// crash every unfinished job runs again anyway. Finished jobs are deleted in batches for the
// same reason; one that is run again after a crash finds its work done (handlers are idempotent).
import type { Logger } from 'pino';
import type { Store, Tx } from '../store/database.ts';
import * as jobs from '../store/jobs-repository.ts';
import type { Job } from '../store/schema.ts';
import { fullJitterDelayMs } from './backoff.ts';
import { PermanentJobError, RetryLaterError, type JobRunner, type JobSpec, type TaskDefinition } from './job-queue.ts';

export interface SqliteRunnerOptions {
  store: Store;
  logger: Logger;
  concurrency: number;
  defaultMaxAttempts: number;
  backoff: { baseMs: number; capMs: number };
  now?: () => Date;
  pollIntervalMs?: number;
  random?: () => number;
}

export class SqliteJobRunner implements JobRunner {
  readonly #opts: SqliteRunnerOptions;
  readonly #tasks = new Map<string, TaskDefinition>();
  readonly #inFlight = new Set<Promise<void>>();
  /** Jobs this process holds: running, or finished and waiting for the batched delete. */
  readonly #held = new Set<string>();
  #finished: string[] = [];
  /** Counts job starts and ends, so drain() can tell whether its view went stale. */
  #generation = 0;
  #flushScheduled = false;
  #running = false;
  #tickScheduled = false;
  #ticking = false;
  #again = false;
  #timer: NodeJS.Timeout | undefined;
  #timerAt = 0;
  #saturated = false;
  #poll: NodeJS.Timeout | undefined;
  #idleWaiters: Array<() => void> = [];

  constructor(opts: SqliteRunnerOptions) {
    this.#opts = opts;
  }

  get running(): boolean {
    return this.#running;
  }

  #now(): Date {
    return this.#opts.now ? this.#opts.now() : new Date();
  }

  register(task: string, definition: TaskDefinition): void {
    this.#tasks.set(task, definition);
  }

  async enqueue(tx: Tx, spec: JobSpec): Promise<void> {
    if (!this.#tasks.has(spec.task)) throw new Error(`no handler is registered for job task "${spec.task}"`);
    const now = this.#now();
    await jobs.insertJob(tx.db, {
      task: spec.task,
      payload: JSON.stringify(spec.payload),
      jobKey: spec.jobKey ?? null,
      runAt: (spec.runAt ?? now).toISOString(),
      maxAttempts: spec.maxAttempts ?? this.#opts.defaultMaxAttempts,
      now: now.toISOString(),
    });
    const runAt = spec.runAt?.getTime() ?? now.getTime();
    tx.afterCommit(() => (runAt > now.getTime() ? this.#wakeAt(runAt) : this.wake()));
  }

  async whenDue(jobKey: string): Promise<Date | null> {
    const at = await jobs.queuedRunAt(this.#opts.store.db, jobKey);
    return at ? new Date(at) : null;
  }

  /** Wakes the runner at `atMs` (keeps the earliest pending wake-up). */
  #wakeAt(atMs: number): void {
    if (!this.#running) return;
    if (this.#timer && this.#timerAt <= atMs) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timerAt = atMs;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.wake();
    }, Math.min(Math.max(0, atMs - this.#now().getTime()), 2 ** 31 - 1));
    this.#timer.unref();
  }

  async prepare(): Promise<void> {
    // The jobs table comes with the application's own migrations.
  }

  async start(): Promise<void> {
    if (this.#running) return;
    const requeued = await jobs.requeueInterruptedJobs(this.#opts.store.db, this.#now().toISOString());
    if (requeued > 0) this.#opts.logger.warn({ requeued }, 'jobs interrupted by a previous stop will run again');
    this.#running = true;
    // The safety net: jobs this process did not enqueue or lost track of are found within a poll.
    this.#poll = setInterval(() => {
      this.wake();
      void this.#armTimer();
    }, this.#opts.pollIntervalMs ?? 1000);
    this.#poll.unref();
    this.wake();
    await this.#armTimer();
  }

  async stop(): Promise<void> {
    this.#running = false;
    if (this.#poll) clearInterval(this.#poll);
    if (this.#timer) clearTimeout(this.#timer);
    await Promise.allSettled([...this.#inFlight]);
    await this.#flushFinished();
  }

  #finish(id: string): void {
    this.#finished.push(id);
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    // Coalesce: every job finished in this turn of the event loop goes in one statement.
    setImmediate(() => void this.#flushFinished());
  }

  async #flushFinished(): Promise<void> {
    this.#flushScheduled = false;
    const ids = this.#finished;
    if (ids.length === 0) return;
    this.#finished = [];
    try {
      // Recoverable: a finished job that comes back after a power cut finds its work done.
      await this.#opts.store.transaction((tx) => jobs.deleteJobs(tx.db, ids), { durability: 'recoverable' });
    } catch (err) {
      this.#opts.logger.error({ err }, 'could not delete finished jobs; they will run again, harmlessly');
    }
    for (const id of ids) this.#held.delete(id);
  }

  wake(): void {
    if (!this.#running || this.#tickScheduled) return;
    this.#tickScheduled = true;
    setImmediate(() => {
      this.#tickScheduled = false;
      void this.#tick();
    });
  }

  async drain(timeoutMs = 10_000, horizonMs = 1_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const generation = this.#generation;
      const next = await jobs.nextRunAt(this.#opts.store.db, [...this.#held]);
      // A job that started or ended while we asked makes the answer stale: ask again.
      if (generation !== this.#generation) continue;
      // Retries due within the horizon count as pending work; later ones do not.
      const due = next !== null && Date.parse(next) <= this.#now().getTime() + horizonMs;
      if (!due && this.#inFlight.size === 0 && !this.#ticking) {
        if (this.#finished.length === 0) return;
        await this.#flushFinished();
        continue;
      }
      if (Date.now() > deadline) throw new Error('jobs did not drain in time');
      await new Promise<void>((resolve) => {
        this.#idleWaiters.push(resolve);
        setTimeout(resolve, 20).unref();
      });
    }
  }

  async #tick(): Promise<void> {
    if (this.#ticking) {
      this.#again = true;
      return;
    }
    this.#ticking = true;
    try {
      do {
        this.#again = false;
        const free = this.#opts.concurrency - this.#inFlight.size;
        if (!this.#running) break;
        if (free <= 0) {
          this.#saturated = true;
          break;
        }
        const claimed = await jobs.selectDueJobs(this.#opts.store.db, this.#now().toISOString(), free, [...this.#held]);
        for (const job of claimed) {
          this.#held.add(job.id);
          this.#launch(job);
        }
        this.#saturated = claimed.length === free;
        if (this.#saturated) this.#again = true;
      } while (this.#again);
    } catch (err) {
      this.#opts.logger.error({ err }, 'job runner could not claim jobs');
    } finally {
      this.#ticking = false;
      this.#notifyIdle();
    }
  }

  async #armTimer(): Promise<void> {
    if (!this.#running) return;
    const next = await jobs.nextRunAt(this.#opts.store.db, [...this.#held]);
    if (next !== null) this.#wakeAt(Date.parse(next));
  }

  #launch(job: Job): void {
    this.#generation++;
    const run = this.#execute(job).finally(() => {
      this.#generation++;
      this.#inFlight.delete(run);
      // Only a full runner can have left due jobs behind; new ones wake it on commit.
      if (this.#saturated) this.wake();
      this.#notifyIdle();
    });
    this.#inFlight.add(run);
  }

  #notifyIdle(): void {
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }

  async #execute(job: Job): Promise<void> {
    const { store, logger } = this.#opts;
    const definition = this.#tasks.get(job.task);
    const payload = JSON.parse(job.payload) as Record<string, unknown>;
    const attempt = job.attempts + 1;
    // Made only when something goes wrong: a child logger per job costs on the hot path.
    const log = () => logger.child({ job: job.id, task: job.task, attempt });
    try {
      if (!definition) throw new PermanentJobError(`no handler is registered for job task "${job.task}"`);
      await definition.run(payload, { jobId: job.id, attempt, maxAttempts: job.max_attempts });
      this.#finish(job.id);
      return;
    } catch (caught) {
      const err = caught instanceof Error ? caught : new Error(String(caught));
      const now = this.#now();
      const exhausted = err instanceof PermanentJobError || attempt >= job.max_attempts;
      if (exhausted) {
        log().error({ err }, 'job failed for good');
        await jobs.failJob(store.db, job.id, attempt, err.message, now.toISOString());
        this.#held.delete(job.id);
        try {
          await definition?.onExhausted?.(payload, err);
        } catch (hookErr) {
          log().error({ err: hookErr }, 'job failure hook threw');
        }
        return;
      }
      const backoff = fullJitterDelayMs(attempt, this.#opts.backoff, this.#opts.random);
      const delay = err instanceof RetryLaterError ? Math.max(err.delayMs, backoff) : backoff;
      log().warn({ err: err.message, retryInMs: delay }, 'job failed; will retry');
      await jobs.rescheduleJob(store.db, job.id, attempt, new Date(now.getTime() + delay).toISOString(), err.message, now.toISOString());
      this.#held.delete(job.id);
      this.#wakeAt(now.getTime() + delay);
    }
  }
}
