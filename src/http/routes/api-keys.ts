import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { createApiKey, listApiKeys, revokeApiKey } from '../../services/access.ts';
import type { ServiceContext } from '../../services/context.ts';
import { principalOf } from '../auth.ts';
import { parseInput } from '../validation.ts';

const CreateKey = z.strictObject({ name: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters') });

export function registerApiKeyRoutes(api: FastifyInstance, ctx: ServiceContext): void {
  api.get('/api-keys', async (request) => ({ apiKeys: await listApiKeys(ctx, principalOf(request).accountId) }));

  api.post('/api-keys', async (request, reply) => {
    const { name } = parseInput(CreateKey, request.body);
    const { key, view } = await createApiKey(ctx, principalOf(request), name);
    return reply.status(201).send({ apiKey: view, key });
  });

  api.delete<{ Params: { id: string } }>('/api-keys/:id', async (request, reply) => {
    await revokeApiKey(ctx, principalOf(request), request.params.id);
    return reply.status(204).send();
  });
}
