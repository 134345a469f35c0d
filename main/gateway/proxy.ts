import type { IncomingHttpHeaders } from 'node:http';
import httpProxy, { type FastifyHttpProxyOptions } from '@fastify/http-proxy';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { aclFor } from '../auth/model-acl';
import type { Settings } from '../config/settings';
import type { Metering } from '../metering/metering';
import type { Access } from './access';
import { handleCors } from './cors';
import { forward } from './forward';
import { checkModels } from './model-check';
import { sendProblem } from './problems';

export interface ProxyDeps {
  settings: () => Readonly<Settings>;
  access: Access;
  metering: Metering;
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

/** Options shared by both proxy registrations: upstream, headers, errors, no retries, no timeouts. */
function proxyOptions(deps: ProxyDeps): FastifyHttpProxyOptions {
  return {
    upstream: '',
    disableRequestLogging: true,
    internalRewriteLocationHeader: false,
    // Cold model loads and long `stream:false` generations take minutes; a client that gives up aborts the upstream.
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
  };
}

/** The canonical path the access checks matched; never the raw URL the client sent. */
const target = (request: FastifyRequest) => request.gatehouse.match?.path ?? '/';

/**
 * The streaming proxy to Ollama. JSON bodies are read whole (so the size limit applies and the
 * model ACL can look inside), then forwarded byte for byte as JSON, the only thing Ollama accepts;
 * responses stream through as they arrive. Blob uploads, which can be gigabytes, have their own
 * registration that streams the body through unread.
 */
export async function proxyPlugin(scope: FastifyInstance, deps: ProxyDeps): Promise<void> {
  const checkAccess = (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    if (!handleCors(request, reply) && !deps.access.check(request, reply)) done();
  };

  await scope.register(async (blobs) => {
    blobs.addHook('onRequest', checkAccess);
    await blobs.register(httpProxy, {
      ...proxyOptions(deps),
      prefix: '/api/blobs',
      handler: (request, reply, _dest, options) => reply.from(target(request), options),
    });
  });

  await scope.register(async (api) => {
    api.removeAllContentTypeParsers();
    api.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    api.addHook('onRequest', checkAccess);
    api.addHook('preHandler', (request, reply, done) => {
      const context = request.gatehouse;
      const match = context.match;
      if (!match?.route.models) return done();
      const body = Buffer.isBuffer(request.body) ? request.body : undefined;
      const verdict = checkModels(match.route, match.params, body, aclFor(context.token), context.token?.name ?? 'this computer');
      if (!verdict.ok) {
        if (verdict.problem.status === 403) deps.access.refuse(request, reply, 'model_denied', verdict.problem);
        else sendProblem(reply, verdict.problem);
        return;
      }
      context.models = verdict.models;
      if (verdict.json) context.json = verdict.json;
      done();
    });
    await api.register(httpProxy, {
      ...proxyOptions(deps),
      proxyPayloads: false,
      handler: (request, reply, _dest, options) => forward(request, reply, options, deps.metering, deps.settings().usageMetering),
    });
  });
}
