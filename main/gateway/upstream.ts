import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';

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
