import type { TlsStatus } from '../../preload/views';
import { dataPaths, resolveDataDir } from '../config/paths';
import { GatehouseError, UsageError } from '../errors';
import { tailscaleStatus } from '../tls/tailscale';
import { fingerprint } from '../tls/certificates';
import { TlsManager } from '../tls/tls-manager';
import type { Command } from 'commander';
import { withControl, withStore, type Output } from './context';
import { action, command, dataDirOption, runCommand, type Ran } from './program';

async function tls(what: 'ca' | 'fingerprint', dataDirFlag: string | undefined, io: Output): Promise<number> {
  const dataDir = resolveDataDir(dataDirFlag);
  const { settings } = withStore(dataDir, (store) => store.settings.load());
  const manager = new TlsManager({ tlsDir: dataPaths(dataDir).tlsDir, settings });
  if (what === 'ca') {
    if (settings.tlsMode === 'custom') throw new UsageError('This Gatehouse uses your own certificate, not its local CA.');
    if (settings.tlsMode === 'tailscale' || settings.tlsMode === 'acme') io.err(`(This Gatehouse serves ${settings.tlsMode === 'acme' ? `a publicly trusted certificate for ${settings.acmeDomain}` : "Tailscale's certificate"}, which teammates' systems already trust; this is the local CA it falls back to.)`);
    io.out((await manager.ca()).cert.trimEnd());
    return 0;
  }
  // An ACME certificate is read as it is served (or on disk), never ordered by this command.
  if (settings.tlsMode === 'acme') {
    const status = await withControl(dataDirFlag, (control) => control.call('getTlsStatus', {}));
    if (!status.serving) throw new GatehouseError('TLS_ACME_UNAVAILABLE', 'There is no ACME certificate yet.', 'Get one with gatehouse tls use acme --domain …');
    if (status.serving.source === 'local-ca') io.out(`CA      SHA-256 ${fingerprint((await manager.ca()).cert)}`);
    io.out(`Server  SHA-256 ${status.serving.certificate.fingerprint}`);
    return 0;
  }
  const material = await manager.current();
  if (material.caFingerprint) io.out(`CA      SHA-256 ${material.caFingerprint}`);
  io.out(`Server  SHA-256 ${fingerprint(material.cert)}`);
  return 0;
}

const MODES: Record<TlsStatus['mode'], string> = {
  'local-ca': "Gatehouse's own certificate authority",
  tailscale: "Tailscale's certificate (trusted by every system, no CA to install)",
  acme: "an ACME certificate (Let's Encrypt: trusted by every system, no CA to install)",
  custom: 'your own certificate files',
};

async function status(dataDirFlag: string | undefined, json: boolean, io: Output): Promise<number> {
  const tls = await withControl(dataDirFlag, (control) => control.call('getTlsStatus', {}), {}, io);
  // A Gatehouse that is not running says nothing of Tailscale: ask it here.
  const tailscale = tls.mode === 'tailscale' && !tls.serving?.warning ? await tailscaleStatus() : null;
  const problem = tls.serving?.warning ?? (tailscale && !tailscale.ready ? `${tailscale.message} ${tailscale.fix} Until then the local certificate authority is served.` : null);
  const served = tls.serving?.certificate ?? null;
  if (json) {
    io.out(JSON.stringify({ mode: tls.mode, source: tls.serving?.source ?? null, certificate: served, name: tls.serving?.name ?? null, problem }));
    return 0;
  }
  io.out(`Mode:         ${MODES[tls.mode]}`);
  if (tls.serving && tls.serving.source !== tls.mode) io.out(`Serving:      ${MODES[tls.serving.source]}`);
  if (served) {
    io.out(`Names:        ${served.names.join(', ')}`);
    io.out(`Issued by:    ${served.issuer}`);
    io.out(`Valid until:  ${served.validTo}`);
    if (served.renewsAt) io.out(`Renews:       ${served.renewsAt}`);
    io.out(`SHA-256:      ${served.fingerprint}`);
  } else io.out('Certificate:  none yet (made at the next start)');
  if (problem) io.out(`Problem:      ${problem}`);
  return 0;
}

interface AcmeFlags {
  domain?: string;
  email?: string;
  dns?: string;
  dnsToken?: string;
  directory?: string;
}

async function useAcme(flags: AcmeFlags, dataDirFlag: string | undefined, io: Output): Promise<number> {
  const missing = (['domain', 'email', 'dns'] as const).filter((k) => !flags[k]);
  if (missing.length) throw new UsageError(`Say ${missing.map((k) => `--${k}`).join(', ')}.`, 'For example: gatehouse tls use acme --domain gpu.example.com --email you@example.com --dns cloudflare --dns-token …');
  const dnsToken = flags.dnsToken ?? process.env.GATEHOUSE_DNS_TOKEN;
  io.err(`Asking for a certificate for ${flags.domain} (this takes up to a few minutes)…`);
  const args = { domain: flags.domain!, email: flags.email!, dns: flags.dns!, ...(dnsToken ? { dnsToken } : {}), ...(flags.directory ? { directory: flags.directory } : {}) };
  const { certificate, message } = await withControl(dataDirFlag, (control) => control.call('useAcme', args), {}, io);
  io.out(message);
  io.out(`Valid until ${certificate.validTo}; Gatehouse renews it from ${certificate.renewsAt ?? 'before then'}.`);
  return 0;
}

async function use(mode: string | undefined, flags: AcmeFlags, dataDirFlag: string | undefined, io: Output): Promise<number> {
  if (mode === 'acme') return useAcme(flags, dataDirFlag, io);
  if (mode !== 'tailscale' && mode !== 'local-ca') throw new UsageError('Say which certificate: gatehouse tls use tailscale, gatehouse tls use acme --domain …, or gatehouse tls use local-ca');
  const state = mode === 'tailscale' ? await tailscaleStatus() : null;
  if (state && !state.ready) throw new GatehouseError('TLS_TAILSCALE', state.message, state.fix);
  // Through the ControlApi, as config set and the window's Settings page save.
  await withControl(dataDirFlag, (control) => control.call('updateSettings', { changes: { tlsMode: mode } }), {}, io);
  io.out(
    state?.ready
      ? `From its next start, Gatehouse serves Tailscale's certificate for ${state.name}: teammates in your tailnet use https://${state.name}:<port> with nothing to install. Restart Gatehouse now.`
      : "From its next start, Gatehouse serves its own certificate authority's certificate again. Restart Gatehouse now.",
  );
  return 0;
}

/** `gatehouse tls ca | fingerprint | status | use`: the certificate clients trust. */
export function tlsGroup(io: Output, ran: Ran): Command {
  const group = command('tls', 'the certificate clients trust');
  group
    .command('ca')
    .description('prints the local CA certificate (PEM) for clients to trust')
    .addOption(dataDirOption())
    .action(action(ran, (values: { dataDir?: string }) => tls('ca', values.dataDir, io)));
  group
    .command('fingerprint')
    .description('prints the SHA-256 fingerprints of the CA and the server certificate')
    .addOption(dataDirOption())
    .action(action(ran, (values: { dataDir?: string }) => tls('fingerprint', values.dataDir, io)));
  group
    .command('status')
    .description('which certificate is served, for which names, until when')
    .addOption(dataDirOption())
    .option('--json', 'as JSON')
    .action(action(ran, (values: { dataDir?: string; json?: boolean }) => status(values.dataDir, values.json === true, io)));
  group
    .command('use')
    .description("serve a publicly trusted certificate: Tailscale's (tailscale) or Let's Encrypt's for your domain (acme); or the local CA's (local-ca)")
    .argument('[mode]', 'tailscale, acme or local-ca')
    .option('--domain <name>', "acme: this computer's name in your domain, such as gpu.example.com")
    .option('--email <address>', 'acme: where the authority writes about the certificate')
    .option('--dns <provider>', 'acme: who serves the domain\'s DNS (cloudflare)')
    .option('--dns-token <token>', 'acme: an API token that may edit that DNS zone (or set GATEHOUSE_DNS_TOKEN); kept sealed for renewals')
    .option('--directory <url>', "acme: another authority's directory (default Let's Encrypt)")
    .addOption(dataDirOption())
    .action(action(ran, (mode: string | undefined, values: AcmeFlags & { dataDir?: string }) => use(mode, values, values.dataDir, io)));
  return group;
}

export function tlsCommand(argv: string[], io: Output): Promise<number> {
  const ran = { code: 0 };
  return runCommand(tlsGroup(io, ran), argv, io, ran);
}
