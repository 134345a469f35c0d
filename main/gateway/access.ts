import type { FastifyReply, FastifyRequest } from 'fastify';
import { credentialFrom, type TokenVerifier } from '../auth/token-verifier';
import type { Settings } from '../config/settings';
import type { TokenRecord } from '../store/tokens-repo';
import { sendProblem } from './problems';
import { matchRoute, normalisePath, pathExists, type MatchedRoute } from './routes';

export interface AccessDeps {
  verifier: TokenVerifier;
  settings: () => Readonly<Settings>;
  isLocalClient: (ip: string) => boolean;
}

/** What the access checks learned about a request, for the proxy and (later) metering. */
export interface RequestContext {
  local: boolean;
  match?: MatchedRoute;
  /** Absent only when a local request was let through by `trustLoopback`. */
  token?: TokenRecord;
}

declare module 'fastify' {
  interface FastifyRequest {
    gatehouse: RequestContext;
  }
}

export const PAUSED_MESSAGE = 'remote access is paused on this computer';

/**
 * The checks every proxied request passes, in order, before any body is read: the pause switch,
 * the token, the route (deny by default), and the token's scope. Returns true when it refused
 * (and has answered).
 */
export function createAccessHook(deps: AccessDeps) {
  return function access(request: FastifyRequest, reply: FastifyReply): boolean {
    const settings = deps.settings();
    const local = deps.isLocalClient(request.ip);
    const context: RequestContext = { local };
    request.gatehouse = context;

    if (settings.paused && !local) {
      return sendProblem(reply, { status: 503, code: 'remote_access_paused', message: PAUSED_MESSAGE, headers: { 'retry-after': '60' } });
    }

    if (!(local && settings.trustLoopback)) {
      const verdict = deps.verifier.verify(credentialFrom(request.headers));
      if (!verdict.ok) {
        return sendProblem(reply, {
          status: 401,
          code: `token_${verdict.reason}`,
          message: verdict.message,
          headers: { 'www-authenticate': 'Bearer realm="gatehouse"' },
        });
      }
      context.token = verdict.token;
    }

    const normalised = normalisePath(request.url);
    if (!normalised.ok) return sendProblem(reply, { status: 400, code: 'bad_path', message: normalised.message });
    const match = matchRoute(request.method, normalised.path);
    if (!match) {
      return pathExists(normalised.path)
        ? sendProblem(reply, { status: 405, code: 'method_not_allowed', message: `${request.method} is not allowed on ${normalised.path}.` })
        : sendProblem(reply, { status: 404, code: 'not_found', message: `Gatehouse does not forward ${request.method} ${normalised.path}.` });
    }
    context.match = match;

    if (match.route.scope === 'admin' && context.token && context.token.scope !== 'admin') {
      return sendProblem(reply, {
        status: 403,
        code: 'scope_denied',
        message: `The token "${context.token.name}" may run models but not manage them (${request.method} ${match.route.pattern} needs an admin token).`,
      });
    }
    return false;
  };
}
