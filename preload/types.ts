/**
 * The data the contract's operations return and its events carry: plain types, shared by main,
 * preload and the renderer. Nothing here imports from main/, so the renderer and the preload see
 * exactly these shapes and main implements them.
 */
import type { PRIORITIES, SCOPES } from './rules';

export type Platform = 'darwin' | 'win32' | 'linux';

/** How Ollama is installed on this computer, found without running anything. */
export interface OllamaInstall {
  /** The `ollama` CLI that can run `ollama serve`, or null when none was found. */
  binary: string | null;
  /** The Ollama desktop app (macOS, Windows), which runs its own server and must not be competed with. */
  app: string | null;
  /** Linux: the systemd unit install.sh writes. Starting it needs root, so we only report on it. */
  systemService: boolean;
}

/** Who runs the Ollama that answers at the upstream; it decides what we may do to it and which fix applies. */
export type OllamaOwner = 'gatehouse' | 'desktop-app' | 'system-service' | 'unknown';

/** Where an Ollama answers without a gate, and how to close it. */
export interface Exposure {
  /** Non-loopback addresses at which Ollama answered, or is listening (from the kernel's socket table). */
  addresses: string[];
  message: string;
  fix: string;
}

/**
 * The supervisor's states. `running` is either ours (owner `gatehouse`) or adopted (anyone else's);
 * `unreachable` means something holds the port or an Ollama we do not own stopped answering.
 */
export type OllamaState = 'not-installed' | 'stopped' | 'starting' | 'running' | 'unreachable' | 'backing-off' | 'gave-up';

export interface OllamaStatus {
  state: OllamaState;
  owner: OllamaOwner | null;
  /** Running, but started by someone else; we watch it and never stop it. */
  adopted: boolean;
  version: string | null;
  upstream: string;
  install: OllamaInstall;
  /** Our `ollama serve` child's pid while it runs. */
  pid: number | null;
  /** Crashes in a row of our child (reset after it stays healthy). */
  failures: number;
  /** When the next restart attempt happens (backing-off). */
  retryAt: number | null;
  /** Set when Ollama also answers on a network address, bypassing the gateway. */
  exposure: Exposure | null;
  /** One plain sentence for the tray tooltip and the window. */
  message: string;
  fix: string | null;
  /** When the state last changed. */
  since: number;
}

export interface InstalledModel {
  name: string;
  size: number;
  digest: string;
  family: string | null;
  parameterSize: string | null;
  quantization: string | null;
  modifiedAt: string | null;
  /** Set for an alias of a model that runs elsewhere (ollama.com): it spends the owner's account. */
  remoteHost: string | null;
}

export interface RunningModel {
  name: string;
  size: number;
  sizeVram: number;
  expiresAt: string | null;
}

/** A request on its way through the gateway right now (for the window's live view). */
export interface LiveRequest {
  id: number;
  at: number;
  tokenName: string | null;
  model: string | null;
  route: string;
  ip: string;
}

/** What a person watching a pull wants to know. */
export interface PullProgress {
  status: string;
  completed: number;
  total: number;
  /** 0–100, over every layer seen so far; 100 once Ollama says success. */
  percent: number;
  bytesPerSecond: number;
  /** Seconds left at the current speed; null before the speed is known. */
  etaSeconds: number | null;
  done: boolean;
}

export type PullState = 'pulling' | 'done' | 'failed' | 'cancelled';

/** One download, as the window and the tray see it. */
export interface PullJob {
  model: string;
  /** The Ollama host it downloads to: `local`, or a name from `gatehouse upstreams`. */
  on: string;
  state: PullState;
  progress: PullProgress;
  /** Ollama's own error text when it failed. */
  error: string | null;
  startedAt: number;
  endedAt: number | null;
  /** Who started the download (for the audit log); later joiners share it. */
  requestedBy: string | null;
}

export interface Enrollment {
  secret: string;
  otpauthUri: string;
  qrDataUrl: string;
}

export interface AdminStatus {
  enabled: boolean;
  enrolling: boolean;
  recoveryCodesLeft: number;
}

export type InviteState = 'pending' | 'redeemed' | 'expired' | 'revoked';

export interface InviteView {
  id: string;
  name: string;
  state: InviteState;
  createdAt: number;
  expiresAt: number;
  redeemedAt: number | null;
  /** The token the invite became, once redeemed. */
  tokenName: string | null;
}

export interface AdminSession {
  id: string;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  revokedAt: number | null;
  ip: string;
  userAgent: string;
}

export type Scope = (typeof SCOPES)[number];
export type Priority = (typeof PRIORITIES)[number];

/** The policy fields a token can be created with or changed to. All times are epoch milliseconds. */
export interface TokenPolicy {
  scope: Scope;
  allowModels: string[];
  denyModels: string[];
  rpm: number | null;
  concurrency: number | null;
  /** May read /metrics (admin tokens may anyway). */
  metrics: boolean;
  /** May use cloud models and web search/fetch, which run on the owner's ollama.com account. */
  cloud: boolean;
  /** May sign in to the web app Gatehouse guards (Open WebUI, say). */
  web: boolean;
  /** Its share of Ollama's slots against other busy tokens (2 gets twice the share of 1). */
  weight: number;
  /** batch: served only when no interactive request waits (or after the starvation guard). */
  priority: Priority;
  /** Requests it may have waiting for a slot at once. */
  queue: number;
  /** Prompt + completion tokens it may use per day (local midnight) and per month (the 1st); null: no budget. */
  dailyTokens: number | null;
  monthlyTokens: number | null;
  expiresAt: number | null;
}

/** A token as stored, minus its hash. */
/** An ollama public key enrolled with a token (never the key itself in views: its fingerprint). */
export interface OllamaKeyView {
  /** As `ssh-keygen -lf` prints it: SHA256:… */
  fingerprint: string;
  /** The comment of the key line, such as bob@laptop. */
  comment: string;
  addedAt: number;
}

export interface TokenRecord extends TokenPolicy {
  id: string;
  name: string;
  hint: string;
  /** Keys whose signed requests (the ollama command with OLLAMA_AUTH=1) act as this token. */
  ollamaKeys: OllamaKeyView[];
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

/** Everything a user can change, with safe defaults. Stored in SQLite, one row a key. */
export interface Settings {
  /** Address the gateway binds. All interfaces by default: sharing with teammates is the point. */
  host: string;
  port: number;
  /** Where Ollama listens. Gatehouse keeps it on loopback and is the only door to it. */
  upstream: string;
  /** 'local-ca': Gatehouse's own CA; 'tailscale': the *.ts.net name's; 'acme': Let's Encrypt's for acmeDomain; 'custom': the files below. */
  tlsMode: 'local-ca' | 'custom' | 'tailscale' | 'acme';
  /** With 'acme': the owner's name for this machine, the contact address, the DNS provider that proves it, the authority. */
  acmeDomain: string;
  acmeEmail: string;
  acmeDns: string;
  acmeDirectory: string;
  /** The web app Gatehouse guards (Open WebUI, say), where it listens; empty for none. */
  webappUpstream: string;
  /** The port Gatehouse serves it on, with the same certificate. */
  webappPort: number;
  /** Tell the app who signed in: X-Trusted-User-Email / -Name headers (off, email or name). */
  webappTrustedHeader: 'off' | 'email' | 'name';
  tlsCertFile: string;
  tlsKeyFile: string;
  /** Let requests from this computer through without a token. Off: loopback is not trusted. */
  trustLoopback: boolean;
  /** While paused, only this computer may use the gateway. */
  paused: boolean;
  bodyLimitMiB: number;
  /** Limits given to new tokens unless set when creating them; 0 means none. */
  defaultRpm: number;
  defaultConcurrency: number;
  /** Invalid tokens from one address within the window that lock it out, and for how long. */
  lockoutThreshold: number;
  lockoutWindowSeconds: number;
  lockoutSeconds: number;
  /** Record every request (tokens, latency) for usage reports and metrics; off keeps only audit and security logs. */
  usageMetering: boolean;
  /** How long metering keeps per-request rows, hourly aggregates and security events. */
  retentionRequestDays: number;
  retentionAggregateDays: number;
  retentionSecurityDays: number;
  /** Dashboard sign-in from other computers (password + TOTP). Turned on only by enrolling. */
  remoteAdmin: boolean;
  /** Addresses (CIDR ranges, comma-separated) that may even try to sign in remotely. */
  adminAllowList: string;
  /** Registry hosts (comma-separated) that pulls, pushes and creates may name. */
  registryAllowList: string;
  /** Dashboard sessions end after this long unused, and after this long in all. */
  adminIdleMinutes: number;
  adminSessionHours: number;
  /** Requests Ollama runs at once: more wait in Gatehouse, served fairly. 0 turns the scheduler off. */
  upstreamSlots: number;
  /** The longest a request waits for a slot (then 503), and a batch request behind interactive ones. */
  queueTimeoutSeconds: number;
  batchMaxWaitSeconds: number;
}

/** One copy-paste example for a client (curl, the ollama and openai libraries, Open WebUI…). */
export interface Snippet {
  client: string;
  language: 'sh' | 'js' | 'python' | 'json' | 'yaml';
  code: string;
}

/** An Ollama host Gatehouse sends requests to: the local one, or one added with `gatehouse upstreams add`. */
export interface UpstreamView {
  name: string;
  /** The origin, without credentials. */
  url: string;
  /** Requests it runs at once (0: no limit). */
  slots: number;
  busy: number;
  /** `gatehouse`: another Gatehouse, reached with a token. */
  kind: 'local' | 'ollama' | 'gatehouse';
  insecure: boolean;
  /** Its certificate is checked against a CA given when it was added (another Gatehouse's local CA). */
  pinnedCa: boolean;
  state: 'unknown' | 'up' | 'down';
  /** Since when it is in that state (epoch ms). */
  since: number | null;
  /** Why it is down, in words. */
  error: string | null;
  /** When it is checked next (epoch ms). */
  nextCheckAt: number | null;
  models: string[];
  loaded: string[];
}
