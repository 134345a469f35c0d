import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { dataPaths, resolveDataDir } from '../config/paths';
import { GatehouseError, UsageError } from '../errors';
import { readIfExists } from '../tls/files';
import { tailscaleStatus } from '../tls/tailscale';
import { fingerprint } from '../tls/certificates';
import { TlsManager } from '../tls/tls-manager';
import type { Command } from 'commander';
import { withControl, withStore, withStoreAsync, type Output } from './context';
import { action, command, dataDirOption, runCommand, type Ran } from './program';

async function tls(what: 'ca' | 'fingerprint', dataDirFlag: string | undefined, io: Output): Promise<number> {
  const dataDir = resolveDataDir(dataDirFlag);
  return withStoreAsync(dataDir, async (store) => {
    const { settings } = store.settings.load();
    const manager = new TlsManager({ tlsDir: dataPaths(dataDir).tlsDir, settings });
    if (what === 'ca') {
      if (settings.tlsMode === 'custom') throw new UsageError('This Gatehouse uses your own certificate, not its local CA.');
      if (settings.tlsMode === 'tailscale') io.err("(This Gatehouse serves Tailscale's certificate, which teammates' systems already trust; this is the local CA it falls back to.)");
      io.out((await manager.ca()).cert.trimEnd());
      return 0;
    }
    const material = await manager.current();
    if (material.caFingerprint) io.out(`CA      SHA-256 ${material.caFingerprint}`);
    io.out(`Server  SHA-256 ${fingerprint(material.cert)}`);
    return 0;
  });
}

/** The certificate a mode serves, as it is on disk now: for whom, until when. */
function describeFile(file: string): { names: string[]; validTo: string; fingerprint: string } | null {
  const pem = readIfExists(file);
  if (!pem) return null;
  const cert = new X509Certificate(pem);
  const names = (cert.subjectAltName ?? '').split(', ').map((n) => n.replace(/^(DNS|IP Address):/, '')).filter(Boolean);
  return { names, validTo: new Date(cert.validTo).toISOString(), fingerprint: cert.fingerprint256 };
}

async function status(dataDirFlag: string | undefined, json: boolean, io: Output): Promise<number> {
  const dataDir = resolveDataDir(dataDirFlag);
  const { settings } = withStore(dataDir, (store) => store.settings.load());
  const dir = dataPaths(dataDir).tlsDir;
  const file = settings.tlsMode === 'custom' ? settings.tlsCertFile : join(dir, settings.tlsMode === 'tailscale' ? 'tailscale.crt' : 'server.crt');
  const served = file ? describeFile(file) : null;
  const tailscale = settings.tlsMode === 'tailscale' ? await tailscaleStatus() : null;
  const problem = tailscale && !tailscale.ready ? `${tailscale.message} ${tailscale.fix}` : null;
  if (json) {
    io.out(JSON.stringify({ mode: settings.tlsMode, certificate: served, tailscale: tailscale?.ready ? { name: tailscale.name } : null, problem }));
    return 0;
  }
  const modes = { 'local-ca': "Gatehouse's own certificate authority", tailscale: "Tailscale's certificate (trusted by every system, no CA to install)", custom: 'your own certificate files' };
  io.out(`Mode:         ${modes[settings.tlsMode]}`);
  if (served) {
    io.out(`Names:        ${served.names.join(', ')}`);
    io.out(`Valid until:  ${served.validTo}`);
    io.out(`SHA-256:      ${served.fingerprint}`);
  } else io.out('Certificate:  none yet (made at the next start)');
  if (problem) io.out(`Problem:      ${problem} Until then the local certificate authority is served.`);
  return 0;
}

async function use(mode: string | undefined, dataDirFlag: string | undefined, io: Output): Promise<number> {
  if (mode !== 'tailscale' && mode !== 'local-ca') throw new UsageError('Say which certificate: gatehouse tls use tailscale, or gatehouse tls use local-ca');
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
    .description("serve Tailscale's publicly trusted certificate (tailscale), or the local CA's (local-ca)")
    .argument('[mode]', 'tailscale or local-ca')
    .addOption(dataDirOption())
    .action(action(ran, (mode: string | undefined, values: { dataDir?: string }) => use(mode, values.dataDir, io)));
  return group;
}

export function tlsCommand(argv: string[], io: Output): Promise<number> {
  const ran = { code: 0 };
  return runCommand(tlsGroup(io, ran), argv, io, ran);
}
