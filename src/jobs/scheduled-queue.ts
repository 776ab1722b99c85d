// Jobs due more than a few seconds from now wait in the scheduled_jobs table, on the application
// clock, and the scheduler hands them to the job runner when they fall due. Two reasons: graphile
// compares run_at with the database's clock, so a job held until 8 AM could not be driven by a
// test clock (and would behave differently on the two stores); and a held job is a plain row that
// the inbox can show and a later change can see. Short delays (retries) go straight to the runner.
import type { Store } from '../store/database.ts';
import type { Tx } from '../store/database.ts';
import { claimScheduledJob, insertScheduledJob, listDueScheduledJobs, scheduledRunAt } from '../store/scheduled-jobs-repository.ts';
import type { JobQueue, JobSpec } from './job-queue.ts';

/** Delays up to this go to the runner directly. */
export const DIRECT_DELAY_MS = 30_000;
const RELEASE_BATCH = 500;

export class ScheduledQueue implements JobQueue {
  readonly #inner: JobQueue;
  readonly #store: Store;
  readonly #clock: () => Date;

  constructor(inner: JobQueue, store: Store, clock: () => Date) {
    this.#inner = inner;
    this.#store = store;
    this.#clock = clock;
  }

  async enqueue(tx: Tx, spec: JobSpec): Promise<void> {
    const now = this.#clock();
    if (!spec.runAt || spec.runAt.getTime() - now.getTime() <= DIRECT_DELAY_MS) return this.#inner.enqueue(tx, spec);
    await insertScheduledJob(tx.db, {
      task: spec.task,
      payload: JSON.stringify(spec.payload),
      jobKey: spec.jobKey ?? null,
      maxAttempts: spec.maxAttempts ?? null,
      runAt: spec.runAt.toISOString(),
      now: now.toISOString(),
    });
  }

  async whenDue(jobKey: string): Promise<Date | null> {
    const atRunner = await this.#inner.whenDue(jobKey);
    if (atRunner) return atRunner;
    const held = await scheduledRunAt(this.#store.db, jobKey);
    return held ? new Date(held) : null;
  }

  /** Moves jobs due at `now` to the runner; each in its own transaction, claimed by deleting its row. */
  async releaseDue(now: Date): Promise<number> {
    const due = await listDueScheduledJobs(this.#store.db, now.toISOString(), RELEASE_BATCH);
    let released = 0;
    for (const job of due) {
      const moved = await this.#store.transaction(async (tx) => {
        if (!(await claimScheduledJob(tx.db, job.id))) return false;
        await this.#inner.enqueue(tx, {
          task: job.task,
          payload: JSON.parse(job.payload) as Record<string, unknown>,
          ...(job.job_key ? { jobKey: job.job_key } : {}),
          ...(job.max_attempts ? { maxAttempts: job.max_attempts } : {}),
        });
        return true;
      });
      if (moved) released++;
    }
    return released;
  }
}
