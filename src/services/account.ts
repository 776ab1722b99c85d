// The account's settings and its text-back templates (account-wide, with per-line overrides).
import { SCHEDULE_SLOTS, isValidTimeZone, validateBusinessHours, type BusinessHours, type ScheduleSlot } from '../domain/schedule.ts';
import { checkTemplate, measureText } from '../domain/templates.ts';
import { listSavedReplies } from '../store/saved-replies-repository.ts';
import * as accounts from '../store/accounts-repository.ts';
import { deleteTemplate, findAccountLine, listTemplates, upsertTemplate } from '../store/lines-repository.ts';
import { newId } from '../store/ids.ts';
import type { Account } from '../store/schema.ts';
import type { ServiceContext } from './context.ts';
import { settingsOf, type AccountSettings, type CallbackTaskSettings } from './account-settings.ts';
import { validateAutomationHours } from '../domain/lawful-hours.ts';
import { AppError, conflict, notFound, type FieldError } from './errors.ts';

export interface AccountView {
  id: string;
  name: string;
  timeZone: string;
  businessHours: BusinessHours;
  holidays: string[];
  averageJobValueCents: number;
  bookingUrl: string | null;
  helpContact: string | null;
  paused: boolean;
  textBackCooldownHours: number;
  sendWindowMinutes: number;
  textBackOutsideLawfulHours: AccountSettings['textBackOutsideLawfulHours'];
  automationHours: BusinessHours | null;
  automationCap: AccountSettings['automationCap'];
  emergencyWords: string[];
  callbackTasks: CallbackTaskSettings;
}

export function presentAccount(ctx: ServiceContext, a: Account): AccountView {
  return {
    id: a.id,
    name: a.name,
    timeZone: a.time_zone,
    businessHours: JSON.parse(a.business_hours) as BusinessHours,
    holidays: JSON.parse(a.holidays) as string[],
    averageJobValueCents: a.average_job_value_cents,
    bookingUrl: a.booking_url,
    helpContact: a.help_contact,
    paused: a.paused === 1,
    textBackCooldownHours: ctx.config.cooldownHours,
    sendWindowMinutes: ctx.config.sendWindowMinutes,
    ...settingsOf(a),
  };
}

export async function getAccount(ctx: ServiceContext, accountId: string): Promise<AccountView> {
  const account = await accounts.findAccount(ctx.store.db, accountId);
  if (!account) throw notFound('the account');
  return presentAccount(ctx, account);
}

export interface AccountPatch {
  name?: string;
  timeZone?: string;
  businessHours?: unknown;
  holidays?: string[];
  averageJobValueCents?: number;
  bookingUrl?: string | null;
  helpContact?: string | null;
  paused?: boolean;
  textBackOutsideLawfulHours?: AccountSettings['textBackOutsideLawfulHours'];
  automationHours?: unknown;
  automationCap?: AccountSettings['automationCap'];
  emergencyWords?: string[];
  callbackTasks?: Partial<CallbackTaskSettings>;
}

export async function updateAccountSettings(ctx: ServiceContext, accountId: string, patch: AccountPatch): Promise<AccountView> {
  const fields: FieldError[] = [];
  if (patch.timeZone !== undefined && !isValidTimeZone(patch.timeZone)) {
    fields.push({ field: 'timeZone', message: `"${patch.timeZone}" is not an IANA time zone such as America/Chicago` });
  }
  let hours: BusinessHours | undefined;
  if (patch.businessHours !== undefined) {
    const checked = validateBusinessHours(patch.businessHours);
    if (checked.ok) hours = checked.value;
    else fields.push(...checked.errors.map((message) => ({ field: 'businessHours', message })));
  }
  let automationHours: BusinessHours | null | undefined;
  if (patch.automationHours === null) automationHours = null;
  else if (patch.automationHours !== undefined) {
    // Rejects a window that could never send (closed every day, or outside 08:00–21:00 everywhere).
    const checked = validateAutomationHours(patch.automationHours);
    if (checked.ok) automationHours = checked.value;
    else fields.push(...checked.errors.map((e) => ({ field: 'automationHours', message: typeof e === 'string' ? e : e.message })));
  }
  if (fields.length > 0) throw new AppError('validation_failed', fields.map((f) => `${f.field}: ${f.message}`).join('; '), fields);

  return ctx.store.transaction(async (tx) => {
    const account = await accounts.findAccount(tx.db, accountId);
    if (!account) throw notFound('the account');
    if (patch.bookingUrl === null) {
      const usesLink = (body: string) => /\{\{\s*booking_link\s*\}\}/.test(body);
      const uses = [
        ...(await listTemplates(tx.db, accountId)).filter((t) => usesLink(t.body)).map((t) => `${t.scope}/${t.slot}`),
        ...(await listSavedReplies(tx.db, accountId)).filter((r) => usesLink(r.body)).map((r) => `saved reply “${r.title}”`),
      ];
      if (uses.length > 0) {
        throw conflict(`the booking link is used by ${uses.length} template(s) (${uses.join(', ')}); change them first`);
      }
    }
    await accounts.updateAccount(tx.db, accountId, {
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.timeZone !== undefined ? { time_zone: patch.timeZone } : {}),
      ...(hours ? { business_hours: JSON.stringify(hours) } : {}),
      ...(patch.holidays !== undefined ? { holidays: JSON.stringify([...new Set(patch.holidays)].sort()) } : {}),
      ...(patch.averageJobValueCents !== undefined ? { average_job_value_cents: patch.averageJobValueCents } : {}),
      ...(patch.bookingUrl !== undefined ? { booking_url: patch.bookingUrl } : {}),
      ...(patch.helpContact !== undefined ? { help_contact: patch.helpContact } : {}),
      ...(patch.paused !== undefined ? { paused: patch.paused ? 1 : 0 } : {}),
      ...(touchesSettings(patch) ? { settings: JSON.stringify(mergeSettings(settingsOf(account), patch, automationHours)) } : {}),
      updated_at: ctx.clock().toISOString(),
    });
    return presentAccount(ctx, (await accounts.findAccount(tx.db, accountId))!);
  });
}

export interface TemplateView {
  purpose: 'text_back';
  slot: ScheduleSlot;
  /** 'account' for the account's template, or the id of the line it overrides. */
  scope: string;
  body: string;
  encoding: string;
  segments: number;
  characters: number;
  updatedAt: string;
}

export async function listTextBackTemplates(ctx: ServiceContext, accountId: string): Promise<TemplateView[]> {
  const rows = await listTemplates(ctx.store.db, accountId);
  return rows.map((t) => ({
    purpose: t.purpose,
    slot: t.slot,
    scope: t.scope,
    body: t.body,
    encoding: t.encoding,
    segments: t.segments,
    characters: measureText(t.body).characters,
    updatedAt: t.updated_at,
  }));
}

function parseSlot(slot: string): ScheduleSlot {
  if (!(SCHEDULE_SLOTS as readonly string[]).includes(slot)) {
    throw new AppError('not_found', `there is no template slot "${slot}"; use one of ${SCHEDULE_SLOTS.join(', ')}`);
  }
  return slot as ScheduleSlot;
}

export async function saveTextBackTemplate(
  ctx: ServiceContext,
  accountId: string,
  input: { slot: string; body: string; lineId?: string | undefined },
): Promise<TemplateView> {
  const slot = parseSlot(input.slot);
  return ctx.store.transaction(async (tx) => {
    const account = await accounts.findAccount(tx.db, accountId);
    if (!account) throw notFound('the account');
    let scope = 'account';
    if (input.lineId) {
      const line = await findAccountLine(tx.db, accountId, input.lineId);
      if (!line) throw new AppError('not_found', `line ${input.lineId} was not found in this account`, [{ field: 'lineId', message: 'no such line' }]);
      scope = line.id;
    }
    const check = checkTemplate(input.body, { purpose: 'text_back', hasBookingLink: account.booking_url !== null });
    if (!check.ok) {
      throw new AppError('unprocessable', `the template cannot be saved: ${check.errors.join('; ')}`, check.errors.map((message) => ({ field: 'body', message })));
    }
    const m = measureText(input.body);
    const now = ctx.clock().toISOString();
    await upsertTemplate(tx.db, {
      id: newId('tpl'),
      account_id: accountId,
      scope,
      purpose: 'text_back',
      slot,
      body: input.body,
      encoding: m.encoding,
      segments: m.segments,
      updated_at: now,
    });
    return { purpose: 'text_back', slot, scope, body: input.body, encoding: m.encoding, segments: m.segments, characters: m.characters, updatedAt: now };
  });
}

export async function removeLineTemplate(ctx: ServiceContext, accountId: string, slot: string, lineId: string | undefined): Promise<void> {
  const s = parseSlot(slot);
  if (!lineId) throw conflict('the account-wide template cannot be deleted, only replaced; pass lineId to remove a line\'s override');
  const line = await findAccountLine(ctx.store.db, accountId, lineId);
  if (!line) throw new AppError('not_found', `line ${lineId} was not found in this account`);
  const removed = await deleteTemplate(ctx.store.db, accountId, line.id, s);
  if (!removed) throw notFound(`a ${s} template override for line ${line.number}`);
}

function touchesSettings(p: AccountPatch): boolean {
  return [p.textBackOutsideLawfulHours, p.automationHours, p.automationCap, p.emergencyWords, p.callbackTasks].some((v) => v !== undefined);
}

function mergeSettings(current: AccountSettings, p: AccountPatch, automationHours: BusinessHours | null | undefined): AccountSettings {
  return {
    ...current,
    ...(p.textBackOutsideLawfulHours !== undefined ? { textBackOutsideLawfulHours: p.textBackOutsideLawfulHours } : {}),
    ...(automationHours !== undefined ? { automationHours } : {}),
    ...(p.automationCap !== undefined ? { automationCap: p.automationCap } : {}),
    // Matched case-insensitively; stored once each, in the order given.
    ...(p.emergencyWords !== undefined ? { emergencyWords: [...new Set(p.emergencyWords.map((w) => w.trim().toLowerCase()))] } : {}),
    ...(p.callbackTasks !== undefined ? { callbackTasks: { ...current.callbackTasks, ...p.callbackTasks } } : {}),
  };
}
