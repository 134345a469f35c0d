/** What the operations answer: the views the window shows. Types only. */
import type { LiveRequest, OllamaStatus, Settings, Snippet, TokenRecord, UpstreamView } from './types';

export interface Endpoint {
  label: string;
  url: string;
}

export interface Overview {
  endpoints: Endpoint[];
  /** `name` with Tailscale; `warning` when the certificate is not the one the settings ask for. */
  tls: { source: 'local-ca' | 'custom' | 'tailscale' | 'acme'; caFingerprint: string | null; leafFingerprint: string; name?: string; warning?: string } | null;
  paused: boolean;
  ollama: OllamaStatus | null;
  today: { requests: number; errors: number; tokensIn: number; tokensOut: number };
  activeTokens: number;
  live: LiveRequest[];
  /** The fair queue in front of Ollama: slots, who waits, and recent waits. */
  queue: QueueView | null;
  /** The Ollama hosts: how many, and which are down (the tray says "1 of 2 Ollama hosts down"). */
  upstreams: { total: number; down: Array<Pick<UpstreamView, 'name' | 'error'>> };
}

export interface QueueView {
  slots: number;
  busy: number;
  waiting: number;
  /** Who holds slots or waits, by token name ("this computer" for tokenless local requests). */
  clients: Array<{ name: string; running: number; waiting: number }>;
  waitP50Ms: number | null;
  waitP95Ms: number | null;
}

export interface TokenView extends TokenRecord {
  /** Requests and tokens in and out over the last 30 days. */
  usage: { requests: number; tokensIn: number; tokensOut: number };
  /** Tokens used today and this month, against dailyTokens and monthlyTokens. */
  spent: { day: number; month: number };
}


export interface ShareBundle {
  /** What the QR code holds: the endpoint, with the token and CA fingerprint in the fragment. */
  payload: string;
  qrDataUrl: string;
  snippets: Snippet[];
}

export interface MetricsPoint {
  /** Start of the hour (or day), epoch ms. */
  at: number;
  requests: number;
  errors: number;
  tokensIn: number;
  tokensOut: number;
  p50: number | null;
  p95: number | null;
  ttfbP50: number | null;
}

export interface MetricsBreakdown {
  name: string;
  requests: number;
  errors: number;
  tokensIn: number;
  tokensOut: number;
}

export interface Metrics {
  bucket: 'hour' | 'day';
  series: MetricsPoint[];
  byToken: MetricsBreakdown[];
  byModel: MetricsBreakdown[];
}

export interface ActivityRow {
  id: number;
  at: number;
  /** audit: the actor; security: the event kind. */
  who: string;
  what: string;
  target: string | null;
  detail: string | null;
  ip: string | null;
  /** Security events: how many times it happened (from that address, within a minute). */
  count: number;
}

export interface SettingsView {
  settings: Settings;
  /** Keys set by a flag or environment variable for this run; changes to them apply next start. */
  overridden: string[];
  /** Keys whose change needs a restart of the gateway (bind address, port, TLS). */
  restartKeys: string[];
  /** How private keys are kept at rest: sealed by the OS keystore, or as owner-only files. */
  secretStorage: { encrypted: boolean; detail: string };
}

/** A certificate as people check it: for which names, from whom, until when. */
export interface CertificateView {
  names: string[];
  issuer: string;
  validFrom: string;
  validTo: string;
  /** When Gatehouse gets the next one (ACME: two thirds into its life); null when it does not. */
  renewsAt: string | null;
  fingerprint: string;
}

/** Which certificate is served and why (Settings → Certificate, gatehouse tls status). */
export interface TlsStatus {
  mode: 'local-ca' | 'custom' | 'tailscale' | 'acme';
  /** What teammates are shown now; null when the gateway serves plain HTTP or has not started. */
  serving: { source: 'local-ca' | 'custom' | 'tailscale' | 'acme'; name?: string; warning?: string; certificate: CertificateView } | null;
  /** What ACME is set to, and the DNS providers Gatehouse can use. */
  acme: { domain: string; email: string; dns: string; directory: string; hasToken: boolean; providers: string[] };
}
