import { lookup as dnsLookup, type LookupOptions } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { UsageError } from '../errors';

/**
 * Where Gatehouse may send requests on a token holder's behalf. A host's address is checked when
 * it is added and again on every connection (a name can be made to resolve elsewhere later), so a
 * stored URL cannot be turned into a way to reach the cloud's metadata service or a link-local box.
 */
const REFUSED: Array<[string, string]> = [
  ['169.254.0.0/16', 'a link-local address (cloud metadata services live there)'],
  ['fe80::/10', 'a link-local address'],
  ['fd00:ec2::254/128', "the cloud's metadata service"],
  ['100.100.100.200/32', "a cloud's metadata service"],
  ['0.0.0.0/8', 'the unspecified address'],
  ['::/128', 'the unspecified address'],
  ['224.0.0.0/4', 'a multicast address'],
  ['ff00::/8', 'a multicast address'],
  ['255.255.255.255/32', 'the broadcast address'],
];
const REFUSED_RANGES = REFUSED.map(([cidr, why]) => ({ range: ipaddr.parseCIDR(cidr), why }));

/** Loopback, private (RFC 1918, ULA) and Tailscale's CGNAT range: where plain http may go with --insecure. */
const PRIVATE_RANGES = ['127.0.0.0/8', '::1/128', '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7', '100.64.0.0/10'].map((c) => ipaddr.parseCIDR(c));

const parse = (address: string) => ipaddr.process(address);

/** Why an address may not be an upstream, or null when it may. IPv4-mapped IPv6 counts as its IPv4. */
export function egressRefusal(address: string): string | null {
  let ip: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    ip = parse(address);
  } catch {
    return 'not an IP address';
  }
  const hit = REFUSED_RANGES.find(({ range }) => range[0].kind() === ip.kind() && ip.match(range as never));
  return hit ? `${ip.toString()} is ${hit.why}` : null;
}

export function isPrivateAddress(address: string): boolean {
  try {
    const ip = parse(address);
    return PRIVATE_RANGES.some((range) => range[0].kind() === ip.kind() && ip.match(range));
  } catch {
    return false;
  }
}

export interface UpstreamUrl {
  /** The origin requests go to (no path, no query, no credentials). */
  origin: string;
  url: URL;
  /** Plain http: allowed only with --insecure, to a loopback or private address. */
  plain: boolean;
}

/**
 * Reads an upstream URL as a person types it (`https://gpu2.lan:11443`, `http://10.0.0.7:11434`):
 * https unless `insecure`, no credentials (a token goes in --token, where it is never logged),
 * nothing but an origin. An IP literal is checked here; a name is checked when it resolves.
 */
export function parseUpstreamUrl(raw: string, insecure: boolean): UpstreamUrl {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new UsageError(`"${raw.slice(0, 100)}" is not a URL. Write it like https://gpu2.lan:11443 or http://10.0.0.7:11434.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UsageError(`An Ollama host's URL starts with https:// (or http:// with --insecure), not ${url.protocol}//.`);
  if (url.username || url.password) throw new UsageError('Put no user name or password in the URL. For another Gatehouse, give its token with --token.');
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) throw new UsageError(`Give only the host and port (${url.origin}), without a path or query.`);
  const plain = url.protocol === 'http:';
  if (plain && !insecure) {
    throw new UsageError(`${url.origin} is plain http: prompts and answers would cross the network readable by anyone on it.`, 'Use https (another Gatehouse serves it), or add --insecure for an Ollama on a loopback or private address you trust.');
  }
  const literal = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(literal)) checkAddress(literal, plain, url.origin);
  return { origin: url.origin, url, plain };
}

/** Throws when Gatehouse may not connect to `address` for this upstream. */
export function checkAddress(address: string, plain: boolean, origin: string): void {
  const refusal = egressRefusal(address);
  if (refusal) throw new UsageError(`Gatehouse will not send requests to ${origin}: ${refusal}.`);
  if (plain && !isPrivateAddress(address)) {
    throw new UsageError(`${origin} is plain http to ${address}, which is not a loopback or private address.`, 'Use https for an Ollama host across the internet.');
  }
}

type LookupCallback = Parameters<LookupFunction>[2];

/**
 * A `lookup` for the connections to one upstream: resolves as the system does, then refuses the
 * connection when an address is one Gatehouse may not reach (see egressRefusal).
 */
export function guardedLookup(plain: boolean, origin: string): LookupFunction {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      try {
        for (const { address } of addresses) checkAddress(address, plain, origin);
      } catch (refused) {
        return callback(Object.assign(refused as Error, { code: 'EGRESS_REFUSED' }), []);
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0]!;
      callback(null, first.address, first.family);
    });
  };
}
