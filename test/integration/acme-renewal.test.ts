import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { after, describe, it } from 'node:test';
import type { Results } from '../../preload/contract';
import { AcmeIssuer, type AcmeIssuerOptions } from '../../main/tls/acme';
import { RETRY_AFTER_FAILURE_MS } from '../../main/tls/acme-certificate';
import { TlsManager } from '../../main/tls/tls-manager';
import { startPebble } from '../fixtures/pebble';
import { call, commandsMissing, eventually, startHarness, tempDir } from '../helpers';

const DOMAIN = 'gpu.example.test';
const EMAIL = 'owner@example.test';

describe('renewing the ACME certificate', { skip: commandsMissing('pebble') }, async () => {
  const pebble = await startPebble();
  after(() => pebble.close());
  // The DNS the certificates are proved with; `broken` makes it publish a value the authority refuses.
  let broken = false;
  const providers = { testdns: (token: string) => (broken ? pebble.providers.wrongdns! : pebble.providers.testdns!)(token) };
  const issuerOptions = (tlsDir: string): AcmeIssuerOptions => ({ tlsDir, trust: pebble.trust, providers, recordVisible: () => Promise.resolve(true), propagationMs: 2000 });
  const orders = () => pebble.log.filter((l) => l.startsWith('set')).length;

  /** A data folder holding a fresh certificate for DOMAIN, and a manager over it whose clock the test sets. */
  async function issued(breakAfter = false) {
    broken = false;
    const tlsDir = tempDir();
    const issuer = new AcmeIssuer(issuerOptions(tlsDir));
    const { cert } = await issuer.issue({ domain: DOMAIN, email: EMAIL, dns: 'testdns', dnsToken: 'token', directory: pebble.directory });
    const x = new X509Certificate(cert);
    const from = Date.parse(x.validFrom);
    const life = Date.parse(x.validTo) - from;
    let now = Date.now();
    broken = breakAfter;
    const settings = { tlsMode: 'acme' as const, tlsCertFile: '', tlsKeyFile: '', acmeDomain: DOMAIN, acmeEmail: EMAIL, acmeDns: 'testdns', acmeDirectory: pebble.directory };
    const make = () => new TlsManager({ tlsDir, settings, acme: issuer, clock: () => now, hostNames: () => ({ dns: ['localhost'], ips: ['127.0.0.1'] }) });
    return { manager: make(), make, at: (fraction: number) => (now = from + life * fraction), set: (t: number) => (now = t), now: () => now, cert, validTo: x.validTo };
  }

  it('keeps the certificate until two thirds of its life, then renews it in the background without holding up the start', async () => {
    const { manager, make, at, set, cert } = await issued();
    const before = orders();
    at(0.6);
    const served = await manager.current();
    assert.equal(served.source, 'acme');
    assert.equal(served.cert, cert);
    assert.equal(await manager.check(), undefined);
    assert.equal(orders(), before, 'no order before two thirds');

    at(0.7);
    const fresh = make();
    const startedWith = await fresh.current();
    assert.equal(startedWith.cert, cert, 'the start serves the current certificate at once');
    const renewed = await fresh.check();
    assert.ok(renewed, 'the renewal produced a new certificate');
    assert.equal(renewed.source, 'acme');
    assert.notEqual(renewed.leafFingerprint, startedWith.leafFingerprint);
    assert.equal(renewed.warning, undefined);
    assert.equal(orders(), before + 1, 'exactly one new order');
    set(Date.now());
    assert.equal(await fresh.check(), undefined, 'the new certificate is kept');
    assert.equal(orders(), before + 1);
  });

  it('keeps serving a certificate it cannot renew, says so, and asks again only an hour later', async () => {
    const { manager, at, set, now } = await issued(true);
    at(0.7);
    await manager.current();
    const warned = await manager.check();
    assert.equal(warned?.source, 'acme', 'the valid certificate stays in use');
    assert.match(warned?.warning ?? '', new RegExp(`Could not renew the certificate for ${DOMAIN.replace(/\./g, '\\.')}: .*Correct value not found.*It stays in use until 20\\d\\d-\\d\\d-\\d\\d; Gatehouse tries again in 60 minutes\\.`));
    const tried = orders();
    assert.equal(await manager.check(), undefined, 'nothing new');
    assert.equal(orders(), tried, 'no second order within the hour');
    set(now() + RETRY_AFTER_FAILURE_MS + 1000);
    await manager.check();
    assert.equal(orders(), tried + 1, 'asked again after the hour');
  });

  it('falls back to the local CA, with the reason, once the certificate has expired and cannot be renewed', async () => {
    const { manager, at } = await issued(true);
    at(1.01);
    const started = await manager.current();
    assert.equal(started.source, 'local-ca');
    assert.match(started.warning ?? '', /Getting a certificate for gpu\.example\.test.*Meanwhile the local certificate authority's is served/);
    const after = await manager.check();
    assert.equal(after?.source, 'local-ca');
    assert.ok(after?.caFingerprint, 'teammates can still trust the local CA');
    assert.match(after?.warning ?? '', /Could not get a certificate for gpu\.example\.test from the ACME authority: .*Gatehouse tries again in 60 minutes\. Meanwhile the local certificate authority's is served\./);
  });
});

describe('a running Gatehouse that gets its ACME certificate in the background', { skip: commandsMissing('pebble') }, async () => {
  const pebble = await startPebble();
  after(() => pebble.close());

  it('starts on the local CA, then swaps the new certificate in live and tells the window', async () => {
    const dataDir = tempDir();
    const acme = { trust: pebble.trust, providers: pebble.providers, recordVisible: () => Promise.resolve(true), propagationMs: 2000 };
    // A token kept from an earlier certificate (for another name), as after `tls use acme`.
    await new AcmeIssuer({ tlsDir: `${dataDir}/tls`, ...acme }).issue({ domain: 'old.example.test', email: EMAIL, dns: 'testdns', dnsToken: 'token', directory: pebble.directory });
    const overrides = { tlsMode: 'acme' as const, acmeDomain: DOMAIN, acmeEmail: EMAIL, acmeDns: 'testdns', acmeDirectory: pebble.directory };
    const h = await startHarness({ dataDir, acme, overrides, tlsCheckIntervalMs: 100 });
    assert.equal(h.info.tls?.source, 'local-ca');
    assert.match(h.info.tls?.warning ?? '', /Getting a certificate for gpu\.example\.test/);
    const events: string[] = [];
    h.core.control.on('changed', ({ what }) => events.push(what));
    await eventually(async () => ((await h.core.control.call('getOverview', {}, 'window')) as Results['getOverview']).tls?.source === 'acme', 10_000, 'the ACME certificate in service');
    const overview = (await h.core.control.call('getOverview', {}, 'window')) as Results['getOverview'];
    assert.equal(overview.tls?.warning, undefined, 'the warning is gone');
    assert.ok(events.includes('certificate'));
    // The same listener now answers by name with the publicly trusted certificate.
    const root = await pebble.root();
    const res = await call(`https://127.0.0.1:${h.info.port}/api/version`, { ca: root, servername: DOMAIN, headers: { host: `${DOMAIN}:${h.info.port}`, authorization: `Bearer ${h.token('live')}` } });
    assert.equal(res.status, 200, res.text);
    const share = (await h.core.control.call('getShareInfo', {}, 'window')) as Results['getShareInfo'];
    assert.equal(share.caFingerprint, null, 'Share drops the CA step');
  });
});
