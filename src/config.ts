// The one configuration object. Built once at start from RINGBACK_* environment variables and an
// optional JSON config file, validated, frozen. Nothing else in the program reads process.env.
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const FAULTS = ['kill-before-send', 'kill-after-send'] as const;
export const ROLES = ['all', 'web', 'worker'] as const;
export type Role = (typeof ROLES)[number];
const DATABASE_SSL = ['off', 'require', 'verify'] as const;

/**
 * Which proxies may tell us the client's address (X-Forwarded-For): off, on (any: only when
 * nothing can reach Ringback except through the proxy), a hop count, or addresses/CIDRs.
 */
const trustProxyField = z
  .string()
  .trim()
  .transform((v, c): boolean | number | string[] => {
    const lower = v.toLowerCase();
    if (['off', 'false', 'no', '0', ''].includes(lower)) return false;
    if (['on', 'true', 'yes'].includes(lower)) return true;
    if (/^[1-9]\d?$/.test(v)) return Number(v);
    const entries = v.split(',').map((e) => e.trim());
    const bad = entries.filter((e) => {
      const [address, bits, ...rest] = e.split('/');
      const family = isIP(address ?? '');
      if (family === 0 || rest.length > 0) return true;
      if (bits === undefined) return false;
      const n = Number(bits);
      return !/^\d{1,3}$/.test(bits) || n > (family === 4 ? 32 : 128);
    });
    if (bad.length > 0) {
      c.addIssue({ code: 'custom', message: `must be off, on, a hop count (1-99) or IP addresses/CIDRs separated by commas; not an address: ${bad.join(', ')}` });
      return z.NEVER;
    }
    return entries;
  });

const boolish = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])])
  .transform((v) => v === true || v === 'true' || v === '1' || v === 'yes' || v === 'on');

export const ConfigSchema = z.object({
  port: z.coerce.number().int().min(0).max(65535).default(3000),
  host: z.string().min(1).default('0.0.0.0'),
  dataDir: z.string().min(1).default('./data'),
  publicUrl: z
    .url({ protocol: /^https?$/, message: 'must be an http(s) URL such as https://ringback.example.com' })
    .transform((u) => u.replace(/\/+$/, ''))
    .optional(),
  logLevel: z.enum(LOG_LEVELS).default('info'),
  adminEmail: z.email({ message: 'must be an email address' }).optional(),
  adminPassword: z.string().min(10, 'must be at least 10 characters').optional(),
  adminApiKey: z
    .string()
    .regex(/^rb_[A-Za-z0-9_-]{20,}$/, 'must look like rb_ followed by at least 20 letters, digits, - or _')
    .optional(),
  demo: boolish.default(true),
  cooldownHours: z.coerce.number().min(0).max(24 * 30).default(24),
  sendWindowMinutes: z.coerce.number().min(1).max(24 * 60).default(30),
  jobConcurrency: z.coerce.number().int().min(1).max(256).default(16),
  jobMaxAttempts: z.coerce.number().int().min(1).max(100).default(8),
  jobBackoffBaseMs: z.coerce.number().int().min(1).default(500),
  jobBackoffCapMs: z.coerce.number().int().min(1).default(5 * 60_000),
  /** 32 bytes, base64 or hex: encrypts carrier credentials. Unset: generated into the data dir. */
  secretKey: z
    .string()
    .refine((v) => decodeSecretKey(v) !== null, 'must be 32 bytes, as 64 hex digits or base64 (e.g. openssl rand -base64 32)')
    .optional(),
  /** Unset: embedded SQLite in dataDir. postgres://…: PostgreSQL, for several processes. */
  databaseUrl: z
    .string()
    .regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres:// URL such as postgres://ringback:secret@db.example.com:5432/ringback')
    .optional(),
  databasePoolSize: z.coerce.number().int().min(1).max(200).default(10),
  databaseStatementTimeoutMs: z.coerce.number().int().min(0).max(10 * 60_000).default(15_000),
  /** off: plain TCP; require: TLS without checking the certificate; verify: TLS with a checked certificate. */
  databaseSsl: z.enum(DATABASE_SSL).default('off'),
  /** PEM file of the CA that signed the database's certificate (with databaseSsl=verify). */
  databaseSslCa: z.string().min(1).optional(),
  /**
   * Postgres: a worker whose heartbeat is older than this is presumed dead and its jobs go to
   * the others. Heartbeats go every quarter of it.
   */
  jobDeadWorkerMs: z.coerce.number().int().min(2_000).max(10 * 60_000).default(20_000),
  /** web: HTTP only; worker: jobs only; all: both (the only choice on SQLite). */
  role: z.enum(ROLES).default('all'),
  /** How long SIGTERM waits for requests and jobs in flight before exiting anyway. */
  shutdownTimeoutMs: z.coerce.number().int().min(0).max(10 * 60_000).default(25_000),
  /** Outgoing mail for owner alerts: smtp://user:pass@host:587 or smtps://…:465. Unset: no email alerts. */
  smtpUrl: z
    .string()
    .regex(/^smtps?:\/\/\S+$/, 'must be an smtp:// or smtps:// URL such as smtps://alerts%40example.com:secret@smtp.example.com:465')
    .optional(),
  /** The From address of alert emails. */
  mailFrom: z.string().min(3).default('Ringback <ringback@localhost>'),
  /** How often processes that run jobs look for due follow-ups, reminders and held alerts. */
  schedulerIntervalMs: z.coerce.number().int().min(100).max(10 * 60_000).default(5_000),
  /** How long an outgoing webhook may take to answer before the attempt counts as failed. */
  webhookTimeoutMs: z.coerce.number().int().min(100).max(60_000).default(10_000),
  /** Attempts per outgoing webhook delivery before it is marked failed. */
  webhookMaxAttempts: z.coerce.number().int().min(1).max(50).default(12),
  /** Behind a reverse proxy: which proxies' X-Forwarded-For to believe for the client address. */
  trustProxy: z.preprocess((v) => (typeof v === 'boolean' ? String(v) : v), trustProxyField).default(false),
  /** Test-only crash points for the fault-injection suites; never set in production. */
  fault: z.enum(FAULTS).optional(),
});

export type Config = Readonly<z.infer<typeof ConfigSchema> & { configFile: string | undefined }>;

/** Environment variable → config key. RINGBACK_PORT wins over PORT. */
export const ENV_KEYS: Record<string, keyof z.input<typeof ConfigSchema>> = {
  RINGBACK_PORT: 'port',
  RINGBACK_HOST: 'host',
  RINGBACK_DATA_DIR: 'dataDir',
  RINGBACK_PUBLIC_URL: 'publicUrl',
  RINGBACK_LOG_LEVEL: 'logLevel',
  RINGBACK_ADMIN_EMAIL: 'adminEmail',
  RINGBACK_ADMIN_PASSWORD: 'adminPassword',
  RINGBACK_ADMIN_API_KEY: 'adminApiKey',
  RINGBACK_DEMO: 'demo',
  RINGBACK_COOLDOWN_HOURS: 'cooldownHours',
  RINGBACK_SEND_WINDOW_MINUTES: 'sendWindowMinutes',
  RINGBACK_JOB_CONCURRENCY: 'jobConcurrency',
  RINGBACK_JOB_MAX_ATTEMPTS: 'jobMaxAttempts',
  RINGBACK_JOB_BACKOFF_BASE_MS: 'jobBackoffBaseMs',
  RINGBACK_JOB_BACKOFF_CAP_MS: 'jobBackoffCapMs',
  RINGBACK_SECRET_KEY: 'secretKey',
  RINGBACK_FAULT: 'fault',
  RINGBACK_DATABASE_URL: 'databaseUrl',
  RINGBACK_DATABASE_POOL_SIZE: 'databasePoolSize',
  RINGBACK_DATABASE_STATEMENT_TIMEOUT_MS: 'databaseStatementTimeoutMs',
  RINGBACK_DATABASE_SSL: 'databaseSsl',
  RINGBACK_DATABASE_SSL_CA: 'databaseSslCa',
  RINGBACK_ROLE: 'role',
  RINGBACK_JOB_DEAD_WORKER_MS: 'jobDeadWorkerMs',
  RINGBACK_SHUTDOWN_TIMEOUT_MS: 'shutdownTimeoutMs',
  RINGBACK_SMTP_URL: 'smtpUrl',
  RINGBACK_MAIL_FROM: 'mailFrom',
  RINGBACK_SCHEDULER_INTERVAL_MS: 'schedulerIntervalMs',
  RINGBACK_WEBHOOK_TIMEOUT_MS: 'webhookTimeoutMs',
  RINGBACK_WEBHOOK_MAX_ATTEMPTS: 'webhookMaxAttempts',
  RINGBACK_TRUST_PROXY: 'trustProxy',
};

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Never echoed back in error messages. */
const SECRET_KEYS = new Set(['adminPassword', 'adminApiKey', 'secretKey', 'databaseUrl', 'smtpUrl']);

/** A 32-byte key from 64 hex digits or base64; null when it is neither. */
export function decodeSecretKey(value: string): Buffer | null {
  const text = value.trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) {
    const bytes = Buffer.from(text, 'base64');
    if (bytes.length === 32) return bytes;
  }
  return null;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type') return `must be a ${issue.expected}`;
  if (issue.code === 'invalid_value') return `must be one of ${issue.values.join(', ')}`;
  if (issue.code === 'invalid_union') return 'must be true or false';
  if (issue.code === 'too_small' && issue.origin === 'number') return `must be at least ${String(issue.minimum)}`;
  if (issue.code === 'too_big' && issue.origin === 'number') return `must be at most ${String(issue.maximum)}`;
  return issue.message;
}

function variableFor(key: string): string {
  const env = Object.entries(ENV_KEYS).find(([, k]) => k === key)?.[0];
  return env ?? key;
}

/**
 * Builds the config. Precedence: RINGBACK_* variables, then PORT, then the config file
 * (RINGBACK_CONFIG, JSON with the camelCase keys), then defaults.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>>, cwd = process.cwd()): Config {
  const configFile = env.RINGBACK_CONFIG ? path.resolve(cwd, env.RINGBACK_CONFIG) : undefined;
  let fromFile: Record<string, unknown> = {};
  if (configFile) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(configFile, 'utf8'));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new Error('the file must hold one JSON object');
      }
      fromFile = parsed as Record<string, unknown>;
    } catch (err) {
      throw new ConfigError(`RINGBACK_CONFIG (${configFile}) could not be read: ${(err as Error).message}`);
    }
    const known = new Set<string>(Object.values(ENV_KEYS));
    const unknown = Object.keys(fromFile).filter((k) => !known.has(k));
    if (unknown.length > 0) {
      throw new ConfigError(`RINGBACK_CONFIG (${configFile}) has unknown keys: ${unknown.join(', ')}`);
    }
  }

  const raw: Record<string, unknown> = { ...fromFile };
  if (env.PORT !== undefined && env.PORT !== '') raw.port = env.PORT;
  // The conventional name, as hosting platforms set it; RINGBACK_DATABASE_URL wins.
  if (env.DATABASE_URL !== undefined && env.DATABASE_URL !== '') raw.databaseUrl = env.DATABASE_URL;
  for (const [name, key] of Object.entries(ENV_KEYS)) {
    const value = env[name];
    if (value !== undefined && value !== '') raw[key] = value;
  }

  const result = ConfigSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '');
      const name =
        key === 'port' && env.RINGBACK_PORT === undefined && env.PORT !== undefined
          ? 'PORT'
          : key === 'databaseUrl' && !env.RINGBACK_DATABASE_URL && env.DATABASE_URL
            ? 'DATABASE_URL'
            : variableFor(key);
      const shown = SECRET_KEYS.has(key) ? '' : ` (got ${JSON.stringify(raw[key])})`;
      return `${name} ${describeIssue(issue)}${shown}`;
    });
    throw new ConfigError(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
  const value = result.data;
  if (value.jobBackoffCapMs < value.jobBackoffBaseMs) {
    throw new ConfigError('Invalid configuration:\n  - RINGBACK_JOB_BACKOFF_CAP_MS must not be below RINGBACK_JOB_BACKOFF_BASE_MS');
  }
  if (value.role !== 'all' && !value.databaseUrl) {
    throw new ConfigError(
      `Invalid configuration:\n  - RINGBACK_ROLE ${value.role} needs PostgreSQL (set DATABASE_URL): the embedded SQLite database serves one process, which must be --role all`,
    );
  }
  if (value.databaseUrl && !value.secretKey) {
    // Each process would generate its own key into its own data dir, and a worker could not
    // open the carrier credentials a web process sealed.
    throw new ConfigError(
      'Invalid configuration:\n  - RINGBACK_SECRET_KEY must be set with PostgreSQL, the same on every process (e.g. openssl rand -base64 32)',
    );
  }
  if (value.role !== 'all' && !value.publicUrl) {
    throw new ConfigError(
      `Invalid configuration:\n  - RINGBACK_PUBLIC_URL must be set with RINGBACK_ROLE ${value.role}: carriers (and the simulator) must reach the web processes, not this one`,
    );
  }
  if (value.databaseSslCa && value.databaseSsl !== 'verify') {
    throw new ConfigError('Invalid configuration:\n  - RINGBACK_DATABASE_SSL_CA is only used with RINGBACK_DATABASE_SSL=verify');
  }
  return Object.freeze({ ...value, dataDir: path.resolve(cwd, value.dataDir), configFile });
}

