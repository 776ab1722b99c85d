// Outgoing webhooks: an account's endpoints, one delivery per (endpoint, event) — unique, so a
// replayed happening adds nothing — and every attempt of a delivery, for the delivery log.
import type { Insertable, Updateable } from 'kysely';
import type { Db } from './database.ts';
import { olderThan, type PageCursor } from './paging.ts';
import type { WebhookDeliveriesTable, WebhookDelivery, WebhookEndpoint, WebhookEndpointsTable, WebhookAttemptsTable } from './schema.ts';
import type { Selectable } from 'kysely';

export type WebhookAttempt = Selectable<WebhookAttemptsTable>;

export async function insertEndpoint(db: Db, row: Insertable<WebhookEndpointsTable>): Promise<void> {
  await db.insertInto('webhook_endpoints').values(row).execute();
}

export async function listEndpoints(db: Db, accountId: string): Promise<WebhookEndpoint[]> {
  return db.selectFrom('webhook_endpoints').selectAll().where('account_id', '=', accountId).orderBy('created_at').orderBy('id').execute();
}

/** The account's enabled endpoints (the caller filters by event: the list is a JSON column). */
export async function listEnabledEndpoints(db: Db, accountId: string): Promise<WebhookEndpoint[]> {
  return db
    .selectFrom('webhook_endpoints')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('enabled', '=', 1)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

export async function findEndpoint(db: Db, accountId: string, id: string): Promise<WebhookEndpoint | undefined> {
  return db.selectFrom('webhook_endpoints').selectAll().where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
}

export async function updateEndpoint(db: Db, accountId: string, id: string, patch: Updateable<WebhookEndpointsTable>): Promise<boolean> {
  const result = await db.updateTable('webhook_endpoints').set(patch).where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** Deliveries and their attempts go with it (foreign keys cascade). */
export async function deleteEndpoint(db: Db, accountId: string, id: string): Promise<boolean> {
  // Attempts first: SQLite enforces the cascade only with foreign_keys on; do not depend on it.
  await db
    .deleteFrom('webhook_attempts')
    .where('delivery_id', 'in', db.selectFrom('webhook_deliveries').select('id').where('account_id', '=', accountId).where('endpoint_id', '=', id))
    .execute();
  await db.deleteFrom('webhook_deliveries').where('account_id', '=', accountId).where('endpoint_id', '=', id).execute();
  const result = await db.deleteFrom('webhook_endpoints').where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** False when this endpoint already has a delivery of this event (a replay). */
export async function insertDelivery(db: Db, row: Insertable<WebhookDeliveriesTable>): Promise<boolean> {
  const result = await db
    .insertInto('webhook_deliveries')
    .values(row)
    .onConflict((oc) => oc.columns(['endpoint_id', 'event_id']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

/** A delivery with what sending it needs from its endpoint, for the delivery job. */
export async function findDeliveryForSending(db: Db, id: string) {
  return db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhook_endpoints as e', 'e.id', 'd.endpoint_id')
    .selectAll('d')
    .select(['e.url as url', 'e.secret as sealed_secret', 'e.enabled as endpoint_enabled'])
    .where('d.id', '=', id)
    .executeTakeFirst();
}

export async function findDelivery(db: Db, accountId: string, endpointId: string, id: string): Promise<WebhookDelivery | undefined> {
  return db
    .selectFrom('webhook_deliveries')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('endpoint_id', '=', endpointId)
    .where('id', '=', id)
    .executeTakeFirst();
}

export async function transitionDelivery(
  db: Db,
  id: string,
  from: ReadonlyArray<WebhookDelivery['status']>,
  patch: Updateable<WebhookDeliveriesTable>,
): Promise<boolean> {
  const result = await db.updateTable('webhook_deliveries').set(patch).where('id', '=', id).where('status', 'in', [...from]).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

export async function insertAttempt(db: Db, row: Insertable<WebhookAttemptsTable>): Promise<void> {
  await db.insertInto('webhook_attempts').values(row).execute();
}

export async function listDeliveries(db: Db, f: { accountId: string; endpointId: string; limit: number; before?: PageCursor }): Promise<WebhookDelivery[]> {
  let q = db.selectFrom('webhook_deliveries').selectAll().where('account_id', '=', f.accountId).where('endpoint_id', '=', f.endpointId);
  if (f.before) q = q.where(olderThan('created_at', 'id', f.before));
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(f.limit).execute();
}

/** The attempts of these deliveries (all of one account's endpoint, looked up just before). */
export async function listAttempts(db: Db, deliveryIds: string[]): Promise<WebhookAttempt[]> {
  if (deliveryIds.length === 0) return [];
  return db.selectFrom('webhook_attempts').selectAll().where('delivery_id', 'in', deliveryIds).orderBy('delivery_id').orderBy('attempt').execute();
}
