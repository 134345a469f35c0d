import { isLoopback } from '../config/cidr';
import { GatehouseError } from '../errors';
import type { Platform } from './install';

export interface LaunchCommand {
  command: string;
  args: string[];
  env: Record<string, string | undefined>;
}

export function isLoopbackUpstream(upstream: string): boolean {
  try {
    return isLoopback(new URL(upstream).hostname);
  } catch {
    return false;
  }
}

/** The `host:port` Ollama must bind, from the upstream URL; only loopback upstreams can be supervised. */
export function loopbackBind(upstream: string): string {
  const url = new URL(upstream);
  if (!isLoopback(url.hostname)) {
    throw new GatehouseError(
      'UPSTREAM_NOT_LOCAL',
      `The upstream ${upstream} is not on this computer, so Gatehouse cannot start or watch over it.`,
      'Point the upstream at http://127.0.0.1:11434 to let Gatehouse run Ollama, or start it yourself (gatehouse serve --no-supervise).',
    );
  }
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return `${url.hostname === 'localhost' ? '127.0.0.1' : url.hostname}:${port}`;
}

/**
 * `ollama serve` bound to loopback only. The parent's environment is kept (models folder, GPU
 * settings), but anything that would widen what the server accepts is removed: a user-wide
 * `OLLAMA_HOST=0.0.0.0` must not leak into the child we start to be the gated one.
 */
export function serveCommand(binary: string, upstream: string, parentEnv: Record<string, string | undefined>): LaunchCommand {
  const env: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries(parentEnv)) {
    if (/^OLLAMA_(HOST|ORIGINS)$/i.test(key)) continue;
    env[key] = value;
  }
  env.OLLAMA_HOST = loopbackBind(upstream);
  return { command: binary, args: ['serve'], env };
}

/** How to start the Ollama desktop app in the background; null where there is none to start. */
export function appLaunchCommand(platform: Platform, app: string | null): Omit<LaunchCommand, 'env'> | null {
  if (!app) return null;
  if (platform === 'darwin') return { command: 'open', args: ['-g', '-a', app] };
  if (platform === 'win32') return { command: app, args: [] };
  return null;
}

/**
 * Windows has no SIGTERM for console programs: taskkill without /F asks politely (and reaches the
 * whole tree with /T); with /F it ends them. POSIX children run in their own process group, so a
 * signal to -pid also reaches the model runners `ollama serve` starts.
 */
export function stopCommand(platform: Platform, pid: number, force: boolean): Omit<LaunchCommand, 'env'> | { signal: NodeJS.Signals; pid: number } {
  if (platform === 'win32') return { command: 'taskkill', args: ['/pid', String(pid), '/T', ...(force ? ['/F'] : [])] };
  return { signal: force ? 'SIGKILL' : 'SIGTERM', pid: -pid };
}

export interface BackoffPolicy {
  /** First wait after a crash. */
  initialMs: number;
  /** Waits double up to this. */
  maxMs: number;
  /** A child that stayed healthy this long has its failure count forgotten. */
  healthyResetMs: number;
  /** After this many failures in a row, stop trying and say so. */
  maxFailures: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 1000, maxMs: 30_000, healthyResetMs: 60_000, maxFailures: 8 };

/** The wait before restart number `failures` (1-based), or null when it is time to give up. */
export function restartDelay(policy: BackoffPolicy, failures: number): number | null {
  if (failures >= policy.maxFailures) return null;
  return Math.min(policy.maxMs, policy.initialMs * 2 ** Math.max(0, failures - 1));
}
