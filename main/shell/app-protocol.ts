import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { CONTENT_SECURITY_POLICY } from './web-security';

/**
 * The window's pages come from `gatehouse://app/`, not `file://`: the packaged app turns off
 * Electron's extra file:// privileges (the grantFileProtocolExtraPrivileges fuse), and Chromium
 * will not run a file:// page's module scripts without them. A standard, secure custom scheme is
 * what Electron's security guide recommends; the page gets one origin, and nothing outside the
 * built renderer can be read through it.
 */
export const APP_SCHEME = 'gatehouse';
export const APP_ORIGIN = `${APP_SCHEME}://app`;
export const RENDERER_INDEX = `${APP_ORIGIN}/index.html`;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
};

export interface RendererResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer | string;
}

/** The file inside `root` a request path names, or null for anything that would leave it. */
export function rendererFile(pathname: string, root: string): string | null {
  let path: string;
  try {
    path = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (!path.startsWith('/') || path.includes('\0') || path.includes('\\')) return null;
  const file = normalize(join(root, path === '/' ? '/index.html' : path));
  return file.startsWith(root.endsWith(sep) ? root : root + sep) ? file : null;
}

/** The answer to one request for a page or asset of the window (null: not one), with the window's CSP. */
export async function rendererResponse(pathname: string | null, root: string): Promise<RendererResponse> {
  const file = pathname === null ? null : rendererFile(pathname, root);
  const headers = { 'content-security-policy': CONTENT_SECURITY_POLICY, 'x-content-type-options': 'nosniff', 'cache-control': 'no-cache' };
  if (!file) return { status: 400, headers: { ...headers, 'content-type': 'text/plain; charset=utf-8' }, body: 'Not a page of the Gatehouse window.' };
  try {
    return { status: 200, headers: { ...headers, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }, body: await readFile(file) };
  } catch {
    return { status: 404, headers: { ...headers, 'content-type': 'text/plain; charset=utf-8' }, body: 'No such page in the Gatehouse window.' };
  }
}

/** The part of a gatehouse://app/… URL the renderer serves, or null for another scheme or host. */
export function appPathOf(rawUrl: string): string | null {
  try {
    const url = new URL(rawUrl);
    return url.protocol === `${APP_SCHEME}:` && url.host === 'app' ? url.pathname : null;
  } catch {
    return null;
  }
}
