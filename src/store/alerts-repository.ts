import { sql, type Insertable } from 'kysely';
import type { Db } from './database.ts';
import type { Alert, AlertsTable } from './schema.ts';

/** Opens the alert, or counts one more occurrence of the open one; returns whether it is new. */
export async function raiseAlert(db: Db, row: Insertable<AlertsTable>): Promise<boolean> {
  const updated = await db
    .updateTable('alerts')
    .set({ count: sql`count + 1`, last_seen_at: row.last_seen_at })
    .where('account_id', '=', row.account_id)
    .where('kind', '=', row.kind)
    .where('code', '=', row.code)
    .where('resolved_at', 'is', null)
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) > 0) return false;
  await db.insertInto('alerts').values(row).execute();
  return true;
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
