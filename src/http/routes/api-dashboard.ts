// The dashboard: this period's missed calls, text-backs, replies, bookings and money, and how fast.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { DASHBOARD_PERIODS } from '../../domain/dashboard.ts';
import type { ServiceContext } from '../../services/context.ts';
import { dashboardReport } from '../../services/dashboard.ts';
import { principalOf } from '../auth.ts';
import { parseInput } from '../validation.ts';

const DashboardQuery = z.strictObject({
  period: z.enum(DASHBOARD_PERIODS).default('today'),
  lineId: z.string().min(1, 'must not be empty').optional(),
});

export function registerDashboardRoutes(api: FastifyInstance, ctx: ServiceContext): void {
  api.get('/dashboard', async (request) => {
    const q = parseInput(DashboardQuery, request.query, 'query');
    return { dashboard: await dashboardReport(ctx, principalOf(request).accountId, { period: q.period, ...(q.lineId ? { lineId: q.lineId } : {}) }) };
  });
}
