import { mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { homedir } from 'node:os';
import type { App } from 'electron';
import { linuxAutostartEntry, linuxAutostartFile, loginItemSettings } from './autostart';

/** Start at login: the OS's login items on macOS and Windows, an XDG autostart file on Linux. */
export function loginItem(app: App) {
  const file = linuxAutostartFile(homedir(), process.env.XDG_CONFIG_HOME);
  // An AppImage runs from a temporary mount; its own path is in APPIMAGE.
  const exec = process.env.APPIMAGE ?? process.execPath;
  return {
    get(): boolean {
      if (process.platform === 'linux') return existsSync(file);
      return app.getLoginItemSettings().openAtLogin;
    },
    set(enabled: boolean): void {
      if (process.platform !== 'linux') {
        app.setLoginItemSettings(loginItemSettings(enabled));
        return;
      }
      if (!enabled) {
        rmSync(file, { force: true });
        return;
      }
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, linuxAutostartEntry(exec), { mode: 0o644 });
    },
  };
}
