import { OPERATIONS, type ApiErrorBody, type EventName, type Events, type GatehouseApi, type GatehouseBridge, type Operation } from '../../preload/contract';

declare global {
  interface Window {
    /** Set by the Electron preload; absent in a browser on /admin. */
    gatehouse?: GatehouseBridge;
  }
}

/** An error from the core, with its code and, when there is one, what to do about it. */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly fix?: string,
  ) {
    super(message);
  }
}

/** Over TLS a `__Host-` cookie; over plain HTTP (loopback only) one named after the port. */
const CSRF_COOKIES = ['__Host-gatehouse-csrf', `gatehouse-csrf-${location.port || (location.protocol === 'https:' ? '443' : '80')}`];
const signedOutListeners = new Set<() => void>();

function csrfToken(): string {
  for (const part of document.cookie.split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name && CSRF_COOKIES.includes(name)) return decodeURIComponent(value.join('='));
  }
  return '';
}

async function post(path: string, body: unknown, method = 'POST'): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: method === 'DELETE' ? { 'x-gatehouse-csrf': csrfToken() } : { 'content-type': 'application/json', 'x-gatehouse-csrf': csrfToken() },
      body: method === 'DELETE' ? undefined : JSON.stringify(body ?? {}),
    });
  } catch {
    throw new ApiError('OFFLINE', 'Gatehouse is not answering.', 'Check that it is still running, then reload this page.');
  }
  const data = (await res.json().catch(() => null)) as ApiErrorBody | null;
  if (res.ok) return data;
  if (res.status === 401) for (const listener of signedOutListeners) listener();
  const error = data?.error;
  throw new ApiError(error?.code ?? `HTTP_${res.status}`, error?.message ?? `Gatehouse answered ${res.status}.`, error?.fix);
}

let source: EventSource | null = null;
const listeners = new Map<EventName, Set<(payload: never) => void>>();

/** Closes the event stream (on sign-out); the next subscription opens a new one. */
export function closeEvents(): void {
  source?.close();
  source = null;
  listeners.clear();
}

/** The same API over HTTPS to /admin/api: one function per operation, events over Server-Sent Events. */
function httpApi(): GatehouseApi {
  const calls = Object.fromEntries(OPERATIONS.map((op: Operation) => [op, (args?: unknown) => post(`./api/${op}`, args)]));
  const on = <E extends EventName>(event: E, listener: (payload: Events[E]) => void) => {
    source ??= new EventSource('./api/events');
    let set = listeners.get(event);
    if (!set) {
      set = new Set();
      listeners.set(event, set);
      const all = set;
      source.addEventListener(event, (e) => {
        const payload = JSON.parse((e as MessageEvent<string>).data) as never;
        for (const l of all) l(payload);
      });
    }
    set.add(listener);
    return () => void set.delete(listener);
  };
  return { ...calls, on } as GatehouseApi;
}

/** The desktop app's IPC bridge as the same API: failures (sent as outcomes) become ApiErrors again. */
function ipcApi(bridge: GatehouseBridge): GatehouseApi {
  const calls = Object.fromEntries(
    OPERATIONS.map((op: Operation) => [
      op,
      async (args?: never) => {
        const outcome = await bridge[op](args);
        if (outcome.ok) return outcome.result;
        throw new ApiError(outcome.error.code, outcome.error.message, outcome.error.fix);
      },
    ]),
  );
  const on = <E extends EventName>(event: E, listener: (payload: Events[E]) => void) => bridge.on(event, listener);
  return { ...calls, on } as GatehouseApi;
}

/** IPC inside the desktop app, HTTPS in a browser: the pages never know which. */
export const api: GatehouseApi = window.gatehouse ? ipcApi(window.gatehouse) : httpApi();
export const inDesktopApp = window.gatehouse !== undefined;

export const session = {
  /** Exchanges a one-time sign-in code (from the link's #login=…) for a session cookie. */
  signIn: (code: string) => post('./api/session', { code }),
  check: () => fetch('./api/session', { credentials: 'same-origin' }).then((r) => r.ok),
  /** Whether this browser may sign in with a password (remote administration on, and not on the Gatehouse computer). */
  loginInfo: async () => (await fetch('./api/login-info', { credentials: 'same-origin' })).json() as Promise<{ remoteAdmin: boolean; local: boolean }>,
  login: (password: string, code: string) => post('./api/login', { password, code }),
  signOut: () => post('./api/session', undefined, 'DELETE'),
  onSignedOut(listener: () => void): () => void {
    signedOutListeners.add(listener);
    return () => void signedOutListeners.delete(listener);
  },
};
