// Follow-up sequences: what an account's follow-ups say and when (create, read, replace, enable,
// delete). Every save is checked by the domain rules first, and nothing is written unless all of
// them hold. One sequence per trigger may be enabled: two would double-text the same caller.
// Runs (one lead's journey through a sequence) are in follow-ups.ts.
import {
  DEFAULT_SEQUENCE,
  sendOffsets,
  validateSequence,
  type SequenceDraft,
  type SequenceStep,
  type SequenceTrigger,
} from '../domain/follow-up-sequence.ts';
import { formatPhoneForDisplay } from '../domain/phone.ts';
import { describeCallbackWindow } from '../domain/schedule.ts';
import { measureText, renderTemplate } from '../domain/templates.ts';
import { findAccount } from '../store/accounts-repository.ts';
import { insertEvent } from '../store/contacts-repository.ts';
import type { Tx } from '../store/database.ts';
import { serializeOn } from '../store/dialect.ts';
import { newId } from '../store/ids.ts';
import { listLines } from '../store/lines-repository.ts';
import * as repo from '../store/sequences-repository.ts';
import type { Account, Sequence } from '../store/schema.ts';
import { scheduleOf } from './account-settings.ts';
import type { ServiceContext } from './context.ts';
import { AppError, conflict, notFound } from './errors.ts';
import { stopRuns } from './follow-ups.ts';

export type SendStepView = {
  type: 'send';
  body: string;
  /** Minutes from the start of the run (the text-back) to this send, if nothing is held. */
  afterMinutes: number;
  /** The body filled in with this account's details and a first name of "there". */
  preview: string;
  encoding: 'GSM-7' | 'UCS-2';
  segments: number;
  characters: number;
  /** Characters that force the whole text into UCS-2 (and so cost more segments). */
  nonGsmCharacters: string[];
};

export interface SequenceView {
  id: string;
  name: string;
  trigger: SequenceTrigger;
  enabled: boolean;
  steps: Array<{ type: 'wait'; minutes: number } | SendStepView>;
  createdAt: string;
  updatedAt: string;
}

export interface SequenceInput {
  name: string;
  steps: SequenceStep[];
  enabled?: boolean;
  trigger?: SequenceTrigger;
}

/** The marker that an account's default sequences were made (once; deleting them is respected). */
const DEFAULTS_EVENT = 'sequences.defaults_created';

/** Accounts known (in this process, after commit) to have had their defaults made. */
const ensuredByContext = new WeakMap<ServiceContext, Set<string>>();

/** A stable id per account, so two processes making the default at once make one row. */
export function defaultSequenceId(accountId: string): string {
  return `seq_default${accountId.replace(/[^A-Za-z0-9]/g, '')}`;
}

/**
 * Gives the account its default sequence the first time anything needs sequences (a missed call,
 * the API). Once made, it is never made again, so an account that deleted it stays without one;
 * an account that already has sequences of its own gets none.
 */
export async function ensureDefaultSequences(ctx: ServiceContext, tx: Tx, accountId: string): Promise<void> {
  let ensured = ensuredByContext.get(ctx);
  if (!ensured) ensuredByContext.set(ctx, (ensured = new Set()));
  if (ensured.has(accountId)) return;
  if (!(await repo.accountEventExists(tx.db, accountId, DEFAULTS_EVENT))) {
    const now = ctx.clock().toISOString();
    const id = defaultSequenceId(accountId);
    const own = await repo.listSequences(tx.db, accountId);
    const created =
      own.length === 0 &&
      (await repo.insertSequence(tx.db, {
        id,
        account_id: accountId,
        name: DEFAULT_SEQUENCE.name,
        trigger: DEFAULT_SEQUENCE.trigger,
        steps: JSON.stringify(DEFAULT_SEQUENCE.steps),
        enabled: 1,
        created_at: now,
        updated_at: now,
      }));
    await insertEvent(tx.db, {
      account_id: accountId,
      type: DEFAULTS_EVENT,
      subject_type: 'account',
      subject_id: accountId,
      actor: 'system',
      data: JSON.stringify({ sequenceIds: created ? [id] : [] }),
      created_at: now,
    });
  }
  // Only once the transaction holds: a rolled-back one made nothing.
  tx.afterCommit(() => {
    if (ensured.size > 50_000) ensured.clear();
    ensured.add(accountId);
  });
}

export function parseSteps(json: string): SequenceStep[] {
  return JSON.parse(json) as SequenceStep[];
}

interface PreviewValues {
  business_name: string;
  line_number: string;
  booking_link: string;
  callback_window: string;
}

async function previewValues(ctx: ServiceContext, tx: Tx, account: Account): Promise<PreviewValues> {
  const [line] = await listLines(tx.db, account.id);
  return {
    business_name: account.name,
    line_number: formatPhoneForDisplay(line?.number ?? '+15555550100'),
    booking_link: account.booking_url ?? '',
    callback_window: describeCallbackWindow(ctx.clock(), scheduleOf(account)),
  };
}

function present(s: Sequence, values: PreviewValues): SequenceView {
  const steps = parseSteps(s.steps);
  const offsets = new Map(sendOffsets(steps).map((o) => [o.sendIndex, o.afterMinutes]));
  return {
    id: s.id,
    name: s.name,
    trigger: s.trigger,
    enabled: s.enabled === 1,
    steps: steps.map((step, i) => {
      if (step.type === 'wait') return { type: 'wait', minutes: step.minutes };
      const preview = renderTemplate(step.body, { ...values, first_name: 'there' });
      const m = measureText(preview);
      return {
        type: 'send',
        body: step.body,
        afterMinutes: offsets.get(i) ?? 0,
        preview,
        encoding: m.encoding,
        segments: m.segments,
        characters: m.characters,
        nonGsmCharacters: [...m.nonGsmCharacters],
      };
    }),
    createdAt: s.created_at,
    updatedAt: s.updated_at,
  };
}

async function accountOf(tx: Tx, accountId: string): Promise<Account> {
  const account = await findAccount(tx.db, accountId);
  if (!account) throw notFound('the account');
  return account;
}

export async function listSequenceViews(ctx: ServiceContext, accountId: string): Promise<SequenceView[]> {
  return ctx.store.transaction(async (tx) => {
    await ensureDefaultSequences(ctx, tx, accountId);
    const account = await accountOf(tx, accountId);
    const values = await previewValues(ctx, tx, account);
    return (await repo.listSequences(tx.db, accountId)).map((s) => present(s, values));
  });
}

export async function getSequenceView(ctx: ServiceContext, accountId: string, id: string): Promise<SequenceView> {
  return ctx.store.transaction(async (tx) => {
    await ensureDefaultSequences(ctx, tx, accountId);
    const sequence = await repo.findSequence(tx.db, accountId, id);
    if (!sequence) throw notFound(`sequence ${id}`);
    const account = await accountOf(tx, accountId);
    return present(sequence, await previewValues(ctx, tx, account));
  });
}

/** The domain rules; 422 naming each field when any fails. */
function checked(account: Account, draft: SequenceDraft): SequenceDraft {
  const result = validateSequence(draft, { hasBookingLink: Boolean(account.booking_url) });
  if (!result.ok) {
    const summary = result.errors.map((e) => `${e.field} ${e.message}`).join('; ');
    throw new AppError('unprocessable', summary, result.errors);
  }
  return result.value;
}

/** Refuses to enable a second sequence for one trigger, naming the one that is enabled. */
async function assertOnlyEnabled(tx: Tx, accountId: string, trigger: SequenceTrigger, selfId: string | undefined): Promise<void> {
  const enabled = await repo.findEnabledSequence(tx.db, accountId, trigger, selfId);
  if (enabled) {
    throw conflict(
      `"${enabled.name}" (${enabled.id}) is already enabled for ${trigger}; only one sequence per trigger may be enabled, so disable it first (PATCH /api/v1/sequences/${enabled.id} {"enabled": false})`,
    );
  }
}

async function recordChange(ctx: ServiceContext, tx: Tx, accountId: string, actor: string, type: string, sequenceId: string, data: Record<string, unknown>) {
  await insertEvent(tx.db, {
    account_id: accountId,
    type,
    subject_type: 'sequence',
    subject_id: sequenceId,
    actor,
    data: JSON.stringify(data),
    created_at: ctx.clock().toISOString(),
  });
}

export interface Actor {
  accountId: string;
  userId: string;
}

export async function createSequence(ctx: ServiceContext, actor: Actor, input: SequenceInput): Promise<SequenceView> {
  return ctx.store.transaction(async (tx) => {
    // Two saves at once must not both find "no other enabled sequence" (Postgres; SQLite takes turns).
    await serializeOn(tx.db, `sequences:${actor.accountId}`);
    await ensureDefaultSequences(ctx, tx, actor.accountId);
    const account = await accountOf(tx, actor.accountId);
    const draft = checked(account, { name: input.name, steps: input.steps });
    const trigger = input.trigger ?? 'missed_call_no_reply';
    const enabled = input.enabled ?? true;
    if (enabled) await assertOnlyEnabled(tx, account.id, trigger, undefined);
    const now = ctx.clock().toISOString();
    const row = {
      id: newId('seq'),
      account_id: account.id,
      name: draft.name,
      trigger,
      steps: JSON.stringify(draft.steps),
      enabled: enabled ? 1 : 0,
      created_at: now,
      updated_at: now,
    };
    await repo.insertSequence(tx.db, row);
    await recordChange(ctx, tx, account.id, `user:${actor.userId}`, 'sequence.created', row.id, { name: row.name, enabled });
    return present(row, await previewValues(ctx, tx, account));
  });
}

/** Replaces name, steps and (when given) enabled. Runs already under way keep the steps they started with. */
export async function replaceSequence(ctx: ServiceContext, actor: Actor, id: string, input: SequenceInput): Promise<SequenceView> {
  return saveChanges(ctx, actor, id, { name: input.name, steps: input.steps, ...(input.enabled !== undefined ? { enabled: input.enabled } : {}) });
}

export async function patchSequence(ctx: ServiceContext, actor: Actor, id: string, patch: { name?: string; enabled?: boolean }): Promise<SequenceView> {
  return saveChanges(ctx, actor, id, patch);
}

async function saveChanges(
  ctx: ServiceContext,
  actor: Actor,
  id: string,
  change: { name?: string; steps?: SequenceStep[]; enabled?: boolean },
): Promise<SequenceView> {
  return ctx.store.transaction(async (tx) => {
    await serializeOn(tx.db, `sequences:${actor.accountId}`);
    await ensureDefaultSequences(ctx, tx, actor.accountId);
    const current = await repo.findSequence(tx.db, actor.accountId, id);
    if (!current) throw notFound(`sequence ${id}`);
    const account = await accountOf(tx, actor.accountId);
    const draft = checked(account, { name: change.name ?? current.name, steps: change.steps ?? parseSteps(current.steps) });
    const enabled = change.enabled ?? current.enabled === 1;
    if (enabled && current.enabled !== 1) await assertOnlyEnabled(tx, account.id, current.trigger, current.id);
    const now = ctx.clock().toISOString();
    const updated = await repo.updateSequence(tx.db, account.id, id, {
      name: draft.name,
      steps: JSON.stringify(draft.steps),
      enabled: enabled ? 1 : 0,
      updated_at: now,
    });
    if (!updated) throw notFound(`sequence ${id}`);
    const userActor = `user:${actor.userId}`;
    let stoppedRuns = 0;
    if (!enabled && current.enabled === 1) {
      // Turning a sequence off means its texts stop, including those of leads already in it.
      stoppedRuns = (await stopRuns(ctx, tx, account.id, { sequenceId: id }, 'sequence_disabled', userActor)).length;
    }
    await recordChange(ctx, tx, account.id, userActor, 'sequence.updated', id, {
      name: draft.name,
      enabled,
      stepsChanged: change.steps !== undefined && JSON.stringify(draft.steps) !== current.steps,
      stoppedRuns,
    });
    return present(updated, await previewValues(ctx, tx, account));
  });
}

/** Deletes the sequence and stops its runs under way (reason sequence_deleted). */
export async function removeSequence(ctx: ServiceContext, actor: Actor, id: string): Promise<{ stoppedRuns: number }> {
  return ctx.store.transaction(async (tx) => {
    await ensureDefaultSequences(ctx, tx, actor.accountId);
    const current = await repo.findSequence(tx.db, actor.accountId, id);
    if (!current) throw notFound(`sequence ${id}`);
    const userActor = `user:${actor.userId}`;
    const stopped = await stopRuns(ctx, tx, actor.accountId, { sequenceId: id }, 'sequence_deleted', userActor);
    await repo.deleteSequence(tx.db, actor.accountId, id);
    await recordChange(ctx, tx, actor.accountId, userActor, 'sequence.deleted', id, { name: current.name, stoppedRuns: stopped.length });
    return { stoppedRuns: stopped.length };
  });
}

/** For a route that needs the sequence to exist in the account (404 otherwise). */
export async function requireSequence(ctx: ServiceContext, accountId: string, id: string): Promise<Sequence> {
  const sequence = await repo.findSequence(ctx.store.db, accountId, id);
  if (!sequence) throw notFound(`sequence ${id}`);
  return sequence;
}
