import { closeSync, openSync, statSync, unlinkSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** A lock older than this was left by a process that died while creating the CA. */
const STALE_MS = 30_000;

/**
 * Runs `create` while holding `lockFile` (created exclusively), so that several Gatehouses
 * starting at once on a fresh folder make one CA, not one each. A process that finds the lock
 * taken waits for it to go and then runs `existing` again, which now finds the winner's CA.
 */
export async function withCreateLock<T>(lockFile: string, existing: () => T | undefined, create: () => Promise<T>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = existing();
    if (found !== undefined) return found;
    let fd: number | undefined;
    try {
      fd = openSync(lockFile, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (fd !== undefined) {
      try {
        return existing() ?? (await create());
      } finally {
        closeSync(fd);
        unlinkSync(lockFile);
      }
    }
    if (stale(lockFile)) {
      try {
        unlinkSync(lockFile);
      } catch {
        /* another waiter removed it first */
      }
      continue;
    }
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${lockFile}`);
    await sleep(50);
  }
}

function stale(file: string): boolean {
  try {
    return Date.now() - statSync(file).mtimeMs > STALE_MS;
  } catch {
    return false;
  }
}
