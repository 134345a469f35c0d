import { X509Certificate } from 'node:crypto';
import type { Settings } from '../config/settings';
import { describeError } from '../errors';
import { AcmeRateLimited, LETS_ENCRYPT, whenText, type AcmeIssuer } from './acme';
import { leafCovers, pairProblem, type CertificatePair } from './certificates';

export type AcmeSettings = Pick<Settings, 'acmeDomain' | 'acmeEmail' | 'acmeDns' | 'acmeDirectory'>;

/** After a failed attempt, the authority is asked again this much later (Let's Encrypt allows 5 failures an hour). */
export const RETRY_AFTER_FAILURE_MS = 60 * 60_000;

/** A certificate is renewed once two thirds of its lifetime have passed (day 60 of Let's Encrypt's 90). */
export function renewalAt(certPem: string): number {
  const cert = new X509Certificate(certPem);
  const from = Date.parse(cert.validFrom);
  return from + ((Date.parse(cert.validTo) - from) * 2) / 3;
}

export type AcmeServe = { pair: CertificatePair; warning?: string } | { pair?: undefined; warning: string };

/**
 * Keeps the ACME certificate fresh without ever holding up the gateway: a renewal runs in the
 * background while the current certificate is served, and a failure is said (never a silent
 * downgrade) and retried an hour later, or when a rate limit says.
 */
export class AcmeCertificate {
  private renewal: Promise<void> | undefined;
  private retryAt = 0;
  private failure: string | undefined;

  constructor(
    private readonly issuer: AcmeIssuer,
    private readonly clock: () => number,
  ) {}

  /** What to serve now. `wait` (the background check) waits for a renewal that falls due; startup does not. */
  async load(settings: AcmeSettings, wait: boolean): Promise<AcmeServe> {
    const domain = settings.acmeDomain;
    if (!domain) return { warning: 'The certificate is set to come from an ACME authority, but no domain is set. Run gatehouse tls use acme --domain … (or pick the certificate in Settings).' };
    let current = this.usable(domain);
    if (!current || this.clock() >= renewalAt(current.cert)) {
      this.renew(settings);
      if (wait && this.renewal) {
        await this.renewal;
        current = this.usable(domain);
      }
    }
    const authority = settings.acmeDirectory === LETS_ENCRYPT ? "Let's Encrypt" : 'the ACME authority';
    const again = whenText(this.retryAt, this.clock());
    if (current) {
      if (!this.failure || this.clock() < renewalAt(current.cert)) return { pair: current };
      const until = new Date(new X509Certificate(current.cert).validTo).toISOString().slice(0, 10);
      return { pair: current, warning: `Could not renew the certificate for ${domain}: ${this.failure} It stays in use until ${until}; Gatehouse tries again ${again}.` };
    }
    if (this.failure) return { warning: `Could not get a certificate for ${domain} from ${authority}: ${this.failure} Gatehouse tries again ${again}.` };
    return { warning: `Getting a certificate for ${domain} from ${authority}; it is served as soon as it arrives.` };
  }

  /** The certificate on disk, if it is readable, matches its key and still covers the domain. */
  private usable(domain: string): CertificatePair | undefined {
    let stored: CertificatePair | undefined;
    try {
      stored = this.issuer.stored();
    } catch {
      return undefined; // sealed by another process, or damaged: as good as missing
    }
    if (!stored || pairProblem(stored.cert, stored.key)) return undefined;
    return leafCovers(stored.cert, { dns: [domain], ips: [] }, this.clock(), 0) ? stored : undefined;
  }

  private renew(settings: AcmeSettings): void {
    if (this.renewal || this.clock() < this.retryAt) return;
    const request = { domain: settings.acmeDomain, email: settings.acmeEmail, dns: settings.acmeDns, directory: settings.acmeDirectory };
    this.renewal = this.issuer
      .issue(request)
      .then(
        () => {
          this.failure = undefined;
          this.retryAt = 0;
        },
        (err: unknown) => {
          // A rate limit's fix only says when Gatehouse tries again, which the warning says anyway.
          this.failure = (err instanceof AcmeRateLimited ? err.message : describeError(err)).replace(/([^.])$/, '$1.');
          this.retryAt = err instanceof AcmeRateLimited && err.retryAt ? Math.max(err.retryAt, this.clock() + 60_000) : this.clock() + RETRY_AFTER_FAILURE_MS;
        },
      )
      .finally(() => (this.renewal = undefined));
  }
}
