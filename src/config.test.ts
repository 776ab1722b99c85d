import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError, ConfigSchema, ENV_KEYS, loadConfig } from './config.ts';

test('defaults: port 3000, ./data, demo on, 24 h cooldown, 30 min send window', () => {
  const c = loadConfig({}, '/srv/app');
  assert.equal(c.port, 3000);
  assert.equal(c.dataDir, '/srv/app/data');
  assert.equal(c.demo, true);
  assert.equal(c.cooldownHours, 24);
  assert.equal(c.sendWindowMinutes, 30);
  assert.equal(c.publicUrl, undefined);
  assert.ok(Object.isFrozen(c));
});

const precedence: Array<{ name: string; env: Record<string, string>; port: number }> = [
  { name: 'PORT is honoured', env: { PORT: '8080' }, port: 8080 },
  { name: 'RINGBACK_PORT wins over PORT', env: { PORT: '8080', RINGBACK_PORT: '9090' }, port: 9090 },
  { name: 'empty values count as unset', env: { RINGBACK_PORT: '' }, port: 3000 },
];
for (const c of precedence) {
  test(c.name, () => assert.equal(loadConfig(c.env).port, c.port));
}

const invalid: Array<{ env: Record<string, string>; names: RegExp }> = [
  { env: { RINGBACK_PORT: 'abc' }, names: /RINGBACK_PORT .*"abc"/ },
  { env: { PORT: '70000' }, names: /PORT .*70000/ },
  { env: { RINGBACK_PUBLIC_URL: 'ftp://x' }, names: /RINGBACK_PUBLIC_URL must be an http\(s\) URL/ },
  { env: { RINGBACK_LOG_LEVEL: 'loud' }, names: /RINGBACK_LOG_LEVEL/ },
  { env: { RINGBACK_ADMIN_EMAIL: 'not-an-email' }, names: /RINGBACK_ADMIN_EMAIL must be an email address/ },
  { env: { RINGBACK_ADMIN_PASSWORD: 'short' }, names: /RINGBACK_ADMIN_PASSWORD must be at least 10 characters/ },
  { env: { RINGBACK_ADMIN_API_KEY: 'abc' }, names: /RINGBACK_ADMIN_API_KEY must look like rb_/ },
  { env: { RINGBACK_DEMO: 'maybe' }, names: /RINGBACK_DEMO/ },
  { env: { RINGBACK_COOLDOWN_HOURS: '-1' }, names: /RINGBACK_COOLDOWN_HOURS/ },
  { env: { RINGBACK_SEND_WINDOW_MINUTES: '0' }, names: /RINGBACK_SEND_WINDOW_MINUTES/ },
  { env: { RINGBACK_FAULT: 'explode' }, names: /RINGBACK_FAULT/ },
  { env: { RINGBACK_TRUST_PROXY: '10.0.0.1, proxy.local' }, names: /RINGBACK_TRUST_PROXY .*not an address: proxy\.local/ },
  { env: { RINGBACK_TRUST_PROXY: '10.0.0.0/33' }, names: /RINGBACK_TRUST_PROXY .*not an address: 10\.0\.0\.0\/33/ },
  { env: { RINGBACK_JOB_BACKOFF_BASE_MS: '1000', RINGBACK_JOB_BACKOFF_CAP_MS: '10' }, names: /RINGBACK_JOB_BACKOFF_CAP_MS must not be below/ },
];
for (const c of invalid) {
  test(`a bad value stops the start and names the variable: ${JSON.stringify(c.env)}`, () => {
    assert.throws(() => loadConfig(c.env), (err: unknown) => err instanceof ConfigError && c.names.test(err.message));
  });
}

test('several bad values are all reported at once', () => {
  assert.throws(
    () => loadConfig({ RINGBACK_PORT: 'x', RINGBACK_LOG_LEVEL: 'y' }),
    (err: unknown) => err instanceof ConfigError && /RINGBACK_PORT/.test(err.message) && /RINGBACK_LOG_LEVEL/.test(err.message),
  );
});

test('the config file sets values; environment variables win over it', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ringback-config-'));
  try {
    const file = path.join(dir, 'ringback.json');
    writeFileSync(file, JSON.stringify({ port: 4000, cooldownHours: 12, demo: false }));
    const fromFile = loadConfig({ RINGBACK_CONFIG: file });
    assert.deepEqual([fromFile.port, fromFile.cooldownHours, fromFile.demo, fromFile.configFile], [4000, 12, false, file]);
    assert.equal(loadConfig({ RINGBACK_CONFIG: file, RINGBACK_PORT: '5000' }).port, 5000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a config file with unknown keys, bad JSON or missing is refused with its path', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ringback-config-'));
  try {
    const unknown = path.join(dir, 'unknown.json');
    writeFileSync(unknown, JSON.stringify({ prot: 4000 }));
    assert.throws(() => loadConfig({ RINGBACK_CONFIG: unknown }), /unknown keys: prot/);
    const broken = path.join(dir, 'broken.json');
    writeFileSync(broken, '{ nope');
    assert.throws(() => loadConfig({ RINGBACK_CONFIG: broken }), (err: unknown) => err instanceof ConfigError && err.message.includes(broken));
    assert.throws(() => loadConfig({ RINGBACK_CONFIG: path.join(dir, 'missing.json') }), /could not be read/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('database: SQLite by default; DATABASE_URL or RINGBACK_DATABASE_URL selects Postgres, the latter winning', () => {
  assert.equal(loadConfig({}).databaseUrl, undefined);
  assert.equal(loadConfig({ ...PG, DATABASE_URL: 'postgres://a@h/db' }).databaseUrl, 'postgres://a@h/db');
  assert.equal(loadConfig({ ...PG, DATABASE_URL: 'postgres://a@h/db', RINGBACK_DATABASE_URL: 'postgresql://b@h/db2' }).databaseUrl, 'postgresql://b@h/db2');
  const c = loadConfig({ ...PG, DATABASE_URL: 'postgres://a@h/db', RINGBACK_DATABASE_POOL_SIZE: '3', RINGBACK_DATABASE_SSL: 'require' });
  assert.deepEqual([c.databasePoolSize, c.databaseSsl, c.databaseStatementTimeoutMs, c.role], [3, 'require', 15_000, 'all']);
});

const PG = { RINGBACK_SECRET_KEY: 'a'.repeat(64) };

const invalidDatabase: Array<{ env: Record<string, string>; names: RegExp }> = [
  // The URL holds a password: it is named, never echoed.
  { env: { DATABASE_URL: 'mysql://u:hunter2@h/db' }, names: /^(?![\s\S]*hunter2)[\s\S]*DATABASE_URL must be a postgres:\/\/ URL/ },
  { env: { RINGBACK_DATABASE_URL: 'nonsense' }, names: /RINGBACK_DATABASE_URL must be a postgres/ },
  { env: { RINGBACK_DATABASE_POOL_SIZE: '0' }, names: /RINGBACK_DATABASE_POOL_SIZE must be at least 1/ },
  { env: { RINGBACK_DATABASE_SSL: 'maybe' }, names: /RINGBACK_DATABASE_SSL must be one of off, require, verify/ },
  { env: { RINGBACK_ROLE: 'cook' }, names: /RINGBACK_ROLE must be one of all, web, worker/ },
  { env: { RINGBACK_ROLE: 'web' }, names: /RINGBACK_ROLE web needs PostgreSQL/ },
  { env: { RINGBACK_ROLE: 'worker' }, names: /RINGBACK_ROLE worker needs PostgreSQL/ },
  { env: { ...PG, DATABASE_URL: 'postgres://h/db', RINGBACK_DATABASE_SSL_CA: '/ca.pem' }, names: /RINGBACK_DATABASE_SSL_CA is only used with RINGBACK_DATABASE_SSL=verify/ },
  { env: { DATABASE_URL: 'postgres://h/db' }, names: /RINGBACK_SECRET_KEY must be set with PostgreSQL/ },
  { env: { ...PG, DATABASE_URL: 'postgres://h/db', RINGBACK_ROLE: 'worker' }, names: /RINGBACK_PUBLIC_URL must be set with RINGBACK_ROLE worker/ },
];
for (const c of invalidDatabase) {
  test(`database and role settings are checked: ${Object.keys(c.env).join(', ')}`, () => {
    assert.throws(() => loadConfig(c.env), (err: Error) => err instanceof ConfigError && c.names.test(err.message));
  });
}

test('web and worker roles are accepted on Postgres', () => {
  for (const role of ['web', 'worker', 'all'] as const) {
    assert.equal(loadConfig({ ...PG, DATABASE_URL: 'postgres://h/db', RINGBACK_PUBLIC_URL: 'https://rb.example.com', RINGBACK_ROLE: role }).role, role);
  }
});

const trustProxy: Array<{ value: string; expected: boolean | number | string[] }> = [
  { value: 'off', expected: false },
  { value: 'on', expected: true },
  { value: '2', expected: 2 },
  { value: '127.0.0.1', expected: ['127.0.0.1'] },
  { value: '10.0.0.0/8, ::1, fd00::/8', expected: ['10.0.0.0/8', '::1', 'fd00::/8'] },
];
for (const c of trustProxy) {
  test(`RINGBACK_TRUST_PROXY=${c.value}`, () => assert.deepEqual(loadConfig({ RINGBACK_TRUST_PROXY: c.value }).trustProxy, c.expected));
}
test('RINGBACK_TRUST_PROXY defaults to off', () => assert.equal(loadConfig({}).trustProxy, false));

// One README table and the env file are what operators read: a new setting that is missing from
// either is a setting nobody finds.
test('every setting is documented in the README table, the RINGBACK_CONFIG key list and deploy/.env.example', () => {
  const root = path.join(import.meta.dirname, '..');
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const envExample = readFileSync(path.join(root, 'deploy/.env.example'), 'utf8');
  const keyList = readme.split('\n').find((l) => l.startsWith('| `RINGBACK_CONFIG`')) ?? '';
  const missing: string[] = [];
  for (const [variable, key] of Object.entries(ENV_KEYS)) {
    if (!new RegExp(`^\\| \`(?:[A-Z_]+\` / \`)?${variable}\``, 'm').test(readme)) missing.push(`README table: ${variable}`);
    if (!new RegExp(`^# ${variable}=`, 'm').test(envExample)) missing.push(`deploy/.env.example: ${variable}`);
    if (!keyList.includes(`\`${key}\``)) missing.push(`README RINGBACK_CONFIG keys: ${key}`);
  }
  for (const key of Object.keys(ConfigSchema.shape)) if (!keyList.includes(`\`${key}\``)) missing.push(`README RINGBACK_CONFIG keys: ${key}`);
  assert.deepEqual([...new Set(missing)], []);
});
