import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { sharePayload } from '../../preload/contract';
import { startHarness } from '../helpers';
import { browserMissing, dashboardContext, launchChromium, SCREENSHOTS } from './browser';

describe('the Share link opened in Chromium', { skip: browserMissing() }, async () => {
  const h = await startHarness();
  const browser = await launchChromium();
  const { page, errors } = await dashboardContext(browser);

  it('lands on a page with the token, the fingerprint to compare, the CA and snippets, and clears the address bar', async () => {
    const token = h.token('landing-ann');
    const fingerprint = h.info.tls!.caFingerprint!;
    await page.goto(sharePayload(h.url, token, fingerprint));
    await page.getByRole('heading', { name: 'Ollama, shared with you through Gatehouse' }).waitFor();
    assert.equal(await page.getByTestId('landing-token').textContent(), token);
    assert.equal((await page.getByTestId('ca-fingerprint').textContent())?.replace(/:/g, '').toLowerCase(), fingerprint.replace(/:/g, '').toLowerCase());
    await page.getByRole('tab', { name: 'curl' }).click();
    await page.getByRole('tabpanel').getByText(`${h.url}/api/chat`).waitFor();
    assert.equal(new URL(page.url()).hash, '', 'the token is gone from the address bar');
    const ca = await page.evaluate(async () => (await fetch('/invite/ca.crt')).text());
    assert.equal(ca, h.ca);
    await page.screenshot({ path: join(SCREENSHOTS, 'share-landing-light.png'), fullPage: true });
    assert.deepEqual(errors, []);
  });
});
