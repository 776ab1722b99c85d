// Saved replies: an account's ready-made texts ("We're on our way, {{first_name}}") that owners and
// admins keep and anyone in the team inserts in a conversation's composer, filled in for that
// conversation's contact and line. The body is checked as a reply template (known variables,
// balanced braces, the carrier's length once filled in); a title names it, once per account.
import { formatPhoneForDisplay } from '../domain/phone.ts';
import { describeCallbackWindow } from '../domain/schedule.ts';
import { checkTemplate, firstNameOf, measureText, renderTemplate, TEMPLATE_VARIABLES, type TemplateVariable } from '../domain/templates.ts';
import { findAccount } from '../store/accounts-repository.ts';
import { findContact, insertEvent } from '../store/contacts-repository.ts';
import { findConversation } from '../store/conversations-repository.ts';
import type { Tx } from '../store/database.ts';
import { serializeOn } from '../store/dialect.ts';
import { newId } from '../store/ids.ts';
import { findAccountLine } from '../store/lines-repository.ts';
import * as repo from '../store/saved-replies-repository.ts';
import type { Account, SavedReply } from '../store/schema.ts';
import { scheduleOf } from './account-settings.ts';
import type { ServiceContext } from './context.ts';
import { AppError, conflict, notFound } from './errors.ts';

export const MAX_TITLE_CHARS = 60;
export { MAX_SAVED_REPLIES } from '../store/saved-replies-repository.ts';

export interface SavedReplyView {
  id: string;
  title: string;
  body: string;
  /** The variables the body uses, in order of first use. */
  variables: TemplateVariable[];
  /** Of the body as written (the rendered text is measured when it is rendered). */
  characters: number;
  encoding: string;
  segments: number;
  createdByUserId: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface RenderedReply {
  reply: { id: string; title: string };
  text: string;
  characters: number;
  encoding: string;
  segments: number;
  nonGsmCharacters: string[];
  /** What the person should look at before sending (a value that could not be filled in). */
  warnings: string[];
}

interface Actor {
  accountId: string;
  userId: string;
}

const PLACEHOLDER = /\{\{\s*([a-z_]+)\s*\}\}/g;

function variablesOf(body: string): TemplateVariable[] {
  const found: TemplateVariable[] = [];
  for (const m of body.matchAll(PLACEHOLDER)) {
    const name = m[1] as TemplateVariable;
    if ((TEMPLATE_VARIABLES as readonly string[]).includes(name) && !found.includes(name)) found.push(name);
  }
  return found;
}

function present(r: SavedReply): SavedReplyView {
  return {
    id: r.id,
    title: r.title,
    body: r.body,
    variables: variablesOf(r.body),
    characters: measureText(r.body).characters,
    encoding: r.encoding,
    segments: r.segments,
    createdByUserId: r.created_by_user_id,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** What makes two titles the same: case, surrounding and repeated spaces, Unicode spelling. */
export function titleKey(title: string): string {
  return title.normalize('NFC').trim().replace(/\s+/g, ' ').toLowerCase();
}

/** The reply rules of checkTemplate; 400 naming `body` once per problem. */
function checkBody(account: Account, body: string): void {
  const check = checkTemplate(body, { purpose: 'reply', hasBookingLink: account.booking_url !== null });
  if (!check.ok) {
    throw new AppError(
      'validation_failed',
      `body: ${check.errors.join('; ')}`,
      check.errors.map((message) => ({ field: 'body', message })),
    );
  }
}

function titleTaken(title: string, other: SavedReply): AppError {
  return conflict(`a saved reply titled "${other.title}" (${other.id}) already exists; give this one another title`);
}

async function accountOf(tx: Tx, accountId: string): Promise<Account> {
  const account = await findAccount(tx.db, accountId);
  if (!account) throw notFound('the account');
  return account;
}

async function record(ctx: ServiceContext, tx: Tx, actor: Actor, type: string, id: string, data: Record<string, unknown>): Promise<void> {
  await insertEvent(tx.db, {
    account_id: actor.accountId,
    type,
    subject_type: 'saved_reply',
    subject_id: id,
    actor: `user:${actor.userId}`,
    data: JSON.stringify(data),
    created_at: ctx.clock().toISOString(),
  });
}

export async function listSavedReplies(ctx: ServiceContext, accountId: string): Promise<SavedReplyView[]> {
  return (await repo.listSavedReplies(ctx.store.db, accountId)).map(present);
}

export async function getSavedReply(ctx: ServiceContext, accountId: string, id: string): Promise<SavedReplyView> {
  const row = await repo.findSavedReply(ctx.store.db, accountId, id);
  if (!row) throw notFound(`saved reply ${id}`);
  return present(row);
}

export async function createSavedReply(ctx: ServiceContext, actor: Actor, input: { title: string; body: string }): Promise<SavedReplyView> {
  return ctx.store.transaction(async (tx) => {
    // Two saves of one title at once: the second waits and then finds the first (Postgres).
    await serializeOn(tx.db, `saved-replies:${actor.accountId}`);
    const account = await accountOf(tx, actor.accountId);
    checkBody(account, input.body);
    const key = titleKey(input.title);
    const same = await repo.findSavedReplyByTitle(tx.db, account.id, key);
    if (same) throw titleTaken(input.title, same);
    if ((await repo.countSavedReplies(tx.db, account.id)) >= repo.MAX_SAVED_REPLIES) {
      throw conflict(`the account already has ${repo.MAX_SAVED_REPLIES} saved replies, the most it may keep; delete some first`);
    }
    const m = measureText(input.body);
    const now = ctx.clock().toISOString();
    const row: SavedReply = {
      id: newId('reply'),
      account_id: account.id,
      title: input.title,
      title_key: key,
      body: input.body,
      encoding: m.encoding,
      segments: m.segments,
      created_by_user_id: actor.userId,
      created_at: now,
      updated_at: now,
    };
    if (!(await repo.insertSavedReply(tx.db, row))) {
      const other = await repo.findSavedReplyByTitle(tx.db, account.id, key);
      throw other ? titleTaken(input.title, other) : conflict(`a saved reply titled "${input.title}" already exists`);
    }
    await record(ctx, tx, actor, 'saved_reply.created', row.id, { title: row.title });
    return present(row);
  });
}

export async function updateSavedReply(ctx: ServiceContext, actor: Actor, id: string, patch: { title?: string; body?: string }): Promise<SavedReplyView> {
  return ctx.store.transaction(async (tx) => {
    await serializeOn(tx.db, `saved-replies:${actor.accountId}`);
    const current = await repo.findSavedReply(tx.db, actor.accountId, id);
    if (!current) throw notFound(`saved reply ${id}`);
    const account = await accountOf(tx, actor.accountId);
    if (patch.body !== undefined) checkBody(account, patch.body);
    const title = patch.title ?? current.title;
    const key = titleKey(title);
    if (key !== current.title_key) {
      const same = await repo.findSavedReplyByTitle(tx.db, account.id, key, id);
      if (same) throw titleTaken(title, same);
    }
    const body = patch.body ?? current.body;
    if (title === current.title && body === current.body) return present(current);
    const m = measureText(body);
    const updated = await repo.updateSavedReply(tx.db, account.id, id, {
      title,
      title_key: key,
      body,
      encoding: m.encoding,
      segments: m.segments,
      updated_at: ctx.clock().toISOString(),
    });
    if (!updated) throw notFound(`saved reply ${id}`);
    await record(ctx, tx, actor, 'saved_reply.updated', id, { title, titleChanged: title !== current.title, bodyChanged: body !== current.body });
    return present(updated);
  });
}

export async function deleteSavedReply(ctx: ServiceContext, actor: Actor, id: string): Promise<void> {
  await ctx.store.transaction(async (tx) => {
    const current = await repo.findSavedReply(tx.db, actor.accountId, id);
    if (!current || !(await repo.deleteSavedReply(tx.db, actor.accountId, id))) throw notFound(`saved reply ${id}`);
    await record(ctx, tx, actor, 'saved_reply.deleted', id, { title: current.title });
  });
}

/**
 * The reply filled in for one conversation: its contact's first name, the business, the booking
 * link, the conversation's own line, and when the team will call back as of now. Nothing is sent;
 * the text goes into the composer, where the person can still change it.
 */
export async function renderSavedReply(ctx: ServiceContext, accountId: string, conversationId: string, replyId: string): Promise<RenderedReply> {
  const db = ctx.store.db;
  const conversation = await findConversation(db, accountId, conversationId);
  if (!conversation) throw notFound(`conversation ${conversationId}`);
  const reply = await repo.findSavedReply(db, accountId, replyId);
  if (!reply) throw notFound(`saved reply ${replyId}`);
  const [account, contact, line] = await Promise.all([
    findAccount(db, accountId),
    findContact(db, accountId, conversation.contact_id),
    findAccountLine(db, accountId, conversation.line_id),
  ]);
  if (!account || !contact || !line) throw notFound(`conversation ${conversationId}`);
  const used = variablesOf(reply.body);
  const warnings: string[] = [];
  if (used.includes('booking_link') && !account.booking_url) {
    warnings.push('{{booking_link}} was left empty: no booking link is set up (Settings → Business)');
  }
  const firstName = firstNameOf(contact.name);
  // The stand-in firstNameOf uses when there is no usable name (none saved, or only a number).
  if (used.includes('first_name') && firstName === firstNameOf(null)) {
    warnings.push(`{{first_name}} reads "${firstName}": no first name is saved for this contact`);
  }
  const text = renderTemplate(reply.body, {
    business_name: account.name,
    first_name: firstName,
    callback_window: describeCallbackWindow(ctx.clock(), scheduleOf(account)),
    booking_link: account.booking_url ?? '',
    line_number: formatPhoneForDisplay(line.number),
  });
  const m = measureText(text);
  return {
    reply: { id: reply.id, title: reply.title },
    text,
    characters: m.characters,
    encoding: m.encoding,
    segments: m.segments,
    nonGsmCharacters: [...m.nonGsmCharacters],
    warnings,
  };
}
