import { isIP } from 'node:net';

export const DEFAULT_REGISTRIES = 'registry.ollama.ai, ollama.com, hf.co, huggingface.co';

/** "a.example, b.example" → the host names, lower-case; refuses anything that is not one. */
export function parseRegistryList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
}

/**
 * Why Ollama may not be sent to this registry host (by a pull, push or create), or null when it
 * may. Only hosts on the allow-list, and never a host that names this machine or its networks:
 * an IP literal, localhost, a local or internal name, or a port other than https's own. Ollama
 * fetches what the name says with the owner's identity, so a name is also an address to reach.
 */
export function registryRefusal(host: string, allowList: readonly string[]): string | null {
  const bare = host.replace(/^\[|\]$/g, '');
  if (/:\d+$/.test(host) && !host.startsWith('[')) return `a registry with an explicit port (${host}) is not allowed`;
  if (isIP(bare) || /^\[.*\]/.test(host)) return `a registry given by IP address (${host}) is not allowed`;
  if (bare === 'localhost' || /\.(localhost|local|internal|lan|home|arpa)$/.test(bare) || !bare.includes('.')) {
    return `"${host}" is a name on this computer or its network, not a public registry`;
  }
  if (!allowList.includes(bare)) return `the registry "${host}" is not on this Gatehouse's registry allow-list (${allowList.join(', ') || 'empty'})`;
  return null;
}
