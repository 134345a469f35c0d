import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import type { TokenVerifier } from '../auth/token-verifier';
import type { Settings } from '../config/settings';
import type { Logger } from '../log';
import type { Metering } from '../metering/metering';
import type { SecuritySink } from '../metering/security-events';
import type { HostNames } from '../tls/addresses';
import type { Budgets } from '../auth/budgets';
import { Lockout } from '../auth/lockout';
import { requestContext, type TokenAuthOptions } from './access';
import { DEFAULT_CONNECTION_LIMITS, guardConnections, serverTimeouts, type ConnectionLimits } from './connection-guard';
import { adminPlugin, type AdminDeps } from './admin/admin-plugin';
import { invitePlugin, type InviteDeps } from './invite-plugin';
import { sendProblem } from './problems';
import { answerPlainHttpOnTls } from './plain-http-guard';
import { metricsRoute } from './metrics-route';
import { ollamaKeyPage } from './ollama-key-page';
import { queueRoute } from './queue-route';
import { verifyRoute } from './verify-route';
import type { Scheduler } from './scheduler';
import type { UpstreamHosts } from '../upstreams/hosts';
import { proxyPlugin } from './proxy';
import { requestTargetGate } from './request-target';

export interface GatewayDeps {
  verifier: TokenVerifier;
  /** The live settings; read on every request, so a change applies to the next one. */
  settings: () => Readonly<Settings>;
  isLocalClient: (ip: string) => boolean;
  /** This computer's names and addresses (DNS-rebinding checks). */
  hostNames: () => HostNames;
  https?: { key: string; cert: string };
  log: Logger;
  security: SecuritySink;
  metering: Metering;
  /** The fair queue in front of Ollama's slots, and who hears how long each request waited. */
  scheduler: Scheduler;
  hosts: UpstreamHosts;
  budgets?: Budgets;
  queueWaited?: (ms: number) => void;
  /** The dashboard and its API at /admin; absent in cores that serve no dashboard. */
  admin?: AdminDeps;
  /** Invite pages at /invite; absent in cores without them. */
  invites?: InviteDeps;
  clock?: () => number;
  /** Deadlines and caps for connections that have not authenticated (tests shorten them). */
  connections?: ConnectionLimits;
}

const MiB = 1024 * 1024;

/**
 * A request the HTTP parser could not read (not HTTP, a malformed target, headers too large): one
 * short answer, then the connection closes, so nothing that follows on it is read as a request.
 */
function answerUnreadable(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
  const [status, message] =
    err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'The request headers are too large.']
    : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'The request headers did not arrive in time.']
    : [400, 'The request could not be read as HTTP.'];
  const body = JSON.stringify({ error: message });
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/**
 * Everything that needs an API token: /metrics and the proxy, each an encapsulated scope with the
 * access plugins it needs, over one request context and one lockout of guessing addresses.
 */
async function gatedRoutes(gated: FastifyInstance, deps: GatewayDeps): Promise<void> {
  const clock = deps.clock ? { clock: deps.clock } : {};
  await gated.register(requestContext, { isLocalClient: deps.isLocalClient, security: deps.security, ...clock });
  const lockout = new Lockout(() => {
    const s = deps.settings();
    return { threshold: s.lockoutThreshold, windowMs: s.lockoutWindowSeconds * 1000, lockMs: s.lockoutSeconds * 1000 };
  }, deps.clock);
  const auth: TokenAuthOptions = { verifier: deps.verifier, settings: deps.settings, lockout, hostNames: deps.hostNames, scheme: deps.https ? 'https' : 'http', security: deps.security, ...clock };
  await gated.register(metricsRoute, { settings: deps.settings, auth, metering: deps.metering });
  await gated.register(queueRoute, { auth, scheduler: deps.scheduler, settings: deps.settings });
  await gated.register(verifyRoute, { auth, settings: deps.settings });
  await gated.register(proxyPlugin, { settings: deps.settings, auth, metering: deps.metering, hosts: deps.hosts, ...(deps.budgets ? { budgets: deps.budgets } : {}), queue: { scheduler: deps.scheduler, settings: deps.settings, ...(deps.queueWaited ? { waited: deps.queueWaited } : {}) }, ...clock });
}

/** Builds the gateway: `/healthz`, and everything else through the access checks to the proxy. */
export async function buildGateway(deps: GatewayDeps): Promise<FastifyInstance> {
  const bodyLimitMiB = deps.settings().bodyLimitMiB;
  const limits = deps.connections ?? DEFAULT_CONNECTION_LIMITS;
  const app = Fastify({
    logger: false,
    // Node checks the header deadline on an interval fixed when the server is made, so both kinds
    // of server get it here (fastify hands `http` to a plain server, `https` to a TLS one).
    ...((deps.https ? { https: { ...deps.https, ...serverTimeouts(limits) } } : { http: serverTimeouts(limits) }) as unknown as { https: null }),
    bodyLimit: bodyLimitMiB * MiB,
    // Never trust X-Forwarded-For: the client address decides "local or not".
    trustProxy: false,
    // A schema checks what was sent; it never turns a number or an array into the string it wanted.
    ajv: { customOptions: { coerceTypes: false } },
    return503OnClosing: true,
    routerOptions: { maxParamLength: 500 },
    clientErrorHandler: answerUnreadable,
    frameworkErrors: (error, _request, reply) => {
      sendProblem(reply, { status: 400, code: 'bad_request', message: `The request could not be read: ${error.message}` });
    },
  });

  requestTargetGate(app);
  guardConnections(app, limits);
  if (deps.https) answerPlainHttpOnTls(app.server, () => (app.server.address() as { port?: number } | null)?.port ?? 0, limits.headersTimeoutMs);

  app.setErrorHandler((error, request, reply) => {
    const err = error as Error & { code?: string; statusCode?: number };
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      sendProblem(reply, {
        status: 413,
        code: 'body_too_large',
        message: `The request body is larger than this Gatehouse accepts (${bodyLimitMiB} MiB).`,
      });
      return;
    }
    // A client that went away is not an internal error, and there is nobody left to answer.
    if (reply.raw.destroyed || request.raw.socket.destroyed) return;
    const status = err.statusCode ?? 500;
    if (status < 500) {
      sendProblem(reply, { status, code: 'bad_request', message: err.message });
      return;
    }
    deps.log.error(`Internal error on ${request.method} ${request.url}`, err);
    sendProblem(reply, { status: 500, code: 'internal_error', message: 'Gatehouse hit an internal error. Details are in its log.' });
  });

  app.get('/healthz', (_request, reply) => {
    void reply.header('cache-control', 'no-store').type('text/plain; charset=utf-8').send('ok');
  });

  ollamaKeyPage(app);
  if (deps.admin) await app.register(adminPlugin, deps.admin);
  if (deps.invites) await app.register(invitePlugin, deps.invites);
  await app.register((gated) => gatedRoutes(gated, deps));
  return app;
}
