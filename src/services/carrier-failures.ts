// What a carrier's error code changes beyond the one message: an opt-out at the carrier becomes
// our suppression, an impossible number marks the contact, and a problem that will hit every
// text (unregistered 10DLC, spam filtering, bad credentials) alerts the owner once.
import { describeCarrierError } from '../domain/carrier-errors.ts';
import type { Tx } from '../store/database.ts';
import { raiseAlert } from '../store/alerts-repository.ts';
import { insertEvent, insertSuppression, updateContact } from '../store/contacts-repository.ts';
import { cancelQueuedAutomatedMessages } from '../store/conversations-repository.ts';
import { newId } from '../store/ids.ts';
import type { Message } from '../store/schema.ts';
import type { ServiceContext } from './context.ts';

export async function applyCarrierFailure(ctx: ServiceContext, tx: Tx, message: Message, code: string | null | undefined): Promise<void> {
  const info = describeCarrierError(code);
  if (!info || !code) return;
  const now = ctx.clock().toISOString();
  switch (info.effect) {
    case 'opt_out': {
      const added = await insertSuppression(tx.db, {
        id: newId('sup'),
        account_id: message.account_id,
        number: message.to_number,
        kind: 'opt_out',
        source: 'carrier',
        words: `carrier error ${code}`,
        message_id: message.id,
        created_at: now,
        lifted_at: null,
        lifted_by: null,
      });
      if (added) await cancelQueuedAutomatedMessages(tx.db, message.account_id, message.to_number, 'canceled: the carrier says the recipient opted out', now);
      break;
    }
    case 'invalid_number':
      await updateContact(tx.db, message.account_id, message.contact_id, { invalid: 1, updated_at: now });
      break;
    case 'not_mobile':
      await updateContact(tx.db, message.account_id, message.contact_id, { line_type: 'landline', updated_at: now });
      break;
    case 'none':
      break;
  }
  if (info.systemic) {
    const isNew = await raiseAlert(tx.db, {
      id: newId('alert'),
      account_id: message.account_id,
      kind: 'carrier_error',
      code,
      title: `Texts are failing: carrier error ${code}`,
      detail: info.explanation,
      line_id: message.line_id,
      message_id: message.id,
      first_seen_at: now,
      last_seen_at: now,
      resolved_at: null,
    });
    if (isNew) {
      await insertEvent(tx.db, {
        account_id: message.account_id,
        type: 'alert.raised',
        subject_type: 'line',
        subject_id: message.line_id,
        actor: 'carrier',
        data: JSON.stringify({ code, detail: info.explanation, messageId: message.id }),
        created_at: now,
      });
      tx.afterCommit(() => ctx.logger.warn({ accountId: message.account_id, code }, `owner alert: ${info.explanation}`));
    }
  }
}
