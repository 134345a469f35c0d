import { chmodSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const APP_DIR_NAME = 'Gatehouse';

/**
 * The per-user folder Electron's `app.getPath('userData')` would pick for an app named Gatehouse,
 * so that the tray app and `gatehouse serve` share one store on the same machine.
 */
export function defaultDataDir(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
  home: string = homedir(),
): string {
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', APP_DIR_NAME);
  if (platform === 'win32') return join(env.APPDATA || join(home, 'AppData', 'Roaming'), APP_DIR_NAME);
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), APP_DIR_NAME);
}

/** `--data-dir`, else `GATEHOUSE_DATA_DIR`, else the OS's per-user app-data folder. */
export function resolveDataDir(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  return flag || env.GATEHOUSE_DATA_DIR || defaultDataDir(process.platform, env);
}

/** Creates a folder readable by this user only (0700 on POSIX; Windows ACLs are per-user already). */
export function ensurePrivateDir(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (process.platform !== 'win32') chmodSync(dir, 0o700);
  return dir;
}

export const dataPaths = (dataDir: string) => ({
  database: join(dataDir, 'gatehouse.db'),
  tlsDir: join(dataDir, 'tls'),
});
