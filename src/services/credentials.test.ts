import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CredentialsError, decryptCredentials, encryptCredentials, loadSecretKey, secretKeyFile } from './credentials.ts';

test('credentials round-trip and the stored text does not contain them', () => {
  const key = randomBytes(32);
  const stored = encryptCredentials(key, { accountSid: 'AC0123', authToken: 'supersecrettoken' });
  assert.match(stored, /^v1:/);
  assert.ok(!stored.includes('supersecrettoken'));
  assert.deepEqual(decryptCredentials(key, stored), { accountSid: 'AC0123', authToken: 'supersecrettoken' });
  assert.notEqual(encryptCredentials(key, { a: 1 }), encryptCredentials(key, { a: 1 }), 'a fresh IV every time');
});

test('a wrong key, a tampered ciphertext or an unknown format is refused with a clear error', () => {
  const key = randomBytes(32);
  const stored = encryptCredentials(key, { authToken: 'x' });
  assert.throws(() => decryptCredentials(randomBytes(32), stored), CredentialsError);
  const bytes = Buffer.from(stored.slice(3), 'base64');
  bytes[bytes.length - 1]! ^= 1;
  assert.throws(() => decryptCredentials(key, `v1:${bytes.toString('base64')}`), /cannot be decrypted/);
  assert.throws(() => decryptCredentials(key, '{"authToken":"x"}'), /not in a known format/);
});

test('without RINGBACK_SECRET_KEY the key is generated once into the data dir, owner-only', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'ringback-key-'));
  try {
    const first = loadSecretKey({ dataDir: dir, secretKey: undefined });
    assert.equal(first.length, 32);
    assert.equal(statSync(secretKeyFile(dir)).mode & 0o077, 0);
    assert.deepEqual(loadSecretKey({ dataDir: dir, secretKey: undefined }), first);
    assert.ok(readFileSync(secretKeyFile(dir), 'utf8').trim().length > 0);
    const configured = randomBytes(32);
    assert.deepEqual(loadSecretKey({ dataDir: dir, secretKey: configured.toString('hex') }), configured);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
