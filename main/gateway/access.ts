import type { FastifyReply, FastifyRequest } from 'fastify';
import { ConcurrencyLimiter, RateLimiter } from '../auth/limits';
import { Lockout } from '../auth/lockout';
import { tokenFingerprint } from '../auth/token-format';
import { credentialFrom, type TokenVerifier } from '../auth/token-verifier';
import type { Settings } from '../config/settings';
import type { SecurityEventKind, SecuritySink } from '../metering/security-events';
import type { TokenRecord } from '../store/tokens-repo';
import type { HostNames } from '../tls/addresses';
import type { ScannedBody } from './model-check';
import { isOwnHost, isSameOrigin } from './admin/guard';
import { plainIp } from './client-address';
import { sendProblem, type Problem } from './problems';
import { matchRoute, normalisePath, pathExists, type MatchedRoute } from './routes';

export interface AccessDeps {
  verifier: TokenVerifier;
  settings: () => Readonly<Settings>;
  isLocalClient: (ip: string) => boolean;
  /** This computer's names and addresses: a tokenless request must name one in Host. */
  hostNames: () => HostNames;
  /** The scheme the gateway serves, for the same-origin check of tokenless requests. */
  scheme: 'http' | 'https';
  security: SecuritySink;
  clock?: () => number;
}

/** What the access checks learned about a request, for the policy, the proxy and metering. */
export interface RequestContext {
  /** Wall-clock arrival (epoch ms) and a monotonic stamp for durations. */
  at: number;
  startedAt: number;
  ip: string;
  local: boolean;
  match?: MatchedRoute;
  /** Absent only when a local request was let through by `trustLoopback`. */
  token?: TokenRecord;
  /** Canonical names of the models the request uses (filled by the policy check). */
  models?: string[];
  /** The body's top level, when the policy had to read it (never a full parse). */
  body?: ScannedBody;
}

declare module 'fastify' {
  interface FastifyRequest {
    gatehouse: RequestContext;
  }
}

export const PAUSED_MESSAGE = 'remote access is paused on this computer';

export interface Access {
  /** Runs the checks; answers and returns true when it refused. */
  check(request: FastifyRequest, reply: FastifyReply): boolean;
  checkMetrics(request: FastifyRequest, reply: FastifyReply): boolean;
  /** Reports a refusal from a later stage (the model ACL) as a security event. */
  refuse(request: FastifyRequest, reply: FastifyReply, kind: SecurityEventKind, problem: Problem): true;
  concurrency: ConcurrencyLimiter;
}

/**
 * The checks every proxied request passes, in order, before any body is read: the pause switch,
 * the lockout of guessing addresses, the token, the route (deny by default), the token's scope,
 * and its rate and concurrency limits.
 */
export function createAccess(deps: AccessDeps): Access {
  const clock = deps.clock ?? Date.now;
  const rate = new RateLimiter(clock);
  const concurrency = new ConcurrencyLimiter();
  const lockout = new Lockout(() => {
    const s = deps.settings();
    return { threshold: s.lockoutThreshold, windowMs: s.lockoutWindowSeconds * 1000, lockMs: s.lockoutSeconds * 1000 };
  }, clock);

  function refuse(request: FastifyRequest, reply: FastifyReply, kind: SecurityEventKind, problem: Problem, extra: { fingerprint?: string } = {}): true {
    const { ip, token, match } = request.gatehouse;
    deps.security({
      at: clock(),
      kind,
      ip,
      ...(token ? { tokenId: token.id, tokenName: token.name } : {}),
      ...extra,
      method: request.method,
      path: match?.path ?? request.url.split('?')[0],
      detail: problem.message,
    });
    return sendProblem(reply, problem);
  }

  /**
   * trustLoopback's conditions beyond "from this computer": the Host names this computer (a page
   * on evil.example that rebinds its name to 127.0.0.1 still sends its own Host), and nothing says
   * a web page sent it (a foreign Origin, or Fetch Metadata saying another site).
   */
  function trustedHere(request: FastifyRequest): boolean {
    return isOwnHost(request.headers.host, deps.hostNames()) && isSameOrigin(request.headers, deps.scheme);
  }

  /**
   * The checks every caller passes first: the pause switch, the lockout, and the token (unless a
   * local client is trusted). Returns true when it refused.
   */
  function admit(request: FastifyRequest, reply: FastifyReply, settings: Readonly<Settings>): boolean {
    const ip = plainIp(request.ip);
    const local = deps.isLocalClient(request.ip);
    const context: RequestContext = { at: clock(), startedAt: performance.now(), ip, local };
    request.gatehouse = context;

    if (settings.paused && !local) {
      return sendProblem(reply, { status: 503, code: 'remote_access_paused', message: PAUSED_MESSAGE, headers: { 'retry-after': '60' } });
    }

    const locked = lockout.state(ip);
    if (locked.locked) {
      return sendProblem(reply, {
        status: 429,
        code: 'locked_out',
        message: `Too many invalid API tokens came from ${ip}. Try again in ${locked.retryAfterSeconds} s with a valid token.`,
        headers: { 'retry-after': String(locked.retryAfterSeconds) },
      });
    }

    const credential = credentialFrom(request.headers);
    if (credential === undefined && local && settings.trustLoopback) {
      if (trustedHere(request)) return false;
      return sendProblem(reply, {
        status: 401,
        code: 'token_missing',
        message: 'Requests without a token are trusted only from programs on this computer, not from web pages or under another host name. Send an API token.',
        headers: { 'www-authenticate': 'Bearer realm="gatehouse"' },
      });
    }
    const verdict = deps.verifier.verify(credential);
    if (verdict.ok) {
      context.token = verdict.token;
      return false;
    }
    const problem: Problem = {
      status: 401,
      code: `token_${verdict.reason}`,
      message: verdict.message,
      headers: { 'www-authenticate': 'Bearer realm="gatehouse"' },
    };
    if (verdict.reason === 'missing') return sendProblem(reply, problem);
    const fingerprint = tokenFingerprint(credential ?? '');
    if (lockout.fail(ip)) {
      deps.security({ at: clock(), kind: 'lockout', ip, fingerprint, detail: `locked out for ${settings.lockoutSeconds} s after ${settings.lockoutThreshold} invalid tokens` });
    }
    return refuse(request, reply, 'auth_failed', problem, { fingerprint });
  }

  /** /metrics: admin tokens, tokens with the metrics permission, or this computer when trusted. */
  function checkMetrics(request: FastifyRequest, reply: FastifyReply): boolean {
    if (admit(request, reply, deps.settings())) return true;
    const token = request.gatehouse.token;
    if (!token || token.scope === 'admin' || token.metrics) return false;
    return refuse(request, reply, 'scope_denied', {
      status: 403,
      code: 'metrics_denied',
      message: `The token "${token.name}" may not read metrics. Create a token with --metrics for your monitoring.`,
    });
  }

  function check(request: FastifyRequest, reply: FastifyReply): boolean {
    if (admit(request, reply, deps.settings())) return true;
    const context = request.gatehouse;

    const normalised = normalisePath(request.url);
    if (!normalised.ok) return sendProblem(reply, { status: 400, code: 'bad_path', message: normalised.message });
    const match = matchRoute(request.method, normalised.path);
    if (!match) {
      return pathExists(normalised.path)
        ? sendProblem(reply, { status: 405, code: 'method_not_allowed', message: `${request.method} is not allowed on ${normalised.path}.` })
        : sendProblem(reply, { status: 404, code: 'not_found', message: `Gatehouse does not forward ${request.method} ${normalised.path}.` });
    }
    context.match = match;

    const token = context.token;
    if (!token) {
      if (match.route.scope !== 'admin') return false;
      return refuse(request, reply, 'scope_denied', {
        status: 403,
        code: 'scope_denied',
        message: `Requests without a token may run models but not manage them (${request.method} ${match.route.pattern} needs an admin token, or use the Gatehouse window or dashboard).`,
      });
    }
    if (match.route.scope === 'admin' && token.scope !== 'admin') {
      return refuse(request, reply, 'scope_denied', {
        status: 403,
        code: 'scope_denied',
        message: `The token "${token.name}" may run models but not manage them (${request.method} ${match.route.pattern} needs an admin token).`,
      });
    }
    if (token.concurrency && concurrency.current(token.id) >= token.concurrency) {
      return refuse(request, reply, 'concurrency_limited', {
        status: 429,
        code: 'concurrency_limit',
        message: `The token "${token.name}" already has ${token.concurrency} request(s) running, its limit. Wait for one to finish.`,
        headers: { 'retry-after': '1' },
      });
    }
    const allowed = rate.take(token.id, token.rpm);
    if (!allowed.ok) {
      return refuse(request, reply, 'rate_limited', {
        status: 429,
        code: 'rate_limit',
        message: `The token "${token.name}" is limited to ${token.rpm} requests per minute. Try again in ${allowed.retryAfterSeconds} s.`,
        headers: { 'retry-after': String(allowed.retryAfterSeconds) },
      });
    }
    concurrency.acquire(token.id, token.concurrency);
    const tokenId = token.id;
    reply.raw.once('close', () => concurrency.release(tokenId));
    return false;
  }

  return { check, checkMetrics, refuse, concurrency };
}
