import { existsSync } from 'node:fs';
import { join } from 'node:path';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { EVENT_NAMES } from '../../../preload/contract';
import type { AdminAccount } from '../../auth/admin-account';
import { AdminLockout } from '../../auth/admin-lockout';
import type { AdminSessions, SignedIn } from '../../auth/admin-sessions';
import { inCidrList, parseCidrList, type Cidr } from '../../config/cidr';
import type { Settings } from '../../config/settings';
import { errorBody, type ControlApi } from '../../control/control-api';
import { GatehouseError } from '../../errors';
import type { Logger } from '../../log';
import type { SecurityEventKind, SecuritySink } from '../../metering/security-events';
import type { HostNames } from '../../tls/addresses';
import { plainIp } from '../client-address';
import { HELMET_OPTIONS } from '../security-headers';
import { isOwnHost, isSameOrigin, statusOf } from './guard';

export interface AdminDeps {
  control: ControlApi;
  sessions: AdminSessions;
  account: AdminAccount;
  settings: () => Readonly<Settings>;
  isLocalClient: (ip: string) => boolean;
  hostNames: () => HostNames;
  /** The built dashboard (index.html and assets); null when it was not built. */
  rendererDir: string | null;
  /** false when the gateway serves plain HTTP on loopback (`--no-tls`). */
  tls: boolean;
  security: SecuritySink;
  log: Logger;
}

declare module 'fastify' {
  interface FastifyRequest {
    adminSession?: SignedIn;
  }
}

const CSRF_HEADER = 'x-gatehouse-csrf';
/** API routes reachable without a session: signing in, and asking how to. */
const OPEN_ROUTES = new Set(['POST /admin/api/session', 'POST /admin/api/login', 'GET /admin/api/login-info']);

/**
 * The dashboard at /admin/ and its API at /admin/api/<operation>, over the same ControlApi as the
 * window's IPC. In order, every request must: name this computer in Host (DNS rebinding), come
 * from this computer (until remote sign-in exists), and, for the API, carry a valid session
 * cookie; a state change must also carry the session's CSRF header and no foreign Origin.
 */
export async function adminPlugin(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  const scheme = deps.tls ? 'https' : 'http';
  // __Host- cookies must be Secure; plain HTTP is allowed on loopback only, where no prefix is needed.
  const names = deps.tls ? { session: '__Host-gatehouse-session', csrf: '__Host-gatehouse-csrf' } : { session: 'gatehouse-session', csrf: 'gatehouse-csrf' };
  const cookieOptions = { path: '/', secure: deps.tls, sameSite: 'strict' as const };

  await app.register(cookie);
  await app.register(helmet, HELMET_OPTIONS);

  const lockout = new AdminLockout();
  let allowList = { text: '', ranges: [] as Cidr[] };
  /** Why a client on another computer may not reach the dashboard, or null when it may. */
  const remoteAccess = (ip: string): GatehouseError | null => {
    const settings = deps.settings();
    if (!settings.remoteAdmin) {
      return new GatehouseError('ADMIN_LOCAL_ONLY', 'The Gatehouse dashboard can only be opened on the Gatehouse computer itself.', 'Open it there, or turn on remote administration (Settings, or: gatehouse admin enable-remote).');
    }
    if (allowList.text !== settings.adminAllowList) allowList = { text: settings.adminAllowList, ranges: parseCidrList(settings.adminAllowList) };
    if (!inCidrList(ip, allowList.ranges)) {
      return new GatehouseError('ADMIN_ADDRESS_REFUSED', `Remote administration is not allowed from ${plainIp(ip)}.`, 'Add its range to the admin allow-list in Settings on the Gatehouse computer.');
    }
    return null;
  };

  const refuse = (request: FastifyRequest, reply: FastifyReply, status: number, kind: SecurityEventKind | null, err: GatehouseError) => {
    if (kind) deps.security({ at: Date.now(), kind, ip: plainIp(request.ip), method: request.method, path: request.url.split('?')[0]!.slice(0, 200), detail: err.message });
    void reply.code(status).header('cache-control', 'no-store').send(errorBody(err));
  };

  app.addHook('onRequest', async (request, reply) => {
    if (!isOwnHost(request.headers.host, deps.hostNames())) {
      return refuse(request, reply, 421, 'admin_refused', new GatehouseError('FOREIGN_HOST', `This dashboard answers only to this computer's own names and addresses, not to "${String(request.headers.host ?? '').slice(0, 100)}".`, 'Open it at https://localhost:<port>/admin/ on the Gatehouse computer.'));
    }
    const remoteRefusal = deps.isLocalClient(request.ip) ? null : remoteAccess(request.ip);
    if (remoteRefusal) return refuse(request, reply, 403, 'admin_refused', remoteRefusal);
    if (!request.url.startsWith('/admin/api/')) return;
    void reply.header('cache-control', 'no-store');
    const changing = request.method !== 'GET' && request.method !== 'HEAD';
    if (changing && !isSameOrigin(request.headers, scheme)) {
      return refuse(request, reply, 403, 'admin_refused', new GatehouseError('CROSS_SITE', 'This request came from another website, so it was refused.', 'Use the dashboard itself.'));
    }
    if (OPEN_ROUTES.has(`${request.method} ${request.url}`)) return;
    try {
      request.adminSession = await deps.sessions.verify(request.cookies[names.session]);
    } catch (err) {
      if (err instanceof GatehouseError) return refuse(request, reply, 401, request.cookies[names.session] ? 'admin_auth_failed' : null, err);
      throw err;
    }
    if (changing && request.headers[CSRF_HEADER] !== request.adminSession.csrf) {
      return refuse(request, reply, 403, 'admin_refused', new GatehouseError('CSRF', 'This request lacks the dashboard\'s anti-forgery header, so it was refused.', 'Reload the dashboard.'));
    }
    if (request.adminSession.cookie) void reply.setCookie(names.session, request.adminSession.cookie, { ...cookieOptions, httpOnly: true });
  });

  app.post<{ Body: { code?: unknown } }>('/admin/api/session', { bodyLimit: 4096 }, async (request, reply) => {
    try {
      const signedIn = await deps.sessions.redeem(request.body?.code, { ip: plainIp(request.ip), userAgent: String(request.headers['user-agent'] ?? '') });
      void reply.setCookie(names.session, signedIn.cookie, { ...cookieOptions, httpOnly: true });
      void reply.setCookie(names.csrf, signedIn.csrf, { ...cookieOptions, httpOnly: false });
      return { signedIn: true, csrfCookie: names.csrf };
    } catch (err) {
      if (err instanceof GatehouseError) return refuse(request, reply, statusOf(err.code), 'admin_auth_failed', err);
      throw err;
    }
  });

  app.get('/admin/api/login-info', (request) => ({ remoteAdmin: deps.account.status().enabled, local: deps.isLocalClient(request.ip) }));

  app.post<{ Body: { password?: unknown; code?: unknown } }>('/admin/api/login', { bodyLimit: 4096 }, async (request, reply) => {
    const ip = plainIp(request.ip);
    const wait = lockout.retryAfter(ip);
    if (wait > 0) {
      void reply.header('retry-after', String(Math.ceil(wait / 1000)));
      return refuse(request, reply, 429, 'admin_auth_failed', new GatehouseError('SIGN_IN_LOCKED', `Too many failed sign-ins from this address. Try again in ${Math.ceil(wait / 1000)} seconds.`));
    }
    try {
      const factor = await deps.account.verifySignIn(request.body?.password, request.body?.code);
      lockout.succeeded(ip);
      const local = deps.isLocalClient(request.ip);
      const signedIn = await deps.sessions.open({ ip, userAgent: String(request.headers['user-agent'] ?? '') }, local ? 'window' : 'remote-admin', `password + ${factor === 'totp' ? 'authenticator code' : 'recovery code'}`);
      void reply.setCookie(names.session, signedIn.cookie, { ...cookieOptions, httpOnly: true });
      void reply.setCookie(names.csrf, signedIn.csrf, { ...cookieOptions, httpOnly: false });
      return { signedIn: true, csrfCookie: names.csrf, via: factor };
    } catch (err) {
      if (!(err instanceof GatehouseError)) throw err;
      const locked = err.code === 'SIGN_IN_FAILED' ? lockout.failed(ip) : 0;
      if (locked) void reply.header('retry-after', String(Math.ceil(locked / 1000)));
      return refuse(request, reply, locked ? 429 : err.code === 'REMOTE_ADMIN_OFF' ? 403 : 401, 'admin_auth_failed', locked ? new GatehouseError('SIGN_IN_LOCKED', `${err.message} Too many failed sign-ins from this address: try again in ${Math.ceil(locked / 1000)} seconds.`) : err);
    }
  });

  app.get('/admin/api/session', (request) => ({ signedIn: true, csrfCookie: names.csrf, sessionId: request.adminSession?.sessionId }));

  app.delete('/admin/api/session', (request, reply) => {
    if (request.adminSession) deps.sessions.signOut(request.adminSession.sessionId);
    void reply.clearCookie(names.session, cookieOptions).clearCookie(names.csrf, cookieOptions);
    return { signedIn: false };
  });

  app.get('/admin/api/events', (request, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
    const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    const offs = EVENT_NAMES.map((name) => deps.control.on(name, (payload) => send(name, payload)));
    const heartbeat = setInterval(() => res.write(': still here\n\n'), 15_000);
    send('hello', { at: Date.now() });
    request.raw.once('close', () => {
      clearInterval(heartbeat);
      for (const off of offs) off();
    });
  });

  app.post<{ Params: { operation: string } }>('/admin/api/:operation', { bodyLimit: 64 * 1024 }, async (request, reply) => {
    try {
      return await deps.control.call(request.params.operation, request.body ?? {}, deps.isLocalClient(request.ip) ? 'window' : 'remote-admin');
    } catch (err) {
      if (!(err instanceof GatehouseError)) deps.log.error(`Dashboard operation ${request.params.operation} failed.`, err);
      const body = errorBody(err);
      return reply.code(statusOf(body.error.code)).send(body);
    }
  });

  app.get('/admin', (_request, reply) => reply.redirect('/admin/', 302));
  if (deps.rendererDir && existsSync(join(deps.rendererDir, 'index.html'))) {
    await app.register(fastifyStatic, { root: deps.rendererDir, prefix: '/admin/', index: 'index.html', wildcard: true, decorateReply: false, cacheControl: false, setHeaders: (res) => void res.header('cache-control', 'no-cache') });
  } else {
    app.get('/admin/*', (_request, reply) =>
      reply.code(503).type('text/plain; charset=utf-8').send('The Gatehouse dashboard has not been built. Run: npm run build (in the Gatehouse folder), then reload.'),
    );
  }
}
