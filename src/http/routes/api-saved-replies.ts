// Saved replies for the composer: owners and admins keep them (role-policy.ts), every member lists
// them and renders one for a conversation. Shapes are checked here (400, field by field); the body's
// template rules are the service's (400 naming `body` and the variable); a taken title is 409.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { MAX_MESSAGE_CHARACTERS } from '../../domain/templates.ts';
import type { ServiceContext } from '../../services/context.ts';
import {
  createSavedReply,
  deleteSavedReply,
  getSavedReply,
  listSavedReplies,
  MAX_TITLE_CHARS,
  renderSavedReply,
  updateSavedReply,
} from '../../services/saved-replies.ts';
import { principalOf } from '../auth.ts';
import { parseInput } from '../validation.ts';

const title = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .refine((t) => [...t].length <= MAX_TITLE_CHARS, `must be at most ${MAX_TITLE_CHARS} characters`)
  .refine((t) => !/[\u0000-\u001f\u007f]/.test(t), 'must be one line of text');

// Longer than any text may be, so the template check can say by how much it is over.
const body = z.string().max(MAX_MESSAGE_CHARACTERS * 4, `must be at most ${MAX_MESSAGE_CHARACTERS * 4} characters`);

const NewReply = z.strictObject({ title, body });

const PatchReply = z
  .strictObject({ title: title.optional(), body: body.optional() })
  .refine((p) => p.title !== undefined || p.body !== undefined, { message: 'give title, body, or both' });

const Empty = z.strictObject({});

type IdParams = { Params: { id: string } };

export function registerSavedReplyRoutes(api: FastifyInstance, ctx: ServiceContext): void {
  api.get('/saved-replies', async (request) => ({ savedReplies: await listSavedReplies(ctx, principalOf(request).accountId) }));

  api.get<IdParams>('/saved-replies/:id', async (request) => ({
    savedReply: await getSavedReply(ctx, principalOf(request).accountId, request.params.id),
  }));

  api.post('/saved-replies', async (request, reply) => {
    const input = parseInput(NewReply, request.body);
    return reply.status(201).send({ savedReply: await createSavedReply(ctx, principalOf(request), input) });
  });

  api.patch<IdParams>('/saved-replies/:id', async (request) => {
    const patch = parseInput(PatchReply, request.body);
    return {
      savedReply: await updateSavedReply(ctx, principalOf(request), request.params.id, {
        ...(patch.title !== undefined ? { title: patch.title } : {}),
        ...(patch.body !== undefined ? { body: patch.body } : {}),
      }),
    };
  });

  api.delete<IdParams>('/saved-replies/:id', async (request, reply) => {
    await deleteSavedReply(ctx, principalOf(request), request.params.id);
    return reply.status(204).send();
  });

  // A calculation (nothing is stored or sent), so it takes no body; an empty JSON object is accepted.
  api.post<{ Params: { id: string; replyId: string } }>('/conversations/:id/saved-replies/:replyId/render', async (request) => {
    if (request.body !== undefined && request.body !== null) parseInput(Empty, request.body);
    return renderSavedReply(ctx, principalOf(request).accountId, request.params.id, request.params.replyId);
  });
}
