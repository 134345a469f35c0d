import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after } from 'node:test';
import { build } from 'esbuild';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { ControlApi } from '../../main/control/control-api';
import { rendererResponse } from '../../main/shell/app-protocol';
import { registerControlIpc, type InvokeEvent } from '../../main/shell/ipc';
import { isAppUrl } from '../../main/shell/web-security';
import type { ShimmedWindow } from '../fixtures/electron-preload-shim';

const ROOT = join(__dirname, '..', '..');
const RENDERER = join(ROOT, 'out', 'renderer');

/**
 * The renderer as the app's gatehouse:// protocol handler serves it (the same function, the same
 * CSP header), over loopback HTTP, because Playwright's Chromium cannot be given a custom scheme.
 */
export async function serveRendererAsTheAppDoes(): Promise<{ origin: string; index: string }> {
  const server = createServer((req, res) => {
    void rendererResponse(new URL(req.url ?? '/', 'http://x').pathname, RENDERER).then((answer) => {
      res.writeHead(answer.status, answer.headers).end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, index: `${origin}/index.html` };
}

/** preload/index.ts bundled as the app bundles it, with `electron` replaced by the shim over the bindings. */
async function preloadScript(): Promise<string> {
  const result = await build({
    entryPoints: [join(ROOT, 'preload', 'index.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    alias: { electron: join(ROOT, 'test', 'fixtures', 'electron-preload-shim.ts') },
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

export interface IpcWindow {
  context: BrowserContext;
  page: Page;
  errors: string[];
  /** Every channel registerControlIpc registered, as main would answer it. */
  channels: () => string[];
}

/**
 * A browser context wired like the Gatehouse window: the real preload bridge in every frame, its
 * `invoke` answered in this process by the handlers the real registerControlIpc registered over
 * the core's ControlApi (with the calling frame's real URL and parent as the sender), and the
 * ControlApi's events sent to the page on their channels.
 */
export async function ipcWindow(browser: Browser, control: ControlApi, index: string): Promise<IpcWindow> {
  const handlers = new Map<string, (event: InvokeEvent, args: unknown) => unknown>();
  const pages = new Set<Page>();
  const registration = registerControlIpc(
    { handle: (channel, listener) => void handlers.set(channel, listener as (event: InvokeEvent, args: unknown) => unknown), removeHandler: (channel) => void handlers.delete(channel) },
    control,
    (url) => isAppUrl(url, index),
    (channel, payload) => {
      for (const page of pages) void page.evaluate(([c, p]) => (globalThis as unknown as ShimmedWindow).__gatehouseEmit(c, p), [channel, payload] as const).catch(() => undefined);
    },
  );
  after(() => registration.dispose());
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, acceptDownloads: true });
  await context.exposeBinding('__gatehouseInvoke', (source, channel: string, args: unknown) => {
    const handler = handlers.get(channel);
    if (!handler) throw new Error(`No handler for ${channel}`);
    const senderFrame = { url: source.frame.url(), parent: source.frame.parentFrame() } as unknown as InvokeEvent['senderFrame'];
    return handler({ senderFrame }, args);
  });
  await context.addInitScript({ content: await preloadScript() });
  const page = await context.newPage();
  pages.add(page);
  const errors: string[] = [];
  page.on('console', (m) => m.type() === 'error' && errors.push(`${page.url()}: ${m.text()}`));
  page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
  return { context, page, errors, channels: () => [...handlers.keys()] };
}
