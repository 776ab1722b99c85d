// Authentication for /api/v1: an API key (`Authorization: Bearer rb_…`) or the browser's session
// cookie. Cookie requests that change something must echo the session's CSRF token in
// x-csrf-token; API-key requests need none (a browser never adds the header by itself). After
// authentication, role-policy.ts decides whether the member's role may make the change.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import type { Authenticator, Principal } from '../services/access.ts';
import type { ServiceContext } from '../services/context.ts';
import { AppError } from '../services/errors.ts';
import { resolveSession, SESSION_ABSOLUTE_MS, SESSION_COOKIE, type ResolvedSession, type Role } from '../services/sessions.ts';
import { findMembership } from '../store/sessions-repository.ts';
import { allows, forbiddenFor, ruleFor } from './role-policy.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    /** Set when the request came with the session cookie. */
    session: ResolvedSession | null;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const API_PREFIX = '/api/v1';

export const csrfRefused = () =>
  new AppError('forbidden', 'missing or wrong CSRF token (send the x-csrf-token header from /api/v1/auth/me)');

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Refuses a cookie-authenticated change without the session's CSRF token. */
export function checkCsrf(request: FastifyRequest, session: ResolvedSession): void {
  if (SAFE_METHODS.has(request.method)) return;
  const sent = request.headers['x-csrf-token'];
  if (typeof sent !== 'string' || !sameSecret(sent, session.csrfToken)) throw csrfRefused();
}

/**
 * Who the request is: the API key when there is an Authorization header, else the session cookie.
 * Throws 401 when neither is valid, 403 on a cookie change without the CSRF token.
 */
export async function authenticateRequest(request: FastifyRequest, auth: Authenticator, ctx: ServiceContext): Promise<{ principal: Principal; session: ResolvedSession | null }> {
  if (request.headers.authorization !== undefined) {
    return { principal: await auth.authenticate(request.headers.authorization), session: null };
  }
  const token = request.cookies?.[SESSION_COOKIE];
  if (token) {
    const session = await resolveSession(ctx, token);
    if (!session) throw new AppError('unauthorized', 'your session has ended; sign in again');
    checkCsrf(request, session);
    return { principal: session.principal, session };
  }
  throw new AppError('unauthorized', 'missing Authorization header; send "Authorization: Bearer <API key>", or sign in (POST /api/v1/auth/login)');
}

async function roleOf(ctx: ServiceContext, principal: Principal, session: ResolvedSession | null): Promise<Role> {
  if (session) return session.signedIn.role;
  const membership = await findMembership(ctx.store.db, principal.accountId, principal.userId);
  if (!membership) throw new AppError('forbidden', 'the API key\'s user is no longer a member of this account');
  return membership.role;
}

/** Every route registered in this scope needs an API key or a session, and a role that may. */
export function requireSignIn(scope: FastifyInstance, auth: Authenticator, ctx: ServiceContext): void {
  scope.decorateRequest('principal', null);
  scope.decorateRequest('session', null);
  // onRequest: an unauthenticated request is refused before its body is even read.
  scope.addHook('onRequest', async (request) => {
    const { principal, session } = await authenticateRequest(request, auth, ctx);
    request.principal = principal;
    request.session = session;
    const url = request.routeOptions.url;
    if (!url?.startsWith(API_PREFIX)) return; // no such route: the 404 handler answers
    const rule = ruleFor(request.method, url.slice(API_PREFIX.length));
    if (!rule || rule.need === 'agent') return;
    const role = await roleOf(ctx, principal, session);
    const self = (request.params as Record<string, string> | undefined)?.userId === principal.userId;
    if (!allows(rule, role, self)) throw forbiddenFor(rule);
  });
}

/** The cookie's attributes: httpOnly, SameSite=Lax, whole site; Secure when served over https. */
export function sessionCookieOptions(ctx: ServiceContext) {
  return {
    httpOnly: true,
    sameSite: 'lax' as const,
    path: '/',
    secure: ctx.config.publicUrl?.startsWith('https:') ?? false,
  };
}

export function setSessionCookie(reply: FastifyReply, ctx: ServiceContext, token: string): void {
  // The browser keeps it as long as the session could live; the server decides when it ends
  // (idle for 14 days, signed out, password changed).
  reply.setCookie(SESSION_COOKIE, token, { ...sessionCookieOptions(ctx), maxAge: Math.floor(SESSION_ABSOLUTE_MS / 1000) });
}

export function clearSessionCookie(reply: FastifyReply, ctx: ServiceContext): void {
  reply.clearCookie(SESSION_COOKIE, sessionCookieOptions(ctx));
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error('route registered outside the authenticated scope');
  return request.principal;
}
