// The one wiring point: config → logger → store → jobs → carriers → services → HTTP.
// Tests build the same thing through createRingback(), so what they exercise is what runs.
import path from 'node:path';
import pino, { type Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import { type Config } from './config.ts';
import { SimulatorNetwork } from './carriers/simulator/network.ts';
import { buildApp } from './http/app.ts';
import { SqliteJobRunner } from './jobs/sqlite-runner.ts';
import { createMetrics } from './metrics.ts';
import { Authenticator } from './services/access.ts';
import { bootstrap, type BootstrapResult } from './services/bootstrap.ts';
import { CarrierRegistry } from './services/carrier-registry.ts';
import type { ServiceContext } from './services/context.ts';
import { routeAllLines } from './services/lines.ts';
import { SEND_MESSAGE_TASK } from './services/outbound.ts';
import { createSendMessageTask } from './services/send-message.ts';
import { warmUpRules } from './services/text-back.ts';
import { loadSecretKey } from './services/credentials.ts';
import { openSqliteStore, type Store } from './store/database.ts';

export interface Ringback {
  config: Config;
  logger: Logger;
  store: Store;
  runner: SqliteJobRunner;
  network: SimulatorNetwork;
  ctx: ServiceContext;
  app: FastifyInstance;
  /** Listens, routes the simulator's numbers, starts the jobs. Returns the first-start details. */
  start(): Promise<BootstrapResult & { url: string }>;
  stop(): Promise<void>;
  /** Where this server can be reached (after start). */
  url(): string;
}

export function createLogger(config: Config): Logger {
  return pino({
    level: config.logLevel,
    // Secrets and message bodies never reach the logs at info level.
    redact: { paths: ['req.headers.authorization', '*.body', '*.password', '*.apiKey', '*.key', 'body'], remove: true },
  });
}

export function databaseFile(config: Config): string {
  return path.join(config.dataDir, 'ringback.db');
}

export function createRingback(config: Config, opts: { logger?: Logger; clock?: () => Date } = {}): Ringback {
  const logger = opts.logger ?? createLogger(config);
  const clock = opts.clock ?? (() => new Date());
  const store = openSqliteStore(databaseFile(config));
  const metrics = createMetrics();
  const runner = new SqliteJobRunner({
    store,
    logger: logger.child({ component: 'jobs' }),
    concurrency: config.jobConcurrency,
    defaultMaxAttempts: config.jobMaxAttempts,
    backoff: { baseMs: config.jobBackoffBaseMs, capMs: config.jobBackoffCapMs },
    now: clock,
  });

  let listeningUrl: string | undefined;
  let app!: FastifyInstance;
  // The simulator reaches Ringback over its webhooks, like any carrier; in-process, that is
  // Fastify's inject (the full HTTP route stack without a socket).
  const network = new SimulatorNetwork({
    stateFile: path.join(config.dataDir, 'simulator', 'messages.jsonl'),
    now: clock,
    transport: async ({ url, headers, body }) => {
      const target = new URL(url);
      const res = await app.inject({ method: 'POST', url: target.pathname + target.search, headers, payload: body });
      return { status: res.statusCode, headers: res.headers, body: res.body };
    },
    onWebhookError: (err) => logger.warn({ err: err.message }, 'simulator could not deliver a webhook'),
  });

  const ctx: ServiceContext = {
    config,
    store,
    jobs: runner,
    carriers: new CarrierRegistry(network, loadSecretKey(config)),
    metrics,
    logger,
    clock,
    webhookBase: () => config.publicUrl ?? listeningUrl ?? `http://127.0.0.1:${config.port}`,
  };
  runner.register(SEND_MESSAGE_TASK, createSendMessageTask(ctx, config.fault ? { kill: config.fault } : {}));
  app = buildApp({ ctx, auth: new Authenticator(ctx), readiness: { jobsRunning: () => runner.running }, logger });

  return {
    config,
    logger,
    store,
    runner,
    network,
    ctx,
    app,
    url: () => listeningUrl ?? `http://127.0.0.1:${config.port}`,
    async start() {
      const applied = await store.migrate();
      if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');
      const boot = await bootstrap(ctx);
      warmUpRules();
      const address = await app.listen({ port: config.port, host: config.host });
      const port = new URL(address).port;
      listeningUrl = `http://127.0.0.1:${port}`;
      await routeAllLines(ctx);
      await runner.start();
      return { ...boot, url: listeningUrl };
    },
    async stop() {
      // Finish sends in flight and the simulator's pending callbacks before the doors close.
      await runner.stop();
      await network.settle();
      await app.close();
      await store.close();
    },
  };
}
