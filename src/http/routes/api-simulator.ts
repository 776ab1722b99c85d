import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { ServiceContext } from '../../services/context.ts';
import { phoneInbox, simulateCall, simulateOutboundCall, simulateText } from '../../services/simulator.ts';
import { principalOf } from '../auth.ts';
import { parseInput, phoneField } from '../validation.ts';

const phone = phoneField({ allowFictional: true });

const PlaceCall = z.strictObject({
  from: phone,
  to: phone,
  outcome: z.enum(['unanswered', 'busy', 'answered', 'hangup']),
  afterSeconds: z.number().int().min(0, 'must not be negative').max(3600, 'must be at most 3600').optional(),
});

const PlaceOutboundCall = z.strictObject({
  /** The line calling out, by id or number. */
  line: z.string().min(1, 'must name a line by id or number'),
  to: phone,
  answered: z.boolean(),
});

const SendText = z.strictObject({
  from: phone,
  to: phone,
  body: z
    .string()
    .refine((b) => b.trim() !== '', 'must not be empty')
    .refine((b) => b.length <= 1600, 'must be at most 1600 characters'),
});

const PhoneParams = z.object({ number: phone });

export function registerSimulatorRoutes(api: FastifyInstance, ctx: ServiceContext): void {
  api.post('/simulator/calls', async (request, reply) => {
    const input = parseInput(PlaceCall, request.body);
    const { callId } = await simulateCall(ctx, principalOf(request).accountId, {
      from: input.from,
      to: input.to,
      outcome: input.outcome,
      ...(input.afterSeconds !== undefined ? { afterSeconds: input.afterSeconds } : {}),
    });
    return reply.status(202).send({ id: callId, from: input.from, to: input.to, outcome: input.outcome });
  });

  // A callback from the line to a virtual phone, reported through the line's webhooks like a
  // carrier's outbound call (the demo phone shows "the business called you back").
  api.post('/simulator/calls/outbound', async (request, reply) => {
    const input = parseInput(PlaceOutboundCall, request.body);
    const { callId } = await simulateOutboundCall(ctx, principalOf(request).accountId, input);
    return reply.status(202).send({ id: callId, line: input.line, to: input.to, answered: input.answered });
  });

  api.post('/simulator/messages', async (request, reply) => {
    const input = parseInput(SendText, request.body);
    const { messageId } = await simulateText(ctx, principalOf(request).accountId, input);
    return reply.status(202).send({ id: messageId, from: input.from, to: input.to });
  });

  api.get<{ Params: { number: string } }>('/simulator/phones/:number/messages', async (request) => {
    const { number } = parseInput(PhoneParams, request.params, 'params');
    return { phone: number, messages: await phoneInbox(ctx, principalOf(request).accountId, number) };
  });
}
