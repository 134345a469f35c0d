import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { sharePayload, type Results } from '../../preload/contract';
import { startPebble } from '../fixtures/pebble';
import { commandsMissing, startHarness, tempDir } from '../helpers';
import { browserMissing, dashboardContext, launchChromium, launchTrustingChromium, SCREENSHOTS } from './browser';

const DOMAIN = 'gpu.example.test';

describe("a teammate's Chromium and the ACME certificate", { skip: browserMissing() ?? commandsMissing('pebble', 'certutil') }, async () => {
  const pebble = await startPebble();
  after(() => pebble.close());
  const acme = { trust: pebble.trust, providers: pebble.providers, recordVisible: () => Promise.resolve(true), propagationMs: 2000 };
  const dataDir = tempDir();
  const setup = await startHarness({ dataDir, acme });

  it("is got by the owner in Settings → Certificate, which then says what it serves", async () => {
    const { page, errors } = await dashboardContext(await launchChromium());
    await page.goto(setup.core.adminLink()!.url);
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.goto(page.url().replace(/#.*$/, '#/settings'));
    const card = page.getByRole('form', { name: 'Get a certificate for your domain' });
    await card.getByLabel('Name for this computer').fill(DOMAIN);
    await card.getByLabel(/Your email/).fill('owner@example.test');
    await card.getByLabel("Who serves the domain's DNS").selectOption('testdns');
    await card.getByLabel(/DNS API token/).fill('dns-token');
    await card.getByText('Another certificate authority').click();
    await card.getByLabel('ACME directory address').fill(pebble.directory);
    await card.getByRole('button', { name: 'Get certificate' }).click();
    await page.getByRole('status').filter({ hasText: `issued a certificate for ${DOMAIN}` }).waitFor();
    assert.equal(setup.core.settings().tlsMode, 'acme');
    // Served at once: the card says so without a restart.
    await page.getByTestId('certificate-served').filter({ hasText: `Let's Encrypt's certificate for your domain` }).filter({ hasText: DOMAIN }).waitFor();
    await page.screenshot({ path: join(SCREENSHOTS, 'settings-certificate-acme.png'), fullPage: true });
    assert.deepEqual(errors, []);
  });

  it('is still served by name after a restart: the Share link opens with no certificate warning and no CA to install', async () => {
    await setup.core.close();
    // Started inside the test, so it is closed when the test ends.
    const h = await startHarness({ dataDir, acme });
    const endpoint = `https://${DOMAIN}:${h.info.port}`;
    const browser = await launchTrustingChromium(await pebble.root(), [DOMAIN]);
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
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
    // The trust is real: an address the certificate does not name is refused.
    await assert.rejects(page.goto(`https://127.0.0.1:${h.info.port}/`), /ERR_CERT_COMMON_NAME_INVALID/);
  });
});
