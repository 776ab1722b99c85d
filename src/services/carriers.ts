// Carrier connections: added with their credentials (checked, then sealed), listed without them,
// checked on demand for what is wrong in plain words, deleted when no line uses them.
import type { CarrierAdapter } from '../carriers/carrier.ts';
import * as repo from '../store/lines-repository.ts';
import { newId } from '../store/ids.ts';
import type { CarrierConnection } from '../store/schema.ts';
import { CREDENTIAL_SCHEMAS, lineWebhooks } from './carrier-registry.ts';
import type { ServiceContext } from './context.ts';
import { AppError, conflict, notFound, type FieldError } from './errors.ts';

export interface CarrierView {
  id: string;
  kind: CarrierConnection['kind'];
  name: string;
  apiBaseUrl: string | null;
  /** Which credentials are stored (never their values). */
  credentialFields: string[];
  createdAt: string;
}

export interface CheckReport {
  ok: boolean;
  problems: string[];
  lines: Array<{ id: string; number: string; ok: boolean; problems: string[] }>;
}

const CARRIER_NAMES: Record<CarrierConnection['kind'], string> = { simulator: 'the simulator', twilio: 'Twilio', telnyx: 'Telnyx' };

function present(ctx: ServiceContext, c: CarrierConnection): CarrierView {
  return {
    id: c.id,
    kind: c.kind,
    name: c.name,
    apiBaseUrl: c.api_base_url,
    credentialFields: Object.keys(ctx.carriers.open(c)).sort(),
    createdAt: c.created_at,
  };
}

export async function listCarriers(ctx: ServiceContext, accountId: string): Promise<CarrierView[]> {
  return (await repo.listCarrierConnections(ctx.store.db, accountId)).map((c) => present(ctx, c));
}

async function loadConnection(ctx: ServiceContext, accountId: string, id: string): Promise<CarrierConnection> {
  const connection = await repo.findCarrierConnection(ctx.store.db, id);
  if (!connection || connection.account_id !== accountId) throw notFound(`carrier connection ${id}`);
  return connection;
}

export async function getCarrier(ctx: ServiceContext, accountId: string, id: string): Promise<CarrierView> {
  return present(ctx, await loadConnection(ctx, accountId, id));
}

export interface NewCarrierInput {
  kind: 'twilio' | 'telnyx';
  name?: string | undefined;
  apiBaseUrl?: string | undefined;
  credentials: Record<string, unknown>;
}

/** Validates the credentials' shape, asks the carrier whether they work, then stores them sealed. */
export async function createCarrier(ctx: ServiceContext, accountId: string, input: NewCarrierInput): Promise<CarrierView> {
  const parsed = CREDENTIAL_SCHEMAS[input.kind].safeParse(input.credentials);
  if (!parsed.success) {
    const fields: FieldError[] = parsed.error.issues.map((i) => ({
      field: i.code === 'unrecognized_keys' ? i.keys.join(', ') : i.path.join('.'),
      message: i.code === 'unrecognized_keys' ? 'is not a credential this carrier uses' : i.code === 'invalid_type' && i.input === undefined ? 'is required' : i.message,
    }));
    throw new AppError('validation_failed', fields.map((f) => `${f.field} ${f.message}`).join('; '), fields);
  }
  const credentials = parsed.data as Record<string, unknown>;
  const adapter = ctx.carriers.build(input.kind, credentials, input.apiBaseUrl ?? null);
  const check = await adapter.checkAccount();
  if (!check.ok) throw new AppError('unprocessable', `${CARRIER_NAMES[input.kind]} connection not added: ${check.problem}`);
  const row: CarrierConnection = {
    id: newId('cc'),
    account_id: accountId,
    kind: input.kind,
    name: input.name ?? (check.accountName ? `${CARRIER_NAMES[input.kind]}: ${check.accountName}` : CARRIER_NAMES[input.kind]),
    credentials: ctx.carriers.seal(credentials),
    api_base_url: input.apiBaseUrl ?? null,
    created_at: ctx.clock().toISOString(),
  };
  await repo.insertCarrierConnection(ctx.store.db, row);
  return present(ctx, row);
}

export async function deleteCarrier(ctx: ServiceContext, accountId: string, id: string): Promise<void> {
  const connection = await loadConnection(ctx, accountId, id);
  if (connection.kind === 'simulator') throw conflict('the built-in simulator cannot be removed');
  await ctx.store.transaction(async (tx) => {
    const lines = await repo.listLinesOfConnection(tx.db, id);
    if (lines.length > 0) {
      throw conflict(`the connection still serves ${lines.length} line(s) (${lines.map((l) => l.number).join(', ')}); move or delete them first`);
    }
    await repo.deleteCarrierConnection(tx.db, accountId, id);
  });
  ctx.carriers.forget(id);
}

/** What is wrong with a connection and its lines, in plain words (an empty list when nothing is). */
export async function checkCarrier(ctx: ServiceContext, accountId: string, id: string): Promise<CheckReport> {
  const connection = await loadConnection(ctx, accountId, id);
  const name = CARRIER_NAMES[connection.kind];
  const problems: string[] = [];
  if (connection.kind !== 'simulator' && !ctx.config.publicUrl) {
    problems.push(`RINGBACK_PUBLIC_URL is not set: ${name} cannot reach ${ctx.webhookBase()}; set it to this server's public https address`);
  }
  let adapter: CarrierAdapter;
  try {
    adapter = ctx.carriers.adapterFor(connection);
  } catch (err) {
    return { ok: false, problems: [...problems, `the stored credentials cannot be used: ${(err as Error).message}`], lines: [] };
  }
  const account = await adapter.checkAccount();
  if (!account.ok) problems.push(account.problem);

  const hooks = lineWebhooks(ctx.webhookBase(), connection);
  const lines: CheckReport['lines'] = [];
  for (const line of await repo.listLinesOfConnection(ctx.store.db, connection.id)) {
    const lineProblems: string[] = [];
    if (account.ok) {
      const seen = await adapter.inspectNumber(line.number);
      if (!seen.found) {
        lineProblems.push(`${line.number} is not a phone number on this ${name} account`);
      } else {
        if (line.mode !== 'events' && seen.voiceUrl !== undefined && seen.voiceUrl !== hooks.voice) {
          lineProblems.push(`calls to ${line.number} go to ${seen.voiceUrl || 'nowhere'}, not to Ringback (${hooks.voice})`);
        }
        if (seen.messagesUrl !== undefined && seen.messagesUrl !== hooks.messages) {
          lineProblems.push(`texts to ${line.number} go to ${seen.messagesUrl || 'nowhere'}, not to Ringback (${hooks.messages})`);
        }
      }
    }
    lines.push({ id: line.id, number: line.number, ok: lineProblems.length === 0, problems: lineProblems });
  }
  return { ok: problems.length === 0 && lines.every((l) => l.ok), problems, lines };
}
