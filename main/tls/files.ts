import { chmodSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { GatehouseError } from '../errors';

/** The certificate each mode serves, by file name in the data folder's tls/ (custom: the owner's own files). */
export const SERVED_CERTIFICATE = { 'local-ca': 'server.crt', tailscale: 'tailscale.crt', acme: 'acme.crt' } as const;

/** Writes via a temporary file and a rename, so a crash never leaves half a key on disk. */
export function writeFileAtomic(file: string, data: string, mode: number): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, data, { mode });
  if (process.platform !== 'win32') chmodSync(tmp, mode);
  renameSync(tmp, file);
}

export function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Encrypts secrets at rest with the OS's keystore (Electron's safeStorage in the tray app). Absent
 * in `gatehouse serve`, which keeps them as 0600 files.
 */
export interface SecretVault {
  seal(plain: string): Buffer;
  open(sealed: Buffer): string;
  /** Where the key lives, for Settings ("macOS Keychain", "Windows DPAPI", "libsecret"). */
  describe: string;
}

const SEALED = 'gatehouse-sealed:v1\n';

/** Writes a secret (a private key), sealed when a vault is given. */
export function writeSecret(file: string, plain: string, vault: SecretVault | undefined): void {
  writeFileAtomic(file, vault ? SEALED + vault.seal(plain).toString('base64') + '\n' : plain, 0o600);
}

/** Reads a secret written by `writeSecret`; a plain one is sealed on the way when a vault is given. */
export function readSecret(file: string, vault: SecretVault | undefined): string | undefined {
  const text = readIfExists(file);
  if (text === undefined) return undefined;
  if (!text.startsWith(SEALED)) {
    if (vault) writeSecret(file, text, vault);
    return text;
  }
  if (!vault) {
    throw new GatehouseError(
      'SECRET_SEALED',
      `${file} is encrypted with the desktop app's OS keystore, so this process cannot read it.`,
      'Run Gatehouse from the tray app on this computer, or give gatehouse serve its own folder with --data-dir.',
    );
  }
  return vault.open(Buffer.from(text.slice(SEALED.length).trim(), 'base64'));
}

const SEALED_TEXT = 'sealed:v1:';

export function isSealedText(stored: string): boolean {
  return stored.startsWith(SEALED_TEXT);
}

/** A short secret kept in the database (the TOTP secret), sealed when a vault is given. */
export function sealText(plain: string | null, vault: SecretVault | undefined): string | null {
  if (plain === null || !vault) return plain;
  return SEALED_TEXT + vault.seal(plain).toString('base64');
}

/** Reads a value written by `sealText`; a sealed one needs the vault that sealed it. */
export function openText(stored: string | null, vault: SecretVault | undefined): string | null {
  if (stored === null || !isSealedText(stored)) return stored;
  if (!vault) {
    throw new GatehouseError(
      'SECRET_SEALED',
      'The remote sign-in authenticator is encrypted with the desktop app\'s OS keystore, so this process cannot read it.',
      'Sign in remotely while the tray app runs, or turn remote sign-in off and on again from this process.',
    );
  }
  return vault.open(Buffer.from(stored.slice(SEALED_TEXT.length), 'base64'));
}
