// /api/v1/auth: signing in and out of the web app. Outside the authenticated scope: each route
// authenticates itself where it needs to (me, logout, password).
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Authenticator } from '../../services/access.ts';
import type { ServiceContext } from '../../services/context.ts';
import { closeSession, describePrincipal, FailureLimiter, signIn, TooManyAttempts, type OpenedSession } from '../../services/sessions.ts';
import { addBusiness, listMyAccounts, switchAccount } from '../../services/businesses.ts';
import { acceptInvitation, changePassword, completePasswordReset, redeemWelcome, requestPasswordReset } from '../../services/sign-in.ts';
import { authenticateRequest, clearSessionCookie, setSessionCookie } from '../auth.ts';
import { parseInput } from '../validation.ts';

const email = z.string().trim().toLowerCase().pipe(z.email({ message: 'must be an email address' }).max(254, 'must be at most 254 characters'));
const password = z.string().min(1, 'must not be empty').max(200, 'must be at most 200 characters');
const token = z.string().min(1, 'must not be empty').max(200, 'is not a valid link token');

const Login = z.strictObject({ email, password });
const ChangePassword = z.strictObject({ currentPassword: password.optional(), newPassword: z.string().max(200, 'must be at most 200 characters') });
const ResetRequest = z.strictObject({ email });
const ResetComplete = z.strictObject({ token, newPassword: z.string().max(200, 'must be at most 200 characters') });
const AcceptInvitation = z.strictObject({
  token,
  password: z.string().max(200, 'must be at most 200 characters'),
  name: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters').optional(),
});
const Welcome = z.strictObject({ token });
const AddBusiness = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters'),
  timeZone: z.string().trim().min(1, 'must not be empty'),
});
const SwitchAccount = z.strictObject({ accountId: z.string().min(1, 'must not be empty').max(100, 'is not an account id') });

export interface AuthRouteOptions {
  /** Failed sign-ins allowed per email and per IP in the window (tests lower them). */
  limiter?: FailureLimiter;
}

export function registerAuthRoutes(api: FastifyInstance, ctx: ServiceContext, auth: Authenticator, opts: AuthRouteOptions = {}): void {
  const limiter = opts.limiter ?? new FailureLimiter();

  // Nothing here belongs in a cache, least of all a CSRF token.
  api.addHook('onSend', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
  });

  const signedIn = (reply: FastifyReply, opened: OpenedSession) => {
    setSessionCookie(reply, ctx, opened.token);
    return reply.status(200).send(opened.signedIn);
  };

  api.post('/login', async (request, reply) => {
    const input = parseInput(Login, request.body);
    try {
      return signedIn(reply, await signIn(ctx, limiter, { ...input, ip: request.ip }));
    } catch (err) {
      if (!(err instanceof TooManyAttempts)) throw err;
      return reply
        .status(429)
        .header('retry-after', String(err.retryAfterSeconds))
        .send({ error: { code: 'too_many_attempts', message: err.message } });
    }
  });

  api.get('/me', async (request) => {
    const { principal, session } = await authenticateRequest(request, auth, ctx);
    return session ? session.signedIn : describePrincipal(ctx, principal, null);
  });

  api.post('/logout', async (request, reply) => {
    const { session } = await authenticateRequest(request, auth, ctx);
    if (session?.principal.sessionId) await closeSession(ctx, session.principal.sessionId);
    clearSessionCookie(reply, ctx);
    return reply.status(204).send();
  });

  api.post('/password', async (request, reply) => {
    const { principal, session } = await authenticateRequest(request, auth, ctx);
    const input = parseInput(ChangePassword, request.body);
    await changePassword(ctx, principal, input, { maySetPassword: session?.maySetPassword ?? false });
    return reply.status(204).send();
  });

  api.post('/password-reset', async (request, reply) => {
    const { email: address } = parseInput(ResetRequest, request.body);
    // Answered before the lookup and the mail, so the time taken tells nothing either.
    void requestPasswordReset(ctx, address).catch((err: unknown) => request.log.warn({ err: (err as Error).message }, 'password reset email failed'));
    return reply.status(202).send({ message: 'if this email belongs to someone here, a reset link is on its way (valid for one hour)' });
  });

  api.post('/password-reset/complete', async (request, reply) => {
    const input = parseInput(ResetComplete, request.body);
    await completePasswordReset(ctx, input);
    return reply.status(204).send();
  });

  api.post('/invitations/accept', async (request, reply) => {
    const input = parseInput(AcceptInvitation, request.body);
    return signedIn(reply, await acceptInvitation(ctx, input));
  });

  api.post('/welcome', async (request, reply) => {
    const input = parseInput(Welcome, request.body);
    return signedIn(reply, await redeemWelcome(ctx, input.token));
  });

  // The businesses this person belongs to (the account switcher), adding one, and switching.
  api.get('/accounts', async (request) => {
    const { principal } = await authenticateRequest(request, auth, ctx);
    return { current: principal.accountId, accounts: await listMyAccounts(ctx, principal.userId) };
  });

  api.post('/accounts', async (request, reply) => {
    const { principal } = await authenticateRequest(request, auth, ctx);
    const input = parseInput(AddBusiness, request.body);
    return reply.status(201).send({ account: await addBusiness(ctx, principal, input) });
  });

  api.post('/accounts/switch', async (request, reply) => {
    const { principal } = await authenticateRequest(request, auth, ctx);
    const { accountId } = parseInput(SwitchAccount, request.body);
    return signedIn(reply, await switchAccount(ctx, principal, accountId));
  });
}
