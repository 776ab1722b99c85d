// Bulk generation of realistic data straight into a migrated SQLite file, for the benchmark's
// scaling test (Ringback with millions of stored messages). Not used by Ringback itself.
//
// Fast on purpose: node:sqlite, multi-row prepared INSERTs, one transaction per chunk,
// journal_mode=WAL (as Ringback runs) and synchronous=OFF while seeding only (it is a per-connection
// setting: Ringback sets its own when it opens the file). Deterministic for a given `seed`.
//
// The shape follows what Ringback writes: accounts with an owner (and a few agents), text-back
// templates, a carrier connection and 1–3 lines each; contacts who called (a missed call, the
// automatic text-back, then a conversation), more calls, leads, events, some opt-outs. Accounts are
// Zipf-sized: the first (the oldest owner, whom Ringback's bootstrap and the CLI act as) is the
// biggest. Timestamps spread over the last year, IDs in Ringback's format and time-sortable.
//
// Numbers: line and contact numbers use only the area codes in SEEDED_AREA_CODES, so a
// benchmark can pick callers elsewhere and never hit a cooldown or an opt-out by accident.
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import { statSync } from 'node:fs';

/** Area codes of every phone number the seed writes (lines and contacts). */
export const SEEDED_AREA_CODES: readonly string[] = ['212', '312', '646', '713', '305', '404', '617', '206', '303', '702', '214', '602'];

export interface SeedTemplate {
  slot: 'open' | 'after_hours' | 'weekend' | 'holiday';
  body: string;
  encoding: string;
  segments: number;
}

export interface BulkSeedOptions {
  /** A SQLite file with Ringback's schema already migrated (`ringback migrate`). */
  file: string;
  /** Messages to write (the scale). Contacts ≈ messages / 22, conversations ≈ messages / 20. */
  messages: number;
  /** Default 200. */
  accounts?: number;
  /** PRNG seed, default 1. */
  seed?: number;
  /** "Now" for the timestamps (everything falls in the year before it). Default: the current time. */
  now?: Date;
  /** Messages per transaction, default 200 000. */
  chunkMessages?: number;
  /** The stored (sealed) credentials of every seeded carrier connection. */
  carrierCredentials: string;
  /** The account-level text-back templates each account gets. */
  templates: readonly SeedTemplate[];
  /** Each account's business hours (JSON, as Ringback stores them). */
  businessHours: string;
  /** A password hash (Ringback's format) for every seeded user. */
  passwordHash: string;
  onProgress?: (done: { messages: number; elapsedMs: number }) => void;
}

export interface BulkSeedResult {
  accounts: number;
  users: number;
  lines: number;
  contacts: number;
  conversations: number;
  calls: number;
  messages: number;
  leads: number;
  events: number;
  suppressions: number;
  elapsedMs: number;
  /** Size of the database file after the final checkpoint. */
  fileBytes: number;
}

// ─── Small fast helpers ───────────────────────────────────────────────────────────────────────

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // as ids.ts: Crockford base32, lower case
const DAY = 86_400_000;
const HOUR = 3_600_000;

/** xorshift32: fast, deterministic, good enough for test data. */
class Rng {
  #s: number;
  constructor(seed: number) {
    this.#s = (seed >>> 0) || 0x9e3779b9;
  }
  u32(): number {
    let x = this.#s;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    this.#s = x;
    return x;
  }
  /** [0, 1) */
  next(): number {
    return this.u32() / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  /** Exponential with this mean. */
  exp(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }
  hex32(): string {
    let s = '';
    for (let i = 0; i < 4; i++) s += this.u32().toString(16).padStart(8, '0');
    return s;
  }
}

/** Ringback's id format (`prefix_` + 10 time chars + 10 random chars), from a timestamp. */
function makeId(rng: Rng, prefix: string, ms: number): string {
  let time = '';
  let t = ms;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32]! + time;
    t = Math.floor(t / 32);
  }
  let a = rng.u32();
  let b = rng.u32();
  let rand = '';
  for (let i = 0; i < 5; i++) {
    rand += ALPHABET[a & 31]!;
    a >>>= 5;
  }
  for (let i = 0; i < 5; i++) {
    rand += ALPHABET[b & 31]!;
    b >>>= 5;
  }
  return `${prefix}_${time}${rand}`;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/**
 * One prepared single-row INSERT per table. (Multi-row VALUES lists were measured slower with
 * node:sqlite: SQLite runs them through a co-routine, and the binding is no cheaper.)
 */
class TableInsert {
  readonly #stmt: StatementSync;
  readonly #table: string;
  readonly #width: number;
  count = 0;

  constructor(db: DatabaseSync, table: string, columns: readonly string[]) {
    this.#table = table;
    this.#width = columns.length;
    this.#stmt = db.prepare(`INSERT INTO ${table} (${columns.join(',')}) VALUES (${columns.map(() => '?').join(',')})`);
  }

  add(values: SQLInputValue[]): void {
    if (values.length !== this.#width) throw new Error(`${this.#table}: ${values.length} values for ${this.#width} columns`);
    this.#stmt.run(...values);
    this.count++;
  }
}

// ─── Content ──────────────────────────────────────────────────────────────────────────────────

const BUSINESS_WORDS = ['Plumbing', 'Electric', 'HVAC', 'Roofing', 'Dental', 'Auto Repair', 'Landscaping', 'Cleaning', 'Pest Control', 'Locksmith', 'Salon', 'Vet Clinic', 'Movers', 'Painting', 'Garage Doors'];
const BUSINESS_NAMES = ['Acme', 'Bright', 'Summit', 'Harbor', 'Oak & Pine', 'Bluebird', 'Redwood', 'Keystone', 'Liberty', 'Northside', 'Evergreen', 'Cornerstone', 'Pioneer', 'Riverside', 'Golden Gate'];
const FIRST_NAMES = ['James', 'Mary', 'Robert', 'Patricia', 'John', 'Jennifer', 'Michael', 'Linda', 'David', 'Elizabeth', 'William', 'Barbara', 'Richard', 'Susan', 'Joseph', 'Jessica', 'Thomas', 'Sarah', 'Carlos', 'Maria', 'Wei', 'Priya', 'Ahmed', 'Fatima', 'Jose', 'Ana', 'Chen', 'Olga', 'Kwame', 'Aisha'];
const LAST_NAMES = ['Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez', 'Hernandez', 'Lopez', 'Gonzalez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Nguyen', 'Patel', 'Kim', 'Singh', 'Cohen', 'Okafor'];
const TIME_ZONES = ['America/New_York', 'America/Chicago', 'America/Denver', 'America/Los_Angeles', 'America/Phoenix'];

const INBOUND_BODIES = [
  'Hi, yes I called about a leak under my kitchen sink. Can someone come today?',
  'Thanks! What time can you be here?',
  'Tomorrow morning works for me.',
  'How much do you charge for an estimate?',
  'ok',
  'Yes please',
  'Can you send someone after 3pm? I work until then.',
  'The address is 1422 Maple Ave, apt 3B.',
  'Never mind, we got it fixed. Thanks anyway',
  'Is this still the number for appointments?',
  'Great, see you then 👍',
  'Do you take credit cards?',
  'My furnace stopped working last night and it is freezing in here. Are you available for an emergency visit?',
  'Can I reschedule to Friday?',
  'Thank you so much for the quick response!',
  'What are your hours on Saturday?',
  'Running 10 minutes late, sorry',
  'Yes that price is fine, go ahead',
  'Could you text me the invoice please?',
];
const USER_BODIES = [
  'Hi, this is Mike from the office. We can be there between 2 and 4 today. Does that work?',
  'Thanks for reaching out! Our technician is on the way.',
  'We have an opening tomorrow at 9am. Want me to book it?',
  'The estimate is free. A visit is $89 and that goes toward the repair.',
  'You are all set for Friday at 10. We will text when the tech is 30 minutes out.',
  'Yes, we take all major cards.',
  'Sorry for the wait! Can you send a photo of the problem?',
  'Your invoice: https://pay.example.com/i/8F3K2. Thanks for your business!',
  'Saturday we are open 9 to 1.',
  'No problem, see you soon.',
];
const FOLLOW_UP_BODIES = [
  'Just checking in: did you still need help? Reply here and we will get right back to you.',
  'Reminder: your appointment is tomorrow. Reply C to confirm or R to reschedule.',
  'Thanks for choosing us! How did we do? Reply 1-5.',
];
const CARRIER_ERRORS: ReadonlyArray<[string, string]> = [
  ['30003', 'Unreachable destination handset'],
  ['30005', 'Unknown destination handset'],
  ['30006', 'Landline or unreachable carrier'],
  ['30007', 'Message filtered by the carrier'],
  ['21610', 'Attempt to send to unsubscribed recipient'],
];

function gsmish(body: string): { encoding: string; segments: number } {
  // Close enough for stored data: emoji and other non-GSM text switch to UCS-2.
  // eslint-disable-next-line no-control-regex
  const ucs2 = /[^\x00-\x7f£¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¡ÄÖÑÜ§¿äöñüà€]/.test(body);
  const len = body.length;
  return ucs2 ? { encoding: 'UCS-2', segments: len <= 70 ? 1 : Math.ceil(len / 67) } : { encoding: 'GSM-7', segments: len <= 160 ? 1 : Math.ceil(len / 153) };
}

function renderTextBack(template: string, businessName: string, firstName: string): string {
  return template
    .replaceAll('{{business_name}}', businessName)
    .replaceAll('{{first_name}}', firstName)
    .replaceAll('{{callback_window}}', 'within the hour')
    .replaceAll('{{booking_link}}', '')
    .replaceAll('{{line_number}}', '');
}

// ─── The seed ─────────────────────────────────────────────────────────────────────────────────

/** Messages in one conversation: mostly 2–30, a tail of longer threads (mean ≈ 20). */
function conversationLength(rng: Rng): number {
  return rng.chance(0.9) ? rng.int(2, 30) : rng.int(31, 100);
}

export function bulkSeed(opts: BulkSeedOptions): BulkSeedResult {
  const started = performance.now();
  const rng = new Rng(opts.seed ?? 1);
  const now = (opts.now ?? new Date()).getTime();
  const accountCount = Math.max(1, opts.accounts ?? 200);
  const chunk = Math.max(1000, opts.chunkMessages ?? 200_000);
  const target = Math.max(0, Math.floor(opts.messages));

  const db = new DatabaseSync(opts.file);
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = OFF');
  db.exec('PRAGMA foreign_keys = OFF');
  db.exec('PRAGMA temp_store = MEMORY');
  db.exec('PRAGMA cache_size = -2097152'); // up to 2 GiB of page cache while seeding
  db.exec('PRAGMA wal_autocheckpoint = 16384');
  const existing = db.prepare('SELECT count(*) AS n FROM accounts').get() as { n: number };
  if (Number(existing.n) > 0) {
    db.close();
    throw new Error(`${opts.file} already has accounts: bulkSeed fills a freshly migrated database`);
  }

  // Secondary indexes are dropped while seeding and built again at the end from their own SQL
  // (a sorted build is far faster than millions of random B-tree inserts); the schema ends up
  // exactly as migrated. Primary keys and UNIQUE constraints stay (SQLite cannot drop those).
  const deferred = db
    .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND name NOT LIKE 'sqlite_%'")
    .all() as Array<{ name: string; sql: string }>;
  for (const index of deferred) db.exec(`DROP INDEX "${index.name.replaceAll('"', '""')}"`);

  const ins = {
    accounts: new TableInsert(db, 'accounts', ['id', 'name', 'time_zone', 'default_region', 'business_hours', 'holidays', 'average_job_value_cents', 'booking_url', 'help_contact', 'paused', 'created_at', 'updated_at']),
    users: new TableInsert(db, 'users', ['id', 'email', 'name', 'password_hash', 'created_at']),
    memberships: new TableInsert(db, 'memberships', ['id', 'account_id', 'user_id', 'role', 'created_at']),
    apiKeys: new TableInsert(db, 'api_keys', ['id', 'account_id', 'user_id', 'name', 'prefix', 'key_hash', 'created_at', 'last_used_at', 'revoked_at']),
    connections: new TableInsert(db, 'carrier_connections', ['id', 'account_id', 'kind', 'name', 'credentials', 'api_base_url', 'created_at']),
    lines: new TableInsert(db, 'lines', ['id', 'account_id', 'carrier_connection_id', 'number', 'name', 'mode', 'ring_targets', 'ring_seconds', 'screening', 'messaging_enabled', 'paused', 'greeting', 'voicemail', 'created_at', 'updated_at']),
    templates: new TableInsert(db, 'templates', ['id', 'account_id', 'scope', 'purpose', 'slot', 'body', 'encoding', 'segments', 'updated_at']),
    contacts: new TableInsert(db, 'contacts', ['id', 'account_id', 'number', 'name', 'email', 'tags', 'is_customer', 'blocked', 'line_type', 'invalid', 'created_at', 'updated_at']),
    conversations: new TableInsert(db, 'conversations', ['id', 'account_id', 'line_id', 'contact_id', 'status', 'assignee_user_id', 'unread_count', 'last_message_at', 'last_auto_text_at', 'last_person_contact_at', 'created_at', 'updated_at']),
    calls: new TableInsert(db, 'calls', ['id', 'account_id', 'line_id', 'contact_id', 'source', 'carrier_call_id', 'external_id', 'request_hash', 'from_raw', 'from_number', 'to_number', 'forwarded_from', 'status', 'outcome', 'started_at', 'ended_at', 'voicemail_url', 'voicemail_transcript', 'decision', 'decision_reason', 'decided_at', 'message_id', 'screen_accepted_at', 'created_at', 'updated_at']),
    messages: new TableInsert(db, 'messages', ['id', 'account_id', 'conversation_id', 'line_id', 'contact_id', 'direction', 'from_number', 'to_number', 'body', 'encoding', 'segments', 'status', 'author', 'author_user_id', 'reason', 'call_id', 'carrier_message_id', 'carrier_error_code', 'error_message', 'send_deadline', 'attempts', 'created_at', 'sent_at', 'delivered_at', 'updated_at']),
    leads: new TableInsert(db, 'leads', ['id', 'account_id', 'contact_id', 'line_id', 'source', 'stage', 'value_cents', 'call_id', 'created_at', 'updated_at']),
    events: new TableInsert(db, 'events', ['id', 'account_id', 'type', 'subject_type', 'subject_id', 'actor', 'data', 'created_at']),
    suppressions: new TableInsert(db, 'suppressions', ['id', 'account_id', 'number', 'kind', 'source', 'words', 'message_id', 'created_at', 'lifted_at', 'lifted_by']),
  };

  let inTx = false;
  const begin = () => {
    db.exec('BEGIN');
    inTx = true;
  };
  const commit = () => {
    db.exec('COMMIT');
    inTx = false;
  };

  // Zipf-sized accounts: account k gets a share of the contacts proportional to 1/(k+1).
  const cumulative: number[] = [];
  let harmonic = 0;
  for (let k = 0; k < accountCount; k++) cumulative.push((harmonic += 1 / (k + 1)));
  const pickAccount = (): number => {
    const x = rng.next() * harmonic;
    let lo = 0;
    let hi = accountCount - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  interface SeededAccount {
    id: string;
    businessName: string;
    userIds: string[];
    lines: Array<{ id: string; number: string }>;
    contactNumbers: Set<string>;
  }
  const accounts: SeededAccount[] = [];

  const usedLineNumbers = new Set<string>();
  const phoneIn = (areaCode: string): string => {
    let exchange = rng.int(300, 999);
    // Not 555 (partly fictional) and not N11 (service codes).
    if (exchange === 555 || exchange % 100 === 11) exchange++;
    return `+1${areaCode}${exchange}${String(rng.int(0, 9999)).padStart(4, '0')}`;
  };
  const yearAgo = now - 365 * DAY;
  let messagesDone = 0;
  let lastProgress = 0;
  let sinceCommit = 0;

  try {
    begin();
    for (let k = 0; k < accountCount; k++) {
      // Account k was created k minutes after account k-1, about 400 days ago: account 0's owner
      // is the first owner.
      const accountCreated = now - 400 * DAY + k * 60_000;
      const accountId = makeId(rng, 'acc', accountCreated);
      const businessName = `${rng.pick(BUSINESS_NAMES)} ${rng.pick(BUSINESS_WORDS)}`;
      ins.accounts.add([
        accountId,
        businessName,
        rng.pick(TIME_ZONES),
        'US',
        opts.businessHours,
        '[]',
        rng.int(0, 5) * 10_000,
        rng.chance(0.3) ? `https://book.example.com/${k}` : null,
        rng.chance(0.3) ? 'office@example.com' : null,
        0,
        iso(accountCreated),
        iso(accountCreated),
      ]);
      const userIds: string[] = [];
      const staff = 1 + (rng.chance(0.5) ? rng.int(1, 3) : 0);
      for (let u = 0; u < staff; u++) {
        const userId = makeId(rng, 'usr', accountCreated + u);
        userIds.push(userId);
        ins.users.add([userId, `user${u}.account${k}@example.com`, `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}`, opts.passwordHash, iso(accountCreated + u)]);
        ins.memberships.add([makeId(rng, 'mem', accountCreated + u), accountId, userId, u === 0 ? 'owner' : 'agent', iso(accountCreated + u)]);
      }
      const ownerId = userIds[0]!;
      ins.apiKeys.add([makeId(rng, 'key', accountCreated), accountId, ownerId, 'CRM integration', `rb_${rng.hex32().slice(0, 8)}`, rng.hex32() + rng.hex32(), iso(accountCreated), iso(now - rng.int(0, 30) * DAY), null]);
      for (const t of opts.templates) {
        ins.templates.add([makeId(rng, 'tpl', accountCreated), accountId, 'account', 'text_back', t.slot, t.body, t.encoding, t.segments, iso(accountCreated)]);
      }
      const connectionId = makeId(rng, 'cc', accountCreated);
      ins.connections.add([connectionId, accountId, 'twilio', 'Twilio', opts.carrierCredentials, null, iso(accountCreated)]);

      const lineCount = k === 0 ? 3 : rng.chance(0.6) ? 1 : rng.int(2, 3);
      const lines: Array<{ id: string; number: string }> = [];
      for (let l = 0; l < lineCount; l++) {
        let number: string;
        do number = phoneIn(rng.pick(SEEDED_AREA_CODES));
        while (usedLineNumbers.has(number));
        usedLineNumbers.add(number);
        const id = makeId(rng, 'line', accountCreated + l);
        lines.push({ id, number });
        ins.lines.add([
          id,
          accountId,
          connectionId,
          number,
          l === 0 ? 'Main line' : `Line ${l + 1}`,
          rng.chance(0.8) ? 'forward' : 'conditional-forward',
          JSON.stringify([phoneIn(rng.pick(SEEDED_AREA_CODES))]),
          rng.pick([15, 18, 20, 25]),
          rng.chance(0.7) ? 1 : 0,
          1,
          0,
          rng.chance(0.3) ? `Thanks for calling ${businessName}.` : null,
          rng.chance(0.2) ? 1 : 0,
          iso(accountCreated),
          iso(accountCreated),
        ]);
      }
      accounts.push({ id: accountId, businessName, userIds, lines, contactNumbers: new Set() });
    }

    // Contacts in the order they first called, spread over the year (as a real database fills:
    // rows arrive roughly in time order), each with a Zipf-chosen account.
    let budget = target;
    while (budget > 0) {
      const { id: accountId, businessName, userIds, lines, contactNumbers } = accounts[pickAccount()]!;
      let number: string;
      do number = phoneIn(rng.pick(SEEDED_AREA_CODES));
      while (contactNumbers.has(number));
      contactNumbers.add(number);

      const firstSeen = yearAgo + Math.floor((messagesDone / Math.max(1, target)) * (365 * DAY - 3 * HOUR) + rng.next() * HOUR);
      const contactId = makeId(rng, 'ct', firstSeen);
      const named = rng.chance(0.6);
      const firstName = named ? rng.pick(FIRST_NAMES) : 'there';
      const customer = rng.chance(0.2);
      ins.contacts.add([
        contactId,
        accountId,
        number,
        named ? `${firstName} ${rng.pick(LAST_NAMES)}` : null,
        rng.chance(0.2) ? `${firstName.toLowerCase()}${rng.int(1, 999)}@example.com` : null,
        customer ? '["customer"]' : '[]',
        customer ? 1 : 0,
        rng.chance(0.005) ? 1 : 0,
        rng.chance(0.5) ? 'mobile' : 'unknown',
        0,
        iso(firstSeen),
        iso(firstSeen),
      ]);

      const conversationsHere = lines.length > 1 && rng.chance(0.1) ? 2 : 1;
      let firstCallId: string | null = null;
      let lastActivity = firstSeen;
      let optedOutMessage: string | null = null;
      for (let c = 0; c < conversationsHere && budget > 0; c++) {
        const line = lines[c === 0 ? 0 : rng.int(1, lines.length - 1)]!;
        const start = c === 0 ? firstSeen : Math.min(now - HOUR, firstSeen + Math.floor(rng.exp(30 * DAY)));
        const conversationId = makeId(rng, 'cv', start);
        const count = Math.min(budget, conversationLength(rng));
        budget -= count;

        // The missed call that started it, and its text-back.
        const callId = makeId(rng, 'call', start);
        firstCallId ??= callId;
        const ring = rng.int(12, 30) * 1000;
        const firstMessageId = makeId(rng, 'msg', start + ring + 200);
        ins.calls.add([
          callId, accountId, line.id, contactId, 'carrier', `CA${rng.hex32()}`, null, null, number, number, line.number, null,
          'completed', rng.chance(0.15) ? 'voicemail' : 'missed', iso(start), iso(start + ring), null, null,
          'send', 'missed_call', iso(start + ring + 150), firstMessageId, null, iso(start), iso(start + ring + 150),
        ]);
        ins.events.add([makeId(rng, 'ev', start + ring + 150), accountId, 'text_back.queued', 'call', callId, 'system', JSON.stringify({ reason: 'missed_call', messageId: firstMessageId }), iso(start + ring + 150)]);
        // Some callers call again later and are answered (no text-back: decision skip / answered).
        if (rng.chance(0.3)) {
          const again = Math.min(now - HOUR, start + Math.floor(rng.exp(5 * DAY)));
          const againId = makeId(rng, 'call', again);
          const talk = rng.int(30, 600) * 1000;
          ins.calls.add([
            againId, accountId, line.id, contactId, 'carrier', `CA${rng.hex32()}`, null, null, number, number, line.number, null,
            'completed', 'answered', iso(again), iso(again + talk), null, null,
            'skip', 'answered', iso(again + talk), null, rng.chance(0.7) ? iso(again + 5000) : null, iso(again), iso(again + talk),
          ]);
          ins.events.add([makeId(rng, 'ev', again + talk), accountId, 'text_back.skipped', 'call', againId, 'system', JSON.stringify({ reason: 'answered', messageId: null }), iso(again + talk)]);
        }

        let t = start + ring + 200;
        let lastPerson: number | null = null;
        let unread = 0;
        // About 2% of conversations end with the caller opting out.
        const endsWithStop = count > 1 && rng.chance(0.02);
        for (let m = 0; m < count; m++) {
          const id = m === 0 ? firstMessageId : makeId(rng, 'msg', t);
          let direction: 'inbound' | 'outbound';
          let author: string;
          let reason: string;
          let body: string;
          let userId: string | null = null;
          if (m === 0) {
            direction = 'outbound';
            author = 'automation';
            reason = 'missed_call';
            body = renderTextBack(opts.templates[0]?.body ?? 'Sorry we missed your call.', businessName, firstName);
          } else if (endsWithStop && m === count - 1) {
            direction = 'inbound';
            author = 'contact';
            reason = 'inbound';
            body = 'STOP';
          } else {
            const r = rng.next();
            if (r < 0.5) {
              direction = 'inbound';
              author = 'contact';
              reason = 'inbound';
              body = rng.pick(INBOUND_BODIES);
            } else if (r < 0.92) {
              direction = 'outbound';
              author = 'user';
              reason = 'reply';
              userId = rng.pick(userIds);
              body = rng.pick(USER_BODIES);
            } else {
              direction = 'outbound';
              author = 'automation';
              reason = 'follow_up';
              body = rng.pick(FOLLOW_UP_BODIES);
            }
          }
          const { encoding, segments } = gsmish(body);
          const created = iso(t);
          if (direction === 'inbound') {
            unread = rng.chance(0.3) ? unread + 1 : 0;
            const msgRow: SQLInputValue[] = [
              id, accountId, conversationId, line.id, contactId, 'inbound', number, line.number, body, encoding, segments, 'received',
              'contact', null, 'inbound', null, `SM${rng.hex32()}`, null, null, null, 0, created, null, null, created,
            ];
            ins.messages.add(msgRow);
            if (body === 'STOP') optedOutMessage = id;
          } else {
            if (author === 'user') lastPerson = t;
            const s = rng.next();
            const status = s < 0.88 ? 'delivered' : s < 0.93 ? 'sent' : s < 0.96 ? 'undelivered' : s < 0.98 ? 'failed' : s < 0.99 ? 'expired' : 'canceled';
            const reachedCarrier = status !== 'expired' && status !== 'canceled';
            const error = status === 'undelivered' || status === 'failed' ? rng.pick(CARRIER_ERRORS) : null;
            const sentAt = reachedCarrier ? iso(t + 300) : null;
            const deliveredAt = status === 'delivered' ? iso(t + 300 + rng.int(800, 6000)) : null;
            ins.messages.add([
              id, accountId, conversationId, line.id, contactId, 'outbound', line.number, number, body, encoding, segments, status,
              author, userId, reason, m === 0 ? callId : null, reachedCarrier ? `SM${rng.hex32()}` : null,
              error ? error[0] : null,
              error ? error[1] : status === 'expired' ? 'expired: it could not be sent within its window' : status === 'canceled' ? 'canceled: the caller replied first' : null,
              author === 'automation' ? iso(t + 30 * 60_000) : null,
              reachedCarrier ? 1 : 0, created, sentAt, deliveredAt, deliveredAt ?? sentAt ?? created,
            ]);
            if (error) {
              ins.events.add([makeId(rng, 'ev', t + 2000), accountId, `message.${status}`, 'message', id, 'system', JSON.stringify({ errorCode: error[0] }), iso(t + 2000)]);
            }
          }
          // Next message: minutes to days later, never in the future.
          const gap = rng.chance(0.7) ? rng.exp(20 * 60_000) : rng.exp(2 * DAY);
          t = Math.min(now - 1000, t + 1000 + Math.floor(gap));
        }
        lastActivity = Math.max(lastActivity, t);
        const r = rng.next();
        ins.conversations.add([
          conversationId, accountId, line.id, contactId,
          r < 0.6 ? 'resolved' : r < 0.9 ? 'open' : r < 0.95 ? 'pending' : 'snoozed',
          rng.chance(0.4) ? rng.pick(userIds) : null, unread, iso(t), iso(start + ring + 200),
          lastPerson === null ? null : iso(lastPerson), iso(start), iso(t),
        ]);
        messagesDone += count;
        sinceCommit += count;
      }

      const stage = rng.pick(['new', 'contacted', 'engaged', 'booked', 'won', 'lost'] as const);
      ins.leads.add([makeId(rng, 'lead', firstSeen), accountId, contactId, lines[0]!.id, 'missed_call', stage, stage === 'won' ? rng.int(5, 200) * 1000 : null, firstCallId, iso(firstSeen), iso(lastActivity)]);
      if (optedOutMessage !== null || rng.chance(0.005)) {
        ins.suppressions.add([makeId(rng, 'sup', lastActivity), accountId, number, 'opt_out', optedOutMessage ? 'keyword' : 'carrier', optedOutMessage ? 'STOP' : null, optedOutMessage, iso(lastActivity), null, null]);
      }

      if (sinceCommit >= chunk) {
        commit();
        sinceCommit = 0;
        begin();
      }
      if (opts.onProgress && messagesDone - lastProgress >= 250_000) {
        lastProgress = messagesDone;
        opts.onProgress({ messages: messagesDone, elapsedMs: performance.now() - started });
      }
    }
    commit();
    begin();
    for (const index of deferred) db.exec(index.sql);
    commit();
    db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  } catch (err) {
    if (inTx) {
      try {
        db.exec('ROLLBACK');
      } catch {
        // the error that matters is the first one
      }
    }
    db.close();
    throw err;
  }
  db.close();

  return {
    accounts: ins.accounts.count,
    users: ins.users.count,
    lines: ins.lines.count,
    contacts: ins.contacts.count,
    conversations: ins.conversations.count,
    calls: ins.calls.count,
    messages: ins.messages.count,
    leads: ins.leads.count,
    events: ins.events.count,
    suppressions: ins.suppressions.count,
    elapsedMs: performance.now() - started,
    fileBytes: statSync(opts.file).size,
  };
}
