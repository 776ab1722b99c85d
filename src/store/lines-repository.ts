import { lockForUpdate } from './dialect.ts';
import type { Insertable, Updateable } from 'kysely';
import type { Db } from './database.ts';
import type { CarrierConnection, CarrierConnectionsTable, Line, LinesTable, Template, TemplatesTable } from './schema.ts';

export async function insertCarrierConnection(db: Db, row: Insertable<CarrierConnectionsTable>): Promise<void> {
  await db.insertInto('carrier_connections').values(row).execute();
}

export async function findCarrierConnection(db: Db, id: string): Promise<CarrierConnection | undefined> {
  return db.selectFrom('carrier_connections').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listCarrierConnections(db: Db, accountId: string): Promise<CarrierConnection[]> {
  return db.selectFrom('carrier_connections').selectAll().where('account_id', '=', accountId).orderBy('created_at').execute();
}

export async function listAllCarrierConnections(db: Db): Promise<CarrierConnection[]> {
  return db.selectFrom('carrier_connections').selectAll().execute();
}

export async function insertLine(db: Db, row: Insertable<LinesTable>): Promise<void> {
  await db.insertInto('lines').values(row).execute();
}

export async function updateLine(db: Db, accountId: string, id: string, patch: Updateable<LinesTable>): Promise<void> {
  await db.updateTable('lines').set(patch).where('account_id', '=', accountId).where('id', '=', id).execute();
}

export async function findLineByNumber(db: Db, number: string): Promise<Line | undefined> {
  return db.selectFrom('lines').selectAll().where('number', '=', number).executeTakeFirst();
}

export async function findAccountLine(db: Db, accountId: string, idOrNumber: string): Promise<Line | undefined> {
  return db
    .selectFrom('lines')
    .selectAll()
    .where('account_id', '=', accountId)
    .where((eb) => eb.or([eb('id', '=', idOrNumber), eb('number', '=', idOrNumber)]))
    .executeTakeFirst();
}

export async function listLines(db: Db, accountId: string): Promise<Line[]> {
  return db.selectFrom('lines').selectAll().where('account_id', '=', accountId).orderBy('created_at').execute();
}

export async function listLinesOfConnection(db: Db, connectionId: string): Promise<Line[]> {
  return db.selectFrom('lines').selectAll().where('carrier_connection_id', '=', connectionId).execute();
}

export async function upsertTemplate(db: Db, row: Insertable<TemplatesTable>): Promise<void> {
  await db
    .insertInto('templates')
    .values(row)
    .onConflict((oc) =>
      oc.columns(['account_id', 'scope', 'purpose', 'slot']).doUpdateSet({
        body: row.body,
        encoding: row.encoding,
        segments: row.segments,
        updated_at: row.updated_at,
      }),
    )
    .execute();
}

export async function deleteTemplate(db: Db, accountId: string, scope: string, slot: string): Promise<boolean> {
  const result = await db
    .deleteFrom('templates')
    .where('account_id', '=', accountId)
    .where('scope', '=', scope)
    .where('slot', '=', slot as Template['slot'])
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function listTemplates(db: Db, accountId: string): Promise<Template[]> {
  return db.selectFrom('templates').selectAll().where('account_id', '=', accountId).orderBy('scope').orderBy('slot').execute();
}

/** The line's own template for the slot if it has one, else the account's. */
export async function findTextBackTemplate(
  db: Db,
  accountId: string,
  lineId: string,
  slot: Template['slot'],
): Promise<Template | undefined> {
  const rows = await db
    .selectFrom('templates')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('purpose', '=', 'text_back')
    .where('slot', '=', slot)
    .where('scope', 'in', [lineId, 'account'])
    .execute();
  return rows.find((r) => r.scope === lineId) ?? rows.find((r) => r.scope === 'account');
}

export async function deleteCarrierConnection(db: Db, accountId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom('carrier_connections').where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/**
 * Holds the line until the transaction ends (Postgres): a call or conversation being written for
 * it waits, then fails its foreign key, instead of being deleted with the line unseen.
 */
export async function lockLine(db: Db, lineId: string): Promise<void> {
  await lockForUpdate(db, db.selectFrom('lines').select('id').where('id', '=', lineId)).execute();
}

/** How much happened on a line: its calls and conversations (history that is kept). */
export async function countLineHistory(db: Db, lineId: string): Promise<{ calls: number; conversations: number }> {
  const [calls, conversations] = await Promise.all([
    db.selectFrom('calls').select((eb) => eb.fn.countAll<number | string>().as('n')).where('line_id', '=', lineId).executeTakeFirstOrThrow(),
    db.selectFrom('conversations').select((eb) => eb.fn.countAll<number | string>().as('n')).where('line_id', '=', lineId).executeTakeFirstOrThrow(),
  ]);
  return { calls: Number(calls.n), conversations: Number(conversations.n) };
}

/** Deletes a line and its own templates (their scope is the line's id, not a foreign key). */
export async function deleteLine(db: Db, accountId: string, lineId: string): Promise<void> {
  await db.deleteFrom('templates').where('account_id', '=', accountId).where('scope', '=', lineId).execute();
  await db.deleteFrom('lines').where('account_id', '=', accountId).where('id', '=', lineId).execute();
}
