// Lines (the business numbers Ringback serves): created on a carrier connection, pointed at
// Ringback's webhooks at the carrier in the same step (or shown the URLs to paste).
import { CarrierError } from '../carriers/carrier.ts';
import { normalizePhone } from '../domain/phone.ts';
import * as repo from '../store/lines-repository.ts';
import { newId } from '../store/ids.ts';
import type { CarrierConnection, Line, LineMode } from '../store/schema.ts';
import { lineWebhooks } from './carrier-registry.ts';
import type { ServiceContext } from './context.ts';
import { AppError, conflict, notFound } from './errors.ts';

export interface LineView {
  id: string;
  number: string;
  name: string;
  mode: LineMode;
  carrierId: string;
  carrierKind: CarrierConnection['kind'];
  ringTargets: string[];
  ringSeconds: number;
  screening: boolean;
  greeting: string | null;
  voicemail: boolean;
  messagingEnabled: boolean;
  paused: boolean;
  /** Where the carrier must send this number's calls and texts. */
  webhooks: { voice: string; voiceStatus: string; messages: string };
  createdAt: string;
}

export interface CarrierSetup {
  configured: boolean;
  /** Why Ringback did not configure the number itself, and what to paste where instead. */
  note?: string;
}

export function presentLine(ctx: ServiceContext, line: Line, connection: CarrierConnection): LineView {
  return {
    id: line.id,
    number: line.number,
    name: line.name,
    mode: line.mode,
    carrierId: connection.id,
    carrierKind: connection.kind,
    ringTargets: JSON.parse(line.ring_targets) as string[],
    ringSeconds: line.ring_seconds,
    screening: line.screening === 1,
    greeting: line.greeting,
    voicemail: line.voicemail === 1,
    messagingEnabled: line.messaging_enabled === 1,
    paused: line.paused === 1,
    webhooks: lineWebhooks(ctx.webhookBase(), connection),
    createdAt: line.created_at,
  };
}

export async function listAccountLines(ctx: ServiceContext, accountId: string): Promise<LineView[]> {
  const [lines, connections] = await Promise.all([
    repo.listLines(ctx.store.db, accountId),
    repo.listCarrierConnections(ctx.store.db, accountId),
  ]);
  const byId = new Map(connections.map((c) => [c.id, c]));
  return lines.map((l) => presentLine(ctx, l, byId.get(l.carrier_connection_id)!));
}

async function loadLine(ctx: ServiceContext, accountId: string, idOrNumber: string): Promise<{ line: Line; connection: CarrierConnection }> {
  const line = await repo.findAccountLine(ctx.store.db, accountId, idOrNumber);
  if (!line) throw notFound(`line ${idOrNumber}`);
  const connection = (await repo.findCarrierConnection(ctx.store.db, line.carrier_connection_id))!;
  return { line, connection };
}

export async function getAccountLine(ctx: ServiceContext, accountId: string, idOrNumber: string): Promise<LineView> {
  const { line, connection } = await loadLine(ctx, accountId, idOrNumber);
  return presentLine(ctx, line, connection);
}

export interface LineInput {
  number?: string;
  name?: string;
  mode?: LineMode;
  carrierId?: string;
  ringTargets?: string[];
  ringSeconds?: number;
  screening?: boolean;
  greeting?: string | null;
  voicemail?: boolean;
  messagingEnabled?: boolean;
  paused?: boolean;
}

async function resolveConnection(ctx: ServiceContext, accountId: string, carrierId: string | undefined): Promise<CarrierConnection> {
  const connections = await repo.listCarrierConnections(ctx.store.db, accountId);
  if (carrierId) {
    const found = connections.find((c) => c.id === carrierId);
    if (!found) throw new AppError('not_found', `carrier connection ${carrierId} was not found in this account`, [{ field: 'carrierId', message: 'no such carrier connection' }]);
    return found;
  }
  if (connections.length === 1) return connections[0]!;
  throw new AppError('validation_failed', 'carrierId is required when the account has more or fewer than one carrier connection', [
    { field: 'carrierId', message: 'is required' },
  ]);
}

/** Points the number at Ringback at the carrier (real carriers; the simulator is routed at start). */
async function setUpAtCarrier(ctx: ServiceContext, connection: CarrierConnection, line: Pick<Line, 'number' | 'mode'>, wanted: boolean): Promise<CarrierSetup> {
  const hooks = lineWebhooks(ctx.webhookBase(), connection);
  if (connection.kind === 'simulator') {
    await ctx.carriers.routeSimulatorLine(ctx.webhookBase(), connection, line as Line);
    return { configured: true };
  }
  if (!wanted) {
    return { configured: false, note: `set the number's voice URL to ${hooks.voice} (POST), its call status callback to ${hooks.voiceStatus} and its messaging URL to ${hooks.messages}` };
  }
  if (line.mode === 'events') {
    // The phone system keeps the calls; only texts come to Ringback.
    return { configured: false, note: `events mode: leave the number's voice settings to your phone system and set its messaging URL to ${hooks.messages}` };
  }
  try {
    await ctx.carriers.adapterFor(connection).configureNumber(line.number, hooks);
    return { configured: true };
  } catch (err) {
    if (err instanceof CarrierError) {
      throw new AppError('unprocessable', `could not set up ${line.number} at ${connection.kind}: ${err.message}`, [{ field: 'number', message: err.message }]);
    }
    throw err;
  }
}

export async function createLine(
  ctx: ServiceContext,
  accountId: string,
  input: LineInput & { number: string; mode: LineMode; configureCarrier?: boolean },
): Promise<{ line: LineView; carrierSetup: CarrierSetup }> {
  const connection = await resolveConnection(ctx, accountId, input.carrierId);
  const phone = normalizePhone(input.number, { allowFictional: connection.kind === 'simulator' });
  if (!phone.ok) throw new AppError('validation_failed', `number ${phone.reason}`, [{ field: 'number', message: phone.reason }]);
  if (await repo.findLineByNumber(ctx.store.db, phone.e164)) throw conflict(`${phone.e164} is already a line on this Ringback`);
  const now = ctx.clock().toISOString();
  const line: Line = {
    id: newId('line'),
    account_id: accountId,
    carrier_connection_id: connection.id,
    number: phone.e164,
    name: input.name ?? phone.e164,
    mode: input.mode,
    ring_targets: JSON.stringify(input.ringTargets ?? []),
    ring_seconds: input.ringSeconds ?? 18,
    screening: input.screening === false ? 0 : 1,
    messaging_enabled: input.messagingEnabled === false ? 0 : 1,
    paused: input.paused ? 1 : 0,
    greeting: input.greeting ?? null,
    voicemail: input.voicemail ? 1 : 0,
    created_at: now,
    updated_at: now,
  };
  // Set up at the carrier first: a number the carrier does not have is refused with nothing written.
  const carrierSetup = await setUpAtCarrier(ctx, connection, line, input.configureCarrier !== false);
  await ctx.store.transaction(async (tx) => {
    if (await repo.findLineByNumber(tx.db, phone.e164)) throw conflict(`${phone.e164} is already a line on this Ringback`);
    await repo.insertLine(tx.db, line);
  });
  return { line: presentLine(ctx, line, connection), carrierSetup };
}

export async function updateLineSettings(ctx: ServiceContext, accountId: string, idOrNumber: string, input: LineInput): Promise<LineView> {
  const { line } = await loadLine(ctx, accountId, idOrNumber);
  await repo.updateLine(ctx.store.db, accountId, line.id, {
    ...(input.name !== undefined ? { name: input.name } : {}),
    ...(input.mode !== undefined ? { mode: input.mode } : {}),
    ...(input.ringTargets !== undefined ? { ring_targets: JSON.stringify(input.ringTargets) } : {}),
    ...(input.ringSeconds !== undefined ? { ring_seconds: input.ringSeconds } : {}),
    ...(input.screening !== undefined ? { screening: input.screening ? 1 : 0 } : {}),
    ...(input.greeting !== undefined ? { greeting: input.greeting } : {}),
    ...(input.voicemail !== undefined ? { voicemail: input.voicemail ? 1 : 0 } : {}),
    ...(input.messagingEnabled !== undefined ? { messaging_enabled: input.messagingEnabled ? 1 : 0 } : {}),
    ...(input.paused !== undefined ? { paused: input.paused ? 1 : 0 } : {}),
    updated_at: ctx.clock().toISOString(),
  });
  return getAccountLine(ctx, accountId, line.id);
}

/**
 * Removes a line that nothing happened on (one added by mistake, or on the wrong connection). A
 * line with calls or conversations keeps them, so it stays: pause it or turn texting off instead.
 * The number is left as it is at the carrier.
 */
export async function removeLine(ctx: ServiceContext, accountId: string, idOrNumber: string): Promise<void> {
  await ctx.store.transaction(async (tx) => {
    const line = await repo.findAccountLine(tx.db, accountId, idOrNumber);
    if (!line) throw notFound(`line ${idOrNumber}`);
    await repo.lockLine(tx.db, line.id);
    const { calls, conversations } = await repo.countLineHistory(tx.db, line.id);
    if (calls > 0 || conversations > 0) {
      const history = [calls ? `${calls} call${calls === 1 ? '' : 's'}` : null, conversations ? `${conversations} conversation${conversations === 1 ? '' : 's'}` : null].filter(Boolean).join(' and ');
      throw conflict(`${line.number} has ${history}, which are kept, so the line cannot be removed; pause it or turn texting off instead`);
    }
    await repo.deleteLine(tx.db, accountId, line.id);
  });
}

/** Points the number at Ringback again (e.g. after someone changed it in the carrier's console). */
export async function configureLineAtCarrier(ctx: ServiceContext, accountId: string, idOrNumber: string): Promise<CarrierSetup> {
  const { line, connection } = await loadLine(ctx, accountId, idOrNumber);
  return setUpAtCarrier(ctx, connection, line, true);
}

/** Points every simulator number at this server's webhooks (run at start, once the address is known). */
export async function routeAllLines(ctx: ServiceContext): Promise<number> {
  const connections = await repo.listAllCarrierConnections(ctx.store.db);
  let routed = 0;
  for (const connection of connections.filter((c) => c.kind === 'simulator')) {
    for (const line of await repo.listLinesOfConnection(ctx.store.db, connection.id)) {
      await ctx.carriers.routeSimulatorLine(ctx.webhookBase(), connection, line);
      routed++;
    }
  }
  return routed;
}

