import type { HostNames } from '../../tls/addresses';

/** The host name of a Host header (`[::1]:11443` → `::1`), lower-cased; null when it is not one. */
export function hostOf(header: string | undefined): string | null {
  if (!header || header.length > 300) return null;
  const m = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?$/i.exec(header.trim());
  return m ? m[1]!.replace(/^\[|\]$/g, '').toLowerCase() : null;
}

/**
 * DNS-rebinding defence: the dashboard answers only to this computer's own names and addresses.
 * A page on evil.example that rebinds its name to 127.0.0.1 still sends `Host: evil.example`.
 */
export function isOwnHost(header: string | undefined, names: HostNames): boolean {
  const host = hostOf(header);
  if (!host) return false;
  return names.dns.includes(host) || names.ips.includes(host);
}

/**
 * Cross-site request defence beyond SameSite=Strict: a browser's Origin (when sent) must be our own
 * scheme and host, and Fetch Metadata must not say cross-site.
 */
export function isSameOrigin(headers: { origin?: string | undefined; host?: string | undefined; 'sec-fetch-site'?: string | string[] | undefined }, scheme: 'http' | 'https'): boolean {
  const site = headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return false;
  if (headers.origin === undefined) return true;
  return headers.origin === `${scheme}://${headers.host ?? ''}`;
}
