// What every service needs, built once by the wiring point (main.ts).
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { JobQueue, JobRunner } from '../jobs/job-queue.ts';
import type { Metrics } from '../metrics.ts';
import type { Store } from '../store/database.ts';
import type { CarrierRegistry } from './carrier-registry.ts';
import type { EventBus } from './live-events.ts';
import type { Hooks } from './hooks.ts';
import type { Mailer } from './mailer.ts';
import type { Scheduler } from './scheduler.ts';

export interface ServiceContext {
  config: Config;
  store: Store;
  jobs: JobQueue;
  carriers: CarrierRegistry;
  metrics: Metrics;
  /** Live updates for open inboxes, published inside the transactions that change the data. */
  events: EventBus;
  /** In-transaction happenings (hooks.ts) that follow-ups, tasks, the pipeline and alerts act on. */
  hooks: Hooks;
  /** Owner alert email; null when RINGBACK_SMTP_URL is not set. */
  mailer: Mailer | null;
  logger: Logger;
  clock: () => Date;
  /** The base URL carriers call back (RINGBACK_PUBLIC_URL, or this server's own address). */
  webhookBase: () => string;
}

/** What a follow-through module registers at start (its install function, called by main.ts). */
export interface ModuleRegistry {
  hooks: Hooks;
  scheduler: Scheduler;
  runner: JobRunner;
}
