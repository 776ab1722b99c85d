import type { Db } from './database.ts';
import { newId } from './ids.ts';
import type { ScheduledJobsTable } from './schema.ts';
import type { Selectable } from 'kysely';

export type ScheduledJob = Selectable<ScheduledJobsTable>;

/** Returns false when a job with the same key is already scheduled (nothing changed). */
export async function insertScheduledJob(
  db: Db,
  row: { task: string; payload: string; jobKey: string | null; maxAttempts: number | null; runAt: string; now: string },
): Promise<boolean> {
  const result = await db
    .insertInto('scheduled_jobs')
    .values({ id: newId('sjob'), task: row.task, payload: row.payload, job_key: row.jobKey, max_attempts: row.maxAttempts, run_at: row.runAt, created_at: row.now })
    .onConflict((oc) => oc.column('job_key').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

export async function listDueScheduledJobs(db: Db, now: string, limit: number): Promise<ScheduledJob[]> {
  return db.selectFrom('scheduled_jobs').selectAll().where('run_at', '<=', now).orderBy('run_at').limit(limit).execute();
}

/** Claims a due row by deleting it; false when another process took it first. */
export async function claimScheduledJob(db: Db, id: string): Promise<boolean> {
  const result = await db.deleteFrom('scheduled_jobs').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function nextScheduledRunAt(db: Db): Promise<string | null> {
  const row = await db.selectFrom('scheduled_jobs').select('run_at').orderBy('run_at').limit(1).executeTakeFirst();
  return row?.run_at ?? null;
}

/** The run time of the job held here with this key or a key under it (`jobKey:…`). */
export async function scheduledRunAt(db: Db, jobKey: string): Promise<string | null> {
  const row = await db
    .selectFrom('scheduled_jobs')
    .select((eb) => eb.fn.min('run_at').as('at'))
    .where((eb) => eb.or([eb('job_key', '=', jobKey), eb(eb.fn('substr', ['job_key', eb.val(1), eb.val(jobKey.length + 1)]), '=', `${jobKey}:`)]))
    .executeTakeFirst();
  return (row?.at as string | null | undefined) ?? null;
}
