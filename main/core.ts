import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Server as TlsServer } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import { AdminAccount } from './auth/admin-account';
import { AdminLockout, DEFAULT_SIGN_IN_LIMITS } from './auth/admin-lockout';
import { Invites } from './share/invites';
import { AdminSessions, DEFAULT_SESSION_POLICY, type SessionPolicy } from './auth/admin-sessions';
import { TokenVerifier } from './auth/token-verifier';
import { ControlApi } from './control/control-api';
import type { Serving } from './control/context';
import { TokenService } from './auth/tokens';
import { dataPaths } from './config/paths';
import type { Settings } from './config/settings';
import { GatehouseError } from './errors';
import { buildGateway } from './gateway/app';
import { listenError } from './gateway/listen-error';
import { servingUrls } from './share/endpoints';
import { DEFAULT_CONNECTION_LIMITS, type ConnectionLimits } from './gateway/connection-guard';
import { createLocalClientCheck, isLoopback } from './gateway/client-address';
import { consoleLogger, type Logger } from './log';
import type { Actor } from './metering/records';
import { Metering } from './metering/metering';
import type { SecuritySink } from './metering/security-events';
import { OllamaClient } from './ollama/client';
import { PullJobs } from './ollama/pull-jobs';
import { OllamaSupervisor, type SupervisorOptions } from './ollama/supervisor';
import { probeUpstream } from './ollama/upstream-probe';
import { Store } from './store/store';
import { cachedHostNames, type HostNames } from './tls/addresses';
import type { SecretVault } from './tls/files';
import { TlsManager, type TlsMaterial } from './tls/tls-manager';

export interface CoreOptions {
  dataDir: string;
  /** From flags and the environment; they win over stored settings and are not saved. */
  overrides?: Partial<Settings>;
  /** false serves plain HTTP (`--no-tls`); on a non-loopback bind only with `insecure`. */
  tls?: boolean;
  insecure?: boolean;
  /** Which client addresses count as "this computer" (pause, trustLoopback). Tests narrow it. */
  isLocalClient?: (ip: string) => boolean;
  /** How often to look for changes made by another process (the CLI). */
  watchIntervalMs?: number;
  /** How often to check whether the certificate must be re-issued (addresses, expiry). */
  tlsCheckIntervalMs?: number;
  /** The names the certificate must cover (tests substitute their own interfaces). */
  hostNames?: () => HostNames;
  /** How long running streams may go on after close() before their connections are cut. */
  closeGraceMs?: number;
  log?: Logger;
  /** Who the state changes made through this core are attributed to in the audit log. */
  actor?: Actor;
  /** Also told of every security event (which is always stored and logged as a `[SECURITY]` line). */
  security?: SecuritySink;
  /** How often queued metering rows are written (default 1 s). */
  meteringFlushMs?: number;
  nativeBinding?: string;
  /** Watch (and, with `manage`, start and keep running) the local Ollama. Absent: the core only proxies. */
  ollama?: Omit<SupervisorOptions, 'upstream' | 'log'>;
  /** Where the built dashboard is; found beside the code when not given. */
  rendererDir?: string | null;
  sessionPolicy?: SessionPolicy;
  /** Seals private keys at rest with the OS keystore (the tray app); without it they are 0600 files. */
  vault?: SecretVault;
  /** Deadlines and caps for unauthenticated connections; tests shorten them. */
  connectionLimits?: Partial<ConnectionLimits>;
}

export interface ServingInfo {
  urls: string[];
  host: string;
  port: number;
  tls: Pick<TlsMaterial, 'source' | 'leafFingerprint' | 'caFingerprint'> | null;
}

export interface Core {
  store: Store;
  tokens: TokenService;
  verifier: TokenVerifier;
  metering: Metering;
  /** The local Ollama's supervisor, when the core was asked to watch it. */
  ollama: OllamaSupervisor | null;
  /** The upstream's models, for the window and the CLI (never for proxied traffic). */
  models: OllamaClient;
  pulls: PullJobs;
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
  // The server's connection waits at most a moment for a lock another program holds: waiting blocks
  // every request. Its background writes retry instead; the CLI keeps the patient default.
  const store = Store.open(options.dataDir, { busyTimeoutMs: SERVER_BUSY_TIMEOUT_MS, ...(options.nativeBinding ? { nativeBinding: options.nativeBinding } : {}) });
  const timers: NodeJS.Timeout[] = [];
  let app: FastifyInstance | undefined;
  let verifier: TokenVerifier | undefined;
  let metering: Metering | undefined;
  let control: ControlApi | undefined;
  const localCheck = options.isLocalClient ? undefined : createLocalClientCheck();
  try {
    let current = loadSettings(store, options.overrides, log);
    store.onChange(() => (current = loadSettings(store, options.overrides, log)));
    const settings = () => current;
    const useTls = options.tls !== false;
    if (!useTls && !isLoopback(current.host) && current.host !== 'localhost' && !options.insecure) {
      throw new GatehouseError(
        'INSECURE_BIND',
        `Plain HTTP on ${current.host} would send API tokens across the network in clear text.`,
        'Keep TLS on (the default), bind 127.0.0.1 with --host, or add --insecure if you really mean it.',
      );
    }

    verifier = new TokenVerifier(store);
    const models = new OllamaClient(() => current.upstream);
    metering = new Metering(store, log, {
      ...(options.meteringFlushMs ? { flushIntervalMs: options.meteringFlushMs } : {}),
      upstreamUp: async () => (await probeUpstream(current.upstream, 1000)).kind === 'ollama',
      installedModels: () => models.tags(),
    });
    const meter = metering;
    const pulls = new PullJobs(models);
    const ollama = options.ollama ? new OllamaSupervisor({ ...options.ollama, upstream: () => current.upstream, log }) : null;
    let serving: (Serving & { port: number }) | null = null;
    const account = new AdminAccount(store, Date.now, options.vault);
    control = new ControlApi({ store, settings, account, overrides: options.overrides ?? {}, models, pulls, verifier, metering: meter, ollama, serving: () => serving, ...(options.vault ? { vaultDescription: options.vault.describe } : {}) });
    const hostNames = options.hostNames ?? cachedHostNames(5000);
    const tls = useTls
      ? new TlsManager({ tlsDir: dataPaths(options.dataDir).tlsDir, settings: current, ...(options.hostNames ? { hostNames: options.hostNames } : {}), ...(options.vault ? { vault: options.vault } : {}) })
      : undefined;
    const material = tls ? await tls.current() : undefined;
    const security: SecuritySink = (event) => {
      meter.security(event);
      options.security?.(event);
    };
    const isLocalClient = options.isLocalClient ?? localCheck!.isLocal;
    const rendererDir = () => (options.rendererDir === undefined ? findRendererDir() : options.rendererDir);
    app = await buildGateway({
      connections: { ...DEFAULT_CONNECTION_LIMITS, ...options.connectionLimits },
      verifier,
      settings,
      isLocalClient,
      hostNames,
      ...(material ? { https: { key: material.key, cert: material.cert } } : {}),
      log,
      metering: meter,
      security,
      admin: {
        control,
        sessions: new AdminSessions(store, AdminSessions.loadKey(options.dataDir, options.vault), () =>
          options.sessionPolicy ?? { ...DEFAULT_SESSION_POLICY, idleMs: current.adminIdleMinutes * 60_000, absoluteMs: current.adminSessionHours * 3_600_000 },
        ),
        account,
        lockout: new AdminLockout(store.lockouts, Date.now, DEFAULT_SIGN_IN_LIMITS, (err) => log.warn(`Could not store a sign-in lockout: ${(err as Error).message}`)),
        settings,
        isLocalClient,
        hostNames,
        rendererDir: rendererDir(),
        tls: useTls,
        security,
        log,
      },
      invites: {
        invites: new Invites(store),
        settings,
        isLocalClient,
        hostNames,
        rendererDir: rendererDir(),
        ca: () => (serving?.caPem && serving.tls?.caFingerprint ? { pem: serving.caPem, fingerprint: serving.tls.caFingerprint } : null),
        tls: useTls,
        security,
      },
    });

    store.watch(options.watchIntervalMs ?? 250);
    verifier.startFlushing(5000, log);
    meter.start(() => ({
      requestDays: current.retentionRequestDays,
      aggregateDays: current.retentionAggregateDays,
      securityDays: current.retentionSecurityDays,
    }));
    const gateway = app;
    const liveVerifier = verifier;

    const listen = async (): Promise<ServingInfo> => {
      const { host, port } = current;
      await ollama?.start();
      await meter.refreshModels();
      try {
        await gateway.listen({ host, port });
      } catch (err) {
        throw listenError(err, host, port);
      }
      const address = gateway.server.address();
      const actualPort = typeof address === 'object' && address ? address.port : port;
      if (tls) timers.push(watchCertificate(tls, gateway, options.tlsCheckIntervalMs ?? 60_000, log));
      if (!useTls && options.insecure && !isLoopback(host)) {
        log.warn(`Serving PLAIN HTTP on ${host}:${actualPort}. API tokens cross the network unencrypted.`);
      }
      const info: ServingInfo = {
        urls: servingUrls(useTls ? 'https' : 'http', host, actualPort),
        host,
        port: actualPort,
        tls: material ? { source: material.source, leafFingerprint: material.leafFingerprint, caFingerprint: material.caFingerprint } : null,
      };
      serving = { urls: info.urls, tls: info.tls, caPem: material?.caCert ?? null, port: actualPort };
      return info;
    };

    let closed: Promise<void> | undefined;
    const close = () =>
      (closed ??= (async () => {
        for (const t of timers) clearInterval(t);
        localCheck?.stop();
        const cut = setTimeout(() => gateway.server.closeAllConnections(), options.closeGraceMs ?? 10_000);
        try {
          liveControl.close();
          await pulls.close();
          await gateway.close();
        } finally {
          clearTimeout(cut);
          await ollama?.close();
          meter.close();
          liveVerifier.close();
          store.close();
        }
      })());

    const liveControl = control;
    const adminLink = () => {
      if (!serving) return null;
      const { code, expiresAt } = AdminSessions.createLink(store, options.sessionPolicy);
      const scheme = useTls ? 'https' : 'http';
      // localhost where the gateway listens on it; else the one address it is bound to.
      const bound = current.host;
      const host = bound === '0.0.0.0' || bound === '::' || isLoopback(bound) || bound === 'localhost' ? 'localhost' : bound.includes(':') ? `[${bound}]` : bound;
      return { url: `${scheme}://${host}:${serving.port}/admin/#login=${code}`, expiresAt };
    };
    return { store, tokens: new TokenService(store, { actor: options.actor ?? 'system' }), verifier, metering: meter, ollama, models, pulls, control, settings, adminLink, listen, close };
  } catch (err) {
    localCheck?.stop();
    await app?.close();
    control?.close();
    metering?.close();
    verifier?.close();
    store.close();
    throw err;
  }
}

function loadSettings(store: Store, overrides: Partial<Settings> | undefined, log: Logger): Settings {
  const { settings, problems } = store.settings.load();
  for (const problem of problems) log.warn(problem);
  return { ...settings, ...overrides };
}

/** Re-issues the certificate when addresses change or expiry nears, and swaps it in live. */
function watchCertificate(tls: TlsManager, app: FastifyInstance, intervalMs: number, log: Logger): NodeJS.Timeout {
  const timer = setInterval(() => {
    tls
      .check()
      .then((next) => {
        if (!next) return;
        // fastify was built with `https`, so its server is a TLS server.
        (app.server as unknown as TlsServer).setSecureContext({ key: next.key, cert: next.cert });
        log.info(`TLS certificate renewed (SHA-256 ${next.leafFingerprint}).`);
      })
      .catch((err: unknown) => log.error('Could not renew the TLS certificate; the current one stays in use.', err));
  }, intervalMs);
  timer.unref();
  return timer;
}

/** The built dashboard: beside the bundled CLI (out/cli → out/renderer) or, from source, in out/renderer. */
function findRendererDir(): string | null {
  const candidates = [join(__dirname, '..', 'renderer'), join(__dirname, '..', 'out', 'renderer')];
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? null;
}
