import { dataPaths, resolveDataDir } from '../config/paths';
import { UsageError } from '../errors';
import { fingerprint } from '../tls/certificates';
import { TlsManager } from '../tls/tls-manager';
import type { Command } from 'commander';
import { withStoreAsync, type Output } from './context';
import { action, command, dataDirOption, runCommand, type Ran } from './program';

async function tls(what: 'ca' | 'fingerprint', dataDirFlag: string | undefined, io: Output): Promise<number> {
  const dataDir = resolveDataDir(dataDirFlag);
  return withStoreAsync(dataDir, async (store) => {
    const { settings } = store.settings.load();
    const manager = new TlsManager({ tlsDir: dataPaths(dataDir).tlsDir, settings });
    if (what === 'ca') {
      if (settings.tlsMode === 'custom') throw new UsageError('This Gatehouse uses your own certificate, not its local CA.');
      io.out((await manager.ca()).cert.trimEnd());
      return 0;
    }
    const material = await manager.current();
    if (material.caFingerprint) io.out(`CA      SHA-256 ${material.caFingerprint}`);
    io.out(`Server  SHA-256 ${fingerprint(material.cert)}`);
    return 0;
  });
}

/** `gatehouse tls ca | fingerprint`: the certificate clients trust. */
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
  return group;
}

export function tlsCommand(argv: string[], io: Output): Promise<number> {
  const ran = { code: 0 };
  return runCommand(tlsGroup(io, ran), argv, io, ran);
}
