// Browser sessions: a random 32-byte token in an httpOnly cookie, stored as its SHA-256. A session
// lives 14 days past its last use and 30 days at most; a CSRF token, readable only by our own
// pages (from /auth/me or the sign-in answer), must come back in x-csrf-token on every change.
// Sign-in failures are limited per email and per IP (FailureLimiter, counted in the database).
import { createHash, randomBytes } from 'node:crypto';
import { newId } from '../store/ids.ts';
import type { Db } from '../store/database.ts';
import * as sessions from '../store/sessions-repository.ts';
import * as signInFailures from '../store/sign-in-failures-repository.ts';
import { hashPassword, verifyPassword, type Principal } from './access.ts';
import type { ServiceContext } from './context.ts';
import { AppError } from './errors.ts';

export const SESSION_COOKIE = 'rb_session';
export const SESSION_IDLE_MS = 14 * 24 * 3_600_000;
export const SESSION_ABSOLUTE_MS = 30 * 24 * 3_600_000;
/** last_seen_at is informative and extends the idle window; once a minute is enough. */
const TOUCH_INTERVAL_MS = 60_000;

export type Role = 'owner' | 'admin' | 'agent';

/** What the web app gets on sign-in and from GET /auth/me. */
export interface SignedIn {
  user: { id: string; email: string; name: string | null };
  account: { id: string; name: string };
  role: Role;
  /** Send it back as x-csrf-token on every change; null for API-key requests (no CSRF needed). */
  csrfToken: string | null;
}

export interface OpenedSession {
  /** The cookie's value (shown once: only its hash is stored). */
  token: string;
  sessionId: string;
  expiresAt: Date;
  signedIn: SignedIn;
}

export interface ResolvedSession {
  principal: Principal;
  csrfToken: string;
  /** Opened from the welcome link less than an hour ago: may set a password without the current one. */
  maySetPassword: boolean;
  signedIn: SignedIn;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

function expiryFrom(createdAt: number, lastSeen: number): number {
  return Math.min(lastSeen + SESSION_IDLE_MS, createdAt + SESSION_ABSOLUTE_MS);
}

export const wrongCredentials = () => new AppError('unauthorized', 'the email or password is wrong');

/** Opens a session for a member of an account. */
export async function openSession(
  ctx: ServiceContext,
  db: Db,
  who: { userId: string; email: string; name: string | null; accountId: string; accountName: string; role: Role },
  opts: { setPasswordForMs?: number } = {},
): Promise<OpenedSession> {
  const now = ctx.clock().getTime();
  const token = randomToken();
  const csrfToken = randomBytes(24).toString('base64url');
  const id = newId('ses');
  const expiresAt = new Date(expiryFrom(now, now));
  await sessions.insertSession(db, {
    id,
    token_hash: hashToken(token),
    user_id: who.userId,
    account_id: who.accountId,
    csrf_token: csrfToken,
    created_at: new Date(now).toISOString(),
    last_seen_at: new Date(now).toISOString(),
    expires_at: expiresAt.toISOString(),
    revoked_at: null,
    set_password_until: opts.setPasswordForMs ? new Date(now + opts.setPasswordForMs).toISOString() : null,
  });
  return {
    token,
    sessionId: id,
    expiresAt,
    signedIn: { user: { id: who.userId, email: who.email, name: who.name }, account: { id: who.accountId, name: who.accountName }, role: who.role, csrfToken },
  };
}

/** Opens a session in the user's first account (or the given one); null when they belong to none. */
export async function openSessionForUser(
  ctx: ServiceContext,
  db: Db,
  userId: string,
  accountId?: string,
  opts: { setPasswordForMs?: number } = {},
): Promise<OpenedSession | null> {
  const user = await sessions.findUserById(db, userId);
  if (!user) return null;
  const membership = accountId ? await sessions.findMembership(db, accountId, userId) : (await sessions.listMemberships(db, userId))[0];
  if (!membership) return null;
  return openSession(ctx, db, { userId, email: user.email, name: user.name, ...membership }, opts);
}

/** The live session a cookie names, extending its idle window; null when there is none. */
export async function resolveSession(ctx: ServiceContext, token: string): Promise<ResolvedSession | null> {
  if (!token || token.length > 200) return null;
  const now = ctx.clock().getTime();
  const row = await sessions.findLiveSession(ctx.store.db, hashToken(token), new Date(now).toISOString());
  if (!row) return null;
  if (now - Date.parse(row.last_seen_at) > TOUCH_INTERVAL_MS) {
    await sessions.touchSession(ctx.store.db, row.id, new Date(now).toISOString(), new Date(expiryFrom(Date.parse(row.created_at), now)).toISOString());
  }
  return {
    principal: { accountId: row.account_id, userId: row.user_id, apiKeyId: null, sessionId: row.id },
    csrfToken: row.csrf_token,
    maySetPassword: row.set_password_until !== null && Date.parse(row.set_password_until) > now,
    signedIn: {
      user: { id: row.user_id, email: row.email, name: row.user_name },
      account: { id: row.account_id, name: row.account_name },
      role: row.role,
      csrfToken: row.csrf_token,
    },
  };
}

export async function closeSession(ctx: ServiceContext, sessionId: string): Promise<void> {
  await sessions.revokeSession(ctx.store.db, sessionId, ctx.clock().toISOString());
}

/** Who an API key or session acts as, in the shape of a sign-in (GET /auth/me). */
export async function describePrincipal(ctx: ServiceContext, principal: Principal, csrfToken: string | null): Promise<SignedIn> {
  const user = await sessions.findUserById(ctx.store.db, principal.userId);
  const membership = await sessions.findMembership(ctx.store.db, principal.accountId, principal.userId);
  if (!user || !membership) throw new AppError('unauthorized', 'this user is no longer a member of the account');
  return {
    user: { id: user.userId, email: user.email, name: user.name },
    account: { id: membership.accountId, name: membership.accountName },
    role: membership.role,
    csrfToken,
  };
}

export class TooManyAttempts extends Error {
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number) {
    super(message);
    this.name = 'TooManyAttempts';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * Failed sign-ins per email and per client IP within a sliding window, counted in the database so
 * every web process sees the same failures (several Postgres web processes behind a load balancer
 * share one limit). Only failures are written; scrypt keeps each guess slow either way.
 */
export class FailureLimiter {
  readonly #windowMs: number;
  readonly #perEmail: number;
  readonly #perIp: number;
  constructor(opts: { windowMs?: number; perEmail?: number; perIp?: number } = {}) {
    this.#windowMs = opts.windowMs ?? 15 * 60_000;
    this.#perEmail = opts.perEmail ?? 5;
    this.#perIp = opts.perIp ?? 20;
  }

  /** Throws TooManyAttempts when either the email or the IP has used up its failures. */
  async check(db: Db, email: string, ip: string, now: number): Promise<void> {
    const since = new Date(now - this.#windowMs).toISOString();
    for (const [key, limit, what] of [
      [`email:${email}`, this.#perEmail, 'this email'],
      [`ip:${ip}`, this.#perIp, 'this address'],
    ] as const) {
      const recent = await signInFailures.listFailuresSince(db, key, since);
      if (recent.length >= limit) {
        const oldestCounted = Date.parse(recent[recent.length - limit]!);
        const retryAfter = Math.max(1, Math.ceil((oldestCounted + this.#windowMs - now) / 1000));
        const minutes = Math.ceil(retryAfter / 60);
        throw new TooManyAttempts(
          `too many failed sign-ins for ${what}; try again in ${minutes} minute${minutes === 1 ? '' : 's'}, or reset your password`,
          retryAfter,
        );
      }
    }
  }

  async fail(db: Db, email: string, ip: string, now: number): Promise<void> {
    await signInFailures.pruneFailuresBefore(db, new Date(now - this.#windowMs).toISOString());
    await signInFailures.insertFailures(db, [`email:${email}`, `ip:${ip}`], new Date(now).toISOString());
  }

  async succeed(db: Db, email: string): Promise<void> {
    await signInFailures.deleteFailuresFor(db, `email:${email}`);
  }
}

let dummyHash: string | undefined;

/** Email and password → a new session. Unknown email and wrong password take as long and read the same. */
export async function signIn(ctx: ServiceContext, limiter: FailureLimiter, input: { email: string; password: string; ip: string }): Promise<OpenedSession> {
  const email = input.email.trim().toLowerCase();
  const now = ctx.clock().getTime();
  await limiter.check(ctx.store.db, email, input.ip, now);
  const user = await sessions.findUserForSignIn(ctx.store.db, email);
  // Hashes that match no password (invited, not yet accepted) still cost one scrypt.
  const usable = user?.passwordHash.startsWith('scrypt$') ? user.passwordHash : (dummyHash ??= hashPassword(randomToken()));
  const ok = verifyPassword(input.password, usable) && usable !== dummyHash;
  const opened = user && ok ? await openSessionForUser(ctx, ctx.store.db, user.userId) : null;
  if (!opened) {
    await limiter.fail(ctx.store.db, email, input.ip, now);
    throw wrongCredentials();
  }
  await limiter.succeed(ctx.store.db, email);
  return opened;
}
