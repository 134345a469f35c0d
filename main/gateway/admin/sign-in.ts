import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AdminAccount } from '../../auth/admin-account';
import { BUSY, CheckQueue } from '../../auth/check-queue';
import type { AdminLockout } from '../../auth/admin-lockout';
import type { AdminSessions } from '../../auth/admin-sessions';
import { GatehouseError } from '../../errors';
import type { SecurityEventKind } from '../../metering/security-events';
import { plainIp } from '../client-address';
import { cookieNames, cookieOptions } from './cookies';

export interface SignInDeps {
  sessions: AdminSessions;
  account: AdminAccount;
  lockout: AdminLockout;
  isLocalClient: (ip: string) => boolean;
  tls: boolean;
  refuse: (request: FastifyRequest, reply: FastifyReply, kind: SecurityEventKind | null, err: GatehouseError) => unknown;
}

const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/**
 * The routes that need no session (their route config says `open`): exchanging a one-time link,
 * signing in with password and code, and asking which of the two this browser can use.
 */
export function signInRoutes(api: FastifyInstance, deps: SignInDeps): void {
  const checks = new CheckQueue(2, 8);
  const start = (request: FastifyRequest, reply: FastifyReply, signedIn: { cookie: string; csrf: string }) => {
    const names = cookieNames(deps.tls, request);
    void reply.setCookie(names.session, signedIn.cookie, { ...cookieOptions(deps.tls), httpOnly: true });
    void reply.setCookie(names.csrf, signedIn.csrf, { ...cookieOptions(deps.tls), httpOnly: false });
    return names.csrf;
  };
  const client = (request: FastifyRequest) => ({ ip: plainIp(request.ip), userAgent: String(request.headers['user-agent'] ?? '').slice(0, 300) });

  const linkBody = { type: 'object', properties: { code: { type: 'string', maxLength: 64 } }, required: ['code'] } as const;
  api.post<{ Body: { code: string } }>('/session', { config: { open: true }, bodyLimit: 4096, schema: { body: linkBody } }, async (request, reply) => {
    try {
      const signedIn = await deps.sessions.redeem(request.body.code, client(request));
      return { signedIn: true, csrfCookie: start(request, reply, signedIn) };
    } catch (err) {
      if (err instanceof GatehouseError) return deps.refuse(request, reply, 'admin_auth_failed', err);
      throw err;
    }
  });

  api.get('/login-info', { config: { open: true } }, (request) => ({ remoteAdmin: deps.account.status().enabled, local: deps.isLocalClient(request.ip) }));

  const loginBody = {
    type: 'object',
    properties: { password: { type: 'string', maxLength: 256 }, code: { type: 'string', maxLength: 40 } },
    required: ['password', 'code'],
  } as const;
  api.post<{ Body: { password: string; code: string } }>('/login', { config: { open: true }, bodyLimit: 4096, schema: { body: loginBody } }, async (request, reply) => {
    if (!deps.account.status().enabled) {
      return deps.refuse(request, reply, 'admin_auth_failed', new GatehouseError('REMOTE_ADMIN_OFF', 'Remote sign-in is off on this Gatehouse.', 'Turn it on from the dashboard or the CLI on the Gatehouse computer: gatehouse admin enable-remote'));
    }
    const turn = deps.lockout.begin(request.ip);
    if (!turn.ok) {
      void reply.header('retry-after', String(seconds(turn.retryAfterMs)));
      const message = turn.reason === 'address'
        ? `Too many failed sign-ins from this address. Try again in ${seconds(turn.retryAfterMs)} seconds.`
        : `Too many sign-in attempts on this Gatehouse right now. Try again in ${seconds(turn.retryAfterMs)} seconds.`;
      return deps.refuse(request, reply, 'admin_auth_failed', new GatehouseError('SIGN_IN_LOCKED', message));
    }
    try {
      const factor = await checks.run(() => deps.account.verifySignIn(request.body.password, request.body.code));
      if (factor === BUSY) {
        void reply.header('retry-after', '2');
        return deps.refuse(request, reply, null, new GatehouseError('SIGN_IN_BUSY', 'Gatehouse is checking other sign-ins right now. Try again in a few seconds.'));
      }
      deps.lockout.succeeded(turn.key);
      const how = `password + ${factor === 'totp' ? 'authenticator code' : 'recovery code'}`;
      const signedIn = await deps.sessions.open(client(request), deps.isLocalClient(request.ip) ? 'window' : 'remote-admin', how);
      return { signedIn: true, csrfCookie: start(request, reply, signedIn), via: factor };
    } catch (err) {
      if (!(err instanceof GatehouseError)) throw err;
      const locked = err.code === 'SIGN_IN_FAILED' ? deps.lockout.retryAfter(request.ip) : 0;
      if (!locked) return deps.refuse(request, reply, 'admin_auth_failed', err);
      void reply.header('retry-after', String(seconds(locked)));
      return deps.refuse(request, reply, 'admin_auth_failed', new GatehouseError('SIGN_IN_LOCKED', `${err.message} Too many failed sign-ins from this address: try again in ${seconds(locked)} seconds.`));
    }
  });
}
