import httpProxy from '@fastify/http-proxy';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { aclFor } from '../auth/model-acl';
import { parseRegistryList } from '../auth/registries';
import type { Settings } from '../config/settings';
import type { Metering } from '../metering/metering';
import type { Access } from './access';
import { BodyBudget } from './body-budget';
import { decodeBody } from './body-encoding';
import { handleCors } from './cors';
import { forward } from './forward';
import { checkModels } from './model-check';
import { sendProblem } from './problems';
import { forwardedHeaders, Upstreams } from './upstream';

export interface ProxyDeps {
  settings: () => Readonly<Settings>;
  access: Access;
  metering: Metering;
}

const METHODS = ['DELETE', 'GET', 'HEAD', 'PATCH', 'POST', 'PUT', 'OPTIONS'] as const;
const MiB = 1024 * 1024;

/** Counts a body against the memory budget before it is read; answers and returns false when it must wait. */
function reserveBody(request: FastifyRequest, reply: FastifyReply, budget: BodyBudget, bodyLimit: number): boolean {
  const declared = request.headers['content-length'];
  if (declared === undefined && request.headers['transfer-encoding'] === undefined) return true;
  // A chunked body may grow to the limit, so it is counted at the limit.
  const bytes = declared === undefined ? bodyLimit : Math.min(bodyLimit, Number(declared) || 0);
  if (bytes === 0) return true;
  const key = request.gatehouse.token?.id ?? `ip:${request.gatehouse.ip}`;
  const verdict = budget.reserve(key, bytes);
  if (verdict === 'ok') {
    reply.raw.once('close', () => budget.release(key, bytes));
    return true;
  }
  sendProblem(reply, verdict === 'everyone'
    ? { status: 503, code: 'busy', message: 'Gatehouse is reading many large requests right now. Try again in a few seconds.', headers: { 'retry-after': '5' } }
    : { status: 429, code: 'too_many_large_bodies', message: 'This client already has several large requests in flight. Wait for one to finish.', headers: { 'retry-after': '5' } });
  return false;
}

/** The canonical path the access checks matched; never the raw URL the client sent. */
const target = (request: FastifyRequest) => request.gatehouse.match?.path ?? '/';

/**
 * Blob uploads (which can be gigabytes) stream through unread with @fastify/http-proxy, after the
 * same access checks; like every forwarded request, without the client's query string.
 */
async function blobProxy(scope: FastifyInstance, deps: ProxyDeps, checkAccess: (request: FastifyRequest, reply: FastifyReply, done: () => void) => void) {
  scope.addHook('onRequest', checkAccess);
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
  let registryList = { text: '', hosts: [] as string[] };
  const registries = () => {
    const text = deps.settings().registryAllowList;
    if (text !== registryList.text) registryList = { text, hosts: parseRegistryList(text) };
    return registryList.hosts;
  };
  const isRemote = (canonical: string) => deps.metering.isRemoteModel(canonical);
  const checkAccess = (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
    if (!handleCors(request, reply) && !deps.access.check(request, reply)) done();
  };
  const bodyLimit = deps.settings().bodyLimitMiB * MiB;
  // Sixteen full-size bodies in all, four per token: room for a team's image chats, not for a flood.
  const budget = new BodyBudget(16 * bodyLimit, 4 * bodyLimit);
  const checkAccessAndBudget = (request: FastifyRequest, reply: FastifyReply, done: () => void) =>
    checkAccess(request, reply, () => {
      if (reserveBody(request, reply, budget, bodyLimit)) done();
    });

  await scope.register((blobs) => blobProxy(blobs, deps, checkAccess));

  const upstreams = new Upstreams();
  scope.addHook('onClose', () => upstreams.close());
  await scope.register((api, _options, registered) => {
    api.removeAllContentTypeParsers();
    api.addContentTypeParser('*', { parseAs: 'buffer' }, (request, body, done) => {
      try {
        done(null, decodeBody(body as Buffer, request.headers['content-encoding'], bodyLimit));
      } catch (err) {
        done(err as Error, undefined);
      }
    });
    api.addHook('onRequest', checkAccessAndBudget);
    api.addHook('preHandler', (request, reply, done) => {
      const context = request.gatehouse;
      const match = context.match;
      if (!match?.route.models && !match?.route.cloud) return done();
      const body = Buffer.isBuffer(request.body) ? request.body : undefined;
      const policy = { acl: aclFor(context.token), tokenName: context.token?.name ?? 'this computer', registries: registries(), isRemote };
      const verdict = checkModels(match.route, match.params, body, policy);
      if (!verdict.ok) {
        if (verdict.problem.status === 403) deps.access.refuse(request, reply, verdict.problem.code === 'model_denied' ? 'model_denied' : 'scope_denied', verdict.problem);
        else sendProblem(reply, verdict.problem);
        return;
      }
      context.models = verdict.models;
      if (verdict.body) context.body = verdict.body;
      done();
    });
    const forwardDeps = { upstreams, upstream: () => deps.settings().upstream, metering: deps.metering, metered: () => deps.settings().usageMetering };
    const handler = (request: FastifyRequest, reply: FastifyReply) => void forward(request, reply, forwardDeps);
    api.route({ method: [...METHODS], url: '/', handler });
    api.route({ method: [...METHODS], url: '/*', handler });
    registered();
  });
}
