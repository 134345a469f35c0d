import type { WebPreferences } from 'electron';

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

/** The packaged window's Content-Security-Policy (QR codes are data: images). */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

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
