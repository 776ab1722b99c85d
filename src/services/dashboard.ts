// The dashboard report: the period and the one before it in the account's time zone, read in three
// aggregate statements (store/dashboard-repository.ts) and summed up by domain/dashboard.ts.
import { dailySeries, periodRange, summarizeDashboard, type DashboardDay, type DashboardMetrics, type DashboardPeriod } from '../domain/dashboard.ts';
import { findAccount } from '../store/accounts-repository.ts';
import { listDashboardLeads, listHumanReplyRows, listMissedCallRows, type DashboardScope } from '../store/dashboard-repository.ts';
import { findAccountLine } from '../store/lines-repository.ts';
import type { ServiceContext } from './context.ts';
import { AppError, notFound } from './errors.ts';

export interface DashboardReport {
  period: DashboardPeriod;
  timeZone: string;
  lineId: string | null;
  current: DashboardMetrics & { from: string; to: string };
  previous: DashboardMetrics & { from: string; to: string };
  /** One entry per local day of the current period. */
  series: DashboardDay[];
}

export async function dashboardReport(ctx: ServiceContext, accountId: string, q: { period: DashboardPeriod; lineId?: string }): Promise<DashboardReport> {
  const db = ctx.store.db;
  const account = await findAccount(db, accountId);
  if (!account) throw notFound('the account');
  let lineId: string | undefined;
  if (q.lineId !== undefined) {
    const line = await findAccountLine(db, accountId, q.lineId);
    if (!line) throw new AppError('not_found', `line ${q.lineId} was not found in this account`, [{ field: 'lineId', message: 'no such line in this account' }]);
    lineId = line.id;
  }
  const range = periodRange(q.period, ctx.clock(), account.time_zone);
  const scope: DashboardScope = { accountId, from: range.previousFrom.toISOString(), to: range.to.toISOString(), ...(lineId ? { lineId } : {}) };
  const [calls, leads, humanReplies] = await Promise.all([listMissedCallRows(db, scope), listDashboardLeads(db, scope), listHumanReplyRows(db, scope)]);
  const rows = { calls, leads, humanReplies };
  return {
    period: q.period,
    timeZone: account.time_zone,
    lineId: lineId ?? null,
    current: { from: range.from.toISOString(), to: range.to.toISOString(), ...summarizeDashboard(rows, range.from, range.to) },
    previous: { from: range.previousFrom.toISOString(), to: range.previousTo.toISOString(), ...summarizeDashboard(rows, range.previousFrom, range.previousTo) },
    series: dailySeries(calls, range, account.time_zone),
  };
}
