import type { Command } from 'commander';
import { DEFAULT_SETTINGS, isSettingKey, parseSetting, type SettingKey } from '../config/settings';
import { RESTART_KEYS } from '../control/settings';
import { UsageError } from '../errors';
import { withControl, withStore, type Output } from './context';
import { table } from './format';
import { action, command, dataDirOption, runCommand, type Ran } from './program';

function checkKey(k: string | undefined): SettingKey {
  if (!k) throw new UsageError('Say which setting: gatehouse config get KEY. See: gatehouse config --help');
  if (!isSettingKey(k)) throw new UsageError(`There is no setting "${k}". Known: ${Object.keys(DEFAULT_SETTINGS).join(', ')}.`);
  return k;
}

async function set(key: string | undefined, value: string | undefined, dataDir: string | undefined, io: Output): Promise<number> {
  const k = checkKey(key);
  if (value === undefined) throw new UsageError(`Give a value: gatehouse config set ${k} VALUE`);
  // Through the ControlApi, as the window's Settings page saves: same checks, same audit.
  const stored = await withControl(dataDir, async (control, store) => {
    if (k === 'paused') await control.call('setPaused', { paused: parseSetting('paused', value) });
    else await control.call('updateSettings', { changes: { [k]: value } });
    return store.settings.load().settings[k];
  }, {}, io);
  io.out(`${k} = ${String(stored)}${RESTART_KEYS.includes(k) ? ' (a running gateway applies this at its next start)' : ''}`);
  return 0;
}

/** `gatehouse config [get KEY | set KEY VALUE]`: the settings, read from the store and changed through the ControlApi. */
export function configGroup(io: Output, ran: Ran): Command {
  const group = command('config', 'settings');
  group
    .command('show', { isDefault: true, hidden: true })
    .addOption(dataDirOption())
    .option('--json', 'as JSON')
    .action(
      action(ran, (values: { dataDir?: string; json?: boolean }) =>
        withStore(values.dataDir, (store) => {
          const { settings } = store.settings.load();
          if (values.json) io.out(JSON.stringify(settings));
          else io.out(table(['SETTING', 'VALUE', 'DEFAULT'], (Object.keys(settings) as SettingKey[]).map((k) => [k, String(settings[k]), String(DEFAULT_SETTINGS[k])])));
          return 0;
        }),
      ),
    );
  group.addHelpText('after', '\nWithout a command: every setting with its value and default (--json for JSON).');
  group
    .command('get')
    .description("one setting's value")
    .argument('[key]', 'the setting')
    .addOption(dataDirOption())
    .action(
      action(ran, (key: string | undefined, values: { dataDir?: string }) =>
        withStore(values.dataDir, (store) => {
          io.out(String(store.settings.load().settings[checkKey(key)]));
          return 0;
        }),
      ),
    );
  group
    .command('set')
    .description('change a setting (a running gateway applies most within a second; host, port, TLS and the body limit at its next start)')
    .argument('[key]', 'the setting')
    .argument('[value]', 'its new value')
    .addOption(dataDirOption())
    .action(action(ran, (key: string | undefined, value: string | undefined, values: { dataDir?: string }) => set(key, value, values.dataDir, io)));
  return group;
}

export function configCommand(argv: string[], io: Output): Promise<number> {
  const ran = { code: 0 };
  return runCommand(configGroup(io, ran), argv, io, ran);
}
