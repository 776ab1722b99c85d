// What every service needs, built once by the wiring point (main.ts).
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { JobQueue } from '../jobs/job-queue.ts';
import type { Metrics } from '../metrics.ts';
import type { Store } from '../store/database.ts';
import type { CarrierRegistry } from './carrier-registry.ts';
import type { EventBus } from './live-events.ts';

export interface ServiceContext {
  config: Config;
  store: Store;
  jobs: JobQueue;
  carriers: CarrierRegistry;
  metrics: Metrics;
  /** Live updates for open inboxes, published inside the transactions that change the data. */
  events: EventBus;
  logger: Logger;
  clock: () => Date;
  /** The base URL carriers call back (RINGBACK_PUBLIC_URL, or this server's own address). */
  webhookBase: () => string;
}
