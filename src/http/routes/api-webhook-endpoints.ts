// Outgoing webhook endpoints: create (the signing secret is shown once), list, change, delete,
// rotate the secret, send a test event, read the delivery log (or one delivery) and redeliver.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ServiceContext } from '../../services/context.ts';
import {
  WEBHOOK_EVENTS,
  createEndpoint,
  getDelivery,
  getEndpoint,
  listDeliveryLog,
  listEndpointViews,
  redeliver,
  removeEndpoint,
  rotateEndpointSecret,
  sendTestEvent,
  updateEndpointSettings,
} from '../../services/outgoing-webhooks.ts';
import { encodeCursor } from '../../store/paging.ts';
import { principalOf } from '../auth.ts';
import { cursorField, limitField, parseInput } from '../validation.ts';

const url = z
  .url({ protocol: /^https?$/, message: 'must be an http(s) URL such as https://example.com/hooks/ringback' })
  .max(2000, 'must be at most 2000 characters');
const events = z
  .array(z.enum(WEBHOOK_EVENTS))
  .min(1, 'must list at least one event')
  .refine((list) => new Set(list).size === list.length, 'must not list an event twice');
const description = z.string().trim().max(200, 'must be at most 200 characters').nullable();

const CreateEndpoint = z.strictObject({ url, events, description: description.optional() });
const UpdateEndpoint = z.strictObject({ url, events, enabled: z.boolean(), description }).partial();
const ListDeliveries = z.object({ before: cursorField.optional(), limit: limitField });

type IdParams = { Params: { id: string } };

export function registerWebhookEndpointRoutes(api: FastifyInstance, ctx: ServiceContext): void {
  api.get('/webhook-endpoints', async (request) => ({ endpoints: await listEndpointViews(ctx, principalOf(request).accountId) }));

  api.post('/webhook-endpoints', async (request, reply) => {
    const input = parseInput(CreateEndpoint, request.body);
    const { endpoint, secret } = await createEndpoint(ctx, principalOf(request).accountId, input);
    // The only time the secret is shown: it is stored sealed and never returned again.
    return reply.status(201).send({ endpoint, secret });
  });

  api.get<IdParams>('/webhook-endpoints/:id', async (request) => ({
    endpoint: await getEndpoint(ctx, principalOf(request).accountId, request.params.id),
  }));

  api.patch<IdParams>('/webhook-endpoints/:id', async (request) => {
    const input = parseInput(UpdateEndpoint, request.body);
    return { endpoint: await updateEndpointSettings(ctx, principalOf(request).accountId, request.params.id, input) };
  });

  api.delete<IdParams>('/webhook-endpoints/:id', async (request, reply) => {
    await removeEndpoint(ctx, principalOf(request).accountId, request.params.id);
    return reply.status(204).send();
  });

  api.post<IdParams>('/webhook-endpoints/:id/rotate-secret', async (request) =>
    rotateEndpointSecret(ctx, principalOf(request).accountId, request.params.id),
  );

  api.post<IdParams>('/webhook-endpoints/:id/test', async (request, reply) =>
    reply.status(202).send({ delivery: await sendTestEvent(ctx, principalOf(request).accountId, request.params.id) }),
  );

  api.get<IdParams>('/webhook-endpoints/:id/deliveries', async (request) => {
    const q = parseInput(ListDeliveries, request.query, 'query');
    const deliveries = await listDeliveryLog(ctx, principalOf(request).accountId, request.params.id, {
      limit: q.limit,
      ...(q.before ? { before: q.before } : {}),
    });
    const last = deliveries.at(-1);
    return { deliveries, next: last && deliveries.length === q.limit ? encodeCursor({ at: last.createdAt, id: last.id }) : null };
  });

  // One delivery: what a screen polls after a test event or a redelivery to show how it went.
  api.get<{ Params: { id: string; deliveryId: string } }>('/webhook-endpoints/:id/deliveries/:deliveryId', async (request) => ({
    delivery: await getDelivery(ctx, principalOf(request).accountId, request.params.id, request.params.deliveryId),
  }));

  api.post<{ Params: { id: string; deliveryId: string } }>('/webhook-endpoints/:id/deliveries/:deliveryId/redeliver', async (request, reply) =>
    reply.status(202).send({ delivery: await redeliver(ctx, principalOf(request).accountId, request.params.id, request.params.deliveryId) }),
  );
}
