import { after } from 'node:test';
import { sharePayload } from '../../preload/contract';
import { startHarness } from '../../test/helpers';
import { dashboardContext, launchChromium } from '../../test/e2e/browser';
void (async () => {
  const h = await startHarness();
  const browser = await launchChromium();
  const { page, errors } = await dashboardContext(browser);
  page.on('response', (r) => console.log('RESP', r.status(), r.url()));
  await page.goto(sharePayload(h.url, h.token('x'), h.info.tls!.caFingerprint!));
  await new Promise((r) => setTimeout(r, 2000));
  console.log('URL', page.url(), 'ERRORS', errors, (await page.content()).slice(0, 300));
  after(() => undefined);
})();
