import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../services/context.ts';

export interface Readiness {
  /** Whether this process's job runner is working; a string when this process runs no jobs. */
  jobs: (() => boolean) | string;
  /** True once SIGTERM has begun the drain. */
  draining: () => boolean;
}

export function registerHealthRoutes(app: FastifyInstance, ctx: ServiceContext, readiness: Readiness): void {
  app.get('/', async () => ({
    name: 'Ringback',
    status: 'ok',
    api: '/api/v1 (Authorization: Bearer <API key>)',
    health: '/healthz',
    ready: '/readyz',
    metrics: '/metrics',
  }));

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const checks: Record<string, string> = {};
    try {
      await ctx.store.ping();
      checks.database = 'ok';
    } catch (err) {
      checks.database = `failing: ${(err as Error).message}`;
    }
    if (typeof readiness.jobs === 'string') checks.jobs = readiness.jobs;
    else checks.jobs = readiness.jobs() ? 'ok' : 'not running';
    if (readiness.draining()) checks.process = 'draining: shutting down';
    const ready = checks.database === 'ok' && checks.jobs !== 'not running' && !readiness.draining();
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });

  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', ctx.metrics.registry.contentType);
    return ctx.metrics.registry.metrics();
  });
}
