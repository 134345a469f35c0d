import type { FastifyHelmetOptions } from '@fastify/helmet';

/**
 * The one Content-Security-Policy of Gatehouse's pages (dashboard, invite page, desktop window).
 * QR codes are data: images; nothing is inline; forms never post (they call the API). The pages'
 * <meta> tags repeat it for the desktop app, which loads them from disk.
 */
export const CSP_DIRECTIVES: Record<string, string[]> = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  fontSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'none'"],
  frameAncestors: ["'none'"],
};

/** Pages rendered on the server (web app sign-in, the ollama help page): no script at all, their own inline styles, forms to themselves. */
export const STATIC_PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** The policy as a header value (`default-src 'self'; …`). */
export function cspHeader(directives: Record<string, string[]> = CSP_DIRECTIVES): string {
  return Object.entries(directives)
    .map(([name, values]) => `${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} ${values.join(' ')}`)
    .join('; ');
}

/** @fastify/helmet for the dashboard and the invite page. */
export const HELMET_OPTIONS: FastifyHelmetOptions = {
  contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
  // A self-signed CA on a LAN must stay reachable by address: no HSTS.
  strictTransportSecurity: false,
  crossOriginEmbedderPolicy: false,
  referrerPolicy: { policy: 'no-referrer' },
};
