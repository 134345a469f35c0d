import { join } from 'node:path';

/** Where Linux desktops look for programs to start at login (XDG autostart). */
export function linuxAutostartFile(home: string, xdgConfigHome?: string): string {
  return join(xdgConfigHome || join(home, '.config'), 'autostart', 'gatehouse.desktop');
}

/** Quotes an Exec argument as the Desktop Entry spec asks (AppImage paths may hold spaces). */
function execArg(arg: string): string {
  return /[\s"'\\$`]/.test(arg) ? `"${arg.replace(/(["`$\\])/g, '\\$1')}"` : arg;
}

/** The autostart entry: starts the app hidden in the tray. */
export function linuxAutostartEntry(execPath: string, args: string[] = []): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Gatehouse',
    'Comment=A safe front door for your local Ollama',
    `Exec=${[execPath, ...args, '--hidden'].map(execArg).join(' ')}`,
    'Icon=gatehouse',
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

/** `app.setLoginItemSettings` for macOS and Windows: start hidden in the tray. */
export function loginItemSettings(enabled: boolean): { openAtLogin: boolean; args: string[] } {
  return { openAtLogin: enabled, args: enabled ? ['--hidden'] : [] };
}
