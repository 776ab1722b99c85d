import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ServiceContext } from '../../services/context.ts';
import { listAccountConversations, listMessages, sendManualMessage } from '../../services/conversations.ts';
import { principalOf } from '../auth.ts';
import { encodeCursor } from '../../store/paging.ts';
import { cursorField, limitField, parseInput } from '../validation.ts';

const ListConversations = z.object({
  status: z.enum(['open', 'pending', 'snoozed', 'resolved']).optional(),
  lineId: z.string().optional(),
  before: cursorField.optional(),
  limit: limitField,
});

const ListMessages = z.object({ before: cursorField.optional(), limit: limitField });

const SendMessage = z.strictObject({
  body: z.string().refine((b) => b.trim() !== '', 'must not be empty'),
});

export function registerConversationRoutes(api: FastifyInstance, ctx: ServiceContext): void {
  api.get('/conversations', async (request) => {
    const q = parseInput(ListConversations, request.query, 'query');
    const conversations = await listAccountConversations(ctx, principalOf(request).accountId, {
      limit: q.limit,
      ...(q.status ? { status: q.status } : {}),
      ...(q.lineId ? { lineId: q.lineId } : {}),
      ...(q.before ? { before: q.before } : {}),
    });
    const last = conversations.at(-1);
    return {
      conversations,
      next: last?.lastMessageAt && conversations.length === q.limit ? encodeCursor({ at: last.lastMessageAt, id: last.id }) : null,
    };
  });

  api.get<{ Params: { id: string } }>('/conversations/:id/messages', async (request) => {
    const q = parseInput(ListMessages, request.query, 'query');
    const messages = await listMessages(ctx, principalOf(request).accountId, request.params.id, q.limit, q.before);
    // Oldest first on the page; the next page holds older ones.
    const oldest = messages[0];
    return { messages, next: oldest && messages.length === q.limit ? encodeCursor({ at: oldest.createdAt, id: oldest.id }) : null };
  });

  api.post<{ Params: { id: string } }>('/conversations/:id/messages', async (request, reply) => {
    const { body } = parseInput(SendMessage, request.body);
    const message = await sendManualMessage(ctx, principalOf(request), request.params.id, body);
    return reply.status(202).send({ message });
  });
}
