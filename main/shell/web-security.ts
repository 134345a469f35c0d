import type { WebPreferences } from 'electron';
import { cspHeader } from '../gateway/security-headers';

/** The only webPreferences any Gatehouse window gets. */
export function webPreferences(preload: string): WebPreferences {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    spellcheck: false,
  };
}

/** The window's Content-Security-Policy: the same policy as the dashboard's pages. */
export const CONTENT_SECURITY_POLICY = cspHeader();

/** Links the window may open in the user's browser: https only, and only these sites. */
const EXTERNAL_HOSTS = new Set(['ollama.com', 'www.ollama.com', 'github.com', 'docs.openwebui.com', 'docs.continue.dev']);

export function isAllowedExternalUrl(raw: string): boolean {
  try {
    const url = new URL(raw);
    return url.protocol === 'https:' && EXTERNAL_HOSTS.has(url.hostname) && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}

/** Whether `raw` is a page of our own renderer (file:// inside the app folder), where the window may go. */
export function isAppUrl(raw: string, rendererIndex: string): boolean {
  try {
    const url = new URL(raw);
    const own = new URL(rendererIndex);
    return url.protocol === own.protocol && url.host === own.host && url.pathname === own.pathname;
  } catch {
    return false;
  }
}
