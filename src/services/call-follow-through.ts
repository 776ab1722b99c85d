// What a missed call sets in motion beyond its text-back (a callback task, the follow-up run,
// owner alerts, the call.missed webhook) runs as a job enqueued in the call's own transaction,
// not inside it: the text-back's path to the carrier stays as short as it was, and the job is as
// durable as the call. The job emits the call.missed hook in one transaction of its own, marked
// done by an audit event, so a retry after a crash does nothing twice.
import type { TaskDefinition } from '../jobs/job-queue.ts';
import type { Decision } from '../domain/text-back-decision.ts';
import { findAccount } from '../store/accounts-repository.ts';
import { findCallById } from '../store/calls-repository.ts';
import { findContact, hasEvent, insertEvent } from '../store/contacts-repository.ts';
import { findOpenLeadFor } from '../store/leads-repository.ts';
import { findAccountLine } from '../store/lines-repository.ts';
import type { Tx } from '../store/database.ts';
import type { Call } from '../store/schema.ts';
import type { ServiceContext } from './context.ts';

export const CALL_FOLLOW_THROUGH_TASK = 'call-follow-through';
const DONE = 'call.followed_through';

/** Called in the transaction that decided the call. */
export async function queueCallFollowThrough(ctx: ServiceContext, tx: Tx, call: Pick<Call, 'id'>): Promise<void> {
  await ctx.jobs.enqueue(tx, { task: CALL_FOLLOW_THROUGH_TASK, payload: { callId: call.id }, jobKey: `follow-through:${call.id}` });
}

export function createCallFollowThroughTask(ctx: ServiceContext): TaskDefinition {
  return {
    async run(payload) {
      await ctx.store.transaction(async (tx) => {
        const call = await findCallById(tx.db, String(payload.callId));
        if (!call || !call.decision || !call.decision_reason) return;
        if (await hasEvent(tx.db, call.account_id, DONE, 'call', call.id)) return;
        const account = await findAccount(tx.db, call.account_id);
        const line = await findAccountLine(tx.db, call.account_id, call.line_id);
        if (!account || !line) return;
        const contact = call.contact_id ? ((await findContact(tx.db, account.id, call.contact_id)) ?? null) : null;
        const lead = contact ? ((await findOpenLeadFor(tx.db, account.id, contact.id)) ?? null) : null;
        const decision = { action: call.decision, reason: call.decision_reason } as Decision;
        await ctx.hooks.emit(ctx, tx, 'call.missed', {
          account,
          line,
          call,
          contact,
          decision,
          messageId: call.message_id,
          lead,
          // This call opened the lead (the text-back's transaction recorded it on the lead).
          leadCreated: lead?.call_id === call.id,
        });
        await insertEvent(tx.db, {
          account_id: account.id,
          type: DONE,
          subject_type: 'call',
          subject_id: call.id,
          actor: 'system',
          data: '{}',
          created_at: ctx.clock().toISOString(),
        });
      });
    },
  };
}
