/**
 * What a certificate request may say: the domain, the contact address, the DNS provider and its
 * token, the authority. Written once for the contract (`useAcme`) and the settings that keep them.
 */
import { z } from 'zod';

const shown = (v: unknown) => JSON.stringify(v);

/** A DNS name for a certificate: dot-separated labels of letters, digits and inner hyphens, ending in a top-level name. */
export const domainName = (what: string) =>
  z.preprocess(
    (v) => (typeof v === 'string' ? v.trim().toLowerCase().replace(/\.$/, '') : v),
    z
      .string({ error: `${what} must be a domain name, such as gpu.example.com.` })
      .max(253, { error: `${what} is too long for a domain name.` })
      .regex(/^((?!-)[a-z0-9-]{1,63}(?<!-)\.)+[a-z]{2,63}$/, { error: (issue) => `${what} must be a domain name, such as gpu.example.com, not ${shown(issue.input)}.` }),
  );

/** An email address as an ACME authority takes one: one @, no spaces or separators, a dotted domain. */
export const emailAddress = (what: string) =>
  z.preprocess(
    (v) => (typeof v === 'string' ? v.trim() : v),
    z
      .string({ error: `${what} must be an email address.` })
      .max(254, { error: `${what} is too long for an email address.` })
      .regex(/^[^\s@,;<>"]+@[^\s@,;<>".]+(\.[^\s@,;<>".]+)+$/, { error: (issue) => `${what} must be an email address, not ${shown(issue.input)}.` }),
  );

export const httpsUrl = (what: string) =>
  z.string({ error: `${what} must be an https:// address.` }).max(2000).refine((v) => URL.canParse(v) && new URL(v).protocol === 'https:', { error: (issue) => `${what} must be an https:// address, not ${shown(issue.input)}.` });

/** A DNS provider's name as `--dns` takes it (cloudflare). */
export const dnsProviderName = z.string().regex(/^[a-z0-9-]{1,32}$/, { error: (issue) => `The DNS provider must be a name such as cloudflare, not ${shown(issue.input)}.` });

/** A provider's API token: printable, no spaces (it goes in an Authorization header). */
export const dnsToken = z.string().min(1, { error: 'The DNS token is empty.' }).max(1000, { error: 'The DNS token is too long.' }).regex(/^[\x21-\x7e]+$/, { error: 'The DNS token must be printable characters without spaces.' });
