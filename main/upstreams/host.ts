import { fetch as undiciFetch, Pool } from 'undici';
import type { UpstreamView } from '../../preload/types';
import { OllamaClient } from '../ollama/client';
import { guardedLookup } from './egress';

/** One Ollama host as configured. The local one's origin is the upstream setting, read on use. */
export interface HostConfig {
  name: string;
  origin: () => string;
  slots: number;
  /** The bearer token of another Gatehouse, opened (never logged, never shown). */
  token: string | null;
  caPem: string | null;
  insecure: boolean;
  local: boolean;
}

export type HostState = UpstreamView['state'];

/**
 * An Ollama host: its connection pool (with the egress guard on every connection to a remote
 * one), its health, and what it has: the models in its /api/tags and those loaded in /api/ps.
 * No timeouts on the pool: cold model loads take minutes, and a client that gives up aborts.
 */
export class UpstreamHost {
  state: HostState = 'unknown';
  since: number | null = null;
  error: string | null = null;
  failures = 0;
  nextCheckAt: number | null = null;
  /** Canonical model names (see canonicalModelName). */
  models: ReadonlySet<string> = new Set();
  loaded: ReadonlySet<string> = new Set();
  private connection: { origin: string; url: URL; pool: Pool } | undefined;

  constructor(
    readonly config: HostConfig,
    private readonly connections = 128,
  ) {}

  get name(): string {
    return this.config.name;
  }

  /** The pool to the host's current origin (the local one's can change while running). */
  dispatcher(): { url: URL; pool: Pool } {
    const origin = this.config.origin();
    if (this.connection?.origin !== origin) {
      const old = this.connection?.pool;
      const url = new URL(origin);
      const plain = url.protocol === 'http:';
      const connect = this.config.local ? undefined : { lookup: guardedLookup(plain, url.origin), ...(this.config.caPem ? { ca: this.config.caPem } : {}) };
      const pool = new Pool(url.origin, { connections: this.connections, headersTimeout: 0, bodyTimeout: 0, ...(connect ? { connect } : {}) });
      this.connection = { origin, url, pool };
      void old?.close();
    }
    return this.connection;
  }

  /** The headers Gatehouse adds for this host: another Gatehouse's token. */
  authorization(): string | undefined {
    return this.config.token ? `Bearer ${this.config.token}` : undefined;
  }

  /** A fetch over this host's pool, with its token. */
  readonly fetch: typeof fetch = ((input: string | URL, init: RequestInit = {}) => {
    const auth = this.authorization();
    const headers = { ...(init.headers as Record<string, string> | undefined), ...(auth ? { authorization: auth } : {}) };
    return undiciFetch(input, { ...(init as object), headers, dispatcher: this.dispatcher().pool });
  }) as unknown as typeof fetch;

  /** A typed client of this host, for its model list, pulls and deletes. */
  client(): OllamaClient {
    return new OllamaClient(() => this.config.origin(), this.fetch);
  }

  view(busy: number): UpstreamView {
    return {
      name: this.name,
      url: new URL(this.config.origin()).origin,
      slots: this.config.slots,
      busy,
      kind: this.config.local ? 'local' : this.config.token ? 'gatehouse' : 'ollama',
      insecure: this.config.insecure,
      pinnedCa: this.config.caPem !== null,
      state: this.state,
      since: this.since,
      error: this.error,
      nextCheckAt: this.nextCheckAt,
      models: [...this.models].sort(),
      loaded: [...this.loaded].sort(),
    };
  }

  async close(): Promise<void> {
    const pool = this.connection?.pool;
    this.connection = undefined;
    await pool?.destroy();
  }
}
