import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { MenuItemConstructorOptions, SafeStorage } from 'electron';
import { channelOf, eventChannelOf, OPERATIONS } from '../../preload/contract';
import { ControlApi } from '../../main/control/control-api';
import { OllamaClient } from '../../main/ollama/client';
import { PullJobs } from '../../main/ollama/pull-jobs';
import type { OllamaStatus } from '../../main/ollama/status';
import { linuxAutostartEntry, linuxAutostartFile, loginItemSettings } from '../../main/shell/autostart';
import { answer, registerControlIpc, type InvokeEvent } from '../../main/shell/ipc';
import { noticesFor } from '../../main/shell/notifications';
import { buildTrayMenu, shareableEndpoint, trayIconFile, trayHosts, trayLook, type TrayActions, type TrayState } from '../../main/shell/tray-model';
import { checkDue, nextUpdateState, UPDATE_INTERVAL_MS, type UpdateState } from '../../main/shell/update-state';
import { safeStorageVault } from '../../main/shell/vault';
import { isAllowedExternalUrl, isAppUrl, webPreferences } from '../../main/shell/web-security';
import { Store } from '../../main/store/store';
import { readSecret, writeSecret } from '../../main/tls/files';
import { tempDir } from '../helpers';

const ollama = (patch: Partial<OllamaStatus>): OllamaStatus => ({
  state: 'running', owner: 'gatehouse', adopted: false, version: '0.12.6', upstream: 'http://127.0.0.1:11434',
  install: { binary: '/usr/bin/ollama', app: null, systemService: false }, pid: 42, failures: 0, retryAt: null, exposure: null,
  message: 'Ollama 0.12.6 is running at http://127.0.0.1:11434, kept running by Gatehouse.', fix: null, since: 0, ...patch,
});
const base: TrayState = { paused: false, gatewayError: null, endpoint: 'https://192.168.1.20:11443', ollama: ollama({}), startAtLogin: false, update: { state: 'idle' } };
const calls: string[] = [];
const actions: TrayActions = {
  setPaused: (p) => calls.push(`paused:${p}`), copyEndpoint: () => calls.push('copy'), openShare: () => calls.push('share'), openWindow: () => calls.push('open'),
  ollama: (a) => calls.push(`ollama:${a}`), setStartAtLogin: (e) => calls.push(`login:${e}`), checkForUpdates: () => calls.push('check'), installUpdate: () => calls.push('install'), quit: () => calls.push('quit'),
};
const item = (menu: MenuItemConstructorOptions[], label: string | RegExp) => {
  const all = menu.flatMap((m) => [m, ...((m.submenu as MenuItemConstructorOptions[] | undefined) ?? [])]);
  const found = all.find((m) => (typeof label === 'string' ? m.label === label : label.test(m.label ?? '')));
  assert.ok(found, `menu item ${String(label)}`);
  return found;
};
const click = (m: MenuItemConstructorOptions) => (m.click as () => void)();

describe('the tray', () => {
  const looks: Array<[string, Partial<TrayState>, string, RegExp]> = [
    ['serving', {}, 'serving', /sharing Ollama/],
    ['paused', { paused: true }, 'paused', /paused/],
    ['Ollama crashed', { ollama: ollama({ state: 'backing-off', message: 'Ollama stopped unexpectedly' }) }, 'attention', /stopped unexpectedly/],
    ['Ollama exposed (even while paused)', { paused: true, ollama: ollama({ exposure: { addresses: ['0.0.0.0'], message: 'x', fix: 'y' } }) }, 'attention', /reachable from your network/],
    ['gateway error', { gatewayError: 'Port 11443 is in use.' }, 'attention', /not serving: Port 11443/],
    ['requests wait for the GPU', { waiting: 3 }, 'serving', /sharing Ollama with token holders, 3 waiting for the GPU/],
    ["Tailscale's certificate could not be had", { certificateWarning: 'Tailscale is not connected.' }, 'attention', /a problem with the certificate.*open the window for why/],
    ['an Ollama host is down', { hosts: trayHosts([{ name: 'local', state: 'up' }, { name: 'closet', state: 'down' }]) }, 'attention', /^Gatehouse: 1 of 2 Ollama hosts down \(closet\)$/],
    ['every Ollama host is up', { hosts: trayHosts([{ name: 'local', state: 'up' }, { name: 'closet', state: 'up' }]) }, 'serving', /sharing Ollama/],
  ];
  for (const [name, patch, icon, tooltip] of looks) {
    it(`shows ${icon} when ${name}`, () => {
      const look = trayLook({ ...base, ...patch });
      assert.equal(look.icon, icon);
      assert.match(look.tooltip, tooltip);
      const menu = buildTrayMenu({ ...base, ...patch }, actions);
      assert.equal(menu[0]?.label, look.tooltip, 'the status line is the first item, for Linux');
      assert.equal(menu[0]?.enabled, false);
    });
  }

  it('has the remote access toggle, checked when on, and it flips', () => {
    calls.length = 0;
    const on = item(buildTrayMenu(base, actions), 'Remote access');
    assert.equal(on.type, 'checkbox');
    assert.equal(on.checked, true);
    click(on);
    const off = item(buildTrayMenu({ ...base, paused: true }, actions), 'Remote access');
    assert.equal(off.checked, false);
    click(off);
    assert.deepEqual(calls, ['paused:true', 'paused:false']);
    assert.equal(item(buildTrayMenu({ ...base, gatewayError: 'x' }, actions), 'Remote access').enabled, false);
  });

  it('enables Ollama start, stop and restart only where they make sense', () => {
    const states: Array<[string, OllamaStatus | null, boolean, boolean, boolean]> = [
      ['ours, running', ollama({}), false, true, true],
      ['adopted', ollama({ owner: 'desktop-app', adopted: true }), false, false, false],
      ['stopped', ollama({ state: 'stopped', owner: null }), true, false, false],
      ['gave up', ollama({ state: 'gave-up', owner: null }), true, false, false],
      ['not installed', ollama({ state: 'not-installed', owner: null }), false, false, false],
      ['not supervised', null, false, false, false],
    ];
    for (const [name, o, start, restart, stop] of states) {
      const menu = buildTrayMenu({ ...base, ollama: o }, actions);
      assert.deepEqual([item(menu, 'Start').enabled, item(menu, 'Restart').enabled, item(menu, 'Stop').enabled], [start, restart, stop], name);
    }
  });

  it('offers the update as it progresses, and Restart to update when ready', () => {
    const label = (update: UpdateState) => item(buildTrayMenu({ ...base, update }, actions), /update/i);
    assert.equal(label({ state: 'idle' }).label, 'Check for updates');
    assert.equal(label({ state: 'checking' }).enabled, false);
    assert.equal(label({ state: 'downloading', version: '1.2.0', percent: 40 }).label, 'Downloading update v1.2.0… 40 %');
    const ready = label({ state: 'ready', version: '1.2.0' });
    assert.equal(ready.label, 'Restart to update to v1.2.0');
    calls.length = 0;
    click(ready);
    click(label({ state: 'error', message: 'offline' }));
    assert.deepEqual(calls, ['install', 'check']);
    assert.equal(label({ state: 'unsupported' }).enabled, false);
  });

  it('has copy endpoint (disabled without one), share, open, start at login and quit', () => {
    calls.length = 0;
    const menu = buildTrayMenu({ ...base, startAtLogin: true }, actions);
    for (const l of ['Copy endpoint', 'Share…', 'Open Gatehouse', 'Quit Gatehouse']) click(item(menu, l));
    assert.equal(item(menu, 'Start at login').checked, true);
    click(item(menu, 'Start at login'));
    assert.deepEqual(calls, ['copy', 'share', 'open', 'quit', 'login:false']);
    assert.equal(item(buildTrayMenu({ ...base, endpoint: null }, actions), 'Copy endpoint').enabled, false);
  });

  it("copies the address teammates use: a public certificate's name first, never this computer's loopback", () => {
    assert.equal(shareableEndpoint(['https://gpu.example.com:11443', 'https://localhost:11443', 'https://192.168.1.20:11443']), 'https://gpu.example.com:11443');
    assert.equal(shareableEndpoint(['https://localhost:11443', 'https://[::1]:11443', 'https://192.168.1.20:11443']), 'https://192.168.1.20:11443');
    assert.equal(shareableEndpoint(['https://127.0.0.1:11443']), 'https://127.0.0.1:11443', 'bound to loopback: the only one there is');
    assert.equal(shareableEndpoint([]), null);
  });

  it('names the icon files per platform', () => {
    assert.equal(trayIconFile('darwin', 'paused'), 'tray-pausedTemplate.png');
    assert.equal(trayIconFile('win32', 'attention'), 'tray-attention.ico');
    assert.equal(trayIconFile('linux', 'serving'), 'tray-serving.png');
    for (const file of ['tray-servingTemplate.png', 'tray-servingTemplate@2x.png', 'tray-paused.ico', 'tray-attention.png']) {
      assert.ok(readFileSync(join(__dirname, '..', '..', 'resources', 'tray', file)).length > 0, file);
    }
  });
});

describe('notifications', () => {
  it('tells of a crash, a recovery, giving up, an exposure and a ready update, once each', () => {
    const crashed = { ...base, ollama: ollama({ state: 'backing-off', failures: 1 }) };
    assert.deepEqual(noticesFor(base, crashed).map((n) => n.title), ['Ollama stopped unexpectedly']);
    assert.deepEqual(noticesFor(crashed, crashed), []);
    assert.deepEqual(noticesFor(crashed, base).map((n) => n.body), ['Restarted after 1 crash.']);
    assert.deepEqual(noticesFor(crashed, { ...base, ollama: ollama({ state: 'gave-up', fix: 'See the log.' }) }).map((n) => n.body), ['See the log.']);
    const exposed = { ...base, ollama: ollama({ exposure: { addresses: ['0.0.0.0'], message: 'Reachable.', fix: 'Unset OLLAMA_HOST.' } }) };
    assert.deepEqual(noticesFor(base, exposed).map((n) => n.body), ['Reachable. Unset OLLAMA_HOST.']);
    assert.deepEqual(noticesFor(exposed, exposed), []);
    assert.deepEqual(noticesFor(base, { ...base, update: { state: 'ready', version: '2.0.0' } }).map((n) => n.title), ['Gatehouse 2.0.0 is ready']);
    assert.deepEqual(noticesFor(null, { ...base, gatewayError: 'Port 11443 is in use.' }).map((n) => n.title), ['Gatehouse is not serving']);
    assert.deepEqual(noticesFor(base, { ...base, paused: true }), []);
  });
});

describe('updates', () => {
  it('moves through check, download and ready, and stays ready', () => {
    let s: UpdateState = { state: 'idle' };
    s = nextUpdateState(s, { type: 'check', at: 1 });
    assert.equal(s.state, 'checking');
    s = nextUpdateState(s, { type: 'available', version: '1.1.0' });
    s = nextUpdateState(s, { type: 'progress', percent: 42.4 });
    s = nextUpdateState(s, { type: 'progress', percent: 10 });
    assert.deepEqual(s, { state: 'downloading', version: '1.1.0', percent: 42 });
    s = nextUpdateState(s, { type: 'downloaded', version: '1.1.0' });
    for (const e of [{ type: 'check', at: 2 }, { type: 'error', message: 'x' }, { type: 'not-available', at: 3 }] as const) s = nextUpdateState(s, e);
    assert.deepEqual(s, { state: 'ready', version: '1.1.0' });
    assert.deepEqual(nextUpdateState({ state: 'checking' }, { type: 'error', message: 'offline' }), { state: 'error', message: 'offline' });
    assert.deepEqual(nextUpdateState({ state: 'unsupported' }, { type: 'check', at: 1 }), { state: 'unsupported' });
  });

  it('checks at start and every six hours, not while busy or unpackaged', () => {
    assert.equal(checkDue({ state: 'idle' }, null, 0), true);
    assert.equal(checkDue({ state: 'up-to-date', checkedAt: 0 }, 0, UPDATE_INTERVAL_MS - 1), false);
    assert.equal(checkDue({ state: 'up-to-date', checkedAt: 0 }, 0, UPDATE_INTERVAL_MS), true);
    assert.equal(checkDue({ state: 'error', message: '' }, 0, UPDATE_INTERVAL_MS), true);
    for (const s of [{ state: 'checking' }, { state: 'ready', version: '1' }, { state: 'unsupported' }] as UpdateState[]) assert.equal(checkDue(s, null, 0), false);
  });
});

describe('start at login', () => {
  it('writes an XDG autostart entry that starts hidden, quoting paths with spaces', () => {
    assert.equal(linuxAutostartFile('/home/ann'), '/home/ann/.config/autostart/gatehouse.desktop');
    assert.equal(linuxAutostartFile('/home/ann', '/cfg'), '/cfg/autostart/gatehouse.desktop');
    const entry = linuxAutostartEntry('/home/ann/Apps/Gatehouse 1.0.AppImage');
    assert.match(entry, /^\[Desktop Entry\]\nType=Application\nName=Gatehouse\n/);
    assert.match(entry, /^Exec="\/home\/ann\/Apps\/Gatehouse 1\.0\.AppImage" --hidden$/m);
    assert.match(entry, /^Terminal=false$/m);
    assert.deepEqual(loginItemSettings(true), { openAtLogin: true, args: ['--hidden'] });
    assert.deepEqual(loginItemSettings(false), { openAtLogin: false, args: [] });
  });
});

describe('window security', () => {
  it('defines webPreferences once: isolated, sandboxed, no Node', () => {
    const prefs = webPreferences('/app/preload.js');
    assert.deepEqual([prefs.contextIsolation, prefs.sandbox, prefs.nodeIntegration, prefs.webSecurity, prefs.webviewTag], [true, true, false, true, false]);
  });

  it('opens only https links to known sites, and navigates only within the renderer', () => {
    for (const [url, ok] of [['https://ollama.com/library', true], ['http://ollama.com', false], ['https://ollama.com.evil.example', false], ['https://user:pw@github.com', false], ['file:///etc/passwd', false], ['javascript:alert(1)', false], ['not a url', false]] as const) {
      assert.equal(isAllowedExternalUrl(url), ok, url);
    }
    const index = 'file:///opt/Gatehouse/resources/app.asar/out/renderer/index.html';
    assert.equal(isAppUrl(`${index}#/share`, index), true);
    assert.equal(isAppUrl('file:///etc/passwd', index), false);
    assert.equal(isAppUrl('https://evil.example/', index), false);
  });
});

describe('the IPC wrapper', () => {
  const store = Store.open(tempDir());
  after(() => store.close());
  const models = new OllamaClient(() => 'http://127.0.0.1:9');
  const control = new ControlApi({ store, settings: () => store.settings.load().settings, overrides: {}, models, pulls: new PullJobs(models) });
  after(() => control.close());
  const index = 'file:///app/out/renderer/index.html';
  const isOurs = (url: string) => isAppUrl(url, index);
  const frame = (url: string, parent: unknown = null) => ({ senderFrame: { url, parent } }) as unknown as InvokeEvent;

  it('refuses a call from a foreign or vanished frame before anything runs', async () => {
    for (const event of [frame('https://evil.example/'), frame(`${index}#/`, { url: index }), { senderFrame: null } as InvokeEvent]) {
      const out = await answer(control, 'setPaused', event, { paused: true }, isOurs);
      assert.deepEqual(out, { ok: false, error: { code: 'FORBIDDEN', message: 'This request did not come from the Gatehouse window.' } });
    }
    assert.equal(store.settings.load().settings.paused, false);
  });

  it('validates arguments against the contract and answers failures as outcomes', async () => {
    const bad = await answer(control, 'setPaused', frame(index), { paused: 'yes' }, isOurs);
    assert.equal(bad.ok, false);
    assert.equal(!bad.ok && bad.error.code, 'BAD_USAGE');
    const unknown = await answer(control, 'deleteEverything', frame(index), {}, isOurs);
    assert.equal(!unknown.ok && unknown.error.code, 'UNKNOWN_OPERATION');
    const good = await answer(control, 'setPaused', frame(`${index}#/overview`), { paused: true }, isOurs);
    assert.deepEqual(good, { ok: true, result: { paused: true } });
    assert.equal(store.metering.auditSince(0).at(-1)?.actor, 'window');
  });

  it('registers one channel per operation and forwards events', async () => {
    const handlers = new Map<string, (event: InvokeEvent, args: unknown) => Promise<unknown>>();
    const sent: Array<[string, unknown]> = [];
    const fakeIpc = { handle: (c: string, fn: never) => void handlers.set(c, fn), removeHandler: (c: string) => void handlers.delete(c) };
    const reg = registerControlIpc(fakeIpc, control, isOurs, (channel, payload) => sent.push([channel, payload]));
    assert.deepEqual([...handlers.keys()].sort(), OPERATIONS.map(channelOf).sort());
    await handlers.get(channelOf('createToken'))!(frame(index), { name: 'from-ipc' });
    assert.ok(sent.some(([c, p]) => c === eventChannelOf('changed') && (p as { what: string }).what === 'tokens'));
    reg.dispose();
    assert.equal(handlers.size, 0);
  });
});

describe('the OS keystore', () => {
  const fake = (available: boolean, backend: ReturnType<SafeStorage['getSelectedStorageBackend']>) =>
    ({
      isEncryptionAvailable: () => available,
      getSelectedStorageBackend: () => backend,
      encryptString: (s: string) => Buffer.from([...Buffer.from(s)].map((b) => b ^ 0x5a)),
      decryptString: (b: Buffer) => Buffer.from([...b].map((x) => x ^ 0x5a)).toString(),
    }) as unknown as SafeStorage;

  it('is used only where it really encrypts', () => {
    assert.equal(safeStorageVault(fake(false, 'unknown'), 'darwin'), undefined);
    assert.equal(safeStorageVault(fake(true, 'basic_text'), 'linux'), undefined);
    assert.equal(safeStorageVault(fake(true, 'gnome_libsecret'), 'linux')?.describe, 'the GNOME keyring (libsecret)');
    assert.equal(safeStorageVault(fake(true, 'unknown'), 'win32')?.describe, 'Windows DPAPI (your user account)');
  });

  it('seals keys at rest, seals plain ones on first read, and refuses a sealed key without it', () => {
    const vault = safeStorageVault(fake(true, 'kwallet5'), 'linux')!;
    const file = join(tempDir(), 'ca.key');
    writeSecret(file, 'PLAIN-KEY', undefined);
    assert.equal(readSecret(file, vault), 'PLAIN-KEY');
    assert.ok(!readFileSync(file, 'utf8').includes('PLAIN-KEY'), 'sealed on first read');
    assert.equal(readSecret(file, vault), 'PLAIN-KEY');
    assert.throws(() => readSecret(file, undefined), /encrypted with the desktop app's OS keystore/);
  });
});
