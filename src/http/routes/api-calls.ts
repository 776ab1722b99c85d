import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { CALL_OUTCOMES, getAccountCall, listAccountCalls, OUTBOUND_CALL_OUTCOMES, reportCall } from '../../services/calls.ts';
import type { ServiceContext } from '../../services/context.ts';
import { principalOf } from '../auth.ts';
import { encodeCursor } from '../../store/paging.ts';
import { cursorField, isoTimeField, limitField, parseInput } from '../validation.ts';

const line = z.string().min(1, 'must name a line by id or number');
const externalId = z.string().min(1, 'must not be empty').max(200, 'must be at most 200 characters');

const ReportCall = z.strictObject({
  direction: z.enum(['inbound', 'outbound']).optional(),
  line,
  // Kept raw: a withheld or malformed caller ID is a fact to record, not a bad request.
  from: z.string().max(64, 'must be at most 64 characters'),
  status: z.enum(CALL_OUTCOMES),
  externalId,
  occurredAt: isoTimeField,
});

/** A call the business placed: `to` is the number called (checked as a phone number by the service). */
const ReportOutboundCall = z.strictObject({
  direction: z.literal('outbound'),
  line,
  to: z.string().min(1, 'must be the number that was called').max(64, 'must be at most 64 characters'),
  status: z.enum(OUTBOUND_CALL_OUTCOMES),
  externalId,
  occurredAt: isoTimeField,
});

const isOutbound = (body: unknown): boolean => typeof body === 'object' && body !== null && (body as Record<string, unknown>)['direction'] === 'outbound';

const ListCalls = z.object({
  lineId: z.string().optional(),
  decision: z.enum(['send', 'skip']).optional(),
  before: cursorField.optional(),
  limit: limitField,
});

export function registerCallRoutes(api: FastifyInstance, ctx: ServiceContext): void {
  api.post('/calls', async (request, reply) => {
    // Each direction has its own fields (from for inbound, to for outbound), so each gets its own
    // schema and its own field errors; no direction means inbound.
    const accountId = principalOf(request).accountId;
    const { call, replayed } = isOutbound(request.body)
      ? await reportCall(ctx, accountId, parseInput(ReportOutboundCall, request.body))
      : await reportCall(ctx, accountId, { ...parseInput(ReportCall, request.body), direction: 'inbound' });
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
