export type { LiveRequest } from '../../preload/types';
/** One forwarded request, as metering stores it. Times are epoch ms; durations ms. */
export interface RequestRecord {
  at: number;
  tokenId: string | null;
  tokenName: string | null;
  model: string | null;
  route: string;
  status: number;
  durationMs: number;
  ttfbMs: number | null;
  promptTokens: number | null;
  completionTokens: number | null;
  streamed: boolean;
  aborted: boolean;
  error: string | null;
  ip: string;
  bytesIn: number;
  bytesOut: number;
  /** Time spent in the gateway before the request left for Ollama (checks, body read, policy). */
  overheadMs: number;
  /** The Ollama host that served it (`local`, or a name from `gatehouse upstreams`); null when none did. */
  upstream?: string | null;
  /** The model as aggregates know it (`other` for names the upstream does not have); `model` when absent. */
  modelLabel?: string;
}

/** Who changed something: the tray, the window, the CLI, or a remote administrator. */
/** `api`: a token holder through the proxied Ollama API (pull, delete…); the target names the token. */
export type Actor = 'tray' | 'window' | 'cli' | 'remote-admin' | 'api' | 'system';

export interface AuditEntry {
  at: number;
  actor: Actor;
  action: string;
  target?: string | null;
  detail?: string | null;
}

export interface Retention {
  requestDays: number;
  aggregateDays: number;
  securityDays: number;
}

export const DEFAULT_RETENTION: Retention = { requestDays: 30, aggregateDays: 400, securityDays: 90 };
