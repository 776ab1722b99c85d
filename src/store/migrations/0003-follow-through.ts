// Follow-through: the inbox (snooze, notes, flags), follow-up sequences and their runs, callback
// tasks with reminders, owner alerts (notifications) and outgoing webhooks with a delivery log,
// account and per-member settings, and what we know of a contact's location for lawful hours.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  // Validated JSON (services/account-settings.ts): text-back policy, automation hours and cap,
  // emergency words, callback task timing.
  await db.schema.alterTable('accounts').addColumn('settings', 'text', (c) => c.notNull().defaultTo('{}')).execute();
  await db.schema.alterTable('users').addColumn('phone', 'text').execute();
  // Per member of an account: which alerts, by which channel, quiet time, digest, on call.
  await db.schema.alterTable('memberships').addColumn('alert_prefs', 'text', (c) => c.notNull().defaultTo('{}')).execute();

  await db.schema.alterTable('contacts').addColumn('address', 'text').execute();
  // Two-letter US state and IANA zone, when the address tells us; else lawful hours go by area code.
  await db.schema.alterTable('contacts').addColumn('state', 'text').execute();
  await db.schema.alterTable('contacts').addColumn('time_zone', 'text').execute();

  await db.schema.alterTable('conversations').addColumn('snoozed_until', 'text').execute();
  await db.schema.alterTable('conversations').addColumn('needs_attention', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('conversations').addColumn('attention_reason', 'text').execute();
  await db.schema.alterTable('conversations').addColumn('automation_paused', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('conversations').addColumn('resolved_at', 'text').execute();
  await db.schema.createIndex('conversations_snoozed_idx').on('conversations').columns(['status', 'snoozed_until']).execute();

  await db.schema.alterTable('calls').addColumn('direction', 'text', (c) => c.notNull().defaultTo('inbound')).execute();

  await db.schema.alterTable('leads').addColumn('lost_reason', 'text').execute();
  await db.schema.alterTable('leads').addColumn('stage_changed_at', 'text').execute();
  await db.schema.alterTable('leads').addColumn('closed_at', 'text').execute();
  await db.schema.createIndex('leads_account_stage_idx').on('leads').columns(['account_id', 'stage']).execute();

  await db.schema.alterTable('tasks').addColumn('conversation_id', 'text').execute();
  await db.schema.alterTable('tasks').addColumn('line_id', 'text').execute();
  await db.schema.alterTable('tasks').addColumn('call_id', 'text').execute();
  await db.schema.alterTable('tasks').addColumn('next_reminder_at', 'text').execute();
  await db.schema.alterTable('tasks').addColumn('reminders_sent', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('tasks').addColumn('escalated_at', 'text').execute();
  await db.schema.alterTable('tasks').addColumn('completed_by', 'text').execute();
  await db.schema.alterTable('tasks').addColumn('updated_at', 'text').execute();
  await db.schema.createIndex('tasks_due_work_idx').on('tasks').columns(['status', 'next_reminder_at']).execute();
  await db.schema.createIndex('tasks_account_idx').on('tasks').columns(['account_id', 'status', 'due_at']).execute();
  // One open callback per contact: a second missed call does not make a second to-do.
  await sql`create unique index tasks_open_callback_unique on tasks (account_id, contact_id, kind) where status = 'open' and kind = 'callback'`.execute(db);

  await db.schema
    .createTable('notes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('conversation_id', 'text', (c) => c.notNull().references('conversations.id').onDelete('cascade'))
    .addColumn('contact_id', 'text', (c) => c.notNull())
    .addColumn('author_user_id', 'text')
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('notes_conversation_idx').on('notes').columns(['conversation_id', 'created_at']).execute();

  await db.schema
    .createTable('sequences')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('trigger', 'text', (c) => c.notNull())
    .addColumn('steps', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sequences_account_idx').on('sequences').columns(['account_id', 'trigger']).execute();

  // One lead's journey through a sequence. The steps are copied in at enrollment, so editing the
  // sequence changes future runs, never the middle of one.
  await db.schema
    .createTable('sequence_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('sequence_id', 'text', (c) => c.notNull())
    .addColumn('lead_id', 'text')
    .addColumn('conversation_id', 'text', (c) => c.notNull())
    .addColumn('contact_id', 'text', (c) => c.notNull())
    .addColumn('line_id', 'text', (c) => c.notNull())
    .addColumn('trigger_message_id', 'text')
    .addColumn('steps', 'text', (c) => c.notNull())
    .addColumn('step_index', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('next_run_at', 'text')
    .addColumn('last_deferral', 'text')
    .addColumn('stop_reason', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sequence_runs_due_idx').on('sequence_runs').columns(['status', 'next_run_at']).execute();
  await db.schema.createIndex('sequence_runs_contact_idx').on('sequence_runs').columns(['account_id', 'contact_id', 'status']).execute();
  await db.schema.createIndex('sequence_runs_conversation_idx').on('sequence_runs').columns(['account_id', 'conversation_id']).execute();
  await db.schema.createIndex('sequence_runs_sequence_idx').on('sequence_runs').columns(['account_id', 'sequence_id', 'created_at']).execute();
  await sql`create unique index sequence_runs_active_unique on sequence_runs (conversation_id) where status in ('active', 'paused')`.execute(db);

  // Owner alerts: one row per (member, channel, happening); delivered by a job, held in quiet time.
  await db.schema
    .createTable('notifications')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('channel', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('subject_type', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('dedupe_key', 'text', (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('deliver_after', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('carrier_message_id', 'text')
    .addColumn('error', 'text')
    .addColumn('sent_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('notifications_dedupe_unique', ['dedupe_key'])
    .execute();
  await db.schema.createIndex('notifications_due_idx').on('notifications').columns(['status', 'deliver_after']).execute();
  await db.schema.createIndex('notifications_account_idx').on('notifications').columns(['account_id', 'created_at']).execute();

  await db.schema
    .createTable('webhook_endpoints')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('events', 'text', (c) => c.notNull())
    .addColumn('secret', 'text', (c) => c.notNull())
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('webhook_endpoints_account_idx').on('webhook_endpoints').column('account_id').execute();

  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('endpoint_id', 'text', (c) => c.notNull().references('webhook_endpoints.id').onDelete('cascade'))
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_status_code', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('next_attempt_at', 'text')
    .addColumn('delivered_at', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('webhook_deliveries_event_unique', ['endpoint_id', 'event_id'])
    .execute();
  await db.schema.createIndex('webhook_deliveries_endpoint_idx').on('webhook_deliveries').columns(['endpoint_id', 'created_at']).execute();

  await db.schema
    .createTable('webhook_attempts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('delivery_id', 'text', (c) => c.notNull().references('webhook_deliveries.id').onDelete('cascade'))
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('status_code', 'integer')
    .addColumn('error', 'text')
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addColumn('response_excerpt', 'text')
    .addColumn('attempted_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('webhook_attempts_delivery_idx').on('webhook_attempts').columns(['delivery_id', 'attempt']).execute();

  // The contact list, and the contact timeline's sources (calls, messages, tasks by contact).
  await db.schema.createIndex('contacts_account_created_idx').on('contacts').columns(['account_id', 'created_at']).execute();
  await db.schema.createIndex('calls_contact_started_idx').on('calls').columns(['contact_id', 'started_at']).execute();
  await db.schema.createIndex('messages_contact_created_idx').on('messages').columns(['contact_id', 'created_at']).execute();
  await db.schema.createIndex('tasks_contact_idx').on('tasks').columns(['contact_id', 'created_at']).execute();

  // Jobs due later than a few seconds wait here, on the application clock, until the scheduler
  // hands them to the job runner (src/jobs/scheduled-queue.ts).
  await db.schema
    .createTable('scheduled_jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('task', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('job_key', 'text', (c) => c.unique())
    .addColumn('max_attempts', 'integer')
    .addColumn('run_at', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('scheduled_jobs_due_idx').on('scheduled_jobs').columns(['run_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['scheduled_jobs', 'webhook_attempts', 'webhook_deliveries', 'webhook_endpoints', 'notifications', 'sequence_runs', 'sequences', 'notes']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
  for (const index of ['tasks_contact_idx', 'messages_contact_created_idx', 'calls_contact_started_idx', 'contacts_account_created_idx']) {
    await db.schema.dropIndex(index).ifExists().execute();
  }
  await sql`drop index if exists tasks_open_callback_unique`.execute(db);
  await db.schema.dropIndex('tasks_account_idx').ifExists().execute();
  await db.schema.dropIndex('tasks_due_work_idx').ifExists().execute();
  for (const col of ['updated_at', 'completed_by', 'escalated_at', 'reminders_sent', 'next_reminder_at', 'call_id', 'line_id', 'conversation_id']) {
    await db.schema.alterTable('tasks').dropColumn(col).execute();
  }
  await db.schema.dropIndex('leads_account_stage_idx').ifExists().execute();
  for (const col of ['closed_at', 'stage_changed_at', 'lost_reason']) await db.schema.alterTable('leads').dropColumn(col).execute();
  await db.schema.alterTable('calls').dropColumn('direction').execute();
  await db.schema.dropIndex('conversations_snoozed_idx').ifExists().execute();
  for (const col of ['resolved_at', 'automation_paused', 'attention_reason', 'needs_attention', 'snoozed_until']) {
    await db.schema.alterTable('conversations').dropColumn(col).execute();
  }
  for (const col of ['time_zone', 'state', 'address']) await db.schema.alterTable('contacts').dropColumn(col).execute();
  await db.schema.alterTable('memberships').dropColumn('alert_prefs').execute();
  await db.schema.alterTable('users').dropColumn('phone').execute();
  await db.schema.alterTable('accounts').dropColumn('settings').execute();
}
