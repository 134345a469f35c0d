import { hostname } from 'node:os';
import type { Endpoint } from '../../preload/contract';
import { isLoopback } from '../config/cidr';
import { lanAddresses } from '../tls/addresses';

/** `host` as it goes in a URL: IPv6 in brackets. */
const urlHost = (host: string) => (host.includes(':') ? `[${host}]` : host);

/** The URLs the gateway answers on: every LAN address (and `<host>.local`) for a wildcard bind. */
export function servingUrls(scheme: 'http' | 'https', host: string, port: number): string[] {
  const url = (h: string) => `${scheme}://${urlHost(h)}:${port}`;
  if (host !== '0.0.0.0' && host !== '::') return [url(host)];
  const local = /^[a-z0-9-]+$/i.test(hostname()) ? [url(`${hostname().toLowerCase()}.local`)] : [];
  return [url('localhost'), ...local, ...lanAddresses().filter((ip) => host === '::' || !ip.includes(':')).map(url)];
}

/** The serving URLs with a certificate's public name (Tailscale's, the owner's domain) first: the one every teammate's system already trusts. */
export function publicUrls(name: string | undefined, scheme: 'http' | 'https', host: string, port: number): string[] {
  return [...(name ? [`https://${name}:${port}`] : []), ...servingUrls(scheme, host, port)];
}

/** Names people recognise for each address the gateway answers on; `domain`: the owner's, with a public certificate. */
export function labelEndpoints(urls: string[], domain?: string): Endpoint[] {
  const short = hostname().toLowerCase();
  return urls.map((url) => {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    const label = isLoopback(host) ? 'This computer only' : host === domain ? `${host} (your domain: trusted everywhere, nothing to install)` : host.endsWith('.ts.net') ? `${host} (Tailscale: trusted everywhere in your tailnet, nothing to install)` : host.endsWith('.local') ? `${short}.local (name on the local network)` : host.includes(':') || /^\d/.test(host) ? `Network address ${host}` : host;
    return { label, url };
  });
}

/**
 * The dashboard's one-time sign-in link for a browser on this computer: `localhost` when the
 * gateway listens there (on all interfaces or on loopback), else the one address it is bound to.
 */
export function adminLinkUrl(scheme: 'http' | 'https', bound: string, port: number, code: string): string {
  const host = bound === '0.0.0.0' || bound === '::' || isLoopback(bound) ? 'localhost' : urlHost(bound);
  return `${scheme}://${host}:${port}/admin/#login=${code}`;
}
