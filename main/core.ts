import type { Server as TlsServer } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import type { TokenVerifier } from './auth/token-verifier';
import type { TokenService } from './auth/tokens';
import { AdminSessions } from './auth/admin-sessions';
import { Closer } from './closer';
import { controlSocketPath, type ServerInfo } from './control/socket-protocol';
import { serveControlSocket } from './control/socket-server';
import type { ControlApi } from './control/control-api';
import type { Serving } from './control/context';
import { isLoopback } from './config/cidr';
import type { Settings } from './config/settings';
import { buildServices, gatewayDeps, type CoreOptions, type Services } from './core-services';
import { GatehouseError } from './errors';
import { buildGateway } from './gateway/app';
import { listenError } from './gateway/listen-error';
import { consoleLogger, type Logger } from './log';
import type { Metering } from './metering/metering';
import type { OllamaSupervisor } from './ollama/supervisor';
import { adminLinkUrl, publicUrls } from './share/endpoints';
import { Store } from './store/store';
import { version } from '../package.json';
import type { TlsManager, TlsMaterial } from './tls/tls-manager';
import { startWebapp, type WebappInfo } from './webapp/start-webapp';

export type { CoreOptions } from './core-services';

export interface ServingInfo {
  urls: string[];
  host: string;
  port: number;
  tls: Pick<TlsMaterial, 'source' | 'leafFingerprint' | 'caFingerprint' | 'name' | 'warning'> | null;
  /** The web app gate, when one is set. */
  webapp?: WebappInfo;
}

/** What the entries (tray app, `gatehouse serve`) and the tests need of a running core. */
export interface Core {
  store: Store;
  tokens: TokenService;
  verifier: TokenVerifier;
  metering: Metering;
  /** The local Ollama's supervisor, when the core was asked to watch it. */
  ollama: OllamaSupervisor | null;
  /** Everything the window, the dashboard and the CLI may do. */
  control: ControlApi;
  settings(): Readonly<Settings>;
  /** A one-time link that signs a browser on this computer into the dashboard. */
  adminLink(): { url: string; expiresAt: number } | null;
  listen(): Promise<ServingInfo>;
  close(): Promise<void>;
}

const SERVER_BUSY_TIMEOUT_MS = 50;

/** Builds the whole headless core: the one thing both `gatehouse serve` and the tray app run. */
export async function createCore(options: CoreOptions): Promise<Core> {
  const log = options.log ?? consoleLogger;
  const closer = new Closer();
  try {
    // The server's connection waits at most a moment for a lock another program holds: waiting blocks
    // every request. Its background writes retry instead; the CLI keeps the patient default.
    const store = closer.own(Store.open(options.dataDir, { busyTimeoutMs: SERVER_BUSY_TIMEOUT_MS, ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}) }), (s) => s.close());
    const settings = liveSettings(store, options.overrides, log);
    const useTls = options.tls !== false;
    refuseClearTextOnNetwork(settings(), useTls, options.insecure === true);
    let serving: (Serving & { port: number }) | null = null;
    const services = await buildServices(store, settings, options, log, closer, () => serving);
    const gateway = await buildGateway(gatewayDeps(services, options, log, useTls, () => serving));
    closer.defer(() => closeGracefully(gateway, options.closeGraceMs ?? 10_000));
    services.start();

    const listen = async (): Promise<ServingInfo> => {
      // A renewed certificate, or a new warning about it, is what the window and Share show next.
      const host = settings().host;
      const onCertificate = (material: TlsMaterial) => {
        services.material = material;
        if (serving) {
          // A public name (a certificate just got for the owner's domain) goes first, as at a start.
          const urls = publicUrls(material.name, useTls ? 'https' : 'http', host, serving.port);
          serving = { ...serving, urls, tls: tlsInfo(material), caPem: material.caCert ?? null };
        }
        services.control.certificateChanged();
      };
      const info = await startListening(gateway, services, { useTls, options, log, closer, onCertificate });
      serving = { urls: info.urls, tls: info.tls, caPem: services.material?.caCert ?? null, port: info.port, ...(info.webapp ? { webappPort: info.webapp.port } : {}) };
      if (options.controlSocket !== false) {
        const about = (): ServerInfo => ({ pid: process.pid, version, dataDir: options.dataDir, urls: info.urls, port: info.port, upstream: settings().upstream, kind: options.kind ?? 'serve' });
        const socket = await serveControlSocket(controlSocketPath(options.dataDir), services.control, about, log);
        if (socket) closer.own(socket, (s) => s.close());
      }
      return info;
    };
    const adminLink = () => {
      if (!serving) return null;
      const { code, expiresAt } = AdminSessions.createLink(store, options.sessionPolicy);
      return { url: adminLinkUrl(useTls ? 'https' : 'http', settings().host, serving.port, code), expiresAt };
    };
    const { tokens, verifier, metering, ollama, control } = services;
    return { store, tokens, verifier, metering, ollama, control, settings, adminLink, listen, close: () => closer.close() };
  } catch (err) {
    await closer.close().catch(() => undefined);
    throw err;
  }
}

/** The stored settings with this run's overrides on top, reloaded whenever the store changes. */
function liveSettings(store: Store, overrides: Partial<Settings> | undefined, log: Logger): () => Readonly<Settings> {
  const load = (): Settings => {
    const { settings, problems } = store.settings.load();
    for (const problem of problems) log.warn(problem);
    return { ...settings, ...overrides };
  };
  let current = load();
  store.onChange(() => (current = load()));
  return () => current;
}

function refuseClearTextOnNetwork(settings: Readonly<Settings>, useTls: boolean, insecure: boolean): void {
  if (useTls || isLoopback(settings.host) || insecure) return;
  throw new GatehouseError(
    'INSECURE_BIND',
    `Plain HTTP on ${settings.host} would send API tokens across the network in clear text.`,
    'Keep TLS on (the default), bind 127.0.0.1 with --host, or add --insecure if you really mean it.',
  );
}

/** Opens the port (after Ollama and the model list are up) and says where the gateway answers. */
/** What the window, Share and invites are told about the certificate. */
function tlsInfo(material: TlsMaterial): NonNullable<ServingInfo['tls']> {
  return { source: material.source, leafFingerprint: material.leafFingerprint, caFingerprint: material.caFingerprint, ...(material.name ? { name: material.name } : {}), ...(material.warning ? { warning: material.warning } : {}) };
}

async function startListening(gateway: FastifyInstance, services: Services, run: { useTls: boolean; options: CoreOptions; log: Logger; closer: Closer; onCertificate: (m: TlsMaterial) => void }): Promise<ServingInfo> {
  const { host, port } = services.settings();
  await services.beforeListen();
  try {
    await gateway.listen({ host, port });
  } catch (err) {
    throw listenError(err, host, port);
  }
  const address = gateway.server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const webapp = await startWebapp(services, run);
  const { tls } = services;
  if (tls) {
    const swapIn = swapper([gateway, ...(webapp ? [webapp.app] : [])], run.log, run.onCertificate);
    const timer = watchCertificate(tls, swapIn, run.options.tlsCheckIntervalMs ?? 60_000, run.log);
    run.closer.defer(() => clearInterval(timer));
    services.swap.apply = async () => {
      const before = tls.served();
      const next = await tls.reconfigure(services.settings());
      if (next) swapIn(next, before);
    };
  }
  if (!run.useTls && !isLoopback(host)) run.log.warn(`Serving PLAIN HTTP on ${host}:${actualPort}. API tokens cross the network unencrypted.`);
  const { material } = services;
  if (material?.warning) run.log.warn(material.warning);
  return {
    urls: publicUrls(material?.name, run.useTls ? 'https' : 'http', host, actualPort),
    host,
    port: actualPort,
    ...(webapp ? { webapp: webapp.info } : {}),
    tls: material ? tlsInfo(material) : null,
  };
}

/** Lets running streams finish for `graceMs`, then cuts the connections that are left. */
async function closeGracefully(gateway: FastifyInstance, graceMs: number): Promise<void> {
  const cut = setTimeout(() => gateway.server.closeAllConnections(), graceMs);
  try {
    await gateway.close();
  } finally {
    clearTimeout(cut);
  }
}

/** Puts new material in service on every server (gateway and web app) and says what changed. */
function swapper(apps: FastifyInstance[], log: Logger, onCertificate: (m: TlsMaterial) => void) {
  return (next: TlsMaterial, before: TlsMaterial | undefined): void => {
    onCertificate(next);
    if (next.warning && next.warning !== before?.warning) log.warn(next.warning);
    if (next.cert === before?.cert) return;
    // fastify was built with `https`, so its servers are TLS servers.
    for (const app of apps) (app.server as unknown as TlsServer).setSecureContext({ key: next.key, cert: next.cert });
    log.info(`TLS certificate renewed (SHA-256 ${next.leafFingerprint}).`);
  };
}

/** Re-issues the certificate when addresses change or expiry nears, and swaps it in live. */
function watchCertificate(tls: TlsManager, swapIn: ReturnType<typeof swapper>, intervalMs: number, log: Logger): NodeJS.Timeout {
  let checking = false;
  const timer = setInterval(() => {
    // An ACME renewal can take longer than the interval: one check at a time.
    if (checking) return;
    checking = true;
    const before = tls.served();
    tls
      .check()
      .then((next) => next && swapIn(next, before))
      .catch((err: unknown) => log.error('Could not renew the TLS certificate; the current one stays in use.', err))
      .finally(() => (checking = false));
  }, intervalMs);
  timer.unref();
  return timer;
}
