// The inbox with 10,000 conversations (issue 7: "the inbox stays fast with 10,000 conversations").
// Starts a real Ringback (`ringback start`, a child process) on a fresh SQLite data dir and, when
// PostgreSQL is reachable, on a fresh Postgres database (dropped afterwards); fills one account
// with 10,000 conversations and a baseline account with 100 in the same server, through the store
// (multi-row INSERTs in one transaction, not 10,000 API calls); then measures, for both sizes:
//
//   - the API requests the inbox makes (p50/p95/p99 over --samples each, both accounts in turn):
//     the first page, a status filter, the unread filter, the next page by cursor, opening one
//     conversation (detail and messages together, as the thread does) and, when the API has it,
//     search (`q`);
//   - in Chromium (playwright-core), navigation → the list's first rows, and a click on a
//     conversation → its messages on screen.
//
// Prints one table per store with the ratio 10,000 / 100, and writes bench/results/inbox-<time>.json.
//
//   node bench/inbox.ts                      # both stores when Postgres is up; ~3–5 min here
//   node bench/inbox.ts --postgres=off --samples 100 --browser-runs 10
//   node bench/inbox.ts --help
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync, accessSync, constants } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sql, type Kysely } from 'kysely';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { decodeSecretKey } from '../src/config.ts';
import { DEFAULT_BUSINESS_HOURS } from '../src/domain/schedule.ts';
import { hashPassword } from '../src/services/access.ts';
import { encryptCredentials } from '../src/services/credentials.ts';
import { openSqliteStore, type Store } from '../src/store/database.ts';
import { newId } from '../src/store/ids.ts';
import { openPostgresStore } from '../src/store/postgres-store.ts';
import type { Database } from '../src/store/schema.ts';
import { createBenchDatabase, DEFAULT_BENCH_DATABASE_URL, probePostgres, redactUrl, type BenchDatabase } from './postgres.ts';
import { Child, cleanup, freePort, installExitHandlers, registerTempDir, removeTempDir, waitReady } from './procs.ts';

const ROOT = path.resolve(import.meta.dirname, '..');

const HELP = `usage: node bench/inbox.ts [options]

  --conversations N     the big account's conversations (default 10000)
  --baseline N          the baseline account's conversations (default 100)
  --samples N           timed requests per API figure and account (default 200)
  --browser-runs N      timed page loads (and thread opens) per account (default 15; 0: no browser)
  --page-size N         conversations per page, as the inbox asks (default 100)
  --postgres=on|off|only  also (on, the default) or only on PostgreSQL at BENCH_DATABASE_URL
                          (default ${DEFAULT_BENCH_DATABASE_URL}); skipped with a note when unreachable
  --help
`;

const { values: args } = parseArgs({
  options: {
    conversations: { type: 'string', default: '10000' },
    baseline: { type: 'string', default: '100' },
    samples: { type: 'string', default: '200' },
    'browser-runs': { type: 'string', default: '15' },
    'page-size': { type: 'string', default: '100' },
    postgres: { type: 'string', default: 'on' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  process.stdout.write(HELP);
  process.exit(0);
}
const positive = (name: string, v: string, min = 1) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) {
    process.stderr.write(`--${name} must be a whole number ≥ ${min} (not ${v})\n${HELP}`);
    process.exit(2);
  }
  return n;
};
const opts = {
  big: positive('conversations', args.conversations),
  base: positive('baseline', args.baseline),
  samples: positive('samples', args.samples, 10),
  browserRuns: positive('browser-runs', args['browser-runs'], 0),
  pageSize: positive('page-size', args['page-size']),
  postgres: args.postgres as 'on' | 'off' | 'only',
};
if (!['on', 'off', 'only'].includes(opts.postgres)) {
  process.stderr.write(`--postgres must be on, off or only\n${HELP}`);
  process.exit(2);
}

const SECRET_KEY = randomBytes(32).toString('base64');
const ADMIN_API_KEY = `rb_bench_inbox_${randomBytes(12).toString('hex')}`;
const BIG_EMAIL = 'owner@ringback.local';
const BASE_EMAIL = 'baseline@ringback.local';
const PASSWORD = 'bench inbox password';
const log = (line = '') => process.stdout.write(line + '\n');

// ─── Seeding ──────────────────────────────────────────────────────────────────────────────────

const FIRST = ['James', 'Mary', 'Robert', 'Patricia', 'John', 'Jennifer', 'Michael', 'Linda', 'David', 'Elizabeth', 'Carlos', 'Maria', 'Wei', 'Priya', 'Ahmed', 'Fatima', 'Jose', 'Ana', 'Kwame', 'Aisha'];
const LAST = ['Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez', 'Lopez', 'Wilson', 'Anderson', 'Taylor', 'Moore', 'Nguyen', 'Patel', 'Kim', 'Singh', 'Okafor'];
const INBOUND = [
  'Hi, I called about a leak under my kitchen sink. Can someone come today?',
  'Tomorrow morning works for me.',
  'How much do you charge for an estimate?',
  'Yes please',
  'The address is 1422 Maple Ave, apt 3B.',
  'Can I reschedule to Friday?',
  'Could you text me the invoice please?',
];
const OUTBOUND = [
  'Sorry we missed your call! How can we help? Reply here and we will get right back to you.',
  'We can be there between 2 and 4 today. Does that work?',
  'The estimate is free. A visit is $89 and that goes toward the repair.',
  'You are all set for Friday at 10.',
  'Your invoice: https://pay.example.com/i/8F3K2. Thanks for your business!',
];

/** Deterministic numbers for the same data on every run and store. */
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

interface SeededAccount {
  label: string;
  accountId: string;
  email: string;
  conversations: number;
  messages: number;
  seconds: number;
}

/** Inserts in chunks: SQLite allows 32,766 bound values a statement, Postgres 65,535. */
async function insertChunks<T extends keyof Database & string>(db: Kysely<Database>, table: T, rows: Array<Record<string, unknown>>): Promise<void> {
  const width = rows[0] ? Object.keys(rows[0]).length : 1;
  const per = Math.max(1, Math.floor(30_000 / width));
  for (let i = 0; i < rows.length; i += per) await db.insertInto(table).values(rows.slice(i, i + per) as never).execute();
}

/**
 * One account's inbox: `n` contacts with a conversation each (a missed-call text-back and 1–5 more
 * messages), statuses about 45 % open, 20 % pending, 5 % snoozed, 30 % resolved; a third unread;
 * 40 % assigned to one of three agents; a few flagged for attention; a lead each.
 */
async function seedInbox(
  store: Store,
  a: { accountId: string; lineId: string; lineNumber: string; areaCode: string; memberIds: string[]; n: number; seed: number },
): Promise<{ messages: number }> {
  const random = rng(a.seed);
  const pick = <T,>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const now = Date.now();
  const contacts: Array<Record<string, unknown>> = [];
  const conversations: Array<Record<string, unknown>> = [];
  const messages: Array<Record<string, unknown>> = [];
  const leads: Array<Record<string, unknown>> = [];
  for (let i = 0; i < a.n; i++) {
    // Conversations start over the last 120 days, in order; messages follow within hours.
    const start = now - 120 * 86_400_000 + Math.floor(((i + random()) / a.n) * 119 * 86_400_000);
    const contactId = newId('ct', start);
    const number = `+1${a.areaCode}${2_000_000 + i}`;
    const name = random() < 0.6 ? `${pick(FIRST)} ${pick(LAST)}` : null;
    contacts.push({ id: contactId, account_id: a.accountId, number, name, email: null, address: null, state: null, time_zone: null, created_at: new Date(start).toISOString(), updated_at: new Date(start).toISOString() });
    const conversationId = newId('cv', start);
    let t = start + 20_000;
    const count = 2 + Math.floor(random() * 5);
    let last = t;
    let lastInbound = false;
    let lastPerson: number | null = null;
    for (let m = 0; m < count; m++) {
      const inbound = m > 0 && random() < 0.5;
      const author = m === 0 ? 'automation' : inbound ? 'contact' : 'user';
      const body = inbound ? pick(INBOUND) : m === 0 ? OUTBOUND[0]! : pick(OUTBOUND.slice(1));
      const at = new Date(t).toISOString();
      if (author === 'user') lastPerson = t;
      messages.push({
        id: newId('msg', t),
        account_id: a.accountId,
        conversation_id: conversationId,
        line_id: a.lineId,
        contact_id: contactId,
        direction: inbound ? 'inbound' : 'outbound',
        from_number: inbound ? number : a.lineNumber,
        to_number: inbound ? a.lineNumber : number,
        body,
        encoding: 'GSM-7',
        segments: 1,
        status: inbound ? 'received' : 'delivered',
        author,
        author_user_id: author === 'user' ? pick(a.memberIds) : null,
        reason: inbound ? 'inbound' : m === 0 ? 'missed_call' : 'reply',
        call_id: null,
        carrier_message_id: `SM${conversationId}${m}`,
        carrier_error_code: null,
        error_message: null,
        send_deadline: null,
        created_at: at,
        sent_at: inbound ? null : at,
        delivered_at: inbound ? null : at,
        updated_at: at,
      });
      last = t;
      lastInbound = inbound;
      t += 60_000 + Math.floor(random() * 3 * 3_600_000);
    }
    const r = random();
    const status = r < 0.45 ? 'open' : r < 0.65 ? 'pending' : r < 0.7 ? 'snoozed' : 'resolved';
    const lastAt = new Date(last).toISOString();
    conversations.push({
      id: conversationId,
      account_id: a.accountId,
      line_id: a.lineId,
      contact_id: contactId,
      status,
      assignee_user_id: random() < 0.4 ? pick(a.memberIds) : null,
      unread_count: lastInbound && random() < 0.66 ? 1 + Math.floor(random() * 3) : 0,
      last_message_at: lastAt,
      last_auto_text_at: new Date(start + 20_000).toISOString(),
      last_person_contact_at: lastPerson === null ? null : new Date(lastPerson).toISOString(),
      // Far ahead: the scheduler must not wake them up during the run.
      snoozed_until: status === 'snoozed' ? new Date(now + 365 * 86_400_000).toISOString() : null,
      needs_attention: random() < 0.02 ? 1 : 0,
      attention_reason: null,
      automation_paused: 0,
      resolved_at: status === 'resolved' ? lastAt : null,
      created_at: new Date(start).toISOString(),
      updated_at: lastAt,
    });
    const stage = pick(['contacted', 'engaged', 'booked', 'won', 'lost'] as const);
    leads.push({
      id: newId('lead', start),
      account_id: a.accountId,
      contact_id: contactId,
      line_id: a.lineId,
      source: 'missed_call',
      stage,
      value_cents: stage === 'won' ? 10_000 * (1 + Math.floor(random() * 50)) : null,
      call_id: null,
      lost_reason: null,
      stage_changed_at: lastAt,
      closed_at: stage === 'won' || stage === 'lost' ? lastAt : null,
      created_at: new Date(start).toISOString(),
      updated_at: lastAt,
    });
  }
  await store.transaction(async (tx) => {
    const db = tx.db as Kysely<Database>;
    await insertChunks(db, 'contacts', contacts);
    await insertChunks(db, 'conversations', conversations);
    await insertChunks(db, 'messages', messages);
    await insertChunks(db, 'leads', leads);
  });
  return { messages: messages.length };
}

/** Both accounts: the bootstrapped owner's (big) and a second one with its own owner (baseline). */
async function seedAccounts(store: Store, secretKey: Buffer): Promise<{ big: SeededAccount; base: SeededAccount }> {
  const db = store.db as Kysely<Database>;
  const now = new Date().toISOString();
  const owner = await db
    .selectFrom('users')
    .innerJoin('memberships', 'memberships.user_id', 'users.id')
    .select(['users.id as userId', 'memberships.account_id as accountId'])
    .where('users.email', '=', BIG_EMAIL)
    .executeTakeFirstOrThrow();
  const passwordHash = hashPassword(PASSWORD);

  // The baseline account: its owner, and a simulator connection like every account's.
  const baseAccountId = newId('acc');
  const baseOwnerId = newId('usr');
  await store.transaction(async (tx) => {
    const t = tx.db as Kysely<Database>;
    await t
      .insertInto('accounts')
      .values({ id: baseAccountId, name: 'Baseline Plumbing', time_zone: 'America/New_York', business_hours: JSON.stringify(DEFAULT_BUSINESS_HOURS), booking_url: null, help_contact: null, created_at: now, updated_at: now })
      .execute();
    await t.insertInto('users').values({ id: baseOwnerId, email: BASE_EMAIL, name: 'Baseline Owner', password_hash: passwordHash, phone: null, created_at: now }).execute();
    await t.insertInto('memberships').values({ id: newId('mem'), account_id: baseAccountId, user_id: baseOwnerId, role: 'owner', created_at: now }).execute();
    await t
      .insertInto('carrier_connections')
      .values({ id: newId('cc'), account_id: baseAccountId, kind: 'simulator', name: 'Built-in simulator', credentials: encryptCredentials(secretKey, { signingSecret: randomBytes(24).toString('base64url') }), api_base_url: null, created_at: now })
      .execute();
  });

  const setUp = async (accountId: string, ownerId: string, label: string, email: string, n: number, areaCode: string, lineNumber: string, seed: number): Promise<SeededAccount> => {
    const started = performance.now();
    const connection = await db.selectFrom('carrier_connections').select('id').where('account_id', '=', accountId).executeTakeFirstOrThrow();
    const lineId = newId('line');
    const memberIds = [ownerId];
    await store.transaction(async (tx) => {
      const t = tx.db as Kysely<Database>;
      await t
        .insertInto('lines')
        .values({ id: lineId, account_id: accountId, carrier_connection_id: connection.id, number: lineNumber, name: 'Main line', mode: 'forward', greeting: null, created_at: now, updated_at: now })
        .execute();
      for (let k = 1; k <= 3; k++) {
        const userId = newId('usr');
        memberIds.push(userId);
        await t.insertInto('users').values({ id: userId, email: `agent${k}.${label}@ringback.local`, name: `Agent ${k}`, password_hash: passwordHash, phone: null, created_at: now }).execute();
        await t.insertInto('memberships').values({ id: newId('mem'), account_id: accountId, user_id: userId, role: 'agent', created_at: now }).execute();
      }
    });
    const { messages } = await seedInbox(store, { accountId, lineId, lineNumber, areaCode, memberIds, n, seed });
    return { label, accountId, email, conversations: n, messages, seconds: (performance.now() - started) / 1000 };
  };
  const big = await setUp(owner.accountId, owner.userId, 'big', BIG_EMAIL, opts.big, '312', '+13125550100', 7);
  const base = await setUp(baseAccountId, baseOwnerId, 'base', BASE_EMAIL, opts.base, '646', '+16465550100', 11);
  return { big, base };
}

// ─── Measuring ────────────────────────────────────────────────────────────────────────────────

interface Stats {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles, in ms. */
function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length, Math.max(1, Math.ceil((p / 100) * s.length))) - 1]!;
  return { n: s.length, p50: at(50), p95: at(95), p99: at(99), max: s.at(-1)! };
}

interface Session {
  cookie: string;
  base: string;
}

async function signIn(base: string, email: string): Promise<Session> {
  const res = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD }) });
  if (!res.ok) throw new Error(`sign-in as ${email} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  await res.arrayBuffer();
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]!).join('; ');
  if (!cookie) throw new Error(`sign-in as ${email} set no cookie`);
  return { cookie, base };
}

async function getJson(s: Session, route: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${s.base}/api/v1${route}`, { headers: { cookie: s.cookie, accept: 'application/json' }, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function timed(s: Session, routes: string[]): Promise<number> {
  const t0 = performance.now();
  const answers = await Promise.all(routes.map((r) => getJson(s, r)));
  const ms = performance.now() - t0;
  for (const [i, a] of answers.entries()) if (a.status !== 200) throw new Error(`GET ${routes[i]} answered ${a.status}: ${JSON.stringify(a.body).slice(0, 300)}`);
  return ms;
}

/** One figure: a name and, per account, the request(s) of sample i (made together, as the app does). */
interface Probe {
  name: string;
  routes: (acct: 'big' | 'base', i: number) => string[];
}

async function probesFor(sessions: Record<'big' | 'base', Session>, notes: string[]): Promise<Probe[]> {
  const size = opts.pageSize;
  const first = `/conversations?status=open,pending&limit=${size}`;
  // The next page needs a second page in both accounts: every status, and at most half the baseline a page.
  const nextLimit = Math.max(1, Math.min(size, Math.floor(opts.base / 2)));
  const all = `/conversations?status=open,pending,snoozed,resolved&limit=${nextLimit}`;
  const ids: Record<'big' | 'base', string[]> = { big: [], base: [] };
  const cursors: Record<'big' | 'base', string | null> = { big: null, base: null };
  for (const acct of ['big', 'base'] as const) {
    const page = await getJson(sessions[acct], first);
    if (page.status !== 200) throw new Error(`GET ${first} answered ${page.status}`);
    ids[acct] = page.body.conversations.map((c: { id: string }) => c.id);
    const firstOfAll = await getJson(sessions[acct], all);
    if (firstOfAll.status !== 200) throw new Error(`GET ${all} answered ${firstOfAll.status}`);
    cursors[acct] = firstOfAll.body.next;
  }
  const probes: Probe[] = [
    { name: `first page (open+pending, ${size})`, routes: () => [first] },
    { name: 'status filter (resolved)', routes: () => [`/conversations?status=resolved&limit=${size}`] },
    { name: 'unread filter', routes: () => [`/conversations?status=open,pending&unread=true&limit=${size}`] },
  ];
  if (cursors.big && cursors.base) {
    probes.push({ name: `next page (cursor; all statuses, ${nextLimit})`, routes: (a) => [`${all}&before=${encodeURIComponent(cursors[a]!)}`] });
  } else {
    notes.push(`next page: not measured (the ${cursors.big ? 'baseline' : 'big'} account has one page of ${nextLimit})`);
  }
  probes.push({
    name: 'open a conversation (detail + messages)',
    routes: (a, i) => {
      const id = ids[a][i % ids[a].length]!;
      return [`/conversations/${id}`, `/conversations/${id}/messages?limit=100`];
    },
  });

  // Search (`q`) is newer than this bench: 400 when the API does not know it, the whole list when
  // an API that does not check its parameters ignores it.
  const probe = await getJson(sessions.big, `/conversations?status=open,pending,snoozed,resolved&q=${encodeURIComponent('zq no such words zq')}&limit=${size}`);
  if (probe.status === 400) {
    notes.push(`search: not measured: the API refuses q (${probe.body?.error?.message ?? 'HTTP 400'})`);
  } else if (probe.status !== 200) {
    notes.push(`search: not measured: a search answered HTTP ${probe.status}`);
  } else if (probe.body.conversations.length > 0) {
    notes.push('search: not measured: the API ignores q (a search for words nobody wrote returned conversations)');
  } else {
    probes.push(
      { name: 'search a name (q=garcia)', routes: () => [`/conversations?status=open,pending&q=garcia&limit=${size}`] },
      { name: 'search message text (q=invoice)', routes: () => [`/conversations?status=open,pending&q=invoice&limit=${size}`] },
      { name: 'search, no match (q=zebra)', routes: () => [`/conversations?status=open,pending&q=zebra&limit=${size}`] },
    );
  }
  return probes;
}

async function measureApi(sessions: Record<'big' | 'base', Session>, notes: string[]): Promise<Array<{ name: string; big: Stats; base: Stats }>> {
  const probes = await probesFor(sessions, notes);
  // Warm-up: the first requests pay for JIT and cold caches.
  for (let i = 0; i < 10; i++) for (const p of probes) for (const a of ['big', 'base'] as const) await timed(sessions[a], p.routes(a, i));
  const samples = probes.map(() => ({ big: [] as number[], base: [] as number[] }));
  // Interleaved (figure by figure, account by account), so drift on a shared machine hits both.
  for (let i = 0; i < opts.samples; i++) {
    for (const [k, p] of probes.entries()) {
      for (const a of (i % 2 ? ['big', 'base'] : ['base', 'big']) as Array<'big' | 'base'>) samples[k]![a].push(await timed(sessions[a], p.routes(a, i)));
    }
  }
  return probes.map((p, k) => ({ name: p.name, big: stats(samples[k]!.big), base: stats(samples[k]!.base) }));
}

// ─── The browser ──────────────────────────────────────────────────────────────────────────────

function chromiumPath(): string {
  const candidates = [process.env.RINGBACK_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter((c): c is string => !!c);
  for (const c of candidates) {
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      // next
    }
  }
  throw new Error(`no Chromium (looked at ${candidates.join(', ')}; set RINGBACK_CHROMIUM), or run with --browser-runs 0`);
}

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * Records, in the page, when the conversation list first has a row (ms since navigation start,
 * the page's own clock), so the figure carries no DevTools round trip.
 */
const FIRST_ROWS_SCRIPT = `(() => {
  const rb = (window.__rbBench = { firstRowsAt: null });
  const check = () => {
    if (rb.firstRowsAt === null && document.querySelector('[aria-label="Conversations"] li a')) rb.firstRowsAt = performance.now();
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true });
})();`;

/** Clicks the i-th conversation and resolves with the ms until its messages are on screen. */
const OPEN_THREAD_SCRIPT = `(index) => new Promise((resolve, reject) => {
  const links = document.querySelectorAll('[aria-label="Conversations"] li a');
  if (links.length === 0) return reject(new Error('no conversation in the list'));
  const shown = () => {
    const log = document.querySelector('[role="log"][aria-label="Messages"]');
    return log && log.childElementCount > 0 && !log.textContent.includes('No messages yet');
  };
  const t0 = performance.now();
  const timer = setTimeout(() => { observer.disconnect(); reject(new Error('the thread did not show its messages within 20 s')); }, 20000);
  const observer = new MutationObserver(() => {
    if (!shown()) return;
    observer.disconnect();
    clearTimeout(timer);
    resolve(performance.now() - t0);
  });
  observer.observe(document.body, { childList: true, subtree: true, characterData: true });
  links[index % links.length].click();
})`;

async function browserContext(browser: Browser, s: Session): Promise<BrowserContext> {
  const context = await browser.newContext({ baseURL: s.base, viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(30_000);
  await context.addCookies(
    s.cookie.split('; ').map((pair) => {
      const eq = pair.indexOf('=');
      return { name: pair.slice(0, eq), value: pair.slice(eq + 1), url: s.base };
    }),
  );
  await context.addInitScript(FIRST_ROWS_SCRIPT);
  return context;
}

async function measureBrowser(browser: Browser, sessions: Record<'big' | 'base', Session>): Promise<Array<{ name: string; big: Stats; base: Stats }>> {
  const pages = {
    big: await (await browserContext(browser, sessions.big)).newPage(),
    base: await (await browserContext(browser, sessions.base)).newPage(),
  };
  const once = async (a: 'big' | 'base', i: number): Promise<{ load: number; open: number }> => {
    const page = pages[a];
    await page.goto('/inbox', { waitUntil: 'commit' });
    try {
      await page.waitForFunction('window.__rbBench && window.__rbBench.firstRowsAt !== null', undefined, { polling: 50, timeout: 30_000 });
    } catch (err) {
      const text = ((await page.evaluate('document.body ? document.body.innerText : ""').catch(() => '')) as string).replace(/\s+/g, ' ').slice(0, 400);
      throw new Error(`${a} account: the inbox showed no conversation row within 30 s at ${page.url()} (${(err as Error).message.split('\n')[0]}); the page said: ${text || '(nothing)'}`);
    }
    const load = (await page.evaluate('window.__rbBench.firstRowsAt')) as number;
    const open = (await page.evaluate(`(${OPEN_THREAD_SCRIPT})(${i})`)) as number;
    return { load, open };
  };
  // Warm-up: the app's files into the browser's cache, the server's code paths compiled.
  for (let i = 0; i < 2; i++) for (const a of ['big', 'base'] as const) await once(a, i);
  const load = { big: [] as number[], base: [] as number[] };
  const open = { big: [] as number[], base: [] as number[] };
  for (let i = 0; i < opts.browserRuns; i++) {
    for (const a of (i % 2 ? ['big', 'base'] : ['base', 'big']) as Array<'big' | 'base'>) {
      const r = await once(a, i * 7);
      load[a].push(r.load);
      open[a].push(r.open);
    }
  }
  await Promise.all([pages.big.context().close(), pages.base.context().close()]);
  return [
    { name: 'browser: navigation → first rows', big: stats(load.big), base: stats(load.base) },
    { name: 'browser: click → thread messages', big: stats(open.big), base: stats(open.base) },
  ];
}

// ─── Targets ──────────────────────────────────────────────────────────────────────────────────

interface TargetResult {
  store: 'sqlite' | 'postgres';
  seeding: { big: SeededAccount; base: SeededAccount };
  rows: Array<{ name: string; big: Stats; base: Stats }>;
  notes: string[];
}

function childEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || k.startsWith('RINGBACK_') || k === 'DATABASE_URL' || k === 'PORT') continue;
    env[k] = v;
  }
  return { ...env, ...extra };
}

async function runTarget(kind: 'sqlite' | 'postgres', browser: Browser | null, db: BenchDatabase | null): Promise<TargetResult> {
  const dir = mkdtempSync(path.join(process.env.BENCH_TMP ?? os.tmpdir(), `ringback-bench-inbox-${kind}-`));
  registerTempDir(dir);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // Small pools on Postgres: the server is shared (other users' tests); the inbox reads one query at a time.
  const env = childEnv({
    RINGBACK_DATA_DIR: dir,
    RINGBACK_HOST: '127.0.0.1',
    RINGBACK_PORT: String(port),
    RINGBACK_PUBLIC_URL: base,
    RINGBACK_ADMIN_API_KEY: ADMIN_API_KEY,
    RINGBACK_ADMIN_EMAIL: BIG_EMAIL,
    RINGBACK_ADMIN_PASSWORD: PASSWORD,
    RINGBACK_SECRET_KEY: SECRET_KEY,
    RINGBACK_DEMO: 'false',
    RINGBACK_LOG_LEVEL: 'warn',
    ...(db ? { DATABASE_URL: db.url, RINGBACK_DATABASE_POOL_SIZE: '5', RINGBACK_JOB_CONCURRENCY: '2' } : {}),
  });
  const server = new Child(`ringback (${kind})`, ['src/cli.ts', 'start'], env, ROOT);
  try {
    await waitReady(`${base}/readyz`, server, 120_000);
    log(`  ${kind}: Ringback is up at ${base}; seeding…`);
    // The bench's own connection to the same database, for the bulk insert.
    const store = db ? openPostgresStore({ url: db.url, poolSize: 2, statementTimeoutMs: 600_000, ssl: 'off', applicationName: 'ringback-bench-inbox' }) : openSqliteStore(path.join(dir, 'ringback.db'));
    let seeding: TargetResult['seeding'];
    try {
      seeding = await seedAccounts(store, decodeSecretKey(SECRET_KEY)!);
      // Planner statistics now, not whenever autovacuum gets to it mid-run (SQLite plans without them, as a fresh install does).
      if (db) await sql`analyze`.execute(store.db);
    } finally {
      await store.close();
    }
    log(`  ${kind}: seeded ${seeding.big.conversations.toLocaleString('en-US')} conversations (${seeding.big.messages.toLocaleString('en-US')} messages) in ${seeding.big.seconds.toFixed(1)} s, and ${seeding.base.conversations} (${seeding.base.messages} messages) in ${seeding.base.seconds.toFixed(1)} s`);
    const sessions = { big: await signIn(base, BIG_EMAIL), base: await signIn(base, BASE_EMAIL) };
    const notes: string[] = [];
    log(`  ${kind}: API, ${opts.samples} samples per figure and account…`);
    const rows = await measureApi(sessions, notes);
    if (browser && opts.browserRuns > 0) {
      log(`  ${kind}: Chromium, ${opts.browserRuns} page loads per account…`);
      rows.push(...(await measureBrowser(browser, sessions)));
    }
    if (!server.alive) throw new Error(`the server stopped during the run.\n${server.describeExit()}`);
    return { store: kind, seeding, rows, notes };
  } catch (err) {
    if (!server.alive || server.tail.length) (err as Error).message += `\n${server.describeExit(15)}`;
    throw err;
  } finally {
    await server.stop();
    removeTempDir(dir);
  }
}

// ─── The table ────────────────────────────────────────────────────────────────────────────────

function table(r: TargetResult): string {
  const f = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
  const x = (a: number, b: number) => (b > 0 ? `×${(a / b).toFixed(2)}` : '—');
  const big = r.seeding.big.conversations.toLocaleString('en-US');
  const base = r.seeding.base.conversations.toLocaleString('en-US');
  const nameWidth = Math.max(42, ...r.rows.map((row) => row.name.length + 2));
  const head = `${''.padEnd(nameWidth)}${`${base} conversations`.padEnd(24)}${`${big} conversations`.padEnd(24)}${big} / ${base}`;
  const sub = `${'ms'.padEnd(nameWidth)}${['p50', 'p95', 'p99'].map((p) => p.padStart(7)).join(' ').padEnd(24)}${['p50', 'p95', 'p99'].map((p) => p.padStart(7)).join(' ').padEnd(24)}${['p50', 'p95', 'p99'].map((p) => p.padStart(7)).join(' ')}`;
  const lines = r.rows.map((row) => {
    const cells = (s: Stats) => [s.p50, s.p95, s.p99].map((v) => f(v).padStart(7)).join(' ');
    const ratios = [x(row.big.p50, row.base.p50), x(row.big.p95, row.base.p95), x(row.big.p99, row.base.p99)].map((v) => v.padStart(7)).join(' ');
    return `${row.name.padEnd(nameWidth)}${cells(row.base).padEnd(24)}${cells(row.big).padEnd(24)}${ratios}`;
  });
  return [head, sub, ...lines].join('\n');
}

async function main(): Promise<number> {
  installExitHandlers();
  const startedAt = new Date();
  const load = os.loadavg();
  log(`inbox bench: ${opts.big.toLocaleString('en-US')} vs ${opts.base.toLocaleString('en-US')} conversations; ${opts.samples} API samples, ${opts.browserRuns} browser runs per figure and account`);
  log(`machine: ${os.cpus().length} cores, load average ${load.map((l) => l.toFixed(2)).join(' ')} before the start (a shared machine makes the figures noisy)`);

  const kinds: Array<'sqlite' | 'postgres'> = opts.postgres === 'only' ? [] : ['sqlite'];
  const adminUrl = process.env.BENCH_DATABASE_URL ?? DEFAULT_BENCH_DATABASE_URL;
  const skipped: string[] = [];
  let pg: Awaited<ReturnType<typeof probePostgres>> | null = null;
  if (opts.postgres !== 'off') {
    try {
      pg = await probePostgres(adminUrl);
      kinds.push('postgres');
      log(`postgres: ${pg.version} at ${redactUrl(adminUrl)}`);
    } catch (err) {
      const why = `postgres: NOT AVAILABLE at ${redactUrl(adminUrl)} (${(err as Error).message})`;
      log(why);
      skipped.push(why);
      if (opts.postgres === 'only') return 1;
    }
  }

  const browser = opts.browserRuns > 0 ? await chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_ARGS, timeout: 30_000 }) : null;
  const results: TargetResult[] = [];
  try {
    for (const kind of kinds) {
      const db = kind === 'postgres' && pg ? await createBenchDatabase(pg, 'inbox') : null;
      try {
        if (db) log(`  postgres: database ${db.name} (dropped afterwards)`);
        results.push(await runTarget(kind, browser, db));
      } finally {
        await db?.drop();
      }
    }
  } finally {
    await browser?.close();
  }

  for (const r of results) {
    log(`\n${r.store === 'sqlite' ? 'SQLite (embedded)' : 'PostgreSQL'}: ${r.seeding.big.conversations.toLocaleString('en-US')} conversations (${r.seeding.big.messages.toLocaleString('en-US')} messages) vs ${r.seeding.base.conversations} (${r.seeding.base.messages} messages), one server`);
    log(table(r));
    for (const n of r.notes) log(`  note: ${n}`);
  }
  log(`\nAPI: p50/p95/p99 over ${opts.samples} sequential requests per figure and account, signed in with a session cookie, after 10 warm-up rounds; "open a conversation" is the detail and the messages requested together, timed until both answered.`);
  if (opts.browserRuns > 0) log(`Browser: Chromium 1280×800, warm cache, ${opts.browserRuns} runs per account after 2 warm-up runs (p99 of so few runs is their maximum); times from the page's own clock.`);

  const resultsDir = path.join(ROOT, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `inbox-${startedAt.toISOString().replace(/[:]/g, '-').replace(/\.\d+Z$/, 'Z')}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      {
        bench: 'inbox',
        startedAt: startedAt.toISOString(),
        machine: { cores: os.cpus().length, loadAverageBefore: load },
        options: opts,
        postgres: opts.postgres === 'off' ? null : { server: redactUrl(adminUrl), version: pg?.version ?? null, skipped },
        targets: results.map((r) => ({
          store: r.store,
          seeding: r.seeding,
          notes: r.notes,
          figures: r.rows.map((row) => ({
            name: row.name,
            base: row.base,
            big: row.big,
            ratio: { p50: row.big.p50 / row.base.p50, p95: row.big.p95 / row.base.p95, p99: row.big.p99 / row.base.p99 },
          })),
        })),
      },
      null,
      2,
    ) + '\n',
  );
  log(`\nresults: ${path.relative(process.cwd(), file)}`);
  return 0;
}

main().then(
  async (code) => {
    await cleanup();
    process.exit(code);
  },
  async (err: unknown) => {
    process.stderr.write(`\ninbox bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
    if (err instanceof Error && err.stack) process.stderr.write(`${err.stack.split('\n').slice(1, 6).join('\n')}\n`);
    await cleanup();
    process.exit(1);
  },
);
