import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { getAccount, listTextBackTemplates, removeLineTemplate, saveTextBackTemplate, updateAccountSettings } from '../../services/account.ts';
import type { ServiceContext } from '../../services/context.ts';
import { principalOf } from '../auth.ts';
import { parseInput } from '../validation.ts';

const UpdateAccount = z
  .strictObject({
    name: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
    timeZone: z.string(),
    businessHours: z.unknown(),
    holidays: z.array(z.iso.date({ message: 'must be a date like 2026-12-25' })),
    averageJobValueCents: z.number().int().min(0, 'must not be negative'),
    bookingUrl: z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' }).nullable(),
    helpContact: z.string().trim().min(3, 'must say how to reach a person').max(100, 'must be at most 100 characters').nullable(),
    paused: z.boolean(),
    textBackOutsideLawfulHours: z.enum(['send', 'hold']),
    automationHours: z.unknown(),
    automationCap: z.strictObject({
      messages: z.number().int().min(1, 'must be at least 1 (0 would never send)').max(10, 'must be at most 10'),
      hours: z.number().int().min(1, 'must be at least 1').max(168, 'must be at most 168 (a week)'),
    }),
    emergencyWords: z
      .array(z.string().trim().min(2, 'each word must have at least 2 characters').max(40, 'each word must be at most 40 characters'))
      .max(50, 'at most 50 words'),
    callbackTasks: z
      .strictObject({
        enabled: z.boolean(),
        dueMinutes: z.number().int().min(5, 'must be at least 5').max(7 * 24 * 60, 'must be at most a week'),
        afterHoursDueMinutes: z.number().int().min(0, 'must not be negative').max(24 * 60, 'must be at most a day'),
        remindBeforeMinutes: z.number().int().min(0, 'must not be negative (0 turns reminders off)').max(24 * 60, 'must be at most a day'),
        escalateAfterMinutes: z.number().int().min(0, 'must not be negative').max(7 * 24 * 60, 'must be at most a week'),
      })
      .partial(),
  })
  .partial();

const SaveTemplate = z.strictObject({
  body: z.string(),
  lineId: z.string().optional(),
});

export function registerAccountRoutes(api: FastifyInstance, ctx: ServiceContext): void {
  api.get('/account', async (request) => ({ account: await getAccount(ctx, principalOf(request).accountId) }));

  api.patch('/account', async (request) => {
    const patch = parseInput(UpdateAccount, request.body);
    return { account: await updateAccountSettings(ctx, principalOf(request).accountId, patch) };
  });

  api.get('/templates', async (request) => ({ templates: await listTextBackTemplates(ctx, principalOf(request).accountId) }));

  api.put<{ Params: { slot: string } }>('/templates/text-back/:slot', async (request) => {
    const input = parseInput(SaveTemplate, request.body);
    return { template: await saveTextBackTemplate(ctx, principalOf(request).accountId, { slot: request.params.slot, ...input }) };
  });

  api.delete<{ Params: { slot: string }; Querystring: { lineId?: string } }>('/templates/text-back/:slot', async (request, reply) => {
    await removeLineTemplate(ctx, principalOf(request).accountId, request.params.slot, request.query.lineId);
    return reply.status(204).send();
  });
}
