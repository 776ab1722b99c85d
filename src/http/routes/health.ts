import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../services/context.ts';

export interface Readiness {
  jobsRunning: () => boolean;
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
    checks.jobs = readiness.jobsRunning() ? 'ok' : 'not running';
    const ready = Object.values(checks).every((v) => v === 'ok');
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });

  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', ctx.metrics.registry.contentType);
    return ctx.metrics.registry.metrics();
  });
}
