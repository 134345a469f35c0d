/**
 * The tray app's entry: one instance per user, the same core as `gatehouse serve` (with the
 * per-user data folder and the OS keystore), then the tray, the window and the IPC bridge.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { app, clipboard, dialog, ipcMain, Menu, safeStorage, type BrowserWindow } from 'electron';
import { createCore, type Core } from './core';
import { describeError } from './errors';
import { consoleLogger } from './log';
import { registerControlIpc } from './shell/ipc';
import { loginItem } from './shell/login-item';
import { createTray } from './shell/tray';
import { createUpdater } from './shell/updater';
import { safeStorageVault } from './shell/vault';
import { isAppUrl } from './shell/web-security';
import { createMainWindow, hardenSession, showWindow } from './shell/window';

const paths = {
  preload: join(__dirname, '..', 'preload', 'index.js'),
  rendererIndex: pathToFileURL(join(__dirname, '..', 'renderer', 'index.html')).href,
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

function run(): void {
  let quitting = false;
  let closed = false;
  let core: Core | undefined;
  let win: BrowserWindow | undefined;

  app.on('second-instance', () => win && showWindow(win));
  app.on('window-all-closed', () => {
    /* stay in the tray */
  });
  app.on('before-quit', (event) => {
    quitting = true;
    if (closed || !core) return;
    // Let running streams finish and stop our Ollama before the process goes.
    event.preventDefault();
    void core.close().finally(() => {
      closed = true;
      app.quit();
    });
  });

  void app.whenReady().then(async () => {
    if (process.platform === 'darwin') app.dock?.hide();
    // No visible menu bar, but the Edit roles make copy and paste work in the window's inputs.
    Menu.setApplicationMenu(Menu.buildFromTemplate([{ role: 'appMenu' }, { role: 'editMenu' }, { role: 'windowMenu' }]));
    hardenSession();

    try {
      core = await createCore({
        dataDir: app.getPath('userData'),
        ollama: { manage: true },
        log: consoleLogger,
        actor: 'tray',
        ...(existsSync(paths.devNativeBinding) && !app.isPackaged ? { nativeBinding: paths.devNativeBinding } : {}),
        ...withVault(),
      });
    } catch (err) {
      dialog.showErrorBox('Gatehouse cannot start', describeError(err));
      closed = true;
      app.quit();
      return;
    }
    const live = core;
    let gatewayError: string | null = null;
    let endpoint: string | null = null;
    try {
      const info = await live.listen();
      endpoint = info.urls.find((u) => !/\/\/(localhost|127\.|\[::1\])/.test(u)) ?? info.urls[0] ?? null;
    } catch (err) {
      gatewayError = describeError(err);
    }

    win = createMainWindow(paths, () => quitting);
    const window = win;
    if (!process.argv.includes('--hidden')) window.once('ready-to-show', () => window.show());
    registerControlIpc(ipcMain, live.control, (url) => isAppUrl(url, paths.rendererIndex), (channel, payload) => {
      if (!window.isDestroyed()) window.webContents.send(channel, payload);
    });

    const login = loginItem(app);
    const call = (operation: 'setPaused' | 'ollamaAction', args: unknown) =>
      live.control.call(operation, args, 'tray').catch((err: unknown) => dialog.showErrorBox('Gatehouse', describeError(err)));
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
          quitting = true;
          updater.install();
        },
        quit: () => app.quit(),
      },
      { paused: live.settings().paused, gatewayError, endpoint, ollama: live.ollama?.status() ?? null, startAtLogin: login.get(), update: { state: 'idle' } },
    );
    // Made after the tray (its menu's update item runs only on a click, by then this exists).
    const updater = createUpdater(app, consoleLogger, (update) => tray.update({ update }));
    tray.update({ update: updater.state() });
    live.control.on('ollama', (ollama) => tray.update({ ollama }));
    live.control.on('changed', () => tray.update({ paused: live.settings().paused }));
  });
}

/** The OS keystore for private keys, when it really encrypts (see shell/vault.ts). */
function withVault() {
  const vault = safeStorageVault(safeStorage, process.platform);
  return vault ? { vault } : {};
}
