// Lines (the business numbers Ringback serves) and the carrier connections they use.
import { normalizePhone } from '../domain/phone.ts';
import * as repo from '../store/lines-repository.ts';
import { newId } from '../store/ids.ts';
import type { CarrierConnection, Line, LineMode } from '../store/schema.ts';
import { lineWebhookUrl } from './carrier-registry.ts';
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
  messagingEnabled: boolean;
  paused: boolean;
  webhooks: { voice: string; voiceResult: string; messages: string; status: string };
  createdAt: string;
}

export function presentLine(ctx: ServiceContext, line: Line, connection: CarrierConnection): LineView {
  const base = ctx.webhookBase();
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
    messagingEnabled: line.messaging_enabled === 1,
    paused: line.paused === 1,
    webhooks: {
      voice: lineWebhookUrl(base, connection, 'voice'),
      voiceResult: lineWebhookUrl(base, connection, 'voice/result'),
      messages: lineWebhookUrl(base, connection, 'messages'),
      status: lineWebhookUrl(base, connection, 'status'),
    },
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

export async function getAccountLine(ctx: ServiceContext, accountId: string, idOrNumber: string): Promise<LineView> {
  const line = await repo.findAccountLine(ctx.store.db, accountId, idOrNumber);
  if (!line) throw notFound(`line ${idOrNumber}`);
  const connection = (await repo.findCarrierConnection(ctx.store.db, line.carrier_connection_id))!;
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

export async function createLine(ctx: ServiceContext, accountId: string, input: LineInput & { number: string; mode: LineMode }): Promise<LineView> {
  const connection = await resolveConnection(ctx, accountId, input.carrierId);
  const phone = normalizePhone(input.number, { allowFictional: connection.kind === 'simulator' });
  if (!phone.ok) throw new AppError('validation_failed', `number ${phone.reason}`, [{ field: 'number', message: phone.reason }]);
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
    created_at: now,
    updated_at: now,
  };
  await ctx.store.transaction(async (tx) => {
    if (await repo.findLineByNumber(tx.db, phone.e164)) throw conflict(`${phone.e164} is already a line on this Ringback`);
    await repo.insertLine(tx.db, line);
  });
  ctx.carriers.routeLine(ctx.webhookBase(), connection, line);
  return presentLine(ctx, line, connection);
}

export async function updateLineSettings(ctx: ServiceContext, accountId: string, idOrNumber: string, input: LineInput): Promise<LineView> {
  const line = await repo.findAccountLine(ctx.store.db, accountId, idOrNumber);
  if (!line) throw notFound(`line ${idOrNumber}`);
  await repo.updateLine(ctx.store.db, accountId, line.id, {
    ...(input.name !== undefined ? { name: input.name } : {}),
    ...(input.mode !== undefined ? { mode: input.mode } : {}),
    ...(input.ringTargets !== undefined ? { ring_targets: JSON.stringify(input.ringTargets) } : {}),
    ...(input.ringSeconds !== undefined ? { ring_seconds: input.ringSeconds } : {}),
    ...(input.screening !== undefined ? { screening: input.screening ? 1 : 0 } : {}),
    ...(input.messagingEnabled !== undefined ? { messaging_enabled: input.messagingEnabled ? 1 : 0 } : {}),
    ...(input.paused !== undefined ? { paused: input.paused ? 1 : 0 } : {}),
    updated_at: ctx.clock().toISOString(),
  });
  return getAccountLine(ctx, accountId, line.id);
}

export interface CarrierView {
  id: string;
  kind: CarrierConnection['kind'];
  name: string;
  createdAt: string;
}

export async function listCarriers(ctx: ServiceContext, accountId: string): Promise<CarrierView[]> {
  const rows = await repo.listCarrierConnections(ctx.store.db, accountId);
  return rows.map((c) => ({ id: c.id, kind: c.kind, name: c.name, createdAt: c.created_at }));
}

/** Points every simulator number at this server's webhooks (run at start, once the address is known). */
export async function routeAllLines(ctx: ServiceContext): Promise<number> {
  const connections = await repo.listAllCarrierConnections(ctx.store.db);
  let routed = 0;
  for (const connection of connections) {
    for (const line of await repo.listLinesOfConnection(ctx.store.db, connection.id)) {
      ctx.carriers.routeLine(ctx.webhookBase(), connection, line);
      routed++;
    }
  }
  return routed;
}
