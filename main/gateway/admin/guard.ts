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

/** HTTP status for each error code the ControlApi throws. */
export function statusOf(code: string): number {
  if (code === 'BAD_USAGE' || code === 'TOTP_INVALID' || code === 'PASSWORD_INVALID') return 400;
  if (code === 'LOCAL_ONLY' || code === 'REGISTRY_REFUSED') return 403;
  if (code === 'INVITE_INVALID') return 410;
  if (code === 'SESSION_INVALID' || code === 'LINK_INVALID') return 401;
  if (code.endsWith('NOT_FOUND') || code === 'UNKNOWN_OPERATION') return 404;
  if (code.startsWith('OLLAMA_') && code !== 'OLLAMA_NOT_OURS') return 502;
  if (code === 'INTERNAL') return 500;
  return 409;
}
