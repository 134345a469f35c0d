import { resolveDataDir } from '../config/paths';
import { dataPaths } from '../config/paths';
import { UsageError } from '../errors';
import { fingerprint } from '../tls/certificates';
import { TlsManager } from '../tls/tls-manager';
import { DATA_DIR_OPTION, parse } from './args';
import { withStoreAsync, type Output } from './context';

export const TLS_USAGE = `Usage:
  gatehouse tls ca            prints the local CA certificate (PEM) for clients to trust
  gatehouse tls fingerprint   prints the SHA-256 fingerprints of the CA and the server certificate`;

export async function tlsCommand(argv: string[], io: Output): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'ca' && sub !== 'fingerprint') throw new UsageError(sub ? `Unknown tls command "${sub}".\n${TLS_USAGE}` : TLS_USAGE);
  const { values } = parse(rest, DATA_DIR_OPTION);
  const dataDir = resolveDataDir(values['data-dir']);
  return withStoreAsync(dataDir, async (store) => {
    const { settings } = store.settings.load();
    const tls = new TlsManager({ tlsDir: dataPaths(dataDir).tlsDir, settings });
    if (sub === 'ca') {
      if (settings.tlsMode === 'custom') throw new UsageError('This Gatehouse uses your own certificate, not its local CA.');
      io.out((await tls.ca()).cert.trimEnd());
      return 0;
    }
    const material = await tls.current();
    if (material.caFingerprint) io.out(`CA      SHA-256 ${material.caFingerprint}`);
    io.out(`Server  SHA-256 ${fingerprint(material.cert)}`);
    return 0;
  });
}
