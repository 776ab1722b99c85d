// Sessions (browser sign-in) and one-time sign-in tokens (reset, invite, welcome).
import type { Insertable } from 'kysely';
import type { Db } from './database.ts';
import type { AuthToken, AuthTokenKind, AuthTokensTable, Session, SessionsTable } from './schema.ts';

export interface SessionWithUser extends Session {
  email: string;
  user_name: string | null;
  account_name: string;
  role: 'owner' | 'admin' | 'agent';
}

export async function insertSession(db: Db, row: Insertable<SessionsTable>): Promise<void> {
  await db.insertInto('sessions').values(row).execute();
}

/**
 * A live session by its token's hash, with who it belongs to. A session whose user has left the
 * account is not live (the membership join drops it).
 */
export async function findLiveSession(db: Db, tokenHash: string, now: string): Promise<SessionWithUser | undefined> {
  return db
    .selectFrom('sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .innerJoin('accounts as a', 'a.id', 's.account_id')
    .innerJoin('memberships as m', (j) => j.onRef('m.user_id', '=', 's.user_id').onRef('m.account_id', '=', 's.account_id'))
    .selectAll('s')
    .select(['u.email as email', 'u.name as user_name', 'a.name as account_name', 'm.role as role'])
    .where('s.token_hash', '=', tokenHash)
    .where('s.revoked_at', 'is', null)
    .where('s.expires_at', '>', now)
    .executeTakeFirst();
}

export async function touchSession(db: Db, id: string, lastSeenAt: string, expiresAt: string): Promise<void> {
  await db.updateTable('sessions').set({ last_seen_at: lastSeenAt, expires_at: expiresAt }).where('id', '=', id).where('revoked_at', 'is', null).execute();
}

/** Ends the welcome session's right to set a password without the current one. */
export async function endSetPasswordWindow(db: Db, id: string): Promise<void> {
  await db.updateTable('sessions').set({ set_password_until: null }).where('id', '=', id).execute();
}

export async function revokeSession(db: Db, id: string, now: string): Promise<void> {
  await db.updateTable('sessions').set({ revoked_at: now }).where('id', '=', id).where('revoked_at', 'is', null).execute();
}

/** Revokes every live session of the user (in every account), except `keep`; returns how many. */
export async function revokeUserSessions(db: Db, userId: string, now: string, keep?: string): Promise<number> {
  let q = db.updateTable('sessions').set({ revoked_at: now }).where('user_id', '=', userId).where('revoked_at', 'is', null);
  if (keep) q = q.where('id', '!=', keep);
  const result = await q.executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function insertAuthToken(db: Db, row: Insertable<AuthTokensTable>): Promise<void> {
  await db.insertInto('auth_tokens').values(row).execute();
}

export async function findUsableAuthToken(db: Db, kind: AuthTokenKind, tokenHash: string, now: string): Promise<AuthToken | undefined> {
  return db
    .selectFrom('auth_tokens')
    .selectAll()
    .where('token_hash', '=', tokenHash)
    .where('kind', '=', kind)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
}

/** Spends the token; false when another request spent it first. */
export async function spendAuthToken(db: Db, id: string, now: string): Promise<boolean> {
  const result = await db.updateTable('auth_tokens').set({ used_at: now }).where('id', '=', id).where('used_at', 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** A new link of a kind replaces the user's earlier unused ones (the last email is the one that works). */
export async function spendEarlierAuthTokens(db: Db, userId: string, kind: AuthTokenKind, now: string): Promise<void> {
  await db.updateTable('auth_tokens').set({ used_at: now }).where('user_id', '=', userId).where('kind', '=', kind).where('used_at', 'is', null).execute();
}

export interface SignInUser {
  userId: string;
  email: string;
  name: string | null;
  passwordHash: string;
}

export async function findUserForSignIn(db: Db, email: string): Promise<SignInUser | undefined> {
  return db
    .selectFrom('users')
    .select(['id as userId', 'email', 'name', 'password_hash as passwordHash'])
    .where('email', '=', email)
    .executeTakeFirst();
}

export async function findUserById(db: Db, userId: string): Promise<SignInUser | undefined> {
  return db
    .selectFrom('users')
    .select(['id as userId', 'email', 'name', 'password_hash as passwordHash'])
    .where('id', '=', userId)
    .executeTakeFirst();
}

/** The user's memberships, oldest first: sign-in opens the first account. */
export async function listMemberships(
  db: Db,
  userId: string,
): Promise<Array<{ accountId: string; accountName: string; role: 'owner' | 'admin' | 'agent' }>> {
  return db
    .selectFrom('memberships as m')
    .innerJoin('accounts as a', 'a.id', 'm.account_id')
    .select(['m.account_id as accountId', 'a.name as accountName', 'm.role as role'])
    .where('m.user_id', '=', userId)
    .orderBy('m.created_at')
    .orderBy('m.id')
    .execute();
}

export async function findMembership(
  db: Db,
  accountId: string,
  userId: string,
): Promise<{ accountId: string; accountName: string; role: 'owner' | 'admin' | 'agent' } | undefined> {
  return db
    .selectFrom('memberships as m')
    .innerJoin('accounts as a', 'a.id', 'm.account_id')
    .select(['m.account_id as accountId', 'a.name as accountName', 'm.role as role'])
    .where('m.user_id', '=', userId)
    .where('m.account_id', '=', accountId)
    .executeTakeFirst();
}
