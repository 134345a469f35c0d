import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { OPERATIONS, channelOf } from '../../preload/contract';
import { eventually, startHarness } from '../helpers';
import { browserMissing, decodeQr, launchChromium, SCREENSHOTS } from './browser';
import { ipcWindow, serveRendererAsTheAppDoes } from './window-ipc';

const PAGES = ['overview', 'tokens', 'share', 'models', 'metrics', 'activity', 'settings'] as const;

describe('the window over IPC: the real preload, renderer and IPC handlers in Chromium', { skip: browserMissing() }, async () => {
  const h = await startHarness({ fake: { pullSteps: 8, pullStepDelayMs: 60 }, ollama: { manage: false, lanAddresses: () => [] } });
  const { index, origin } = await serveRendererAsTheAppDoes();
  const browser = await launchChromium();
  const win = await ipcWindow(browser, h.core.control, index);
  const { page } = win;
  const go = async (name: string) => {
    await page.goto(`${index}#/${name}`);
    await page.getByRole('heading', { level: 1 }).filter({ hasText: new RegExp(name, 'i') }).waitFor();
  };

  it('registers every operation of the contract on its own channel', () => {
    assert.deepEqual(win.channels().sort(), OPERATIONS.map(channelOf).sort());
  });

  it('opens on Overview under the window\'s CSP, with the window bridge and no sign-in', async () => {
    await page.goto(index);
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.getByText(h.info.urls[0]!).first().waitFor();
    assert.equal(await page.evaluate(() => typeof (globalThis as { gatehouse?: unknown }).gatehouse), 'object');
  });

  it('pauses and resumes from the switch: the stored setting follows', async () => {
    await page.getByRole('switch').click();
    await page.getByText('Paused: only this computer can use Ollama').waitFor();
    assert.equal(h.core.store.settings.load().settings.paused, true);
    await page.getByRole('switch').click();
    await eventually(() => h.core.store.settings.load().settings.paused === false, 3000, 'resume to be stored');
  });

  it('creates a token whose secret is shown once and works, then revokes it', async () => {
    await go('tokens');
    await page.getByRole('button', { name: 'New token' }).click();
    const form = page.getByRole('form', { name: 'New token' });
    await eventually(async () => (await form.getByText('Loading installed models…').count()) === 0, 5000, 'the model list');
    await form.getByLabel('Name', { exact: true }).fill('ipc-alice');
    await form.getByRole('button', { name: 'Create token' }).click();
    const secret = (await page.getByTestId('token-secret').textContent()) ?? '';
    assert.equal(h.core.verifier.verify(secret).ok, true, 'the secret shown is the token issued');
    await page.getByRole('button', { name: 'I have saved it' }).click();
    await page.reload();
    assert.equal(await page.getByText(secret).count(), 0, 'never shown again');
    await page.getByRole('button', { name: 'Revoke ipc-alice' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke token' }).click();
    await eventually(() => !h.core.verifier.verify(secret).ok, 3000, 'the token to be refused');
    assert.equal(h.core.store.metering.auditSince(0).find((a) => a.action === 'token.created' && a.target === 'ipc-alice')?.actor, 'window');
  });

  it('shares: the QR code decodes to the endpoint with a token', async () => {
    await go('share');
    await page.getByRole('form', { name: 'New token' }).getByLabel('Name', { exact: true }).fill('ipc-bob');
    await page.getByRole('button', { name: 'Create and share' }).click();
    const [decoded] = await decodeQr((await page.getByTestId('share-qr').getAttribute('src')) ?? '');
    assert.match(decoded ?? '', /#token=gth_/);
  });

  it('pulls a model with live progress events, then deletes it', async () => {
    await go('models');
    await page.getByLabel(/Model name/).fill('phi4-mini');
    await page.getByRole('button', { name: 'Pull' }).click();
    const bar = page.getByRole('progressbar', { name: 'Download of phi4-mini' });
    const seen = new Set<number>();
    await eventually(async () => {
      seen.add(Number((await bar.getAttribute('aria-valuenow').catch(() => null)) ?? -1));
      return seen.has(100);
    }, 10_000, 'the bar to reach 100 %');
    assert.ok([...seen].some((v) => v > 0 && v < 100), `progress arrived as events: ${[...seen].join(', ')}`);
    await page.getByRole('button', { name: 'Delete phi4-mini:latest' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete model' }).click();
    await page.getByRole('cell', { name: 'phi4-mini:latest', exact: true }).waitFor({ state: 'detached' });
    assert.ok(!h.fake.models.some((m) => m.name.startsWith('phi4-mini')));
  });

  it('exports Activity as CSV', async () => {
    await go('activity');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
    assert.match(readFileSync(await download.path(), 'utf8'), /token\.created.*ipc-alice/);
  });

  it('refuses a call from another frame or another page, and changes nothing', async () => {
    const before = h.core.store.tokens.all().length;
    await page.goto(index);
    // Page code as text: this file is type-checked for Node, not for the DOM. A framed copy of the
    // window is refused by its CSP (frame-ancestors 'none'); a same-origin srcdoc frame gets the bridge.
    const fromFrame = await page.evaluate(`(async () => {
      const frame = document.createElement('iframe');
      frame.srcdoc = '<p>a frame</p>';
      document.body.append(frame);
      await new Promise((resolve) => frame.addEventListener('load', resolve));
      return frame.contentWindow.gatehouse.createToken({ name: 'from-a-frame' });
    })()`);
    assert.deepEqual((fromFrame as { error: { code: string } }).error.code, 'FORBIDDEN');
    await page.goto(`${origin}/invite.html`);
    const fromOtherPage = await page.evaluate(() => (globalThis as unknown as { gatehouse: { createToken(a: unknown): Promise<unknown> } }).gatehouse.createToken({ name: 'from-elsewhere' }));
    assert.equal((fromOtherPage as { error: { code: string } }).error.code, 'FORBIDDEN');
    assert.equal(h.core.store.tokens.all().length, before);
  });

  it('shows every page over IPC, light and dark, with no console errors', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const name of PAGES) {
        await page.goto(`${index}#/${name}`);
        await eventually(async () => (await page.getByText(/^Loading .*…$/).count()) === 0, 5000, `${name} to load`);
        await page.waitForTimeout(150);
        await page.screenshot({ path: join(SCREENSHOTS, `window-${name}-${scheme}.png`), fullPage: true });
      }
    }
    // Only the window's own pages count (the invite page visited above fetches what this server lacks).
    assert.deepEqual(win.errors.filter((e) => e.startsWith(index)), []);
  });
});
