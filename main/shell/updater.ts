import type { App } from 'electron';
import electronUpdater from 'electron-updater';
import type { Logger } from '../log';
import { checkDue, nextUpdateState, type UpdateEvent, type UpdateState } from './update-state';

/**
 * electron-updater behind the pure state machine: checks at start and every six hours when
 * packaged, downloads in the background, and installs on "Restart to update".
 */
export function createUpdater(app: App, log: Logger, onChange: (state: UpdateState) => void) {
  const { autoUpdater } = electronUpdater;
  let state: UpdateState = app.isPackaged ? { state: 'idle' } : { state: 'unsupported' };
  let lastCheckAt: number | null = null;
  const apply = (event: UpdateEvent) => {
    state = nextUpdateState(state, event);
    onChange(state);
  };
  autoUpdater.autoDownload = true;
  autoUpdater.autoInstallOnAppQuit = true;
  autoUpdater.on('update-available', (info) => apply({ type: 'available', version: info.version }));
  autoUpdater.on('update-not-available', () => apply({ type: 'not-available', at: Date.now() }));
  autoUpdater.on('download-progress', (p) => apply({ type: 'progress', percent: p.percent }));
  autoUpdater.on('update-downloaded', (info) => apply({ type: 'downloaded', version: info.version }));
  autoUpdater.on('error', (err) => {
    log.warn(`Update check failed: ${err.message}`);
    apply({ type: 'error', message: err.message });
  });

  const check = () => {
    if (state.state === 'unsupported') return;
    lastCheckAt = Date.now();
    apply({ type: 'check', at: lastCheckAt });
    autoUpdater.checkForUpdates().catch(() => {}); // reported through the 'error' event
  };
  const timer = setInterval(() => {
    if (checkDue(state, lastCheckAt, Date.now())) check();
  }, 60_000);
  timer.unref();
  if (checkDue(state, lastCheckAt, Date.now())) check();

  return {
    state: () => state,
    check,
    /** Quits and installs; the caller marks the app as quitting first so hide-on-close lets go. */
    install: () => autoUpdater.quitAndInstall(false, true),
    stop: () => clearInterval(timer),
  };
}
