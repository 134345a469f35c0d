import ipaddr from 'ipaddr.js';
import { UsageError } from '../errors';

export type Cidr = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** "10.0.0.0/8, fd00::/8" → ranges; a bare address is a range of one. Throws a UsageError naming the bad entry. */
export function parseCidrList(value: unknown): Cidr[] {
  if (typeof value !== 'string') throw new UsageError('The admin allow-list must be CIDR ranges separated by commas, such as 192.168.0.0/16.');
  const entries = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (entries.length > 64) throw new UsageError('The admin allow-list may hold at most 64 ranges.');
  return entries.map((entry) => {
    try {
      if (!entry.includes('/')) {
        const ip = ipaddr.parse(entry);
        return [ip, ip.kind() === 'ipv4' ? 32 : 128] as Cidr;
      }
      return ipaddr.parseCIDR(entry);
    } catch {
      throw new UsageError(`"${entry.slice(0, 60)}" is not an address range (CIDR) such as 192.168.0.0/16 or fd00::/8.`);
    }
  });
}

export function formatCidrList(ranges: Cidr[]): string {
  return ranges.map(([ip, bits]) => `${ip.toString()}/${bits}`).join(', ');
}

/** Whether a client address is in any range. IPv4-mapped IPv6 (::ffff:10.0.0.5) counts as IPv4. */
export function inCidrList(address: string, ranges: Cidr[]): boolean {
  let ip: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    ip = ipaddr.process(address);
  } catch {
    return false;
  }
  return ranges.some(([range, bits]) => range.kind() === ip.kind() && ip.match([range, bits] as never));
}

/**
 * Whether an address names this computer's loopback: 127.0.0.0/8, ::1 (in any spelling, also
 * IPv4-mapped and in URL brackets) or `localhost`. The one such check in Gatehouse.
 */
export function isLoopback(address: string): boolean {
  const bare = address.replace(/^\[(.*)\]$/, '$1');
  if (bare.toLowerCase() === 'localhost') return true;
  try {
    return ipaddr.process(bare).range() === 'loopback';
  } catch {
    return false;
  }
}
