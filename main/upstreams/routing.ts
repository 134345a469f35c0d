import type { HostState } from './host';

/** What routing knows of a host. */
export interface RoutableHost {
  name: string;
  state: HostState;
  models: ReadonlySet<string>;
  loaded: ReadonlySet<string>;
}

/**
 * The hosts that can serve `model`, best first: those up (or not yet checked) that have it, the
 * ones where it is loaded first (no load wait), then the most free slots, then the order they were
 * added in (the local one first). When every host with the model is down, those are still named,
 * last, so the request meets the real failure rather than a guess.
 */
export function rankHosts(hosts: readonly RoutableHost[], model: string, free: (name: string) => number): string[] {
  const having = hosts.map((host, order) => ({ host, order })).filter(({ host }) => host.models.has(model));
  const scored = having.map(({ host, order }) => ({ name: host.name, down: host.state === 'down' ? 1 : 0, cold: host.loaded.has(model) ? 0 : 1, free: free(host.name), order }));
  // Free slots may be Infinity (no limit): compared, never subtracted.
  const moreFree = (a: number, b: number) => (a === b ? 0 : a > b ? -1 : 1);
  return scored.sort((a, b) => a.down - b.down || a.cold - b.cold || moreFree(a.free, b.free) || a.order - b.order).map((h) => h.name);
}
