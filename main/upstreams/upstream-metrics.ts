import { Gauge, type Registry } from 'prom-client';
import type { UpstreamHosts } from './hosts';

/**
 * `gatehouse_upstream_up{name}`: 1 while a host answers, 0 while it is down or not yet checked.
 * The local Ollama is asked when scraped (`localUp`), so the answer is never older than the scrape.
 */
export function upstreamGauge(registry: Registry, hosts: UpstreamHosts, localUp: () => Promise<boolean>): void {
  new Gauge({
    name: 'gatehouse_upstream_up',
    help: 'Whether each Ollama host answers (1) or not (0).',
    labelNames: ['name'],
    registers: [registry],
    async collect() {
      const local = await localUp();
      this.reset();
      for (const host of hosts.list()) this.set({ name: host.name }, (host.config.local ? local : host.state === 'up') ? 1 : 0);
    },
  });
}
