import { statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { ensurePrivateDir } from '../config/paths';
import { DEFAULT_SETTINGS, type Settings } from '../config/settings';
import { GatehouseError } from '../errors';
import { currentHostNames, type HostNames } from './addresses';
import { withCreateLock } from './ca-lock';
import { createCa, fingerprint, pemFile, issuedBy, issueLeaf, leafCovers, pairProblem, type CertificatePair } from './certificates';
import { readIfExists, readSecret, SERVED_CERTIFICATE, writeFileAtomic, writeSecret, type SecretVault } from './files';
import { AcmeIssuer } from './acme';
import { AcmeCertificate, type AcmeSettings } from './acme-certificate';
import { tailscaleCert, tailscaleStatus } from './tailscale';

export interface TlsMaterial extends CertificatePair {
  source: 'local-ca' | 'custom' | 'tailscale' | 'acme';
  leafFingerprint: string;
  /** Present with the local CA: what teammates install and compare. */
  caCert?: string;
  caFingerprint?: string;
  /** With Tailscale or ACME: the machine's public name, which the certificate is for. */
  name?: string;
  /** Why the certificate is not the one the settings ask for (Tailscale unusable: the local CA instead). */
  warning?: string;
}

const RENEW_MARGIN_MS = 30 * 86_400_000;

export interface TlsManagerOptions {
  tlsDir: string;
  settings: Pick<Settings, 'tlsMode' | 'tlsCertFile' | 'tlsKeyFile'> & Partial<AcmeSettings>;
  /** Where to look for the tailscale command (tests: a fake one). */
  tailscale?: string[];
  hostNames?: () => HostNames;
  clock?: () => number;
  /** Seals the private keys at rest (the tray app's OS keystore). */
  vault?: SecretVault;
  /** Gets ACME certificates (tests: from pebble); else Let's Encrypt's, through the providers Gatehouse knows. */
  acme?: AcmeIssuer;
}

/**
 * Owns the gateway's certificate. With the local CA it keeps a leaf that names every current
 * address and re-issues it when an address appears or expiry nears; with a custom certificate it
 * re-reads the files when they change (a renewal by certbot, say). Either way `check()` returns
 * new material only when something changed, for a hot swap without a restart.
 */
export class TlsManager {
  private material: TlsMaterial | undefined;
  private customStamp = '';
  private readonly hostNames: () => HostNames;
  private readonly clock: () => number;
  private readonly acme: AcmeCertificate;
  private settings: TlsManagerOptions['settings'];

  constructor(private readonly options: TlsManagerOptions) {
    this.settings = options.settings;
    this.hostNames = options.hostNames ?? (() => currentHostNames());
    this.clock = options.clock ?? Date.now;
    const issuer = options.acme ?? new AcmeIssuer({ tlsDir: options.tlsDir, ...(options.vault ? { vault: options.vault } : {}) });
    this.acme = new AcmeCertificate(issuer, this.clock);
  }

  private get paths() {
    const dir = this.options.tlsDir;
    return {
      caCert: join(dir, 'ca.crt'),
      caKey: join(dir, 'ca.key'),
      leafCert: join(dir, SERVED_CERTIFICATE['local-ca']),
      leafKey: join(dir, 'server.key'),
      caLock: join(dir, 'ca.lock'),
    };
  }

  /**
   * The local CA, created on first use (under a lock, so concurrent first starts agree on one).
   * A damaged CA is never replaced silently: every teammate trusts it, so the error says which file
   * is wrong and how to start over.
   */
  async ca(): Promise<CertificatePair> {
    ensurePrivateDir(this.options.tlsDir);
    const { caCert, caKey, caLock } = this.paths;
    const existing = (): CertificatePair | undefined => {
      const cert = readIfExists(caCert);
      const key = readSecret(caKey, this.options.vault);
      if (cert === undefined && key === undefined) return undefined;
      const problem = cert === undefined ? `${caCert} is missing` : key === undefined ? `${caKey} is missing` : caProblem(cert, key, caCert, caKey);
      if (problem) {
        throw new GatehouseError(
          'TLS_CA_DAMAGED',
          `Gatehouse's certificate authority cannot be used: ${problem}.`,
          `Restore ${caCert} and ${caKey} from a backup. Or start a new authority (every teammate must then trust the new one): move both files out of ${this.options.tlsDir} and start Gatehouse again.`,
        );
      }
      return { cert: pemFile(cert!), key: key! }; // older files lack the final newline
    };
    return withCreateLock(caLock, existing, async () => {
      const ca = await createCa(`Gatehouse local CA (${hostname()})`, this.clock());
      writeSecret(caKey, ca.key, this.options.vault);
      writeFileAtomic(caCert, ca.cert, 0o644);
      return ca;
    });
  }

  /** What is served now, once `current()` has loaded it. */
  served(): TlsMaterial | undefined {
    return this.material;
  }

  /** The material to serve with now, loading or issuing what is missing. */
  async current(): Promise<TlsMaterial> {
    this.material ??= await this.load(false);
    return this.material;
  }

  /**
   * Returns fresh material when the addresses, the expiry, the custom files or what is wrong
   * changed; else undefined. Called in the background, so it may wait for an ACME renewal.
   */
  async check(): Promise<TlsMaterial | undefined> {
    const previous = await this.current();
    const next = await this.load(true);
    if (next.cert === previous.cert && next.key === previous.key && next.warning === previous.warning) return undefined;
    this.material = next;
    return next;
  }

  /**
   * Serves what new settings ask for (a certificate just got for the owner's domain), now rather
   * than at the next start; returns the new material, or undefined when nothing changed.
   */
  async reconfigure(settings: TlsManagerOptions['settings']): Promise<TlsMaterial | undefined> {
    this.settings = settings;
    this.customStamp = '';
    return this.check();
  }

  private async load(wait: boolean): Promise<TlsMaterial> {
    const mode = this.settings.tlsMode;
    if (mode === 'acme') return this.loadAcme(wait);
    return mode === 'custom' ? this.loadCustom() : mode === 'tailscale' ? this.loadTailscale() : this.loadLocal();
  }

  /** The ACME certificate for the owner's domain; while there is none, the local CA's, with why. */
  private async loadAcme(wait: boolean): Promise<TlsMaterial> {
    const settings = { ...DEFAULT_SETTINGS, ...this.settings };
    const got = await this.acme.load(settings, wait);
    if (!got.pair) return { ...(await this.loadLocal()), warning: `${got.warning} Meanwhile the local certificate authority's is served.` };
    const { cert, key } = got.pair;
    return { source: 'acme', cert, key, leafFingerprint: fingerprint(cert), name: settings.acmeDomain, ...(got.warning ? { warning: got.warning } : {}) };
  }

  /**
   * Tailscale's publicly trusted certificate for this machine's *.ts.net name, fetched again when
   * it nears expiry. When Tailscale cannot give one (not installed, logged out, HTTPS off), the local
   * CA is served instead, never silently: the material says why. A certificate already in use
   * stays in use while it is valid, even if a renewal fails.
   */
  private async loadTailscale(): Promise<TlsMaterial> {
    const certFile = join(this.options.tlsDir, SERVED_CERTIFICATE.tailscale);
    const keyFile = join(this.options.tlsDir, 'tailscale.key');
    const state = await tailscaleStatus(this.options.tailscale);
    const usable = (name: string) => {
      const cert = readIfExists(certFile);
      const key = readIfExists(keyFile);
      return cert && key && !pairProblem(cert, key) && leafCovers(cert, { dns: [name], ips: [] }, this.clock(), 0) ? { cert, key } : undefined;
    };
    const serve = (name: string, files: CertificatePair, warning?: string): TlsMaterial => ({ source: 'tailscale', ...files, leafFingerprint: fingerprint(files.cert), name, ...(warning ? { warning } : {}) });
    const previous = this.material?.source === 'tailscale' ? this.material : undefined;
    if (!state.ready) {
      const kept = previous?.name ? usable(previous.name) : undefined;
      if (kept) return serve(previous!.name!, kept, `${state.message} ${state.fix} The Tailscale certificate stays in use until it expires.`);
      return { ...(await this.loadLocal()), warning: `${state.message} ${state.fix} Serving the local certificate authority's instead.` };
    }
    ensurePrivateDir(this.options.tlsDir);
    const current = usable(state.name);
    const fresh = current && leafCovers(current.cert, { dns: [state.name], ips: [] }, this.clock(), RENEW_MARGIN_MS);
    if (fresh) return serve(state.name, current);
    try {
      await tailscaleCert(state.command!, state.name, certFile, keyFile);
    } catch (err) {
      if (current) return serve(state.name, current, `${(err as Error).message} The current certificate stays in use until it expires.`);
      return { ...(await this.loadLocal()), warning: `${(err as Error).message} Serving the local certificate authority's instead.` };
    }
    const got = usable(state.name);
    if (!got) return { ...(await this.loadLocal()), warning: `Tailscale wrote no usable certificate for ${state.name}. Serving the local certificate authority's instead.` };
    return serve(state.name, got);
  }

  private async loadLocal(): Promise<TlsMaterial> {
    const ca = await this.ca();
    const { leafCert, leafKey } = this.paths;
    const names = this.hostNames();
    let cert = readIfExists(leafCert);
    let key = readOrNothing(() => readSecret(leafKey, this.options.vault));
    // A leaf that is unreadable, does not match its key, or is not ours is re-issued: it is only a
    // derivative of the CA, and teammates trust the CA, not the leaf.
    if (!cert || !key || pairProblem(cert, key) || !leafCovers(cert, names, this.clock(), RENEW_MARGIN_MS) || !issuedBy(cert, ca.cert)) {
      ({ cert, key } = await issueLeaf(ca, names, this.clock()));
      writeSecret(leafKey, key, this.options.vault);
      writeFileAtomic(leafCert, cert, 0o644);
    }
    return {
      source: 'local-ca',
      cert,
      key,
      leafFingerprint: fingerprint(cert),
      caCert: ca.cert,
      caFingerprint: fingerprint(ca.cert),
    };
  }

  private loadCustom(): TlsMaterial {
    const { tlsCertFile, tlsKeyFile } = this.settings;
    if (!tlsCertFile || !tlsKeyFile) {
      throw new GatehouseError(
        'TLS_CUSTOM_MISSING',
        'TLS is set to use your own certificate, but the certificate or key file is not set.',
        'Set tlsCertFile and tlsKeyFile, or switch tlsMode back to local-ca.',
      );
    }
    const stamp = `${mtime(tlsCertFile)}:${mtime(tlsKeyFile)}`;
    if (this.material && stamp === this.customStamp) return this.material;
    const cert = readIfExists(tlsCertFile);
    const key = readIfExists(tlsKeyFile);
    if (!cert || !key) {
      throw new GatehouseError(
        'TLS_CUSTOM_UNREADABLE',
        `Cannot read the TLS ${cert ? 'key' : 'certificate'} file ${cert ? tlsKeyFile : tlsCertFile}.`,
        'Check the path and that this user may read it.',
      );
    }
    const problem = pairProblem(cert, key);
    if (problem) {
      throw new GatehouseError(
        'TLS_CUSTOM_INVALID',
        `Your TLS certificate cannot be served: ${problem.replace('the certificate', tlsCertFile).replace('the key', tlsKeyFile)}.`,
        'Point tlsCertFile and tlsKeyFile at a PEM certificate and its own private key, or switch tlsMode back to local-ca.',
      );
    }
    const leafFingerprint = fingerprint(cert);
    this.customStamp = stamp;
    return { source: 'custom', cert, key, leafFingerprint };
  }
}

/** Why the CA's files cannot be used, naming the file, or null when they can. */
function caProblem(cert: string, key: string, certFile: string, keyFile: string): string | null {
  const problem = pairProblem(cert, key);
  if (problem) return problem.replace('the certificate', certFile).replace('the key', keyFile);
  return null;
}

/** A secret that cannot be read (damaged, or sealed differently) counts as missing: it will be re-made. */
function readOrNothing(read: () => string | undefined): string | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

function mtime(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}
