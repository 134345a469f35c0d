import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AdminAccount } from './auth/admin-account';
import { Budgets } from './auth/budgets';
import { AdminLockout, DEFAULT_SIGN_IN_LIMITS } from './auth/admin-lockout';
import { AdminSessions, DEFAULT_SESSION_POLICY, type SessionPolicy } from './auth/admin-sessions';
import { TokenVerifier } from './auth/token-verifier';
import { TokenService } from './auth/tokens';
import type { Closer } from './closer';
import { dataPaths } from './config/paths';
import { DEFAULT_SETTINGS, type Settings } from './config/settings';
import { ControlApi } from './control/control-api';
import type { Serving } from './control/context';
import type { GatewayDeps } from './gateway/app';
import { createLocalClientCheck } from './gateway/client-address';
import { DEFAULT_CONNECTION_LIMITS, type ConnectionLimits } from './gateway/connection-guard';
import type { Logger } from './log';
import { Metering } from './metering/metering';
import type { Actor } from './metering/records';
import type { SecuritySink } from './metering/security-events';
import { OllamaClient } from './ollama/client';
import { PullJobs } from './ollama/pull-jobs';
import { OllamaSupervisor, type SupervisorOptions } from './ollama/supervisor';
import { probeUpstream } from './ollama/upstream-probe';
import { Scheduler, type SchedulerPolicy } from './gateway/scheduler';
import { QueueMetrics } from './metering/queue-metrics';
import { Invites } from './share/invites';
import type { Store } from './store/store';
import { cachedHostNames, type HostNames } from './tls/addresses';
import type { SecretVault } from './tls/files';
import { AcmeIssuer, type AcmeIssuerOptions } from './tls/acme';
import { TlsManager, type TlsMaterial } from './tls/tls-manager';
import { UpstreamHosts } from './upstreams/hosts';
import { upstreamGauge } from './upstreams/upstream-metrics';

export interface CertificateSwap {
  apply?: () => Promise<void>;
}

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
  /** Where to look for the tailscale command (tests: a fake one). */
  tailscale?: string[];
  /** The ACME authority's trust and DNS providers (tests: pebble's); else Let's Encrypt's, through the providers Gatehouse knows. */
  acme?: Omit<AcmeIssuerOptions, 'tlsDir' | 'vault'>;
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
  /** false: no local control socket for the CLI (on by default once the gateway listens). */
  controlSocket?: boolean;
  /** Which program runs the core, for the CLI's "talked to" line. */
  kind?: 'serve' | 'tray';
  /** How often the Ollama hosts are asked for their models (default 5 s; tests shorten it). */
  upstreamPollMs?: number;
}

/** The core's parts, each built once; their cleanups are registered with the closer as they come up. */
export interface Services {
  settings: () => Readonly<Settings>;
  store: Store;
  tokens: TokenService;
  verifier: TokenVerifier;
  metering: Metering;
  pulls: PullJobs;
  ollama: OllamaSupervisor | null;
  account: AdminAccount;
  invites: Invites;
  control: ControlApi;
  tls: TlsManager | undefined;
  material: TlsMaterial | undefined;
  /** Serves what the settings now ask for, at once (set by the gateway once it listens). */
  swap: CertificateSwap;
  scheduler: Scheduler;
  queue: QueueMetrics;
  hosts: UpstreamHosts;
  budgets: Budgets;
  isLocalClient: (ip: string) => boolean;
  hostNames: () => HostNames;
  security: SecuritySink;
  /** Starts the background work: watching the store, flushing caches and metering. */
  start(): void;
  /** Brings up what must run before the port opens: Ollama, the list of installed models. */
  beforeListen(): Promise<void>;
}

export async function buildServices(store: Store, settings: () => Readonly<Settings>, options: CoreOptions, log: Logger, closer: Closer, serving: () => Serving | null): Promise<Services> {
  const verifier = closer.own(new TokenVerifier(store), (v) => v.close());
  const models = new OllamaClient(() => settings().upstream);
  const metering = closer.own(
    new Metering(store, log, {
      ...(options.meteringFlushMs ? { flushIntervalMs: options.meteringFlushMs } : {}),
      installedModels: () => models.tags(),
    }),
    (m) => m.close(),
  );
  const { hosts, scheduler } = buildRouting(store, settings, options, log, closer, metering);
  const queue = new QueueMetrics(metering.registry, () => scheduler.snapshot());
  const budgets = Budgets.overStore((since) => store.metering.hourlySince(since));
  metering.onSpend((tokenId, used) => budgets.add(tokenId, used));
  const ollama = options.ollama ? closer.own(new OllamaSupervisor({ ...options.ollama, upstream: () => settings().upstream, log }), (o) => o.close()) : null;
  const pulls = closer.own(new PullJobs(models, Date.now, (on) => hosts.get(on)?.client()), (p) => p.close());
  const account = new AdminAccount(store, Date.now, options.vault);
  const tokens = new TokenService(store, { actor: options.actor ?? 'system' });
  const invites = new Invites(store);
  const tlsDir = dataPaths(options.dataDir).tlsDir;
  const acme = new AcmeIssuer({ tlsDir, ...options.acme, ...(options.vault ? { vault: options.vault } : {}) });
  const tls = options.tls === false ? undefined : new TlsManager({ tlsDir, settings: settings(), acme, ...(options.hostNames ? { hostNames: options.hostNames } : {}), ...(options.vault ? { vault: options.vault } : {}), ...(options.tailscale ? { tailscale: options.tailscale } : {}) });
  // The gateway fills this in once it listens: it alone can swap the certificate its servers use.
  const swap: CertificateSwap = {};
  const certificates = tls ? { tlsDir, acme, certificate: () => tls.served(), applyCertificate: () => swap.apply?.() ?? Promise.resolve() } : { certificate: () => undefined };
  const control = closer.own(
    new ControlApi({ store, settings, account, tokens, invites, overrides: options.overrides ?? {}, models, pulls, verifier, metering, ollama, serving, scheduler, queue, budgets, hosts, ...certificates, ...(options.vault ? { vault: options.vault, vaultDescription: options.vault.describe } : {}) }),
    (c) => c.close(),
  );
  const material = await tls?.current();
  const localNames = options.hostNames ?? cachedHostNames(5000);
  // The certificate's public name (Tailscale's, or the owner's ACME domain even before its
  // certificate arrives) is one of this computer's own: invites and the dashboard answer to it.
  const publicName = () => tls?.served()?.name ?? (settings().tlsMode === 'acme' ? settings().acmeDomain : '');
  const hostNames = withName(localNames, publicName);
  const localCheck = options.isLocalClient ? undefined : closer.own(createLocalClientCheck(), (c) => c.stop());
  const security: SecuritySink = (event) => {
    metering.security(event);
    options.security?.(event);
  };
  const start = () => {
    store.watch(options.watchIntervalMs ?? 250);
    verifier.startFlushing(5000, log);
    hosts.start();
    metering.start(() => {
      const s = settings();
      return { requestDays: s.retentionRequestDays, aggregateDays: s.retentionAggregateDays, securityDays: s.retentionSecurityDays };
    });
  };
  const beforeListen = async () => {
    await ollama?.start();
    // Routing needs to know what each host has before the first request (bounded: a dead host waits no longer).
    await Promise.all([metering.refreshModels(), hosts.size > 1 ? hosts.refresh(undefined, 2000) : undefined]);
  };
  return {
    settings, store, tokens, verifier, metering, pulls, ollama, account, invites, control, tls, material, swap, scheduler, queue, hosts, budgets, security, start, beforeListen,
    isLocalClient: options.isLocalClient ?? localCheck!.isLocal,
    hostNames,
  };
}

/** The Ollama hosts (kept fresh as the store changes, shown to Prometheus) and the fair scheduler over their slots. */
function buildRouting(store: Store, settings: () => Readonly<Settings>, options: CoreOptions, log: Logger, closer: Closer, metering: Metering) {
  const hosts = closer.own(
    new UpstreamHosts({ store, settings, log, ...(options.vault ? { vault: options.vault } : {}), ...(options.upstreamPollMs ? { pollMs: options.upstreamPollMs } : {}) }),
    (h) => h.close(),
  );
  const unwatchHosts = store.onChange(() => hosts.reload());
  closer.own(unwatchHosts, (off) => off());
  upstreamGauge(metering.registry, hosts, async () => (await probeUpstream(settings().upstream, 1000)).kind === 'ollama');
  // Asked on every acquire and release: worked out again only when the settings change.
  let policy: { of: Readonly<Settings>; is: SchedulerPolicy } | undefined;
  const scheduler = new Scheduler(
    () => {
      const now = settings();
      if (policy?.of !== now) policy = { of: now, is: schedulerPolicy(now) };
      return policy.is;
    },
    undefined,
    () => hosts.slots(),
  );
  return { hosts, scheduler };
}

/** The host names plus one, made again only when the cached names change (they are asked on every request). */
function withName(names: () => HostNames, name: () => string): () => HostNames {
  let last: { of: HostNames; name: string; is: HostNames } | undefined;
  return () => {
    const now = names();
    const extra = name();
    if (last?.of !== now || last.name !== extra) last = { of: now, name: extra, is: extra ? { ...now, dns: [...now.dns, extra] } : now };
    return last.is;
  };
}

/**
 * The scheduler's slots: the setting, or, while it is at its default, the OLLAMA_NUM_PARALLEL that
 * the supervised Ollama inherits from this environment.
 */
export function schedulerPolicy(settings: Readonly<Settings>, env: NodeJS.ProcessEnv = process.env): SchedulerPolicy {
  const parallel = Number(env.OLLAMA_NUM_PARALLEL);
  const slots = settings.upstreamSlots === DEFAULT_SETTINGS.upstreamSlots && Number.isInteger(parallel) && parallel > 0 ? parallel : settings.upstreamSlots;
  return { slots, batchMaxWaitMs: settings.batchMaxWaitSeconds * 1000 };
}

/** What the gateway is built from: the services, and the dashboard and invite pages over them. */
export function gatewayDeps(services: Services, options: CoreOptions, log: Logger, useTls: boolean, serving: () => Serving | null): GatewayDeps {
  const { store, settings, isLocalClient, hostNames, security, material } = services;
  const rendererDir = options.rendererDir === undefined ? findRendererDir() : options.rendererDir;
  const sessionPolicy = () => {
    const s = settings();
    return options.sessionPolicy ?? { ...DEFAULT_SESSION_POLICY, idleMs: s.adminIdleMinutes * 60_000, absoluteMs: s.adminSessionHours * 3_600_000 };
  };
  const shared = { settings, isLocalClient, hostNames, rendererDir, tls: useTls, security };
  return {
    connections: { ...DEFAULT_CONNECTION_LIMITS, ...options.connectionLimits },
    verifier: services.verifier,
    settings,
    isLocalClient,
    hostNames,
    ...(material ? { https: { key: material.key, cert: material.cert } } : {}),
    log,
    metering: services.metering,
    scheduler: services.scheduler,
    hosts: services.hosts,
    budgets: services.budgets,
    queueWaited: (ms) => services.queue.waited(ms),
    security,
    admin: {
      ...shared,
      control: services.control,
      sessions: new AdminSessions(store, AdminSessions.loadKey(options.dataDir, options.vault), sessionPolicy),
      account: services.account,
      lockout: new AdminLockout(store.lockouts, Date.now, DEFAULT_SIGN_IN_LIMITS, (err) => log.warn(`Could not store a sign-in lockout: ${(err as Error).message}`)),
      log,
    },
    invites: {
      ...shared,
      invites: services.invites,
      ca: () => {
        const now = serving();
        return now?.caPem && now.tls?.caFingerprint ? { pem: now.caPem, fingerprint: now.tls.caFingerprint } : null;
      },
      webappPort: () => serving()?.webappPort ?? null,
    },
  };
}

/**
 * The built dashboard: from source, in out/renderer (main/../renderer is the unbuilt source, whose
 * pages would load .tsx); from the bundled CLI, beside it (out/cli → out/renderer).
 */
function findRendererDir(): string | null {
  const candidates = [join(__dirname, '..', 'out', 'renderer'), join(__dirname, '..', 'renderer')];
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? null;
}
