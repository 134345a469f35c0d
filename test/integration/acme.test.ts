import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import OpenAI from 'openai';
import type { Results } from '../../preload/contract';
import { tlsCommand } from '../../main/cli/tls';
import { startPebble } from '../fixtures/pebble';
import { byName, call, commandsMissing, startHarness, tempDir } from '../helpers';

const DOMAIN = 'gpu.example.test';
const EMAIL = 'owner@example.test';
const DNS_TOKEN = 'cf-Token_1234567890';
const vault = { describe: 'test vault', seal: (p: string) => Buffer.from(`v:${Buffer.from(p).toString('hex')}`), open: (b: Buffer) => Buffer.from(b.toString().slice(2), 'hex').toString() };

describe("a certificate from an ACME authority (Let's Encrypt), proved by DNS", { skip: commandsMissing('pebble') }, async () => {
  const pebble = await startPebble();
  after(() => pebble.close());
  const acme = { trust: pebble.trust, providers: pebble.providers, recordVisible: (fqdn: string, value: string) => pebble.recordVisible(fqdn, value), propagationMs: 5000 };
  const dataDir = tempDir();
  const first = await startHarness({ dataDir, acme, vault });
  const useAcme = (args: Record<string, unknown>, actor: 'window' | 'remote-admin' = 'window') =>
    first.core.control.call('useAcme', { domain: DOMAIN, email: EMAIL, dns: 'testdns', dnsToken: DNS_TOKEN, directory: pebble.directory, ...args }, actor) as Promise<Results['useAcme']>;

  it('is issued through the DNS provider, which removes its record again, and served at once by name', async () => {
    const got = await useAcme({});
    assert.deepEqual(got.certificate.names, [DOMAIN]);
    assert.match(got.message, new RegExp(`Gatehouse serves it now: teammates use https://${DOMAIN.replace(/\./g, '\\.')}:${first.info.port} with nothing to install`));
    const root = await pebble.root();
    const live = await call(`https://127.0.0.1:${first.info.port}/api/version`, { ca: root, servername: DOMAIN, headers: { host: `${DOMAIN}:${first.info.port}`, authorization: `Bearer ${first.token('live-switch')}` } });
    assert.equal(live.status, 200, 'the running gateway serves the new certificate without a restart');
    const share = (await first.core.control.call('getShareInfo', {}, 'window')) as Results['getShareInfo'];
    assert.equal(share.endpoints[0]?.url, `https://${DOMAIN}:${first.info.port}`, 'Share offers the name first');
    assert.equal(share.caFingerprint, null);
    assert.deepEqual(pebble.log, [`set _acme-challenge.${DOMAIN}`, `clear _acme-challenge.${DOMAIN}`]);
    // Renewal at two thirds of a 90-day life: day 60.
    const life = Date.parse(got.certificate.validTo) - Date.parse(got.certificate.validFrom);
    assert.equal(Date.parse(got.certificate.renewsAt!) - Date.parse(got.certificate.validFrom), Math.round((life * 2) / 3));
    const settings = first.core.settings();
    assert.deepEqual([settings.tlsMode, settings.acmeDomain, settings.acmeEmail, settings.acmeDns, settings.acmeDirectory], ['acme', DOMAIN, EMAIL, 'testdns', pebble.directory]);
  });

  it('keeps the DNS token and the keys sealed, and never writes the token in the audit log', () => {
    const tlsDir = join(dataDir, 'tls');
    for (const file of ['acme-dns.token', 'acme-account.key', 'acme.key']) {
      const stored = readFileSync(join(tlsDir, file), 'utf8');
      assert.match(stored, /^gatehouse-sealed:v1\n/, `${file} is sealed`);
    }
    assert.ok(!readFileSync(join(tlsDir, 'acme-dns.token'), 'utf8').includes(DNS_TOKEN));
    const audit = first.core.store.metering.auditSince(0);
    assert.ok(audit.some((a) => a.action === 'tls.acme' && a.target === DOMAIN), 'the switch is audited');
    assert.ok(audit.every((a) => !(a.detail ?? '').includes(DNS_TOKEN)), 'no audit row holds the token');
  });

  it('is served by name after the restart: Share lists the domain first, and nothing asks teammates to install a CA', async () => {
    await first.core.close();
    const h = await startHarness({ dataDir, acme, vault });
    const port = h.info.port;
    assert.equal(h.info.tls?.source, 'acme');
    assert.equal(h.info.tls?.name, DOMAIN);
    assert.equal(h.info.tls?.caFingerprint, undefined);
    assert.equal(h.info.tls?.warning, undefined);
    assert.equal(h.info.urls[0], `https://${DOMAIN}:${port}`);
    const share = (await h.core.control.call('getShareInfo', {}, 'window')) as Results['getShareInfo'];
    assert.match(share.endpoints[0]!.label, /your domain: trusted everywhere, nothing to install/);
    assert.equal(share.caFingerprint, null);
    const bundle = (await h.core.control.call('shareBundle', { endpoint: `https://${DOMAIN}:${port}`, token: h.token('acme-share') }, 'window')) as Results['shareBundle'];
    assert.ok(bundle.snippets.every((s) => !s.code.includes('gatehouse-ca.crt')), 'no snippet installs a CA');
    const invite = (await h.core.control.call('createInvite', { name: 'acme-bob', endpoint: `https://${DOMAIN}:${port}`, policy: {} }, 'window')) as Results['createInvite'];
    assert.doesNotMatch(invite.message, /fingerprint/);
    const root = await pebble.root();
    const info = await call(`https://127.0.0.1:${port}/invite/${invite.invite.id}/info`, { ca: root, headers: { host: `${DOMAIN}:${port}` }, servername: DOMAIN });
    assert.equal(info.status, 200, info.text);

    // A teammate's openai client, trusting only the authority's root, chats by name.
    const openai = new OpenAI({ baseURL: `https://${DOMAIN}:${port}/v1`, apiKey: h.token('acme-teammate'), fetchOptions: { dispatcher: byName(root) } as never, maxRetries: 0 });
    const reply = await openai.chat.completions.create({ model: 'llama3.2', messages: [{ role: 'user', content: 'hi' }] });
    assert.ok(reply.choices[0]?.message.content);
    // Not by an address the certificate does not name.
    await assert.rejects(call(`https://127.0.0.1:${port}/api/version`, { ca: root }), /altnames|IP: 127\.0\.0\.1/i);

    const status = (await h.core.control.call('getTlsStatus', {}, 'window')) as Results['getTlsStatus'];
    assert.equal(status.serving?.source, 'acme');
    assert.deepEqual(status.serving?.certificate.names, [DOMAIN]);
    assert.match(status.serving?.certificate.issuer ?? '', /Pebble/);
    assert.deepEqual({ ...status.acme, providers: undefined }, { domain: DOMAIN, email: EMAIL, dns: 'testdns', directory: pebble.directory, hasToken: true, providers: undefined });
  });

  it('says which certificate is served with gatehouse tls status, from the files or from the running Gatehouse', async () => {
    const out: string[] = [];
    const io = { out: (t: string) => out.push(t), err: (t: string) => out.push(t) };
    const check = async () => {
      out.length = 0;
      await tlsCommand(['status', '--data-dir', dataDir], io);
      const text = out.join('\n');
      assert.match(text, /Mode: +an ACME certificate/);
      assert.match(text, new RegExp(`Names: +${DOMAIN.replace(/\./g, '\\.')}`));
      assert.match(text, /Renews: +20\d\d-/);
      assert.doesNotMatch(text, /Problem/);
      return text;
    };
    assert.doesNotMatch(await check(), /through the running Gatehouse/);
    // With no Gatehouse running, the CLI cannot open what the tray app's keystore sealed, and says so.
    await assert.rejects(tlsCommand(['use', 'acme', '--domain', 'other.example.test', '--email', EMAIL, '--dns', 'cloudflare', '--data-dir', dataDir], io), /encrypted with the desktop app's OS keystore/);
    const h = await startHarness({ dataDir, acme, vault });
    assert.match(await check(), /through the running Gatehouse/);
    out.length = 0;
    const orders = pebble.log.length;
    await tlsCommand(['fingerprint', '--data-dir', dataDir], io);
    assert.ok(out.includes(`Server  SHA-256 ${h.info.tls!.leafFingerprint}`), out.join('\n'));
    assert.equal(pebble.log.length, orders, 'reading the fingerprint orders nothing');
  });

  it('is got with gatehouse tls use acme, through the running Gatehouse, which keeps the token', async () => {
    const h = await startHarness({ dataDir, acme, vault });
    const out: string[] = [];
    const io = { out: (t: string) => out.push(t), err: (t: string) => out.push(t) };
    await assert.rejects(tlsCommand(['use', 'acme', '--domain', 'cli.example.test', '--data-dir', dataDir], io), /Say --email, --dns/);
    // The kept token belongs to its provider: another provider never gets it.
    await assert.rejects(tlsCommand(['use', 'acme', '--domain', 'cli.example.test', '--email', EMAIL, '--dns', 'wrongdns', '--directory', pebble.directory, '--data-dir', dataDir], io), /There is no wrongdns API token yet/);
    // No --dns-token: the one kept from the first certificate is used.
    const code = await tlsCommand(['use', 'acme', '--domain', 'CLI.example.test', '--email', EMAIL, '--dns', 'testdns', '--directory', pebble.directory, '--data-dir', dataDir], io);
    assert.equal(code, 0, out.join('\n'));
    const text = out.join('\n');
    assert.match(text, /through the running Gatehouse/);
    assert.match(text, /issued a certificate for cli\.example\.test, and Gatehouse serves it now: teammates use https:\/\/cli\.example\.test:\d+ /);
    assert.match(text, /Valid until 20\d\d-.*renews it from 20\d\d-/);
    assert.equal(h.core.settings().acmeDomain, 'cli.example.test');
    const audit = h.core.store.metering.auditSince(0).filter((a) => a.action === 'tls.acme').at(-1);
    assert.equal(audit?.actor, 'cli');
  });
});

describe('when the authority cannot confirm the DNS record', { skip: commandsMissing('pebble') }, async () => {
  const pebble = await startPebble();
  after(() => pebble.close());

  it('says so plainly, keeps the local CA and changes no setting', async () => {
    // The record looks right from here but not to the authority (say, a split-horizon DNS).
    const h = await startHarness({ acme: { trust: pebble.trust, providers: pebble.providers, recordVisible: () => Promise.resolve(true), propagationMs: 2000 } });
    const args = { domain: 'lab.example.test', email: EMAIL, dns: 'wrongdns', dnsToken: DNS_TOKEN, directory: pebble.directory };
    await assert.rejects(h.core.control.call('useAcme', args, 'window'), (err: Error & { code?: string; fix?: string }) => {
      assert.equal(err.code, 'TLS_ACME_DNS');
      assert.match(err.message, /could not confirm the DNS record for lab\.example\.test: .*Correct value not found/);
      assert.match(err.fix ?? '', /DNS token may edit/);
      return true;
    });
    assert.equal(h.core.settings().tlsMode, 'local-ca');
    assert.equal(h.core.settings().acmeDomain, '');
    assert.ok(!existsSync(join(h.dataDir, 'tls', 'acme.crt')));
    assert.ok(pebble.log.includes('clear _acme-challenge.lab.example.test'), 'the record is removed even when the order fails');
  });

  it('gives up on a record that never shows in DNS, naming it', async () => {
    const h = await startHarness({ acme: { trust: pebble.trust, providers: pebble.providers, recordVisible: (fqdn: string, value: string) => pebble.recordVisible(fqdn, value), propagationMs: 1500 } });
    const args = { domain: 'slow.example.test', email: EMAIL, dns: 'wrongdns', dnsToken: DNS_TOKEN, directory: pebble.directory };
    await assert.rejects(h.core.control.call('useAcme', args, 'window'), /_acme-challenge\.slow\.example\.test was published but did not show in DNS within 2 s/);
    assert.equal(h.core.settings().tlsMode, 'local-ca');
  });

  it('explains an authority it cannot reach', async () => {
    const h = await startHarness({ acme: { trust: pebble.trust, providers: pebble.providers } });
    const args = { domain: 'gpu.example.test', email: EMAIL, dns: 'testdns', dnsToken: DNS_TOKEN, directory: 'https://127.0.0.1:9/dir' };
    await assert.rejects(h.core.control.call('useAcme', args, 'window'), /Could not reach the certificate authority at https:\/\/127\.0\.0\.1:9\/dir \(ECONNREFUSED\)/);
  });
});
