// Calls from carriers (webhooks) and from phone systems (events mode) end in the same place:
// the call stored with its outcome, and the text-back decided and queued in that transaction.
// Calls the business places to a contact (direction outbound) are stored the same two ways, with
// no text-back decision: they tell the follow-through modules that someone called back.
import { createHash } from 'node:crypto';
import type { CallEvent, CallInstructions, CallOutcome, OutboundCallOutcome } from '../carriers/carrier.ts';
import type { CallerId } from '../domain/caller-id.ts';
import { describeDecision, type Decision } from '../domain/text-back-decision.ts';
import type { Tx } from '../store/database.ts';
import { findAccount } from '../store/accounts-repository.ts';
import type { PageCursor } from '../store/paging.ts';
import { findCall, findCallByCarrierId, findCallByExternalId, insertCallOnce, listCalls, updateCall } from '../store/calls-repository.ts';
import { ensureContact, insertEvent } from '../store/contacts-repository.ts';
import { findConversationFor, updateConversation } from '../store/conversations-repository.ts';
import { findAccountLine, findCarrierConnection, findLineByNumber } from '../store/lines-repository.ts';
import { newId } from '../store/ids.ts';
import type { Account, Call, CarrierConnection, Line } from '../store/schema.ts';
import { connectionWebhookUrl } from './carrier-registry.ts';
import type { ServiceContext } from './context.ts';
import { AppError, conflict, notFound } from './errors.ts';
import { callerIdFor, decideAndQueueTextBack } from './text-back.ts';

export const CALL_OUTCOMES = ['answered', 'missed', 'busy', 'failed', 'voicemail', 'rejected'] as const;
/** What a call to a contact can come to; 'voicemail' means a message was left for them. */
export const OUTBOUND_CALL_OUTCOMES = ['answered', 'missed', 'busy', 'failed', 'voicemail'] as const satisfies readonly OutboundCallOutcome[];

export interface CallView {
  id: string;
  lineId: string;
  /** inbound: the contact called the line (from = them); outbound: the business called them (from = the line). */
  direction: Call['direction'];
  from: string;
  fromNumber: string | null;
  to: string;
  forwardedFrom: string | null;
  source: Call['source'];
  externalId: string | null;
  status: Call['status'];
  outcome: string | null;
  startedAt: string;
  endedAt: string | null;
  decision: { action: 'send' | 'skip'; reason: string; explanation: string; decidedAt: string | null; messageId: string | null } | null;
  voicemail: { url: string; transcript: string | null } | null;
}

export function presentCall(ctx: ServiceContext, call: Call): CallView {
  return {
    id: call.id,
    lineId: call.line_id,
    direction: call.direction,
    from: call.from_raw,
    fromNumber: call.from_number,
    to: call.to_number,
    forwardedFrom: call.forwarded_from,
    source: call.source,
    externalId: call.external_id,
    status: call.status,
    outcome: call.outcome,
    startedAt: call.started_at,
    endedAt: call.ended_at,
    decision:
      call.decision && call.decision_reason
        ? {
            action: call.decision,
            reason: call.decision_reason,
            explanation: describeDecision({ action: call.decision, reason: call.decision_reason } as Decision, {
              cooldownMs: ctx.config.cooldownHours * 3_600_000,
            }),
            decidedAt: call.decided_at,
            messageId: call.message_id,
          }
        : null,
    voicemail: call.voicemail_url ? { url: call.voicemail_url, transcript: call.voicemail_transcript } : null,
  };
}

async function loadLineAndAccount(ctx: ServiceContext, tx: Tx, connection: CarrierConnection, to: string): Promise<{ line: Line; account: Account }> {
  const line = await findLineByNumber(tx.db, to);
  if (!line || line.carrier_connection_id !== connection.id) throw notFound(`a line for ${to} on this carrier connection`);
  const account = await findAccount(tx.db, line.account_id);
  if (!account) throw notFound('the line\'s account');
  return { line, account };
}

function callRow(ctx: ServiceContext, line: Line, fields: Partial<Call> & Pick<Call, 'from_raw' | 'started_at' | 'status' | 'source'>): Call {
  const now = ctx.clock().toISOString();
  return {
    id: newId('call'),
    account_id: line.account_id,
    line_id: line.id,
    contact_id: null,
    carrier_call_id: null,
    external_id: null,
    request_hash: null,
    from_number: null,
    to_number: line.number,
    forwarded_from: null,
    outcome: null,
    ended_at: null,
    voicemail_url: null,
    voicemail_transcript: null,
    decision: null,
    decision_reason: null,
    decided_at: null,
    message_id: null,
    screen_accepted_at: null,
    direction: 'inbound',
    created_at: now,
    updated_at: now,
    ...fields,
  };
}

/** Records the outcome and decides, unless this call was already decided (a replayed event). */
async function completeCall(
  ctx: ServiceContext,
  tx: Tx,
  account: Account,
  line: Line,
  connectionKind: string,
  call: Call,
  outcome: CallOutcome,
  extra: { endedAt?: string; voicemailUrl?: string; voicemailTranscript?: string },
): Promise<Call> {
  if (call.decision !== null) return call;
  const now = ctx.clock().toISOString();
  const callerId = callerIdFor(account, line, connectionKind, call.from_raw);
  const patch = {
    status: 'completed' as const,
    outcome,
    ended_at: extra.endedAt ?? now,
    voicemail_url: extra.voicemailUrl ?? call.voicemail_url,
    voicemail_transcript: extra.voicemailTranscript ?? call.voicemail_transcript,
    from_number: callerId.kind === 'valid' ? callerId.e164 : null,
    updated_at: now,
  };
  const decided = await decideAndQueueTextBack(ctx, tx, { account, line, call, callerId, outcome, callPatch: patch });
  return decided.call;
}

/**
 * Stores a call the business placed to a contact, once (per carrier call id or external id), and
 * tells the modules that follow through (call.outbound: a callback reached them, or it did not).
 * Reaching the person (answered, or a voicemail left) counts as a person's contact on their
 * conversation, like a reply: no automatic text-back goes out on top of a callback.
 * Returns whether this call was new; a replay records and tells nothing more.
 */
async function recordOutboundCall(
  ctx: ServiceContext,
  tx: Tx,
  input: { account: Account; line: Line; row: Call; callee: CallerId; outcome: OutboundCallOutcome },
): Promise<boolean> {
  const { account, line, callee, outcome } = input;
  const now = ctx.clock().toISOString();
  const contact = callee.kind === 'valid' ? await ensureContact(tx.db, account.id, callee.e164, now) : null;
  const call: Call = { ...input.row, contact_id: contact?.id ?? null, status: 'completed', outcome, direction: 'outbound' };
  if (!(await insertCallOnce(tx.db, call))) return false;
  if (contact && (outcome === 'answered' || outcome === 'voicemail')) {
    const conversation = await findConversationFor(tx.db, line.id, contact.id);
    // Only forward: a callback reported late must not hide a reply that came after it.
    if (conversation && (conversation.last_person_contact_at ?? '') < call.started_at) {
      await updateConversation(tx.db, conversation.id, { last_person_contact_at: call.started_at, updated_at: now });
    }
  }
  await insertEvent(tx.db, {
    account_id: account.id,
    type: 'call.outbound',
    subject_type: 'call',
    subject_id: call.id,
    actor: call.source === 'api' ? 'api' : 'carrier',
    data: JSON.stringify({ to: call.to_number, outcome, contactId: contact?.id ?? null }),
    created_at: now,
  });
  await ctx.hooks.emit(ctx, tx, 'call.outbound', { account, line, call, contact });
  return true;
}

const SCREEN_TIMEOUT_SECONDS = 6;
const VOICEMAIL_SECONDS = 120;

function spoken(number: string): string {
  // Digits one by one, so text-to-speech does not read "+15555550123" as a quantity.
  return number.replace(/^\+1/, '').replace(/\D/g, '').split('').join(' ');
}

function callUrl(ctx: ServiceContext, connection: CarrierConnection, hook: 'voice/screen' | 'voice/screen-accept' | 'voice/voicemail', params: Record<string, string>): string {
  return `${connectionWebhookUrl(ctx.webhookBase(), connection, hook)}?${new URLSearchParams(params).toString()}`;
}

/** What to do with a call that has just arrived. */
function arrivalInstructions(ctx: ServiceContext, connection: CarrierConnection, line: Line, call: Call): CallInstructions {
  if (line.mode === 'events') {
    return { action: 'reject', message: 'Calls on this line are reported by its phone system.' };
  }
  const targets = JSON.parse(line.ring_targets) as string[];
  if (line.mode === 'conditional-forward' || targets.length === 0) {
    // Nobody to ring: the call is already missed.
    return afterMissedInstructions(ctx, connection, line, call);
  }
  const greeting = line.greeting ?? undefined;
  return {
    action: 'dial',
    targets,
    ringSeconds: line.ring_seconds,
    screening: line.screening === 1,
    callerId: call.from_raw,
    resultUrl: connectionWebhookUrl(ctx.webhookBase(), connection, 'voice/result'),
    ...(line.screening === 1 ? { screenUrl: callUrl(ctx, connection, 'voice/screen', { call: call.carrier_call_id!, line: line.number, caller: call.from_raw }) } : {}),
    ...(greeting ? { greeting } : {}),
  };
}

/** After a missed call: voicemail when the line takes messages, else a polite goodbye. */
function afterMissedInstructions(ctx: ServiceContext, connection: CarrierConnection, line: Line, call: Call): CallInstructions {
  if (line.voicemail === 1) {
    return {
      action: 'voicemail',
      greeting: 'Sorry we missed your call. Please leave a message after the tone, and we will text you right away.',
      maxSeconds: VOICEMAIL_SECONDS,
      transcribe: true,
      recordingUrl: callUrl(ctx, connection, 'voice/voicemail', { call: call.carrier_call_id!, line: line.number }),
    };
  }
  return { action: 'hangup', message: 'Sorry we missed your call. We will text you right away.' };
}

/** The carrier's final status for a call with no dial result: what became of it. */
const ENDED_OUTCOME: Record<'completed' | 'busy' | 'no-answer' | 'failed' | 'canceled', CallOutcome> = {
  completed: 'missed',
  busy: 'busy',
  'no-answer': 'missed',
  canceled: 'missed',
  failed: 'failed',
};

/** Handles a verified call webhook; returns what the carrier should do with the call. */
export async function handleCarrierCallEvent(ctx: ServiceContext, connection: CarrierConnection, event: CallEvent): Promise<CallInstructions> {
  return ctx.store.transaction(async (tx) => {
    // A call placed from the line belongs to the line it came from.
    const { line, account } = await loadLineAndAccount(ctx, tx, connection, event.type === 'call.outbound' ? event.from : event.to);

    if (event.type === 'call.progress') return { action: 'connect' };

    if (event.type === 'call.outbound') {
      const callee = callerIdFor(account, line, connection.kind, event.to);
      await recordOutboundCall(ctx, tx, {
        account,
        line,
        callee,
        outcome: event.outcome,
        row: callRow(ctx, line, {
          source: 'carrier',
          carrier_call_id: event.carrierCallId,
          from_raw: line.number,
          from_number: line.number,
          to_number: callee.kind === 'valid' ? callee.e164 : event.to,
          status: 'completed',
          started_at: event.startedAt.toISOString(),
          ended_at: event.endedAt.toISOString(),
        }),
      });
      // A status callback: the carrier does not act on the answer.
      return { action: 'hangup' };
    }

    if (event.type === 'call.screen') {
      // The person answering decides; saying the caller's number helps them decide.
      return {
        action: 'screen',
        prompt: `Call for ${line.name} from ${spoken(event.from)}. Press any key to take it.`,
        acceptUrl: callUrl(ctx, connection, 'voice/screen-accept', { call: event.carrierCallId, line: line.number }),
        timeoutSeconds: SCREEN_TIMEOUT_SECONDS,
      };
    }

    if (event.type === 'call.screen_accepted' || event.type === 'call.voicemail') {
      const call = await findCallByCarrierId(tx.db, line.id, event.carrierCallId, { lock: true });
      if (!call) throw notFound(`call ${event.carrierCallId} on line ${line.number}`);
      const now = ctx.clock().toISOString();
      if (event.type === 'call.screen_accepted') {
        if (!call.screen_accepted_at) await updateCall(tx.db, call.id, { screen_accepted_at: now, updated_at: now });
        return { action: 'connect' };
      }
      await updateCall(tx.db, call.id, {
        voicemail_url: event.recordingUrl,
        voicemail_transcript: event.transcript ?? call.voicemail_transcript,
        outcome: call.outcome === 'missed' ? 'voicemail' : call.outcome,
        updated_at: now,
      });
      return { action: 'hangup' };
    }

    const startedAt = (event.type === 'call.incoming' ? event.occurredAt : event.type === 'call.completed' ? event.startedAt : event.endedAt).toISOString();
    await insertCallOnce(
      tx.db,
      callRow(ctx, line, {
        source: 'carrier',
        carrier_call_id: event.carrierCallId,
        from_raw: event.from,
        forwarded_from: event.forwardedFrom ?? null,
        status: 'ringing',
        started_at: startedAt,
      }),
    );
    const call = (await findCallByCarrierId(tx.db, line.id, event.carrierCallId, { lock: true }))!;

    if (event.type === 'call.completed') {
      // A phone that picked up counts only if the person pressed a key: a cell phone's
      // voicemail also "answers".
      const unconfirmed = event.outcome === 'answered' && event.answerNeedsScreening === true && line.screening === 1 && !call.screen_accepted_at;
      const outcome: CallOutcome = unconfirmed ? 'missed' : event.outcome;
      const done = await completeCall(ctx, tx, account, line, connection.kind, call, outcome, {
        endedAt: event.endedAt.toISOString(),
        ...(event.voicemailUrl ? { voicemailUrl: event.voicemailUrl } : {}),
        ...(event.voicemailTranscript ? { voicemailTranscript: event.voicemailTranscript } : {}),
      });
      return done.outcome === 'answered' ? { action: 'hangup' } : afterMissedInstructions(ctx, connection, line, done);
    }

    if (event.type === 'call.ended') {
      // The backstop: a call that ended without a dial result (the caller hung up while it rang).
      const outcome: CallOutcome = call.screen_accepted_at ? 'answered' : ENDED_OUTCOME[event.status];
      await completeCall(ctx, tx, account, line, connection.kind, call, outcome, { endedAt: event.endedAt.toISOString() });
      return { action: 'hangup' };
    }

    const instructions = arrivalInstructions(ctx, connection, line, call);
    if (instructions.action === 'reject') {
      await completeCall(ctx, tx, account, line, connection.kind, call, 'rejected', {});
    } else if (instructions.action !== 'dial') {
      await completeCall(ctx, tx, account, line, connection.kind, call, 'missed', {});
    }
    return instructions;
  });
}

export interface ReportCallInput {
  direction?: 'inbound';
  line: string;
  from: string;
  status: (typeof CALL_OUTCOMES)[number];
  externalId: string;
  occurredAt: Date;
}

/** A call the business placed to `to` (a callback), reported by its phone system. */
export interface ReportOutboundCallInput {
  direction: 'outbound';
  line: string;
  to: string;
  status: OutboundCallOutcome;
  externalId: string;
  occurredAt: Date;
}

/** Events mode: a phone system reports a call, either way. Idempotent on externalId. */
export async function reportCall(
  ctx: ServiceContext,
  accountId: string,
  input: ReportCallInput | ReportOutboundCallInput,
): Promise<{ call: CallView; replayed: boolean }> {
  return ctx.store.transaction(async (tx) => {
    const line = await findAccountLine(tx.db, accountId, input.line);
    if (!line) throw new AppError('not_found', `line ${input.line} was not found in this account`, [{ field: 'line', message: 'no such line in this account' }]);
    if (line.mode !== 'events') {
      throw conflict(`line ${line.number} is in ${line.mode} mode: its calls are reported by its carrier, not through this API`);
    }
    const account = (await findAccount(tx.db, accountId))!;
    const connection = await findCarrierConnection(tx.db, line.carrier_connection_id);
    if (input.direction === 'outbound') return reportOutboundCall(ctx, tx, account, line, connection?.kind ?? 'unknown', input);
    const requestHash = createHash('sha256')
      .update(JSON.stringify([line.id, input.from, input.status, input.occurredAt.toISOString()]))
      .digest('hex');

    const row = callRow(ctx, line, {
      source: 'api',
      external_id: input.externalId,
      request_hash: requestHash,
      from_raw: input.from,
      status: 'ringing',
      started_at: input.occurredAt.toISOString(),
    });
    const inserted = await insertCallOnce(tx.db, row);
    const call = (await findCallByExternalId(tx.db, accountId, input.externalId))!;
    if (!inserted) {
      if (call.request_hash !== requestHash) {
        throw new AppError('conflict', `externalId ${input.externalId} was already reported with different content`, [
          { field: 'externalId', message: 'already used for a different call' },
        ]);
      }
      return { call: presentCall(ctx, call), replayed: true };
    }
    const done = await completeCall(ctx, tx, account, line, connection?.kind ?? 'unknown', call, input.status, { endedAt: input.occurredAt.toISOString() });
    return { call: presentCall(ctx, done), replayed: false };
  });
}

async function reportOutboundCall(
  ctx: ServiceContext,
  tx: Tx,
  account: Account,
  line: Line,
  connectionKind: string,
  input: ReportOutboundCallInput,
): Promise<{ call: CallView; replayed: boolean }> {
  const callee = callerIdFor(account, line, connectionKind, input.to);
  if (callee.kind !== 'valid') {
    throw new AppError('validation_failed', `to ${JSON.stringify(input.to)} is not a phone number that can be called back (${callee.kind})`, [
      { field: 'to', message: 'must be the phone number that was called' },
    ]);
  }
  // 'outbound' first, so an inbound report can never share a hash with an outbound one.
  const requestHash = createHash('sha256')
    .update(JSON.stringify(['outbound', line.id, callee.e164, input.status, input.occurredAt.toISOString()]))
    .digest('hex');
  const at = input.occurredAt.toISOString();
  const inserted = await recordOutboundCall(ctx, tx, {
    account,
    line,
    callee,
    outcome: input.status,
    row: callRow(ctx, line, {
      source: 'api',
      external_id: input.externalId,
      request_hash: requestHash,
      from_raw: line.number,
      from_number: line.number,
      to_number: callee.e164,
      status: 'completed',
      started_at: at,
      ended_at: at,
    }),
  });
  const call = (await findCallByExternalId(tx.db, account.id, input.externalId))!;
  if (!inserted && call.request_hash !== requestHash) {
    throw new AppError('conflict', `externalId ${input.externalId} was already reported with different content`, [
      { field: 'externalId', message: 'already used for a different call' },
    ]);
  }
  return { call: presentCall(ctx, call), replayed: !inserted };
}

export async function listAccountCalls(
  ctx: ServiceContext,
  accountId: string,
  filter: { lineId?: string; decision?: 'send' | 'skip'; before?: PageCursor; limit: number },
): Promise<CallView[]> {
  const rows = await listCalls(ctx.store.db, { accountId, ...filter });
  return rows.map((c) => presentCall(ctx, c));
}

export async function getAccountCall(ctx: ServiceContext, accountId: string, id: string): Promise<CallView> {
  const call = await findCall(ctx.store.db, accountId, id);
  if (!call) throw notFound(`call ${id}`);
  return presentCall(ctx, call);
}
