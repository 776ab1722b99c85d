// Leads and the pipeline: what the owner sees in money.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ServiceContext } from '../../services/context.ts';
import { AppError } from '../../services/errors.ts';
import { getAccountLead, LEAD_STAGES, listAccountLeads, pipelineReport, updateAccountLead } from '../../services/pipeline.ts';
import { encodeCursor } from '../../store/paging.ts';
import { principalOf } from '../auth.ts';
import { cursorField, isoTimeField, limitField, parseInput } from '../validation.ts';

const SOURCES = ['missed_call', 'form', 'inbound_text'] as const;

const PipelineQuery = z.strictObject({
  from: isoTimeField.optional(),
  to: isoTimeField.optional(),
  lineId: z.string().min(1, 'must not be empty').optional(),
});

const ListLeads = z.strictObject({
  stage: z.enum(LEAD_STAGES).optional(),
  source: z.enum(SOURCES).optional(),
  before: cursorField.optional(),
  limit: limitField,
});

/** A hundred million cents (one million dollars): far above any job, low enough to catch a typo in units. */
const MAX_VALUE_CENTS = 100_000_000;

const UpdateLead = z
  .strictObject({
    stage: z.enum(LEAD_STAGES),
    valueCents: z
      .number()
      .int('must be a whole number of cents')
      .min(0, 'must not be negative')
      .max(MAX_VALUE_CENTS, `must be at most ${MAX_VALUE_CENTS} (one million dollars)`)
      .nullable(),
    lostReason: z.string().trim().min(1, 'must not be empty (use null for none)').max(500, 'must be at most 500 characters').nullable(),
  })
  .partial();

export function registerLeadRoutes(api: FastifyInstance, ctx: ServiceContext): void {
  api.get('/pipeline', async (request) => {
    const q = parseInput(PipelineQuery, request.query, 'query');
    if (q.from && q.to && q.from.getTime() >= q.to.getTime()) {
      throw new AppError('validation_failed', 'to must be after from', [{ field: 'to', message: 'must be after from' }]);
    }
    return {
      pipeline: await pipelineReport(ctx, principalOf(request).accountId, {
        ...(q.from ? { from: q.from } : {}),
        ...(q.to ? { to: q.to } : {}),
        ...(q.lineId ? { lineId: q.lineId } : {}),
      }),
    };
  });

  api.get('/leads', async (request) => {
    const q = parseInput(ListLeads, request.query, 'query');
    const leads = await listAccountLeads(ctx, principalOf(request).accountId, {
      limit: q.limit,
      ...(q.stage ? { stage: q.stage } : {}),
      ...(q.source ? { source: q.source } : {}),
      ...(q.before ? { before: q.before } : {}),
    });
    const last = leads.at(-1);
    return { leads, next: last && leads.length === q.limit ? encodeCursor({ at: last.createdAt, id: last.id }) : null };
  });

  api.get<{ Params: { id: string } }>('/leads/:id', async (request) => ({
    lead: await getAccountLead(ctx, principalOf(request).accountId, request.params.id),
  }));

  api.patch<{ Params: { id: string } }>('/leads/:id', async (request) => {
    const patch = parseInput(UpdateLead, request.body);
    if (Object.keys(patch).length === 0) {
      throw new AppError('validation_failed', 'say what to change: stage, valueCents or lostReason', [
        { field: '(request body)', message: 'must change at least one of stage, valueCents, lostReason' },
      ]);
    }
    return { lead: await updateAccountLead(ctx, principalOf(request), request.params.id, patch) };
  });
}
