// The inbox API: list and read conversations, reply, act on a thread, keep private notes.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ServiceContext } from '../../services/context.ts';
import {
  addNote,
  assignConversation,
  CONVERSATION_STATUSES,
  getConversation,
  listAccountConversations,
  listMessages,
  listNotes,
  markConversationRead,
  MAX_NOTE_CHARS,
  reopenConversation,
  resolveConversation,
  sendManualMessage,
  snoozeConversation,
  updateConversationFlags,
  type ConversationStatus,
} from '../../services/conversations.ts';
import { principalOf } from '../auth.ts';
import { encodeCursor } from '../../store/paging.ts';
import { booleanQueryField, cursorField, isoTimeField, limitField, parseInput } from '../validation.ts';

/** The longest inbox search, in characters. */
const MAX_SEARCH_CHARS = 100;

const statusListField = z.string().transform((value, ctx) => {
  const statuses = value.split(',').map((s) => s.trim());
  const unknown = statuses.filter((s) => !(CONVERSATION_STATUSES as readonly string[]).includes(s));
  if (unknown.length > 0) {
    ctx.addIssue({
      code: 'custom',
      message: `must be one of ${CONVERSATION_STATUSES.join(', ')}, or several separated by commas (not ${unknown.map((u) => JSON.stringify(u)).join(', ')})`,
    });
    return z.NEVER;
  }
  return [...new Set(statuses)] as ConversationStatus[];
});

const ListConversations = z.object({
  status: statusListField.optional(),
  unread: booleanQueryField.optional(),
  assignee: z.string().min(1, 'must be a user id, "me" or "none"').optional(),
  lineId: z.string().min(1).optional(),
  needsAttention: booleanQueryField.optional(),
  q: z
    .string()
    .trim()
    .min(1, 'must not be empty; leave q out to list every conversation')
    .refine((s) => [...s].length <= MAX_SEARCH_CHARS, `must be at most ${MAX_SEARCH_CHARS} characters`)
    .optional(),
  before: cursorField.optional(),
  limit: limitField,
});

const Paging = z.object({ before: cursorField.optional(), limit: limitField });

const SendMessage = z.strictObject({
  body: z.string().refine((b) => b.trim() !== '', 'must not be empty'),
});

const Assign = z.strictObject({ userId: z.string().min(1, 'must be a user id, or null to unassign').nullable() });

const Snooze = z.strictObject({ until: isoTimeField });

const Empty = z.strictObject({});

const PatchConversation = z
  .strictObject({
    needsAttention: z.literal(false, 'can only be set to false: a person clears the flag; Ringback raises it').optional(),
    automationPaused: z.boolean().optional(),
  })
  .refine((p) => p.needsAttention !== undefined || p.automationPaused !== undefined, {
    message: 'must set needsAttention or automationPaused',
  });

const NewNote = z.strictObject({
  body: z
    .string()
    .refine((b) => b.trim() !== '', 'must not be empty')
    .refine((b) => [...b].length <= MAX_NOTE_CHARS, `must be at most ${MAX_NOTE_CHARS} characters`),
});

type IdParams = { Params: { id: string } };

export function registerConversationRoutes(api: FastifyInstance, ctx: ServiceContext): void {
  api.get('/conversations', async (request) => {
    const q = parseInput(ListConversations, request.query, 'query');
    const conversations = await listAccountConversations(ctx, principalOf(request), {
      limit: q.limit,
      ...(q.status ? { statuses: q.status } : {}),
      ...(q.unread !== undefined ? { unread: q.unread } : {}),
      ...(q.assignee !== undefined ? { assignee: q.assignee } : {}),
      ...(q.lineId !== undefined ? { lineId: q.lineId } : {}),
      ...(q.needsAttention !== undefined ? { needsAttention: q.needsAttention } : {}),
      ...(q.q !== undefined ? { search: q.q } : {}),
      ...(q.before ? { before: q.before } : {}),
    });
    const last = conversations.at(-1);
    return {
      conversations,
      next: last?.lastMessageAt && conversations.length === q.limit ? encodeCursor({ at: last.lastMessageAt, id: last.id }) : null,
    };
  });

  api.get<IdParams>('/conversations/:id', async (request) => {
    return { conversation: await getConversation(ctx, principalOf(request).accountId, request.params.id) };
  });

  api.get<IdParams>('/conversations/:id/messages', async (request) => {
    const q = parseInput(Paging, request.query, 'query');
    const messages = await listMessages(ctx, principalOf(request).accountId, request.params.id, q.limit, q.before);
    // Oldest first on the page; the next page holds older ones.
    const oldest = messages[0];
    return { messages, next: oldest && messages.length === q.limit ? encodeCursor({ at: oldest.createdAt, id: oldest.id }) : null };
  });

  // 202: the text is queued; its delivery shows up as message.status events.
  api.post<IdParams>('/conversations/:id/messages', async (request, reply) => {
    const { body } = parseInput(SendMessage, request.body);
    const sent = await sendManualMessage(ctx, principalOf(request), request.params.id, body);
    return reply.status(202).send(sent);
  });

  api.post<IdParams>('/conversations/:id/assign', async (request) => {
    const { userId } = parseInput(Assign, request.body);
    return { conversation: await assignConversation(ctx, principalOf(request), request.params.id, userId) };
  });

  api.post<IdParams>('/conversations/:id/snooze', async (request) => {
    const { until } = parseInput(Snooze, request.body);
    return { conversation: await snoozeConversation(ctx, principalOf(request), request.params.id, until) };
  });

  // These take no body; an empty JSON object is accepted, anything in it is refused.
  for (const [action, run] of [
    ['resolve', resolveConversation],
    ['reopen', reopenConversation],
    ['read', markConversationRead],
  ] as const) {
    api.post<IdParams>(`/conversations/:id/${action}`, async (request) => {
      if (request.body !== undefined && request.body !== null) parseInput(Empty, request.body);
      return { conversation: await run(ctx, principalOf(request), request.params.id) };
    });
  }

  api.patch<IdParams>('/conversations/:id', async (request) => {
    const patch = parseInput(PatchConversation, request.body);
    return {
      conversation: await updateConversationFlags(ctx, principalOf(request), request.params.id, {
        ...(patch.needsAttention !== undefined ? { needsAttention: patch.needsAttention } : {}),
        ...(patch.automationPaused !== undefined ? { automationPaused: patch.automationPaused } : {}),
      }),
    };
  });

  api.post<IdParams>('/conversations/:id/notes', async (request, reply) => {
    const { body } = parseInput(NewNote, request.body);
    const note = await addNote(ctx, principalOf(request), request.params.id, body);
    return reply.status(201).send({ note });
  });

  api.get<IdParams>('/conversations/:id/notes', async (request) => {
    const q = parseInput(Paging, request.query, 'query');
    const notes = await listNotes(ctx, principalOf(request).accountId, request.params.id, q.limit, q.before);
    const oldest = notes[0];
    return { notes, next: oldest && notes.length === q.limit ? encodeCursor({ at: oldest.createdAt, id: oldest.id }) : null };
  });
}
