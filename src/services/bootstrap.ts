// First start: the owner, their account and — when no carrier is configured — a demo line on the
// built-in simulator, so `npm start` is something you can try at once. Later starts apply the
// RINGBACK_ADMIN_* settings (for automation) and leave everything else alone.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_BUSINESS_HOURS, SCHEDULE_SLOTS, isValidTimeZone } from '../domain/schedule.ts';
import { DEFAULT_TEXT_BACK_TEMPLATES, measureText } from '../domain/templates.ts';
import * as accounts from '../store/accounts-repository.ts';
import { insertCarrierConnection, insertLine, upsertTemplate } from '../store/lines-repository.ts';
import { serializeOn } from '../store/dialect.ts';
import { newId } from '../store/ids.ts';
import type { Tx } from '../store/database.ts';
import { generateApiKey, generatePassword, hashApiKey, hashPassword, storeApiKey, verifyPassword } from './access.ts';
import type { ServiceContext } from './context.ts';
import { issueToken } from './sign-in.ts';

export const DEMO_LINE_NUMBER = '+15555550100';
/** The owner's (fictional) cell phone that the demo line rings. */
export const DEMO_OWNER_CELL = '+15555550199';

export interface BootstrapResult {
  created: boolean;
  owner: { accountId: string; userId: string; email: string };
  /** Shown once: only when generated on this start. */
  generatedPassword?: string;
  generatedApiKey?: string;
  demoLine?: string;
  /** First start only: signs the owner in once at /welcome?token=… (24 hours), to set their password. */
  welcomeToken?: string;
  /** A key the local CLI reads from the data dir to drive this server. */
  cliKey: string;
}

function systemTimeZone(): string {
  const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return tz && isValidTimeZone(tz) ? tz : 'America/New_York';
}

/**
 * A new business: the account, its owner's membership, the default text-back templates and the
 * built-in simulator connection (so lines can be tried before any carrier is added). Used by the
 * first start and by an owner adding another business.
 */
export async function provisionAccount(
  tx: Tx,
  ctx: ServiceContext,
  input: { accountId: string; name: string; timeZone: string; ownerUserId: string; now: string },
): Promise<{ connectionId: string }> {
  const { accountId, now } = input;
  await accounts.insertAccount(tx.db, {
    id: accountId,
    name: input.name,
    time_zone: input.timeZone,
    business_hours: JSON.stringify(DEFAULT_BUSINESS_HOURS),
    booking_url: null,
    help_contact: null,
    created_at: now,
    updated_at: now,
  });
  await accounts.insertMembership(tx.db, { id: newId('mem'), account_id: accountId, user_id: input.ownerUserId, role: 'owner', created_at: now });
  await seedTextBackTemplates(tx, accountId, now);
  const connectionId = newId('cc');
  await insertCarrierConnection(tx.db, {
    id: connectionId,
    account_id: accountId,
    kind: 'simulator',
    name: 'Built-in simulator',
    credentials: ctx.carriers.seal({ signingSecret: randomBytes(24).toString('base64url') }),
    api_base_url: null,
    created_at: now,
  });
  return { connectionId };
}

export async function seedTextBackTemplates(tx: Tx, accountId: string, now: string): Promise<void> {
  for (const slot of SCHEDULE_SLOTS) {
    const body = DEFAULT_TEXT_BACK_TEMPLATES[slot];
    const m = measureText(body);
    await upsertTemplate(tx.db, {
      id: newId('tpl'),
      account_id: accountId,
      scope: 'account',
      purpose: 'text_back',
      slot,
      body,
      encoding: m.encoding,
      segments: m.segments,
      updated_at: now,
    });
  }
}

export async function bootstrap(ctx: ServiceContext): Promise<BootstrapResult> {
  const { config } = ctx;
  const now = ctx.clock().toISOString();
  const result = await ctx.store.transaction(async (tx): Promise<Omit<BootstrapResult, 'cliKey'>> => {
    // Several processes starting together on an empty database: one creates the owner, the
    // others wait here and then find it.
    await serializeOn(tx.db, 'bootstrap');
    const existing = await accounts.findFirstOwner(tx.db);
    if (existing) {
      await applyAdminSettings(tx, existing, now, ctx);
      return { created: false, owner: existing };
    }
    const accountId = newId('acc');
    const userId = newId('usr');
    const email = config.adminEmail ?? 'owner@ringback.local';
    const password = config.adminPassword ?? generatePassword();
    await accounts.insertUser(tx.db, { id: userId, email, name: 'Owner', password_hash: hashPassword(password), created_at: now });
    const { connectionId } = await provisionAccount(tx, ctx, {
      accountId,
      name: config.demo ? 'Demo Plumbing' : 'My Business',
      timeZone: systemTimeZone(),
      ownerUserId: userId,
      now,
    });
    const apiKey = config.adminApiKey ?? generateApiKey();
    await storeApiKey(tx.db, { accountId, userId }, 'owner (first start)', apiKey, now);

    const welcomeToken = await issueToken(tx.db, 'welcome', { userId, accountId }, ctx.clock());
    let demoLine: string | undefined;
    if (config.demo) {
      await insertLine(tx.db, {
        id: newId('line'),
        account_id: accountId,
        carrier_connection_id: connectionId,
        number: DEMO_LINE_NUMBER,
        name: 'Demo line',
        mode: 'forward',
        ring_targets: JSON.stringify([DEMO_OWNER_CELL]),
        created_at: now,
        updated_at: now,
      });
      demoLine = DEMO_LINE_NUMBER;
    }
    return {
      created: true,
      owner: { accountId, userId, email },
      ...(config.adminPassword ? {} : { generatedPassword: password }),
      ...(config.adminApiKey ? {} : { generatedApiKey: apiKey }),
      ...(demoLine ? { demoLine } : {}),
      welcomeToken,
    };
  });
  const cliKey = await ensureCliKey(ctx, result.owner, now);
  return { ...result, cliKey };
}

async function applyAdminSettings(
  tx: Tx,
  owner: { accountId: string; userId: string; email: string },
  now: string,
  ctx: ServiceContext,
): Promise<void> {
  const { adminPassword, adminApiKey } = ctx.config;
  if (adminPassword) {
    const user = await accounts.findUserByEmail(tx.db, owner.email);
    if (user && !verifyPassword(adminPassword, user.password_hash)) {
      await accounts.updateUserPassword(tx.db, user.id, hashPassword(adminPassword));
    }
  }
  if (adminApiKey && !(await accounts.findActiveApiKeyByHash(tx.db, hashApiKey(adminApiKey)))) {
    await storeApiKey(tx.db, owner, 'owner (RINGBACK_ADMIN_API_KEY)', adminApiKey, now);
  }
}

/**
 * The CLI on this machine drives the running server with a key kept in the data dir (owner-only
 * permissions). Whoever can read the data dir can read the database anyway.
 */
async function ensureCliKey(ctx: ServiceContext, owner: { accountId: string; userId: string }, now: string): Promise<string> {
  const file = cliKeyFile(ctx.config.dataDir);
  if (existsSync(file)) {
    const key = readFileSync(file, 'utf8').trim();
    if (await accounts.findActiveApiKeyByHash(ctx.store.db, hashApiKey(key))) return key;
  }
  const key = generateApiKey();
  await storeApiKey(ctx.store.db, owner, 'local CLI', key, now);
  writeFileSync(file, key + '\n', { mode: 0o600 });
  chmodSync(file, 0o600);
  return key;
}

export function cliKeyFile(dataDir: string): string {
  return path.join(dataDir, 'cli-api-key');
}
