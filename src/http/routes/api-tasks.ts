// Tasks: callbacks opened by missed calls, and to-dos people add.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ServiceContext } from '../../services/context.ts';
import { AppError } from '../../services/errors.ts';
import {
  completeAccountTask,
  createAccountTask,
  getAccountTask,
  listAccountTasks,
  reopenAccountTask,
  TASK_KINDS,
  updateAccountTask,
} from '../../services/tasks.ts';
import { encodeCursor } from '../../store/paging.ts';
import { principalOf } from '../auth.ts';
import { cursorField, isoTimeField, limitField, parseInput } from '../validation.ts';

const title = z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters');
const userId = z.string().min(1, 'must not be empty').max(100, 'must be at most 100 characters');

const ListTasks = z.strictObject({
  status: z.enum(['open', 'done']).optional(),
  /** 'me', 'none' (unassigned), or a user id. */
  assignee: userId.optional(),
  overdue: z.enum(['true', 'false']).optional(),
  contactId: z.string().min(1, 'must not be empty').optional(),
  kind: z.enum(TASK_KINDS).optional(),
  before: cursorField.optional(),
  limit: limitField,
});

const CreateTask = z.strictObject({
  title,
  dueAt: isoTimeField.nullable().optional(),
  contactId: z.string().min(1, 'must not be empty').optional(),
  assigneeUserId: userId.nullable().optional(),
  kind: z.enum(TASK_KINDS).default('todo'),
});

const UpdateTask = z.strictObject({ title, dueAt: isoTimeField.nullable(), assigneeUserId: userId.nullable() }).partial();

export function registerTaskRoutes(api: FastifyInstance, ctx: ServiceContext): void {
  api.get('/tasks', async (request) => {
    const q = parseInput(ListTasks, request.query, 'query');
    const tasks = await listAccountTasks(ctx, principalOf(request), {
      limit: q.limit,
      ...(q.status ? { status: q.status } : {}),
      ...(q.assignee ? { assignee: q.assignee } : {}),
      ...(q.overdue ? { overdue: q.overdue === 'true' } : {}),
      ...(q.contactId ? { contactId: q.contactId } : {}),
      ...(q.kind ? { kind: q.kind } : {}),
      ...(q.before ? { before: q.before } : {}),
    });
    const last = tasks.at(-1);
    return { tasks, next: last && tasks.length === q.limit ? encodeCursor({ at: last.createdAt, id: last.id }) : null };
  });

  api.get<{ Params: { id: string } }>('/tasks/:id', async (request) => ({
    task: await getAccountTask(ctx, principalOf(request).accountId, request.params.id),
  }));

  api.post('/tasks', async (request, reply) => {
    const input = parseInput(CreateTask, request.body);
    const task = await createAccountTask(ctx, principalOf(request), {
      title: input.title,
      kind: input.kind,
      ...(input.dueAt !== undefined ? { dueAt: input.dueAt } : {}),
      ...(input.contactId !== undefined ? { contactId: input.contactId } : {}),
      ...(input.assigneeUserId !== undefined ? { assigneeUserId: input.assigneeUserId } : {}),
    });
    return reply.status(201).send({ task });
  });

  api.patch<{ Params: { id: string } }>('/tasks/:id', async (request) => {
    const patch = parseInput(UpdateTask, request.body);
    if (Object.keys(patch).length === 0) {
      throw new AppError('validation_failed', 'say what to change: title, dueAt or assigneeUserId', [
        { field: '(request body)', message: 'must change at least one of title, dueAt, assigneeUserId' },
      ]);
    }
    return { task: await updateAccountTask(ctx, principalOf(request), request.params.id, patch) };
  });

  api.post<{ Params: { id: string } }>('/tasks/:id/done', async (request) => ({
    task: await completeAccountTask(ctx, principalOf(request), request.params.id),
  }));

  api.post<{ Params: { id: string } }>('/tasks/:id/reopen', async (request) => ({
    task: await reopenAccountTask(ctx, principalOf(request), request.params.id),
  }));
}
