import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ServiceContext } from '../../services/context.ts';
import { configureLineAtCarrier, createLine, getAccountLine, listAccountLines, removeLine, updateLineSettings } from '../../services/lines.ts';
import { principalOf } from '../auth.ts';
import { parseInput, phoneField } from '../validation.ts';

const MODES = ['forward', 'conditional-forward', 'events'] as const;

const lineFields = {
  name: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
  mode: z.enum(MODES),
  ringTargets: z.array(phoneField({ allowFictional: true })).max(10, 'may list at most 10 numbers'),
  ringSeconds: z.number().int().min(5, 'must be at least 5').max(120, 'must be at most 120'),
  screening: z.boolean(),
  greeting: z.string().trim().min(1, 'must not be empty (use null for none)').max(300, 'must be at most 300 characters').nullable(),
  voicemail: z.boolean(),
  messagingEnabled: z.boolean(),
  paused: z.boolean(),
};

const CreateLine = z.strictObject({
  number: z.string().min(1, 'is required'),
  carrierId: z.string().optional(),
  ...lineFields,
  name: lineFields.name.optional(),
  ringTargets: lineFields.ringTargets.optional(),
  ringSeconds: lineFields.ringSeconds.optional(),
  screening: lineFields.screening.optional(),
  greeting: lineFields.greeting.optional(),
  voicemail: lineFields.voicemail.optional(),
  /** false: do not touch the number at the carrier; the response says which URLs to paste. */
  configureCarrier: z.boolean().optional(),
  messagingEnabled: lineFields.messagingEnabled.optional(),
  paused: lineFields.paused.optional(),
});

const UpdateLine = z.strictObject(lineFields).partial();

export function registerLineRoutes(api: FastifyInstance, ctx: ServiceContext): void {
  api.get('/lines', async (request) => ({ lines: await listAccountLines(ctx, principalOf(request).accountId) }));

  api.get<{ Params: { id: string } }>('/lines/:id', async (request) => ({
    line: await getAccountLine(ctx, principalOf(request).accountId, request.params.id),
  }));

  api.post('/lines', async (request, reply) => {
    const input = parseInput(CreateLine, request.body);
    const { line, carrierSetup } = await createLine(ctx, principalOf(request).accountId, input);
    return reply.status(201).send({ line, carrierSetup });
  });

  api.patch<{ Params: { id: string } }>('/lines/:id', async (request) => {
    const input = parseInput(UpdateLine, request.body);
    return { line: await updateLineSettings(ctx, principalOf(request).accountId, request.params.id, input) };
  });

  api.delete<{ Params: { id: string } }>('/lines/:id', async (request, reply) => {
    await removeLine(ctx, principalOf(request).accountId, request.params.id);
    return reply.status(204).send();
  });

  api.post<{ Params: { id: string } }>('/lines/:id/configure-carrier', async (request) => ({
    carrierSetup: await configureLineAtCarrier(ctx, principalOf(request).accountId, request.params.id),
  }));
}
