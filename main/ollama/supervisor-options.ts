import { existsSync } from 'node:fs';
import type { Logger } from '../log';
import { lanAddresses } from '../tls/addresses';
import { currentPlatform, detectInstall, type OllamaInstall, type Platform } from './install';
import { DEFAULT_BACKOFF, type BackoffPolicy } from './launch';
import { listProcesses, systemServiceActive, type ProcessInfo } from './processes';

export interface SupervisorOptions {
  upstream: () => string;
  /** false only watches (`--no-supervise`): reports and checks exposure, never starts or stops. */
  manage?: boolean;
  platform?: Platform;
  env?: Record<string, string | undefined>;
  detect?: () => OllamaInstall;
  processes?: () => Promise<ProcessInfo[]>;
  serviceActive?: () => Promise<boolean>;
  /** The addresses the exposure check probes (tests use loopback stand-ins). */
  lanAddresses?: () => string[];
  backoff?: BackoffPolicy;
  healthIntervalMs?: number;
  exposureIntervalMs?: number;
  /** How long a server we started (or the app we opened) may take to answer. */
  startTimeoutMs?: number;
  stopGraceMs?: number;
  log?: Logger;
  clock?: () => number;
}

/** The options with every default filled in: what the supervisor runs on. */
export type ResolvedOptions = Required<Omit<SupervisorOptions, 'log' | 'env'>> & { env: Record<string, string | undefined> };

/** The real computer's probes and the default timings, wherever a test did not substitute its own. */
export function resolveOptions(options: SupervisorOptions): ResolvedOptions {
  const platform = options.platform ?? currentPlatform();
  const env = options.env ?? process.env;
  return {
    upstream: options.upstream,
    manage: options.manage ?? true,
    platform,
    env,
    detect: options.detect ?? (() => detectInstall({ platform, env, exists: existsSync })),
    processes: options.processes ?? (() => listProcesses(platform)),
    serviceActive: options.serviceActive ?? (() => systemServiceActive(platform)),
    lanAddresses: options.lanAddresses ?? (() => lanAddresses()),
    backoff: options.backoff ?? DEFAULT_BACKOFF,
    healthIntervalMs: options.healthIntervalMs ?? 2000,
    exposureIntervalMs: options.exposureIntervalMs ?? 60_000,
    startTimeoutMs: options.startTimeoutMs ?? 30_000,
    stopGraceMs: options.stopGraceMs ?? 5000,
    clock: options.clock ?? Date.now,
  };
}
