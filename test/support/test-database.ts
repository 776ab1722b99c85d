// Which database the suite runs on. `npm test` runs it on SQLite, then again on Postgres when
// TEST_DATABASE_URL is set (CI sets it). Each Postgres use gets a database of its own, created
// here and dropped when the test is done.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Every process on one Postgres database must share the key that seals carrier credentials. */
export const TEST_SECRET_KEY = Buffer.alloc(32, 7).toString('base64');

export type TestStoreKind = 'sqlite' | 'postgres';

/** The pass this process belongs to (scripts/run-tests.ts sets RINGBACK_TEST_STORE). */
export function testStoreKind(): TestStoreKind {
  return process.env.RINGBACK_TEST_STORE === 'postgres' ? 'postgres' : 'sqlite';
}

export function adminUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set: the Postgres pass needs a server (e.g. postgres://postgres@127.0.0.1:5432/postgres)');
  return url;
}

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl(), connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A new, empty database on the TEST_DATABASE_URL server. */
export async function createTestDatabase(prefix = 'rb_test'): Promise<TestDatabase> {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await withAdmin((c) => c.query(`create database "${name}"`));
  const url = new URL(adminUrl());
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    name,
    async drop() {
      if (dropped) return;
      dropped = true;
      await withAdmin((c) => c.query(`drop database if exists "${name}" with (force)`));
    },
  };
}

/**
 * Environment for a Ringback under test. Small pools: two test files run at once, some with
 * several processes, against a server that allows 100 connections. A fresh Postgres database on
 * the Postgres pass; nothing on SQLite.
 */
export async function testDatabaseEnv(): Promise<{ env: Record<string, string>; drop(): Promise<void> }> {
  if (testStoreKind() === 'sqlite') return { env: {}, drop: async () => {} };
  const db = await createTestDatabase();
  return { env: { DATABASE_URL: db.url, RINGBACK_DATABASE_POOL_SIZE: '5', RINGBACK_JOB_CONCURRENCY: '4', RINGBACK_SECRET_KEY: TEST_SECRET_KEY }, drop: () => db.drop() };
}
