// Outgoing webhooks: an account's endpoints hear about missed calls, replies, pipeline moves and
// overdue tasks. Each happening becomes one delivery per subscribed endpoint, written in the
// happening's own transaction with its job (unique per endpoint and event, so a replayed carrier
// webhook sends nothing twice). The job POSTs the JSON, signed Stripe-style with the endpoint's
// secret, logs every attempt, and retries non-2xx answers and timeouts with the job runner's
// backoff until webhookMaxAttempts; then the delivery is failed and the owners are told.
import { createHash, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { SIGNATURE_HEADER, signWebhook } from '../domain/webhook-signature.ts';
import { RetryLaterError, type TaskDefinition } from '../jobs/job-queue.ts';
import { findContact } from '../store/contacts-repository.ts';
import type { Tx } from '../store/database.ts';
import { newId } from '../store/ids.ts';
import type { PageCursor } from '../store/paging.ts';
import type { Contact, Line, WebhookDelivery, WebhookEndpoint } from '../store/schema.ts';
import { findMember } from '../store/team-repository.ts';
import * as repo from '../store/webhooks-repository.ts';
import type { ModuleRegistry, ServiceContext } from './context.ts';
import { AppError, conflict, notFound } from './errors.ts';
import { alertWebhookFailure } from './notifications.ts';

export const DELIVER_WEBHOOK_TASK = 'deliver-webhook';
export const WEBHOOK_EVENTS = ['call.missed', 'message.received', 'lead.stage_changed', 'task.overdue'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENTS)[number];
export const USER_AGENT = 'Ringback-Webhooks/1';
/** How much of an endpoint's answer the delivery log keeps. */
const EXCERPT_BYTES = 512;
/** A Retry-After longer than this is capped: the job's own attempts still bound the total. */
const MAX_RETRY_AFTER_MS = 60 * 60_000;

export function installOutgoingWebhooks(ctx: ServiceContext, reg: ModuleRegistry): void {
  reg.hooks.on('message.received', 'outgoing-webhooks', async (c, tx, d) => {
    // The carrier's id names the happening (see webhookEventId): a carrier retry is the same event.
    const key = d.message.carrier_message_id ? `${d.line.id}:${d.message.carrier_message_id}` : d.message.id;
    await emitWebhookEvent(c, tx, d.account.id, 'message.received', key, {
      conversationId: d.conversation.id,
      messageId: d.message.id,
      body: d.message.body,
      receivedAt: d.message.created_at,
      /** opt_out / opt_in / help for keywords; message for anything else. */
      intent: d.reading.intent,
      contact: contactData(d.contact),
      line: lineData(d.line),
    });
  });
  reg.hooks.on('call.missed', 'outgoing-webhooks', async (c, tx, d) => {
    const { call } = d;
    await emitWebhookEvent(c, tx, d.account.id, 'call.missed', call.id, {
      call: {
        id: call.id,
        from: call.from_number ?? call.from_raw,
        to: call.to_number,
        startedAt: call.started_at,
        endedAt: call.ended_at,
        outcome: call.outcome,
        decision: { action: d.decision.action, reason: d.decision.reason },
        textBackMessageId: d.messageId,
        voicemail: call.voicemail_url ? { url: call.voicemail_url, transcript: call.voicemail_transcript } : null,
      },
      contact: contactData(d.contact),
      line: lineData(d.line),
      leadId: d.lead?.id ?? null,
    });
  });
  reg.hooks.on('lead.stage_changed', 'outgoing-webhooks', async (c, tx, d) => {
    const contact = await findContact(tx.db, d.account.id, d.lead.contact_id);
    // A lead may pass through the same two stages again later; updated_at tells the moves apart.
    await emitWebhookEvent(c, tx, d.account.id, 'lead.stage_changed', `${d.lead.id}:${d.from}:${d.to}:${d.lead.updated_at}`, {
      leadId: d.lead.id,
      from: d.from,
      to: d.to,
      valueCents: d.lead.value_cents,
      source: d.lead.source,
      actor: d.actor,
      contact: contactData(contact ?? null),
    });
  });
  reg.hooks.on('task.overdue', 'outgoing-webhooks', async (c, tx, d) => {
    const { task } = d;
    const assignee = task.assignee_user_id ? await findMember(tx.db, d.account.id, task.assignee_user_id) : undefined;
    await emitWebhookEvent(c, tx, d.account.id, 'task.overdue', task.id, {
      task: {
        id: task.id,
        kind: task.kind,
        title: task.title,
        dueAt: task.due_at,
        assignee: assignee ? { userId: assignee.userId, name: assignee.name, email: assignee.email } : null,
        conversationId: task.conversation_id,
        leadId: task.lead_id,
      },
      contact: contactData(d.contact),
    });
  });
  reg.runner.register(DELIVER_WEBHOOK_TASK, createDeliverWebhookTask(ctx));
}

function contactData(c: Contact | null) {
  return c ? { id: c.id, number: c.number, name: c.name } : null;
}

function lineData(l: Line) {
  return { id: l.id, number: l.number, name: l.name };
}

/** Written validated; read forgivingly, because a hook handler that throws fails the happening itself. */
function eventsOf(e: Pick<WebhookEndpoint, 'events'>): string[] {
  try {
    const events: unknown = JSON.parse(e.events);
    return Array.isArray(events) ? events.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

/**
 * The event id is derived from what happened, not drawn at random: the same happening (a
 * carrier's retry that slipped past its own dedupe) gets the same id, which the unique
 * (endpoint, event) pair then refuses. Receivers dedupe on it too.
 */
export function webhookEventId(accountId: string, type: string, key: string): string {
  return `evt_${createHash('sha256').update(`${accountId}\n${type}\n${key}`).digest('hex').slice(0, 32)}`;
}

async function emitWebhookEvent(ctx: ServiceContext, tx: Tx, accountId: string, type: WebhookEventType, key: string, data: Record<string, unknown>): Promise<void> {
  const endpoints = (await repo.listEnabledEndpoints(tx.db, accountId)).filter((e) => eventsOf(e).includes(type));
  if (endpoints.length === 0) return;
  const eventId = webhookEventId(accountId, type, key);
  const now = ctx.clock().toISOString();
  const payload = JSON.stringify({ id: eventId, type, createdAt: now, accountId, data });
  for (const endpoint of endpoints) await insertAndEnqueue(ctx, tx, endpoint, eventId, type, payload, now);
}

/** A redelivery's job has a key under this one (`whd:<id>:…`), so whenDue finds either. */
function deliveryJobKey(deliveryId: string): string {
  return `whd:${deliveryId}`;
}

async function insertAndEnqueue(ctx: ServiceContext, tx: Tx, endpoint: WebhookEndpoint, eventId: string, type: string, payload: string, now: string): Promise<string | null> {
  const id = newId('whd');
  const inserted = await repo.insertDelivery(tx.db, {
    id,
    account_id: endpoint.account_id,
    endpoint_id: endpoint.id,
    event_id: eventId,
    event_type: type,
    payload,
    status: 'pending',
    created_at: now,
    updated_at: now,
  });
  if (!inserted) return null;
  await ctx.jobs.enqueue(tx, { task: DELIVER_WEBHOOK_TASK, payload: { deliveryId: id }, jobKey: deliveryJobKey(id), maxAttempts: ctx.config.webhookMaxAttempts });
  return id;
}

// ---------------------------------------------------------------------------------------------
// Delivery

interface AttemptResult {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  excerpt: string | null;
  durationMs: number;
  retryAfterMs: number | null;
}

async function readExcerpt(res: Response): Promise<string | null> {
  if (!res.body) return null;
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < EXCERPT_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    // The rest of a large answer is not worth waiting for.
    await reader.cancel().catch(() => {});
  }
  const text = Buffer.concat(chunks).subarray(0, EXCERPT_BYTES).toString('utf8');
  return text === '' ? null : text;
}

function retryAfterMs(res: Response): number | null {
  const value = res.headers.get('retry-after');
  if (!value) return null;
  const seconds = /^\d+$/.test(value.trim()) ? Number(value) * 1000 : Date.parse(value) - Date.now();
  return Number.isFinite(seconds) && seconds > 0 ? Math.min(seconds, MAX_RETRY_AFTER_MS) : null;
}

/** One POST: redirects are not followed (a signed request must reach the URL the owner gave). */
async function post(url: string, headers: Record<string, string>, body: string, timeoutMs: number): Promise<AttemptResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const res = await fetch(url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
    const excerpt = await readExcerpt(res).catch(() => null);
    const ok = res.status >= 200 && res.status < 300;
    const error = ok
      ? null
      : res.status >= 300 && res.status < 400
        ? `answered ${res.status} (a redirect${res.headers.get('location') ? ` to ${res.headers.get('location')}` : ''}); redirects are not followed: give the final URL`
        : `answered ${res.status}`;
    return { ok, statusCode: res.status, error, excerpt, durationMs: elapsed(), retryAfterMs: ok ? null : retryAfterMs(res) };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const error =
      e.name === 'TimeoutError'
        ? `no answer within ${timeoutMs} ms (timeout)`
        : `could not connect: ${e.cause?.code ?? e.cause?.message ?? e.message}`;
    return { ok: false, statusCode: null, error, excerpt: null, durationMs: elapsed(), retryAfterMs: null };
  }
}

function createDeliverWebhookTask(ctx: ServiceContext): TaskDefinition {
  return {
    async run(payload) {
      const id = String(payload.deliveryId);
      const d = await repo.findDeliveryForSending(ctx.store.db, id);
      if (!d || d.status !== 'pending') return;
      if (d.endpoint_enabled !== 1 && d.event_type !== 'ping') {
        await repo.transitionDelivery(ctx.store.db, id, ['pending'], {
          status: 'failed',
          last_error: 'the endpoint was disabled before this event could be delivered',
          updated_at: ctx.clock().toISOString(),
        });
        return;
      }
      const secret = String(ctx.carriers.open({ credentials: d.sealed_secret }).secret);
      const attempt = d.attempts + 1;
      const headers = {
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
        'ringback-event-id': d.event_id,
        'ringback-event-type': d.event_type,
        'ringback-delivery-id': d.id,
        // Signed now, not when the event happened: a retry hours later must still pass the
        // receiver's 5-minute window.
        [SIGNATURE_HEADER]: signWebhook(secret, d.payload, Math.floor(ctx.clock().getTime() / 1000)),
      };
      const result = await post(d.url, headers, d.payload, ctx.config.webhookTimeoutMs);
      const at = ctx.clock().toISOString();
      await ctx.store.transaction(async (tx) => {
        await repo.insertAttempt(tx.db, {
          id: newId('wha'),
          delivery_id: id,
          attempt,
          status_code: result.statusCode,
          error: result.error,
          duration_ms: result.durationMs,
          response_excerpt: result.excerpt,
          attempted_at: at,
        });
        await repo.transitionDelivery(tx.db, id, ['pending'], {
          attempts: attempt,
          last_status_code: result.statusCode,
          last_error: result.error,
          ...(result.ok ? { status: 'delivered', delivered_at: at } : {}),
          updated_at: at,
        });
      });
      if (result.ok) return;
      const message = `webhook to ${d.url}: ${result.error}`;
      throw result.retryAfterMs ? new RetryLaterError(message, result.retryAfterMs) : new Error(message);
    },

    async onExhausted(payload, error) {
      const id = String(payload.deliveryId);
      const d = await repo.findDeliveryForSending(ctx.store.db, id);
      if (!d) return;
      await ctx.store.transaction(async (tx) => {
        const failed = await repo.transitionDelivery(tx.db, id, ['pending'], {
          status: 'failed',
          last_error: d.last_error ?? error.message,
          updated_at: ctx.clock().toISOString(),
        });
        // A ping is someone testing right now, looking at the log; no need to email them.
        if (!failed || d.event_type === 'ping') return;
        await alertWebhookFailure(ctx, tx, {
          accountId: d.account_id,
          endpointId: d.endpoint_id,
          url: d.url,
          eventType: d.event_type,
          attempts: d.attempts,
          lastError: d.last_error ?? error.message,
        });
      });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Endpoints (the API)

export interface EndpointView {
  id: string;
  url: string;
  description: string | null;
  events: string[];
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
}

function presentEndpoint(e: WebhookEndpoint): EndpointView {
  return { id: e.id, url: e.url, description: e.description, events: eventsOf(e), enabled: e.enabled === 1, createdAt: e.created_at, updatedAt: e.updated_at };
}

function newSecret(): string {
  return `whsec_${randomBytes(24).toString('base64url')}`;
}

async function endpointOf(ctx: ServiceContext, accountId: string, id: string): Promise<WebhookEndpoint> {
  const e = await repo.findEndpoint(ctx.store.db, accountId, id);
  if (!e) throw notFound(`webhook endpoint ${id}`);
  return e;
}

export interface NewEndpoint {
  url: string;
  events: WebhookEventType[];
  description?: string | null | undefined;
}

/** The secret is returned here (and on rotation) only; it is stored sealed. */
export async function createEndpoint(ctx: ServiceContext, accountId: string, input: NewEndpoint): Promise<{ endpoint: EndpointView; secret: string }> {
  const secret = newSecret();
  const now = ctx.clock().toISOString();
  const row = {
    id: newId('whe'),
    account_id: accountId,
    url: input.url,
    description: input.description ?? null,
    events: JSON.stringify([...new Set(input.events)]),
    secret: ctx.carriers.seal({ secret }),
    enabled: 1,
    created_at: now,
    updated_at: now,
  };
  await repo.insertEndpoint(ctx.store.db, row);
  return { endpoint: presentEndpoint(row), secret };
}

export async function listEndpointViews(ctx: ServiceContext, accountId: string): Promise<EndpointView[]> {
  return (await repo.listEndpoints(ctx.store.db, accountId)).map(presentEndpoint);
}

export async function getEndpoint(ctx: ServiceContext, accountId: string, id: string): Promise<EndpointView> {
  return presentEndpoint(await endpointOf(ctx, accountId, id));
}

export async function updateEndpointSettings(
  ctx: ServiceContext,
  accountId: string,
  id: string,
  patch: { url?: string | undefined; events?: WebhookEventType[] | undefined; enabled?: boolean | undefined; description?: string | null | undefined },
): Promise<EndpointView> {
  await endpointOf(ctx, accountId, id);
  await repo.updateEndpoint(ctx.store.db, accountId, id, {
    ...(patch.url !== undefined ? { url: patch.url } : {}),
    ...(patch.events !== undefined ? { events: JSON.stringify([...new Set(patch.events)]) } : {}),
    ...(patch.enabled !== undefined ? { enabled: patch.enabled ? 1 : 0 } : {}),
    ...(patch.description !== undefined ? { description: patch.description } : {}),
    updated_at: ctx.clock().toISOString(),
  });
  return getEndpoint(ctx, accountId, id);
}

export async function removeEndpoint(ctx: ServiceContext, accountId: string, id: string): Promise<void> {
  const removed = await ctx.store.transaction((tx) => repo.deleteEndpoint(tx.db, accountId, id));
  if (!removed) throw notFound(`webhook endpoint ${id}`);
}

/** A new secret at once; the old one stops verifying with the next delivery. */
export async function rotateEndpointSecret(ctx: ServiceContext, accountId: string, id: string): Promise<{ endpoint: EndpointView; secret: string }> {
  await endpointOf(ctx, accountId, id);
  const secret = newSecret();
  await repo.updateEndpoint(ctx.store.db, accountId, id, { secret: ctx.carriers.seal({ secret }), updated_at: ctx.clock().toISOString() });
  return { endpoint: await getEndpoint(ctx, accountId, id), secret };
}

/** Sends a `ping` event now (also to a disabled endpoint: that is how one checks it before enabling). */
export async function sendTestEvent(ctx: ServiceContext, accountId: string, id: string): Promise<DeliveryView> {
  const endpoint = await endpointOf(ctx, accountId, id);
  const now = ctx.clock().toISOString();
  const eventId = `evt_${randomBytes(16).toString('hex')}`;
  const payload = JSON.stringify({
    id: eventId,
    type: 'ping',
    createdAt: now,
    accountId,
    data: { endpointId: endpoint.id, message: 'A test event from Ringback: if you can read this, your endpoint works.' },
  });
  const deliveryId = await ctx.store.transaction((tx) => insertAndEnqueue(ctx, tx, endpoint, eventId, 'ping', payload, now));
  return (await deliveryViews(ctx, [(await repo.findDelivery(ctx.store.db, accountId, id, deliveryId!))!]))[0]!;
}

export interface AttemptView {
  attempt: number;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
  responseExcerpt: string | null;
  attemptedAt: string;
}

export interface DeliveryView {
  id: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  status: WebhookDelivery['status'];
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  deliveredAt: string | null;
  createdAt: string;
  updatedAt: string;
  /** While pending: when the next attempt is due (a retry's time); null while one is being made, and once delivered or failed. */
  nextAttemptAt: string | null;
  payload: unknown;
  attemptLog: AttemptView[];
}

async function deliveryViews(ctx: ServiceContext, rows: WebhookDelivery[]): Promise<DeliveryView[]> {
  const attempts = await repo.listAttempts(ctx.store.db, rows.map((d) => d.id));
  // The retry's time lives with its job, not the delivery: the runner picks it (backoff, jitter, Retry-After).
  const due = await Promise.all(rows.map((d) => (d.status === 'pending' ? ctx.jobs.whenDue(deliveryJobKey(d.id)) : null)));
  return rows.map((d, i) => ({
    id: d.id,
    endpointId: d.endpoint_id,
    eventId: d.event_id,
    eventType: d.event_type,
    status: d.status,
    attempts: d.attempts,
    lastStatusCode: d.last_status_code,
    lastError: d.last_error,
    deliveredAt: d.delivered_at,
    createdAt: d.created_at,
    updatedAt: d.updated_at,
    nextAttemptAt: due[i]?.toISOString() ?? null,
    payload: JSON.parse(d.payload) as unknown,
    attemptLog: attempts
      .filter((a) => a.delivery_id === d.id)
      .map((a) => ({
        attempt: a.attempt,
        statusCode: a.status_code,
        error: a.error,
        durationMs: a.duration_ms,
        responseExcerpt: a.response_excerpt,
        attemptedAt: a.attempted_at,
      })),
  }));
}

export async function listDeliveryLog(
  ctx: ServiceContext,
  accountId: string,
  endpointId: string,
  f: { limit: number; before?: PageCursor },
): Promise<DeliveryView[]> {
  await endpointOf(ctx, accountId, endpointId);
  return deliveryViews(ctx, await repo.listDeliveries(ctx.store.db, { accountId, endpointId, ...f }));
}

export async function getDelivery(ctx: ServiceContext, accountId: string, endpointId: string, deliveryId: string): Promise<DeliveryView> {
  await endpointOf(ctx, accountId, endpointId);
  const delivery = await repo.findDelivery(ctx.store.db, accountId, endpointId, deliveryId);
  if (!delivery) throw notFound(`delivery ${deliveryId} of webhook endpoint ${endpointId}`);
  return (await deliveryViews(ctx, [delivery]))[0]!;
}

/** Sends a delivered or failed delivery again: same event id and body, a fresh signature. */
export async function redeliver(ctx: ServiceContext, accountId: string, endpointId: string, deliveryId: string): Promise<DeliveryView> {
  const endpoint = await endpointOf(ctx, accountId, endpointId);
  const delivery = await repo.findDelivery(ctx.store.db, accountId, endpointId, deliveryId);
  if (!delivery) throw notFound(`delivery ${deliveryId} of webhook endpoint ${endpointId}`);
  if (endpoint.enabled !== 1 && delivery.event_type !== 'ping') throw conflict('the endpoint is disabled: enable it first');
  await ctx.store.transaction(async (tx) => {
    const now = ctx.clock().toISOString();
    const reopened = await repo.transitionDelivery(tx.db, deliveryId, ['delivered', 'failed'], { status: 'pending', delivered_at: null, updated_at: now });
    if (!reopened) throw new AppError('conflict', 'this delivery is still being attempted; wait for it to be delivered or to fail');
    // A key of its own: the first job's key may still be held by its failed job row (the SQLite
    // queue keeps failed jobs with their keys). The guarded reopen above makes this the only job.
    await ctx.jobs.enqueue(tx, {
      task: DELIVER_WEBHOOK_TASK,
      payload: { deliveryId },
      jobKey: `${deliveryJobKey(deliveryId)}:${newId('redeliver')}`,
      maxAttempts: ctx.config.webhookMaxAttempts,
    });
  });
  return (await deliveryViews(ctx, [(await repo.findDelivery(ctx.store.db, accountId, endpointId, deliveryId))!]))[0]!;
}
