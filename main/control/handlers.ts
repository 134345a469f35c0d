import { hostname } from 'node:os';
import QRCode from 'qrcode';
import type { Endpoint, Overview, ParsedArgs, Results, SettingsView, TokenView } from '../../preload/contract';
import { AdminAccount } from '../auth/admin-account';
import { parseExpiry } from '../auth/duration';
import { isWellFormedToken } from '../auth/token-format';
import { canonicalModelName, DEFAULT_HOST } from '../auth/model-names';
import { parseRegistryList, registryRefusal } from '../auth/registries';
import { TokenService } from '../auth/tokens';
import { DEFAULT_SETTINGS, isSettingKey, parseSetting, type SettingKey } from '../config/settings';
import { GatehouseError, UsageError } from '../errors';
import type { Actor } from '../metering/records';
import { Invites } from '../share/invites';
import { clientSnippets, sharePayload } from '../share/snippets';
import type { ControlContext } from './context';
import { activityFrom, metricsFrom, startOfLocalDay } from './metrics-view';

const DAY_MS = 86_400_000;
/** Settings read once when the gateway starts: a change applies at the next start. */
export const RESTART_KEYS: SettingKey[] = ['host', 'port', 'tlsMode', 'tlsCertFile', 'tlsKeyFile', 'bodyLimitMiB'];
/**
 * Settings that move a trust boundary: where prompts go (upstream), who can reach the gateway and
 * how (host, port, TLS), what runs without a token, who may administer, and which registries
 * Ollama may be sent to. A stolen remote session must not be able to change them.
 */
export const LOCAL_ONLY_KEYS: ReadonlySet<SettingKey> = new Set(['upstream', 'host', 'port', 'tlsMode', 'tlsCertFile', 'tlsKeyFile', 'trustLoopback', 'adminAllowList', 'registryAllowList', 'remoteAdmin']);

type Handlers = { [O in keyof Results]: (args: ParsedArgs<O>, actor: Actor) => Promise<Results[O]> | Results[O] };

/** Names people recognise for each address the gateway answers on. */
export function labelEndpoints(urls: string[]): Endpoint[] {
  const short = hostname().toLowerCase();
  return urls.map((url) => {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    const loopback = host === 'localhost' || host === '::1' || host.startsWith('127.');
    const label = loopback ? 'This computer only' : host.endsWith('.local') ? `${short}.local (name on the local network)` : host.includes(':') || /^\d/.test(host) ? `Network address ${host}` : host;
    return { label, url };
  });
}

/** Refuses a pull that would send Ollama to a registry that is not on the allow-list. */
function checkRegistry(model: string, allowList: string): void {
  const parsed = canonicalModelName(model);
  if (!parsed.ok) throw new UsageError(parsed.message);
  const refusal = registryRefusal(parsed.host ?? DEFAULT_HOST, parseRegistryList(allowList));
  if (refusal) throw new GatehouseError('REGISTRY_REFUSED', `Ollama may not fetch "${model}": ${refusal}.`, 'If you trust that registry, add its name to registryAllowList in Settings on the Gatehouse computer.');
}

/** The operations themselves, over the core's parts. Arguments arrive validated. */
export function createHandlers(ctx: ControlContext, changed: (what: 'tokens' | 'settings' | 'models') => void): Handlers {
  const clock = ctx.clock ?? Date.now;
  const tokens = (actor: Actor) => new TokenService(ctx.store, { actor, clock });
  const requireOllama = () => {
    if (!ctx.ollama) throw new GatehouseError('NOT_SUPERVISING', 'This Gatehouse does not watch over Ollama.', 'Start it with gatehouse serve (without --no-supervise) or the tray app.');
    return ctx.ollama;
  };
  const endpoints = () => labelEndpoints(ctx.serving?.()?.urls ?? []);
  const account = ctx.account ?? new AdminAccount(ctx.store, clock);
  const invites = new Invites(ctx.store, clock);
  const localOnly = (what: string) =>
    new GatehouseError('LOCAL_ONLY', `For safety, you can only ${what} on the Gatehouse computer itself.`, 'Use the tray app, the dashboard on that computer, or the gatehouse CLI there.');

  const settingsView = (): SettingsView => ({
    settings: { ...ctx.settings() },
    overridden: Object.keys(ctx.overrides),
    restartKeys: RESTART_KEYS,
    secretStorage: ctx.vaultDescription
      ? { encrypted: true, detail: `Private keys (certificate authority, sessions) are encrypted with ${ctx.vaultDescription}.` }
      : { encrypted: false, detail: 'Private keys (certificate authority, sessions) are files only your user can read (0600), not encrypted by an OS keystore.' },
  });

  const handlers: Handlers = {
    getOverview: (): Overview => {
      const serving = ctx.serving?.() ?? null;
      const today = { requests: 0, errors: 0, tokensIn: 0, tokensOut: 0 };
      for (const row of ctx.store.metering.hourlySince(startOfLocalDay(clock()))) {
        today.requests += row.requests;
        today.errors += row.errors;
        today.tokensIn += row.prompt_tokens;
        today.tokensOut += row.completion_tokens;
      }
      return {
        endpoints: endpoints(),
        tls: serving?.tls ? { ...serving.tls, caFingerprint: serving.tls.caFingerprint ?? null } : null,
        paused: ctx.settings().paused,
        ollama: ctx.ollama?.status() ?? null,
        today,
        activeTokens: ctx.verifier?.activeTokens ?? ctx.store.tokens.all().filter((t) => t.revokedAt === null).length,
        live: ctx.metering?.live() ?? [],
      };
    },
    setPaused: ({ paused }, actor) => {
      ctx.store.setSetting('paused', paused, actor);
      changed('settings');
      return { paused };
    },

    listTokens: (): TokenView[] => {
      const usage = new Map<string, TokenView['usage']>();
      for (const row of ctx.store.metering.hourlySince(clock() - 30 * DAY_MS)) {
        const u = usage.get(row.token_id) ?? { requests: 0, tokensIn: 0, tokensOut: 0 };
        u.requests += row.requests;
        u.tokensIn += row.prompt_tokens;
        u.tokensOut += row.completion_tokens;
        usage.set(row.token_id, u);
      }
      return tokens('system').list().map((t) => ({ ...t, usage: usage.get(t.id) ?? { requests: 0, tokensIn: 0, tokensOut: 0 } }));
    },
    createToken: ({ expiresIn, ...input }, actor) => {
      const created = tokens(actor).create({ ...input, ...(expiresIn ? { expiresAt: parseExpiry(expiresIn, clock()) } : {}) });
      changed('tokens');
      return created;
    },
    updateToken: ({ token, changes: { expiresIn, ...changes } }, actor) => {
      const expiry = expiresIn === undefined ? {} : { expiresAt: expiresIn === null || expiresIn === 'never' ? null : parseExpiry(expiresIn, clock()) };
      const updated = tokens(actor).update(token, { ...changes, ...expiry });
      changed('tokens');
      return updated;
    },
    revokeToken: ({ token }, actor) => {
      const revoked = tokens(actor).revoke(token);
      changed('tokens');
      return revoked;
    },

    getShareInfo: () => ({
      endpoints: endpoints().filter((e) => !e.url.includes('//localhost')),
      caFingerprint: ctx.serving?.()?.tls?.caFingerprint ?? null,
    }),
    shareBundle: async ({ endpoint, token, model }) => {
      if (!isWellFormedToken(token)) throw new UsageError('That is not a Gatehouse token: check that it was copied whole.');
      const known = endpoints().map((e) => e.url);
      if (!known.includes(endpoint)) throw new UsageError(`${endpoint} is not an address this Gatehouse serves.`, `Pick one of: ${known.join(', ')}`);
      const ca = ctx.serving?.()?.tls?.caFingerprint ?? null;
      const payload = sharePayload(endpoint, token, ca);
      return {
        payload,
        qrDataUrl: await QRCode.toDataURL(payload, { errorCorrectionLevel: 'M', margin: 2, width: 320 }),
        snippets: clientSnippets({ endpoint, token, model, localCa: ca !== null }),
      };
    },
    getCaCertificate: () => {
      const serving = ctx.serving?.();
      return serving?.caPem && serving.tls?.caFingerprint ? { pem: serving.caPem, fingerprint: serving.tls.caFingerprint } : null;
    },

    listModels: async () => {
      const [installed, running] = await Promise.all([ctx.models.tags(), ctx.models.ps()]);
      return { installed, running, pulls: ctx.pulls.list() };
    },
    pullModel: ({ model }, actor) => {
      checkRegistry(model, ctx.settings().registryAllowList);
      // Audited by the ControlApi when it finishes (see control-api.ts), so every way of pulling is.
      const done = ctx.pulls.pull(model, actor);
      return ctx.pulls.list().find((j) => j.model === model && j.state === 'pulling') ?? done;
    },
    cancelPull: ({ model }) => ({ cancelled: ctx.pulls.cancel(model) }),
    deleteModel: async ({ model }, actor) => {
      await ctx.models.delete(model);
      ctx.store.metering.audit({ at: clock(), actor, action: 'model.deleted', target: model });
      changed('models');
      return { deleted: model };
    },

    getOllamaStatus: () => ctx.ollama?.status() ?? null,
    ollamaAction: async ({ action }, actor) => {
      const ollama = requireOllama();
      const status = action === 'start' ? await ollama.startOllama() : action === 'stop' ? await ollama.stopOllama() : await ollama.restartOllama();
      ctx.store.metering.audit({ at: clock(), actor, action: `ollama.${action}`, target: status.upstream });
      return status;
    },
    getOllamaLogs: () => ctx.ollama?.logs() ?? [],

    getMetrics: ({ days }) => metricsFrom(ctx.store.metering.hourlySince(clock() - days * DAY_MS), days, clock()),
    listActivity: ({ kind, days, before, limit }) => {
      const since = clock() - days * DAY_MS;
      ctx.metering?.flush();
      const page = { limit, before };
      return activityFrom(kind, kind === 'audit' ? ctx.store.metering.auditSince(since, page) : [], kind === 'security' ? ctx.store.metering.securitySince(since, page) : []);
    },

    createInvite: async ({ name, expiresIn, endpoint, policy }, actor) => {
      const known = endpoints().map((e) => e.url);
      if (!known.includes(endpoint)) throw new UsageError(`${endpoint} is not an address this Gatehouse serves.`, `Pick one of: ${known.join(', ')}`);
      const created = await invites.create({ name, expiresIn, policy }, endpoint, actor);
      return { ...created, message: Invites.message(created.invite, created.url, ctx.serving?.()?.tls?.caFingerprint ?? null) };
    },
    listInvites: () => invites.list(),
    revokeInvite: ({ id }, actor) => invites.revoke(id, actor),

    getAdminStatus: () => ({ ...account.status(), allowList: ctx.settings().adminAllowList }),
    beginRemoteAdmin: ({ password }, actor) => {
      // A new authenticator replaces the old one: only where a lost phone cannot be the attacker.
      if (actor === 'remote-admin') throw localOnly('reset the authenticator');
      if (account.status().enabled && password !== null) throw new UsageError('Remote sign-in is already on.', 'Change the password, or reset the authenticator, instead.');
      return account.beginEnrollment(password);
    },
    confirmRemoteAdmin: ({ code }, actor) => {
      if (actor === 'remote-admin') throw localOnly('reset the authenticator');
      return account.confirmEnrollment(code, actor).finally(() => changed('settings'));
    },
    disableRemoteAdmin: (_args, actor) => {
      if (actor === 'remote-admin') throw localOnly('turn remote sign-in off');
      account.disable(actor);
      changed('settings');
      return account.status();
    },
    changeAdminPassword: async ({ current, next }, actor) => {
      await account.changePassword(current, next, actor);
      return { changed: true as const };
    },
    renewRecoveryCodes: (_args, actor) => {
      if (actor === 'remote-admin') throw localOnly('renew the recovery codes');
      return account.renewRecoveryCodes(actor).then((recoveryCodes) => ({ recoveryCodes }));
    },
    listAdminSessions: () => ctx.store.admin.activeSessions(clock()),
    revokeAdminSessions: ({ id }, actor) => {
      const now = clock();
      const revoked = ctx.store.audited({ actor, action: 'admin.sessions_revoked', target: id ?? 'all' }, () => (id ? Number(ctx.store.admin.revoke(id, now)) : ctx.store.admin.revokeAll(now)));
      return { revoked };
    },

    getSettings: settingsView,
    updateSettings: ({ changes }, actor) => {
      const entries = Object.entries(changes);
      // All or nothing: every key and value is checked before the first one is stored.
      for (const [key, value] of entries) {
        if (!isSettingKey(key) || key === 'paused' || key === 'remoteAdmin') throw new UsageError(`"${key}" is not a setting that can be changed here.`, `Settings: ${Object.keys(DEFAULT_SETTINGS).filter((k) => k !== 'paused' && k !== 'remoteAdmin').join(', ')}`);
        if (actor === 'remote-admin' && LOCAL_ONLY_KEYS.has(key)) throw localOnly(`change "${key}"`);
        parseSetting(key, value);
      }
      for (const [key, value] of entries) ctx.store.setSetting(key as SettingKey, value, actor);
      changed('settings');
      return settingsView();
    },
  };
  return handlers;
}
