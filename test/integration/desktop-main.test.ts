import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { MenuItemConstructorOptions } from 'electron';
import { OPERATIONS, channelOf } from '../../preload/contract';
import { controlSocketPath } from '../../main/control/socket-protocol';
import { Store } from '../../main/store/store';
import { bootApp } from '../fixtures/electron-stand-in/boot';
import { recorder } from '../fixtures/electron-stand-in/recorder';
import { installFakeOllama } from '../fixtures/fake-ollama-install';
import { eventually, freePort, processAlive, tempDir } from '../helpers';

/** A data folder whose stored settings keep the app on loopback, on a free port, with this upstream. */
function dataFolder(upstream: string, port = 0): string {
  const dir = tempDir();
  const store = Store.open(dir);
  store.setSetting('host', '127.0.0.1', 'system');
  store.setSetting('port', port, 'system');
  store.setSetting('upstream', upstream, 'system');
  store.close();
  return dir;
}

const item = (label: string, menu = recorder.tray?.menu ?? []): MenuItemConstructorOptions => {
  for (const entry of menu) {
    if (entry.label === label) return entry;
    const inner = Array.isArray(entry.submenu) ? entry.submenu : [];
    const found = inner.find((e) => e.label === label);
    if (found) return found;
  }
  throw new Error(`No menu item "${label}" in ${JSON.stringify(menu.map((e) => e.label))}`);
};
const click = (label: string) => (item(label).click as () => void)();
const quit = async () => {
  click('Quit Gatehouse');
  await eventually(() => recorder.quitted, 10_000, 'the app to quit');
};
/** Boots the app and makes sure it quits after the test, even when an assertion stopped it half-way. */
async function boot(userData: string): Promise<void> {
  await bootApp({ userData });
  const quitThis = recorder.tray ? item('Quit Gatehouse').click : undefined;
  after(() => (quitThis as (() => void) | undefined)?.());
}

describe('the tray app\'s main process, booted under a stand-in for electron', () => {
  it('takes the single-instance lock before anything else, and a second instance binds nothing', async () => {
    const userData = dataFolder('http://127.0.0.1:1');
    await bootApp({ userData, singleInstance: false });
    assert.deepEqual(recorder.calls, ['app.requestSingleInstanceLock', 'app.quit']);
    assert.equal(recorder.windows.length, 0);
    assert.equal(existsSync(controlSocketPath(userData)), false, 'no core, no control socket');
  });

  it('runs the core, supervises Ollama, and wires the window, IPC and tray; the menu does what it says', async () => {
    const bin = installFakeOllama(tempDir(), { mode: 'serve' });
    const ollamaPort = await freePort();
    const { PATH, XDG_CONFIG_HOME } = process.env;
    process.env.PATH = `${bin.dir}:${PATH ?? ''}`;
    // Start at login writes an XDG autostart entry on Linux: into a temp folder, not the real one.
    process.env.XDG_CONFIG_HOME = tempDir();
    after(() => Object.assign(process.env, { PATH, XDG_CONFIG_HOME: XDG_CONFIG_HOME ?? '' }));
    const userData = dataFolder(`http://127.0.0.1:${ollamaPort}`);
    await boot(userData);
    const [window] = recorder.windows;
    assert.equal(window?.url, 'gatehouse://app/index.html');
    const prefs = window.options.webPreferences!;
    assert.deepEqual([prefs.contextIsolation, prefs.sandbox, prefs.nodeIntegration, prefs.webSecurity], [true, true, false, true]);
    assert.match(prefs.preload ?? '', /out[\\/]preload[\\/]index\.js$/);
    assert.ok(recorder.schemes.some((s) => s.scheme === 'gatehouse' && s.privileges?.standard && s.privileges.secure));
    assert.deepEqual([...recorder.ipc.keys()].sort(), OPERATIONS.map(channelOf).sort());

    // The window's pages, through the app's own protocol handler: the page, its CSP, nothing else.
    const serveAsset = recorder.protocols.get('gatehouse')!;
    const page = await serveAsset(new Request('gatehouse://app/index.html'));
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/);
    // The URL parser already folds ../ and %2e%2e/ into the page's own folder; an encoded slash would not be.
    assert.equal((await serveAsset(new Request('gatehouse://app/%2e%2e/%2e%2e/package.json'))).status, 404);
    assert.equal((await serveAsset(new Request('gatehouse://app/..%2f..%2fpackage.json'))).status, 400);
    assert.equal((await serveAsset(new Request('gatehouse://elsewhere/index.html'))).status, 400);

    // IPC answers our window and nobody else.
    const overview = recorder.ipc.get(channelOf('getOverview'))!;
    const ours = (await overview({ senderFrame: { url: 'gatehouse://app/index.html', parent: null } } as never, {})) as { ok: boolean; result: { endpoints: Array<{ url: string }> } };
    assert.equal(ours.ok, true);
    const endpoint = ours.result.endpoints[0]!.url;
    assert.equal(((await overview({ senderFrame: { url: 'https://evil.example/', parent: null } } as never, {})) as { error: { code: string } }).error.code, 'FORBIDDEN');

    await eventually(() => recorder.tray?.menu.some((e) => Array.isArray(e.submenu) && e.submenu.some((s) => s.label === 'Restart' && s.enabled)) ?? false, 15_000, 'Ollama to run as ours');
    assert.match(recorder.tray!.image, /resources[\\/]tray[\\/]tray-serving\.png$/);

    click('Remote access');
    await eventually(() => recorder.tray!.image.endsWith('tray-paused.png'), 3000, 'the paused icon');
    const store = Store.open(userData);
    assert.equal(store.settings.load().settings.paused, true);
    store.close();
    click('Remote access');
    await eventually(() => recorder.tray!.image.endsWith('tray-serving.png'), 3000, 'the serving icon');

    click('Copy endpoint');
    assert.equal(recorder.clipboard, endpoint);
    click('Share…');
    assert.equal(window.shown, true);
    assert.ok(window.scripts.some((s) => s.includes('#/share')));

    const before = bin.starts().length;
    click('Restart');
    await eventually(() => bin.starts().length > before, 10_000, 'the supervisor to start Ollama again');

    click('Start at login');
    await eventually(() => recorder.tray?.menu.some((e) => e.label === 'Start at login' && e.checked) ?? false, 3000, 'start at login to be on');

    const child = bin.starts().at(-1)!.pid;
    await eventually(() => processAlive(child), 5000, 'the new Ollama to run');
    await quit();
    assert.equal(processAlive(child), false, 'the Ollama it started is stopped, no orphan');
    assert.equal(existsSync(controlSocketPath(userData)), false, 'the core is closed');
  });

  it('shows the first instance\'s window when a second one starts', async () => {
    await boot(dataFolder('http://127.0.0.1:1'));
    const [window] = recorder.windows;
    window!.shown = false;
    const { app } = await import('../fixtures/electron-stand-in/index');
    (app as unknown as { emit(name: string): void }).emit('second-instance');
    assert.equal(window!.shown, true);
    await quit();
  });

  it('shows the attention icon and why in the menu when the port is taken', async () => {
    const holder: Server = createServer();
    const port = await new Promise<number>((resolve) => holder.listen(0, '127.0.0.1', () => resolve((holder.address() as { port: number }).port)));
    after(() => holder.close());
    await boot(dataFolder('http://127.0.0.1:1', port));
    assert.match(recorder.tray!.image, /tray-attention\.png$/);
    assert.match(String(recorder.tray!.menu[0]!.label), new RegExp(`not serving: Port ${port} on 127\\.0\\.0\\.1 is already in use`));
    await quit();
  });

  it('says why and quits when the core cannot start', async () => {
    const notAFolder = join(tempDir(), 'file');
    writeFileSync(notAFolder, 'x');
    await bootApp({ userData: notAFolder });
    assert.equal(recorder.errorBoxes[0]?.title, 'Gatehouse cannot start');
    assert.match(recorder.errorBoxes[0]?.content ?? '', /is not a folder/);
    assert.equal(recorder.quitted, true);
  });
});
