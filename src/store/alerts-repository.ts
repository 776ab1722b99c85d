import { sql, type Insertable } from 'kysely';
import type { Db } from './database.ts';
import type { Alert, AlertsTable } from './schema.ts';

/** Opens the alert, or counts one more occurrence of the open one; returns whether it is new. */
export async function raiseAlert(db: Db, row: Insertable<AlertsTable>): Promise<boolean> {
  // One statement against the partial unique index: two processes hitting the same carrier
  // problem at once count it twice on one alert instead of one of them failing on the index.
  const result = await db
    .insertInto('alerts')
    .values(row)
    .onConflict((oc) =>
      oc
        .columns(['account_id', 'kind', 'code'])
        .where('resolved_at', 'is', null)
        .doUpdateSet({ count: sql`alerts.count + 1`, last_seen_at: (eb) => eb.ref('excluded.last_seen_at') }),
    )
    .returning('id')
    .executeTakeFirstOrThrow();
  return result.id === row.id;
}

export async function listAlerts(db: Db, accountId: string, includeResolved: boolean): Promise<Alert[]> {
  let q = db.selectFrom('alerts').selectAll().where('account_id', '=', accountId);
  if (!includeResolved) q = q.where('resolved_at', 'is', null);
  return q.orderBy('last_seen_at', 'desc').execute();
}

export async function resolveAlert(db: Db, accountId: string, id: string, now: string): Promise<'resolved' | 'already' | 'missing'> {
  const alert = await db.selectFrom('alerts').select(['resolved_at']).where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  if (!alert) return 'missing';
  if (alert.resolved_at) return 'already';
  await db.updateTable('alerts').set({ resolved_at: now }).where('id', '=', id).execute();
  return 'resolved';
}
