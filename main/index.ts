/**
 * The tray app's entry: one instance per user, the same core as `gatehouse serve` (with the
 * per-user data folder and the OS keystore), then the tray, the window and the IPC bridge.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { app, clipboard, dialog, ipcMain, Menu, protocol, safeStorage, type BrowserWindow } from 'electron';
import { createCore, type Core } from './core';
import { describeError } from './errors';
import { consoleLogger } from './log';
import { APP_SCHEME, appPathOf, RENDERER_INDEX, rendererResponse } from './shell/app-protocol';
import { registerControlIpc } from './shell/ipc';
import { loginItem } from './shell/login-item';
import { createTray } from './shell/tray';
import { shareableEndpoint, trayHosts } from './shell/tray-model';
import type { UpstreamView } from '../preload/types';
import type { Overview } from '../preload/views';
import { createUpdater } from './shell/updater';
import { safeStorageVault } from './shell/vault';
import { isAppUrl } from './shell/web-security';
import { createMainWindow, hardenSession, showWindow } from './shell/window';

const paths = {
  preload: join(__dirname, '..', 'preload', 'index.js'),
  rendererDir: join(__dirname, '..', 'renderer'),
  rendererIndex: RENDERER_INDEX,
  // Packaged: beside the app (extraResources); from source: resources/tray.
  trayIcons: app.isPackaged ? join(process.resourcesPath, 'tray') : join(__dirname, '..', '..', 'resources', 'tray'),
  // `npm start` builds better-sqlite3 for Electron's ABI here, so `npm test` keeps the Node build.
  devNativeBinding: join(__dirname, '..', 'native', 'electron', 'better_sqlite3.node'),
};

if (!app.requestSingleInstanceLock()) {
  // Another Gatehouse runs: it shows its window (second-instance) and this one leaves before binding a port.
  app.quit();
} else {
  run();
}

/** What the app's parts share: the core once it runs, the window once it exists, and how it quits. */
interface Shell {
  core?: Core;
  window?: BrowserWindow;
  quitting: boolean;
  closed: boolean;
}

function run(): void {
  const shell: Shell = { quitting: false, closed: false };
  // Before ready: the window's own origin (see shell/app-protocol.ts for why not file://).
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
  app.on('second-instance', () => shell.window && showWindow(shell.window));
  app.on('window-all-closed', () => {
    /* stay in the tray */
  });
  app.on('before-quit', (event) => {
    shell.quitting = true;
    if (shell.closed || !shell.core) return;
    // Let running streams finish and stop our Ollama before the process goes.
    event.preventDefault();
    void shell.core.close().finally(() => {
      shell.closed = true;
      app.quit();
    });
  });
  void app.whenReady().then(() => onReady(shell));
}

/** The app's start, as a list of steps: menu and session, the core, the gateway, the window, the tray. */
async function onReady(shell: Shell): Promise<void> {
  if (process.platform === 'darwin') app.dock?.hide();
  // No visible menu bar, but the Edit roles make copy and paste work in the window's inputs.
  Menu.setApplicationMenu(Menu.buildFromTemplate([{ role: 'appMenu' }, { role: 'editMenu' }, { role: 'windowMenu' }]));
  hardenSession();
  protocol.handle(APP_SCHEME, async (request) => {
    const answer = await rendererResponse(appPathOf(request.url), paths.rendererDir);
    return new Response(typeof answer.body === 'string' ? answer.body : new Uint8Array(answer.body), { status: answer.status, headers: answer.headers });
  });
  const core = await startCore(shell);
  if (!core) return;
  const gateway = await openGateway(core);
  const window = setupWindow(shell, core);
  setupTray(shell, core, window, gateway);
}

async function startCore(shell: Shell): Promise<Core | null> {
  try {
    shell.core = await createCore({
      dataDir: app.getPath('userData'),
      ollama: { manage: true },
      log: consoleLogger,
      actor: 'tray',
      kind: 'tray',
      ...(existsSync(paths.devNativeBinding) && !app.isPackaged ? { nativeBinding: paths.devNativeBinding } : {}),
      ...withVault(),
    });
    return shell.core;
  } catch (err) {
    dialog.showErrorBox('Gatehouse cannot start', describeError(err));
    shell.closed = true;
    app.quit();
    return null;
  }
}

/** Opens the port; a failure (port taken) is shown in the tray rather than ending the app. */
async function openGateway(core: Core): Promise<{ endpoint: string | null; gatewayError: string | null; certificateWarning?: string | null }> {
  try {
    const info = await core.listen();
    return { endpoint: shareableEndpoint(info.urls), gatewayError: null, certificateWarning: info.tls?.warning ?? null };
  } catch (err) {
    return { endpoint: null, gatewayError: describeError(err) };
  }
}

function setupWindow(shell: Shell, core: Core): BrowserWindow {
  const window = (shell.window = createMainWindow(paths, () => shell.quitting));
  if (!process.argv.includes('--hidden')) window.once('ready-to-show', () => window.show());
  registerControlIpc(ipcMain, core.control, (url) => isAppUrl(url, paths.rendererIndex), (channel, payload) => {
    if (!window.isDestroyed()) window.webContents.send(channel, payload);
  });
  return window;
}

function setupTray(shell: Shell, core: Core, window: BrowserWindow, gateway: { endpoint: string | null; gatewayError: string | null; certificateWarning?: string | null }): void {
  const { gatewayError, certificateWarning = null } = gateway;
  let { endpoint } = gateway;
  const login = loginItem(app);
  const call = (operation: 'setPaused' | 'ollamaAction', args: unknown) =>
    core.control.call(operation, args, 'tray').catch((err: unknown) => dialog.showErrorBox('Gatehouse', describeError(err)));
  const tray = createTray(
    paths.trayIcons,
    {
      setPaused: (paused) => void call('setPaused', { paused }),
      copyEndpoint: () => endpoint && clipboard.writeText(endpoint),
      openShare: () => showWindow(window, 'share'),
      openWindow: () => showWindow(window),
      ollama: (action) => void call('ollamaAction', { action }),
      setStartAtLogin: (enabled) => {
        login.set(enabled);
        tray.update({ startAtLogin: login.get() });
      },
      checkForUpdates: () => updater.check(),
      installUpdate: () => {
        shell.quitting = true;
        updater.install();
      },
      quit: () => app.quit(),
    },
    { paused: core.settings().paused, gatewayError, endpoint, ollama: core.ollama?.status() ?? null, startAtLogin: login.get(), update: { state: 'idle' }, certificateWarning },
  );
  // Made after the tray (its menu's update item runs only on a click, by then this exists).
  const updater = createUpdater(app, consoleLogger, (update) => tray.update({ update }));
  tray.update({ update: updater.state() });
  core.control.on('ollama', (ollama) => tray.update({ ollama }));
  core.control.on('changed', ({ what }) => {
    tray.update({ paused: core.settings().paused });
    if (what === 'certificate') {
      void core.control.call('getOverview', {}, 'tray').then((o) => tray.update({ certificateWarning: (o as Overview).tls?.warning ?? null }));
      // A certificate for a public name puts that name first: it is what "Copy endpoint" copies now.
      void core.control.call('getShareInfo', {}, 'tray').then((info) => {
        endpoint = shareableEndpoint((info as { endpoints: Array<{ url: string }> }).endpoints.map((e) => e.url));
        tray.update({ endpoint });
      });
    }
    if (what === 'upstreams') void core.control.call('listUpstreams', {}, 'tray').then((hosts) => tray.update({ hosts: trayHosts(hosts as UpstreamView[]) }));
  });
  // Requests start and end: how many wait for the GPU, for the tooltip.
  core.control.on('live', () => void core.control.call('getQueue', {}, 'tray').then((q) => tray.update({ waiting: (q as { waiting: number } | null)?.waiting ?? 0 })));
}

/** The OS keystore for private keys, when it really encrypts (see shell/vault.ts). */
function withVault() {
  const vault = safeStorageVault(safeStorage, process.platform);
  return vault ? { vault } : {};
}
