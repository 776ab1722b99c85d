// What happened, told to the modules that follow through on it. The core flows (inbound texts,
// a person's own reply, outbound calls) emit a hook inside their transaction; a missed call's
// hook comes from the call-follow-through job its transaction enqueued (call-follow-through.ts),
// so the text-back's path to the carrier stays short; follow-ups, callback tasks,
// the pipeline and owner alerts each register for the hooks they care about (in their install
// function, wired once in main.ts). Handlers run in the same transaction, one after another, so
// everything a happening causes commits with it or not at all.
import type { Decision } from '../domain/text-back-decision.ts';
import type { Tx } from '../store/database.ts';
import type { Account, Call, Contact, Conversation, Lead, LeadStage, Line, Message, Task } from '../store/schema.ts';
import type { ServiceContext } from './context.ts';

/** How an inbound text was read (domain/opt-out.ts). */
export interface InboundReading {
  intent: 'opt_out' | 'opt_in' | 'help' | 'ambiguous' | 'message';
  /** The keyword or pattern that matched, kept as evidence. */
  rule: string | null;
}

export interface HookData {
  /** A call ended unanswered and its text-back was decided (sent or skipped); emitted by the call-follow-through job. */
  'call.missed': {
    account: Account;
    line: Line;
    call: Call;
    contact: Contact | null;
    decision: Decision;
    /** The queued text-back, when the decision was to send. */
    messageId: string | null;
    /** The contact's open lead (null for an anonymous caller); created says this call opened it. */
    lead: Lead | null;
    leadCreated: boolean;
  };
  /** Someone at the business called the contact (a carrier's outbound call, or a phone system's report). */
  'call.outbound': { account: Account; line: Line; call: Call; contact: Contact | null };
  /** An inbound text was stored and read. Keywords (STOP, HELP) included. */
  'message.received': {
    account: Account;
    line: Line;
    contact: Contact;
    conversation: Conversation;
    message: Message;
    reading: InboundReading;
    /** The number is opted out (after this message was applied). */
    suppressed: boolean;
  };
  /** A person on the team sent a text from the inbox. */
  'message.sent_by_person': { account: Account; line: Line; contact: Contact; conversation: Conversation; message: Message; userId: string };
  /** The number opted out (keyword or plain words); queued automated texts are already canceled. */
  'contact.opted_out': { account: Account; contact: Contact; words: string; rule: string; messageId: string | null };
  /** A lead moved from one stage to another (by itself or by hand). */
  'lead.stage_changed': { account: Account; lead: Lead; from: LeadStage; to: LeadStage; actor: string };
  /** A task is due soon (its reminder time came) and is not done. */
  'task.reminder': { account: Account; task: Task; contact: Contact | null };
  /** A task passed its due time (plus the escalation delay) without being done: tell the owners. */
  'task.overdue': { account: Account; task: Task; contact: Contact | null };
}

export type HookType = keyof HookData;
export type HookHandler<T extends HookType> = (ctx: ServiceContext, tx: Tx, data: HookData[T]) => Promise<void>;

export class Hooks {
  readonly #handlers = new Map<HookType, Array<{ name: string; fn: HookHandler<any> }>>();

  /** `name` says who is listening, for errors and logs. */
  on<T extends HookType>(type: T, name: string, fn: HookHandler<T>): void {
    const list = this.#handlers.get(type) ?? [];
    list.push({ name, fn });
    this.#handlers.set(type, list);
  }

  async emit<T extends HookType>(ctx: ServiceContext, tx: Tx, type: T, data: HookData[T]): Promise<void> {
    for (const { name, fn } of this.#handlers.get(type) ?? []) {
      try {
        await fn(ctx, tx, data);
      } catch (err) {
        // The whole transaction fails: a happening is never half-followed-through.
        (err as Error).message = `${type} → ${name}: ${(err as Error).message}`;
        throw err;
      }
    }
  }
}
