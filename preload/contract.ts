/**
 * The one definition of what the window (or a browser on /admin, or the CLI) may ask of the core:
 * every operation with its argument schema and result type, and every event. main implements it,
 * preload bridges it over IPC, the HTTP transport serves it at /admin/api/<operation>, and the
 * renderer calls it through whichever transport it has. No Electron here, and nothing with effects.
 */
import { z } from 'zod';
import type { EventName } from './channels';
import { ollamaKeyLine, tokenName, tokenPolicyFields, tokenSecret } from './rules';
import type { AdminSession, AdminStatus, Enrollment, InstalledModel, InviteView, LiveRequest, OllamaKeyView, OllamaStatus, PullJob, RunningModel, Settings, Snippet, TokenRecord } from './types';

export type { OllamaKeyView, OllamaStatus, PullJob, Settings, Snippet, TokenRecord, InstalledModel, RunningModel, LiveRequest, InviteView, AdminStatus, Enrollment, AdminSession };

const none = z.object({}).strict();
const modelName = z.string().trim().min(1).max(300);
const days = z.number().int().min(1).max(400);
/** A token's id (tk_…) or its name. */
// eslint-disable-next-line no-control-regex
const tokenRef = z.string().trim().min(1).max(64).regex(/^[^\u0000-\u001f\u007f]+$/, 'not a token id or name');

/** A token's policy fields. Limits: a number, null for none, absent for the default of Settings. */
const policy = {
  ...tokenPolicyFields,
  /** A duration such as 30d or 12h, or a date such as 2027-01-31; null for no expiry. */
  expiresIn: z.string().trim().max(32).nullable().optional(),
};

/** Argument schemas, by operation. Unknown keys are refused so a typo cannot pass silently. */
export const schemas = {
  getOverview: none,
  getQueue: none,
  setPaused: z.object({ paused: z.boolean() }).strict(),

  listTokens: none,
  createToken: z
    .object({
      name: tokenName,
      ...policy,
      scope: policy.scope.default('inference'),
      allowModels: policy.allowModels.default([]),
      denyModels: policy.denyModels.default([]),
      metrics: policy.metrics.default(false),
      cloud: policy.cloud.default(false),
      /** Public keys of the ollama command (OLLAMA_AUTH=1) that act as this token. */
      ollamaKeys: z.array(ollamaKeyLine).max(10).optional(),
    })
    .strict(),
  /** Changes only the fields given; `expiresIn: null` removes the expiry, `rpm: null` the limit. */
  updateToken: z
    .object({
      token: tokenRef,
      changes: z.object({ ...policy, addOllamaKey: ollamaKeyLine.optional(), removeOllamaKeys: z.literal(true).optional() }).strict(),
    })
    .strict(),
  revokeToken: z.object({ token: tokenRef }).strict(),

  getShareInfo: none,
  shareBundle: z
    .object({
      endpoint: z.string().url().max(300),
      token: tokenSecret,
      /** The model the snippets use; one the token may use. */
      model: modelName.default('llama3.2'),
    })
    .strict(),
  getCaCertificate: none,

  listModels: none,
  pullModel: z.object({ model: modelName }).strict(),
  cancelPull: z.object({ model: modelName }).strict(),
  deleteModel: z.object({ model: modelName }).strict(),

  getOllamaStatus: none,
  ollamaAction: z.object({ action: z.enum(['start', 'stop', 'restart']) }).strict(),
  getOllamaLogs: none,

  getMetrics: z.object({ days }).strict(),
  /** The newest `limit` rows of the period; `before` (a row id) pages to older ones. */
  listActivity: z.object({ kind: z.enum(['audit', 'security']), days, before: z.number().int().positive().optional(), limit: z.number().int().min(1).max(5000).default(500) }).strict(),

  createInvite: z
    .object({
      name: tokenName,
      /** How long the link works: 24h by default. */
      expiresIn: z.string().trim().max(32).optional(),
      /** The address the teammate will use (one of the Share page's). */
      endpoint: z.string().url().max(300),
      policy: z.object({ ...policy, name: z.never().optional() }).strict().default({}),
    })
    .strict(),
  listInvites: none,
  revokeInvite: z.object({ id: z.string().regex(/^inv_[0-9a-f]{12}$/, 'not an invite id') }).strict(),

  getAdminStatus: none,
  /** Remote sign-in, step one: the password (null keeps the current one: a TOTP reset). */
  beginRemoteAdmin: z.object({ password: z.string().max(256).nullable() }).strict(),
  confirmRemoteAdmin: z.object({ code: z.string().trim().regex(/^\d{6}$/, 'the 6-digit code from the authenticator app') }).strict(),
  disableRemoteAdmin: none,
  changeAdminPassword: z.object({ current: z.string().max(256), next: z.string().max(256) }).strict(),
  renewRecoveryCodes: none,
  listAdminSessions: none,
  revokeAdminSessions: z.object({ id: z.string().regex(/^as_[0-9a-f]{24}$/).optional() }).strict(),

  getSettings: none,
  updateSettings: z.object({ changes: z.record(z.string().max(64), z.union([z.string().max(4096), z.number(), z.boolean()])) }).strict(),
} as const;

export type Operation = keyof typeof schemas;
export const OPERATIONS = Object.keys(schemas) as Operation[];
export type Args<O extends Operation> = z.input<(typeof schemas)[O]>;
export type ParsedArgs<O extends Operation> = z.output<(typeof schemas)[O]>;

export interface Endpoint {
  label: string;
  url: string;
}

export interface Overview {
  endpoints: Endpoint[];
  /** `name` with Tailscale; `warning` when the certificate is not the one the settings ask for. */
  tls: { source: 'local-ca' | 'custom' | 'tailscale'; caFingerprint: string | null; leafFingerprint: string; name?: string; warning?: string } | null;
  paused: boolean;
  ollama: OllamaStatus | null;
  today: { requests: number; errors: number; tokensIn: number; tokensOut: number };
  activeTokens: number;
  live: LiveRequest[];
  /** The fair queue in front of Ollama: slots, who waits, and recent waits. */
  queue: QueueView | null;
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

export interface Results {
  getOverview: Overview;
  getQueue: QueueView | null;
  setPaused: { paused: boolean };
  listTokens: TokenView[];
  createToken: { token: string; record: TokenRecord };
  updateToken: TokenRecord;
  revokeToken: TokenRecord;
  getShareInfo: { endpoints: Endpoint[]; caFingerprint: string | null };
  shareBundle: ShareBundle;
  getCaCertificate: { pem: string; fingerprint: string } | null;
  listModels: { installed: InstalledModel[]; running: RunningModel[]; pulls: PullJob[] };
  pullModel: PullJob;
  cancelPull: { cancelled: boolean };
  deleteModel: { deleted: string };
  getOllamaStatus: OllamaStatus | null;
  ollamaAction: OllamaStatus;
  getOllamaLogs: string[];
  getMetrics: Metrics;
  listActivity: ActivityRow[];
  /** `message`: the text to send with the link, with the CA fingerprint and what to expect. */
  createInvite: { invite: InviteView; url: string; qrDataUrl: string; message: string };
  listInvites: InviteView[];
  revokeInvite: InviteView;
  getAdminStatus: AdminStatus & { allowList: string };
  beginRemoteAdmin: Enrollment;
  confirmRemoteAdmin: { recoveryCodes: string[] };
  disableRemoteAdmin: AdminStatus;
  changeAdminPassword: { changed: true };
  renewRecoveryCodes: { recoveryCodes: string[] };
  listAdminSessions: AdminSession[];
  revokeAdminSessions: { revoked: number };
  getSettings: SettingsView;
  updateSettings: SettingsView;
}

/** What the core pushes: Ollama's state, pull progress, live requests, and "something changed". */
export interface Events extends Record<EventName, unknown> {
  ollama: OllamaStatus;
  pull: PullJob;
  live: LiveRequest[];
  /** Tokens, settings, pause or audit changed; the window refetches what it shows. */
  changed: { what: 'tokens' | 'settings' | 'models' };
}
export { EVENT_NAMES, channelOf, eventChannelOf, type EventName } from './channels';

type Call<O extends Operation> = Record<never, never> extends Args<O> ? (args?: Args<O>) => Promise<Results[O]> : (args: Args<O>) => Promise<Results[O]>;

/** The window's API: one named function per operation, and one subscription per event. */
export type GatehouseApi = { [O in Operation]: Call<O> } & {
  on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void;
};

/** The error shape both transports deliver: the code, the sentence, the fix. */
export interface ApiErrorBody {
  error: { code: string; message: string; fix?: string };
}

/**
 * What an IPC call answers. Electron keeps only the message of an error thrown across IPC, so
 * main never throws: it answers with the outcome, and the renderer turns a failure back into an error.
 */
export type Outcome<T> = { ok: true; result: T } | ({ ok: false } & ApiErrorBody);

/** `window.gatehouse` as the preload exposes it: one function per operation, plus `on`. */
export type GatehouseBridge = { [O in Operation]: (args?: Args<O>) => Promise<Outcome<Results[O]>> } & {
  on<E extends EventName>(event: E, listener: (payload: Events[E]) => void): () => void;
};
export { toCsv } from './csv';
export { DEFAULT_INVITE_LINK, DEFAULT_TOKEN_EXPIRY } from './rules';
export { clientSnippets, sharePayload, type SnippetInput } from './snippets';
