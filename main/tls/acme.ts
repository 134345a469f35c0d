import { AsyncLocalStorage } from 'node:async_hooks';
import { Agent } from 'node:https';
import { join } from 'node:path';
import * as acme from 'acme-client';
import { getAdapter } from 'axios';
import { ensurePrivateDir } from '../config/paths';
import { GatehouseError } from '../errors';
import { DNS_PROVIDERS, type DnsProvider, type DnsProviderFactory } from './acme-dns';
import type { CertificatePair } from './certificates';
import { readIfExists, readSecret, SERVED_CERTIFICATE, writeFileAtomic, writeSecret, type SecretVault } from './files';

export const LETS_ENCRYPT = acme.directory.letsencrypt.production;

/** What the owner asks for: a certificate for `domain`, proved through their DNS provider. */
export interface AcmeRequest {
  domain: string;
  email: string;
  dns: string;
  /** The provider's API token; absent, the one kept from last time. */
  dnsToken?: string;
  directory: string;
}

export interface AcmeIssuerOptions {
  tlsDir: string;
  vault?: SecretVault;
  providers?: Readonly<Record<string, DnsProviderFactory>>;
  /** Trust for the ACME server's own HTTPS (tests: pebble's); else the system's. */
  trust?: string;
  /**
   * Whether the TXT record can be seen yet. By default acme-client's check (the system's resolver,
   * then the zone's authoritative servers), so the authority is asked only once it will find it.
   */
  recordVisible?: (fqdn: string, value: string) => Promise<boolean>;
  /** How long a new record may take to appear (Cloudflare: seconds; some providers: minutes). */
  propagationMs?: number;
}

/** What the ACME server answered with when it said no: an RFC 8555 problem. */
interface Problem {
  type?: string;
  detail?: string;
  status: number;
  retryAfter?: string;
}

interface Attempt {
  problems: Problem[];
  agent?: Agent;
  /** The last connection error (ECONNREFUSED…): acme-client loses it when it gives up retrying. */
  network?: string;
}

// acme-client talks through one shared axios instance; each attempt's own trust and the problems
// the server answered with travel with the attempt's async context, so attempts never mix.
const attempts = new AsyncLocalStorage<Attempt>();
acme.axios.defaults.timeout = 30_000;
// Its own retries wait out a 429's Retry-After, which for a rate limit is hours: Gatehouse retries instead.
(acme.axios.defaults as { acmeSettings?: { retryMaxAttempts: number } }).acmeSettings!.retryMaxAttempts = 0;
const http = getAdapter('http');
acme.axios.defaults.adapter = async (config) => {
  const attempt = attempts.getStore();
  if (attempt?.agent) config.httpsAgent = attempt.agent;
  try {
    return await http(config);
  } catch (err) {
    if (attempt && !(err as { response?: unknown }).response) attempt.network = (err as { code?: string }).code ?? (err as Error).message;
    throw err;
  }
};
const noteProblem = (res: { status: number; data?: unknown; headers?: Record<string, unknown> } | undefined) => {
  if (!res || res.status < 400) return;
  const data = (typeof res.data === 'object' && res.data ? res.data : {}) as { type?: string; detail?: string };
  const retryAfter = res.headers?.['retry-after'];
  attempts.getStore()?.problems.push({ status: res.status, ...(data.type ? { type: data.type } : {}), ...(data.detail ? { detail: data.detail } : {}), ...(typeof retryAfter === 'string' ? { retryAfter } : {}) });
};
acme.axios.interceptors.response.use(
  (res) => {
    noteProblem(res);
    return res;
  },
  (err: Error & { response?: { status: number; data?: unknown; headers?: Record<string, unknown> } }) => {
    noteProblem(err.response);
    return Promise.reject(err);
  },
);

/**
 * Gets certificates from an ACME authority (Let's Encrypt by default) by DNS-01: the owner's DNS
 * provider publishes the challenge, so the machine needs no open port 80 and may stay on the LAN.
 * The account key is made once and kept; the provider's token is kept sealed for renewals.
 */
export class AcmeIssuer {
  constructor(private readonly options: AcmeIssuerOptions) {}

  private get files() {
    const dir = this.options.tlsDir;
    return { account: join(dir, 'acme-account.key'), token: join(dir, 'acme-dns.token'), cert: join(dir, SERVED_CERTIFICATE.acme), key: join(dir, 'acme.key') };
  }

  /** The provider names `--dns` accepts. */
  providers(): string[] {
    return Object.keys(this.options.providers ?? DNS_PROVIDERS);
  }

  /** Whether a DNS provider token is kept for renewals. */
  hasToken(): boolean {
    return readIfExists(this.files.token) !== undefined;
  }

  /** The token kept for `dns`: it is kept with its provider's name, so it never goes to another provider. */
  private keptToken(dns: string): string | undefined {
    const kept = readSecret(this.files.token, this.options.vault);
    if (!kept) return undefined;
    try {
      const parsed = JSON.parse(kept) as { dns?: unknown; token?: unknown };
      return parsed.dns === dns && typeof parsed.token === 'string' ? parsed.token : undefined;
    } catch {
      return undefined;
    }
  }

  /** The certificate last issued, as on disk (the key unsealed), if any. */
  stored(): CertificatePair | undefined {
    const cert = readIfExists(this.files.cert);
    const key = readSecret(this.files.key, this.options.vault);
    return cert && key ? { cert, key } : undefined;
  }

  /** Gets a certificate for `request.domain`, keeps it (and the token) on disk, and returns it. */
  async issue(request: AcmeRequest): Promise<CertificatePair> {
    const provider = this.provider(request);
    ensurePrivateDir(this.options.tlsDir);
    const attempt: Attempt = { problems: [], ...(this.options.trust ? { agent: new Agent({ ca: this.options.trust }) } : {}) };
    const pair = await attempts.run(attempt, async () => {
      try {
        return await this.order(request, provider);
      } catch (err) {
        throw explain(err, attempt, request);
      }
    });
    writeSecret(this.files.key, pair.key, this.options.vault);
    writeFileAtomic(this.files.cert, pair.cert, 0o644);
    if (request.dnsToken) writeSecret(this.files.token, JSON.stringify({ dns: request.dns, token: request.dnsToken }), this.options.vault);
    return pair;
  }

  private provider(request: AcmeRequest): DnsProvider {
    const factory = (this.options.providers ?? DNS_PROVIDERS)[request.dns];
    if (!factory) throw new GatehouseError('BAD_USAGE', `Gatehouse cannot set DNS records at "${request.dns}".`, `It can at: ${this.providers().join(', ')}.`);
    const token = request.dnsToken ?? this.keptToken(request.dns);
    if (!token) throw new GatehouseError('BAD_USAGE', `There is no ${request.dns} API token yet.`, 'Give one with --dns-token.');
    return factory(token);
  }

  private async accountKey(): Promise<Buffer> {
    const kept = readSecret(this.files.account, this.options.vault);
    if (kept) return Buffer.from(kept);
    const key = await acme.crypto.createPrivateEcdsaKey();
    writeSecret(this.files.account, key.toString(), this.options.vault);
    return key;
  }

  private async order(request: AcmeRequest, provider: DnsProvider): Promise<CertificatePair> {
    const client = new acme.Client({ directoryUrl: request.directory, accountKey: await this.accountKey(), backoffAttempts: 12 });
    const [key, csr] = await acme.crypto.createCsr({ commonName: request.domain, altNames: [request.domain] }, await acme.crypto.createPrivateEcdsaKey());
    const removals = new Map<string, () => Promise<void>>();
    const cert = await client.auto({
      csr,
      email: request.email,
      termsOfServiceAgreed: true,
      challengePriority: ['dns-01'],
      // Gatehouse waits for the record itself (below), for as long as the provider needs.
      skipChallengeVerification: true,
      challengeCreateFn: async (authz, challenge, value) => {
        const fqdn = `_acme-challenge.${authz.identifier.value}`;
        removals.set(value, await provider.publish(fqdn, value));
        const visible = this.options.recordVisible ?? (() => defaultVisible(client, authz, challenge));
        await waitFor(() => visible(fqdn, value), this.options.propagationMs ?? 180_000, fqdn);
      },
      challengeRemoveFn: async (_authz, _challenge, value) => {
        await removals.get(value)?.();
      },
    });
    return { cert, key: key.toString() };
  }
}

const defaultVisible = (client: acme.Client, authz: acme.Authorization, challenge: Parameters<acme.Client['verifyChallenge']>[1]): Promise<boolean> =>
  client.verifyChallenge(authz, challenge).then(
    () => true,
    () => false,
  );

async function waitFor(visible: () => Promise<boolean>, timeoutMs: number, fqdn: string): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await visible()) return;
    if (Date.now() >= until) {
      throw new GatehouseError('TLS_ACME_DNS', `The DNS record ${fqdn} was published but did not show in DNS within ${Math.round(timeoutMs / 1000)} s.`, "Check that the domain's DNS really is served by that provider (its NS records), then try again.");
    }
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

/** The authority's rate limit: not to be asked again before `retryAt`. */
export class AcmeRateLimited extends GatehouseError {
  constructor(message: string, fix: string, readonly retryAt: number | undefined) {
    super('TLS_ACME_RATE_LIMITED', message, fix);
  }
}

const PROBLEM = 'urn:ietf:params:acme:error:';

/** Turns what went wrong into a sentence and a fix; a rate limit says when to try again. */
export function explain(err: unknown, attempt: Pick<Attempt, 'problems' | 'network'>, request: Pick<AcmeRequest, 'domain' | 'directory' | 'email'>): GatehouseError {
  if (err instanceof GatehouseError) return err;
  const message = (err as Error).message || String(err);
  const problem = attempt.problems.at(-1);
  const type = problem?.type?.startsWith(PROBLEM) ? problem.type.slice(PROBLEM.length) : undefined;
  const detail = (problem?.detail ?? message).slice(0, 400).replace(/([^.])$/, '$1.');
  const authority = request.directory === LETS_ENCRYPT ? "Let's Encrypt" : 'The certificate authority';
  if (type === 'rateLimited' || problem?.status === 429) {
    const at = retryAfterAt(problem?.retryAfter);
    return new AcmeRateLimited(`${authority} limits how many certificates one name may get, and ${request.domain} has reached the limit: ${detail}`, `Gatehouse tries again ${at ? whenText(at) : 'later'}; nothing else is needed (https://letsencrypt.org/docs/rate-limits/).`, at);
  }
  if (type === 'invalidContact' || type === 'unsupportedContact') {
    return new GatehouseError('TLS_ACME_FAILED', `${authority} refused the email address ${request.email}: ${detail}`, 'Give an address that receives mail, with --email.');
  }
  if (type === 'dns' || type === 'unauthorized' || type === 'incorrectResponse' || /dns|txt/i.test(detail)) {
    return new GatehouseError('TLS_ACME_DNS', `${authority} could not confirm the DNS record for ${request.domain}: ${detail}`, "Check that the DNS token may edit this domain's zone and that the domain's DNS is at that provider, then try again.");
  }
  if (!problem && attempt.network) {
    return new GatehouseError('TLS_ACME_FAILED', `Could not reach the certificate authority at ${request.directory} (${attempt.network}).`, 'Check that this computer is online and that the address is right, then try again.');
  }
  return new GatehouseError('TLS_ACME_FAILED', `${authority} did not issue a certificate for ${request.domain}: ${detail}`, 'Try again in a few minutes; the local certificate authority is used meanwhile.');
}

/** When a Retry-After header (seconds or an HTTP date) allows the next attempt, if it says. */
export function retryAfterAt(header: string | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const at = /^\d+$/.test(header.trim()) ? now + Number(header) * 1000 : Date.parse(header);
  return Number.isFinite(at) ? at : undefined;
}

/** "in 40 minutes" or "after 2026-12-03 10:00 UTC". */
export function whenText(at: number, now = Date.now()): string {
  const minutes = Math.max(1, Math.round((at - now) / 60_000));
  return minutes < 120 ? `in ${minutes} minutes` : `after ${new Date(at).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
