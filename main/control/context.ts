import type { AdminAccount } from '../auth/admin-account';
import type { TokenVerifier } from '../auth/token-verifier';
import type { Settings } from '../config/settings';
import type { Metering } from '../metering/metering';
import type { OllamaClient } from '../ollama/client';
import type { PullJobs } from '../ollama/pull-jobs';
import type { OllamaSupervisor } from '../ollama/supervisor';
import type { Store } from '../store/store';
import type { TlsMaterial } from '../tls/tls-manager';

/** What the running core is serving, once it listens. */
export interface Serving {
  urls: string[];
  tls: Pick<TlsMaterial, 'source' | 'leafFingerprint' | 'caFingerprint'> | null;
  /** The CA certificate (PEM) clients trust, when Gatehouse made it. */
  caPem: string | null;
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
  /** The remote administrator's account, built once by the core (it holds the keystore). */
  account?: AdminAccount;
}
