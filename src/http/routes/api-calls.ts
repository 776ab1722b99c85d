import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { CALL_OUTCOMES, getAccountCall, listAccountCalls, reportCall } from '../../services/calls.ts';
import type { ServiceContext } from '../../services/context.ts';
import { principalOf } from '../auth.ts';
import { encodeCursor } from '../../store/paging.ts';
import { cursorField, isoTimeField, limitField, parseInput } from '../validation.ts';

const ReportCall = z.strictObject({
  line: z.string().min(1, 'must name a line by id or number'),
  // Kept raw: a withheld or malformed caller ID is a fact to record, not a bad request.
  from: z.string().max(64, 'must be at most 64 characters'),
  status: z.enum(CALL_OUTCOMES),
  externalId: z.string().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
  occurredAt: isoTimeField,
});

const ListCalls = z.object({
  lineId: z.string().optional(),
  decision: z.enum(['send', 'skip']).optional(),
  before: cursorField.optional(),
  limit: limitField,
});

export function registerCallRoutes(api: FastifyInstance, ctx: ServiceContext): void {
  api.post('/calls', async (request, reply) => {
    const input = parseInput(ReportCall, request.body);
    const { call, replayed } = await reportCall(ctx, principalOf(request).accountId, input);
    return reply.status(replayed ? 200 : 201).send({ call, replayed });
  });

  api.get('/calls', async (request) => {
    const q = parseInput(ListCalls, request.query, 'query');
    const calls = await listAccountCalls(ctx, principalOf(request).accountId, {
      limit: q.limit,
      ...(q.lineId ? { lineId: q.lineId } : {}),
      ...(q.decision ? { decision: q.decision } : {}),
      ...(q.before ? { before: q.before } : {}),
    });
    const last = calls.at(-1);
    return { calls, next: last && calls.length === q.limit ? encodeCursor({ at: last.startedAt, id: last.id }) : null };
  });

  api.get<{ Params: { id: string } }>('/calls/:id', async (request) => ({
    call: await getAccountCall(ctx, principalOf(request).accountId, request.params.id),
  }));
}
