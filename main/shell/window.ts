import { BrowserWindow, session, shell, type Session } from 'electron';
import { CONTENT_SECURITY_POLICY, isAllowedExternalUrl, isAppUrl, webPreferences } from './web-security';

export interface WindowPaths {
  preload: string;
  /** The built renderer's index.html, as the window loads it (gatehouse://app/index.html). */
  rendererIndex: string;
}

/** Locks a session down once: no permissions, and the strict CSP on everything it loads. */
export function hardenSession(target: Session = session.defaultSession): void {
  target.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  target.setPermissionCheckHandler(() => false);
  target.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } });
  });
}

/**
 * The one Gatehouse window. Closing hides it (the app lives in the tray); it never navigates
 * away from the renderer, and links open in the browser only for https sites on the allow-list.
 */
export function createMainWindow(paths: WindowPaths, isQuitting: () => boolean): BrowserWindow {
  const win = new BrowserWindow({
    width: 1180,
    height: 820,
    minWidth: 720,
    minHeight: 520,
    show: false,
    title: 'Gatehouse',
    autoHideMenuBar: true,
    webPreferences: webPreferences(paths.preload),
  });
  win.webContents.setWindowOpenHandler(({ url }) => {
    if (isAllowedExternalUrl(url)) void shell.openExternal(url);
    return { action: 'deny' };
  });
  win.webContents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url, paths.rendererIndex)) event.preventDefault();
  });
  win.webContents.on('will-attach-webview', (event) => event.preventDefault());
  win.on('close', (event) => {
    if (isQuitting()) return;
    event.preventDefault();
    win.hide();
  });
  void win.loadURL(paths.rendererIndex);
  return win;
}

/** Shows the window (on a page, such as #/share) and brings it to the front. */
export function showWindow(win: BrowserWindow, page?: string): void {
  if (page) void win.webContents.executeJavaScript(`window.location.hash = ${JSON.stringify(`#/${page}`)}`);
  if (win.isMinimized()) win.restore();
  win.show();
  win.focus();
}
