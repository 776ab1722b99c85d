// The simulator's API for people: virtual phones call and text this account's simulator lines
// and read what they received. Everything then reaches Ringback through the line's webhooks.
import type { CallOutcomeChoice } from '../carriers/simulator/network.ts';
import { SimulatorError } from '../carriers/simulator/network.ts';
import { findAccountLine, findCarrierConnection } from '../store/lines-repository.ts';
import type { Line } from '../store/schema.ts';
import type { ServiceContext } from './context.ts';
import { AppError } from './errors.ts';
import { listLines } from '../store/lines-repository.ts';

/** `field`: the request field that named the line, for the error. */
async function simulatorLine(ctx: ServiceContext, accountId: string, number: string, field: 'to' | 'line' = 'to'): Promise<Line> {
  const line = await findAccountLine(ctx.store.db, accountId, number);
  if (!line) throw new AppError('not_found', `${number} is not a line in this account`, [{ field, message: 'no such line in this account' }]);
  const connection = await findCarrierConnection(ctx.store.db, line.carrier_connection_id);
  if (connection?.kind !== 'simulator') {
    throw new AppError('conflict', `line ${line.number} is on ${connection?.kind ?? 'an unknown carrier'}, not the simulator`, [
      { field, message: 'must be a line on the built-in simulator' },
    ]);
  }
  return line;
}

function mapSimulatorError(err: unknown): never {
  if (err instanceof SimulatorError && err.code === 'unknown_number') {
    throw new AppError('conflict', `the simulator has no route for that number yet: ${err.message}`);
  }
  throw err;
}

export async function simulateCall(
  ctx: ServiceContext,
  accountId: string,
  input: { from: string; to: string; outcome: CallOutcomeChoice; afterSeconds?: number },
): Promise<{ callId: string }> {
  const line = await simulatorLine(ctx, accountId, input.to);
  try {
    const { callId, done } = ctx.carriers.simulator.placeCall({ ...input, to: line.number });
    done.catch((err: unknown) => ctx.logger.error({ err, callId }, 'simulated call failed'));
    return { callId };
  } catch (err) {
    mapSimulatorError(err);
  }
}

/** Someone at the business calls a virtual phone back from the line; the network reports how it went. */
export async function simulateOutboundCall(
  ctx: ServiceContext,
  accountId: string,
  input: { line: string; to: string; answered: boolean },
): Promise<{ callId: string }> {
  const line = await simulatorLine(ctx, accountId, input.line, 'line');
  try {
    const { callId, done } = ctx.carriers.simulator.placeOutboundCall({ from: line.number, to: input.to, result: input.answered ? 'answered' : 'no-answer' });
    done.catch((err: unknown) => ctx.logger.error({ err, callId }, 'simulated outbound call failed'));
    return { callId };
  } catch (err) {
    mapSimulatorError(err);
  }
}

export async function simulateText(ctx: ServiceContext, accountId: string, input: { from: string; to: string; body: string }): Promise<{ messageId: string }> {
  const line = await simulatorLine(ctx, accountId, input.to);
  try {
    const { messageId, done } = ctx.carriers.simulator.sendText({ ...input, to: line.number });
    done.catch((err: unknown) => ctx.logger.error({ err, messageId }, 'simulated text failed'));
    return { messageId };
  } catch (err) {
    mapSimulatorError(err);
  }
}

/** What a virtual phone received from this account's lines. */
export async function phoneInbox(ctx: ServiceContext, accountId: string, number: string) {
  const lines = new Set((await listLines(ctx.store.db, accountId)).map((l) => l.number));
  return ctx.carriers.simulator
    .phoneMessages(number)
    .filter((m) => lines.has(m.from))
    .map((m) => ({ id: m.id, from: m.from, to: m.to, body: m.body, receivedAt: m.receivedAt }));
}
