// The shared store for several processes: Kysely over a node-postgres pool. Same schema, same
// migrations, same repositories as SQLite. Transactions are plain READ COMMITTED ones; where two
// processes could race on the same row (a replayed webhook, a caller who calls twice at once) the
// repositories lock that row (see lockForUpdate in dialect.ts).
import { readFileSync } from 'node:fs';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import type { Durability } from './group-commit.ts';
import { migrateToLatest, type Store, type Tx } from './database.ts';
import type { Database } from './schema.ts';

export interface PostgresOptions {
  url: string;
  poolSize: number;
  statementTimeoutMs: number;
  ssl: 'off' | 'require' | 'verify';
  sslCaFile?: string | undefined;
  applicationName?: string;
}

export interface PostgresStore extends Store {
  readonly kind: 'postgres';
  readonly pool: pg.Pool;
}

/** COUNT(*) and other bigints arrive as numbers; ours never come near 2^53. Only this pool parses them so. */
const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

export function postgresPoolConfig(opts: PostgresOptions): pg.PoolConfig {
  return {
    connectionString: opts.url,
    max: opts.poolSize,
    // A query stuck behind a lock or a bad plan fails instead of holding a webhook forever.
    statement_timeout: opts.statementTimeoutMs || undefined,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    application_name: opts.applicationName ?? 'ringback',
    ...(opts.ssl === 'off'
      ? {}
      : {
          ssl:
            opts.ssl === 'require'
              ? { rejectUnauthorized: false }
              : { rejectUnauthorized: true, ...(opts.sslCaFile ? { ca: readFileSync(opts.sslCaFile, 'utf8') } : {}) },
        }),
  };
}

export function openPostgresStore(opts: PostgresOptions): PostgresStore {
  const pool = new pg.Pool({ ...postgresPoolConfig(opts), types: TYPES });
  // An idle client that loses its connection (a database restart) must not crash the process.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    kind: 'postgres',
    db,
    pool,
    async transaction<T>(fn: (tx: Tx) => Promise<T>, opts: { durability?: Durability; urgent?: boolean } = {}): Promise<T> {
      const hooks: Array<() => void> = [];
      const result = await db.transaction().execute(async (trx) => {
        // Same contract as SQLite: a 'recoverable' write may be lost to a database crash (never
        // to a process crash) because the next attempt reconciles it; it skips the WAL flush wait.
        if (opts.durability === 'recoverable') await sql`set local synchronous_commit = off`.execute(trx);
        return fn({ db: trx, afterCommit: (h) => hooks.push(h) });
      });
      for (const hook of hooks) hook();
      return result;
    },
    migrate: () => migrateToLatest(db),
    async ping(): Promise<void> {
      await sql`select 1`.execute(db);
    },
    async close(): Promise<void> {
      await db.destroy();
    },
  };
}
