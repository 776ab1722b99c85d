// Failed sign-ins, kept in the database so that every web process counts the same failures: with
// several Postgres web processes behind a load balancer, a per-process count let a client spread
// over N processes make N times the allowed guesses. Rows older than the window are pruned.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('sign_in_failures')
    .addColumn('id', 'text', (c) => c.primaryKey())
    // "email:<address>" or "ip:<address>"
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('failed_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sign_in_failures_key_idx').on('sign_in_failures').columns(['key', 'failed_at']).execute();
  await db.schema.createIndex('sign_in_failures_time_idx').on('sign_in_failures').column('failed_at').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('sign_in_failures').execute();
}
