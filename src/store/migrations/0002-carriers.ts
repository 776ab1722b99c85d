// Real carriers: line greeting and voicemail, call screening acceptance, and owner alerts for
// carrier problems that affect every text (raised once, not per message).
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('lines').addColumn('greeting', 'text').execute();
  await db.schema.alterTable('lines').addColumn('voicemail', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('calls').addColumn('screen_accepted_at', 'text').execute();

  await db.schema
    .createTable('alerts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('detail', 'text', (c) => c.notNull())
    .addColumn('line_id', 'text')
    .addColumn('message_id', 'text')
    .addColumn('count', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('first_seen_at', 'text', (c) => c.notNull())
    .addColumn('last_seen_at', 'text', (c) => c.notNull())
    .addColumn('resolved_at', 'text')
    .execute();
  // One open alert per problem: the owner hears about it once, however many texts it hits.
  await sql`create unique index alerts_open_unique on alerts (account_id, kind, code) where resolved_at is null`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('alerts').ifExists().execute();
  await db.schema.alterTable('calls').dropColumn('screen_accepted_at').execute();
  await db.schema.alterTable('lines').dropColumn('voicemail').execute();
  await db.schema.alterTable('lines').dropColumn('greeting').execute();
}
