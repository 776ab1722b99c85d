// Saved replies: an account's ready-made texts that a person inserts in the composer ("We're on
// our way, {{first_name}}"). A table of their own rather than rows of `templates`: they have a
// title people pick them by (unique in the account), a creator, and no schedule slot or line scope,
// and everything that reads `templates` today takes its rows for text-back templates.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('saved_replies')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('title', 'text', (c) => c.notNull())
    // The title as compared for uniqueness (trimmed, lower case), computed in the application so
    // that SQLite (ASCII-only lower()) and Postgres agree on what counts as the same title.
    .addColumn('title_key', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('encoding', 'text', (c) => c.notNull())
    .addColumn('segments', 'integer', (c) => c.notNull())
    .addColumn('created_by_user_id', 'text', (c) => c.references('users.id').onDelete('set null'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('saved_replies_title_unique', ['account_id', 'title_key'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('saved_replies').execute();
}
