import type { IncomingHttpHeaders } from 'node:http';
import httpProxy from '@fastify/http-proxy';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Settings } from '../config/settings';
import { sendProblem } from './problems';

export interface ProxyDeps {
  settings: () => Readonly<Settings>;
  /** Runs first on every proxied request; answers and returns true when it refuses. */
  access: (request: FastifyRequest, reply: FastifyReply) => boolean;
}

/**
 * Only these request headers reach Ollama. An allow-list rather than a deny-list: the client's
 * token, cookies, Origin (Ollama's CORS check would 403 it), forwarding and method-override
 * headers are all dropped without having to be named.
 */
const FORWARDED_HEADERS = ['accept', 'accept-encoding', 'accept-language', 'user-agent', 'content-type', 'content-length'];

export function forwardedHeaders(incoming: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = { host: incoming.host };
  for (const name of FORWARDED_HEADERS) {
    const value = incoming[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

/**
 * The streaming proxy to Ollama. Bodies are read as raw bytes (so the size limit applies and later
 * checks can look inside) and forwarded unchanged as JSON, which is all Ollama accepts; responses
 * are piped through as they arrive. Upstream timeouts are off: a cold model load or a long
 * `stream:false` generation can take many minutes, and a client that gives up aborts the upstream.
 */
export async function proxyPlugin(scope: FastifyInstance, deps: ProxyDeps): Promise<void> {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  scope.addHook('onRequest', (request, reply, done) => {
    if (!deps.access(request, reply)) done();
  });

  await scope.register(httpProxy, {
    upstream: '',
    proxyPayloads: false,
    disableRequestLogging: true,
    internalRewriteLocationHeader: false,
    undici: { connections: 128, headersTimeout: 0, bodyTimeout: 0 },
    replyOptions: {
      getUpstream: () => deps.settings().upstream,
      rewriteRequestHeaders: (_request, headers) => forwardedHeaders(headers),
      rewriteHeaders: (headers) => ({ ...headers, 'x-accel-buffering': 'no' }),
      // reply-from would retry a GET that got a 503; Ollama's 503 means "busy", which is the client's call.
      retryDelay: () => null,
      onError: (reply, { error }) => {
        const timedOut = (error as { statusCode?: number }).statusCode === 504;
        sendProblem(reply, {
          status: timedOut ? 504 : 502,
          code: timedOut ? 'upstream_timeout' : 'upstream_unreachable',
          message: timedOut
            ? `Ollama at ${deps.settings().upstream} did not answer in time.`
            : `Ollama is not reachable at ${deps.settings().upstream}. Start Ollama on the Gatehouse computer, or check the upstream setting.`,
        });
      },
    },
    handler: (request, reply, _dest, options) => {
      const target = request.gatehouse.match?.path ?? '/';
      const body = request.body;
      if (Buffer.isBuffer(body)) return reply.from(target, { ...options, body, contentType: 'application/json' });
      return reply.from(target, options);
    },
  });
}
