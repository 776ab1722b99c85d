// The people of an account: users (global: one person, one email) joined to their memberships
// (per account: role and alert preferences). Every query is scoped by the account.
import type { Insertable } from 'kysely';
import type { Db } from './database.ts';
import type { MembershipsTable, UsersTable } from './schema.ts';

export interface MemberRow {
  membershipId: string;
  userId: string;
  email: string;
  name: string | null;
  phone: string | null;
  role: 'owner' | 'admin' | 'agent';
  alertPrefs: string;
  createdAt: string;
}

function members(db: Db, accountId: string) {
  return db
    .selectFrom('memberships as m')
    .innerJoin('users as u', 'u.id', 'm.user_id')
    .select([
      'm.id as membershipId',
      'u.id as userId',
      'u.email as email',
      'u.name as name',
      'u.phone as phone',
      'm.role as role',
      'm.alert_prefs as alertPrefs',
      'm.created_at as createdAt',
    ])
    .where('m.account_id', '=', accountId);
}

export async function listMembers(db: Db, accountId: string): Promise<MemberRow[]> {
  return members(db, accountId).orderBy('m.created_at').orderBy('m.id').execute();
}

export async function findMember(db: Db, accountId: string, userId: string): Promise<MemberRow | undefined> {
  return members(db, accountId).where('u.id', '=', userId).executeTakeFirst();
}

export async function findMemberByEmail(db: Db, accountId: string, email: string): Promise<MemberRow | undefined> {
  return members(db, accountId).where('u.email', '=', email).executeTakeFirst();
}

/** A user by email, whichever accounts they belong to (emails are unique across the install). */
export async function findUserIdByEmail(db: Db, email: string): Promise<string | undefined> {
  const row = await db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirst();
  return row?.id;
}

/** Inserts the user unless the email exists; true when inserted. */
export async function insertUserIfNew(db: Db, row: Insertable<UsersTable>): Promise<boolean> {
  const result = await db.insertInto('users').values(row).onConflict((oc) => oc.column('email').doNothing()).executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

/** True when inserted; false when the user is already a member of the account. */
export async function insertMembershipIfNew(db: Db, row: Insertable<MembershipsTable>): Promise<boolean> {
  const result = await db
    .insertInto('memberships')
    .values(row)
    .onConflict((oc) => oc.columns(['account_id', 'user_id']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

export async function updateMembership(
  db: Db,
  accountId: string,
  userId: string,
  patch: { role?: MemberRow['role']; alert_prefs?: string },
): Promise<void> {
  if (Object.keys(patch).length === 0) return;
  await db.updateTable('memberships').set(patch).where('account_id', '=', accountId).where('user_id', '=', userId).execute();
}

/** Name and phone live on the user; only a member of this account is touched. */
export async function updateMemberUser(db: Db, accountId: string, userId: string, patch: { name?: string | null; phone?: string | null }): Promise<void> {
  if (Object.keys(patch).length === 0) return;
  await db
    .updateTable('users')
    .set(patch)
    .where('id', '=', userId)
    .where('id', 'in', db.selectFrom('memberships').select('user_id').where('account_id', '=', accountId))
    .execute();
}

export async function deleteMembership(db: Db, accountId: string, userId: string): Promise<boolean> {
  const result = await db.deleteFrom('memberships').where('account_id', '=', accountId).where('user_id', '=', userId).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** A removed member's API keys for this account stop working with the membership. */
export async function revokeMemberApiKeys(db: Db, accountId: string, userId: string, now: string): Promise<number> {
  const result = await db
    .updateTable('api_keys')
    .set({ revoked_at: now })
    .where('account_id', '=', accountId)
    .where('user_id', '=', userId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

export async function countOwners(db: Db, accountId: string): Promise<number> {
  const row = await db
    .selectFrom('memberships')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('account_id', '=', accountId)
    .where('role', '=', 'owner')
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** How many other accounts the user belongs to (their name and phone are shared with those). */
export async function countOtherMemberships(db: Db, accountId: string, userId: string): Promise<number> {
  const row = await db
    .selectFrom('memberships')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('user_id', '=', userId)
    .where('account_id', '!=', accountId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
