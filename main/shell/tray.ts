import { join } from 'node:path';
import { Menu, Notification, Tray, nativeImage } from 'electron';
import { noticesFor } from './notifications';
import { buildTrayMenu, trayIconFile, trayLook, type TrayActions, type TrayState } from './tray-model';

/**
 * The tray icon: its image, tooltip and menu follow the state; news (a crash, an exposure, an
 * update) becomes a native notification. The menu is rebuilt on every change, as Linux requires.
 */
export function createTray(iconDir: string, actions: TrayActions, initial: TrayState) {
  let state = initial;
  const image = (s: TrayState) => nativeImage.createFromPath(join(iconDir, trayIconFile(process.platform, trayLook(s).icon)));
  const tray = new Tray(image(state));
  const render = () => {
    const look = trayLook(state);
    tray.setImage(image(state));
    tray.setToolTip(look.tooltip);
    tray.setContextMenu(Menu.buildFromTemplate(buildTrayMenu(state, actions)));
  };
  // Where the platform delivers clicks (not on most Linux desktops), a click opens the window.
  tray.on('click', () => actions.openWindow());
  render();
  return {
    update(patch: Partial<TrayState>): void {
      const next = { ...state, ...patch };
      if (Notification.isSupported()) for (const n of noticesFor(state, next)) new Notification({ title: n.title, body: n.body }).show();
      state = next;
      render();
    },
    state: () => state,
    destroy: () => tray.destroy(),
  };
}
