import { hostname } from 'node:os';
import { lanAddresses } from '../tls/addresses';

/** The URLs the gateway answers on: every LAN address (and `<host>.local`) for a wildcard bind. */
export function servingUrls(scheme: 'http' | 'https', host: string, port: number): string[] {
  const url = (h: string) => `${scheme}://${h.includes(':') ? `[${h}]` : h}:${port}`;
  if (host !== '0.0.0.0' && host !== '::') return [url(host)];
  const local = /^[a-z0-9-]+$/i.test(hostname()) ? [url(`${hostname().toLowerCase()}.local`)] : [];
  return [url('localhost'), ...local, ...lanAddresses().filter((ip) => host === '::' || !ip.includes(':')).map(url)];
}
