import { DEFAULT_SETTINGS, isSettingKey, parseSetting, type SettingKey } from '../config/settings';
import { RESTART_KEYS } from '../control/settings';
import { UsageError } from '../errors';
import { DATA_DIR_OPTION, parse } from './args';
import { withControl, withStore, type Output } from './context';
import { table } from './format';

export const CONFIG_USAGE = `Usage:
  gatehouse config [--json]           every setting with its value and default
  gatehouse config get KEY            one setting's value
  gatehouse config set KEY VALUE      change a setting (a running gateway applies most within a second;
                                      host, port, TLS and the body limit apply at its next start)`;


export async function configCommand(argv: string[], io: Output): Promise<number> {
  const { values, positionals } = parse(argv, { ...DATA_DIR_OPTION, json: { type: 'boolean' } }, 3);
  const [sub, key, value] = positionals;
  const checkKey = (k: string | undefined): SettingKey => {
    if (!k) throw new UsageError(CONFIG_USAGE);
    if (!isSettingKey(k)) throw new UsageError(`There is no setting "${k}". Known: ${Object.keys(DEFAULT_SETTINGS).join(', ')}.`);
    return k;
  };
  if (sub === 'set') {
    const k = checkKey(key);
    if (value === undefined) throw new UsageError(`Give a value: gatehouse config set ${k} VALUE`);
    // Through the ControlApi, as the window's Settings page saves: same checks, same audit.
    const stored = await withControl(values['data-dir'], async (control, store) => {
      if (k === 'paused') await control.call('setPaused', { paused: parseSetting('paused', value) });
      else await control.call('updateSettings', { changes: { [k]: value } });
      return store.settings.load().settings[k];
    });
    io.out(`${k} = ${String(stored)}${RESTART_KEYS.includes(k) ? ' (a running gateway applies this at its next start)' : ''}`);
    return 0;
  }
  return withStore(values['data-dir'], (store) => {
    if (sub === undefined) {
      const { settings } = store.settings.load();
      if (values.json) io.out(JSON.stringify(settings));
      else io.out(table(['SETTING', 'VALUE', 'DEFAULT'], (Object.keys(settings) as SettingKey[]).map((k) => [k, String(settings[k]), String(DEFAULT_SETTINGS[k])])));
      return 0;
    }
    if (sub === 'get') {
      io.out(String(store.settings.load().settings[checkKey(key)]));
      return 0;
    }
    throw new UsageError(`Unknown config command "${sub}".\n${CONFIG_USAGE}`);
  });
}
