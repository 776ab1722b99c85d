// Contacts: who the business talks to, what the team knows about them (name, email, tags, address
// for lawful hours), and whether they may be texted (blocked by the team, opted out by themselves).
import type { Updateable } from 'kysely';
import { cancelQueuedAutomatedMessages } from '../store/conversations-repository.ts';
import {
  findActiveSuppression,
  findContact,
  findLatestLeadOf,
  insertEvent,
  listContactConversations,
  listContactRows,
  patchContact,
  type ContactListFilter,
} from '../store/contacts-repository.ts';
import type { Contact, ContactsTable, Conversation } from '../store/schema.ts';
import type { ServiceContext } from './context.ts';
import { notFound } from './errors.ts';
import { liveEvent } from './live-events.ts';

export interface ContactView {
  id: string;
  number: string;
  name: string | null;
  email: string | null;
  tags: string[];
  isCustomer: boolean;
  blocked: boolean;
  optedOut: boolean;
  /** What carriers told us: mobile, landline, toll_free, no_sms, unknown. */
  lineType: string;
  createdAt: string;
  updatedAt: string;
}

export interface ContactDetail extends ContactView {
  address: string | null;
  state: string | null;
  timeZone: string | null;
  /** A carrier said the number cannot take texts. */
  invalid: boolean;
  optOut: { since: string; words: string | null; source: string } | null;
  lead: { id: string; stage: string; valueCents: number | null } | null;
  conversations: Array<{ id: string; lineId: string; status: Conversation['status']; lastMessageAt: string | null }>;
}

function parseTags(json: string): string[] {
  try {
    const value: unknown = JSON.parse(json);
    return Array.isArray(value) ? value.filter((t): t is string => typeof t === 'string') : [];
  } catch {
    return [];
  }
}

function presentContact(c: Contact, suppressionKind: string | null): ContactView {
  return {
    id: c.id,
    number: c.number,
    name: c.name,
    email: c.email,
    tags: parseTags(c.tags),
    isCustomer: c.is_customer === 1,
    blocked: c.blocked === 1 || suppressionKind === 'block',
    optedOut: suppressionKind === 'opt_out',
    lineType: c.line_type,
    createdAt: c.created_at,
    updatedAt: c.updated_at,
  };
}

export async function listContacts(ctx: ServiceContext, accountId: string, filter: Omit<ContactListFilter, 'accountId'>): Promise<ContactView[]> {
  const rows = await listContactRows(ctx.store.db, { accountId, ...filter });
  return rows.map(({ suppression_kind, ...c }) => presentContact(c, suppression_kind));
}

export async function getContact(ctx: ServiceContext, accountId: string, id: string): Promise<ContactDetail> {
  const db = ctx.store.db;
  const contact = await findContact(db, accountId, id);
  if (!contact) throw notFound(`contact ${id}`);
  const [suppression, lead, conversations] = await Promise.all([
    findActiveSuppression(db, accountId, contact.number),
    findLatestLeadOf(db, accountId, contact.id),
    listContactConversations(db, accountId, contact.id),
  ]);
  return {
    ...presentContact(contact, suppression?.kind ?? null),
    address: contact.address,
    state: contact.state,
    timeZone: contact.time_zone,
    invalid: contact.invalid === 1,
    optOut: suppression?.kind === 'opt_out' ? { since: suppression.created_at, words: suppression.words, source: suppression.source } : null,
    lead: lead ? { id: lead.id, stage: lead.stage, valueCents: lead.value_cents } : null,
    conversations: conversations.map((c) => ({ id: c.id, lineId: c.line_id, status: c.status, lastMessageAt: c.last_message_at })),
  };
}

/** Already validated and normalised at the edge (tags lower-cased and deduplicated, state upper-cased). */
export interface ContactPatch {
  name?: string | null;
  email?: string | null;
  tags?: string[];
  isCustomer?: boolean;
  blocked?: boolean;
  address?: string | null;
  state?: string | null;
  timeZone?: string | null;
}

/**
 * Applies a person's edit. Only fields whose value changes are written and recorded. The audit
 * event names the changed fields and keeps the values of the two flags only: names, emails,
 * addresses and tags are personal data, and an append-only log is the wrong place to keep them
 * (the contact row holds the current values).
 */
export async function updateContactDetails(
  ctx: ServiceContext,
  principal: { accountId: string; userId: string },
  id: string,
  patch: ContactPatch,
): Promise<ContactDetail> {
  await ctx.store.transaction(async (tx) => {
    const contact = await findContact(tx.db, principal.accountId, id);
    if (!contact) throw notFound(`contact ${id}`);
    const now = ctx.clock().toISOString();
    const row: Updateable<ContactsTable> = {};
    const changed: string[] = [];
    const set = <K extends keyof ContactPatch>(field: K, column: keyof ContactsTable, current: unknown, value: unknown) => {
      if (patch[field] === undefined || current === value) return;
      (row as Record<string, unknown>)[column] = value;
      changed.push(field);
    };
    set('name', 'name', contact.name, patch.name);
    set('email', 'email', contact.email, patch.email);
    set('tags', 'tags', contact.tags, patch.tags === undefined ? undefined : JSON.stringify(patch.tags));
    set('isCustomer', 'is_customer', contact.is_customer, patch.isCustomer === undefined ? undefined : patch.isCustomer ? 1 : 0);
    set('blocked', 'blocked', contact.blocked, patch.blocked === undefined ? undefined : patch.blocked ? 1 : 0);
    set('address', 'address', contact.address, patch.address);
    set('state', 'state', contact.state, patch.state);
    set('timeZone', 'time_zone', contact.time_zone, patch.timeZone);
    if (changed.length === 0) return;

    await patchContact(tx.db, principal.accountId, contact.id, { ...row, updated_at: now });
    const data: Record<string, unknown> = { fields: changed };
    if (changed.includes('isCustomer')) data.isCustomer = patch.isCustomer;
    if (changed.includes('blocked')) {
      data.blocked = patch.blocked;
      // Blocked means nothing automatic goes out to them, including what is already queued.
      if (patch.blocked) {
        data.canceledMessageIds = await cancelQueuedAutomatedMessages(tx.db, principal.accountId, contact.number, 'canceled: the contact is blocked', now);
      }
    }
    await insertEvent(tx.db, {
      account_id: principal.accountId,
      type: 'contact.updated',
      subject_type: 'contact',
      subject_id: contact.id,
      actor: `user:${principal.userId}`,
      data: JSON.stringify(data),
      created_at: now,
    });
    await ctx.events.publish(tx, liveEvent('contact.updated', principal.accountId, { contactId: contact.id }, ctx.clock()));
  });
  return getContact(ctx, principal.accountId, id);
}
