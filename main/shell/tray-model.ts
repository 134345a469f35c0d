import type { MenuItemConstructorOptions } from 'electron';
import type { UpstreamView } from '../../preload/types';
import type { OllamaStatus } from '../ollama/status';
import type { UpdateState } from './update-state';

/** Everything the tray shows; rebuilt from the core's events. */
export interface TrayState {
  paused: boolean;
  /** The gateway could not start (port taken…): the message to show. */
  gatewayError: string | null;
  /** The address teammates use (first network address), for "Copy endpoint". */
  endpoint: string | null;
  ollama: OllamaStatus | null;
  startAtLogin: boolean;
  update: UpdateState;
  /** Requests waiting for one of Ollama's slots. */
  waiting?: number;
  /** The certificate is not the one the settings ask for (Tailscale's could not be had): why. */
  certificateWarning?: string | null;
  /** With several Ollama hosts: how many, and the names of those down. */
  hosts?: { total: number; down: string[] };
}

export type TrayIcon = 'serving' | 'paused' | 'attention';

export interface TrayLook {
  icon: TrayIcon;
  /** Hover text (macOS, Windows) and the menu's first line (every platform). */
  tooltip: string;
}

/** The address teammates use: the first one that is not this computer's loopback (a public name comes first). */
export function shareableEndpoint(urls: readonly string[]): string | null {
  return urls.find((u) => !/\/\/(localhost|127\.|\[::1\])/.test(u)) ?? urls[0] ?? null;
}

/** What the tray keeps of the Ollama hosts. */
export function trayHosts(hosts: ReadonlyArray<Pick<UpstreamView, 'name' | 'state'>>): { total: number; down: string[] } {
  return { total: hosts.length, down: hosts.filter((h) => h.state === 'down').map((h) => h.name) };
}

/** "1 of 2 Ollama hosts down (closet)". */
export function hostsDown({ total, down }: { total: number; down: string[] }): string {
  return `${down.length} of ${total} Ollama hosts down (${down.join(', ')})`;
}

/** Icon and one line of status: attention wins over paused, which wins over serving. */
export function trayLook(s: TrayState): TrayLook {
  if (s.gatewayError) return { icon: 'attention', tooltip: `Gatehouse is not serving: ${s.gatewayError}` };
  const o = s.ollama;
  if (o?.exposure) return { icon: 'attention', tooltip: 'Ollama is reachable from your network without a token' };
  if (o && o.state !== 'running') return { icon: 'attention', tooltip: `Gatehouse: ${o.message}` };
  if (s.certificateWarning) return { icon: 'attention', tooltip: 'Gatehouse: a problem with the certificate (teammates may see a browser warning); open the window for why' };
  if (s.hosts?.down.length) return { icon: 'attention', tooltip: `Gatehouse: ${hostsDown(s.hosts)}` };
  const queue = s.waiting ? `, ${s.waiting} waiting for the GPU` : '';
  if (s.paused) return { icon: 'paused', tooltip: `Gatehouse: remote access paused (this computer only)${queue}` };
  return { icon: 'serving', tooltip: `Gatehouse: sharing Ollama with token holders${queue}` };
}

export interface TrayActions {
  setPaused(paused: boolean): void;
  copyEndpoint(): void;
  openShare(): void;
  openWindow(): void;
  ollama(action: 'start' | 'stop' | 'restart'): void;
  setStartAtLogin(enabled: boolean): void;
  checkForUpdates(): void;
  installUpdate(): void;
  quit(): void;
}

function updateItem(u: UpdateState, a: TrayActions): MenuItemConstructorOptions {
  switch (u.state) {
    case 'ready':
      return { label: `Restart to update to v${u.version}`, click: () => a.installUpdate() };
    case 'downloading':
      return { label: `Downloading update v${u.version}… ${u.percent} %`, enabled: false };
    case 'checking':
      return { label: 'Checking for updates…', enabled: false };
    case 'unsupported':
      return { label: 'Check for updates', enabled: false, toolTip: 'Updates apply to the installed app only.' };
    default:
      return { label: u.state === 'up-to-date' ? 'Check for updates (up to date)' : 'Check for updates', click: () => a.checkForUpdates() };
  }
}

/**
 * The tray's context menu for a state. Linux delivers no clicks on the icon and shows no tooltip,
 * so everything, the status line included, is in the menu, which is rebuilt on every change.
 */
export function buildTrayMenu(s: TrayState, a: TrayActions): MenuItemConstructorOptions[] {
  const o = s.ollama;
  const ours = o?.owner === 'gatehouse';
  const canStart = o !== null && ['stopped', 'gave-up', 'backing-off'].includes(o.state);
  return [
    { label: trayLook(s).tooltip, enabled: false },
    ...(o?.exposure ? [{ label: `Fix: ${o.exposure.fix}`.slice(0, 120), enabled: false }] : []),
    { type: 'separator' },
    {
      label: 'Remote access',
      type: 'checkbox',
      checked: !s.paused,
      enabled: s.gatewayError === null,
      click: () => a.setPaused(!s.paused),
    },
    { label: 'Copy endpoint', enabled: s.endpoint !== null, click: () => a.copyEndpoint() },
    { label: 'Share…', click: () => a.openShare() },
    { label: 'Open Gatehouse', click: () => a.openWindow() },
    { type: 'separator' },
    {
      label: 'Ollama',
      submenu: [
        { label: o ? o.message.slice(0, 100) : 'Not watched by Gatehouse', enabled: false },
        { type: 'separator' },
        { label: 'Start', enabled: canStart, click: () => a.ollama('start') },
        { label: 'Restart', enabled: ours && o.state === 'running', click: () => a.ollama('restart') },
        { label: 'Stop', enabled: ours && (o.state === 'running' || o.state === 'starting'), click: () => a.ollama('stop') },
      ],
    },
    { type: 'separator' },
    { label: 'Start at login', type: 'checkbox', checked: s.startAtLogin, click: () => a.setStartAtLogin(!s.startAtLogin) },
    updateItem(s.update, a),
    { type: 'separator' },
    { label: 'Quit Gatehouse', click: () => a.quit() },
  ];
}

/** The icon file for a look on each platform (macOS: a template image, with its @2x beside it). */
export function trayIconFile(platform: NodeJS.Platform, icon: TrayIcon): string {
  if (platform === 'darwin') return `tray-${icon}Template.png`;
  if (platform === 'win32') return `tray-${icon}.ico`;
  return `tray-${icon}.png`;
}
