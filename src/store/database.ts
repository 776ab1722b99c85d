// Opens the store and runs migrations. Embedded mode is SQLite through node:sqlite; several
// processes share PostgreSQL (postgres-store.ts). One schema and one set of repositories serve both.
import { chmodSync, mkdirSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import path from 'node:path';
import { Kysely, type Transaction } from 'kysely';
import { Migrator, type Migration, type MigrationProvider } from 'kysely/migration';
import { GroupCommitter, type Durability } from './group-commit.ts';
import { NodeSqliteDialect } from './node-sqlite-dialect.ts';
import type { Database } from './schema.ts';
import * as initial from './migrations/0001-initial.ts';
import * as carriers from './migrations/0002-carriers.ts';
import * as followThrough from './migrations/0003-follow-through.ts';
import * as sessions from './migrations/0004-sessions.ts';
import * as signInFailures from './migrations/0005-sign-in-failures.ts';
import * as savedReplies from './migrations/0006-saved-replies.ts';

export type Db = Kysely<Database> | Transaction<Database>;

/** A transaction plus the work to run only once it has committed (e.g. waking the job runner). */
export interface Tx {
  /** Runs inside the caller's own savepoint of a (possibly shared) transaction. */
  db: Kysely<Database>;
  afterCommit(fn: () => void): void;
}

export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  readonly db: Kysely<Database>;
  /**
   * `urgent`: work already under way (a send job) goes before new intake, so a flood of
   * webhooks cannot starve the texts they cause.
   */
  transaction<T>(fn: (tx: Tx) => Promise<T>, opts?: { durability?: Durability; urgent?: boolean }): Promise<T>;
  migrate(): Promise<string[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-carriers': carriers,
  '0003-follow-through': followThrough,
  '0004-sessions': sessions,
  '0005-sign-in-failures': signInFailures,
  '0006-saved-replies': savedReplies,
};

class StaticMigrationProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return MIGRATIONS;
  }
}

/**
 * Applies pending migrations; returns their names. On Postgres, Kysely's migration lock table
 * makes concurrent starters wait for the one that migrates, then find nothing left to do.
 */
export async function migrateToLatest(db: Kysely<Database>): Promise<string[]> {
  const migrator = new Migrator({ db, provider: new StaticMigrationProvider() });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new Error(`migration ${failed?.migrationName ?? '(unknown)'} failed: ${(error as Error).message ?? String(error)}`, {
      cause: error,
    });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

export function openSqliteStore(file: string): Store {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const db = new Kysely<Database>({
    dialect: new NodeSqliteDialect({
      path: file,
      busyTimeoutMs: 5000,
      // Contacts, messages and credentials: readable by the owner of the process only.
      onOpen: () => {
        if (file !== ':memory:') chmodSync(file, 0o600);
      },
    }),
  });
  const committer = new GroupCommitter(db);
  const checkpointer = file === ':memory:' ? undefined : startCheckpointer(file);
  return {
    kind: 'sqlite',
    db,
    async transaction<T>(fn: (tx: Tx) => Promise<T>, opts: { durability?: Durability; urgent?: boolean } = {}): Promise<T> {
      const hooks: Array<() => void> = [];
      // 'recoverable' writes (ones Ringback can rebuild if a power cut loses them, e.g. "sent",
      // which the next attempt reconciles with the carrier) commit without the fsync; a process
      // crash loses nothing either way.
      const result = await committer.run((conn) => fn({ db: conn, afterCommit: (h) => hooks.push(h) }), opts.durability ?? 'full', opts.urgent ?? false);
      for (const hook of hooks) hook();
      return result;
    },
    migrate: () => migrateToLatest(db),
    async ping(): Promise<void> {
      await db.selectFrom('accounts').select('id').limit(1).execute();
    },
    async close(): Promise<void> {
      await checkpointer?.stop();
      await db.destroy();
    },
  };
}

/** A worker thread that checkpoints the WAL every `intervalMs`, so commits on the event loop don't. */
function startCheckpointer(file: string, intervalMs = 500): { stop(): Promise<void> } {
  const worker = new Worker(new URL('./checkpointer.ts', import.meta.url), { workerData: { file, intervalMs } });
  worker.unref();
  worker.on('error', () => {
    // Without it, SQLite's own automatic checkpoint (see the dialect) still keeps the WAL bounded.
  });
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        const done = () => resolve();
        worker.once('message', () => void worker.terminate().then(done, done));
        worker.once('exit', done);
        worker.postMessage('stop');
      }),
  };
}

export function nowIso(date: Date): string {
  return date.toISOString();
}
