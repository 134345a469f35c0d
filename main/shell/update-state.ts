/** Where auto-update stands, as the tray shows it. */
export type UpdateState =
  | { state: 'idle' }
  | { state: 'checking' }
  | { state: 'up-to-date'; checkedAt: number }
  | { state: 'downloading'; version: string; percent: number }
  | { state: 'ready'; version: string }
  | { state: 'error'; message: string }
  /** Not a packaged build (npm start): updates come from git, not from the updater. */
  | { state: 'unsupported' };

export type UpdateEvent =
  | { type: 'check'; at: number }
  | { type: 'available'; version: string }
  | { type: 'not-available'; at: number }
  | { type: 'progress'; percent: number }
  | { type: 'downloaded'; version: string }
  | { type: 'error'; message: string };

export const UPDATE_INTERVAL_MS = 6 * 3_600_000;

/**
 * The updater's state machine. A downloaded update stays `ready` whatever happens after (a later
 * check must not hide "Restart to update"); an error while ready is ignored for the same reason.
 */
export function nextUpdateState(current: UpdateState, event: UpdateEvent): UpdateState {
  if (current.state === 'unsupported') return current;
  if (current.state === 'ready' && event.type !== 'downloaded') return current;
  switch (event.type) {
    case 'check':
      return current.state === 'downloading' ? current : { state: 'checking' };
    case 'available':
      return { state: 'downloading', version: event.version, percent: 0 };
    case 'not-available':
      return { state: 'up-to-date', checkedAt: event.at };
    case 'progress':
      return current.state === 'downloading' ? { ...current, percent: Math.max(current.percent, Math.min(100, Math.round(event.percent))) } : current;
    case 'downloaded':
      return { state: 'ready', version: event.version };
    case 'error':
      return { state: 'error', message: event.message };
  }
}

/** Whether a scheduled check is due: at start, then every six hours, never while one runs. */
export function checkDue(state: UpdateState, lastCheckAt: number | null, now: number): boolean {
  if (state.state === 'unsupported' || state.state === 'checking' || state.state === 'downloading' || state.state === 'ready') return false;
  return lastCheckAt === null || now - lastCheckAt >= UPDATE_INTERVAL_MS;
}
