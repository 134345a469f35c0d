import { GatehouseError } from '../errors';

/**
 * Publishes the TXT record an ACME DNS-01 challenge asks for. `publish` resolves once the
 * provider has accepted the record and hands back how to take it down again.
 */
export interface DnsProvider {
  publish(fqdn: string, value: string): Promise<() => Promise<void>>;
}

/** Makes a provider from the owner's API token for it. */
export type DnsProviderFactory = (token: string) => DnsProvider;

const CLOUDFLARE_API = 'https://api.cloudflare.com/client/v4';
const TOKENS_PAGE = 'https://dash.cloudflare.com/profile/api-tokens';

interface CloudflareAnswer<T> {
  success?: boolean;
  errors?: Array<{ code?: number; message?: string }>;
  result?: T;
}

/** Cloudflare's DNS API with a token that may edit the zone's DNS (Zone → DNS → Edit). */
export function cloudflare(token: string, api = CLOUDFLARE_API, fetchImpl: typeof fetch = fetch): DnsProvider {
  const request = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    let res: Response;
    try {
      res = await fetchImpl(`${api}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      throw new GatehouseError('TLS_ACME_DNS', `Could not reach Cloudflare's API: ${(err as Error).message}.`, 'Check that this computer is online, then try again.');
    }
    const answer = (await res.json().catch(() => ({}))) as CloudflareAnswer<T>;
    if (res.status === 401 || res.status === 403) {
      throw new GatehouseError('TLS_ACME_DNS', 'Cloudflare refused the DNS token.', `Make an API token with the permission Zone → DNS → Edit for your domain at ${TOKENS_PAGE}, and give it with --dns-token.`);
    }
    if (!res.ok || answer.success === false) {
      const said = answer.errors?.map((e) => e.message).filter(Boolean).join('; ') || `HTTP ${res.status}`;
      throw new GatehouseError('TLS_ACME_DNS', `Cloudflare's API refused the change: ${said.slice(0, 300)}.`, 'Check that the token may edit DNS for this domain.');
    }
    return answer.result as T;
  };

  /** The zone that holds `fqdn`: the longest of its parent names that Cloudflare knows. */
  const zoneOf = async (fqdn: string): Promise<string> => {
    const labels = fqdn.split('.');
    for (let i = 1; i < labels.length - 1; i++) {
      const name = labels.slice(i).join('.');
      const zones = await request<Array<{ id: string; name: string }>>('GET', `/zones?name=${encodeURIComponent(name)}&status=active`);
      const zone = zones.find((z) => z.name === name);
      if (zone) return zone.id;
    }
    const domain = labels.slice(1).join('.');
    throw new GatehouseError('TLS_ACME_DNS', `None of the Cloudflare zones this token can see holds ${domain}.`, `Check that ${domain}'s DNS is on Cloudflare and that the token is allowed that zone (${TOKENS_PAGE}).`);
  };

  return {
    async publish(fqdn, value) {
      const zone = await zoneOf(fqdn);
      const record = await request<{ id: string }>('POST', `/zones/${zone}/dns_records`, { type: 'TXT', name: fqdn, content: value, ttl: 60, comment: 'ACME challenge by Gatehouse; removed once answered' });
      return async () => {
        await request('DELETE', `/zones/${zone}/dns_records/${record.id}`);
      };
    },
  };
}

/** The providers `--dns` may name. */
export const DNS_PROVIDERS: Readonly<Record<string, DnsProviderFactory>> = Object.freeze({
  cloudflare: (token: string) => cloudflare(token),
});
