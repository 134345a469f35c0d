import { hostname, networkInterfaces } from 'node:os';

export interface HostNames {
  dns: string[];
  ips: string[];
}

/**
 * The names a teammate may use to reach this computer: localhost, the host name and its mDNS
 * `.local` form, loopback, and every current non-internal interface address. IPv6 link-local
 * addresses are left out: they need a zone id that no URL or certificate can carry.
 */
export function currentHostNames(
  interfaces: ReturnType<typeof networkInterfaces> = networkInterfaces(),
  host: string = hostname(),
): HostNames {
  const short = host.toLowerCase().replace(/\.local\.?$/, '');
  const dns = new Set(['localhost']);
  if (/^[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(short)) {
    dns.add(short);
    if (!short.includes('.')) dns.add(`${short}.local`);
  }
  const ips = new Set(['127.0.0.1', '::1']);
  for (const list of Object.values(interfaces)) {
    for (const info of list ?? []) {
      if (info.internal) continue;
      if (info.family === 'IPv6' && /^fe[89ab]/i.test(info.address)) continue;
      ips.add(info.address);
    }
  }
  return { dns: [...dns].sort(), ips: [...ips].sort() };
}

/** `currentHostNames()`, looked up at most every `ttlMs`: interfaces change rarely, requests ask often. */
export function cachedHostNames(ttlMs: number): () => HostNames {
  let value: HostNames | undefined;
  let at = 0;
  return () => {
    const now = performance.now();
    if (value === undefined || now - at > ttlMs) {
      value = currentHostNames();
      at = now;
    }
    return value;
  };
}

/** Non-loopback addresses only: where the gateway can be reached from the network. */
export function lanAddresses(names: HostNames = currentHostNames()): string[] {
  return names.ips.filter((ip) => ip !== '127.0.0.1' && ip !== '::1');
}
