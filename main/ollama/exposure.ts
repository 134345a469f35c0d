import { readFile } from 'node:fs/promises';
import { isLoopback } from '../config/cidr';
import type { Platform } from './install';
import type { OllamaOwner } from './processes';
import { probeUpstream } from './upstream-probe';
import type { Exposure } from '../../preload/types';
export type { Exposure } from '../../preload/types';

export interface ExposureProbe {
  platform: Platform;
  /** Ollama's port (the upstream's). */
  port: number;
  /** This computer's non-loopback addresses to probe. */
  addresses: string[];
  owner: OllamaOwner | null;
  timeoutMs?: number;
  /** Linux: the text of /proc/net/tcp and tcp6; read when not given, skipped elsewhere. */
  socketTable?: string;
}

/**
 * Does Ollama answer on a network address, bypassing the gateway? Each address is asked for
 * `/api/version` with a short timeout (this also catches Docker's `-p 11434:11434`); on Linux
 * the kernel's listening sockets tell too, even when a firewall would drop our own probe.
 */
export async function checkExposure(probe: ExposureProbe): Promise<Exposure | null> {
  const timeoutMs = probe.timeoutMs ?? 500;
  const answered = await Promise.all(
    probe.addresses.map(async (ip) => ((await probeUpstream(`http://${ip.includes(':') ? `[${ip}]` : ip}:${probe.port}`, timeoutMs)).kind === 'ollama' ? ip : null)),
  );
  const found = new Set(answered.filter((ip): ip is string => ip !== null));
  if (probe.platform === 'linux') {
    const table = probe.socketTable ?? (await readSocketTable());
    for (const ip of exposedListeners(table, probe.port)) found.add(ip);
  }
  if (found.size === 0) return null;
  const addresses = [...found].sort();
  return {
    addresses,
    message: `Ollama is reachable from your network without a token (${addresses.map((a) => (a.includes(':') ? `[${a}]` : a) + `:${probe.port}`).join(', ')}).`,
    fix: exposureFix(probe.platform, probe.owner),
  };
}

async function readSocketTable(): Promise<string> {
  const parts = await Promise.all(['/proc/net/tcp', '/proc/net/tcp6'].map((f) => readFile(f, 'utf8').catch(() => '')));
  return parts.join('\n');
}

/**
 * Pure: the non-loopback local addresses listening on `port` in /proc/net/tcp{,6} text. Addresses
 * there are hex in host byte order (little-endian on every machine Ollama runs on); state 0A is LISTEN.
 */
export function exposedListeners(table: string, port: number): string[] {
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  const out = new Set<string>();
  for (const line of table.split('\n')) {
    const fields = line.trim().split(/\s+/);
    const [local, , state] = [fields[1], fields[2], fields[3]];
    if (!local || state !== '0A') continue;
    const [addrHex, p] = local.split(':');
    if (p?.toUpperCase() !== portHex || !addrHex) continue;
    const ip = addrHex.length === 8 ? ipv4FromHex(addrHex) : ipv6FromHex(addrHex);
    if (ip && !isLoopback(ip)) out.add(ip);
  }
  return [...out];
}

function ipv4FromHex(hex: string): string {
  const n = Number.parseInt(hex, 16);
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24].join('.');
}

function ipv6FromHex(hex: string): string | null {
  if (hex.length !== 32) return null;
  const groups: string[] = [];
  // Four 32-bit words, each little-endian.
  for (let w = 0; w < 4; w++) {
    const word = hex.slice(w * 8, w * 8 + 8).match(/../g)!.reverse().join('');
    groups.push(word.slice(0, 4), word.slice(4, 8));
  }
  const full = groups.map((g) => Number.parseInt(g, 16).toString(16)).join(':');
  if (full === '0:0:0:0:0:0:0:0') return '::';
  if (full === '0:0:0:0:0:0:0:1') return '::1';
  const mapped = /^0:0:0:0:0:ffff:([0-9a-f]+):([0-9a-f]+)$/.exec(full);
  if (mapped) {
    const v = (Number.parseInt(mapped[1]!, 16) << 16) | Number.parseInt(mapped[2]!, 16);
    return [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
  }
  return full;
}

/** The fix for this OS and for whoever runs Ollama, in words a non-DevOps user can follow. */
export function exposureFix(platform: Platform, owner: OllamaOwner | null): string {
  const restart = 'Then restart Ollama; Gatehouse re-checks every minute.';
  if (owner === 'desktop-app') {
    return `Open Ollama's settings and turn off "Expose Ollama to the network". ${platform === 'darwin'
      ? 'If it stays exposed, run: launchctl unsetenv OLLAMA_HOST, then quit and reopen Ollama.'
      : 'If it stays exposed, remove OLLAMA_HOST from your user environment variables (Settings → System → About → Advanced system settings → Environment Variables), then quit and reopen Ollama.'}`;
  }
  if (owner === 'system-service') {
    return `Run: sudo systemctl edit ollama, remove the Environment="OLLAMA_HOST=…" line (or set it to 127.0.0.1:11434), then: sudo systemctl restart ollama. ${restart}`;
  }
  if (owner === 'gatehouse') return 'Something else is forwarding the port Gatehouse\'s Ollama uses (a container or port forward?). Remove that forward.';
  if (platform === 'darwin') return `Whoever starts Ollama sets OLLAMA_HOST to a network address. Run: launchctl unsetenv OLLAMA_HOST, and remove OLLAMA_HOST from your shell profile. ${restart}`;
  if (platform === 'win32') return `Remove OLLAMA_HOST from your environment variables (or set it to 127.0.0.1). ${restart}`;
  return `Whoever starts Ollama sets OLLAMA_HOST to a network address (a shell profile, a service file, or docker run -p 11434:11434). Set it to 127.0.0.1, or publish a container's port as -p 127.0.0.1:11434:11434. ${restart}`;
}
