import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import OpenAI from 'openai';
import { createCa, issueLeaf } from '../../main/tls/certificates';
import { tlsCommand } from '../../main/cli/tls';
import { installFakeTailscale } from '../fixtures/fake-tailscale';
import type { Results } from '../../preload/contract';
import { byName, call, startHarness, tempDir } from '../helpers';

const NAME = 'gpu.tail1234.ts.net';
const DAY = 86_400_000;

describe("Tailscale's certificate", async () => {
  // Stands in for Let's Encrypt, which issues Tailscale's certificates: the only CA clients trust here.
  const publicCa = await createCa('Test public CA');
  const leaf = await issueLeaf(publicCa, { dns: [NAME], ips: [] });
  const dir = tempDir();
  const fake = installFakeTailscale(dir, { state: 'running', name: NAME, ...leaf });
  const h = await startHarness({ tailscale: [fake.command], overrides: { host: '0.0.0.0', tlsMode: 'tailscale' } });
  const port = h.info.port;

  it('is served for the machine name, which Share lists first and without a CA step', async () => {
    assert.equal(h.info.tls?.source, 'tailscale');
    assert.equal(h.info.tls?.name, NAME);
    assert.equal(h.info.tls?.caFingerprint, undefined);
    assert.equal(h.info.urls[0], `https://${NAME}:${port}`);
    assert.ok(fake.calls().some((c) => c[0] === 'cert' && c.at(-1) === NAME), 'tailscale cert was asked for the name');
    const info = (await h.core.control.call('getShareInfo', {}, 'window')) as Results['getShareInfo'];
    assert.match(info.endpoints[0]!.label, /Tailscale/);
    assert.equal(info.caFingerprint, null);
    const bundle = (await h.core.control.call('shareBundle', { endpoint: `https://${NAME}:${port}`, token: h.token('ts-share') }, 'window')) as Results['shareBundle'];
    assert.ok(bundle.snippets.every((s) => !s.code.includes('gatehouse-ca.crt')), 'no snippet installs a CA');
  });

  it("lets a teammate's openai client chat by name, trusting only the public CA", async () => {
    const token = h.token('ts-teammate');
    const openai = new OpenAI({ baseURL: `https://${NAME}:${port}/v1`, apiKey: token, fetchOptions: { dispatcher: byName(publicCa.cert) } as never, maxRetries: 0 });
    const reply = await openai.chat.completions.create({ model: 'llama3.2', messages: [{ role: 'user', content: 'hi' }] });
    assert.ok(reply.choices[0]?.message.content);
  });

  it('answers invites under the Tailscale name, and the invite text carries no fingerprint to compare', async () => {
    const created = (await h.core.control.call('createInvite', { name: 'ts-bob', endpoint: `https://${NAME}:${port}`, policy: {} }, 'window')) as Results['createInvite'];
    assert.doesNotMatch(created.message, /fingerprint/);
    const id = created.invite.id;
    const res = await call(`https://127.0.0.1:${port}/invite/${id}/info`, { ca: publicCa.cert, headers: { host: `${NAME}:${port}` }, servername: NAME });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json<{ caFingerprint: string | null }>().caFingerprint, null);
  });
});

describe('when Tailscale cannot give a certificate', () => {
  for (const [state, why] of [['logged-out', /not connected.*log in/], ['https-off', /HTTPS certificates are turned off.*login\.tailscale\.com\/admin\/dns/]] as const) {
    it(`serves the local CA and says why (${state})`, async () => {
      const dir = tempDir();
      const fake = installFakeTailscale(dir, { state, name: NAME, cert: '', key: '' });
      const h = await startHarness({ tailscale: [fake.command], overrides: { tlsMode: 'tailscale' } });
      assert.equal(h.info.tls?.source, 'local-ca');
      assert.match(h.info.tls?.warning ?? '', why);
      assert.match(h.info.tls?.warning ?? '', /Serving the local certificate authority's instead/);
      assert.ok(h.info.tls?.caFingerprint, 'teammates can still trust the local CA');
      const overview = (await h.core.control.call('getOverview', {}, 'window')) as Results['getOverview'];
      assert.match(overview.tls?.warning ?? '', why);
    });
  }

  it('says Tailscale is not installed when there is no tailscale command', async () => {
    const h = await startHarness({ tailscale: [`${tempDir()}/no-tailscale-here`], overrides: { tlsMode: 'tailscale' } });
    assert.equal(h.info.tls?.source, 'local-ca');
    assert.match(h.info.tls?.warning ?? '', /not installed.*tailscale\.com\/download/);
  });
});

describe("renewing Tailscale's certificate", () => {
  it('asks tailscale for a new one when the one on disk nears expiry, and not when it is fresh', async () => {
    const publicCa = await createCa('Test public CA');
    const old = await issueLeaf(publicCa, { dns: [NAME], ips: [] }, Date.now() - 380 * DAY);
    const fresh = await issueLeaf(publicCa, { dns: [NAME], ips: [] });
    const dir = tempDir();
    const fake = installFakeTailscale(dir, { state: 'running', name: NAME, ...old });
    const dataDir = tempDir();
    const first = await startHarness({ dataDir, tailscale: [fake.command], overrides: { tlsMode: 'tailscale' } });
    await first.core.close();
    fake.set(fresh);
    const before = fake.calls().filter((c) => c[0] === 'cert').length;
    const second = await startHarness({ dataDir, tailscale: [fake.command], overrides: { tlsMode: 'tailscale' } });
    assert.equal(fake.calls().filter((c) => c[0] === 'cert').length, before + 1, 'the near-expiry certificate was renewed');
    assert.equal(second.info.tls?.source, 'tailscale');
    await second.core.close();
    const third = await startHarness({ dataDir, tailscale: [fake.command], overrides: { tlsMode: 'tailscale' } });
    assert.equal(fake.calls().filter((c) => c[0] === 'cert').length, before + 1, 'a fresh certificate is kept');
    assert.equal(third.info.tls?.leafFingerprint, second.info.tls?.leafFingerprint);
  });
});

describe('gatehouse tls use and tls status', () => {
  it('switches to Tailscale only when it can give a certificate, and says which certificate is served', async () => {
    const publicCa = await createCa('Test public CA');
    const leaf = await issueLeaf(publicCa, { dns: [NAME], ips: [] });
    const fake = installFakeTailscale(tempDir(), { state: 'https-off', name: NAME, ...leaf });
    const dataDir = tempDir();
    const out: string[] = [];
    const io = { out: (t: string) => out.push(t), err: (t: string) => out.push(t) };
    process.env.GATEHOUSE_TAILSCALE = fake.command;
    try {
      await assert.rejects(tlsCommand(['use', 'tailscale', '--data-dir', dataDir], io), /HTTPS certificates are turned off/);
      fake.set({ state: 'running' });
      assert.equal(await tlsCommand(['use', 'tailscale', '--data-dir', dataDir], io), 0);
      assert.match(out.at(-1)!, new RegExp(`https://${NAME.replace(/\./g, '\\.')}:<port>`));
      const h = await startHarness({ dataDir, tailscale: [fake.command] });
      assert.equal(h.info.tls?.source, 'tailscale');
      out.length = 0;
      await tlsCommand(['status', '--json', '--data-dir', dataDir], io);
      const status = JSON.parse(out.at(-1)!) as { mode: string; certificate: { names: string[]; validTo: string }; problem: string | null };
      assert.equal(status.mode, 'tailscale');
      assert.deepEqual(status.certificate.names, [NAME]);
      assert.ok(Date.parse(status.certificate.validTo) > Date.now() + 300 * DAY);
      assert.equal(status.problem, null);
      assert.equal(await tlsCommand(['use', 'local-ca', '--data-dir', dataDir], io), 0);
      out.length = 0;
      await tlsCommand(['status', '--data-dir', dataDir], io);
      assert.match(out.join('\n'), /Mode: +Gatehouse's own certificate authority/);
    } finally {
      delete process.env.GATEHOUSE_TAILSCALE;
    }
  });
});
