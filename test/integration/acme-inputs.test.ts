import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { cloudflare } from '../../main/tls/acme-dns';
import { startHarness } from '../helpers';

const good = { domain: 'gpu.example.com', email: 'owner@example.com', dns: 'cloudflare', dnsToken: 'cf-token' };

describe('useAcme refuses hostile and malformed requests before anything is sent or stored', async () => {
  const h = await startHarness();
  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['an IP address', { domain: '127.0.0.1' }, /domain name/],
    ['a bare name', { domain: 'localhost' }, /domain name/],
    ['a path', { domain: 'gpu.example.com/evil' }, /domain name/],
    ['an empty label', { domain: 'gpu..example.com' }, /domain name/],
    ['a leading hyphen', { domain: '-gpu.example.com' }, /domain name/],
    ['a non-ASCII name', { domain: 'gpü.example.com' }, /domain name/],
    ['a wildcard', { domain: '*.example.com' }, /domain name/],
    ['a header injection', { domain: 'gpu.example.com\r\nHost: evil' }, /domain name/],
    ['a label over 63 characters', { domain: `${'a'.repeat(64)}.example.com` }, /domain name/],
    ['a name over 253 characters', { domain: `${'a.'.repeat(130)}com` }, /too long/],
    ['a number', { domain: 42 }, /domain name/],
    ['no @', { email: 'owner' }, /email address/],
    ['two @', { email: 'a@b.example@c.example' }, /email address/],
    ['an undotted mail domain', { email: 'owner@localhost' }, /email address/],
    ['a line break in the address', { email: 'owner@example.com\nBcc: x@y.z' }, /email address/],
    ['a provider name with a path', { dns: '../etc' }, /DNS provider/],
    ['an upper-case provider', { dns: 'Cloudflare' }, /DNS provider/],
    ['a provider Gatehouse does not know', { dns: 'route53' }, /cannot set DNS records at "route53".*cloudflare/s],
    ['a token with a space', { dnsToken: 'two words' }, /without spaces/],
    ['a token with a line break', { dnsToken: 'tok\r\nX-Evil: 1' }, /without spaces/],
    ['an empty token', { dnsToken: '' }, /empty/],
    ['an oversized token', { dnsToken: 'x'.repeat(5000) }, /too long/],
    ['a plain-http authority', { directory: 'http://acme.example.com/dir' }, /https:\/\//],
    ['a file URL', { directory: 'file:///etc/passwd' }, /https:\/\//],
    ['not a URL', { directory: 'acme please' }, /https:\/\//],
    ['an unknown key', { force: true }, /force|Unrecognized/i],
  ];

  for (const [what, change, why] of cases) {
    it(`refuses ${what}`, async () => {
      await assert.rejects(h.core.control.call('useAcme', { ...good, ...change }, 'window'), (err: Error & { status?: number; fix?: string }) => {
        assert.equal(err.status, 400, err.message);
        assert.match(`${err.message} ${err.fix ?? ''}`, why);
        return true;
      });
    });
  }

  it('changed nothing: no setting, no file, no audit row', () => {
    assert.equal(h.core.settings().tlsMode, 'local-ca');
    assert.equal(h.core.settings().acmeDomain, '');
    assert.deepEqual(readdirSync(join(h.dataDir, 'tls')).filter((f) => f.startsWith('acme')), []);
    assert.ok(h.core.store.metering.auditSince(0).every((a) => a.action !== 'tls.acme'));
  });

  it('will not switch to ACME before there is a certificate, nor take the ACME settings as plain settings', async () => {
    await assert.rejects(h.core.control.call('updateSettings', { changes: { tlsMode: 'acme' } }, 'window'), (err: Error & { fix?: string }) => {
      assert.match(err.message, /no ACME certificate to switch to yet/);
      assert.match(err.fix ?? '', /gatehouse tls use acme --domain/);
      return true;
    });
    for (const key of ['acmeDomain', 'acmeEmail', 'acmeDns', 'acmeDirectory']) {
      await assert.rejects(h.core.control.call('updateSettings', { changes: { [key]: 'x' } }, 'window'), /is not a setting that can be changed here/);
    }
    assert.equal(h.core.settings().tlsMode, 'local-ca');
  });
});

/** Cloudflare's API as far as the provider uses it: zones by name, TXT records created and deleted. */
async function fakeCloudflare(token: string, zones: Array<{ id: string; name: string }>) {
  const seen: Array<{ method: string; url: string; auth: string; body: unknown }> = [];
  const read = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return chunks.length ? (JSON.parse(Buffer.concat(chunks).toString()) as unknown) : undefined;
  };
  const server = createServer((req, res) => {
    void read(req).then((body) => {
      seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization ?? '', body });
      const send = (status: number, answer: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      if (req.headers.authorization !== `Bearer ${token}`) return send(403, { success: false, errors: [{ code: 10000, message: 'Authentication error' }] });
      const url = new URL(req.url!, 'http://x');
      if (req.method === 'GET' && url.pathname === '/zones') return send(200, { success: true, result: zones.filter((z) => z.name === url.searchParams.get('name')) });
      if (req.method === 'POST' && /^\/zones\/[^/]+\/dns_records$/.test(url.pathname)) return send(200, { success: true, result: { id: 'rec-1' } });
      if (req.method === 'DELETE' && /^\/zones\/[^/]+\/dns_records\/rec-1$/.test(url.pathname)) return send(200, { success: true, result: { id: 'rec-1' } });
      return send(404, { success: false, errors: [{ code: 7003, message: 'Could not route' }] });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(() => new Promise((resolve) => server.close(resolve)));
  return { api: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

describe('the Cloudflare DNS provider', () => {
  it('finds the zone that holds the name, publishes the TXT record with the token, and deletes it again', async () => {
    const cf = await fakeCloudflare('good-token', [{ id: 'zone-9', name: 'example.com' }]);
    const remove = await cloudflare('good-token', cf.api).publish('_acme-challenge.gpu.example.com', 'digest-value');
    await remove();
    assert.deepEqual(
      cf.seen.map((r) => `${r.method} ${r.url}`),
      ['GET /zones?name=gpu.example.com&status=active', 'GET /zones?name=example.com&status=active', 'POST /zones/zone-9/dns_records', 'DELETE /zones/zone-9/dns_records/rec-1'],
    );
    assert.ok(cf.seen.every((r) => r.auth === 'Bearer good-token'));
    assert.deepEqual({ ...(cf.seen[2]!.body as object), comment: undefined }, { type: 'TXT', name: '_acme-challenge.gpu.example.com', content: 'digest-value', ttl: 60, comment: undefined });
  });

  it('says the token was refused and where to make a right one', async () => {
    const cf = await fakeCloudflare('good-token', [{ id: 'zone-9', name: 'example.com' }]);
    await assert.rejects(cloudflare('wrong-token', cf.api).publish('_acme-challenge.gpu.example.com', 'v'), (err: Error & { fix?: string; code?: string }) => {
      assert.equal(err.code, 'TLS_ACME_DNS');
      assert.match(err.message, /Cloudflare refused the DNS token/);
      assert.match(err.fix ?? '', /Zone → DNS → Edit.*dash\.cloudflare\.com/);
      return true;
    });
  });

  it('says when no zone the token can see holds the domain', async () => {
    const cf = await fakeCloudflare('good-token', [{ id: 'zone-1', name: 'other.org' }]);
    await assert.rejects(cloudflare('good-token', cf.api).publish('_acme-challenge.gpu.example.com', 'v'), /None of the Cloudflare zones this token can see holds gpu\.example\.com/);
  });

  it('says when Cloudflare cannot be reached', async () => {
    await assert.rejects(cloudflare('t', 'http://127.0.0.1:9').publish('_acme-challenge.gpu.example.com', 'v'), /Could not reach Cloudflare's API/);
  });
});
