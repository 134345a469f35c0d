import type { IncomingHttpHeaders } from 'node:http';
import { Pool, type Dispatcher } from 'undici';

/**
 * Only these request headers reach Ollama. An allow-list rather than a deny-list: the client's
 * token, cookies, Origin (Ollama's CORS check would 403 it), forwarding and method-override
 * headers are all dropped without having to be named.
 */
const FORWARDED_HEADERS = ['accept', 'accept-encoding', 'accept-language', 'user-agent', 'content-type', 'content-length'];

/**
 * The headers sent upstream: the allow-listed ones, and a Host that names the upstream itself
 * (a loopback-bound Ollama refuses Host values that are not its own names: DNS-rebinding defence).
 */
export function forwardedHeaders(incoming: IncomingHttpHeaders, upstreamHost: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = { host: upstreamHost };
  for (const name of FORWARDED_HEADERS) {
    const value = incoming[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/** Response headers that describe one connection, not the answer; never copied to the client. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'proxy-connection', 'upgrade', 'te', 'trailer']);

export function answerHeaders(headers: Dispatcher.ResponseData['headers']): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  out['x-accel-buffering'] = 'no';
  return out;
}

/**
 * Connection pools to Ollama, one per upstream origin (the upstream setting can change while
 * running). No timeouts: cold model loads and long `stream:false` generations take minutes, and
 * a client that gives up aborts its upstream request instead.
 */
export class Upstreams {
  private readonly pools = new Map<string, { url: URL; pool: Pool }>();

  constructor(private readonly connections = 128) {}

  get(upstream: string): { url: URL; pool: Pool } {
    let entry = this.pools.get(upstream);
    if (!entry) {
      const url = new URL(upstream);
      entry = { url, pool: new Pool(url.origin, { connections: this.connections, headersTimeout: 0, bodyTimeout: 0 }) };
      this.pools.set(upstream, entry);
    }
    return entry;
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map(({ pool }) => pool.destroy()));
  }
}
