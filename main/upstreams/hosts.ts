import type { UpstreamView } from '../../preload/types';
import type { Settings } from '../config/settings';
import type { Logger } from '../log';
import type { Store } from '../store/store';
import type { UpstreamRow } from '../store/upstreams-repo';
import type { SecretVault } from '../tls/files';
import { isCloudModel } from '../auth/model-names';
import { LOCAL_UPSTREAM as LOCAL_POOL } from '../../preload/rules';
import { POLL_MS, probeHost, retryDelayMs } from './health';
import { UpstreamHost } from './host';
import { rankHosts } from './routing';

const SEALED = 'sealed:v1:';

/** A token as stored: sealed by the OS keystore when there is one. */
export function sealToken(token: string, vault: SecretVault | undefined): string {
  return vault ? SEALED + vault.seal(token).toString('base64') : token;
}

export function openToken(stored: string, vault: SecretVault | undefined): string {
  if (!stored.startsWith(SEALED)) return stored;
  if (!vault) throw new Error('This token was sealed by the OS keystore, which this process cannot open.');
  return vault.open(Buffer.from(stored.slice(SEALED.length), 'base64'));
}

export interface HostsOptions {
  store: Store;
  settings: () => Readonly<Settings>;
  vault?: SecretVault;
  log?: Logger;
  /** How often hosts that are up are checked (tests shorten it). */
  pollMs?: number;
  probeTimeoutMs?: number;
  clock?: () => number;
}

type Listener = () => void;

/**
 * The Ollama hosts behind this Gatehouse: the local one (the upstream setting) and those added
 * with `gatehouse upstreams add`, with what each has and whether it is up. Routing reads only
 * this memory; the store is read again when it changes (also by the CLI in another process).
 */
export class UpstreamHosts {
  private hosts = new Map<string, UpstreamHost>();
  private slotMap: ReadonlyMap<string, number> = new Map();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly listeners = new Set<Listener>();
  private running = false;
  private rechecking: Promise<void> | undefined;
  private recheckedAt = 0;
  private closed = false;
  private readonly clock: () => number;

  constructor(private readonly options: HostsOptions) {
    this.clock = options.clock ?? Date.now;
    this.reload();
  }

  get size(): number {
    return this.hosts.size;
  }

  get(name: string): UpstreamHost | undefined {
    return this.hosts.get(name);
  }

  list(): UpstreamHost[] {
    return [...this.hosts.values()];
  }

  /** The slots of every host but the local one (the scheduler's pools). */
  slots(): ReadonlyMap<string, number> {
    return this.slotMap;
  }

  /**
   * The hosts that can serve `model`, best first (see rankHosts). A cloud model that no host lists
   * goes to the local Ollama, which signs in to ollama.com for it.
   */
  candidates(model: string, free: (name: string) => number): string[] {
    const ranked = rankHosts(this.list(), model, free);
    return ranked.length === 0 && isCloudModel(model) ? [LOCAL_POOL] : ranked;
  }

  /** Reads the hosts again from the settings and the store; hosts that did not change keep their state. */
  reload(): void {
    const rows = this.options.store.upstreams.all();
    const next = new Map<string, UpstreamHost>();
    const local = this.hosts.get(LOCAL_POOL) ?? new UpstreamHost({ name: LOCAL_POOL, origin: () => this.options.settings().upstream, slots: 0, token: null, caPem: null, insecure: false, local: true });
    next.set(LOCAL_POOL, local);
    for (const row of rows) {
      const old = this.hosts.get(row.name);
      next.set(row.name, old && sameConfig(old, row) ? old : this.hostOf(row));
    }
    for (const [name, host] of this.hosts) {
      if (next.get(name) !== host) {
        clearTimeout(this.timers.get(name));
        this.timers.delete(name);
        void host.close();
      }
    }
    const changed = next.size !== this.hosts.size || [...next].some(([name, host]) => this.hosts.get(name) !== host);
    this.hosts = next;
    this.slotMap = new Map(rows.map((r) => [r.name, r.slots]));
    if (this.running) for (const host of next.values()) if (!this.timers.has(host.name)) this.schedule(host, 0);
    if (changed) this.emit();
  }

  /** Starts checking every host: at once, then every few seconds (with backoff while down). */
  start(): void {
    if (this.running || this.closed) return;
    this.running = true;
    for (const host of this.hosts.values()) this.schedule(host, 0);
  }

  /** Checks hosts now (after a pull or delete, or when no host seems to have a model); bounded in time. */
  async refresh(name?: string, timeoutMs = this.options.probeTimeoutMs ?? 3000): Promise<void> {
    const hosts = name ? [this.hosts.get(name)].filter((h): h is UpstreamHost => h !== undefined) : this.list();
    await Promise.all(hosts.map((host) => this.check(host, timeoutMs)));
  }

  /**
   * Checks every host again unless that was done within the last second (a burst of requests
   * for models nobody has asks once, not once each).
   */
  recheck(): Promise<void> {
    const now = this.clock();
    if (this.rechecking && now - this.recheckedAt < 1000) return this.rechecking;
    this.recheckedAt = now;
    this.rechecking = this.refresh(undefined, 2000);
    return this.rechecking;
  }

  /**
   * A request to the host failed (it could not connect, or Ollama answered 5xx): marked down now,
   * checked again after the backoff, so the next requests go elsewhere.
   */
  markFailed(name: string, error: string): void {
    const host = this.hosts.get(name);
    if (!host || this.closed) return;
    this.setDown(host, error);
    this.schedule(host, retryDelayMs(host.failures));
  }

  views(busy: (name: string) => number): UpstreamView[] {
    return this.list().map((host) => host.view(busy(host.name)));
  }

  onChange(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.listeners.clear();
    await Promise.all(this.list().map((h) => h.close()));
  }

  private hostOf(row: UpstreamRow): UpstreamHost {
    let token: string | null = null;
    try {
      token = row.token ? openToken(row.token, this.options.vault) : null;
    } catch (err) {
      this.options.log?.warn(`The token for the Ollama host "${row.name}" cannot be read: ${(err as Error).message}`);
    }
    const host = new UpstreamHost({ name: row.name, origin: () => row.url, slots: row.slots, token, caPem: row.caPem, insecure: row.insecure, local: false });
    if (row.token && token === null) this.setDown(host, 'Its token cannot be read here. Remove the host and add it again with --token.');
    return host;
  }

  private schedule(host: UpstreamHost, delayMs: number): void {
    if (!this.running || this.closed) return;
    clearTimeout(this.timers.get(host.name));
    host.nextCheckAt = this.clock() + delayMs;
    const timer = setTimeout(() => {
      void this.check(host, this.options.probeTimeoutMs ?? 3000).then(() => {
        if (this.hosts.get(host.name) === host) this.schedule(host, host.state === 'down' ? retryDelayMs(host.failures) : (this.options.pollMs ?? POLL_MS));
      });
    }, delayMs);
    timer.unref();
    this.timers.set(host.name, timer);
  }

  private async check(host: UpstreamHost, timeoutMs: number): Promise<void> {
    const probe = await probeHost(host, timeoutMs);
    if (this.closed || this.hosts.get(host.name) !== host) return;
    if (!probe.ok) return this.setDown(host, probe.error);
    const changed = host.state !== 'up' || !sameSet(host.models, probe.models) || !sameSet(host.loaded, probe.loaded);
    if (host.state !== 'up') {
      if (host.state === 'down') this.options.log?.info(`The Ollama host "${host.name}" is up again.`);
      host.state = 'up';
      host.since = this.clock();
    }
    host.failures = 0;
    host.error = null;
    host.models = probe.models;
    host.loaded = probe.loaded;
    if (changed) this.emit();
  }

  private setDown(host: UpstreamHost, error: string): void {
    host.failures++;
    const changed = host.state !== 'down' || host.error !== error;
    if (host.state !== 'down') {
      host.since = this.clock();
      this.options.log?.warn(`The Ollama host "${host.name}" is down: ${error}`);
    }
    host.state = 'down';
    host.error = error;
    if (changed) this.emit();
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }
}

const sameSet = (a: ReadonlySet<string>, b: ReadonlySet<string>) => a.size === b.size && [...a].every((x) => b.has(x));

function sameConfig(host: UpstreamHost, row: UpstreamRow): boolean {
  const c = host.config;
  return c.origin() === row.url && c.slots === row.slots && c.caPem === row.caPem && c.insecure === row.insecure && (c.token !== null) === (row.token !== null);
}
