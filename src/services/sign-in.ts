// Signing in without a password in hand: password change and reset by email, team invitations,
// and the owner's welcome link on the first start. Links carry a random token; only its SHA-256
// is stored, each is single use and expires (reset 1 hour, invitation 7 days, welcome 24 hours).
import { newId } from '../store/ids.ts';
import type { Db } from '../store/database.ts';
import type { AuthTokenKind } from '../store/schema.ts';
import * as accounts from '../store/accounts-repository.ts';
import * as sessions from '../store/sessions-repository.ts';
import * as team from '../store/team-repository.ts';
import { hashPassword, verifyPassword, type Principal } from './access.ts';
import type { ServiceContext } from './context.ts';
import { AppError, type FieldError } from './errors.ts';
import { hashToken, openSessionForUser, randomToken, type OpenedSession } from './sessions.ts';

export const TOKEN_LIFETIME_MS: Record<AuthTokenKind, number> = {
  reset: 3_600_000,
  invite: 7 * 24 * 3_600_000,
  welcome: 24 * 3_600_000,
};

/** After the welcome link, how long the owner may set a password without the generated one. */
export const WELCOME_SET_PASSWORD_MS = 3_600_000;

const PAGE: Record<AuthTokenKind, string> = { reset: 'reset-password', invite: 'accept-invite', welcome: 'welcome' };

/** Where people open the web app: RINGBACK_PUBLIC_URL, else this server's own address. */
export function appBaseUrl(ctx: ServiceContext): string {
  return ctx.config.publicUrl ?? ctx.webhookBase();
}

export function linkFor(ctx: ServiceContext, kind: AuthTokenKind, token: string): string {
  return `${appBaseUrl(ctx)}/${PAGE[kind]}?token=${encodeURIComponent(token)}`;
}

/** Problems with a new password, naming `field`. */
export function checkNewPassword(password: string, email: string, field = 'newPassword'): FieldError[] {
  const fields: FieldError[] = [];
  if ([...password].length < 10) fields.push({ field, message: 'must be at least 10 characters' });
  else if (password.length > 200) fields.push({ field, message: 'must be at most 200 characters' });
  if (password.trim().toLowerCase() === email.trim().toLowerCase()) fields.push({ field, message: 'must not be your email address' });
  return fields;
}

function invalid(fields: FieldError[]): AppError {
  return new AppError('validation_failed', fields.map((f) => `${f.field} ${f.message}`).join('; '), fields);
}

const badToken = (what: string) =>
  invalid([{ field: 'token', message: `is not a valid ${what} link: it is wrong, has expired or was already used; ask for a new one` }]);

/** Creates a one-time token of a kind for a member; earlier unused ones of the kind stop working. */
export async function issueToken(db: Db, kind: AuthTokenKind, who: { userId: string; accountId: string }, now: Date): Promise<string> {
  const token = randomToken();
  await sessions.spendEarlierAuthTokens(db, who.userId, kind, now.toISOString());
  await sessions.insertAuthToken(db, {
    id: newId('tok'),
    token_hash: hashToken(token),
    kind,
    user_id: who.userId,
    account_id: who.accountId,
    created_at: now.toISOString(),
    expires_at: new Date(now.getTime() + TOKEN_LIFETIME_MS[kind]).toISOString(),
    used_at: null,
  });
  return token;
}

/** Spends a token inside the caller's transaction; throws a 400 naming `token` when it cannot. */
async function spendToken(ctx: ServiceContext, db: Db, kind: AuthTokenKind, token: string, what: string) {
  const row = await sessions.findUsableAuthToken(db, kind, hashToken(token), ctx.clock().toISOString());
  if (!row || !(await sessions.spendAuthToken(db, row.id, ctx.clock().toISOString()))) throw badToken(what);
  return row;
}

/**
 * `currentPassword` may be left out only by a session opened from the welcome link, within its
 * hour (`maySetPassword`): the owner never chose the generated password.
 */
export async function changePassword(
  ctx: ServiceContext,
  principal: Principal,
  input: { currentPassword?: string | undefined; newPassword: string },
  opts: { maySetPassword?: boolean } = {},
): Promise<void> {
  const user = await sessions.findUserById(ctx.store.db, principal.userId);
  if (!user) throw new AppError('unauthorized', 'this user no longer exists');
  if (input.currentPassword === undefined) {
    if (!opts.maySetPassword) throw invalid([{ field: 'currentPassword', message: 'is required' }]);
  } else if (!user.passwordHash.startsWith('scrypt$') || !verifyPassword(input.currentPassword, user.passwordHash)) {
    throw invalid([{ field: 'currentPassword', message: 'is wrong' }]);
  }
  const fields = checkNewPassword(input.newPassword, user.email);
  if (fields.length > 0) throw invalid(fields);
  const now = ctx.clock().toISOString();
  await ctx.store.transaction(async (tx) => {
    await accounts.updateUserPassword(tx.db, user.userId, hashPassword(input.newPassword));
    // Whoever else is signed in as this user (a lost phone, a shared laptop) is signed out.
    await sessions.revokeUserSessions(tx.db, user.userId, now, principal.sessionId ?? undefined);
    await sessions.spendEarlierAuthTokens(tx.db, user.userId, 'reset', now);
    if (principal.sessionId) await sessions.endSetPasswordWindow(tx.db, principal.sessionId);
  });
}

/**
 * Emails a reset link when the email belongs to someone and mail is set up. Answers nothing either
 * way (the caller says 202 regardless), so nobody learns who has an account here.
 */
export async function requestPasswordReset(ctx: ServiceContext, email: string): Promise<void> {
  const address = email.trim().toLowerCase();
  const user = await sessions.findUserForSignIn(ctx.store.db, address);
  if (!user) return;
  const membership = (await sessions.listMemberships(ctx.store.db, user.userId))[0];
  if (!membership) return;
  if (!ctx.mailer) {
    ctx.logger.warn({ userId: user.userId }, 'password reset asked for, but no mail server is set up (RINGBACK_SMTP_URL); an owner can set the password with RINGBACK_ADMIN_PASSWORD');
    return;
  }
  const token = await ctx.store.transaction((tx) => issueToken(tx.db, 'reset', { userId: user.userId, accountId: membership.accountId }, ctx.clock()));
  const link = linkFor(ctx, 'reset', token);
  await ctx.mailer.send({
    to: user.email,
    subject: 'Reset your Ringback password',
    text: [
      `Someone (hopefully you) asked to reset the password of ${user.email} on Ringback.`,
      '',
      `Choose a new password here (the link works once, for one hour):`,
      link,
      '',
      'If it was not you, ignore this email: your password stays as it is.',
    ].join('\n'),
  });
}

export async function completePasswordReset(ctx: ServiceContext, input: { token: string; newPassword: string }): Promise<void> {
  const now = ctx.clock().toISOString();
  await ctx.store.transaction(async (tx) => {
    const row = await sessions.findUsableAuthToken(tx.db, 'reset', hashToken(input.token), now);
    if (!row) throw badToken('password reset');
    const user = await sessions.findUserById(tx.db, row.user_id);
    if (!user) throw badToken('password reset');
    const fields = checkNewPassword(input.newPassword, user.email);
    if (fields.length > 0) throw invalid(fields);
    await spendToken(ctx, tx.db, 'reset', input.token, 'password reset');
    await accounts.updateUserPassword(tx.db, user.userId, hashPassword(input.newPassword));
    await sessions.revokeUserSessions(tx.db, user.userId, now);
  });
}

/**
 * The invitation for someone just added to the team: emailed when mail is set up, else handed
 * back for the owner to pass on. `emailed` false with a url: give the url to the person.
 */
export async function sendInvitation(
  ctx: ServiceContext,
  input: { token: string; email: string; accountName: string; invitedBy: string | null },
): Promise<{ url: string; emailed: boolean }> {
  const url = linkFor(ctx, 'invite', input.token);
  if (!ctx.mailer) return { url, emailed: false };
  try {
    await ctx.mailer.send({
      to: input.email,
      subject: `You are invited to ${input.accountName} on Ringback`,
      text: [
        `${input.invitedBy ?? 'Someone'} added you to ${input.accountName} on Ringback, where the team answers missed calls and texts.`,
        '',
        'Choose your password and sign in here (the link works once, for 7 days):',
        url,
      ].join('\n'),
    });
    return { url, emailed: true };
  } catch (err) {
    ctx.logger.warn({ err: (err as Error).message }, 'invitation email could not be sent; the link is in the API answer');
    return { url, emailed: false };
  }
}

export async function acceptInvitation(ctx: ServiceContext, input: { token: string; password: string; name?: string | undefined }): Promise<OpenedSession> {
  return ctx.store.transaction(async (tx) => {
    const now = ctx.clock().toISOString();
    const row = await sessions.findUsableAuthToken(tx.db, 'invite', hashToken(input.token), now);
    if (!row) throw badToken('invitation');
    const user = await sessions.findUserById(tx.db, row.user_id);
    if (!user) throw badToken('invitation');
    const fields = checkNewPassword(input.password, user.email, 'password');
    if (fields.length > 0) throw invalid(fields);
    await spendToken(ctx, tx.db, 'invite', input.token, 'invitation');
    await accounts.updateUserPassword(tx.db, user.userId, hashPassword(input.password));
    if (input.name !== undefined) await team.updateMemberUser(tx.db, row.account_id, user.userId, { name: input.name });
    const opened = await openSessionForUser(ctx, tx.db, user.userId, row.account_id);
    if (!opened) throw badToken('invitation'); // removed from the team since
    return opened;
  });
}

/** The owner's first-start link: signs them in once, so they can set their own password. */
export async function redeemWelcome(ctx: ServiceContext, token: string): Promise<OpenedSession> {
  return ctx.store.transaction(async (tx) => {
    const row = await spendToken(ctx, tx.db, 'welcome', token, 'welcome');
    const opened = await openSessionForUser(ctx, tx.db, row.user_id, row.account_id, { setPasswordForMs: WELCOME_SET_PASSWORD_MS });
    if (!opened) throw badToken('welcome');
    return opened;
  });
}
