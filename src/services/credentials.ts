// Carrier credentials are encrypted at rest with AES-256-GCM. The key comes from
// RINGBACK_SECRET_KEY, or — embedded mode — is generated once into the data dir, owner-only.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { decodeSecretKey, type Config } from '../config.ts';

const VERSION = 'v1';

export class CredentialsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CredentialsError';
  }
}

export function secretKeyFile(dataDir: string): string {
  return path.join(dataDir, 'secret.key');
}

/** The key from config, else the data dir's key file (created when missing). */
export function loadSecretKey(config: Pick<Config, 'secretKey' | 'dataDir'>): Buffer {
  if (config.secretKey) return decodeSecretKey(config.secretKey)!;
  const file = secretKeyFile(config.dataDir);
  if (existsSync(file)) {
    const key = decodeSecretKey(readFileSync(file, 'utf8'));
    if (!key) throw new CredentialsError(`${file} does not hold a 32-byte key; restore it from a backup or set RINGBACK_SECRET_KEY`);
    return key;
  }
  const key = randomBytes(32);
  writeFileSync(file, key.toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return key;
}

export function encryptCredentials(key: Buffer, value: Record<string, unknown>): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ciphertext = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
  return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64')}`;
}

export function decryptCredentials(key: Buffer, stored: string): Record<string, unknown> {
  if (!stored.startsWith(`${VERSION}:`)) throw new CredentialsError('stored credentials are not in a known format');
  const raw = Buffer.from(stored.slice(VERSION.length + 1), 'base64');
  if (raw.length < 29) throw new CredentialsError('stored credentials are truncated');
  const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  try {
    const plain = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
    return JSON.parse(plain) as Record<string, unknown>;
  } catch {
    throw new CredentialsError('stored credentials cannot be decrypted with this secret key (was RINGBACK_SECRET_KEY or data/secret.key changed?)');
  }
}
