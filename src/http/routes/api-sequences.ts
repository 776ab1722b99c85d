// Follow-up sequences and their runs. Shapes are checked here (400, field by field); the rules a
// sequence must keep (waits before sends, opt-out wording, limits) are the domain's (422, field by
// field); nothing is saved unless both pass.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { SEQUENCE_TRIGGERS } from '../../domain/follow-up-sequence.ts';
import type { ServiceContext } from '../../services/context.ts';
import { AppError } from '../../services/errors.ts';
import { listConversationFollowUps, listSequenceRuns, stopRunByHand } from '../../services/follow-ups.ts';
import {
  createSequence,
  getSequenceView,
  listSequenceViews,
  patchSequence,
  removeSequence,
  replaceSequence,
  requireSequence,
} from '../../services/sequences.ts';
import { encodeCursor } from '../../store/paging.ts';
import { principalOf } from '../auth.ts';
import { cursorField, limitField, parseInput } from '../validation.ts';

const Step = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('wait'), minutes: z.number() }),
  z.strictObject({ type: z.literal('send'), body: z.string() }),
]);

const CreateSequence = z.strictObject({
  name: z.string(),
  steps: z.array(Step).max(100),
  enabled: z.boolean().optional(),
  trigger: z.enum(SEQUENCE_TRIGGERS as [string, ...string[]]).optional(),
});

const ReplaceSequence = z.strictObject({
  name: z.string(),
  steps: z.array(Step).max(100),
  enabled: z.boolean().optional(),
});

const PatchSequence = z
  .strictObject({ name: z.string().optional(), enabled: z.boolean().optional() })
  .refine((p) => p.name !== undefined || p.enabled !== undefined, { message: 'give name, enabled, or both' });

const ListRuns = z.strictObject({
  status: z.enum(['active', 'paused', 'completed', 'stopped']).optional(),
  before: cursorField.optional(),
  limit: limitField,
});

/**
 * parseInput names nested fields "steps.2.minutes"; the domain's rules say "steps[2].minutes".
 * One spelling for clients: list indexes in brackets.
 */
function parseBody<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  try {
    return parseInput(schema, input);
  } catch (err) {
    if (!(err instanceof AppError) || !err.fields) throw err;
    const fields = err.fields.map((f) => ({ ...f, field: f.field.replace(/\.(\d+)(?=\.|$)/g, '[$1]') }));
    throw new AppError(err.code, fields.map((f) => `${f.field} ${f.message}`).join('; '), fields);
  }
}

export function registerSequenceRoutes(api: FastifyInstance, ctx: ServiceContext): void {
  api.get('/sequences', async (request) => ({ sequences: await listSequenceViews(ctx, principalOf(request).accountId) }));

  api.get<{ Params: { id: string } }>('/sequences/:id', async (request) => ({
    sequence: await getSequenceView(ctx, principalOf(request).accountId, request.params.id),
  }));

  api.post('/sequences', async (request, reply) => {
    const input = parseBody(CreateSequence, request.body);
    const sequence = await createSequence(ctx, principalOf(request), {
      name: input.name,
      steps: input.steps,
      ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
      ...(input.trigger !== undefined ? { trigger: input.trigger as 'missed_call_no_reply' } : {}),
    });
    return reply.status(201).send({ sequence });
  });

  api.put<{ Params: { id: string } }>('/sequences/:id', async (request) => {
    const input = parseBody(ReplaceSequence, request.body);
    const sequence = await replaceSequence(ctx, principalOf(request), request.params.id, {
      name: input.name,
      steps: input.steps,
      ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
    });
    return { sequence };
  });

  api.patch<{ Params: { id: string } }>('/sequences/:id', async (request) => {
    const input = parseBody(PatchSequence, request.body);
    const sequence = await patchSequence(ctx, principalOf(request), request.params.id, {
      ...(input.name !== undefined ? { name: input.name } : {}),
      ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
    });
    return { sequence };
  });

  // Its runs under way are stopped (reason sequence_deleted) and stay listed by conversation.
  api.delete<{ Params: { id: string } }>('/sequences/:id', async (request, reply) => {
    await removeSequence(ctx, principalOf(request), request.params.id);
    return reply.status(204).send();
  });

  api.get<{ Params: { id: string } }>('/sequences/:id/runs', async (request) => {
    const q = parseInput(ListRuns, request.query, 'query');
    const { accountId } = principalOf(request);
    await requireSequence(ctx, accountId, request.params.id);
    const runs = await listSequenceRuns(ctx, accountId, request.params.id, {
      limit: q.limit,
      ...(q.status ? { status: q.status } : {}),
      ...(q.before ? { before: q.before } : {}),
    });
    const last = runs.at(-1);
    return { runs, next: last && runs.length === q.limit ? encodeCursor({ at: last.createdAt, id: last.id }) : null };
  });

  api.get<{ Params: { conversationId: string } }>('/conversations/:conversationId/follow-ups', async (request) => ({
    runs: await listConversationFollowUps(ctx, principalOf(request).accountId, request.params.conversationId),
  }));

  api.post<{ Params: { id: string } }>('/sequence-runs/:id/stop', async (request) => ({
    run: await stopRunByHand(ctx, principalOf(request), request.params.id),
  }));
}
