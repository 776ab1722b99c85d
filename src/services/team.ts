// The team: who belongs to the account, their role, their cell for alerts, and their alert
// preferences (domain/alerts.ts). Owners and admins manage the team; everyone manages their own
// name, phone and alerts. The last owner can be neither removed nor demoted.
import { randomBytes } from 'node:crypto';
import { checkAlertPrefs, readAlertPrefs, type AlertPrefs, type MemberRole } from '../domain/alerts.ts';
import { serializeOn } from '../store/dialect.ts';
import { newId } from '../store/ids.ts';
import * as team from '../store/team-repository.ts';
import type { MemberRow } from '../store/team-repository.ts';
import type { Principal } from './access.ts';
import type { ServiceContext } from './context.ts';
import { issueToken, sendInvitation } from './sign-in.ts';
import { findAccount } from '../store/accounts-repository.ts';
import { AppError, conflict, notFound, unprocessable, type FieldError } from './errors.ts';

export interface MemberView {
  userId: string;
  name: string | null;
  email: string;
  role: MemberRole;
  phone: string | null;
  /** In effect: the member's choices over the defaults for their role. */
  alertPrefs: AlertPrefs;
  createdAt: string;
}

export interface TeamMember extends MemberRow {
  prefs: AlertPrefs;
}

export function prefsOf(member: Pick<MemberRow, 'alertPrefs' | 'role'>): AlertPrefs {
  return readAlertPrefs(member.alertPrefs, member.role);
}

export function withPrefs(member: MemberRow): TeamMember {
  return { ...member, prefs: prefsOf(member) };
}

function present(m: MemberRow): MemberView {
  return { userId: m.userId, name: m.name, email: m.email, role: m.role, phone: m.phone, alertPrefs: prefsOf(m), createdAt: m.createdAt };
}

/** A password hash that matches no password (no "scrypt$" scheme): sign-in comes with an invitation, later. */
function unusablePasswordHash(): string {
  return `!unusable$${randomBytes(16).toString('base64url')}`;
}

const forbidden = (message: string) => new AppError('forbidden', message);

async function actorOf(ctx: ServiceContext, principal: Principal): Promise<MemberRow> {
  const actor = await team.findMember(ctx.store.db, principal.accountId, principal.userId);
  if (!actor) throw forbidden('the API key\'s user is no longer a member of this account');
  return actor;
}

const manages = (actor: MemberRow) => actor.role === 'owner' || actor.role === 'admin';

export async function listTeam(ctx: ServiceContext, accountId: string): Promise<MemberView[]> {
  return (await team.listMembers(ctx.store.db, accountId)).map(present);
}

export async function getMember(ctx: ServiceContext, accountId: string, userId: string): Promise<MemberView> {
  const member = await team.findMember(ctx.store.db, accountId, userId);
  if (!member) throw notFound(`team member ${userId}`);
  return present(member);
}

export interface NewMember {
  email: string;
  name: string;
  role: 'admin' | 'agent';
  phone?: string | undefined;
}

export interface AddedMember {
  member: MemberView;
  /**
   * A new person's invitation (sign-in/sign-in.ts): emailed when mail is set up; otherwise `url`
   * is for the owner to pass on. Null for someone who already has a sign-in (another account's member).
   */
  invitation: { emailed: boolean; url: string | null } | null;
}

export async function addMember(ctx: ServiceContext, principal: Principal, input: NewMember): Promise<AddedMember> {
  const actor = await actorOf(ctx, principal);
  if (!manages(actor)) throw forbidden('only owners and admins may add people to the team');
  const email = input.email.trim().toLowerCase();
  const now = ctx.clock().toISOString();
  const added = await ctx.store.transaction(async (tx) => {
    if (await team.findMemberByEmail(tx.db, principal.accountId, email)) {
      throw new AppError('conflict', `${email} is already a member of this account`, [{ field: 'email', message: 'is already a member of this account' }]);
    }
    // One person, one user: someone who already belongs to another account joins this one as
    // they are (their name and phone are theirs to change, not this account's).
    const newUser = await team.insertUserIfNew(tx.db, {
      id: newId('usr'),
      email,
      name: input.name,
      phone: input.phone ?? null,
      password_hash: unusablePasswordHash(),
      created_at: now,
    });
    const userId = (await team.findUserIdByEmail(tx.db, email))!;
    const added = await team.insertMembershipIfNew(tx.db, {
      id: newId('mem'),
      account_id: principal.accountId,
      user_id: userId,
      role: input.role,
      created_at: now,
    });
    if (!added) throw new AppError('conflict', `${email} is already a member of this account`, [{ field: 'email', message: 'is already a member of this account' }]);
    // Invited people set their own password from the link; nobody else ever knows it.
    const inviteToken = newUser ? await issueToken(tx.db, 'invite', { userId, accountId: principal.accountId }, ctx.clock()) : null;
    const account = await findAccount(tx.db, principal.accountId);
    return { member: present((await team.findMember(tx.db, principal.accountId, userId))!), inviteToken, accountName: account?.name ?? 'Ringback' };
  });
  if (!added.inviteToken) return { member: added.member, invitation: null };
  const invitation = await sendInvitation(ctx, {
    token: added.inviteToken,
    email,
    accountName: added.accountName,
    invitedBy: actor.name ?? actor.email,
  });
  return { member: added.member, invitation: { emailed: invitation.emailed, url: invitation.emailed ? null : invitation.url } };
}

export interface MemberPatch {
  name?: string | null | undefined;
  phone?: string | null | undefined;
  role?: MemberRole | undefined;
  alertPrefs?: Partial<AlertPrefs> | undefined;
}

export async function updateMember(ctx: ServiceContext, principal: Principal, userId: string, patch: MemberPatch): Promise<MemberView> {
  const actor = await actorOf(ctx, principal);
  const self = actor.userId === userId;
  if (!self && !manages(actor)) throw forbidden('only owners and admins may change other members; you may change your own name, phone and alerts');
  return ctx.store.transaction(async (tx) => {
    // Role changes and the last-owner rule: one at a time per account.
    await serializeOn(tx.db, `team:${principal.accountId}`);
    const target = await team.findMember(tx.db, principal.accountId, userId);
    if (!target) throw notFound(`team member ${userId}`);
    if (!self && target.role === 'owner' && actor.role !== 'owner') throw forbidden('only owners may change an owner');

    if (patch.role !== undefined && patch.role !== target.role) {
      if (!manages(actor)) throw forbidden('only owners and admins may change roles');
      if ((patch.role === 'owner' || target.role === 'owner') && actor.role !== 'owner') throw forbidden('only owners may make or unmake an owner');
      if (target.role === 'owner' && (await team.countOwners(tx.db, principal.accountId)) <= 1) {
        throw new AppError('conflict', 'this is the account\'s last owner: make someone else an owner first', [{ field: 'role', message: 'the last owner must stay an owner' }]);
      }
    }
    if ((patch.name !== undefined || patch.phone !== undefined) && !self && (await team.countOtherMemberships(tx.db, principal.accountId, userId)) > 0) {
      throw forbidden('this person also belongs to another account: only they can change their name or phone');
    }

    const phone = patch.phone !== undefined ? patch.phone : target.phone;
    const role = patch.role ?? target.role;
    const current = readAlertPrefs(target.alertPrefs, role);
    const fields: FieldError[] = [];
    let storedPrefs: string | undefined;
    if (patch.alertPrefs !== undefined) {
      const merged: AlertPrefs = { ...current, ...patch.alertPrefs };
      merged.events = [...new Set(merged.events)];
      fields.push(...checkAlertPrefs(merged, { hasPhone: phone !== null }));
      storedPrefs = JSON.stringify(merged);
    } else if (patch.phone === null && current.sms && target.phone !== null) {
      fields.push({ field: 'phone', message: 'cannot be removed while sms alerts are on: send alertPrefs {"sms": false} with it' });
    }
    if (fields.length > 0) throw unprocessable(fields.map((f) => `${f.field} ${f.message}`).join('; '), fields);

    await team.updateMemberUser(tx.db, principal.accountId, userId, {
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.phone !== undefined ? { phone: patch.phone } : {}),
    });
    await team.updateMembership(tx.db, principal.accountId, userId, {
      ...(patch.role !== undefined ? { role: patch.role } : {}),
      ...(storedPrefs !== undefined ? { alert_prefs: storedPrefs } : {}),
    });
    return present((await team.findMember(tx.db, principal.accountId, userId))!);
  });
}

export async function removeMember(ctx: ServiceContext, principal: Principal, userId: string): Promise<void> {
  const actor = await actorOf(ctx, principal);
  if (!manages(actor)) throw forbidden('only owners and admins may remove people from the team');
  await ctx.store.transaction(async (tx) => {
    await serializeOn(tx.db, `team:${principal.accountId}`);
    const target = await team.findMember(tx.db, principal.accountId, userId);
    if (!target) throw notFound(`team member ${userId}`);
    if (target.role === 'owner') {
      if (actor.role !== 'owner') throw forbidden('only owners may remove an owner');
      if ((await team.countOwners(tx.db, principal.accountId)) <= 1) throw conflict('this is the account\'s last owner: make someone else an owner first');
    }
    await team.deleteMembership(tx.db, principal.accountId, userId);
    await team.revokeMemberApiKeys(tx.db, principal.accountId, userId, ctx.clock().toISOString());
  });
}
