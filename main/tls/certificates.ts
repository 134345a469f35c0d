import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { generate } from 'selfsigned';
import type { HostNames } from './addresses';

export interface CertificatePair {
  cert: string;
  key: string;
}

const DAY = 86_400_000;
export const CA_LIFETIME_DAYS = 3650;
/** Browsers and Apple platforms refuse server certificates valid for longer than 398 days. */
export const LEAF_LIFETIME_DAYS = 397;
/** Allow for clocks that run a little behind on the client. */
const BACKDATE_MS = 3_600_000;

/** PEM text as a file holds it: ending in one newline, which some tools (and `cat a b`) need. */
export const pemFile = (pem: string) => `${pem.trimEnd()}\n`;

/** A local certificate authority: EC P-256, ten years, allowed to sign server certificates only. */
export async function createCa(commonName: string, now = Date.now()): Promise<CertificatePair> {
  const notBefore = new Date(now - BACKDATE_MS);
  const pems = await generate(
    [
      { name: 'commonName', value: commonName },
      { name: 'organizationName', value: 'Gatehouse' },
    ],
    {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      notBeforeDate: notBefore,
      notAfterDate: new Date(notBefore.getTime() + CA_LIFETIME_DAYS * DAY),
      extensions: [
        { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
      ],
    },
  );
  return { cert: pemFile(pems.cert), key: pemFile(pems.private) };
}

/** A server certificate for every name in `names`, signed by the local CA. */
export async function issueLeaf(ca: CertificatePair, names: HostNames, now = Date.now()): Promise<CertificatePair> {
  const notBefore = new Date(now - BACKDATE_MS);
  const pems = await generate([{ name: 'commonName', value: names.dns.find((d) => d !== 'localhost') ?? 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: notBefore,
    notAfterDate: new Date(notBefore.getTime() + LEAF_LIFETIME_DAYS * DAY),
    ca,
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          ...names.dns.map((value) => ({ type: 2 as const, value })),
          ...names.ips.map((ip) => ({ type: 7 as const, ip })),
        ],
      },
    ],
  });
  return { cert: pemFile(pems.cert), key: pemFile(pems.private) };
}

/** SHA-256 fingerprint as people compare it: upper-case hex pairs joined by colons. */
export function fingerprint(certPem: string): string {
  return new X509Certificate(certPem).fingerprint256;
}

/** Whether a certificate names every host name and IP in `names` and is valid for `marginMs` more. */
export function leafCovers(certPem: string, names: HostNames, now: number, marginMs: number): boolean {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch {
    return false; // unreadable: as good as missing
  }
  if (Date.parse(cert.validTo) - now < marginMs || Date.parse(cert.validFrom) > now) return false;
  const san = cert.subjectAltName ?? '';
  const entries = new Set(san.split(', '));
  return (
    names.dns.every((d) => entries.has(`DNS:${d}`)) &&
    names.ips.every((ip) => entries.has(`IP Address:${normaliseIp(ip)}`))
  );
}

/** Why a certificate and key cannot be served together, or null when they can. */
export function pairProblem(certPem: string, keyPem: string): string | null {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch {
    return 'the certificate is not a readable PEM certificate';
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch {
    return 'the key is not a readable PEM private key';
  }
  return cert.checkPrivateKey(key) ? null : 'the key does not belong to the certificate';
}

export function issuedBy(leafPem: string, caPem: string): boolean {
  try {
    const leaf = new X509Certificate(leafPem);
    const ca = new X509Certificate(caPem);
    return leaf.checkIssued(ca) && leaf.verify(ca.publicKey);
  } catch {
    return false;
  }
}

/** Node prints IPv6 SAN entries in full upper-case form; compare like with like. */
function normaliseIp(ip: string): string {
  if (!ip.includes(':')) return ip;
  const [head = '', tail = ''] = ip.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return groups.map((g) => g.toUpperCase().replace(/^0+(?=.)/, '')).join(':');
}
