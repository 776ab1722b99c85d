import { listAlerts as listRows, resolveAlert as resolveRow } from '../store/alerts-repository.ts';
import type { ServiceContext } from './context.ts';
import { conflict, notFound } from './errors.ts';

export async function listAlerts(ctx: ServiceContext, accountId: string, includeResolved: boolean) {
  const rows = await listRows(ctx.store.db, accountId, includeResolved);
  return rows.map((a) => ({
    id: a.id,
    kind: a.kind,
    code: a.code,
    title: a.title,
    detail: a.detail,
    lineId: a.line_id,
    messageId: a.message_id,
    count: a.count,
    firstSeenAt: a.first_seen_at,
    lastSeenAt: a.last_seen_at,
    resolvedAt: a.resolved_at,
  }));
}

export async function resolveAlert(ctx: ServiceContext, accountId: string, id: string): Promise<void> {
  const result = await resolveRow(ctx.store.db, accountId, id, ctx.clock().toISOString());
  if (result === 'missing') throw notFound(`alert ${id}`);
  if (result === 'already') throw conflict(`alert ${id} is already resolved`);
}
