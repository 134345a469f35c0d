import type { SettingsView } from '../../preload/contract';
import { DEFAULT_SETTINGS, isSettingKey, parseSetting, type SettingKey } from '../config/settings';
import { UsageError } from '../errors';
import { localOnly } from './admin';
import type { HandlerContext, Handlers } from './context';

/** Settings read once when the gateway starts: a change applies at the next start. */
export const RESTART_KEYS: SettingKey[] = ['host', 'port', 'tlsMode', 'tlsCertFile', 'tlsKeyFile', 'bodyLimitMiB', 'webappUpstream', 'webappPort'];
/**
 * Settings that move a trust boundary: where prompts go (upstream), who can reach the gateway and
 * how (host, port, TLS), what runs without a token, who may administer, and which registries
 * Ollama may be sent to. A stolen remote session must not be able to change them.
 */
export const LOCAL_ONLY_KEYS: ReadonlySet<SettingKey> = new Set(['upstream', 'host', 'port', 'tlsMode', 'tlsCertFile', 'tlsKeyFile', 'acmeDomain', 'acmeEmail', 'acmeDns', 'acmeDirectory', 'trustLoopback', 'adminAllowList', 'registryAllowList', 'remoteAdmin', 'webappUpstream', 'webappPort', 'webappTrustedHeader']);
/** Changed by their own operations (pause, remote sign-in enrolment), never as a plain setting. */
const OWN_OPERATION_KEYS: ReadonlySet<string> = new Set(['paused', 'remoteAdmin', 'acmeDomain', 'acmeEmail', 'acmeDns', 'acmeDirectory']);

/** Reading and changing settings; a change is all or nothing. */
export function settingsHandlers(ctx: HandlerContext): Pick<Handlers, 'getSettings' | 'updateSettings'> {
  const settingsView = (): SettingsView => ({
    settings: { ...ctx.settings() },
    overridden: Object.keys(ctx.overrides),
    restartKeys: RESTART_KEYS,
    secretStorage: ctx.vaultDescription
      ? { encrypted: true, detail: `Private keys (certificate authority, sessions) are encrypted with ${ctx.vaultDescription}.` }
      : { encrypted: false, detail: 'Private keys (certificate authority, sessions) are files only your user can read (0600), not encrypted by an OS keystore.' },
  });
  return {
    getSettings: settingsView,
    updateSettings: ({ changes }, actor) => {
      const entries = Object.entries(changes);
      // Every key and value is checked before the first one is stored.
      for (const [key, value] of entries) {
        if (!isSettingKey(key) || OWN_OPERATION_KEYS.has(key)) {
          throw new UsageError(`"${key}" is not a setting that can be changed here.`, `Settings: ${Object.keys(DEFAULT_SETTINGS).filter((k) => !OWN_OPERATION_KEYS.has(k)).join(', ')}`);
        }
        if (actor === 'remote-admin' && LOCAL_ONLY_KEYS.has(key)) throw localOnly(`change "${key}"`);
        const parsed = parseSetting(key, value);
        if (key === 'tlsMode' && parsed === 'acme' && !ctx.settings().acmeDomain) {
          throw new UsageError('There is no ACME certificate to switch to yet.', 'Get one first: gatehouse tls use acme --domain … --email … --dns cloudflare --dns-token … (or Settings → Certificate).');
        }
      }
      for (const [key, value] of entries) ctx.store.setSetting(key as SettingKey, value, actor);
      ctx.changed('settings');
      return settingsView();
    },
  };
}
