// SQL for the embedded job queue (the SQLite runner). Postgres deployments use graphile-worker.
import type { Db } from './database.ts';
import type { Job } from './schema.ts';
import { newId } from './ids.ts';

export async function insertJob(
  db: Db,
  job: { task: string; payload: string; jobKey: string | null; runAt: string; maxAttempts: number; now: string },
): Promise<boolean> {
  const result = await db
    .insertInto('jobs')
    .values({
      id: newId('job'),
      task: job.task,
      payload: job.payload,
      job_key: job.jobKey,
      status: 'queued',
      run_at: job.runAt,
      max_attempts: job.maxAttempts,
      created_at: job.now,
      updated_at: job.now,
    })
    .onConflict((oc) => oc.column('job_key').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

/** Up to `limit` due jobs, oldest first, leaving out the ones this process already holds. */
export async function selectDueJobs(db: Db, now: string, limit: number, held: string[]): Promise<Job[]> {
  if (limit <= 0) return [];
  let q = db.selectFrom('jobs').selectAll().where('status', '=', 'queued').where('run_at', '<=', now);
  if (held.length > 0) q = q.where('id', 'not in', held);
  return q.orderBy('run_at').limit(limit).execute();
}

export async function nextRunAt(db: Db, held: string[] = []): Promise<string | null> {
  let q = db
    .selectFrom('jobs')
    .select((eb) => eb.fn.min('run_at').as('next'))
    .where('status', '=', 'queued');
  if (held.length > 0) q = q.where('id', 'not in', held);
  const row = await q.executeTakeFirst();
  return (row?.next as string | null | undefined) ?? null;
}

/** The earliest queued run of the job keyed `jobKey` or `jobKey:…`. */
export async function queuedRunAt(db: Db, jobKey: string): Promise<string | null> {
  const row = await db
    .selectFrom('jobs')
    .select((eb) => eb.fn.min('run_at').as('at'))
    .where('status', '=', 'queued')
    // `:` then `;` bound the keys under it (SQLite compares text bytewise), and use the key's index.
    .where((eb) => eb.or([eb('job_key', '=', jobKey), eb.and([eb('job_key', '>', `${jobKey}:`), eb('job_key', '<', `${jobKey};`)])]))
    .executeTakeFirst();
  return (row?.at as string | null | undefined) ?? null;
}

export async function deleteJobs(db: Db, ids: string[]): Promise<void> {
  if (ids.length > 0) await db.deleteFrom('jobs').where('id', 'in', ids).execute();
}

export async function rescheduleJob(db: Db, id: string, attempts: number, runAt: string, error: string, now: string): Promise<void> {
  await db
    .updateTable('jobs')
    .set({ status: 'queued', attempts, run_at: runAt, last_error: error, locked_at: null, updated_at: now })
    .where('id', '=', id)
    .execute();
}

export async function failJob(db: Db, id: string, attempts: number, error: string, now: string): Promise<void> {
  await db
    .updateTable('jobs')
    // The key is freed, as graphile-worker does: a failed job no longer holds its key, so the
    // same work can be enqueued again (e.g. a webhook redelivered by hand).
    .set({ status: 'failed', attempts, last_error: error, locked_at: null, job_key: null, updated_at: now })
    .where('id', '=', id)
    .execute();
}

/** After a crash, jobs left `running` never finished: run them again. */
export async function requeueInterruptedJobs(db: Db, now: string): Promise<number> {
  const result = await db
    .updateTable('jobs')
    .set({ status: 'queued', locked_at: null, updated_at: now })
    .where('status', '=', 'running')
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

