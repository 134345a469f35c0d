import { isIP } from 'node:net';
import { UsageError } from '../errors';
import { DEFAULT_REGISTRIES, parseRegistryList } from '../auth/registries';
import { formatCidrList, parseCidrList } from './cidr';

/** Everything a user can change, with safe defaults. Stored in SQLite, one row a key. */
export interface Settings {
  /** Address the gateway binds. All interfaces by default: sharing with teammates is the point. */
  host: string;
  port: number;
  /** Where Ollama listens. Gatehouse keeps it on loopback and is the only door to it. */
  upstream: string;
  /** 'local-ca': a certificate from Gatehouse's own CA; 'custom': the files below. */
  tlsMode: 'local-ca' | 'custom';
  tlsCertFile: string;
  tlsKeyFile: string;
  /** Let requests from this computer through without a token. Off: loopback is not trusted. */
  trustLoopback: boolean;
  /** While paused, only this computer may use the gateway. */
  paused: boolean;
  bodyLimitMiB: number;
  /** Limits given to new tokens unless set when creating them; 0 means none. */
  defaultRpm: number;
  defaultConcurrency: number;
  /** Invalid tokens from one address within the window that lock it out, and for how long. */
  lockoutThreshold: number;
  lockoutWindowSeconds: number;
  lockoutSeconds: number;
  /** Record every request (tokens, latency) for usage reports and metrics; off keeps only audit and security logs. */
  usageMetering: boolean;
  /** How long metering keeps per-request rows, hourly aggregates and security events. */
  retentionRequestDays: number;
  retentionAggregateDays: number;
  retentionSecurityDays: number;
  /** Dashboard sign-in from other computers (password + TOTP). Turned on only by enrolling. */
  remoteAdmin: boolean;
  /** Addresses (CIDR ranges, comma-separated) that may even try to sign in remotely. */
  adminAllowList: string;
  /** Registry hosts (comma-separated) that pulls, pushes and creates may name. */
  registryAllowList: string;
  /** Dashboard sessions end after this long unused, and after this long in all. */
  adminIdleMinutes: number;
  adminSessionHours: number;
}

export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({
  host: '0.0.0.0',
  port: 11443,
  upstream: 'http://127.0.0.1:11434',
  tlsMode: 'local-ca',
  tlsCertFile: '',
  tlsKeyFile: '',
  trustLoopback: false,
  paused: false,
  bodyLimitMiB: 32,
  defaultRpm: 0,
  defaultConcurrency: 0,
  lockoutThreshold: 10,
  lockoutWindowSeconds: 60,
  lockoutSeconds: 300,
  usageMetering: true,
  retentionRequestDays: 30,
  retentionAggregateDays: 400,
  retentionSecurityDays: 90,
  remoteAdmin: false,
  adminAllowList: '127.0.0.0/8, ::1/128, 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7, fe80::/10',
  registryAllowList: DEFAULT_REGISTRIES,
  adminIdleMinutes: 30,
  adminSessionHours: 12,
});

export type SettingKey = keyof Settings;

type Parser<T> = (value: unknown) => T;

const bool =
  (key: string): Parser<boolean> =>
  (v) => {
    if (typeof v === 'boolean') return v;
    if (v === 'true' || v === '1' || v === 'on') return true;
    if (v === 'false' || v === '0' || v === 'off') return false;
    throw new UsageError(`${key} must be true or false, not ${JSON.stringify(v)}.`);
  };

const intIn =
  (key: string, min: number, max: number): Parser<number> =>
  (v) => {
    const n = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v;
    if (typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max) return n;
    throw new UsageError(`${key} must be a whole number from ${min} to ${max}, not ${JSON.stringify(v)}.`);
  };

const path =
  (key: string): Parser<string> =>
  (v) => {
    if (typeof v === 'string') return v;
    throw new UsageError(`${key} must be a file path.`);
  };

export function parseHost(v: unknown): string {
  if (typeof v === 'string' && (isIP(v) !== 0 || v === 'localhost')) return v;
  throw new UsageError(
    `The bind address must be an IP address such as 0.0.0.0 (all interfaces) or 127.0.0.1 (this computer only), not ${JSON.stringify(v)}.`,
  );
}

export function parseUpstream(v: unknown): string {
  let url: URL;
  try {
    url = new URL(String(v));
  } catch {
    throw new UsageError(`The upstream must be a URL such as http://127.0.0.1:11434, not ${JSON.stringify(v)}.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`The upstream must start with http:// or https://, not ${url.protocol}//.`);
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new UsageError('The upstream URL must not carry a user name, password, query or fragment.');
  }
  if (url.pathname !== '/') {
    throw new UsageError(`The upstream is where Ollama listens, without a path: ${url.protocol}//${url.host}, not ${JSON.stringify(v)}.`);
  }
  // The port says which program: require it, as written (URL drops :80 and :443).
  if (!url.port && !new RegExp(`^${url.protocol}//[^/]*:\\d+/?$`, 'i').test(String(v).trim())) {
    throw new UsageError(`The upstream needs its port, such as ${url.protocol}//${url.hostname}:11434.`);
  }
  return `${url.protocol}//${url.host}`;
}

const PARSERS: { [K in SettingKey]: Parser<Settings[K]> } = {
  host: parseHost,
  // 0 asks the OS for a free port (scripts and tests); serve prints the one it got.
  port: intIn('port', 0, 65535),
  upstream: parseUpstream,
  tlsMode: (v) => {
    if (v === 'local-ca' || v === 'custom') return v;
    throw new UsageError(`tlsMode must be "local-ca" or "custom", not ${JSON.stringify(v)}.`);
  },
  tlsCertFile: path('tlsCertFile'),
  tlsKeyFile: path('tlsKeyFile'),
  trustLoopback: bool('trustLoopback'),
  paused: bool('paused'),
  bodyLimitMiB: intIn('bodyLimitMiB', 1, 4096),
  defaultRpm: intIn('defaultRpm', 0, 1_000_000),
  defaultConcurrency: intIn('defaultConcurrency', 0, 10_000),
  lockoutThreshold: intIn('lockoutThreshold', 1, 10_000),
  lockoutWindowSeconds: intIn('lockoutWindowSeconds', 1, 86_400),
  lockoutSeconds: intIn('lockoutSeconds', 1, 86_400),
  usageMetering: bool('usageMetering'),
  retentionRequestDays: intIn('retentionRequestDays', 1, 3650),
  retentionAggregateDays: intIn('retentionAggregateDays', 1, 3650),
  retentionSecurityDays: intIn('retentionSecurityDays', 1, 3650),
  remoteAdmin: bool('remoteAdmin'),
  adminAllowList: (v) => formatCidrList(parseCidrList(v)),
  registryAllowList: (v) => {
    const hosts = typeof v === 'string' ? parseRegistryList(v) : null;
    const bad = hosts?.find((h) => isIP(h) !== 0 || !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/.test(h));
    if (!hosts || bad !== undefined || hosts.length > 32) {
      throw new UsageError(`registryAllowList must be registry host names separated by commas, such as ${DEFAULT_REGISTRIES}${bad ? `; "${bad.slice(0, 60)}" is not one` : ''}.`);
    }
    return hosts.join(', ');
  },
  adminIdleMinutes: intIn('adminIdleMinutes', 1, 24 * 60),
  adminSessionHours: intIn('adminSessionHours', 1, 24 * 30),
};

export function isSettingKey(key: string): key is SettingKey {
  return Object.hasOwn(PARSERS, key);
}

/** Validates one value; throws a UsageError that says what is accepted. */
export function parseSetting<K extends SettingKey>(key: K, value: unknown): Settings[K] {
  return PARSERS[key](value);
}

/** Runtime overrides from the environment (GATEHOUSE_HOST, _PORT, _UPSTREAM); never persisted. */
export function envOverrides(env: NodeJS.ProcessEnv = process.env): Partial<Settings> {
  const out: Partial<Settings> = {};
  if (env.GATEHOUSE_HOST) out.host = parseHost(env.GATEHOUSE_HOST);
  if (env.GATEHOUSE_PORT) out.port = parseSetting('port', env.GATEHOUSE_PORT);
  if (env.GATEHOUSE_UPSTREAM) out.upstream = parseUpstream(env.GATEHOUSE_UPSTREAM);
  return out;
}
