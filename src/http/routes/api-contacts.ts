// Contacts: search and read them, edit what the team knows, block or unblock, and the timeline.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { isValidTimeZone } from '../../domain/schedule.ts';
import { US_STATE_CODES } from '../../domain/state-rules.ts';
import { getContact, listContacts, updateContactDetails } from '../../services/contacts.ts';
import type { ServiceContext } from '../../services/context.ts';
import { getContactTimeline } from '../../services/timeline.ts';
import { encodeCursor } from '../../store/paging.ts';
import { principalOf } from '../auth.ts';
import { booleanQueryField, cursorField, limitField, parseInput } from '../validation.ts';

const ListContacts = z.object({
  q: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters').optional(),
  tag: z.string().trim().min(1, 'must not be empty').max(40, 'must be at most 40 characters').optional(),
  customer: booleanQueryField.optional(),
  blocked: booleanQueryField.optional(),
  optedOut: booleanQueryField.optional(),
  before: cursorField.optional(),
  limit: limitField,
});

const Paging = z.object({ before: cursorField.optional(), limit: limitField });

/** Optional text that may be cleared: null or "" clears it; otherwise trimmed and 1..max long. */
const clearableText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `must be at most ${max} characters`)
    .nullable()
    .transform((v) => (v === '' ? null : v));

const TAG = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(40, 'must be at most 40 characters')
  .transform((t) => t.toLowerCase());

const PatchContact = z
  .strictObject({
    name: clearableText(200).optional(),
    email: z
      .union([z.literal(''), z.email('must be an email address, e.g. jo@example.com')], 'must be an email address, e.g. jo@example.com')
      .nullable()
      .transform((v) => (v ? v.toLowerCase() : null))
      .optional(),
    tags: z
      .array(TAG, 'must be a list of tags')
      .max(20, 'must have at most 20 tags')
      .transform((tags) => [...new Set(tags)])
      .optional(),
    isCustomer: z.boolean().optional(),
    blocked: z.boolean().optional(),
    address: clearableText(500).optional(),
    state: z
      .string()
      .trim()
      .transform((s) => s.toUpperCase())
      .refine((s) => (US_STATE_CODES as readonly string[]).includes(s), 'must be a two-letter US state code, e.g. "TX" (or DC)')
      .nullable()
      .optional(),
    timeZone: z
      .string()
      .refine((tz) => isValidTimeZone(tz), 'must be an IANA time zone, e.g. "America/Chicago"')
      // Stored as the zone's canonical name ("america/chicago" → "America/Chicago").
      .transform((tz) => new Intl.DateTimeFormat('en-US', { timeZone: tz }).resolvedOptions().timeZone)
      .nullable()
      .optional(),
  })
  .refine((p) => Object.values(p).some((v) => v !== undefined), { message: 'must change at least one field' });

type IdParams = { Params: { id: string } };

export function registerContactRoutes(api: FastifyInstance, ctx: ServiceContext): void {
  api.get('/contacts', async (request) => {
    const { before, ...q } = parseInput(ListContacts, request.query, 'query');
    const contacts = await listContacts(ctx, principalOf(request).accountId, {
      limit: q.limit,
      ...(q.q !== undefined ? { q: q.q } : {}),
      ...(q.tag !== undefined ? { tag: q.tag } : {}),
      ...(q.customer !== undefined ? { customer: q.customer } : {}),
      ...(q.blocked !== undefined ? { blocked: q.blocked } : {}),
      ...(q.optedOut !== undefined ? { optedOut: q.optedOut } : {}),
      ...(before ? { before } : {}),
    });
    const last = contacts.at(-1);
    return { contacts, next: last && contacts.length === q.limit ? encodeCursor({ at: last.createdAt, id: last.id }) : null };
  });

  api.get<IdParams>('/contacts/:id', async (request) => {
    return { contact: await getContact(ctx, principalOf(request).accountId, request.params.id) };
  });

  api.patch<IdParams>('/contacts/:id', async (request) => {
    const patch = parseInput(PatchContact, request.body);
    const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    return { contact: await updateContactDetails(ctx, principalOf(request), request.params.id, defined) };
  });

  api.get<IdParams>('/contacts/:id/timeline', async (request) => {
    const q = parseInput(Paging, request.query, 'query');
    return getContactTimeline(ctx, principalOf(request).accountId, request.params.id, { limit: q.limit, ...(q.before ? { before: q.before } : {}) });
  });
}
