// The team (people, roles, cells, alert preferences) and the owner alerts' delivery log.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ALERT_EVENTS } from '../../domain/alerts.ts';
import type { ServiceContext } from '../../services/context.ts';
import { listAccountNotifications } from '../../services/notifications.ts';
import { addMember, getMember, listTeam, removeMember, updateMember } from '../../services/team.ts';
import { encodeCursor } from '../../store/paging.ts';
import { principalOf } from '../auth.ts';
import { cursorField, limitField, parseInput, phoneField } from '../validation.ts';

const name = z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters');
const phone = phoneField({ allowFictional: true });
const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time HH:MM from 00:00 to 23:59');

const AlertPrefsPatch = z
  .strictObject({
    sms: z.boolean(),
    email: z.boolean(),
    events: z.array(z.enum(ALERT_EVENTS)).max(ALERT_EVENTS.length, `may list each of the ${ALERT_EVENTS.length} events once`),
    onCall: z.boolean(),
    quietHours: z.strictObject({ start: clock, end: clock }).nullable(),
    duringQuietHours: z.enum(['hold', 'digest']),
    digest: z.enum(['off', 'hourly', 'daily']),
  })
  .partial();

const AddMember = z.strictObject({
  // Emails are kept lower case and trimmed: one person, one user, however they typed it.
  email: z.string().trim().toLowerCase().pipe(z.email({ message: 'must be an email address' }).max(254, 'must be at most 254 characters')),
  name,
  role: z.enum(['admin', 'agent']),
  phone: phone.optional(),
});

const UpdateMember = z.strictObject({
  name: name.nullable().optional(),
  phone: phone.nullable().optional(),
  role: z.enum(['owner', 'admin', 'agent']).optional(),
  alertPrefs: AlertPrefsPatch.optional(),
});

const ListNotifications = z.object({
  userId: z.string().min(1).optional(),
  before: cursorField.optional(),
  limit: limitField,
});

export function registerTeamRoutes(api: FastifyInstance, ctx: ServiceContext): void {
  api.get('/team', async (request) => ({ members: await listTeam(ctx, principalOf(request).accountId) }));

  api.get<{ Params: { userId: string } }>('/team/:userId', async (request) => ({
    member: await getMember(ctx, principalOf(request).accountId, request.params.userId),
  }));

  api.post('/team', async (request, reply) => {
    const input = parseInput(AddMember, request.body);
    const { member, invitation } = await addMember(ctx, principalOf(request), input);
    // inviteUrl: present when the invitation could not be emailed (no RINGBACK_SMTP_URL, or the
    // mail server refused); pass it on to the person, who sets their password there.
    return reply.status(201).send({
      member,
      invitation: invitation ? { emailed: invitation.emailed } : null,
      ...(invitation?.url ? { inviteUrl: invitation.url } : {}),
    });
  });

  api.patch<{ Params: { userId: string } }>('/team/:userId', async (request) => {
    const input = parseInput(UpdateMember, request.body);
    return { member: await updateMember(ctx, principalOf(request), request.params.userId, input) };
  });

  api.delete<{ Params: { userId: string } }>('/team/:userId', async (request, reply) => {
    await removeMember(ctx, principalOf(request), request.params.userId);
    return reply.status(204).send();
  });

  api.get('/notifications', async (request) => {
    const q = parseInput(ListNotifications, request.query, 'query');
    const notifications = await listAccountNotifications(ctx, principalOf(request).accountId, {
      limit: q.limit,
      ...(q.before ? { before: q.before } : {}),
      ...(q.userId ? { userId: q.userId } : {}),
    });
    const last = notifications.at(-1);
    return { notifications, next: last && notifications.length === q.limit ? encodeCursor({ at: last.createdAt, id: last.id }) : null };
  });
}
