// Live updates for the inbox: services publish small events inside the transactions that change
// the data, and every web process fans them out to its open streams (GET /api/v1/events). A
// browser may be connected to any web process, and the change may happen in any process (a
// worker records a text's status), so on Postgres events travel by NOTIFY through the database;
// on SQLite there is one process, and an in-process fan-out after commit is all it takes.
//
// Events carry ids and a few fields, never message bodies: clients fetch what they show by id,
// and Postgres refuses NOTIFY payloads of 8000 bytes or more.
import { sql } from 'kysely';
import pg from 'pg';
import type { Logger } from 'pino';
import type { Decision } from '../domain/text-back-decision.ts';
import type { Store, Tx } from '../store/database.ts';
import { newId } from '../store/ids.ts';
import type { PostgresStore } from '../store/postgres-store.ts';
import type { MessageStatus } from '../store/schema.ts';

/** What each event type carries. */
export interface LiveEventData {
  /** An inbound text was stored (keywords such as STOP included: they are messages too). */
  'message.received': { conversationId: string; messageId: string; contactId: string };
  /** An outbound message moved to another status (sending, sent, delivered, failed, expired, …). */
  'message.status': { conversationId: string; messageId: string; status: MessageStatus; errorCode: string | null };
  /** A missed call was decided on; messageId is the queued text-back, if one was queued. */
  'call.decided': { callId: string; decision: Decision['action']; reason: Decision['reason']; messageId: string | null; contactId: string | null };
  /** Status, assignee, snooze, read state, flag or automation changed; or a note was added. */
  'conversation.updated': {
    conversationId: string;
    change?: 'status' | 'assignment' | 'snooze' | 'read' | 'flag' | 'automation' | 'note' | 'contact';
    status?: 'open' | 'pending' | 'snoozed' | 'resolved';
    assigneeUserId?: string | null;
  };
  /** A task was created, or changed (done, reassigned, reminded, escalated). */
  'task.updated': { taskId: string; status: 'open' | 'done'; change: 'created' | 'done' | 'reopened' | 'assigned' | 'reminded' | 'escalated' | 'edited'; contactId: string | null; dueAt: string | null };
  /** A lead changed stage. */
  'lead.stage_changed': { leadId: string; contactId: string; from: string; to: string };
  /** A contact's details, opt-out or block state changed. */
  'contact.updated': { contactId: string };
}

export type LiveEventType = keyof LiveEventData;

export type LiveEvent = {
  [T in LiveEventType]: {
    type: T;
    accountId: string;
    /** Unique and time-sortable (evt_…); the SSE `id:` line. */
    id: string;
    /** When it happened (ISO time). */
    at: string;
    data: LiveEventData[T];
  };
}[LiveEventType];

export type LiveEventListener = (event: LiveEvent) => void;

export interface SubscribeOptions {
  /**
   * Called when events for this subscriber may have been lost (the Postgres LISTEN connection
   * dropped and is back). The subscriber should make its client re-fetch.
   */
  onGap?: () => void;
}

export interface EventBus {
  /** Publishes `event` if and when `tx` commits; a rolled-back transaction publishes nothing. */
  publish(tx: Tx, event: LiveEvent): Promise<void>;
  /** Listens to one account's events in this process; returns the unsubscribe function. */
  subscribe(accountId: string, listener: LiveEventListener, opts?: SubscribeOptions): () => void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export const EVENTS_CHANNEL = 'ringback_events';
/** Postgres refuses a NOTIFY payload of 8000 bytes or more (with the default block size). */
export const MAX_EVENT_BYTES = 7999;

/** Builds an event with a fresh id. */
export function liveEvent<T extends LiveEventType>(type: T, accountId: string, data: LiveEventData[T], at: Date): LiveEvent {
  return { type, accountId, id: newId('evt', at.getTime()), at: at.toISOString(), data } as LiveEvent;
}

/**
 * The wire form. Checked on both stores, so an event that grew too big (a body slipped into
 * `data`) fails in the SQLite test pass too, not only in production on Postgres.
 */
export function encodeEvent(event: LiveEvent): string {
  const json = JSON.stringify(event);
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > MAX_EVENT_BYTES) {
    throw new Error(`live event ${event.type} is ${bytes} bytes; events carry ids only and must stay under ${MAX_EVENT_BYTES + 1} bytes`);
  }
  return json;
}

function decodeEvent(payload: string): LiveEvent | undefined {
  try {
    const value = JSON.parse(payload) as Partial<LiveEvent> | null;
    if (!value || typeof value.type !== 'string' || typeof value.accountId !== 'string' || typeof value.id !== 'string') return undefined;
    return value as LiveEvent;
  } catch {
    return undefined;
  }
}

interface Subscriber {
  listener: LiveEventListener;
  onGap: (() => void) | undefined;
}

/** This process's subscribers by account. A map of sets, not an EventEmitter: no listener-count warnings at 11 open tabs. */
class Subscribers {
  private readonly byAccount = new Map<string, Set<Subscriber>>();
  private readonly logger: Logger | undefined;

  constructor(logger: Logger | undefined) {
    this.logger = logger;
  }

  add(accountId: string, listener: LiveEventListener, opts: SubscribeOptions): () => void {
    const sub: Subscriber = { listener, onGap: opts.onGap };
    let set = this.byAccount.get(accountId);
    if (!set) this.byAccount.set(accountId, (set = new Set()));
    set.add(sub);
    return () => {
      const current = this.byAccount.get(accountId);
      if (!current) return;
      current.delete(sub);
      if (current.size === 0) this.byAccount.delete(accountId);
    };
  }

  deliver(event: LiveEvent): void {
    const set = this.byAccount.get(event.accountId);
    if (!set) return;
    for (const sub of [...set]) {
      // One broken stream must not keep the event from the others.
      try {
        sub.listener(event);
      } catch (err) {
        this.logger?.warn({ err, eventType: event.type }, 'a live event subscriber failed');
      }
    }
  }

  gap(): void {
    for (const set of this.byAccount.values()) {
      for (const sub of [...set]) {
        try {
          sub.onGap?.();
        } catch (err) {
          this.logger?.warn({ err }, 'a live event subscriber failed');
        }
      }
    }
  }
}

/** One process (SQLite): events go to this process's subscribers once the transaction commits. */
export class InProcessEventBus implements EventBus {
  private readonly subscribers: Subscribers;

  constructor(opts: { logger?: Logger } = {}) {
    this.subscribers = new Subscribers(opts.logger);
  }

  async publish(tx: Tx, event: LiveEvent): Promise<void> {
    encodeEvent(event);
    tx.afterCommit(() => this.subscribers.deliver(event));
  }

  subscribe(accountId: string, listener: LiveEventListener, opts: SubscribeOptions = {}): () => void {
    return this.subscribers.add(accountId, listener, opts);
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}
}

export interface PostgresEventBusOptions {
  logger?: Logger;
  /** Reconnect delays after the LISTEN connection drops: doubling from baseMs, capped at capMs. */
  backoff?: { baseMs: number; capMs: number };
  /** How often the LISTEN connection is checked; a silently dead TCP connection delivers nothing. */
  pingIntervalMs?: number;
}

/**
 * Several processes (Postgres): publish is `pg_notify` inside the transaction (Postgres delivers
 * it only on commit, to every session listening on that database), and each process holds one
 * dedicated connection that LISTENs and fans out to its own subscribers. Local subscribers hear
 * their own process's events the same way, through the database, so ordering is the commit order
 * everywhere.
 *
 * While that connection is down, notifications for this process are lost: Postgres queues them
 * only for sessions that are listening. A browser connected here misses every event committed
 * from the drop until LISTEN is re-established, whichever process made the change. So once it is
 * back, every subscriber hears onGap, and the SSE route ends its streams: browsers reconnect and,
 * as on any reconnect, re-fetch what they show.
 */
export class PostgresEventBus implements EventBus {
  private readonly store: Pick<PostgresStore, 'pool'>;
  private readonly subscribers: Subscribers;
  private readonly logger: Logger | undefined;
  private readonly backoff: { baseMs: number; capMs: number };
  private readonly pingIntervalMs: number;
  private client: pg.Client | undefined;
  private stopped = true;
  private failures = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;

  constructor(store: Pick<PostgresStore, 'pool'>, opts: PostgresEventBusOptions = {}) {
    this.store = store;
    this.logger = opts.logger;
    this.subscribers = new Subscribers(opts.logger);
    this.backoff = opts.backoff ?? { baseMs: 250, capMs: 10_000 };
    this.pingIntervalMs = opts.pingIntervalMs ?? 30_000;
  }

  /** True while the LISTEN connection is up. */
  get listening(): boolean {
    return this.client !== undefined;
  }

  async publish(tx: Tx, event: LiveEvent): Promise<void> {
    // NOTIFY is transactional: held until commit, dropped on rollback. Identical payloads in one
    // transaction would be folded into one, but every event has its own id.
    await sql`select pg_notify(${EVENTS_CHANNEL}, ${encodeEvent(event)})`.execute(tx.db);
  }

  subscribe(accountId: string, listener: LiveEventListener, opts: SubscribeOptions = {}): () => void {
    return this.subscribers.add(accountId, listener, opts);
  }

  /** Connects and LISTENs; a database that cannot be reached at start fails the start. */
  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    try {
      await this.connect();
    } catch (err) {
      this.stopped = true;
      throw err;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    this.retryTimer = undefined;
    this.pingTimer = undefined;
    const client = this.client;
    this.client = undefined;
    if (client) await client.end().catch(() => {});
  }

  private async connect(): Promise<void> {
    const options = this.store.pool.options;
    const client = new pg.Client({
      ...options,
      // pg-pool keeps the password as a non-enumerable property, which a spread leaves behind.
      password: options.password,
      application_name: `${options.application_name ?? 'ringback'}-events`,
      keepAlive: true,
      // The LISTEN and the pings are instant; one that hangs means the connection is gone.
      query_timeout: 10_000,
    });
    client.on('notification', (msg) => {
      if (msg.channel !== EVENTS_CHANNEL || !msg.payload) return;
      const event = decodeEvent(msg.payload);
      if (event) this.subscribers.deliver(event);
      else this.logger?.warn({ channel: msg.channel }, 'ignored a malformed live event');
    });
    // Without an 'error' listener a dropped connection would crash the process.
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`listen ${EVENTS_CHANNEL}`);
    } catch (err) {
      client.end().catch(() => {});
      throw err;
    }
    if (this.stopped) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    this.pingTimer = setInterval(() => {
      client.query('select 1').catch((err: unknown) => this.lost(client, err));
    }, this.pingIntervalMs);
    this.pingTimer.unref();
  }

  private lost(client: pg.Client, err?: unknown): void {
    if (this.client !== client) return; // not the live connection (already replaced, or still connecting)
    this.client = undefined;
    clearInterval(this.pingTimer);
    this.pingTimer = undefined;
    client.end().catch(() => {});
    if (this.stopped) return;
    this.logger?.warn({ err: err instanceof Error ? err.message : undefined }, 'live events: the LISTEN connection dropped; reconnecting');
    this.reconnectLater();
  }

  private reconnectLater(): void {
    const delay = Math.min(this.backoff.capMs, this.backoff.baseMs * 2 ** this.failures);
    // Jitter, so web processes that lost the database together do not all return at once.
    const jittered = Math.round(delay * (0.5 + Math.random() / 2));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.connect().then(
        () => {
          if (this.stopped || !this.client) return;
          this.failures = 0;
          this.logger?.info('live events: listening again');
          this.subscribers.gap();
        },
        (err: unknown) => {
          this.failures += 1;
          if (this.stopped) return;
          this.logger?.warn({ err: err instanceof Error ? err.message : String(err), failures: this.failures }, 'live events: could not reconnect');
          this.reconnectLater();
        },
      );
    }, jittered);
    this.retryTimer.unref();
  }
}

/** The bus for this store: in-process on SQLite, LISTEN/NOTIFY on Postgres. */
export function createEventBus(store: Store, opts: PostgresEventBusOptions = {}): EventBus {
  if (store.kind === 'postgres') return new PostgresEventBus(store as PostgresStore, opts);
  return new InProcessEventBus(opts.logger ? { logger: opts.logger } : {});
}
