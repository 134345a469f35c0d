import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { readSecret, writeSecret, type SecretVault } from '../tls/files';

/** A 256-bit key for signing session cookies, made on first use and kept in the data folder (0600). */
export function loadSigningKey(dataDir: string, fileName: string, vault?: SecretVault): Uint8Array {
  const file = join(dataDir, fileName);
  const existing = readSecret(file, vault)?.trim();
  if (existing && /^[0-9a-f]{64}$/.test(existing)) return Buffer.from(existing, 'hex');
  const key = randomBytes(32);
  writeSecret(file, key.toString('hex'), vault);
  return key;
}
