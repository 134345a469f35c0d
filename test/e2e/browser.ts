import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { prepareZXingModule, readBarcodes } from 'zxing-wasm/reader';

export const SCREENSHOTS = join(__dirname, '..', '..', 'test-results', 'screenshots');
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Why the browser tests cannot run here, or undefined when they can. On a developer's machine
 * without Chromium they are skipped with this reason; in CI (CI=true) a missing browser fails them.
 */
export function browserMissing(): string | undefined {
  if (existsSync(CHROMIUM) || process.env.CI) return undefined;
  return `no Chromium at ${CHROMIUM}: install it (Debian/Ubuntu: apt-get install chromium) or set CHROMIUM_PATH`;
}

/** Debian's Chromium, never a downloaded one; the flags keep it off the (closed) network. */
export async function launchChromium(executablePath = CHROMIUM): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath,
    args: ['--disable-dev-shm-usage', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  after(() => browser.close());
  mkdirSync(SCREENSHOTS, { recursive: true });
  return browser;
}

/**
 * Chromium as a teammate's computer runs it: it trusts `rootPem` the way Linux desktops trust a
 * root (the user's NSS database, made with certutil in a fresh HOME) and no other extra CA, and
 * its DNS sends `names` to this computer. Nothing accepts a certificate error.
 */
export async function launchTrustingChromium(rootPem: string, names: string[]): Promise<Browser> {
  const home = mkdtempSync(join(tmpdir(), 'gatehouse-chromium-home-'));
  const db = join(home, '.pki', 'nssdb');
  mkdirSync(db, { recursive: true });
  writeFileSync(join(home, 'root.pem'), rootPem);
  execFileSync('certutil', ['-N', '-d', `sql:${db}`, '--empty-password']);
  execFileSync('certutil', ['-A', '-d', `sql:${db}`, '-n', 'test-public-root', '-t', 'C,,', '-i', join(home, 'root.pem')]);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    env: { ...process.env, HOME: home },
    args: ['--disable-dev-shm-usage', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--host-resolver-rules=${names.map((n) => `MAP ${n} 127.0.0.1`).join(', ')}`],
  });
  after(async () => {
    await browser.close();
    rmSync(home, { recursive: true, force: true });
  });
  return browser;
}

/**
 * A browser context that accepts Gatehouse's certificate (trusting the CA is tested with real
 * clients elsewhere; Chromium cannot be given an extra CA without an NSS database) and collects
 * every console error and uncaught page error.
 */
export async function dashboardContext(browser: Browser): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 860 }, acceptDownloads: true });
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(`${page.url()}: ${m.text()}`));
  page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
  return { context, page, errors };
}

let zxingReady = false;

/** Reads the QR code in a PNG data URL with ZXing (its wasm loaded from node_modules, not a CDN). */
export async function decodeQr(dataUrl: string): Promise<string[]> {
  if (!zxingReady) {
    const wasm = readFileSync(require.resolve('zxing-wasm/reader/zxing_reader.wasm'));
    prepareZXingModule({ overrides: { wasmBinary: wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) }, fireImmediately: true });
    zxingReady = true;
  }
  const png = Buffer.from(dataUrl.replace(/^data:image\/png;base64,/, ''), 'base64');
  const results = await readBarcodes(new Blob([png], { type: 'image/png' }), { formats: ['QRCode'] });
  return results.map((r) => r.text);
}
