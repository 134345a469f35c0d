import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { GatehouseError } from '../errors';

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

/**
 * A folder readable by this user only (0700 on POSIX; Windows ACLs are per-user already). A folder
 * Gatehouse creates gets that mode; an existing one is never chmodded (`--data-dir /tmp` must not
 * lock everyone else out of /tmp), and is refused when others may read or write it.
 */
export function ensurePrivateDir(dir: string): string {
  const notAFolder = () => new GatehouseError('DATA_DIR_NOT_A_FOLDER', `${dir} is not a folder.`, 'Give --data-dir a folder, or a new name for Gatehouse to create.');
  let created: string | undefined;
  try {
    created = mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    // A file where the folder (or one of its parents) should be.
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') throw notAFolder();
    throw err;
  }
  if (process.platform === 'win32') return dir;
  if (created !== undefined) {
    chmodSync(dir, 0o700); // the umask may have taken bits off the mode, never added
    return dir;
  }
  const stats = statSync(dir);
  if (!stats.isDirectory()) throw notAFolder();
  const loose = stats.mode & 0o077;
  if (loose !== 0 || (typeof process.getuid === 'function' && stats.uid !== process.getuid())) {
    throw new GatehouseError(
      'DATA_DIR_NOT_PRIVATE',
      `${dir} can be read or changed by other users (mode ${(stats.mode & 0o777).toString(8)}${stats.uid !== process.getuid?.() ? ', owned by someone else' : ''}), and Gatehouse keeps its keys and tokens there.`,
      `Make it private (chmod 700 ${dir}), or give --data-dir a new folder name and Gatehouse creates it privately.`,
    );
  }
  return dir;
}

export const dataPaths = (dataDir: string) => ({
  database: join(dataDir, 'gatehouse.db'),
  tlsDir: join(dataDir, 'tls'),
});
