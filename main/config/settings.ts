import { isIP } from 'node:net';
import { z } from 'zod';
import type { Settings } from '../../preload/types';
import { dnsProviderName, domainName, emailAddress, httpsUrl } from '../../preload/certificate-rules';
import { DEFAULT_REGISTRIES, parseRegistryList } from '../auth/registries';
import { parseArgument } from '../errors';
import { formatCidrList, parseCidrList } from './cidr';

export type { Settings } from '../../preload/types';

export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({
  host: '0.0.0.0',
  port: 11443,
  upstream: 'http://127.0.0.1:11434',
  tlsMode: 'local-ca',
  tlsCertFile: '',
  tlsKeyFile: '',
  acmeDomain: '',
  acmeEmail: '',
  acmeDns: '',
  acmeDirectory: 'https://acme-v02.api.letsencrypt.org/directory',
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
  adminAllowList: '127.0.0.0/8, ::1/128, 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7, fe80::/10, 100.64.0.0/10',
  registryAllowList: DEFAULT_REGISTRIES,
  adminIdleMinutes: 30,
  adminSessionHours: 12,
  // Ollama's own default OLLAMA_NUM_PARALLEL is 1 to 4 by memory; 4 keeps a big GPU busy.
  upstreamSlots: 4,
  queueTimeoutSeconds: 300,
  batchMaxWaitSeconds: 120,
  webappUpstream: '',
  webappPort: 11444,
  webappTrustedHeader: 'off',
});

export type SettingKey = keyof Settings;

const shown = (v: unknown) => JSON.stringify(v);

/** true/false, also as the CLI and the environment spell them (on, 1, off, 0). */
const bool = (key: string) =>
  z.preprocess(
    (v) => (v === 'true' || v === '1' || v === 'on' ? true : v === 'false' || v === '0' || v === 'off' ? false : v),
    z.boolean({ error: (issue) => `${key} must be true or false, not ${shown(issue.input)}.` }),
  );

/** A whole number in a range, also given as digits in a string. */
const intIn = (key: string, min: number, max: number) => {
  const error = (issue: { input?: unknown }) => `${key} must be a whole number from ${min} to ${max}, not ${shown(issue.input)}.`;
  return z.preprocess((v) => (typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v), z.number({ error }).int({ error }).min(min, { error }).max(max, { error }));
};

const filePath = (key: string) => z.string({ error: `${key} must be a file path.` });

/** A check whose rules live in a parser of their own (address ranges, registry names), as a schema. */
const parsedBy = <T>(parse: (v: unknown) => T) =>
  z.unknown().transform((v, ctx) => {
    try {
      return parse(v);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  });

const hostSchema = z.unknown().refine((v): v is string => typeof v === 'string' && (isIP(v) !== 0 || v === 'localhost'), {
  error: (issue) => `The bind address must be an IP address such as 0.0.0.0 (all interfaces) or 127.0.0.1 (this computer only), not ${shown(issue.input)}.`,
});

const upstreamSchema = z.unknown().transform((v, ctx) => {
  const fail = (message: string) => {
    ctx.addIssue({ code: 'custom', message });
    return z.NEVER;
  };
  let url: URL;
  try {
    url = new URL(String(v));
  } catch {
    return fail(`The upstream must be a URL such as http://127.0.0.1:11434, not ${shown(v)}.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return fail(`The upstream must start with http:// or https://, not ${url.protocol}//.`);
  if (url.username || url.password || url.search || url.hash) return fail('The upstream URL must not carry a user name, password, query or fragment.');
  if (url.pathname !== '/') return fail(`The upstream is where Ollama listens, without a path: ${url.protocol}//${url.host}, not ${shown(v)}.`);
  // The port says which program: require it, as written (URL drops :80 and :443).
  if (!url.port && !new RegExp(`^${url.protocol}//[^/]*:\\d+/?$`, 'i').test(String(v).trim())) return fail(`The upstream needs its port, such as ${url.protocol}//${url.hostname}:11434.`);
  return `${url.protocol}//${url.host}`;
});

const REGISTRY_HOST = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/;
const registryList = z.unknown().transform((v, ctx) => {
  const hosts = typeof v === 'string' ? parseRegistryList(v) : null;
  const bad = hosts?.find((h) => isIP(h) !== 0 || !REGISTRY_HOST.test(h));
  if (!hosts || bad !== undefined || hosts.length > 32) {
    ctx.addIssue({ code: 'custom', message: `registryAllowList must be registry host names separated by commas, such as ${DEFAULT_REGISTRIES}${bad ? `; "${bad.slice(0, 60)}" is not one` : ''}.` });
    return z.NEVER;
  }
  return hosts.join(', ');
});

/**
 * Every setting's schema: what is accepted, with coercion for the strings the CLI, the environment
 * and the store hand over, and a message that says what is accepted. Checked against `Settings`,
 * so a setting cannot be added without its schema.
 */
export const SETTING_SCHEMAS = {
  host: hostSchema,
  // 0 asks the OS for a free port (scripts and tests); serve prints the one it got.
  port: intIn('port', 0, 65535),
  upstream: upstreamSchema,
  tlsMode: z.enum(['local-ca', 'custom', 'tailscale', 'acme'], { error: (issue) => `tlsMode must be "local-ca", "tailscale", "acme" or "custom", not ${shown(issue.input)}.` }),
  acmeDomain: z.union([z.literal(''), domainName('acmeDomain')]),
  acmeEmail: z.union([z.literal(''), emailAddress('acmeEmail')]),
  acmeDns: z.union([z.literal(''), dnsProviderName]),
  acmeDirectory: httpsUrl('acmeDirectory'),
  tlsCertFile: filePath('tlsCertFile'),
  tlsKeyFile: filePath('tlsKeyFile'),
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
  adminAllowList: parsedBy((v) => formatCidrList(parseCidrList(v))),
  registryAllowList: registryList,
  adminIdleMinutes: intIn('adminIdleMinutes', 1, 24 * 60),
  adminSessionHours: intIn('adminSessionHours', 1, 24 * 30),
  upstreamSlots: intIn('upstreamSlots', 0, 256),
  queueTimeoutSeconds: intIn('queueTimeoutSeconds', 1, 3600),
  batchMaxWaitSeconds: intIn('batchMaxWaitSeconds', 1, 3600),
  // Empty: no web app. Else where it listens, as the upstream is written (http://127.0.0.1:3000).
  webappUpstream: z.unknown().transform((v, ctx) => {
    if (v === '' || v === 'off') return '';
    const parsed = upstreamSchema.safeParse(v);
    if (parsed.success) return parsed.data;
    ctx.addIssue({ code: 'custom', message: `webappUpstream must be the web app's address, such as http://127.0.0.1:3000 (or empty for none): ${parsed.error.issues[0]?.message.replace(/^The upstream/, 'it') ?? ''}` });
    return z.NEVER;
  }),
  webappPort: intIn('webappPort', 0, 65535),
  webappTrustedHeader: z.enum(['off', 'email', 'name'], { error: (issue) => `webappTrustedHeader must be off, email or name, not ${shown(issue.input)}.` }),
} satisfies { [K in SettingKey]: z.ZodType<Settings[K], unknown> };

export function isSettingKey(key: string): key is SettingKey {
  return Object.hasOwn(SETTING_SCHEMAS, key);
}

/** Validates one value; throws a UsageError that says what is accepted. */
export function parseSetting<K extends SettingKey>(key: K, value: unknown): Settings[K] {
  return parseArgument(SETTING_SCHEMAS[key] as z.ZodType<Settings[K], unknown>, value);
}

export const parseHost = (value: unknown): string => parseSetting('host', value);
export const parseUpstream = (value: unknown): string => parseSetting('upstream', value);

/** Runtime overrides from the environment (GATEHOUSE_HOST, _PORT, _UPSTREAM); never persisted. */
export function envOverrides(env: NodeJS.ProcessEnv = process.env): Partial<Settings> {
  const out: Partial<Settings> = {};
  if (env.GATEHOUSE_HOST) out.host = parseHost(env.GATEHOUSE_HOST);
  if (env.GATEHOUSE_PORT) out.port = parseSetting('port', env.GATEHOUSE_PORT);
  if (env.GATEHOUSE_UPSTREAM) out.upstream = parseUpstream(env.GATEHOUSE_UPSTREAM);
  return out;
}
