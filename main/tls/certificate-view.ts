import { X509Certificate } from 'node:crypto';
import type { CertificateView } from '../../preload/views';
import { renewalAt } from './acme-certificate';

/** A certificate (the first of a chain) as Settings and `tls status` show it. */
export function certificateView(pem: string, renews: boolean): CertificateView {
  const cert = new X509Certificate(pem);
  const names = (cert.subjectAltName ?? '').split(', ').map((n) => n.replace(/^(DNS|IP Address):/, '')).filter(Boolean);
  const issuer = /(?:^|\n)O=([^\n]+)/.exec(cert.issuer)?.[1] ?? /(?:^|\n)CN=([^\n]+)/.exec(cert.issuer)?.[1] ?? cert.issuer;
  return {
    names,
    issuer,
    validFrom: new Date(cert.validFrom).toISOString(),
    validTo: new Date(cert.validTo).toISOString(),
    renewsAt: renews ? new Date(renewalAt(pem)).toISOString() : null,
    fingerprint: cert.fingerprint256,
  };
}
