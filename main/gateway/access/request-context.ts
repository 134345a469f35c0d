import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { SecurityEventKind, SecuritySink } from '../../metering/security-events';
import type { TokenRecord } from '../../store/tokens-repo';
import { plainIp } from '../client-address';
import type { ScannedBody } from '../model-check';
import type { Client, Grant } from '../scheduler';
import { sendProblem, type Problem } from '../problems';
import { matchRoute, normalisePath, type MatchedRoute } from '../routes';

/** What the access checks learned about a request, for the policy, the proxy and metering. */
export interface RequestContext {
  /** Wall-clock arrival (epoch ms) and a monotonic stamp for durations. */
  at: number;
  startedAt: number;
  ip: string;
  local: boolean;
  /** The canonical path, or why the raw one cannot be read as one. Computed once, here. */
  path: ReturnType<typeof normalisePath>;
  /** The route the canonical path names; absent when Gatehouse forwards nothing there. */
  match?: MatchedRoute;
  /** Absent only when a local request was let through by `trustLoopback`. */
  token?: TokenRecord;
  /** Canonical names of the models the request uses (filled by the model policy). */
  models?: string[];
  /** The body's top level, when the policy had to read it (never a full parse). */
  body?: ScannedBody;
  /** With several Ollama hosts: those that can serve the request, best first (absent: the local one). */
  candidates?: readonly string[];
  /** The host the request went to (set when it is sent; a failover changes it). */
  upstream?: string;
  /** The scheduler slot the request holds, and for whom, so a failover can take one elsewhere. */
  slot?: { grant: Extract<Grant, { ok: true }>; client: Client };
}

declare module 'fastify' {
  interface FastifyRequest {
    gatehouse: RequestContext;
  }
  interface FastifyReply {
    /** Answers with the problem and records it as a security event; returns the reply for `return`. */
    refuse(kind: SecurityEventKind, problem: Problem, extra?: RefusalDetail): FastifyReply;
  }
}

/** What a refusal's security event may name beyond the request: the credential's fingerprint, the token it belongs to. */
export interface RefusalDetail {
  fingerprint?: string;
  tokenId?: string;
  tokenName?: string;
}

export interface RequestContextOptions {
  isLocalClient: (ip: string) => boolean;
  security: SecuritySink;
  clock?: () => number;
}

export const REQUEST_CONTEXT = 'gatehouse-request-context';

/**
 * Gives every request of the scope its context: arrival, client address, "from this computer",
 * and the route its canonical path matches, so that no later check reads the raw URL again.
 * `reply.refuse` answers a refusal and reports it as a security event.
 */
export const requestContext = fp(
  (scope: FastifyInstance, options: RequestContextOptions, done: () => void) => {
    const clock = options.clock ?? Date.now;
    scope.decorateRequest('gatehouse', null as never);
    scope.decorateReply('refuse', function refuse(this: FastifyReply, kind: SecurityEventKind, problem: Problem, extra: RefusalDetail = {}) {
      const { ip, token, match, path } = this.request.gatehouse;
      options.security({
        at: clock(),
        kind,
        ip,
        ...(token ? { tokenId: token.id, tokenName: token.name } : {}),
        ...extra,
        method: this.request.method,
        // For the log only: the matched route, else the canonical path, else (unreadable) the raw one, cut short.
        path: match?.path ?? (path.ok ? path.path : this.request.url.split('?')[0]!.slice(0, 200)),
        detail: problem.message,
      });
      sendProblem(this, problem);
      return this;
    });
    scope.addHook('onRequest', (request: FastifyRequest, _reply, next) => {
      const path = normalisePath(request.url);
      const match = path.ok ? matchRoute(request.method, path.path) : undefined;
      request.gatehouse = { at: clock(), startedAt: performance.now(), ip: plainIp(request.ip), local: options.isLocalClient(request.ip), path, ...(match ? { match } : {}) };
      next();
    });
    done();
  },
  { name: REQUEST_CONTEXT, fastify: '5.x' },
);
