import { existsSync } from 'node:fs';
import { join } from 'node:path';
import cookie from '@fastify/cookie';
import helmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AdminAccount } from '../../auth/admin-account';
import type { AdminLockout } from '../../auth/admin-lockout';
import type { AdminSessions } from '../../auth/admin-sessions';
import { inCidrList, parseCidrList, type Cidr } from '../../config/cidr';
import type { Settings } from '../../config/settings';
import { errorBody, type ControlApi } from '../../control/control-api';
import { GatehouseError } from '../../errors';
import type { Logger } from '../../log';
import type { SecurityEventKind, SecuritySink } from '../../metering/security-events';
import type { HostNames } from '../../tls/addresses';
import { plainIp } from '../client-address';
import { HELMET_OPTIONS } from '../security-headers';
import { adminApiPlugin } from './api-plugin';
import { isOwnHost } from './guard';

export interface AdminDeps {
  control: ControlApi;
  sessions: AdminSessions;
  account: AdminAccount;
  lockout: AdminLockout;
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

/**
 * The dashboard at /admin/ and its API at /admin/api/<operation> (its own plugin, see
 * api-plugin.ts), over the same ControlApi as the window's IPC. Every request this plugin owns
 * must name this computer in Host (DNS rebinding) and come from this computer or, with remote
 * sign-in on, from an address on the admin allow-list.
 */
export async function adminPlugin(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  await app.register(cookie);
  await app.register(helmet, HELMET_OPTIONS);

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

  const refuse = (request: FastifyRequest, reply: FastifyReply, kind: SecurityEventKind | null, err: GatehouseError) => {
    if (kind) deps.security({ at: Date.now(), kind, ip: plainIp(request.ip), method: request.method, path: request.url.split('?')[0]!.slice(0, 200), detail: err.message });
    void reply.code(err.status).header('cache-control', 'no-store').send(errorBody(err));
  };

  app.addHook('onRequest', async (request, reply) => {
    if (!isOwnHost(request.headers.host, deps.hostNames())) {
      return refuse(request, reply, 'admin_refused', new GatehouseError('FOREIGN_HOST', `This dashboard answers only to this computer's own names and addresses, not to "${String(request.headers.host ?? '').slice(0, 100)}".`, 'Open it at https://localhost:<port>/admin/ on the Gatehouse computer.'));
    }
    const remoteRefusal = deps.isLocalClient(request.ip) ? null : remoteAccess(request.ip);
    if (remoteRefusal) return refuse(request, reply, 'admin_refused', remoteRefusal);
  });

  await app.register(adminApiPlugin, { ...deps, refuse, prefix: '/admin/api' });

  app.get('/admin', (_request, reply) => reply.redirect('/admin/', 302));
  if (deps.rendererDir && existsSync(join(deps.rendererDir, 'index.html'))) {
    await app.register(fastifyStatic, { root: deps.rendererDir, prefix: '/admin/', index: 'index.html', wildcard: true, decorateReply: false, cacheControl: false, setHeaders: (res) => void res.header('cache-control', 'no-cache') });
  } else {
    app.get('/admin/*', (_request, reply) =>
      reply.code(503).type('text/plain; charset=utf-8').send('The Gatehouse dashboard has not been built. Run: npm run build (in the Gatehouse folder), then reload.'),
    );
  }
}
