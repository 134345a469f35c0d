import { X509Certificate } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { LOCAL_UPSTREAM } from '../../preload/rules';
import { GatehouseError, UsageError } from '../errors';
import type { OllamaClient } from '../ollama/client';
import { checkAddress, parseUpstreamUrl, type UpstreamUrl } from '../upstreams/egress';
import { sealToken, type UpstreamHosts } from '../upstreams/hosts';
import { localOnly } from './admin';
import type { HandlerContext, Handlers } from './context';

/** A name for a host from its address: `gpu2.lan` → `gpu2`, `10.0.0.7` → `10-0-0-7`. */
export function defaultHostName(hostname: string, taken: (name: string) => boolean): string {
  const bare = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const base = (isIP(bare) ? bare : bare.split('.')[0]!).replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 28) || 'host';
  let name = base === LOCAL_UPSTREAM ? `${base}-2` : base;
  for (let n = 2; taken(name); n++) name = `${base}-${n}`;
  return name;
}

/** Resolves the host's name now, so a typo or an address Gatehouse may not reach is said at once. */
async function checkResolves(target: UpstreamUrl): Promise<void> {
  const hostname = target.url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(hostname)) return;
  let addresses: Array<{ address: string }>;
  try {
    addresses = await lookup(hostname, { all: true });
  } catch {
    throw new UsageError(`The name "${hostname}" does not resolve from this computer.`, 'Check the spelling, or use the machine\'s IP address.');
  }
  for (const { address } of addresses) checkAddress(address, target.plain, target.origin);
}

function checkCa(pem: string): string {
  try {
    new X509Certificate(pem);
    return pem.trim() + '\n';
  } catch {
    throw new UsageError('The CA file is not a PEM certificate.', "Give the other Gatehouse's CA file (Share → Download CA, or gatehouse tls ca there).");
  }
}

const requireHosts = (ctx: HandlerContext): UpstreamHosts => {
  if (!ctx.hosts) throw new GatehouseError('NO_HOSTS', 'This Gatehouse was started without Ollama hosts.');
  return ctx.hosts;
};

/** The client of the host `on` names (the local Ollama's when absent). */
export function clientOn(ctx: HandlerContext, on: string | undefined): OllamaClient {
  if (!on || on === LOCAL_UPSTREAM) return ctx.models;
  const host = ctx.hosts?.get(on);
  if (!host) throw new UsageError(`There is no Ollama host called "${on}".`, 'See them with gatehouse upstreams list.');
  return host.client();
}

/** The Ollama hosts: list, add (checked before it is stored), remove. */
export function upstreamHandlers(ctx: HandlerContext): Pick<Handlers, 'listUpstreams' | 'addUpstream' | 'removeUpstream'> {
  const busy = (name: string) => ctx.scheduler?.busyIn(name) ?? 0;
  return {
    listUpstreams: () => requireHosts(ctx).views(busy),
    addUpstream: async ({ url, name, slots, token, insecure, caPem }, actor) => {
      // Where prompts go is a trust boundary, like the upstream setting: a stolen remote session must not move it.
      if (actor === 'remote-admin') throw localOnly('add an Ollama host');
      const hosts = requireHosts(ctx);
      const target = parseUpstreamUrl(url, insecure);
      const rows = ctx.store.upstreams.all();
      const local = new URL(ctx.settings().upstream).origin;
      if (target.origin === local) throw new UsageError(`${target.origin} is the local Ollama, which is always the host "local".`);
      const same = rows.find((r) => r.url === target.origin);
      if (same) throw new UsageError(`${target.origin} is already the Ollama host "${same.name}".`);
      const chosen = name ?? defaultHostName(target.url.hostname, (n) => rows.some((r) => r.name === n));
      if (chosen === LOCAL_UPSTREAM) throw new UsageError('"local" is the name of the local Ollama; choose another with --name.');
      if (rows.some((r) => r.name === chosen)) throw new UsageError(`There is already an Ollama host called "${chosen}".`, 'Choose another name with --name.');
      await checkResolves(target);
      const row = { name: chosen, url: target.origin, slots, token: token ? sealToken(token, ctx.vault) : null, caPem: caPem ? checkCa(caPem) : null, insecure, addedAt: ctx.clock() };
      const detail = JSON.stringify({ url: target.origin, slots, gatehouse: token !== undefined, insecure });
      ctx.store.audited({ actor, action: 'upstream.added', target: chosen, detail }, () => ctx.store.upstreams.insert(row));
      hosts.reload();
      await hosts.refresh(chosen);
      ctx.changed('upstreams');
      const warning = target.plain ? `Requests to "${chosen}" travel as plain http: anyone on that network can read prompts and answers. Use this only on a network you trust.` : null;
      return { upstream: hosts.get(chosen)!.view(busy(chosen)), warning };
    },
    removeUpstream: ({ name }, actor) => {
      if (actor === 'remote-admin') throw localOnly('remove an Ollama host');
      if (name === LOCAL_UPSTREAM) throw new UsageError('The local Ollama cannot be removed; it is the upstream setting.', 'Change it with gatehouse config set upstream URL.');
      const removed = ctx.store.audited({ actor, action: 'upstream.removed', target: name, detail: null }, () => ctx.store.upstreams.remove(name));
      if (!removed) throw new GatehouseError('UPSTREAM_NOT_FOUND', `There is no Ollama host called "${name}".`, 'See them with gatehouse upstreams list.');
      ctx.hosts?.reload();
      ctx.changed('upstreams');
      return { removed: name };
    },
  };
}
