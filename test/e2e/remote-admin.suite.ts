import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import OpenAI from 'openai';
import { generate } from 'otplib';
import { Agent } from 'undici';
import { startFakeOllama } from '../fixtures/fake-ollama';
import { tempDir } from '../helpers';
import { browserMissing, dashboardContext, launchChromium, SCREENSHOTS } from './browser';
import { makeRemoteHost } from './netns';
import { runCli, startServe } from './serve-process';

const PASSWORD = 'harbour-quince-lantern-84';
const dir = tempDir();
const remoteHost = browserMissing() ? null : makeRemoteHost(dir);
const skip = browserMissing() ?? (typeof remoteHost === 'string' ? remoteHost : undefined);

describe('remote administration and invites, from another computer (a network namespace)', { skip }, async () => {
  const remote = remoteHost as Exclude<typeof remoteHost, string | null>;
  const fake = await startFakeOllama();
  after(() => fake.close());
  const dataDir = tempDir();
  const serve = await startServe(dataDir, fake.url, remote.serverAddress);
  const ca = readFileSync(join(dataDir, 'tls', 'ca.crt'), 'utf8');
  const localBrowser = await launchChromium();
  const remoteBrowser = await launchChromium(remote.chromium);
  const local = await dashboardContext(localBrowser);
  let secret = '';
  let recovery: string[] = [];

  const remotePage = async () => {
    const ctx = await dashboardContext(remoteBrowser);
    await ctx.page.goto(`${serve.url}/admin/`);
    return ctx;
  };
  const signInRemotely = async (code: string) => {
    const ctx = await remotePage();
    await ctx.page.getByLabel('Admin password').fill(PASSWORD);
    await ctx.page.getByLabel(/Code from the authenticator/).fill(code);
    await ctx.page.getByRole('button', { name: 'Sign in' }).click();
    return ctx;
  };

  it('is refused from the other computer while remote administration is off', async () => {
    const ctx = await dashboardContext(remoteBrowser);
    const res = await ctx.page.goto(`${serve.url}/admin/`);
    assert.equal(res?.status(), 403);
    await ctx.page.getByText('can only be opened on the Gatehouse computer').waitFor();
    await ctx.context.close();
  });

  it('enables remote administration: password, TOTP from the shown secret, recovery codes shown once', async () => {
    await local.page.goto(serve.adminLink);
    await local.page.getByRole('heading', { name: 'Overview' }).waitFor();
    await local.page.goto(serve.adminLink.replace(/#.*$/, '#/settings'));
    await local.page.getByLabel('Admin password (at least 12 characters)').fill(PASSWORD);
    await local.page.getByLabel('Password again').fill(PASSWORD);
    await local.page.getByRole('button', { name: 'Next: pair an authenticator' }).click();
    secret = (await local.page.getByTestId('totp-secret').textContent()) ?? '';
    assert.match(secret, /^[A-Z2-7]{32}$/);
    await local.page.getByLabel('The 6-digit code the app shows now').fill(await generate({ secret }));
    await local.page.getByRole('button', { name: 'Turn on remote administration' }).click();
    await local.page.getByTestId('recovery-codes').waitFor();
    recovery = await local.page.getByTestId('recovery-codes').locator('code').allTextContents();
    assert.equal(recovery.length, 10);
    await local.page.screenshot({ path: join(SCREENSHOTS, 'remote-admin-enabled-light.png'), fullPage: true });
    await local.page.getByRole('button', { name: 'I have saved them' }).click();
    await local.page.getByText(/On Sign in from another computer/).waitFor();
    await local.page.getByRole('button', { name: 'Sign out' }).click();
    await local.page.getByText('use a sign-in link').waitFor();
  });

  it('signs in from the other computer with the password and an authenticator code', async () => {
    const ctx = await signInRemotely(await generate({ secret, epoch: Math.floor(Date.now() / 1000) + 30 }));
    await ctx.page.getByRole('heading', { name: 'Overview' }).waitFor();
    await ctx.page.getByRole('link', { name: 'Sign out' }).or(ctx.page.getByRole('button', { name: 'Sign out' })).click();
    await ctx.context.close();
    const audit = await runCli(['audit', '--json', '--data-dir', dataDir]);
    assert.match(audit, new RegExp(`"actor":"remote-admin","action":"admin.signed_in".*from ${remote.clientAddress.replace(/\./g, '\\.')}`), 'recorded with the other computer\'s address');
  });

  it('signs in with a recovery code once, and the code is used up', async () => {
    const ctx = await signInRemotely(recovery[0]!);
    await ctx.page.getByRole('heading', { name: 'Overview' }).waitFor();
    await ctx.page.goto(`${serve.url}/admin/#/settings`);
    await ctx.page.getByText('9 recovery codes left').waitFor();
    await ctx.page.getByRole('button', { name: 'New recovery codes' }).click();
    await ctx.page.getByText('only renew the recovery codes on the Gatehouse computer itself').waitFor();
    await ctx.context.close();
    const again = await signInRemotely(recovery[0]!);
    await again.page.getByText('The password or the code is not right').waitFor();
    await again.context.close();
  });

  it('locks the other computer out after five failures', async () => {
    const ctx = await remotePage();
    await ctx.page.getByLabel('Admin password').fill(PASSWORD);
    for (let i = 0; i < 5; i++) {
      await ctx.page.getByLabel(/Code from the authenticator/).fill('000000');
      await ctx.page.getByRole('button', { name: 'Sign in' }).click();
      await ctx.page.getByRole('alert').waitFor();
    }
    await ctx.page.getByText('Too many failed sign-ins from this address').waitFor();
    await ctx.page.getByLabel(/Code from the authenticator/).fill(recovery[1]!);
    await ctx.page.getByRole('button', { name: 'Sign in' }).click();
    await ctx.page.getByText(/Too many failed sign-ins from this address\. Try again in \d+ seconds/).waitFor();
    await ctx.context.close();
  });

  it('invites a teammate: the link opens in a fresh browser, Accept gives a token that works, the second opening fails', async () => {
    // Signed out above: back in with a fresh one-time link from the CLI.
    const link = (await runCli(['admin', 'link', '--port', String(serve.port), '--data-dir', dataDir])).split('\n')[0]!.replace('localhost', remote.serverAddress);
    await local.page.goto(link);
    await local.page.getByRole('heading', { name: 'Overview' }).waitFor();
    await local.page.goto(serve.adminLink.replace(/#.*$/, '#/share'));
    const form = local.page.getByRole('form', { name: 'New invite' });
    await form.getByLabel('Their name').fill('e2e-frank');
    await form.getByRole('button', { name: 'Create invite' }).click();
    await local.page.getByTestId('invite-message').waitFor();
    assert.match((await local.page.getByTestId('invite-message').textContent()) ?? '', /warn that the connection is not private/);
    const url = (await local.page.getByTestId('invite-url').textContent()) ?? '';
    assert.match(url, new RegExp(`^${serve.url}/invite/inv_[0-9a-f]{12}#`));

    const teammate = await dashboardContext(remoteBrowser);
    await teammate.page.goto(url);
    assert.equal(new URL(teammate.page.url()).hash, '', 'the secret leaves the address bar');
    await teammate.page.getByTestId('ca-fingerprint').waitFor();
    await teammate.page.getByRole('button', { name: 'Accept and show my token' }).click();
    const token = (await teammate.page.getByTestId('invite-token').textContent()) ?? '';
    assert.match(token, /^gth_/);
    await teammate.page.screenshot({ path: join(SCREENSHOTS, 'invite-accepted-light.png'), fullPage: true });
    assert.deepEqual(teammate.errors, []);

    const openai = new OpenAI({ baseURL: `${serve.url}/v1`, apiKey: token, fetchOptions: { dispatcher: new Agent({ connect: { ca } }) } as never });
    const reply = await openai.chat.completions.create({ model: 'llama3.2', messages: [{ role: 'user', content: 'hi' }] });
    assert.ok(reply.choices[0]?.message.content);

    const second = await dashboardContext(remoteBrowser);
    await second.page.goto(url);
    await second.page.getByText('This invite was already used.').waitFor();
    await local.page.reload();
    await local.page.getByText('as token e2e-frank').waitFor();
    assert.deepEqual(local.errors, []);
  });
});
