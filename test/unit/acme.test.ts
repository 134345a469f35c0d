import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { domainName, emailAddress } from '../../preload/certificate-rules';
import { AcmeRateLimited, explain, LETS_ENCRYPT, retryAfterAt, whenText, type AcmeIssuer } from '../../main/tls/acme';
import { AcmeCertificate, renewalAt } from '../../main/tls/acme-certificate';
import { createCa, issueLeaf } from '../../main/tls/certificates';

const request = { domain: 'gpu.example.com', email: 'me@example.com', directory: LETS_ENCRYPT };
const NOW = Date.parse('2026-12-02T10:00:00Z');

describe('explaining what an ACME authority said', () => {
  it('turns a rate limit into when Gatehouse tries again, from Retry-After seconds', () => {
    const err = explain(new Error('too many'), { problems: [{ status: 429, type: 'urn:ietf:params:acme:error:rateLimited', detail: 'too many certificates (5) already issued for this exact set of identifiers in the last 168h0m0s', retryAfter: '2400' }] }, request);
    assert.ok(err instanceof AcmeRateLimited);
    assert.equal(err.code, 'TLS_ACME_RATE_LIMITED');
    assert.match(err.message, /^Let's Encrypt limits how many certificates one name may get, and gpu\.example\.com has reached the limit: too many certificates \(5\)/);
    assert.match(err.fix ?? '', /tries again in 40 minutes; nothing else is needed \(https:\/\/letsencrypt\.org\/docs\/rate-limits\/\)/);
    assert.ok(Math.abs(err.retryAt! - (Date.now() + 2_400_000)) < 5000);
  });

  it('reads a Retry-After date, and words a far one as a UTC time', () => {
    const at = retryAfterAt('Thu, 03 Dec 2026 18:30:00 GMT', NOW)!;
    assert.equal(at, Date.parse('2026-12-03T18:30:00Z'));
    assert.equal(whenText(at, NOW), 'after 2026-12-03 18:30 UTC');
    assert.equal(whenText(NOW + 90_000, NOW), 'in 2 minutes');
    assert.equal(retryAfterAt('soon', NOW), undefined);
    assert.equal(retryAfterAt(undefined, NOW), undefined);
  });

  it('names the refused email address, the DNS record, and an unreachable authority', () => {
    const contact = explain(new Error('x'), { problems: [{ status: 400, type: 'urn:ietf:params:acme:error:invalidContact', detail: 'contact email has invalid domain' }] }, request);
    assert.match(contact.message, /refused the email address me@example\.com: contact email has invalid domain\./);
    const dns = explain(new Error('x'), { problems: [{ status: 403, type: 'urn:ietf:params:acme:error:unauthorized', detail: 'No TXT record found at _acme-challenge.gpu.example.com' }] }, request);
    assert.equal(dns.code, 'TLS_ACME_DNS');
    const offline = explain(new TypeError("Cannot read properties of undefined (reading 'config')"), { problems: [], network: 'ENOTFOUND' }, request);
    assert.match(offline.message, /Could not reach the certificate authority at https:\/\/acme-v02\.api\.letsencrypt\.org\/directory \(ENOTFOUND\)/);
    const other = explain(new Error('order is not ready'), { problems: [] }, { ...request, directory: 'https://acme.zerossl.com/v2/DV90' });
    assert.match(other.message, /^The certificate authority did not issue a certificate for gpu\.example\.com: order is not ready\./);
  });
});

describe('when an ACME certificate is renewed', () => {
  it('is two thirds into its life', async () => {
    const ca = await createCa('test', NOW);
    const { cert } = await issueLeaf(ca, { dns: ['gpu.example.com'], ips: [] }, NOW);
    const x = new X509Certificate(cert);
    const [from, to] = [Date.parse(x.validFrom), Date.parse(x.validTo)];
    assert.equal(renewalAt(cert), from + ((to - from) * 2) / 3);
  });

  it('waits out a rate limit before asking again', async () => {
    let asked = 0;
    const limitedUntil = Date.now() + 3 * 3600_000;
    // The authority's side: pebble cannot be made to rate-limit, so the issuer is a stand-in here.
    const issuer = {
      stored: () => undefined,
      issue: () => {
        asked++;
        return Promise.reject(new AcmeRateLimited('The limit is reached.', 'Gatehouse tries again later.', limitedUntil));
      },
    } as unknown as AcmeIssuer;
    let now = Date.now();
    const certificate = new AcmeCertificate(issuer, () => now);
    const settings = { acmeDomain: 'gpu.example.com', acmeEmail: 'me@example.com', acmeDns: 'cloudflare', acmeDirectory: LETS_ENCRYPT };
    const first = await certificate.load(settings, true);
    assert.equal(first.pair, undefined);
    assert.match(first.warning, /^Could not get a certificate for gpu\.example\.com from Let's Encrypt: The limit is reached\. Gatehouse tries again after 20\d\d-\d\d-\d\d \d\d:\d\d UTC\.$/);
    now += 2 * 3600_000;
    await certificate.load(settings, true);
    assert.equal(asked, 1, 'not before the limit lifts, though the usual hour has passed');
    now = limitedUntil + 1;
    await certificate.load(settings, true);
    assert.equal(asked, 2);
  });
});

describe('the names and addresses a certificate request may carry', () => {
  it('normalises a domain (case, a final dot) and refuses what is not one', () => {
    assert.equal(domainName('d').parse(' GPU.Example.COM. '), 'gpu.example.com');
    assert.equal(domainName('d').parse('a-b.c-d.example.co'), 'a-b.c-d.example.co');
    for (const bad of ['com', 'gpu.example.123', 'gpu_1.example.com', 'xn--.example', 'gpu.example.com:443', ' ', '']) assert.equal(domainName('d').safeParse(bad).success, false, bad);
  });

  it('takes an ordinary email address and nothing that could smuggle a header', () => {
    assert.equal(emailAddress('e').parse(' me+gpu@mail.example.com '), 'me+gpu@mail.example.com');
    for (const bad of ['me@example', 'me@ex ample.com', 'me@example.com,you@example.com', '<me@example.com>', 'me@example.com\r\nBcc: you@example.com']) assert.equal(emailAddress('e').safeParse(bad).success, false, JSON.stringify(bad));
  });
});
