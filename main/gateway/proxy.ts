import httpProxy from '@fastify/http-proxy';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Budgets } from '../auth/budgets';
import type { Settings } from '../config/settings';
import type { Metering } from '../metering/metering';
import type { UpstreamHosts } from '../upstreams/hosts';
import { cors, fairQueue, landingPage, limits, modelPolicy, pauseGate, routeGuard, tokenAuth, upstreamRouting, type FairQueueOptions, type TokenAuthOptions } from './access';
import { decodeBody } from './body-encoding';
import { forward } from './forward';
import { sendProblem } from './problems';
import { forwardedHeaders } from './upstream';

export interface ProxyDeps {
  settings: () => Readonly<Settings>;
  auth: TokenAuthOptions;
  metering: Metering;
  queue: FairQueueOptions;
  /** The Ollama hosts: the local one, and any added with `gatehouse upstreams add`. */
  hosts: UpstreamHosts;
  budgets?: Budgets;
  clock?: () => number;
}

const METHODS = ['DELETE', 'GET', 'HEAD', 'PATCH', 'POST', 'PUT', 'OPTIONS'] as const;
const MiB = 1024 * 1024;

/** The canonical path the access checks matched; never the raw URL the client sent. */
const target = (request: FastifyRequest) => request.gatehouse.match?.path ?? '/';

/**
 * Blob uploads (which can be gigabytes) stream through unread with @fastify/http-proxy, after the
 * same access checks; like every forwarded request, without the client's query string. They go to
 * the local Ollama, where `ollama create` then makes the model.
 */
async function blobProxy(scope: FastifyInstance, deps: ProxyDeps) {
  await scope.register(httpProxy, {
    upstream: '',
    prefix: '/api/blobs',
    disableRequestLogging: true,
    internalRewriteLocationHeader: false,
    undici: { connections: 16, headersTimeout: 0, bodyTimeout: 0 },
    replyOptions: {
      getUpstream: () => deps.settings().upstream,
      queryString: () => '',
      rewriteRequestHeaders: (_request, headers) => forwardedHeaders(headers, new URL(deps.settings().upstream).host),
      rewriteHeaders: (headers) => ({ ...headers, 'x-accel-buffering': 'no' }),
      retryDelay: () => null,
      onError: (reply) => {
        sendProblem(reply, { status: 502, code: 'upstream_unreachable', message: `Ollama is not reachable at ${deps.settings().upstream}. Start Ollama on the Gatehouse computer, or check the upstream setting.` });
      },
    },
    handler: (request, reply, _dest, options) => reply.from(target(request), options),
  });
}

/**
 * The streaming proxy to Ollama. JSON bodies are read whole (so the size limit applies and the
 * model ACL can look inside), then forwarded byte for byte as JSON, the only thing Ollama accepts;
 * responses stream through as they arrive.
 */
export async function proxyPlugin(scope: FastifyInstance, deps: ProxyDeps): Promise<void> {
  const { settings } = deps;
  await scope.register(landingPage);
  await scope.register(cors);
  await scope.register(pauseGate, { settings });
  await scope.register(tokenAuth, deps.auth);
  await scope.register(routeGuard);
  await scope.register(limits, { settings, ...(deps.budgets ? { budgets: deps.budgets } : {}), ...(deps.clock ? { clock: deps.clock } : {}) });
  await scope.register(modelPolicy, { settings, isRemote: (canonical) => deps.metering.isRemoteModel(canonical) });
  await scope.register(upstreamRouting, { hosts: deps.hosts, scheduler: deps.queue.scheduler });
  await scope.register(fairQueue, deps.queue);

  await scope.register((blobs) => blobProxy(blobs, deps));

  const bodyLimit = settings().bodyLimitMiB * MiB;
  await scope.register((api, _options, registered) => {
    api.removeAllContentTypeParsers();
    api.addContentTypeParser('*', { parseAs: 'buffer' }, (request, body, done) => {
      try {
        done(null, decodeBody(body as Buffer, request.headers['content-encoding'], bodyLimit));
      } catch (err) {
        done(err as Error, undefined);
      }
    });
    const forwardDeps = { hosts: deps.hosts, scheduler: deps.queue.scheduler, metering: deps.metering, metered: () => settings().usageMetering };
    const handler = (request: FastifyRequest, reply: FastifyReply) => void forward(request, reply, forwardDeps);
    api.route({ method: [...METHODS], url: '/', handler });
    api.route({ method: [...METHODS], url: '/*', handler });
    registered();
  });
}
