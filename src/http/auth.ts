import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Authenticator, Principal } from '../services/access.ts';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
  }
}

/** Every route registered in this scope needs an API key. */
export function requireApiKey(scope: FastifyInstance, auth: Authenticator): void {
  scope.decorateRequest('principal', null);
  // onRequest: an unauthenticated request is refused before its body is even read.
  scope.addHook('onRequest', async (request) => {
    request.principal = await auth.authenticate(request.headers.authorization);
  });
}

export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new Error('route registered outside the authenticated scope');
  return request.principal;
}
