import { join } from 'node:path';
import type { TlsStatus } from '../../preload/views';
import type { Settings } from '../config/settings';
import { GatehouseError } from '../errors';
import { LETS_ENCRYPT, type AcmeIssuer } from '../tls/acme';
import { certificateView } from '../tls/certificate-view';
import { readIfExists, SERVED_CERTIFICATE } from '../tls/files';
import { localOnly } from './admin';
import type { HandlerContext, Handlers } from './context';

/** Where each mode keeps the certificate it serves. */
function certificateFile(settings: Readonly<Settings>, tlsDir: string): string | undefined {
  if (settings.tlsMode === 'custom') return settings.tlsCertFile || undefined;
  return join(tlsDir, SERVED_CERTIFICATE[settings.tlsMode]);
}

const requireAcme = (ctx: HandlerContext): AcmeIssuer => {
  if (!ctx.acme) throw new GatehouseError('TLS_ACME_UNAVAILABLE', 'This Gatehouse was started without certificates (plain HTTP).', 'Start it without --no-tls.');
  return ctx.acme;
};

/** The served certificate: the running gateway's, else the one on disk that the next start serves. */
function serving(ctx: HandlerContext): TlsStatus['serving'] {
  const settings = ctx.settings();
  const material = ctx.certificate?.();
  if (material) {
    const { source, name, warning, cert } = material;
    return { source, ...(name ? { name } : {}), ...(warning ? { warning } : {}), certificate: certificateView(cert, source === 'acme') };
  }
  if (ctx.certificate || !ctx.tlsDir) return null; // a gateway on plain HTTP
  const file = certificateFile(settings, ctx.tlsDir);
  const pem = file ? readIfExists(file) : undefined;
  if (!pem) return null;
  try {
    return { source: settings.tlsMode, ...(settings.tlsMode === 'acme' ? { name: settings.acmeDomain } : {}), certificate: certificateView(pem, settings.tlsMode === 'acme') };
  } catch {
    return null;
  }
}

/** Which certificate is served, and getting one from an ACME authority (Let's Encrypt). */
export function tlsHandlers(ctx: HandlerContext): Pick<Handlers, 'getTlsStatus' | 'useAcme'> {
  return {
    getTlsStatus: () => {
      const settings = ctx.settings();
      return {
        mode: settings.tlsMode,
        serving: serving(ctx),
        acme: { domain: settings.acmeDomain, email: settings.acmeEmail, dns: settings.acmeDns, directory: settings.acmeDirectory, hasToken: ctx.acme?.hasToken() ?? false, providers: ctx.acme?.providers() ?? [] },
      };
    },
    // The certificate is got first: the settings change only once there is one to serve.
    useAcme: async ({ domain, email, dns, dnsToken, directory }, actor) => {
      if (actor === 'remote-admin') throw localOnly('change the certificate');
      const acme = requireAcme(ctx);
      const chosen = directory ?? ctx.settings().acmeDirectory;
      const pair = await acme.issue({ domain, email, dns, directory: chosen, ...(dnsToken ? { dnsToken } : {}) });
      const changes: Partial<Settings> = { tlsMode: 'acme', acmeDomain: domain, acmeEmail: email, acmeDns: dns, acmeDirectory: chosen };
      ctx.store.audited({ actor, action: 'tls.acme', target: domain, detail: JSON.stringify({ dns, directory: chosen }) }, () => {
        for (const [key, value] of Object.entries(changes)) ctx.store.setSetting(key as keyof Settings, value, actor);
      });
      ctx.changed('settings');
      // A running gateway serves it at once; the CLI on its own leaves it for the next start.
      await ctx.applyCertificate?.();
      const served = ctx.certificate?.();
      const now = served?.source === 'acme' && served.name === domain;
      const port = ctx.serving?.()?.port ?? '<port>';
      const authority = chosen === LETS_ENCRYPT ? "Let's Encrypt" : 'The ACME authority';
      const use = `teammates use https://${domain}:${port} with nothing to install, once ${domain} points at this computer in DNS`;
      return {
        certificate: certificateView(pair.cert, true),
        message: now ? `${authority} issued a certificate for ${domain}, and Gatehouse serves it now: ${use}.` : `${authority} issued a certificate for ${domain}. From its next start Gatehouse serves it: ${use}. Restart Gatehouse now.`,
      };
    },
  };
}
