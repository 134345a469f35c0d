import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type PeerCertificate } from 'node:tls';
import { describe, it } from 'node:test';
import { createCore } from '../../main/core';
import { GatehouseError } from '../../main/errors';
import { silentLogger } from '../../main/log';
import { createCa, issueLeaf } from '../../main/tls/certificates';
import { TlsManager } from '../../main/tls/tls-manager';
import { DEFAULT_SETTINGS } from '../../main/config/settings';
import type { HostNames } from '../../main/tls/addresses';
import { bearer, call, eventually, startHarness, tempDir } from '../helpers';

/** The certificate a fresh TLS connection is served, verified against `ca`. */
function peerCertificate(port: number, ca: string, servername = 'localhost'): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, ca, servername }, () => {
      const cert = socket.getPeerCertificate();
      socket.end();
      resolve(cert);
    });
    socket.on('error', reject);
  });
}

describe('TLS with the local CA', async () => {
  let names: HostNames = { dns: ['localhost', 'workstation', 'workstation.local'], ips: ['127.0.0.1', '192.168.1.20', '::1'] };
  const h = await startHarness({ hostNames: () => names, tlsCheckIntervalMs: 100 });

  it('serves a leaf for every name and address, issued by a P-256 CA valid for ten years', async () => {
    const peer = await peerCertificate(h.info.port, h.ca!);
    for (const name of ['DNS:localhost', 'DNS:workstation', 'DNS:workstation.local', 'IP Address:127.0.0.1', 'IP Address:192.168.1.20']) {
      assert.ok(peer.subjectaltname?.includes(name), `${name} missing from ${peer.subjectaltname}`);
    }
    const leaf = new X509Certificate(peer.raw);
    const days = (Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)) / 86_400_000;
    assert.ok(days <= 397, `leaf valid for ${days} days`);
    const ca = new X509Certificate(h.ca!);
    assert.ok(ca.ca);
    assert.equal(ca.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
    const caDays = (Date.parse(ca.validTo) - Date.parse(ca.validFrom)) / 86_400_000;
    assert.ok(caDays >= 3649 && caDays <= 3651, `CA valid for ${caDays} days`);
    assert.equal(h.info.tls?.caFingerprint, ca.fingerprint256);
  });

  it('re-issues and hot-swaps the certificate when an address appears, without a restart', async () => {
    const token = h.token('during-swap');
    names = { ...names, ips: [...names.ips, '10.9.8.7'] };
    await eventually(async () => (await peerCertificate(h.info.port, h.ca!)).subjectaltname?.includes('IP Address:10.9.8.7') === true, 3000, 'the new certificate');
    assert.equal((await call(`${h.url}/api/version`, { ca: h.ca, headers: bearer(token) })).status, 200);
  });

  it('keeps the CA across restarts, so clients that trust it keep working', async () => {
    const again = await createCore({ dataDir: h.dataDir, log: silentLogger, overrides: { host: '127.0.0.1', port: 0 }, hostNames: () => names });
    try {
      const info = await again.listen();
      assert.equal(info.tls?.caFingerprint, h.info.tls?.caFingerprint);
    } finally {
      await again.close();
    }
  });
});

describe('the CA file', () => {
  it('is handed out ending in a newline, also when an older Gatehouse wrote it without one', async () => {
    const tlsDir = tempDir();
    const fresh = await new TlsManager({ tlsDir, settings: DEFAULT_SETTINGS }).ca();
    assert.ok(fresh.cert.endsWith('-----END CERTIFICATE-----\n'));
    writeFileSync(join(tlsDir, 'ca.crt'), fresh.cert.trimEnd());
    const legacy = await new TlsManager({ tlsDir, settings: DEFAULT_SETTINGS }).ca();
    assert.equal(legacy.cert, fresh.cert);
  });
});

describe('TLS with your own certificate', async () => {
  const dir = tempDir();
  const ca = await createCa('Company CA');
  const leaf = await issueLeaf(ca, { dns: ['localhost'], ips: ['127.0.0.1'] });
  writeFileSync(join(dir, 'own.crt'), leaf.cert);
  writeFileSync(join(dir, 'own.key'), leaf.key);
  const dataDir = tempDir();
  const seed = await createCore({ dataDir, log: silentLogger, tls: false, overrides: { host: '127.0.0.1', port: 0 } });
  seed.store.settings.set('tlsMode', 'custom');
  seed.store.settings.set('tlsCertFile', join(dir, 'own.crt'));
  seed.store.settings.set('tlsKeyFile', join(dir, 'own.key'));
  await seed.close();
  const h = await startHarness({ dataDir });

  it('serves the configured certificate instead of the local CA\'s', async () => {
    const peer = await peerCertificate(h.info.port, ca.cert);
    assert.equal(new X509Certificate(peer.raw).fingerprint256, new X509Certificate(leaf.cert).fingerprint256);
    assert.equal(h.info.tls?.source, 'custom');
    assert.equal(h.info.tls?.caFingerprint, undefined);
  });
});

describe('plain HTTP', () => {
  it('refuses to serve plain HTTP on a network address without --insecure', async () => {
    await assert.rejects(
      createCore({ dataDir: tempDir(), log: silentLogger, tls: false, overrides: { host: '0.0.0.0', port: 0 } }),
      (err: unknown) => err instanceof GatehouseError && err.code === 'INSECURE_BIND' && /--insecure/.test(err.describe()),
    );
  });

  it('serves plain HTTP on loopback with --no-tls', async () => {
    const h = await startHarness({ tls: false });
    const token = h.token();
    assert.equal((await call(`${h.url}/api/version`, { headers: bearer(token) })).status, 200);
    assert.equal(h.info.tls, null);
  });
});
