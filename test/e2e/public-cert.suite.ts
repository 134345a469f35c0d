import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { sharePayload, type Results } from '../../preload/contract';
import { startPebble } from '../fixtures/pebble';
import { commandsMissing, startHarness, tempDir } from '../helpers';
import { browserMissing, launchTrustingChromium, SCREENSHOTS } from './browser';

const DOMAIN = 'gpu.example.test';

describe("a teammate's Chromium and the ACME certificate", { skip: browserMissing() ?? commandsMissing('pebble', 'certutil') }, async () => {
  const pebble = await startPebble();
  after(() => pebble.close());
  const acme = { trust: pebble.trust, providers: pebble.providers, recordVisible: () => Promise.resolve(true), propagationMs: 2000 };
  const dataDir = tempDir();
  const setup = await startHarness({ dataDir, acme });
  await setup.core.control.call('useAcme', { domain: DOMAIN, email: 'owner@example.test', dns: 'testdns', dnsToken: 'token', directory: pebble.directory }, 'window');
  await setup.core.close();
  const h = await startHarness({ dataDir, acme });
  const endpoint = `https://${DOMAIN}:${h.info.port}`;
  const browser = await launchTrustingChromium(await pebble.root(), [DOMAIN]);
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));

  it('opens the Share link by name with no certificate warning and no CA to install', async () => {
    const share = (await h.core.control.call('getShareInfo', {}, 'window')) as Results['getShareInfo'];
    assert.equal(share.endpoints[0]?.url, endpoint);
    const token = h.token('acme-chromium');
    const response = await page.goto(sharePayload(endpoint, token, share.caFingerprint));
    assert.equal(response?.status(), 200);
    await page.getByRole('heading', { name: 'Ollama, shared with you through Gatehouse' }).waitFor();
    assert.equal(await page.getByText('Gatehouse uses its own certificate authority').count(), 0, 'no CA step');
    assert.equal(await page.getByTestId('landing-token').textContent(), token);
    const version = await page.evaluate(async (t) => (await fetch('/api/version', { headers: { authorization: `Bearer ${t}` } })).status, token);
    assert.equal(version, 200);
    await page.screenshot({ path: join(SCREENSHOTS, 'share-landing-public-certificate.png'), fullPage: true });
    assert.deepEqual(errors, []);
  });

  it('still refuses the certificate for an address it does not name: the trust is real', async () => {
    await assert.rejects(page.goto(`https://127.0.0.1:${h.info.port}/`), /ERR_CERT_COMMON_NAME_INVALID/);
  });
});
