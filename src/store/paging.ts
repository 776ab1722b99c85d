// Keyset paging for lists ordered newest first by (time, id): the id breaks ties, so rows that
// share a timestamp (carrier webhooks often carry whole seconds) are neither skipped nor repeated.
import { sql, type RawBuilder, type SqlBool } from 'kysely';

export interface PageCursor {
  /** ISO time of the last row on the previous page. */
  at: string;
  /** Its id; absent when a client pages by time alone ("older than this time"). */
  id?: string;
}

/** The condition "comes after `cursor` in (time desc, id desc) order". */
export function olderThan(timeColumn: string, idColumn: string, cursor: PageCursor): RawBuilder<SqlBool> {
  const time = sql.ref(timeColumn);
  if (cursor.id === undefined) return sql<SqlBool>`${time} < ${cursor.at}`;
  return sql<SqlBool>`(${time} < ${cursor.at} or (${time} = ${cursor.at} and ${sql.ref(idColumn)} < ${cursor.id}))`;
}

/** The opaque `next` token for a page's last row. */
export function encodeCursor(cursor: Required<PageCursor>): string {
  return Buffer.from(`${cursor.at}|${cursor.id}`, 'utf8').toString('base64url');
}

/** A `before` value: a token from `next`, or a plain ISO time. Null when it is neither. */
export function decodeCursor(value: string): PageCursor | null {
  if (!Number.isNaN(Date.parse(value)) && /^\d{4}-\d\d-\d\dT/.test(value)) return { at: new Date(value).toISOString() };
  if (!/^[A-Za-z0-9_-]+$/.test(value)) return null;
  const [at, id, ...rest] = Buffer.from(value, 'base64url').toString('utf8').split('|');
  if (rest.length > 0 || !at || !id || Number.isNaN(Date.parse(at)) || !/^[a-z]+_[A-Za-z0-9]+$/.test(id)) return null;
  return { at, id };
}
