// Who may call the API: owners and their API keys. Keys are random, shown once, stored as a
// SHA-256 hash (they are long random secrets, so a fast hash is enough); passwords use scrypt.
import { createHash, randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';
import * as accounts from '../store/accounts-repository.ts';
import type { Db } from '../store/database.ts';
import { newId } from '../store/ids.ts';
import type { ServiceContext } from './context.ts';
import { AppError, notFound } from './errors.ts';

export interface Principal {
  accountId: string;
  userId: string;
  /** The API key the request came with; null when it came with a browser session. */
  apiKeyId: string | null;
  /** The browser session (services/sessions.ts) the request came with. */
  sessionId?: string | null;
}

export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

const KEY_PREFIX = 'rb_';

export function generateApiKey(): string {
  return KEY_PREFIX + randomBytes(24).toString('base64url');
}

export function generatePassword(): string {
  return randomBytes(12).toString('base64url');
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password, salt, 32, { N: 16384, r: 8, p: 1 });
  return `scrypt$16384$8$1$${salt.toString('base64')}$${hash.toString('base64')}`;
}

export function verifyPassword(password: string, stored: string): boolean {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = scryptSync(password, Buffer.from(salt, 'base64'), expected.length, { N: Number(n), r: Number(r), p: Number(p) });
  return timingSafeEqual(expected, actual);
}

export async function storeApiKey(db: Db, owner: { accountId: string; userId: string }, name: string, key: string, now: string): Promise<ApiKeyView> {
  const row = {
    id: newId('key'),
    account_id: owner.accountId,
    user_id: owner.userId,
    name,
    prefix: key.slice(0, 10),
    key_hash: hashApiKey(key),
    created_at: now,
    last_used_at: null,
    revoked_at: null,
  };
  await accounts.insertApiKey(db, row);
  return presentKey(row);
}

function presentKey(row: { id: string; name: string; prefix: string; created_at: string; last_used_at: string | null; revoked_at: string | null }): ApiKeyView {
  return { id: row.id, name: row.name, prefix: row.prefix, createdAt: row.created_at, lastUsedAt: row.last_used_at, revokedAt: row.revoked_at };
}

export async function createApiKey(ctx: ServiceContext, owner: { accountId: string; userId: string }, name: string): Promise<{ key: string; view: ApiKeyView }> {
  const key = generateApiKey();
  const view = await storeApiKey(ctx.store.db, owner, name, key, ctx.clock().toISOString());
  return { key, view };
}

export async function listApiKeys(ctx: ServiceContext, accountId: string): Promise<ApiKeyView[]> {
  return (await accounts.listApiKeys(ctx.store.db, accountId)).map(presentKey);
}

export async function revokeApiKey(ctx: ServiceContext, principal: Principal, idOrPrefix: string): Promise<void> {
  const keys = await accounts.listApiKeys(ctx.store.db, principal.accountId);
  const key = keys.find((k) => k.id === idOrPrefix || k.prefix === idOrPrefix);
  if (!key) throw notFound(`API key ${idOrPrefix}`);
  if (key.id === principal.apiKeyId) {
    throw new AppError('conflict', 'a key cannot revoke itself; use another key (or the CLI) to revoke this one');
  }
  if (key.revoked_at) throw new AppError('conflict', `API key ${key.id} was already revoked at ${key.revoked_at}`);
  await accounts.revokeApiKey(ctx.store.db, principal.accountId, key.id, ctx.clock().toISOString());
}

const TOUCH_INTERVAL_MS = 60_000;

export class Authenticator {
  readonly #ctx: ServiceContext;
  readonly #touched = new Map<string, number>();
  constructor(ctx: ServiceContext) {
    this.#ctx = ctx;
  }

  /** Resolves an `Authorization` header to a principal, or throws 401 with the reason. */
  async authenticate(header: string | undefined): Promise<Principal> {
    if (!header) throw new AppError('unauthorized', 'missing Authorization header; send "Authorization: Bearer <API key>"');
    const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
    if (!match) throw new AppError('unauthorized', 'the Authorization header must be "Bearer <API key>"');
    const row = await accounts.findActiveApiKeyByHash(this.#ctx.store.db, hashApiKey(match[1]!));
    if (!row) throw new AppError('unauthorized', 'the API key is not valid or has been revoked');
    const now = this.#ctx.clock().getTime();
    // last_used_at is informative; writing it on every request would put a write on the hot path.
    if (now - (this.#touched.get(row.id) ?? 0) > TOUCH_INTERVAL_MS) {
      this.#touched.set(row.id, now);
      await accounts.touchApiKey(this.#ctx.store.db, row.id, new Date(now).toISOString());
    }
    return { accountId: row.account_id, userId: row.user_id, apiKeyId: row.id };
  }
}
