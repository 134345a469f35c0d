import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Settings } from '../config/settings';
import { tokenAuth, type TokenAuthOptions } from './access';
import { sendProblem } from './problems';
import { targetProblem } from './request-target';
import { matchRoute, normalisePath } from './routes';

const header = (request: FastifyRequest, ...names: string[]) => {
  for (const name of names) {
    const value = request.headers[name];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
};

/** The request the proxy asks about: nginx sends X-Original-*, Caddy and Traefik X-Forwarded-*. */
interface Original {
  method: string;
  url: string;
  path: string;
}

function originalRequest(request: FastifyRequest): Original | { problem: string } {
  const method = (header(request, 'x-original-method', 'x-forwarded-method') ?? 'GET').toUpperCase();
  const url = header(request, 'x-original-uri', 'x-forwarded-uri') ?? '/';
  if (!/^[A-Z]{1,20}$/.test(method)) return { problem: 'The proxy sent a method Gatehouse cannot read in X-Original-Method / X-Forwarded-Method.' };
  const problem = targetProblem(url);
  if (problem) return { problem: `The original request cannot be read: ${problem}` };
  const path = normalisePath(url);
  if (!path.ok) return { problem: `The original request cannot be read: ${path.message}` };
  return { method, url, path: path.path };
}

/**
 * GET /gatehouse/v1/verify: forward-auth for reverse proxies that front something else (nginx
 * `auth_request`, Caddy `forward_auth`, Traefik `ForwardAuth`). 200 with the token's name and
 * scope for a valid token, 401 otherwise, 403 when the original request is one of Ollama's that
 * needs an admin token, or cannot be read (proxies read any other status as their own error).
 * Tokenless local requests are never trusted here: the proxy is local, the person behind it is not.
 */
export async function verifyRoute(scope: FastifyInstance, deps: { auth: TokenAuthOptions; settings: () => Readonly<Settings> }): Promise<void> {
  // Read once, in the first hook; token-auth and the handler use what it read.
  const originals = new WeakMap<FastifyRequest, Original>();
  const forwarded = (request: FastifyRequest) => originals.get(request) ?? null;
  // This scope holds only the verify route, so its hooks run for nothing else.
  scope.addHook('onRequest', (request, reply, next) => {
    const original = originalRequest(request);
    if ('problem' in original) return void sendProblem(reply, { status: 403, code: 'bad_original_request', message: original.problem });
    originals.set(request, original);
    if (deps.settings().paused) return void sendProblem(reply, { status: 403, code: 'paused', message: 'Remote access is paused on the Gatehouse computer, and so is what it guards.' });
    next();
  });
  await scope.register(tokenAuth, { ...deps.auth, forwarded });
  const verify = (request: FastifyRequest, reply: FastifyReply) => {
    const token = request.gatehouse.token!;
    const original = forwarded(request)!;
    const route = matchRoute(original.method, original.path)?.route;
    if (route?.scope === 'admin' && token.scope !== 'admin') {
      return reply.refuse('scope_denied', { status: 403, code: 'scope_denied', message: `The token "${token.name}" may run models but not manage them (${original.method} ${route.pattern} needs an admin token).` });
    }
    return reply.code(200).headers({ 'cache-control': 'no-store', 'x-gatehouse-token': token.name, 'x-gatehouse-token-id': token.id, 'x-gatehouse-scope': token.scope }).send();
  };
  scope.get('/gatehouse/v1/verify', verify);
}
