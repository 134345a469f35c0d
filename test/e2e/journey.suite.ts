import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import OpenAI from 'openai';
import type { Locator, Page } from 'playwright-core';
import { Agent } from 'undici';
import { startFakeOllama } from '../fixtures/fake-ollama';
import { tempDir } from '../helpers';
import { browserMissing, dashboardContext, launchChromium } from './browser';
import { makeRemoteHost } from './netns';
import { startServe } from './serve-process';

const dir = tempDir();
// Slot 1: the remote-admin suite has slot 0 in the same process.
const remoteHost = browserMissing() ? null : makeRemoteHost(dir, 1);
const skip = browserMissing() ?? (typeof remoteHost === 'string' ? remoteHost : undefined);
const MAX_CLICKS = 5;

/** Counts what a person does: following a link they were sent counts as a click, typing does not. */
class Person {
  clicks = 0;
  constructor(readonly page: Page) {}
  async open(url: string) {
    this.clicks++;
    return this.page.goto(url);
  }
  async click(target: Locator) {
    this.clicks++;
    await target.click();
  }
  clipboard() {
    return this.page.evaluate<string>('navigator.clipboard.readText()');
  }
}

/** Plain HTTP to the HTTPS port, as an Ollama user types it out of habit. */
function plainHttp(url: string, accept: string): Promise<{ status: number; location?: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { accept } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ...(res.headers.location ? { location: res.headers.location } : {}), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('from a fresh install to a teammate chatting, counting clicks', { skip }, async () => {
  const remote = remoteHost as Exclude<typeof remoteHost, string | null>;
  const fake = await startFakeOllama();
  after(() => fake.close());
  const serve = await startServe(tempDir(), fake.url, remote.serverAddress);
  const owner = new Person((await dashboardContext(await launchChromium())).page);
  // The teammate's browser runs on the other computer. Playwright skips the certificate warning
  // they will see; what they check instead is the fingerprint, below.
  const teammateContext = await dashboardContext(await launchChromium(remote.chromium));
  const teammate = new Person(teammateContext.page);
  let inviteText = '';

  it('the owner signs in, opens Share, creates an invite and copies its text, which carries the fingerprint', async () => {
    await owner.open(serve.adminLink);
    await owner.click(owner.page.getByRole('link', { name: 'Share' }));
    const form = owner.page.getByRole('form', { name: 'New invite' });
    await form.getByLabel('Their name').fill('bob-laptop');
    await owner.click(form.getByRole('button', { name: 'Create invite' }));
    await owner.click(owner.page.getByRole('button', { name: /^Copy the whole text/ }));
    inviteText = await owner.clipboard();
    const fingerprint = /^[0-9A-F]{2}(?::[0-9A-F]{2}){31}$/m.exec(inviteText)?.[0];
    assert.ok(fingerprint, `no fingerprint in the invite text:\n${inviteText}`);
    assert.match(inviteText, /warn that the connection is not private/);
    assert.match(serve.output(), new RegExp(fingerprint), 'the same fingerprint gatehouse serve printed');
  });

  it('the teammate opens it, compares the fingerprint, downloads the CA, accepts, and chats trusting only that CA', async () => {
    const link = new RegExp(`${serve.url}/invite/\\S+`).exec(inviteText)![0];
    const sent = /^[0-9A-F]{2}(?::[0-9A-F]{2}){31}$/m.exec(inviteText)![0];
    await teammate.open(link);
    assert.equal(await teammate.page.getByTestId('ca-fingerprint').textContent(), sent);
    const [download] = await Promise.all([teammate.page.waitForEvent('download'), teammate.click(teammate.page.getByRole('link', { name: 'Download gatehouse-ca.crt' }))]);
    const caFile = join(dir, 'downloaded-ca.crt');
    await download.saveAs(caFile);
    const ca = readFileSync(caFile, 'utf8');
    assert.equal(new X509Certificate(ca).fingerprint256, sent, 'the downloaded CA is the one the owner vouched for');
    await teammate.click(teammate.page.getByRole('button', { name: 'Accept and show my token' }));
    await teammate.page.getByTestId('invite-token').waitFor();
    await teammate.click(teammate.page.getByRole('button', { name: /^Copy: gth_/ }));
    const token = await teammate.clipboard();
    assert.match(token, /^gth_/);

    const openai = new OpenAI({ baseURL: `${serve.url}/v1`, apiKey: token, fetchOptions: { dispatcher: new Agent({ connect: { ca } }) } as never });
    const reply = await openai.chat.completions.create({ model: 'llama3.2', messages: [{ role: 'user', content: 'hi' }] });
    assert.ok(reply.choices[0]?.message.content);
    assert.deepEqual(teammateContext.errors, []);

    console.log(`invite journey: the owner ${owner.clicks} clicks, the teammate ${teammate.clicks} clicks`);
    assert.ok(owner.clicks <= MAX_CLICKS, `the owner needed ${owner.clicks} clicks`);
    assert.ok(teammate.clicks <= MAX_CLICKS, `the teammate needed ${teammate.clicks} clicks`);
  });

  it('the Share link works too: the teammate who opens it lands on their token, the fingerprint and the snippets', async () => {
    const [ownerBefore, teammateBefore] = [owner.clicks, teammate.clicks];
    const form = owner.page.getByRole('form', { name: 'New token' });
    await form.getByLabel('Name', { exact: true }).fill('bob-phone');
    await owner.click(form.getByRole('button', { name: 'Create and share' }));
    await owner.click(owner.page.getByTestId('share-payload').locator('..').getByRole('button', { name: /^Copy link/ }));
    const payload = await owner.clipboard();
    assert.match(payload, new RegExp(`^${serve.url}/#token=gth_`));
    await teammate.open(payload);
    await teammate.page.getByRole('heading', { name: 'Ollama, shared with you through Gatehouse' }).waitFor();
    assert.equal(await teammate.page.getByTestId('landing-token').textContent(), new URLSearchParams(new URL(payload).hash.slice(1)).get('token'));
    console.log(`share link: the owner ${owner.clicks - ownerBefore} clicks, the teammate ${teammate.clicks - teammateBefore}`);
    assert.ok(owner.clicks - ownerBefore <= MAX_CLICKS && teammate.clicks - teammateBefore <= MAX_CLICKS);
  });

  it('http:// on the port gets a 400 that says to use https://, in the browser and from a script', async () => {
    const plain = serve.url.replace('https://', 'http://');
    const page = await teammate.page.goto(`${plain}/api/tags`);
    assert.equal(page?.status(), 400);
    await teammate.page.getByText('Gatehouse speaks HTTPS here.').waitFor();
    const script = await plainHttp(`${plain}/api/tags`, 'application/json');
    assert.equal(script.status, 400);
    assert.match(script.body, new RegExp(`use ${serve.url}/api/tags \\(not http://\\)`));
    const browser = await plainHttp(`${plain}/`, 'text/html');
    assert.equal(browser.location, `${serve.url}/`);
  });
});
