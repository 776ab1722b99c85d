// Work that falls due by the clock: follow-up steps, task reminders and escalations, snoozed
// conversations waking up, alerts held through quiet time. Each module registers a function that
// finds what is due at `now` (the application clock, so tests move time instead of waiting) and
// acts on it in transactions; anything that leaves the building (a text, an email, a webhook) is
// a durable job enqueued there. Processes that run jobs tick every RINGBACK_SCHEDULER_INTERVAL_MS;
// on Postgres several may tick at once, so due rows are claimed with guarded updates.
import type { Logger } from 'pino';

/** Handles what is due at `now`; returns how many items it acted on. */
export type DueWork = (now: Date) => Promise<number>;

export class Scheduler {
  readonly #work = new Map<string, DueWork>();
  readonly #clock: () => Date;
  readonly #logger: Logger;
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<Record<string, number>> | undefined;

  constructor(opts: { clock: () => Date; logger: Logger }) {
    this.#clock = opts.clock;
    this.#logger = opts.logger;
  }

  register(name: string, work: DueWork): void {
    if (this.#work.has(name)) throw new Error(`due work "${name}" is registered twice`);
    this.#work.set(name, work);
  }

  /** Runs every registered piece of due work once; concurrent calls share one run. */
  tick(): Promise<Record<string, number>> {
    this.#ticking ??= this.#run().finally(() => {
      this.#ticking = undefined;
    });
    return this.#ticking;
  }

  async #run(): Promise<Record<string, number>> {
    const now = this.#clock();
    const done: Record<string, number> = {};
    for (const [name, work] of this.#work) {
      try {
        done[name] = await work(now);
      } catch (err) {
        // One module's failure must not starve the others; it is retried on the next tick.
        this.#logger.error({ err, work: name }, 'due work failed');
        done[name] = 0;
      }
    }
    return done;
  }

  start(intervalMs: number): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.tick(), intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#ticking?.catch(() => {});
  }
}
