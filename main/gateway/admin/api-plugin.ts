import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { EVENT_NAMES } from '../../../preload/contract';
import type { AdminAccount } from '../../auth/admin-account';
import type { AdminLockout } from '../../auth/admin-lockout';
import type { AdminSessions, SignedIn } from '../../auth/admin-sessions';
import { errorBody, type ControlApi } from '../../control/control-api';
import { GatehouseError, statusOf } from '../../errors';
import type { Logger } from '../../log';
import type { SecurityEventKind } from '../../metering/security-events';
import { cookieNames, cookieOptions } from './cookies';
import { isSameOrigin } from './guard';
import { signInRoutes } from './sign-in';

export interface AdminApiDeps {
  control: ControlApi;
  sessions: AdminSessions;
  account: AdminAccount;
  lockout: AdminLockout;
  isLocalClient: (ip: string) => boolean;
  tls: boolean;
  log: Logger;
  refuse: (request: FastifyRequest, reply: FastifyReply, kind: SecurityEventKind | null, err: GatehouseError) => unknown;
}

declare module 'fastify' {
  interface FastifyRequest {
    adminSession?: SignedIn;
  }
  interface FastifyContextConfig {
    /** A dashboard API route reachable without a session (signing in). Every other route needs one. */
    open?: boolean;
  }
}

const CSRF_HEADER = 'x-gatehouse-csrf';
/** How far a dashboard's event stream may fall behind before it is closed. */
const MAX_BEHIND_BYTES = 4 * 1024 * 1024;

/**
 * The dashboard API, registered under the prefix /admin/api. Its hook guards every route this
 * plugin owns, whatever spelling of the URL the router matched: a session cookie is required
 * unless the matched route's own config marks it open; a state change also needs the session's
 * CSRF header and no foreign Origin.
 */
export function adminApiPlugin(api: FastifyInstance, deps: AdminApiDeps, done: () => void): void {
  api.setErrorHandler((error: FastifyError, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 500) deps.log.error(`Dashboard API error on ${request.method} ${request.routeOptions.url ?? '?'}`, error);
    const err = status >= 500 ? error : new GatehouseError(status === 413 ? 'BODY_TOO_LARGE' : 'BAD_USAGE', `The request could not be read: ${error.message}`);
    return reply.code(status >= 500 ? 500 : status).send(errorBody(err));
  });

  api.addHook('onRequest', async (request, reply) => {
    void reply.header('cache-control', 'no-store');
    const changing = request.method !== 'GET' && request.method !== 'HEAD';
    if (changing && !isSameOrigin(request.headers, deps.tls ? 'https' : 'http')) {
      return deps.refuse(request, reply, 'admin_refused', new GatehouseError('CROSS_SITE', 'This request came from another website, so it was refused.', 'Use the dashboard itself.'));
    }
    if (request.routeOptions.config.open === true) return;
    const names = cookieNames(deps.tls, request);
    const cookie = request.cookies[names.session];
    try {
      request.adminSession = await deps.sessions.verify(cookie);
    } catch (err) {
      if (err instanceof GatehouseError) return deps.refuse(request, reply, cookie ? 'admin_auth_failed' : null, err);
      throw err;
    }
    if (changing && request.headers[CSRF_HEADER] !== request.adminSession.csrf) {
      return deps.refuse(request, reply, 'admin_refused', new GatehouseError('CSRF', 'This request lacks the dashboard\'s anti-forgery header, so it was refused.', 'Reload the dashboard.'));
    }
    if (request.adminSession.cookie) void reply.setCookie(names.session, request.adminSession.cookie, { ...cookieOptions(deps.tls), httpOnly: true });
  });

  signInRoutes(api, deps);

  api.get('/session', (request) => ({ signedIn: true, csrfCookie: cookieNames(deps.tls, request).csrf, sessionId: request.adminSession?.sessionId }));

  api.delete('/session', (request, reply) => {
    if (request.adminSession) deps.sessions.signOut(request.adminSession.sessionId);
    const names = cookieNames(deps.tls, request);
    void reply.clearCookie(names.session, cookieOptions(deps.tls)).clearCookie(names.csrf, cookieOptions(deps.tls));
    return { signedIn: false };
  });

  eventStream(api, deps.control);

  api.post<{ Params: { operation: string } }>('/:operation', { bodyLimit: 64 * 1024 }, async (request, reply) => {
    try {
      return await deps.control.call(request.params.operation, request.body ?? {}, deps.isLocalClient(request.ip) ? 'window' : 'remote-admin');
    } catch (err) {
      if (!(err instanceof GatehouseError)) deps.log.error(`Dashboard operation ${request.params.operation} failed.`, err);
      const body = errorBody(err);
      return reply.code(statusOf(body.error.code)).send(body);
    }
  });
  done();
}

/**
 * GET /events: the ControlApi's events as server-sent events, for as long as the dashboard is
 * open, with a heartbeat so proxies and browsers keep the connection.
 */
function eventStream(api: FastifyInstance, control: ControlApi): void {
  // One serialisation per event for every open dashboard, not one per dashboard.
  const frames = new WeakMap<object, string>();
  const frame = (event: string, data: unknown) => {
    if (typeof data !== 'object' || data === null) return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    let text = frames.get(data);
    if (text === undefined) frames.set(data, (text = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
    return text;
  };

  api.get('/events', (request, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
    let congested = false;
    res.on('drain', () => (congested = false));
    // A dashboard that does not read: live snapshots (each replaces the last) wait for it, and one
    // that falls far behind is closed; its browser reconnects and loads afresh.
    const send = (event: string, data: unknown) => {
      if (congested && event === 'live') return;
      if (res.writableLength > MAX_BEHIND_BYTES) return void res.destroy();
      if (!res.write(frame(event, data))) congested = true;
    };
    const offs = EVENT_NAMES.map((name) => control.on(name, (payload) => send(name, payload)));
    const heartbeat = setInterval(() => res.write(': still here\n\n'), 15_000);
    send('hello', { at: Date.now() });
    res.once('close', () => {
      clearInterval(heartbeat);
      for (const off of offs) off();
    });
  });
}
