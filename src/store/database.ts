// Opens the store and runs migrations. Embedded mode is SQLite through node:sqlite; the same
// schema and repositories are written to run on Postgres too.
import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { Kysely, sql, type Transaction } from 'kysely';
import { Migrator, type Migration, type MigrationProvider } from 'kysely/migration';
import { NodeSqliteDialect } from './node-sqlite-dialect.ts';
import type { Database } from './schema.ts';
import * as initial from './migrations/0001-initial.ts';
import * as carriers from './migrations/0002-carriers.ts';

export type Db = Kysely<Database> | Transaction<Database>;

/** A transaction plus the work to run only once it has committed (e.g. waking the job runner). */
export interface Tx {
  db: Transaction<Database>;
  afterCommit(fn: () => void): void;
}

export interface Store {
  readonly kind: 'sqlite';
  readonly db: Kysely<Database>;
  transaction<T>(fn: (tx: Tx) => Promise<T>, opts?: { durability?: 'full' | 'recoverable' }): Promise<T>;
  migrate(): Promise<string[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-carriers': carriers,
};

class StaticMigrationProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return MIGRATIONS;
  }
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
  return {
    kind: 'sqlite',
    db,
    async transaction<T>(fn: (tx: Tx) => Promise<T>, opts: { durability?: 'full' | 'recoverable' } = {}): Promise<T> {
      const hooks: Array<() => void> = [];
      const run = (k: Kysely<Database>) => k.transaction().execute((trx) => fn({ db: trx, afterCommit: (h) => hooks.push(h) }));
      let result: T;
      if (opts.durability === 'recoverable') {
        // For writes that Ringback can rebuild if a power cut loses them (e.g. "sent", which the
        // next attempt reconciles with the carrier): committed to the OS, not fsynced. A process
        // crash loses nothing either way; only the fsync that blocks the event loop is skipped.
        result = await db.connection().execute(async (conn) => {
          await sql`pragma synchronous = normal`.execute(conn);
          try {
            return await run(conn);
          } finally {
            await sql`pragma synchronous = full`.execute(conn);
          }
        });
      } else {
        result = await run(db);
      }
      for (const hook of hooks) hook();
      return result;
    },
    async migrate(): Promise<string[]> {
      const migrator = new Migrator({ db, provider: new StaticMigrationProvider() });
      const { error, results } = await migrator.migrateToLatest();
      if (error) {
        const failed = results?.find((r) => r.status === 'Error');
        throw new Error(`migration ${failed?.migrationName ?? '(unknown)'} failed: ${(error as Error).message ?? String(error)}`, {
          cause: error,
        });
      }
      return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    },
    async ping(): Promise<void> {
      await db.selectFrom('accounts').select('id').limit(1).execute();
    },
    async close(): Promise<void> {
      await db.destroy();
    },
  };
}

export function nowIso(date: Date): string {
  return date.toISOString();
}
