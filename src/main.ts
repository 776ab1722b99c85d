// The one wiring point: config → logger → store → jobs → carriers → services → HTTP.
// Tests build the same thing through createRingback(), so what they exercise is what runs.
import path from 'node:path';
import pino, { type Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import { type Config } from './config.ts';
import { SimulatorNetwork } from './carriers/simulator/network.ts';
import { buildApp } from './http/app.ts';
import { GraphileJobRunner } from './jobs/graphile-runner.ts';
import type { JobRunner } from './jobs/job-queue.ts';
import { SqliteJobRunner } from './jobs/sqlite-runner.ts';
import { createMetrics } from './metrics.ts';
import { Authenticator } from './services/access.ts';
import { bootstrap, type BootstrapResult } from './services/bootstrap.ts';
import { CarrierRegistry } from './services/carrier-registry.ts';
import type { ServiceContext } from './services/context.ts';
import { createEventBus } from './services/live-events.ts';
import { routeAllLines } from './services/lines.ts';
import { SEND_MESSAGE_TASK } from './services/outbound.ts';
import { createSendMessageTask } from './services/send-message.ts';
import { warmUpRules } from './services/text-back.ts';
import { Hooks } from './services/hooks.ts';
import { createMailer } from './services/mailer.ts';
import { Scheduler } from './services/scheduler.ts';
import { ScheduledQueue } from './jobs/scheduled-queue.ts';
import { CALL_FOLLOW_THROUGH_TASK, createCallFollowThroughTask } from './services/call-follow-through.ts';
import { installInbox } from './services/conversations.ts';
import { installFollowUps } from './services/follow-ups.ts';
import { installCallbackTasks } from './services/tasks.ts';
import { installPipeline } from './services/pipeline.ts';
import { installOwnerAlerts } from './services/notifications.ts';
import { installOutgoingWebhooks } from './services/outgoing-webhooks.ts';
import { loadSecretKey } from './services/credentials.ts';
import { openSqliteStore, type Store } from './store/database.ts';
import { openPostgresStore, postgresPoolConfig, type PostgresOptions } from './store/postgres-store.ts';

export interface Ringback {
  config: Config;
  logger: Logger;
  store: Store;
  runner: JobRunner;
  /** Due follow-ups, reminders, snoozes and held alerts; tests call tick() after moving the clock. */
  scheduler: Scheduler;
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

export function postgresOptions(config: Config): PostgresOptions | undefined {
  if (!config.databaseUrl) return undefined;
  return {
    url: config.databaseUrl,
    poolSize: config.databasePoolSize,
    statementTimeoutMs: config.databaseStatementTimeoutMs,
    ssl: config.databaseSsl,
    sslCaFile: config.databaseSslCa,
    applicationName: `ringback-${config.role}`,
  };
}

/** SQLite in the data dir, or Postgres when DATABASE_URL is set. */
export function openStore(config: Config): Store {
  const pg = postgresOptions(config);
  return pg ? openPostgresStore(pg) : openSqliteStore(databaseFile(config));
}

export function createRunner(config: Config, store: Store, logger: Logger, clock: () => Date): JobRunner {
  const common = {
    logger: logger.child({ component: 'jobs' }),
    concurrency: config.jobConcurrency,
    defaultMaxAttempts: config.jobMaxAttempts,
    backoff: { baseMs: config.jobBackoffBaseMs, capMs: config.jobBackoffCapMs },
    now: clock,
  };
  const pg = postgresOptions(config);
  if (store.kind === 'postgres' && pg) {
    // graphile-worker's own pool: one connection per concurrent job for fetching and completing
    // it (graphile's advice), plus its LISTEN connection and one to spare. The jobs' own queries
    // use the store's pool.
    const poolConfig = { ...postgresPoolConfig({ ...pg, applicationName: `ringback-${config.role}-jobs` }), max: config.jobConcurrency + 2 };
    return new GraphileJobRunner({
      ...common,
      store: store as ReturnType<typeof openPostgresStore>,
      poolConfig,
      deadWorkerAfterMs: config.jobDeadWorkerMs,
      heartbeatIntervalMs: Math.floor(config.jobDeadWorkerMs / 4),
    });
  }
  return new SqliteJobRunner({ ...common, store });
}

export function createRingback(config: Config, opts: { logger?: Logger; clock?: () => Date } = {}): Ringback {
  const logger = opts.logger ?? createLogger(config);
  const clock = opts.clock ?? (() => new Date());
  const store = openStore(config);
  const events = createEventBus(store, { logger: logger.child({ component: 'live-events' }) });
  const metrics = createMetrics();
  const runner = createRunner(config, store, logger, clock);
  const runsJobs = config.role !== 'web';
  const servesApi = config.role !== 'worker';
  let draining = false;

  let listeningUrl: string | undefined;
  let app!: FastifyInstance;
  // The simulator reaches Ringback over its webhooks, like any carrier; in-process, that is
  // Fastify's inject (the full HTTP route stack without a socket).
  const network = new SimulatorNetwork({
    stateFile: path.join(config.dataDir, 'simulator', 'messages.jsonl'),
    now: clock,
    transport: async ({ url, headers, body }) => {
      if (!servesApi) {
        // A worker serves no webhooks: the simulator calls the web processes, like a carrier.
        const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) });
        return { status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() };
      }
      const target = new URL(url);
      const res = await app.inject({ method: 'POST', url: target.pathname + target.search, headers, payload: body });
      return { status: res.statusCode, headers: res.headers, body: res.body };
    },
    onWebhookError: (err) => logger.warn({ err: err.message }, 'simulator could not deliver a webhook'),
  });

  const hooks = new Hooks();
  const scheduler = new Scheduler({ clock, logger: logger.child({ component: 'scheduler' }) });
  const mailer = config.smtpUrl ? createMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom }) : null;
  const jobs = new ScheduledQueue(runner, store, clock);
  scheduler.register('jobs.scheduled', (now) => jobs.releaseDue(now));
  const ctx: ServiceContext = {
    config,
    store,
    jobs,
    carriers: new CarrierRegistry(network, loadSecretKey(config)),
    metrics,
    events,
    hooks,
    mailer,
    logger,
    clock,
    webhookBase: () => config.publicUrl ?? listeningUrl ?? `http://127.0.0.1:${config.port}`,
  };
  runner.register(SEND_MESSAGE_TASK, createSendMessageTask(ctx, config.fault ? { kill: config.fault } : {}));
  runner.register(CALL_FOLLOW_THROUGH_TASK, createCallFollowThroughTask(ctx));
  // The follow-through modules: each registers its hooks, due work and job tasks. Order matters
  // only within one hook: the pipeline moves the lead before alerts describe it.
  const registry = { hooks, scheduler, runner };
  installPipeline(ctx, registry);
  installInbox(ctx, registry);
  installFollowUps(ctx, registry);
  installCallbackTasks(ctx, registry);
  installOutgoingWebhooks(ctx, registry);
  installOwnerAlerts(ctx, registry);
  app = buildApp({
    ctx,
    auth: new Authenticator(ctx),
    readiness: { jobs: runsJobs ? () => runner.running : 'not run by this process (web role)', draining: () => draining },
    logger,
    routes: servesApi ? 'all' : 'health',
  });

  return {
    config,
    logger,
    store,
    runner,
    scheduler,
    network,
    ctx,
    app,
    url: () => listeningUrl ?? `http://127.0.0.1:${config.port}`,
    async start() {
      const applied = await store.migrate();
      if (applied.length > 0) logger.info({ migrations: applied }, 'database migrated');
      await runner.prepare();
      const boot = await bootstrap(ctx);
      warmUpRules();
      // Only processes serving the API have streams to feed; a worker publishes, which needs no LISTEN.
      if (servesApi) await events.start();
      const address = await app.listen({ port: config.port, host: config.host });
      const port = new URL(address).port;
      listeningUrl = `http://127.0.0.1:${port}`;
      if (servesApi) await routeAllLines(ctx);
      if (runsJobs) {
        await runner.start();
        scheduler.start(config.schedulerIntervalMs);
      }
      logger.info({ role: config.role, database: store.kind, url: listeningUrl }, 'ringback started');
      return { ...boot, url: listeningUrl };
    },
    async stop() {
      // Drain: /readyz turns 503 so load balancers stop sending; jobs in flight finish (or are
      // released to another worker); the simulator's pending callbacks go out; then open
      // requests complete and the doors close.
      draining = true;
      await scheduler.stop();
      await runner.stop();
      await network.settle();
      // A connection that never sent a request (a browser's pre-connect, an aborted stream)
      // counts as busy to Node and would hold close() until the keep-alive timeout.
      const force = setTimeout(() => app.server.closeAllConnections(), 5_000);
      try {
        await app.close();
      } finally {
        clearTimeout(force);
      }
      await events.stop();
      mailer?.close();
      await store.close();
    },
  };
}
