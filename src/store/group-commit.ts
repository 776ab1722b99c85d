// Group commit for the embedded database. node:sqlite is synchronous, so every COMMIT's fsync
// blocks the whole event loop; under load, transactions that arrive together share one
// transaction and one fsync instead. Each caller's work runs inside its own SAVEPOINT: a caller
// that fails is rolled back alone, and every caller's promise settles only after the shared
// COMMIT is durable, so "committed" means exactly what it meant before.
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.ts';

export type Durability = 'full' | 'recoverable';

interface Pending<T = unknown> {
  fn: (db: Kysely<Database>) => Promise<T>;
  durability: Durability;
  resolve: (value: T) => void;
  reject: (error: unknown) => void;
}

export interface GroupCommitOptions {
  /** Most transactions in one commit (bounds how long the first one waits). */
  maxBatch?: number;
}

export class GroupCommitter {
  readonly #db: Kysely<Database>;
  readonly #maxBatch: number;
  readonly #queue: Pending[] = [];
  /** Work already under way (sends): served before new intake, so overload cannot starve it. */
  readonly #urgent: Pending[] = [];
  #running = false;

  constructor(db: Kysely<Database>, opts: GroupCommitOptions = {}) {
    this.#db = db;
    this.#maxBatch = opts.maxBatch ?? 64;
  }

  run<T>(fn: (db: Kysely<Database>) => Promise<T>, durability: Durability, urgent = false): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      (urgent ? this.#urgent : this.#queue).push({ fn, durability, resolve, reject } as Pending);
      if (!this.#running) void this.#drain();
    });
  }

  /** The next caller to serve: urgent ones first, in arrival order. */
  #peek(): Pending | undefined {
    return this.#urgent[0] ?? this.#queue[0];
  }

  #take(): Pending | undefined {
    return this.#urgent.shift() ?? this.#queue.shift();
  }

  async #drain(): Promise<void> {
    this.#running = true;
    try {
      while (this.#peek()) await this.#batch();
    } finally {
      this.#running = false;
    }
  }

  /** One transaction: every queued caller of the same durability, up to maxBatch, then COMMIT. */
  async #batch(): Promise<void> {
    const durability = this.#peek()!.durability;
    const done: Array<{ p: Pending; ok: boolean; value?: unknown; error?: unknown }> = [];
    try {
      await this.#db.connection().execute(async (conn) => {
        if (durability === 'recoverable') await sql`pragma synchronous = normal`.execute(conn);
        try {
          await sql`begin immediate`.execute(conn);
          try {
            // Callers that arrive while this batch works join it, until it is full.
            while (this.#peek() && done.length < this.#maxBatch && this.#peek()!.durability === durability) {
              const p = this.#take()!;
              await sql`savepoint caller`.execute(conn);
              try {
                const value = await p.fn(conn);
                await sql`release caller`.execute(conn);
                done.push({ p, ok: true, value });
              } catch (error) {
                await sql`rollback to caller`.execute(conn);
                await sql`release caller`.execute(conn);
                done.push({ p, ok: false, error });
              }
            }
            await sql`commit`.execute(conn);
          } catch (error) {
            await sql`rollback`.execute(conn).catch(() => {});
            throw error;
          }
        } finally {
          if (durability === 'recoverable') await sql`pragma synchronous = full`.execute(conn);
        }
      });
    } catch (error) {
      // The shared transaction failed (e.g. the disk is full): nobody's work was committed.
      for (const d of done) if (d.ok) Object.assign(d, { ok: false, error });
      if (done.length === 0) this.#take()?.reject(error);
    }
    for (const d of done) {
      if (d.ok) d.p.resolve(d.value);
      else d.p.reject(d.error);
    }
  }
}
