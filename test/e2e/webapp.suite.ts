import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { startFakeOllama } from '../fixtures/fake-ollama';
import { startFakeWebapp } from '../fixtures/fake-webapp';
import { tempDir } from '../helpers';
import { browserMissing, dashboardContext, launchChromium } from './browser';
import { runCli, startServe } from './serve-process';

describe('an invite that opens the web app, in Chromium', { skip: browserMissing() }, async () => {
  const fake = await startFakeOllama();
  after(() => fake.close());
  const app = await startFakeWebapp();
  const dataDir = tempDir();
  await runCli(['webapp', 'set', '--upstream', app.url, '--port', '0', '--trusted-header', 'email', '--data-dir', dataDir]);
  const serve = await startServe(dataDir, fake.url);
  const browser = await launchChromium();

  it('accepts the invite, then "Open the web app" signs the teammate in to the app as themselves', async () => {
    assert.match(serve.output(), /The web app at http:\/\/127\.0\.0\.1:\d+ is open to tokens with --web/);
    const created = JSON.parse(await runCli(['invite', 'create', '--name', 'wendy', '--web', '--endpoint', serve.url, '--json', '--data-dir', dataDir]).then((o) => o.split('\n').find((l) => l.startsWith('{'))!)) as { url: string };
    const teammate = await dashboardContext(browser);
    await teammate.page.goto(created.url);
    await teammate.page.getByRole('button', { name: 'Accept and show my token' }).click();
    await teammate.page.getByTestId('invite-token').waitFor();
    await teammate.page.getByRole('button', { name: 'Open the web app' }).click();
    await teammate.page.getByRole('heading', { name: 'Fake WebUI' }).waitFor();
    assert.match(teammate.page.url(), /^https:\/\/127\.0\.0\.1:\d+\/$/);
    assert.equal(app.seen.at(-1)!['x-trusted-user-email'], 'wendy@gatehouse.local');
    const whoami = await teammate.page.evaluate<string>("fetch('/whoami').then((r) => r.text())");
    assert.doesNotMatch(whoami, /gatehouse-web/, 'the app never sees the session cookie');
    assert.deepEqual(teammate.errors, []);
  });
});
