// The Fastify app: health and metrics, carrier webhooks, and the authenticated API.
import cookie from '@fastify/cookie';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Authenticator } from '../services/access.ts';
import type { ServiceContext } from '../services/context.ts';
import { requireSignIn } from './auth.ts';
import { installErrorHandling } from './errors.ts';
import { registerAccountRoutes } from './routes/api-account.ts';
import { registerCallRoutes } from './routes/api-calls.ts';
import { registerCarrierRoutes } from './routes/api-carriers.ts';
import { registerConversationRoutes } from './routes/api-conversations.ts';
import { registerEventRoutes } from './routes/api-events.ts';
import { registerApiKeyRoutes } from './routes/api-keys.ts';
import { registerLineRoutes } from './routes/api-lines.ts';
import { registerSimulatorRoutes } from './routes/api-simulator.ts';
import { registerHealthRoutes, type Readiness } from './routes/health.ts';
import { registerWebhookRoutes } from './routes/webhooks.ts';
import { registerContactRoutes } from './routes/api-contacts.ts';
import { registerTeamRoutes } from './routes/api-team.ts';
import { registerWebhookEndpointRoutes } from './routes/api-webhook-endpoints.ts';
import { registerSequenceRoutes } from './routes/api-sequences.ts';
import { registerTaskRoutes } from './routes/api-tasks.ts';
import { registerLeadRoutes } from './routes/api-leads.ts';
import { registerDashboardRoutes } from './routes/api-dashboard.ts';
import { registerAuthRoutes } from './routes/api-auth.ts';
import { registerMeasureRoutes } from './routes/api-measure.ts';
import { registerSavedReplyRoutes } from './routes/api-saved-replies.ts';
import { registerWebAppRoutes } from './routes/web-app.ts';

export interface AppDeps {
  ctx: ServiceContext;
  auth: Authenticator;
  readiness: Readiness;
  logger: Logger;
  /** 'health': a worker process serves only /healthz, /readyz and /metrics. */
  routes?: 'all' | 'health';
}

/** A hop count means: believe that many proxies nearest to us, whatever their addresses. */
function trustedProxies(setting: boolean | number | string[]): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof setting === 'number' ? (_address, hop) => hop < setting : setting;
}

export function buildApp(deps: AppDeps): FastifyInstance {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // Request lines at info would log phone numbers in URLs; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
    // The client address (sign-in limits per IP) from X-Forwarded-For, only from trusted proxies.
    trustProxy: trustedProxies(deps.ctx.config.trustProxy),
  });
  installErrorHandling(app);
  registerHealthRoutes(app, deps.ctx, deps.readiness);
  if (deps.routes === 'health') return app;
  registerWebhookRoutes(app, deps.ctx);
  // The browser app (web/dist) at `/`; worker processes (routes 'health') serve none.
  registerWebAppRoutes(app);
  // Sessions of the web app (rb_session); the cookie is a random token, so it is not signed.
  app.register(cookie);
  app.register(async (authApi) => registerAuthRoutes(authApi, deps.ctx, deps.auth), { prefix: '/api/v1/auth' });
  app.register(
    async (api) => {
      requireSignIn(api, deps.auth, deps.ctx);
      registerAccountRoutes(api, deps.ctx);
      registerLineRoutes(api, deps.ctx);
      registerCarrierRoutes(api, deps.ctx);
      registerCallRoutes(api, deps.ctx);
      registerConversationRoutes(api, deps.ctx);
      registerApiKeyRoutes(api, deps.ctx);
      registerSimulatorRoutes(api, deps.ctx);
      registerEventRoutes(api, deps.ctx);
      registerContactRoutes(api, deps.ctx);
      registerTeamRoutes(api, deps.ctx);
      registerWebhookEndpointRoutes(api, deps.ctx);
      registerSequenceRoutes(api, deps.ctx);
      registerTaskRoutes(api, deps.ctx);
      registerLeadRoutes(api, deps.ctx);
      registerDashboardRoutes(api, deps.ctx);
      registerMeasureRoutes(api, deps.ctx);
      registerSavedReplyRoutes(api, deps.ctx);
    },
    { prefix: '/api/v1' },
  );
  return app;
}
