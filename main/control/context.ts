import type { Endpoint, ParsedArgs, Results } from '../../preload/contract';
import type { AdminAccount } from '../auth/admin-account';
import type { Budgets } from '../auth/budgets';
import type { TokenVerifier } from '../auth/token-verifier';
import type { TokenService } from '../auth/tokens';
import type { Settings } from '../config/settings';
import type { Metering } from '../metering/metering';
import type { Actor } from '../metering/records';
import type { OllamaClient } from '../ollama/client';
import type { PullJobs } from '../ollama/pull-jobs';
import type { OllamaSupervisor } from '../ollama/supervisor';
import type { Scheduler } from '../gateway/scheduler';
import type { QueueMetrics } from '../metering/queue-metrics';
import type { Invites } from '../share/invites';
import type { Store } from '../store/store';
import type { AcmeIssuer } from '../tls/acme';
import type { SecretVault } from '../tls/files';
import type { TlsMaterial } from '../tls/tls-manager';
import type { UpstreamHosts } from '../upstreams/hosts';

/** What the running core is serving, once it listens. */
export interface Serving {
  urls: string[];
  tls: Pick<TlsMaterial, 'source' | 'leafFingerprint' | 'caFingerprint' | 'name' | 'warning'> | null;
  /** The CA certificate (PEM) clients trust, when Gatehouse made it. */
  caPem: string | null;
  /** The port the gateway listens on (absent in a CLI run, which serves nothing). */
  port?: number;
  /** The port of the web app gate, when one runs. */
  webappPort?: number;
}

/** Everything the ControlApi works with; the CLI passes a subset (no gateway, no supervisor). */
export interface ControlContext {
  store: Store;
  settings: () => Readonly<Settings>;
  /** Settings given by flags or environment for this run. */
  overrides: Partial<Settings>;
  models: OllamaClient;
  pulls: PullJobs;
  verifier?: TokenVerifier;
  metering?: Metering;
  ollama?: OllamaSupervisor | null;
  serving?: () => Serving | null;
  /** Where private keys are sealed (the tray app's OS keystore); absent: owner-only files. */
  vaultDescription?: string;
  clock?: () => number;
  /** The services the core built once (the account holds the keystore); absent, the ControlApi makes its own. */
  tokens?: TokenService;
  account?: AdminAccount;
  invites?: Invites;
  /** The fair queue in front of Ollama, for the Overview. */
  scheduler?: Scheduler;
  queue?: QueueMetrics;
  /** Tokens each API token used today and this month (else read from the store). */
  budgets?: Budgets;
  /** The Ollama hosts (the local one and those added); absent only in tests that need none. */
  hosts?: UpstreamHosts;
  /** Seals the tokens of other Gatehouses at rest (the tray app's OS keystore). */
  vault?: SecretVault;
  /** Where the certificates live, and who gets ACME ones; absent only in tests that need neither. */
  tlsDir?: string;
  acme?: AcmeIssuer;
  /** The certificate the running gateway serves now (absent in a CLI run). */
  certificate?: () => TlsMaterial | undefined;
  /** Has the running gateway serve what the settings now ask for, without a restart. */
  applyCertificate?: () => Promise<void>;
}

/** Every operation of the contract, each taking its parsed arguments and who asked. */
export type Handlers = { [O in keyof Results]: (args: ParsedArgs<O>, actor: Actor) => Promise<Results[O]> | Results[O] };

/** What each domain's handlers work with: the core's parts, plus the few helpers they share. */
export interface HandlerContext extends ControlContext {
  tokens: TokenService;
  account: AdminAccount;
  invites: Invites;
  clock: () => number;
  /** Tells every window that something it shows has changed. */
  changed: (what: 'tokens' | 'settings' | 'models' | 'upstreams') => void;
  /** The addresses the gateway serves, with the names people know them by. */
  endpoints: () => Endpoint[];
  caFingerprint: () => string | null;
}
