import { networkInterfaces } from 'node:os';
import { isLoopback } from '../config/cidr';

/** `::ffff:10.0.0.5` → `10.0.0.5`: a dual-stack socket reports IPv4 clients in mapped form. */
export function plainIp(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}


/**
 * "Is this request from this computer?": loopback, or one of this computer's own interface
 * addresses (a request to its own LAN address comes from that address). Refreshed now and then,
 * off the request path, because interfaces come and go.
 */
export function createLocalClientCheck(refreshMs = 30_000): { isLocal: (ip: string) => boolean; stop: () => void } {
  let own = ownAddresses();
  const timer = setInterval(() => (own = ownAddresses()), refreshMs);
  timer.unref();
  return {
    isLocal: (ip) => isLoopback(ip) || own.has(plainIp(ip)),
    stop: () => clearInterval(timer),
  };
}

function ownAddresses(): Set<string> {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces())) for (const info of list ?? []) out.add(info.address);
  return out;
}
