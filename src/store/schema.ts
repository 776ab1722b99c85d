// Row types of the tables in migrations/. Times are ISO-8601 UTC strings; flags are 0/1.
import type { Generated, Insertable, Selectable, Updateable } from 'kysely';

type Flag = number;

export interface AccountsTable {
  id: string;
  name: string;
  time_zone: string;
  default_region: Generated<string>;
  business_hours: string;
  holidays: Generated<string>;
  average_job_value_cents: Generated<number>;
  booking_url: string | null;
  help_contact: string | null;
  paused: Generated<Flag>;
  /** JSON: AccountSettings (services/account-settings.ts). */
  settings: Generated<string>;
  created_at: string;
  updated_at: string;
}

export interface UsersTable {
  id: string;
  email: string;
  name: string | null;
  password_hash: string;
  /** E.164 cell for owner alerts. */
  phone: string | null;
  created_at: string;
}

export interface MembershipsTable {
  id: string;
  account_id: string;
  user_id: string;
  role: 'owner' | 'admin' | 'agent';
  /** JSON: AlertPrefs (services/team.ts). */
  alert_prefs: Generated<string>;
  created_at: string;
}

export interface ApiKeysTable {
  id: string;
  account_id: string;
  user_id: string;
  name: string;
  prefix: string;
  key_hash: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface SessionsTable {
  id: string;
  /** SHA-256 (hex) of the cookie's random token. */
  token_hash: string;
  user_id: string;
  account_id: string;
  csrf_token: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  revoked_at: string | null;
  /** Welcome sessions: the password may be set without the current one until then. */
  set_password_until: Generated<string | null>;
}

export type AuthTokenKind = 'reset' | 'invite' | 'welcome';

export interface SignInFailuresTable {
  id: string;
  /** "email:<address>" or "ip:<address>". */
  key: string;
  failed_at: string;
}

export interface AuthTokensTable {
  id: string;
  token_hash: string;
  kind: AuthTokenKind;
  user_id: string;
  account_id: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

export interface CarrierConnectionsTable {
  id: string;
  account_id: string;
  kind: 'simulator' | 'twilio' | 'telnyx';
  name: string;
  credentials: string;
  api_base_url: string | null;
  created_at: string;
}

export type LineMode = 'forward' | 'conditional-forward' | 'events';

export interface LinesTable {
  id: string;
  account_id: string;
  carrier_connection_id: string;
  number: string;
  name: string;
  mode: LineMode;
  ring_targets: Generated<string>;
  ring_seconds: Generated<number>;
  screening: Generated<Flag>;
  messaging_enabled: Generated<Flag>;
  paused: Generated<Flag>;
  greeting: string | null;
  voicemail: Generated<Flag>;
  created_at: string;
  updated_at: string;
}

export interface TemplatesTable {
  id: string;
  account_id: string;
  scope: string;
  purpose: 'text_back';
  slot: 'open' | 'after_hours' | 'weekend' | 'holiday';
  body: string;
  encoding: string;
  segments: number;
  updated_at: string;
}

export interface ContactsTable {
  id: string;
  account_id: string;
  number: string;
  name: string | null;
  email: string | null;
  tags: Generated<string>;
  is_customer: Generated<Flag>;
  blocked: Generated<Flag>;
  line_type: Generated<string>;
  invalid: Generated<Flag>;
  address: string | null;
  /** Two-letter US state from the address, when known. */
  state: string | null;
  /** IANA zone from the address, when known. */
  time_zone: string | null;
  created_at: string;
  updated_at: string;
}

export interface ConversationsTable {
  id: string;
  account_id: string;
  line_id: string;
  contact_id: string;
  status: Generated<'open' | 'pending' | 'snoozed' | 'resolved'>;
  assignee_user_id: string | null;
  unread_count: Generated<number>;
  last_message_at: string | null;
  last_auto_text_at: string | null;
  last_person_contact_at: string | null;
  snoozed_until: string | null;
  /** Flagged for a person (e.g. an ambiguous "stop"); cleared when someone handles it. */
  needs_attention: Generated<Flag>;
  attention_reason: string | null;
  /** Automated follow-ups hold while set. */
  automation_paused: Generated<Flag>;
  resolved_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface CallsTable {
  id: string;
  account_id: string;
  line_id: string;
  contact_id: string | null;
  source: 'carrier' | 'api';
  carrier_call_id: string | null;
  external_id: string | null;
  request_hash: string | null;
  from_raw: string;
  from_number: string | null;
  to_number: string;
  forwarded_from: string | null;
  status: 'ringing' | 'completed';
  outcome: string | null;
  started_at: string;
  ended_at: string | null;
  voicemail_url: string | null;
  voicemail_transcript: string | null;
  decision: 'send' | 'skip' | null;
  decision_reason: string | null;
  decided_at: string | null;
  message_id: string | null;
  screen_accepted_at: string | null;
  direction: Generated<'inbound' | 'outbound'>;
  created_at: string;
  updated_at: string;
}

export type MessageStatus =
  | 'queued'
  | 'sending'
  | 'sent'
  | 'delivered'
  | 'undelivered'
  | 'failed'
  | 'received'
  | 'expired'
  | 'canceled';

export interface MessagesTable {
  id: string;
  account_id: string;
  conversation_id: string;
  line_id: string;
  contact_id: string;
  direction: 'inbound' | 'outbound';
  from_number: string;
  to_number: string;
  body: string;
  encoding: string;
  segments: number;
  status: MessageStatus;
  author: 'automation' | 'assistant' | 'user' | 'contact';
  author_user_id: string | null;
  reason: string;
  call_id: string | null;
  carrier_message_id: string | null;
  carrier_error_code: string | null;
  error_message: string | null;
  send_deadline: string | null;
  attempts: Generated<number>;
  created_at: string;
  sent_at: string | null;
  delivered_at: string | null;
  updated_at: string;
}

export interface SuppressionsTable {
  id: string;
  account_id: string;
  number: string;
  kind: 'opt_out' | 'block';
  source: 'keyword' | 'api' | 'carrier';
  words: string | null;
  message_id: string | null;
  created_at: string;
  lifted_at: string | null;
  lifted_by: string | null;
}

export type LeadStage = 'new' | 'contacted' | 'engaged' | 'booked' | 'won' | 'lost';

export interface LeadsTable {
  id: string;
  account_id: string;
  contact_id: string;
  line_id: string | null;
  source: 'missed_call' | 'form' | 'inbound_text';
  stage: LeadStage;
  value_cents: number | null;
  call_id: string | null;
  lost_reason: string | null;
  stage_changed_at: string | null;
  closed_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface TasksTable {
  id: string;
  account_id: string;
  contact_id: string | null;
  lead_id: string | null;
  conversation_id: string | null;
  line_id: string | null;
  call_id: string | null;
  kind: string;
  title: string;
  due_at: string | null;
  assignee_user_id: string | null;
  status: 'open' | 'done';
  next_reminder_at: string | null;
  reminders_sent: Generated<number>;
  escalated_at: string | null;
  /** 'user:<id>', 'call:<id>' (an outbound call reached the contact), 'system'. */
  completed_by: string | null;
  created_at: string;
  updated_at: string | null;
  completed_at: string | null;
}

export interface NotesTable {
  id: string;
  account_id: string;
  conversation_id: string;
  contact_id: string;
  author_user_id: string | null;
  body: string;
  created_at: string;
}

export interface SequencesTable {
  id: string;
  account_id: string;
  name: string;
  trigger: 'missed_call_no_reply';
  /** JSON: SequenceStep[] (domain/follow-up-sequence.ts). */
  steps: string;
  enabled: Generated<Flag>;
  created_at: string;
  updated_at: string;
}

export type SequenceRunStatus = 'active' | 'paused' | 'completed' | 'stopped';

export interface SequenceRunsTable {
  id: string;
  account_id: string;
  sequence_id: string;
  lead_id: string | null;
  conversation_id: string;
  contact_id: string;
  line_id: string;
  trigger_message_id: string | null;
  steps: string;
  step_index: Generated<number>;
  status: SequenceRunStatus;
  next_run_at: string | null;
  /** Why the current step was held (lawful hours, cap), in plain words. */
  last_deferral: string | null;
  stop_reason: string | null;
  created_at: string;
  updated_at: string;
}

export type NotificationChannel = 'sms' | 'email';
export type NotificationStatus = 'pending' | 'held' | 'sending' | 'sent' | 'failed' | 'digested' | 'skipped';

export interface NotificationsTable {
  id: string;
  account_id: string;
  user_id: string;
  channel: NotificationChannel;
  kind: string;
  subject_type: string;
  subject_id: string;
  dedupe_key: string;
  /** JSON: what to say ({ title, text, callNumber, ... }). */
  content: string;
  status: NotificationStatus;
  deliver_after: string;
  attempts: Generated<number>;
  carrier_message_id: string | null;
  error: string | null;
  sent_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface WebhookEndpointsTable {
  id: string;
  account_id: string;
  url: string;
  description: string | null;
  /** JSON: event types. */
  events: string;
  /** Sealed with the secret key (services/credentials.ts). */
  secret: string;
  enabled: Generated<Flag>;
  created_at: string;
  updated_at: string;
}

export interface WebhookDeliveriesTable {
  id: string;
  account_id: string;
  endpoint_id: string;
  event_id: string;
  event_type: string;
  payload: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: Generated<number>;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: string | null;
  delivered_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface WebhookAttemptsTable {
  id: string;
  delivery_id: string;
  attempt: number;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  response_excerpt: string | null;
  attempted_at: string;
}

export interface EventsTable {
  id: string;
  account_id: string;
  type: string;
  subject_type: string;
  subject_id: string;
  actor: string;
  data: Generated<string>;
  created_at: string;
}

export interface JobsTable {
  id: string;
  task: string;
  payload: string;
  job_key: string | null;
  status: 'queued' | 'running' | 'done' | 'failed' | 'canceled';
  run_at: string;
  attempts: Generated<number>;
  max_attempts: number;
  locked_at: string | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

export interface AlertsTable {
  id: string;
  account_id: string;
  kind: 'carrier_error';
  code: string;
  title: string;
  detail: string;
  line_id: string | null;
  message_id: string | null;
  count: Generated<number>;
  first_seen_at: string;
  last_seen_at: string;
  resolved_at: string | null;
}

export interface ScheduledJobsTable {
  id: string;
  task: string;
  payload: string;
  job_key: string | null;
  max_attempts: number | null;
  run_at: string;
  created_at: string;
}

export interface SavedRepliesTable {
  id: string;
  account_id: string;
  title: string;
  title_key: string;
  body: string;
  encoding: string;
  segments: number;
  created_by_user_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface Database {
  accounts: AccountsTable;
  users: UsersTable;
  memberships: MembershipsTable;
  api_keys: ApiKeysTable;
  sessions: SessionsTable;
  auth_tokens: AuthTokensTable;
  sign_in_failures: SignInFailuresTable;
  carrier_connections: CarrierConnectionsTable;
  lines: LinesTable;
  templates: TemplatesTable;
  contacts: ContactsTable;
  conversations: ConversationsTable;
  calls: CallsTable;
  messages: MessagesTable;
  suppressions: SuppressionsTable;
  leads: LeadsTable;
  tasks: TasksTable;
  events: EventsTable;
  jobs: JobsTable;
  alerts: AlertsTable;
  notes: NotesTable;
  sequences: SequencesTable;
  sequence_runs: SequenceRunsTable;
  notifications: NotificationsTable;
  webhook_endpoints: WebhookEndpointsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
  scheduled_jobs: ScheduledJobsTable;
  saved_replies: SavedRepliesTable;
}

export type Account = Selectable<AccountsTable>;
export type Line = Selectable<LinesTable>;
export type Contact = Selectable<ContactsTable>;
export type Conversation = Selectable<ConversationsTable>;
export type ConversationUpdate = Updateable<ConversationsTable>;
export type CallUpdate = Updateable<CallsTable>;
export type Call = Selectable<CallsTable>;
export type Message = Selectable<MessagesTable>;
export type NewMessage = Insertable<MessagesTable>;
export type MessageUpdate = Updateable<MessagesTable>;
export type CarrierConnection = Selectable<CarrierConnectionsTable>;
export type Template = Selectable<TemplatesTable>;
export type SavedReply = Selectable<SavedRepliesTable>;
export type Job = Selectable<JobsTable>;
export type Alert = Selectable<AlertsTable>;
export type Lead = Selectable<LeadsTable>;
export type Task = Selectable<TasksTable>;
export type Note = Selectable<NotesTable>;
export type Sequence = Selectable<SequencesTable>;
export type SequenceRun = Selectable<SequenceRunsTable>;
export type Notification = Selectable<NotificationsTable>;
export type WebhookEndpoint = Selectable<WebhookEndpointsTable>;
export type WebhookDelivery = Selectable<WebhookDeliveriesTable>;
export type User = Selectable<UsersTable>;
export type Membership = Selectable<MembershipsTable>;
export type Session = Selectable<SessionsTable>;
export type AuthToken = Selectable<AuthTokensTable>;
