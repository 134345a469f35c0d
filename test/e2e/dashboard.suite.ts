import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startFakeOllama } from '../fixtures/fake-ollama';
import { bearer, call, eventually, tempDir } from '../helpers';
import { browserMissing, dashboardContext, decodeQr, launchChromium, SCREENSHOTS } from './browser';
import { runCli, startServe } from './serve-process';

const PAGES = ['overview', 'tokens', 'share', 'models', 'metrics', 'activity', 'settings'] as const;

describe('the dashboard in Chromium against gatehouse serve', { skip: browserMissing() }, async () => {
  const fake = await startFakeOllama({ pullSteps: 8, pullStepDelayMs: 60 });
  after(() => fake.close());
  const dataDir = tempDir();
  const serve = await startServe(dataDir, fake.url);
  const ca = readFileSync(join(dataDir, 'tls', 'ca.crt'), 'utf8');
  const browser = await launchChromium();
  const { page, errors } = await dashboardContext(browser);
  let aliceToken = '';

  const go = async (name: (typeof PAGES)[number]) => {
    await page.goto(serve.adminLink.replace(/#.*$/, `#/${name}`));
    await page.getByRole('heading', { level: 1 }).filter({ hasText: new RegExp(name, 'i') }).waitFor();
  };
  /** Fills the token form once it has settled (its model list loaded), then submits it. */
  const createToken = async (name: string, submit: string) => {
    const form = page.getByRole('form', { name: 'New token' });
    await form.waitFor();
    await eventually(async () => (await form.getByText('Loading installed models…').count()) === 0, 5000, 'the model list to load');
    const field = form.getByLabel('Name', { exact: true });
    await field.fill(name);
    await eventually(async () => (await field.inputValue()) === name, 2000, 'the name to be typed');
    await form.getByRole('button', { name: submit }).click();
    await page.getByTestId('token-secret').or(form.getByRole('alert')).first().waitFor();
  };
  const chat = (token: string) => call(`${serve.url}/api/chat`, { ca, headers: bearer(token), body: { model: 'llama3.2', messages: [{ role: 'user', content: 'hi' }], stream: false } });


  it('signs in with the one-time link printed by gatehouse serve and shows the overview', async () => {
    await page.goto(serve.adminLink);
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    assert.equal(new URL(page.url()).hash, '#/overview', 'the code is gone from the address bar');
    await page.getByText(serve.url).first().waitFor();
    await page.getByRole('switch').waitFor();
  });

  it('creates a token, shows its secret once, and the token works over HTTPS', async () => {
    await go('tokens');
    await page.getByRole('button', { name: 'New token' }).click();
    await createToken('e2e-alice', 'Create token');
    aliceToken = (await page.getByTestId('token-secret').textContent()) ?? '';
    assert.match(aliceToken, /^gth_[0-9A-Za-z]{49}$/);
    await page.getByRole('cell', { name: /^e2e-alice/ }).waitFor();
    await page.getByRole('button', { name: 'I have saved it' }).click();
    assert.equal(await page.getByTestId('token-secret').count(), 0, 'the secret is not shown again');
    await page.reload();
    assert.equal(await page.getByText(aliceToken).count(), 0);

    const res = await chat(aliceToken);
    assert.equal(res.status, 200, res.text);
  });

  it('shows the request on Overview and Metrics', async () => {
    await go('overview');
    await eventually(async () => {
      await page.reload();
      const requests = page.locator('.stat', { hasText: 'requests' }).locator('.stat-value');
      return (await requests.textContent()) === '1';
    }, 8000, 'the request to be counted today');
    await go('metrics');
    await page.locator('.recharts-bar-rectangle').first().waitFor();
    await page.getByRole('cell', { name: 'e2e-alice' }).waitFor();
    await page.getByRole('cell', { name: 'llama3.2:latest' }).first().waitFor();
  });

  it('revokes the token after a confirmation, and its next request fails', async () => {
    await go('tokens');
    await page.getByRole('button', { name: 'Revoke e2e-alice' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('Apps using it stop working').waitFor();
    await dialog.getByRole('button', { name: 'Revoke token' }).click();
    await page.getByRole('cell', { name: /^e2e-alice/ }).waitFor({ state: 'detached' });
    await eventually(async () => (await chat(aliceToken)).status === 401, 3000, 'the revoked token to be refused');
  });

  it('shares a new token: the QR code decodes to the endpoint and the token; the CA downloads', async () => {
    await go('share');
    // This serve listens on 127.0.0.1: handing out that address is warned about.
    await page.getByText('This address works only on this computer').waitFor();
    await createToken('e2e-bob', 'Create and share');
    const secret = (await page.getByTestId('token-secret').textContent()) ?? '';
    const qr = await page.getByTestId('share-qr').getAttribute('src');
    const [decoded] = await decodeQr(qr ?? '');
    assert.ok(decoded, 'a QR code was read');
    const link = new URL(decoded);
    assert.equal(link.origin, serve.url);
    const fragment = new URLSearchParams(link.hash.slice(1));
    assert.equal(fragment.get('token'), secret);
    assert.match(fragment.get('ca-sha256') ?? '', /^[0-9a-f]{64}$/);
    assert.equal((await chat(secret)).status, 200, 'the shared token works');

    await page.getByRole('tab', { name: 'OpenAI SDK (Python)' }).click();
    await page.screenshot({ path: join(SCREENSHOTS, 'share-qr-light.png'), fullPage: true });
    await page.getByRole('tabpanel').getByText(`base_url='${serve.url}/v1'`.replace(/'/g, '"')).waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: /Download CA certificate/ }).click()]);
    const pem = readFileSync(await download.path(), 'utf8');
    assert.equal(pem, ca);
  });

  it('invites with the full token policy: models, limits, expiry and budgets reach the token the invite gives', async () => {
    await go('share');
    const form = page.getByRole('form', { name: 'New invite' });
    await form.getByLabel('Their name').fill('e2e-ivy');
    await form.getByText('What their token may do').click();
    await form.getByLabel('More names or patterns').fill('llama3.2');
    await form.getByLabel('Requests per minute').fill('12');
    await form.getByLabel('Token expires').selectOption('7d');
    await form.getByText('GPU share and budgets').click();
    await form.getByLabel('Tokens per day').fill('5000');
    await form.getByRole('button', { name: 'Create invite' }).click();
    const url = new URL((await page.getByTestId('invite-url').textContent()) ?? '');
    const accepted = await call(`${serve.url}${url.pathname}/redeem`, { ca, body: { secret: url.hash.slice(1) } });
    assert.equal(accepted.status, 200, accepted.text);
    const tokens = JSON.parse(await runCli(['token', 'list', '--json', '--data-dir', dataDir])) as Array<{ name: string; allowModels: string[]; rpm: number; dailyTokens: number; expiresAt: string }>;
    const ivy = tokens.find((t) => t.name === 'e2e-ivy')!;
    assert.deepEqual([ivy.allowModels, ivy.rpm, ivy.dailyTokens], [['llama3.2'], 12, 5000]);
    assert.ok(Math.abs(Date.parse(ivy.expiresAt) - (Date.now() + 7 * 86_400_000)) < 120_000, ivy.expiresAt);
  });

  it('pulls a model with a progress bar that reaches 100 %, then deletes it', async () => {
    await go('models');
    await page.getByLabel(/Model name/).fill('phi4-mini');
    await page.getByRole('button', { name: 'Pull' }).click();
    const bar = page.getByRole('progressbar', { name: 'Download of phi4-mini' });
    await bar.waitFor();
    const seen = new Set<number>();
    await eventually(async () => {
      seen.add(Number(await bar.getAttribute('aria-valuenow')));
      return seen.has(100);
    }, 10_000, 'the bar to reach 100 %');
    assert.ok([...seen].some((v) => v > 0 && v < 100), `intermediate progress was shown: ${[...seen].join(', ')}`);
    await page.getByRole('cell', { name: 'phi4-mini:latest', exact: true }).waitFor();

    await page.getByRole('button', { name: 'Delete phi4-mini:latest' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete model' }).click();
    await page.getByRole('cell', { name: 'phi4-mini:latest', exact: true }).waitFor({ state: 'detached' });
    assert.ok(!fake.models.some((m) => m.name.startsWith('phi4-mini')), 'gone from Ollama');
  });

  it('pauses remote access from the switch, and the change is stored', async () => {
    await go('overview');
    await page.getByRole('switch').click();
    await page.getByText('Paused: only this computer can use Ollama').waitFor();
    assert.match(await runCli(['config', 'get', 'paused', '--data-dir', dataDir]), /true/);
    await page.reload();
    assert.equal(await page.getByRole('switch').isChecked(), false);
    await page.getByRole('switch').click();
    // This serve listens on 127.0.0.1, so "on" must not promise teammates anything.
    await page.getByText('On, but Gatehouse listens on this computer only').waitFor();
    await page.getByRole('note').filter({ hasText: 'Teammates cannot reach it' }).waitFor();
  });

  it('lists the changes and security events on Activity', async () => {
    await go('activity');
    await page.getByRole('cell', { name: 'token.revoked' }).waitFor();
    await page.getByRole('cell', { name: 'remote.paused' }).waitFor();
    await page.getByRole('tab', { name: 'Security' }).click();
    await page.getByRole('cell', { name: 'auth_failed' }).first().waitFor();
  });

  it('saves a screenshot of every page, light and dark, with no console errors anywhere', async () => {
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const name of PAGES) {
        await go(name);
        // The event stream never idles the network: wait for the loading notes to go instead.
        await eventually(async () => (await page.getByText(/^Loading .*…$/).count()) === 0, 5000, `${name} to load`);
        await page.waitForTimeout(250);
        await page.screenshot({ path: join(SCREENSHOTS, `${name}-${scheme}.png`), fullPage: true });
      }
    }
    assert.deepEqual(errors, []);
  });

  it('refuses a second use of the sign-in link in a fresh browser, and says what to do', async () => {
    const fresh = await dashboardContext(browser);
    await fresh.page.goto(serve.adminLink);
    await fresh.page.getByText('already used, has expired').waitFor();
    await fresh.page.getByText('gatehouse admin link').first().waitFor();
    await fresh.context.close();
  });
});
