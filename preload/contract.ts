/**
 * The one definition of what the window (or a browser on /admin, or the CLI) may ask of the core:
 * every operation with its argument schema and result type, and every event. main implements it,
 * preload bridges it over IPC, the HTTP transport serves it at /admin/api/<operation>, and the
 * renderer calls it through whichever transport it has. No Electron here, and nothing with effects.
 */
import { z } from 'zod';
import type { EventName } from './channels';
import { dnsProviderName, dnsToken, domainName, emailAddress, httpsUrl } from './certificate-rules';
import { ollamaKeyLine, tokenName, tokenPolicyFields, tokenSecret, upstreamName } from './rules';
import type { AdminSession, AdminStatus, Enrollment, InstalledModel, InviteView, LiveRequest, OllamaKeyView, OllamaStatus, PullJob, RunningModel, Settings, Snippet, TokenRecord, UpstreamView } from './types';
import type { ActivityRow, CertificateView, Endpoint, Metrics, Overview, QueueView, SettingsView, ShareBundle, TlsStatus, TokenView } from './views';

export type { OllamaKeyView, OllamaStatus, PullJob, Settings, Snippet, TokenRecord, InstalledModel, RunningModel, LiveRequest, InviteView, AdminStatus, Enrollment, AdminSession, UpstreamView };
export type * from './views';

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

  /** `on`: the Ollama host (see listUpstreams); the local one when absent. */
  listModels: z.object({ on: upstreamName.optional() }).strict(),
  pullModel: z.object({ model: modelName, on: upstreamName.optional() }).strict(),
  cancelPull: z.object({ model: modelName, on: upstreamName.optional() }).strict(),
  deleteModel: z.object({ model: modelName, on: upstreamName.optional() }).strict(),

  listUpstreams: none,
  /** Another machine's Ollama, or another Gatehouse (then with its token, and its CA when it uses its own). */
  addUpstream: z
    .object({
      url: z.string().trim().min(1).max(300),
      name: upstreamName.optional(),
      slots: z.number().int().min(0).max(256).default(4),
      token: tokenSecret.optional(),
      insecure: z.boolean().default(false),
      caPem: z.string().max(20_000).optional(),
    })
    .strict(),
  removeUpstream: z.object({ name: upstreamName }).strict(),

  getTlsStatus: none,
  /** A certificate from Let's Encrypt (or `directory`) for `domain`, proved by a TXT record at `dns`; `dnsToken` absent: the one kept. */
  useAcme: z
    .object({
      domain: domainName('The domain'),
      email: emailAddress('The email address'),
      dns: dnsProviderName,
      dnsToken: dnsToken.optional(),
      directory: httpsUrl('The ACME directory').optional(),
    })
    .strict(),

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
  listUpstreams: UpstreamView[];
  /** `warning`: what the owner should know (plain http). */
  addUpstream: { upstream: UpstreamView; warning: string | null };
  removeUpstream: { removed: string };
  getTlsStatus: TlsStatus;
  /** `message`: what happens next (the restart that puts it in service). */
  useAcme: { certificate: CertificateView; message: string };
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
  changed: { what: 'tokens' | 'settings' | 'models' | 'upstreams' | 'certificate' };
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
