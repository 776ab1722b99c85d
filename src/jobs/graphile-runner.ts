// The Postgres job runner: graphile-worker behind the one job interface (job-queue.ts), with the
// SQLite runner's semantics. Several processes share the queue; each job runs on one of them.
//
// Enqueueing is a call to graphile_worker.add_job inside the caller's own transaction, so a job
// exists if and only if that transaction commits; add_job's NOTIFY (delivered on commit) wakes
// every listening worker at once. Job keys use job_key_mode 'unsafe_dedupe': while a job with the
// key exists (waiting, or running) a second enqueue does nothing, as on SQLite.
//
// Retries are ours, not graphile's. graphile's own schedule is a fixed exp(attempts) seconds and
// knows nothing of RetryLaterError, so a failed attempt never reaches graphile's fail path:
//   - retryable failure with attempts left: in ONE transaction, delete the running row (only if
//     we still hold its lock) and add a follow-up job — same task, payload and key, run_at = now
//     + fullJitterDelayMs(attempt) (at least RetryLaterError.delayMs), computed in database time
//     because that is the clock graphile compares run_at with. The attempt number, our
//     maxAttempts and the first job's id travel in a reserved payload field (`__ringback`) that
//     the wrapper strips before run(). Then the task returns "success"; graphile's complete
//     deletes a row that is already gone. Atomic, so a crash cannot leave both the old and the
//     new job behind, nor neither.
//   - PermanentJobError or last attempt: onExhausted(payload, err) first (a crash in between runs
//     the job again rather than losing the dead-letter call), then the row gets max_attempts =
//     attempts and loses its key (the key is free again: only pending jobs hold one) and the task
//     throws; graphile records last_error and unlocks it, and the row stays as a permanently
//     failed job (attempts >= max_attempts) for inspection.
// graphile's max_attempts column is therefore always 32767: graphile counts a claim as an
// attempt, and a job claimed by a worker that then died must still run again after recovery.
// Our attempts count failures only, like SQLite's; a claim that never finished (a crash) is
// counted separately, and a job interrupted more than `maxInterruptions` times (a poison pill
// that kills its worker) is failed for good instead of taking down every worker in turn.
//
// Crash recovery: graphile leaves jobs locked by a dead worker for 4 hours. Each running runner
// keeps a heartbeat row (its worker pool's id, which is what graphile writes to locked_by) in
// ringback_jobs.ringback_job_workers, refreshed every `heartbeatIntervalMs` (5 s) in database
// time. The row is written before the pool can lock anything (a startWorker hook that every
// worker awaits before its first fetch), so a lock by a pool without a fresh row means a dead
// pool. Every running runner sweeps on the same timer: heartbeat rows older than
// `deadWorkerAfterMs` (20 s: four missed beats, so a GC pause or a slow query is not a death)
// are deleted and graphile_worker.force_unlock_workers releases their jobs and queues, then a
// NOTIFY wakes the workers. A crashed job runs again within about 25 s. A runner sweeps only
// once its own heartbeat has been getting through for `deadWorkerAfterMs`, so after an outage
// that stopped every heartbeat the first one back does not release the others' running jobs. A
// worker that was only stalled past the threshold finds its row gone on its next beat and says
// so: its jobs may have run twice, which idempotent handlers tolerate.
//
// Polling: new jobs arrive by NOTIFY; retries and future jobs enqueued by this process arm a
// local timer that nudges the pool when they fall due; recovered jobs come with a NOTIFY. The
// poll (every idle worker fetches once per `pollIntervalMs`, 2 s) is only the safety net for
// future jobs enqueued by another process and for notifications lost while the LISTEN
// connection reconnects, so it is graphile's default rather than something shorter: a shorter
// poll would multiply idle queries by concurrency × processes for no gain on the hot path.
//
// Time: graphile decides what is due by database time. `now` (the application clock) is only
// used to turn a JobSpec.runAt into a delay, which is then added to the database's clock: a
// skewed or simulated application clock shifts nothing.
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import pg from 'pg';
import {
  Logger as GraphileLogger,
  run,
  runMigrations,
  type Job as GraphileJob,
  type LogLevel,
  type Runner,
  type Task,
  type TaskList,
  type WorkerEvents,
  type WorkerPool,
} from 'graphile-worker';
import type { PostgresStore } from '../store/postgres-store.ts';
import type { Tx } from '../store/database.ts';
import { fullJitterDelayMs } from './backoff.ts';
import { PermanentJobError, RetryLaterError, type JobRunner, type JobSpec, type TaskDefinition } from './job-queue.ts';

declare global {
  namespace GraphileConfig {
    interface Plugins {
      RingbackHeartbeatPlugin: true;
    }
  }
}

export interface GraphileRunnerOptions {
  store: PostgresStore;
  /** graphile-worker gets its own small pool (its ids are bigints kept as strings). */
  poolConfig: pg.PoolConfig;
  logger: Logger;
  concurrency: number;
  defaultMaxAttempts: number;
  backoff: { baseMs: number; capMs: number };
  now?: () => Date;
  /** How often a running runner refreshes its heartbeat and sweeps for dead workers (5 s). */
  heartbeatIntervalMs?: number;
  /** A worker not seen for this long is dead and its jobs are released (20 s). */
  deadWorkerAfterMs?: number;
  /** The safety-net poll of each idle worker (2 s); see above for why it can be slow. */
  pollIntervalMs?: number;
  /** Claims of one attempt that never finished before the job fails for good (10). */
  maxInterruptions?: number;
  random?: () => number;
}

/** graphile-worker's schema (its default; the runner never renames it). */
export const GRAPHILE_SCHEMA = 'graphile_worker';
/** The heartbeat table; Postgres-only infrastructure outside the application's migrations. */
export const WORKERS_TABLE = 'ringback_jobs.ringback_job_workers';
/** Reserved payload field carrying the retry state; stripped before a handler sees the payload. */
export const RESERVED_FIELD = '__ringback';
/** graphile's max_attempts for every job (smallint max): graphile itself never gives up on one. */
const GRAPHILE_MAX_ATTEMPTS = 32767;
/** The pause before a pool that graphile shut down by itself is replaced. */
const RESTART_DELAY_MS = 5_000;
/** Serialises prepare() across processes (graphile's install plus our own DDL). */
const PREPARE_LOCK_KEY = 7_262_556_501;

interface RetryState {
  attempt: number;
  maxAttempts: number;
  jobId?: string;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

function splitPayload(raw: unknown): { payload: Record<string, unknown>; state: Partial<RetryState> } {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { payload: {}, state: {} };
  const { [RESERVED_FIELD]: state, ...payload } = raw as Record<string, unknown>;
  return { payload, state: state && typeof state === 'object' ? (state as Partial<RetryState>) : {} };
}

/** graphile's log lines, into pino: its info lines (one per job) are debug here. */
function graphileLogger(logger: Logger): GraphileLogger {
  return new GraphileLogger((scope) => (level: LogLevel, message: string, meta?: Record<string, unknown>) => {
    const fields: Record<string, unknown> = { graphile: scope.label ?? true };
    if (scope.jobId) fields.graphileJob = scope.jobId;
    const err = meta?.error ?? meta?.fatalError;
    if (err instanceof Error) fields.err = err;
    switch (level) {
      case 'error':
        // A job that fails for good is logged by the runner itself, with more context.
        if (meta?.failure) logger.debug(fields, message);
        else logger.error(fields, message);
        break;
      case 'warning':
        logger.warn(fields, message);
        break;
      case 'info':
        logger.debug(fields, message);
        break;
      default:
        logger.trace(fields, message);
    }
  });
}

export class GraphileJobRunner implements JobRunner {
  readonly #opts: GraphileRunnerOptions;
  readonly #heartbeatMs: number;
  readonly #deadAfterMs: number;
  readonly #pollMs: number;
  readonly #maxInterruptions: number;
  readonly #tasks = new Map<string, TaskDefinition>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #registrations = new Map<string, Promise<void>>();
  #pool: pg.Pool | undefined;
  #prepared: Promise<void> | undefined;
  #runner: Runner | undefined;
  #workerPool: WorkerPool | undefined;
  /** Our graphile worker pool's id, once its heartbeat row exists. */
  #poolId: string | undefined;
  #heartbeat: NodeJS.Timeout | undefined;
  #beating: Promise<void> | undefined;
  #starting: Promise<void> | undefined;
  #stopped: Promise<void> | undefined;
  /** When our heartbeat last reached the database, and since when it has done so steadily (local monotonic ms). */
  #lastTouch: number | undefined;
  #healthySince: number | undefined;
  #running = false;
  #stopping = false;

  constructor(opts: GraphileRunnerOptions) {
    this.#opts = opts;
    this.#heartbeatMs = opts.heartbeatIntervalMs ?? 5_000;
    this.#deadAfterMs = opts.deadWorkerAfterMs ?? 20_000;
    this.#pollMs = opts.pollIntervalMs ?? 2_000;
    this.#maxInterruptions = opts.maxInterruptions ?? 10;
  }

  get running(): boolean {
    return this.#running;
  }

  register(task: string, definition: TaskDefinition): void {
    this.#tasks.set(task, definition);
  }

  /** graphile's own pool (never the store's, which parses bigints as numbers). Made on first use. */
  #getPool(): pg.Pool {
    if (!this.#pool) {
      const pool = new pg.Pool(this.#opts.poolConfig);
      // With listeners of our own in place graphile installs none (its log errors at error level).
      pool.on('error', (err) => this.#opts.logger.warn({ err }, 'job queue connection lost while idle'));
      pool.on('connect', (client) => client.on('error', () => {}));
      this.#pool = pool;
    }
    return this.#pool;
  }

  async enqueue(tx: Tx, spec: JobSpec): Promise<void> {
    if (!this.#tasks.has(spec.task)) throw new Error(`no handler is registered for job task "${spec.task}"`);
    if (RESERVED_FIELD in spec.payload) throw new Error(`job payload field "${RESERVED_FIELD}" is reserved`);
    const maxAttempts = spec.maxAttempts ?? this.#opts.defaultMaxAttempts;
    const state: RetryState = { attempt: 1, maxAttempts };
    const payload = JSON.stringify({ ...spec.payload, [RESERVED_FIELD]: state });
    // runAt is on the application clock; graphile compares with the database's. Keep the delay.
    const delayMs = spec.runAt ? Math.max(0, spec.runAt.getTime() - this.#now().getTime()) : 0;
    const runAt = delayMs > 0 ? sql`(clock_timestamp() + ${delayMs}::float8 * interval '1 millisecond')` : sql`null`;
    await sql`
      select 1 from ${sql.id(GRAPHILE_SCHEMA)}.add_job(
        identifier => ${spec.task}::text,
        payload => ${payload}::json,
        run_at => ${runAt}::timestamptz,
        max_attempts => ${GRAPHILE_MAX_ATTEMPTS}::int,
        job_key => ${spec.jobKey ?? null}::text,
        job_key_mode => 'unsafe_dedupe'
      )`.execute(tx.db);
    // Due now: add_job's NOTIFY wakes the workers on commit. Later: wake ours when it is due.
    if (delayMs > 0) tx.afterCommit(() => this.#nudgeIn(delayMs));
  }

  #now(): Date {
    return this.#opts.now ? this.#opts.now() : new Date();
  }

  async whenDue(jobKey: string): Promise<Date | null> {
    // run_at is on the database's clock: turned into a delay, then added to the application's.
    // Waiting rows only: a running row is locked, and one failed for good has no attempts left.
    const { rows } = await sql<{ in_ms: number | null }>`
      select (extract(epoch from min(j.run_at) - now()) * 1000)::float8 as in_ms
      from ${sql.id(GRAPHILE_SCHEMA, '_private_jobs')} as j
      where (j.key = ${jobKey} or starts_with(j.key, ${`${jobKey}:`}))
        and j.locked_at is null
        and j.attempts < j.max_attempts`.execute(this.#opts.store.db);
    const inMs = rows[0]?.in_ms;
    return inMs === null || inMs === undefined ? null : new Date(this.#now().getTime() + Math.max(0, Number(inMs)));
  }

  async prepare(): Promise<void> {
    this.#prepared ??= this.#install().catch((err: unknown) => {
      this.#prepared = undefined;
      throw err;
    });
    return this.#prepared;
  }

  async #install(): Promise<void> {
    // graphile's migrations tolerate racing installers, but `create … if not exists` does not:
    // two at once can both miss and one fails. A session lock on a connection of its own (so a
    // tiny pool cannot deadlock against the migration's connection) makes every caller wait.
    const lock = new pg.Client(this.#opts.poolConfig);
    lock.on('error', () => {});
    await lock.connect();
    try {
      await lock.query('set statement_timeout = 0');
      await lock.query('select pg_advisory_lock($1)', [PREPARE_LOCK_KEY]);
      await runMigrations({ pgPool: this.#getPool(), logger: graphileLogger(this.#opts.logger) });
      await lock.query(`
        create schema if not exists ringback_jobs;
        create table if not exists ${WORKERS_TABLE} (
          worker_id text primary key,
          hostname text not null,
          pid integer not null,
          started_at timestamptz not null default now(),
          last_seen timestamptz not null default now()
        );`);
      await lock.query('select pg_advisory_unlock($1)', [PREPARE_LOCK_KEY]);
    } finally {
      await lock.end().catch(() => {});
    }
  }

  async start(): Promise<void> {
    if (this.#running || this.#runner) return;
    this.#starting ??= this.#start().finally(() => {
      this.#starting = undefined;
    });
    return this.#starting;
  }

  async #start(): Promise<void> {
    await this.prepare();
    this.#stopping = false;
    const { logger } = this.#opts;
    const events = new EventEmitter() as WorkerEvents;
    events.on('pool:create', ({ workerPool }) => {
      this.#workerPool = workerPool;
    });
    const taskList: TaskList = {};
    for (const [name, definition] of this.#tasks) taskList[name] = this.#wrap(name, definition);
    const runner = await run({
      pgPool: this.#getPool(),
      taskList,
      parsedCronItems: [],
      concurrency: this.#opts.concurrency,
      pollInterval: this.#pollMs,
      noHandleSignals: true,
      logger: graphileLogger(logger),
      events,
      preset: {
        worker: {
          // Completions and failures go through graphile's batcher (0 ms: the same tick), which
          // graceful shutdown waits for and whose errors are handled; the unbatched path fires
          // and forgets them, so an error there would be an unhandled rejection.
          completeJobBatchDelay: 0,
          failJobBatchDelay: 0,
        },
        plugins: [
          {
            name: 'RingbackHeartbeatPlugin',
            version: '1.0.0',
            description: 'Records the worker pool in the heartbeat table before it takes any job',
            worker: {
              hooks: {
                startWorker: async (_ctx, event) => {
                  await this.#registerPool(event.worker.workerPool.id);
                },
              },
            },
          },
        ],
      },
    });
    this.#runner = runner;
    this.#running = true;
    runner.promise.then(
      () => this.#onRunnerExit(runner, undefined),
      (err: unknown) => this.#onRunnerExit(runner, asError(err)),
    );
    this.#heartbeat = setInterval(() => void this.#beat(), this.#heartbeatMs);
    this.#heartbeat.unref();
    logger.info({ concurrency: this.#opts.concurrency }, 'job runner started (graphile-worker)');
  }

  /**
   * graphile shuts its pool down after an error it cannot recover from (e.g. it could not record
   * a completion). Readiness turns false, and we start a new pool after a pause; the old pool's
   * heartbeat row goes stale, so whatever it still held is swept like a dead worker's.
   */
  #onRunnerExit(runner: Runner, err: Error | undefined): void {
    if (this.#stopping || this.#runner !== runner) return;
    this.#running = false;
    this.#runner = undefined;
    this.#workerPool = undefined;
    this.#poolId = undefined;
    this.#lastTouch = undefined;
    this.#healthySince = undefined;
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#opts.logger.error({ err }, 'graphile-worker stopped by itself; restarting it shortly');
    void (async () => {
      while (!this.#stopping && !this.#runner) {
        await sleep(RESTART_DELAY_MS);
        if (this.#stopping || this.#runner) return;
        try {
          await this.start();
        } catch (restartErr) {
          this.#opts.logger.error({ err: restartErr }, 'could not restart graphile-worker; trying again');
        }
      }
    })();
  }

  /** Writes our heartbeat row; a worker awaits this before fetching its first job. */
  #registerPool(poolId: string): Promise<void> {
    let registration = this.#registrations.get(poolId);
    if (!registration) {
      registration = (async () => {
        for (;;) {
          try {
            await this.#touch(poolId);
            this.#touched();
            this.#poolId = poolId;
            return;
          } catch (err) {
            this.#opts.logger.warn({ err }, 'could not record the job worker heartbeat; retrying before taking jobs');
            // Stopping: the pool is inactive, so the worker fetches nothing once released.
            if (this.#stopping) return;
            await sleep(Math.min(this.#heartbeatMs, 1_000));
          }
        }
      })();
      this.#registrations.set(poolId, registration);
    }
    return registration;
  }

  /** Refreshes (or recreates) our heartbeat row; true if it had to be recreated. */
  async #touch(poolId: string): Promise<boolean> {
    const { rows } = await this.#getPool().query<{ inserted: boolean }>(
      `insert into ${WORKERS_TABLE} as w (worker_id, hostname, pid) values ($1, $2, $3)
       on conflict (worker_id) do update set last_seen = now()
       returning (xmax = 0) as inserted`,
      [poolId, hostname(), process.pid],
    );
    return rows[0]?.inserted ?? false;
  }

  #touched(): void {
    const t = performance.now();
    // A gap this long means our heartbeat was not reaching the database either.
    if (this.#lastTouch === undefined || this.#healthySince === undefined || t - this.#lastTouch > this.#deadAfterMs / 2) this.#healthySince = t;
    this.#lastTouch = t;
  }

  #beat(): Promise<void> {
    // One at a time: a slow database must not pile up heartbeats.
    this.#beating ??= (async () => {
      try {
        const poolId = this.#poolId;
        if (!poolId) return;
        let recreated: boolean;
        try {
          recreated = await this.#touch(poolId);
        } catch (err) {
          this.#healthySince = undefined;
          throw err;
        }
        this.#touched();
        if (recreated) {
          this.#opts.logger.warn(
            { worker: poolId },
            'this job worker was presumed dead (no heartbeat in time); jobs it was running may have run again elsewhere',
          );
        }
        // Sweep only once our own heartbeat has reached the database steadily for as long as it
        // takes to declare a worker dead. After an outage that stopped every heartbeat (a database
        // restart, a network cut), the first runner back would otherwise find every other
        // runner's row stale and release jobs that are still running; this way the others get
        // the same time to check in. A worker restarting after a crash loses nothing by it: the
        // dead pool's row needs that long to go stale anyway.
        if (performance.now() - this.#healthySince! >= this.#deadAfterMs) await this.#sweep();
      } catch (err) {
        this.#opts.logger.warn({ err }, 'job worker heartbeat failed');
      } finally {
        this.#beating = undefined;
      }
    })();
    return this.#beating;
  }

  /** Releases the jobs of workers whose heartbeat stopped. Safe to run in several processes at once. */
  async #sweep(): Promise<void> {
    const client = await this.#getPool().connect();
    try {
      await client.query('begin');
      // The delete locks the rows: a second sweeper waits, then finds them gone.
      const { rows } = await client.query<{ ids: string[] }>(
        `with dead as (
           delete from ${WORKERS_TABLE}
           where last_seen < now() - $1::float8 * interval '1 millisecond' and worker_id is distinct from $2
           returning worker_id)
         select coalesce(array_agg(worker_id), '{}') as ids from dead`,
        [this.#deadAfterMs, this.#poolId ?? null],
      );
      const ids = rows[0]?.ids ?? [];
      if (ids.length === 0) {
        await client.query('commit');
        return;
      }
      const { rows: counted } = await client.query<{ n: number }>(
        `select count(*)::int as n from ${GRAPHILE_SCHEMA}._private_jobs where locked_by = any($1::text[])`,
        [ids],
      );
      const released = counted[0]?.n ?? 0;
      await client.query(`select ${GRAPHILE_SCHEMA}.force_unlock_workers($1::text[])`, [ids]);
      if (released > 0) await client.query(`select pg_notify('jobs:insert', json_build_object('r', random(), 'count', $1::int)::text)`, [released]);
      await client.query('commit');
      if (released > 0) this.#opts.logger.warn({ workers: ids, jobs: released }, 'released the jobs of dead job workers; they will run again');
      else this.#opts.logger.info({ workers: ids }, 'forgot dead job workers (they held no jobs)');
    } catch (err) {
      await client.query('rollback').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  /** Wakes one idle worker of ours after `delayMs` (a retry or a future job falling due). */
  #nudgeIn(delayMs: number): void {
    if (!this.#running) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (!this.#running || this.#stopping) return;
      try {
        this.#workerPool?.nudge(1);
      } catch {
        // A worker being released refuses nudges; the poll finds the job anyway.
      }
    }, Math.min(delayMs + 5, 2 ** 31 - 1));
    timer.unref();
    this.#timers.add(timer);
  }

  stop(): Promise<void> {
    this.#stopped ??= this.#stop().finally(() => {
      this.#stopped = undefined;
    });
    return this.#stopped;
  }

  async #stop(): Promise<void> {
    await this.#starting?.catch(() => {});
    const runner = this.#runner;
    this.#running = false;
    this.#stopping = true;
    if (this.#heartbeat) clearInterval(this.#heartbeat);
    this.#heartbeat = undefined;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    if (runner) {
      try {
        // Graceful: no new jobs; the running ones finish (and complete) before this resolves.
        await runner.stop();
      } catch (err) {
        this.#opts.logger.error({ err }, 'graphile-worker did not stop cleanly');
      }
      await Promise.allSettled([...this.#inFlight]);
      await this.#beating;
      const poolId = this.#poolId;
      if (poolId) {
        try {
          // Nothing of ours runs any more: release anything still marked as ours, and go.
          await this.#getPool().query(`select ${GRAPHILE_SCHEMA}.force_unlock_workers($1::text[])`, [[poolId]]);
          await this.#getPool().query(`delete from ${WORKERS_TABLE} where worker_id = $1`, [poolId]);
        } catch (err) {
          this.#opts.logger.warn({ err }, 'could not remove the job worker heartbeat; others will sweep it');
        }
      }
      this.#runner = undefined;
      this.#workerPool = undefined;
      this.#poolId = undefined;
      this.#lastTouch = undefined;
      this.#healthySince = undefined;
      this.#registrations.clear();
    }
    const pool = this.#pool;
    this.#pool = undefined;
    this.#prepared = undefined;
    await pool?.end();
  }

  async drain(timeoutMs = 10_000, horizonMs = 1_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const tasks = [...this.#tasks.keys()];
      // Due by database time (graphile's clock); permanently failed rows do not count. A locked
      // row always counts: a job that finished, or failed for good, is still locked until graphile
      // has recorded it.
      const { rows } =
        tasks.length === 0
          ? { rows: [{ n: 0 }] }
          : await sql<{ n: number }>`
              select count(*)::int as n
              from ${sql.id(GRAPHILE_SCHEMA, '_private_jobs')} as j
              join ${sql.id(GRAPHILE_SCHEMA, '_private_tasks')} as t on t.id = j.task_id
              where t.identifier = any(${tasks}::text[])
                and (j.attempts < j.max_attempts or j.locked_at is not null)
                and j.run_at <= now() + ${horizonMs}::float8 * interval '1 millisecond'`.execute(this.#opts.store.db);
      if ((rows[0]?.n ?? 0) === 0 && this.#inFlight.size === 0) return;
      if (Date.now() > deadline) throw new Error('jobs did not drain in time');
      await sleep(20);
    }
  }

  #wrap(task: string, definition: TaskDefinition): Task {
    return async (raw, helpers) => {
      const execution = this.#execute(task, definition, raw, helpers.job);
      const tracked = execution.then(
        () => {},
        () => {},
      );
      this.#inFlight.add(tracked);
      try {
        await execution;
      } finally {
        this.#inFlight.delete(tracked);
      }
    };
  }

  async #execute(task: string, definition: TaskDefinition, raw: unknown, job: GraphileJob): Promise<void> {
    const { logger } = this.#opts;
    const { payload, state } = splitPayload(raw);
    const attempt = Number.isInteger(state.attempt) && state.attempt! >= 1 ? state.attempt! : 1;
    const maxAttempts = Number.isInteger(state.maxAttempts) && state.maxAttempts! >= 1 ? state.maxAttempts! : this.#opts.defaultMaxAttempts;
    const jobId = typeof state.jobId === 'string' ? state.jobId : String(job.id);
    // graphile counts claims: more than one for this row means a worker died while running it.
    const interruptions = job.attempts - 1;
    const log = () => logger.child({ job: jobId, task, attempt });
    let error: Error;
    if (interruptions > this.#maxInterruptions) {
      error = new PermanentJobError(`the job was interrupted ${interruptions} times (its worker crashed or was killed while running it)`);
    } else {
      if (interruptions > 0) log().warn({ interruptions }, 'job runs again after an attempt that never finished (its worker died)');
      try {
        await definition.run(payload, { jobId, attempt, maxAttempts });
        return;
      } catch (caught) {
        error = asError(caught);
      }
    }

    if (!(error instanceof PermanentJobError) && attempt < maxAttempts) {
      const backoff = fullJitterDelayMs(attempt, this.#opts.backoff, this.#opts.random);
      const asked = error instanceof RetryLaterError && Number.isFinite(error.delayMs) ? error.delayMs : 0;
      const delayMs = Math.ceil(Math.max(asked, backoff));
      log().warn({ err: error.message, retryInMs: delayMs }, 'job failed; will retry');
      // If this throws (the database is unreachable), graphile's fail path keeps the job: it runs
      // this same attempt again after graphile's own delay.
      const rescheduled = await this.#reschedule(job, task, payload, { attempt: attempt + 1, maxAttempts, jobId }, delayMs, error.message);
      if (!rescheduled) {
        // Our lock was swept (this worker was presumed dead): the job is someone else's now.
        // Throwing keeps graphile from deleting the row that another worker may be running.
        throw new Error('job lock lost to the dead-worker sweep; not rescheduling');
      }
      this.#nudgeIn(delayMs);
      return;
    }

    log().error({ err: error }, 'job failed for good');
    try {
      await definition.onExhausted?.(payload, error);
    } catch (hookErr) {
      log().error({ err: hookErr }, 'job failure hook threw');
    }
    try {
      await this.#getPool().query(
        `update ${GRAPHILE_SCHEMA}._private_jobs
         set max_attempts = greatest(attempts, 1), key = null, last_error = $3
         where id = $1 and locked_by = $2`,
        [job.id, job.locked_by, error.message],
      );
    } catch (err) {
      log().error({ err }, 'could not mark the job failed; graphile will run it again');
    }
    // graphile records the error and unlocks the row, which is now permanently failed.
    throw error;
  }

  /** Replaces the running row with its next attempt, atomically. False if the row is no longer ours. */
  async #reschedule(
    job: GraphileJob,
    task: string,
    payload: Record<string, unknown>,
    state: RetryState,
    delayMs: number,
    lastError: string,
  ): Promise<boolean> {
    const client = await this.#getPool().connect();
    try {
      await client.query('begin');
      const deleted = await client.query(`delete from ${GRAPHILE_SCHEMA}._private_jobs where id = $1 and locked_by = $2`, [job.id, job.locked_by]);
      if (deleted.rowCount !== 1) {
        await client.query('rollback');
        return false;
      }
      // The key moves to the follow-up (deleting the row freed it within this transaction).
      const { rows } = await client.query<{ id: string }>(
        `select id from ${GRAPHILE_SCHEMA}.add_job(
           identifier => $1::text,
           payload => $2::json,
           run_at => clock_timestamp() + $3::float8 * interval '1 millisecond',
           max_attempts => $4::int,
           job_key => $5::text,
           job_key_mode => 'unsafe_dedupe')`,
        [task, JSON.stringify({ ...payload, [RESERVED_FIELD]: state }), delayMs, GRAPHILE_MAX_ATTEMPTS, job.key ?? null],
      );
      if (rows[0]) await client.query(`update ${GRAPHILE_SCHEMA}._private_jobs set last_error = $2 where id = $1`, [rows[0].id, lastError]);
      await client.query('commit');
      return true;
    } catch (err) {
      await client.query('rollback').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }
}
