// One person, several businesses (an agency, an owner with two companies): the accounts a user
// belongs to, adding another business, and moving the browser session from one to the next.
import { isValidTimeZone } from '../domain/schedule.ts';
import { newId } from '../store/ids.ts';
import * as sessions from '../store/sessions-repository.ts';
import type { Principal } from './access.ts';
import { provisionAccount } from './bootstrap.ts';
import type { ServiceContext } from './context.ts';
import { AppError } from './errors.ts';
import { openSessionForUser, type OpenedSession, type Role } from './sessions.ts';

export interface MyAccount {
  id: string;
  name: string;
  role: Role;
}

export async function listMyAccounts(ctx: ServiceContext, userId: string): Promise<MyAccount[]> {
  const rows = await sessions.listMemberships(ctx.store.db, userId);
  return rows.map((m) => ({ id: m.accountId, name: m.accountName, role: m.role }));
}

/**
 * A new business with the caller as its owner. Only an owner (of the account they are signed in
 * to) may add one: admins and agents work inside a business someone else runs.
 */
export async function addBusiness(ctx: ServiceContext, principal: Principal, input: { name: string; timeZone: string }): Promise<MyAccount> {
  const membership = await sessions.findMembership(ctx.store.db, principal.accountId, principal.userId);
  if (membership?.role !== 'owner') throw new AppError('forbidden', 'only an owner can add a business');
  if (!isValidTimeZone(input.timeZone)) {
    const message = `"${input.timeZone}" is not an IANA time zone such as America/Chicago`;
    throw new AppError('validation_failed', `timeZone: ${message}`, [{ field: 'timeZone', message }]);
  }
  const accountId = newId('acc');
  await ctx.store.transaction(async (tx) => {
    await provisionAccount(tx, ctx, { accountId, name: input.name, timeZone: input.timeZone, ownerUserId: principal.userId, now: ctx.clock().toISOString() });
  });
  return { id: accountId, name: input.name, role: 'owner' };
}

/** Ends this session and opens one in another of the user's accounts (a new cookie and CSRF token). */
export async function switchAccount(ctx: ServiceContext, principal: Principal, accountId: string): Promise<OpenedSession> {
  if (!principal.sessionId) throw new AppError('validation_failed', 'switching business is for browser sessions; an API key belongs to one account');
  const sessionId = principal.sessionId;
  return ctx.store.transaction(async (tx) => {
    // Not a member and no such account read the same, so nobody learns which accounts exist.
    const opened = await openSessionForUser(ctx, tx.db, principal.userId, accountId);
    if (!opened) throw new AppError('not_found', 'you are not a member of that business');
    await sessions.revokeSession(tx.db, sessionId, ctx.clock().toISOString());
    return opened;
  });
}
