import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { listAlerts, resolveAlert } from '../../services/alerts.ts';
import { checkCarrier, createCarrier, deleteCarrier, getCarrier, listCarriers } from '../../services/carriers.ts';
import type { ServiceContext } from '../../services/context.ts';
import { principalOf } from '../auth.ts';
import { parseInput } from '../validation.ts';

// The credentials' own fields are checked by the carrier's schema (they differ per carrier).
const CreateCarrier = z.looseObject({
  kind: z.enum(['twilio', 'telnyx']),
  name: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters').optional(),
  apiBaseUrl: z
    .url({ protocol: /^https?$/, message: 'must be an http(s) URL' })
    .transform((u) => u.replace(/\/+$/, ''))
    .optional(),
});

const ListAlerts = z.object({ status: z.enum(['open', 'all']).default('open') });

export function registerCarrierRoutes(api: FastifyInstance, ctx: ServiceContext): void {
  api.get('/carriers', async (request) => ({ carriers: await listCarriers(ctx, principalOf(request).accountId) }));

  api.post('/carriers', async (request, reply) => {
    const input = parseInput(CreateCarrier, request.body);
    const { kind, name, apiBaseUrl, ...credentials } = input;
    const carrier = await createCarrier(ctx, principalOf(request).accountId, { kind, name, apiBaseUrl, credentials });
    return reply.status(201).send({ carrier });
  });

  api.get<{ Params: { id: string } }>('/carriers/:id', async (request) => ({
    carrier: await getCarrier(ctx, principalOf(request).accountId, request.params.id),
  }));

  api.post<{ Params: { id: string } }>('/carriers/:id/check', async (request) => ({
    check: await checkCarrier(ctx, principalOf(request).accountId, request.params.id),
  }));

  api.delete<{ Params: { id: string } }>('/carriers/:id', async (request, reply) => {
    await deleteCarrier(ctx, principalOf(request).accountId, request.params.id);
    return reply.status(204).send();
  });

  api.get('/alerts', async (request) => {
    const { status } = parseInput(ListAlerts, request.query, 'query');
    return { alerts: await listAlerts(ctx, principalOf(request).accountId, status === 'all') };
  });

  api.post<{ Params: { id: string } }>('/alerts/:id/resolve', async (request, reply) => {
    await resolveAlert(ctx, principalOf(request).accountId, request.params.id);
    return reply.status(204).send();
  });
}
