import type { IncomingHttpHeaders } from 'node:http';
import cookie from '@fastify/cookie';
import httpProxy from '@fastify/http-proxy';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { RateLimiter } from '../auth/limits';
import type { TokenVerifier } from '../auth/token-verifier';
import type { Settings } from '../config/settings';
import type { SecuritySink } from '../metering/security-events';
import type { Store } from '../store/store';
import type { TokenRecord } from '../store/tokens-repo';
import type { HostNames } from '../tls/addresses';
import { isOwnHost } from '../gateway/admin/guard';
import { plainIp } from '../gateway/client-address';
import { STATIC_PAGE_CSP } from '../gateway/security-headers';
import { signinPage } from './signin-page';
import type { WebUsage } from './web-usage';
import { WEB_COOKIE, webRefusal, type WebSessions } from './web-sessions';

export interface WebappGateDeps {
  settings: () => Readonly<Settings>;
  verifier: TokenVerifier;
  sessions: WebSessions;
  store: Store;
  security: SecuritySink;
  hostNames: () => HostNames;
  /** Which clients are this computer: the only ones let in while remote access is paused. */
  isLocalClient: (ip: string) => boolean;
  https?: { key: string; cert: string };
  /** Counts each signed-in request (requests, bytes) per token. */
  usage?: WebUsage;
}

const SIGNIN = '/.gatehouse/signin';
const SIGNOUT = '/.gatehouse/signout';
const COOKIE_OPTIONS = { path: '/', secure: true, httpOnly: true, sameSite: 'lax' as const };

declare module 'fastify' {
  interface FastifyRequest {
    webToken?: TokenRecord;
  }
}

/** The Cookie header without Gatehouse's own cookie: the app's cookies are its business, ours is not. */
function appCookies(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const kept = header.split(';').map((c) => c.trim()).filter((c) => c && !c.startsWith(`${WEB_COOKIE}=`));
  return kept.length ? kept.join('; ') : undefined;
}

/** An identity the app can show: ASCII only, as HTTP headers are. */
const plain = (text: string) => text.normalize('NFKD').replace(/[^\x20-\x7e]/g, '').trim() || 'teammate';
const emailOf = (name: string) => `${plain(name).toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'teammate'}@gatehouse.local`;

/**
 * The headers the app receives: the client's, minus Gatehouse's cookie and any X-Trusted-* or
 * X-Gatehouse-* a client sent (only Gatehouse may say who someone is), plus, when the owner asked
 * for them, who signed in (Open WebUI's WEBUI_AUTH_TRUSTED_EMAIL_HEADER reads the email one).
 */
export function appHeaders(headers: IncomingHttpHeaders, token: TokenRecord | undefined, mode: Settings['webappTrustedHeader']): Record<string, string | string[] | undefined> {
  const out: Record<string, string | string[] | undefined> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (lower.startsWith('x-trusted-') || lower.startsWith('x-gatehouse-') || lower === 'cookie') continue;
    out[lower] = value;
  }
  return { ...out, ...identityHeaders(headers, token, mode) };
}

/** The app's own cookies and who signed in: all a WebSocket to the app carries of the client's. */
function identityHeaders(headers: IncomingHttpHeaders, token: TokenRecord | undefined, mode: Settings['webappTrustedHeader']): Record<string, string> {
  const out: Record<string, string> = {};
  const cookies = appCookies(headers.cookie);
  if (cookies) out.cookie = cookies;
  if (token && mode !== 'off') {
    out['x-trusted-user-name'] = plain(token.name);
    if (mode === 'email') out['x-trusted-user-email'] = emailOf(token.name);
  }
  return out;
}

/**
 * A form from a page of this computer (any port): Fetch Metadata must not say another site, and a
 * real Origin must be one of ours. The invite page sends no referrer, so its Origin is "null";
 * its Sec-Fetch-Site (same-site: same host, another port) still vouches for it.
 */
function sameComputer(headers: IncomingHttpHeaders, names: HostNames): boolean {
  if (headers['sec-fetch-site'] === 'cross-site') return false;
  const origin = headers.origin;
  if (origin === undefined || origin === 'null') return true;
  try {
    const url = new URL(origin);
    return url.protocol === 'https:' && isOwnHost(url.host, names);
  } catch {
    return false;
  }
}

function signinRoutes(app: FastifyInstance, deps: WebappGateDeps): void {
  const limiter = new RateLimiter();
  const page = (reply: FastifyReply, status: number, problem?: string) =>
    reply.code(status).headers({ 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': STATIC_PAGE_CSP, 'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer' }).send(signinPage(problem));

  // The sign-in form, and nothing else: any other body is a 415.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  app.get(SIGNIN, (_request, reply) => page(reply, 200));
  app.post<{ Body: Record<string, string> | undefined }>(SIGNIN, { bodyLimit: 4096 }, async (request, reply) => {
    const ip = plainIp(request.ip);
    const refuse = (status: number, problem: string, token?: TokenRecord) => {
      deps.security({ at: Date.now(), kind: 'web_signin_failed', ip, method: 'POST', path: SIGNIN, detail: problem, ...(token ? { tokenId: token.id, tokenName: token.name } : {}) });
      return page(reply, status, problem);
    };
    if (!limiter.take(`web-signin:${ip}`, 10).ok) return refuse(429, 'Too many sign-in attempts from this address. Wait a minute, then try again.');
    // Only this page and Gatehouse's invite page (same computer, another port) may post here.
    if (!sameComputer(request.headers, deps.hostNames())) return refuse(403, 'Sign in from this page or from your Gatehouse invite, not from another site.');
    const verdict = deps.verifier.verify(typeof request.body?.token === 'string' ? request.body.token.trim() : undefined);
    if (!verdict.ok) return refuse(401, verdict.message, verdict.token);
    const refusal = webRefusal(verdict.token, Date.now());
    if (refusal) return refuse(403, refusal, verdict.token);
    const value = await deps.sessions.open(verdict.token);
    deps.store.audited({ actor: 'api', action: 'webapp.signed_in', target: verdict.token.name, detail: `from ${ip}` }, () => undefined);
    return reply.setCookie(WEB_COOKIE, value, COOKIE_OPTIONS).code(303).header('location', '/').header('cache-control', 'no-store').send();
  });
  const signout = async (request: FastifyRequest, reply: FastifyReply) => {
    const session = await deps.sessions.check(request.cookies[WEB_COOKIE]);
    if (session) deps.sessions.end(session.sid);
    return reply.clearCookie(WEB_COOKIE, COOKIE_OPTIONS).code(303).header('location', SIGNIN).header('cache-control', 'no-store').send();
  };
  app.get(SIGNOUT, signout);
  app.post(SIGNOUT, signout);
}

/**
 * The web app Gatehouse guards (Open WebUI, say), on a port of its own with the gateway's
 * certificate: nobody reaches it without signing in with a token that has the web permission;
 * every method, streams and WebSockets pass through; a revoked token is signed out at once.
 */
export async function buildWebappGate(deps: WebappGateDeps): Promise<FastifyInstance> {
  // The app decides what bodies it takes; Gatehouse only passes them on (http-proxy streams them).
  const app = Fastify({ logger: false, trustProxy: false, ...(deps.https ? { https: deps.https } : {}), bodyLimit: 1024 * 1024 * 1024 } as unknown as { https: null });
  await app.register(cookie);
  app.addHook('onRequest', async (request, reply) => {
    if (!isOwnHost(request.headers.host, deps.hostNames())) {
      return reply.code(421).type('text/plain; charset=utf-8').send("This web app answers only to the Gatehouse computer's own names and addresses.");
    }
    if (deps.settings().paused && !deps.isLocalClient(request.ip)) {
      return reply.code(503).header('retry-after', '60').type('text/plain; charset=utf-8').send('Remote access is paused on the Gatehouse computer: the web app is too. Ask its owner to resume it.');
    }
    // The router's own match decides, not the raw URL.
    const route = request.routeOptions.url;
    if (route === SIGNIN || route === SIGNOUT) return;
    const session = await deps.sessions.check(request.cookies[WEB_COOKIE]);
    if (!session) {
      if (request.method === 'GET' && /text\/html/.test(request.headers.accept ?? '')) return reply.code(302).header('location', SIGNIN).header('cache-control', 'no-store').send();
      return reply.code(401).header('cache-control', 'no-store').send({ error: `Sign in first at ${SIGNIN} with a Gatehouse token that may open the web app.` });
    }
    if (session.renewed) void reply.setCookie(WEB_COOKIE, session.renewed, COOKIE_OPTIONS);
    request.webToken = session.token;
    if (request.headers.upgrade) deps.sessions.track(session.token.id, request.raw.socket);
  });
  // Each in a scope of its own: the sign-in form's parser must never touch the app's own bodies.
  await app.register((scope, _options, done) => {
    signinRoutes(scope, deps);
    done();
  });
  const upstream = () => deps.settings().webappUpstream;
  await app.register(async (scope) => scope.register(httpProxy, {
    upstream: '',
    prefix: '/',
    websocket: true,
    undici: { connections: 64, headersTimeout: 60_000, bodyTimeout: 0 },
    replyOptions: {
      getUpstream: () => upstream(),
      rewriteRequestHeaders: (request, headers) => appHeaders(headers, request.webToken, deps.settings().webappTrustedHeader),
      onError: (reply) => {
        void reply.code(502).type('text/plain; charset=utf-8').send(`The web app at ${upstream()} is not answering. Start it on the Gatehouse computer, or check: gatehouse webapp status`);
      },
    },
    // The plugin reads rewriteRequestHeaders here at run time; its types do not list it yet.
    wsClientOptions: {
      rewriteRequestHeaders: (headers: Record<string, string>, request: FastifyRequest) => ({ ...headers, ...identityHeaders(request.headers, request.webToken, deps.settings().webappTrustedHeader) }),
    } as object,
  }));
  app.addHook('onResponse', (request, reply, done) => {
    if (request.webToken) deps.usage?.count(request.webToken, Number(request.headers['content-length'] ?? 0) || 0, Number(reply.getHeader('content-length') ?? 0) || 0);
    done();
  });
  const unsubscribe = deps.store.onChange(() => deps.sessions.sweep());
  app.addHook('onClose', (_app, done) => {
    unsubscribe();
    done();
  });
  return app;
}
