import { execFile } from 'node:child_process';
import { platform } from 'node:os';
import { GatehouseError } from '../errors';

/** What `tailscale status --json` says about this machine, as far as a certificate is concerned. */
export type TailscaleState =
  | { ready: true; name: string; addresses: string[] }
  | { ready: false; why: 'missing' | 'logged-out' | 'https-off' | 'unreadable'; message: string; fix: string };

const ADMIN_DNS = 'https://login.tailscale.com/admin/dns';

/** The tailscale command: GATEHOUSE_TAILSCALE, else on PATH (on macOS the app bundle's too). */
export function tailscaleCommands(): string[] {
  const given = process.env.GATEHOUSE_TAILSCALE;
  if (given) return [given];
  return platform() === 'darwin' ? ['tailscale', '/Applications/Tailscale.app/Contents/MacOS/Tailscale'] : ['tailscale'];
}

function run(command: string, args: string[], timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024, windowsHide: true }, (err, stdout, stderr) => {
      if (!err) return resolve({ stdout, stderr });
      // What it printed matters even when it fails (logged out, it still prints its status).
      const failed: Error & { stdout?: string; stderr?: string } = err;
      failed.stdout = stdout;
      failed.stderr = stderr;
      reject(failed);
    });
  });
}

interface StatusJson {
  BackendState?: string;
  Self?: { DNSName?: string; TailscaleIPs?: string[] };
  CertDomains?: string[] | null;
}

/** Reads `tailscale status --json`; every way it can be unusable says what to do. */
export async function tailscaleStatus(commands = tailscaleCommands()): Promise<TailscaleState & { command?: string }> {
  for (const command of commands) {
    let stdout: string;
    try {
      ({ stdout } = await run(command, ['status', '--json'], 5000));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      // Logged out, tailscale exits non-zero but still prints the JSON.
      stdout = (err as { stdout?: string }).stdout ?? '';
      if (!stdout.trim()) return { ready: false, why: 'unreadable', message: `tailscale status failed: ${((err as { stderr?: string }).stderr ?? (err as Error).message).trim().slice(0, 200)}`, fix: 'Check that the Tailscale app or tailscaled is running.' };
    }
    let status: StatusJson;
    try {
      status = JSON.parse(stdout) as StatusJson;
    } catch {
      return { ready: false, why: 'unreadable', message: 'tailscale status --json did not print JSON.', fix: 'Update Tailscale, then try again.' };
    }
    if (status.BackendState !== 'Running') {
      return { ready: false, why: 'logged-out', message: `Tailscale is not connected (it says ${status.BackendState ?? 'nothing'}).`, fix: 'Open Tailscale and log in (or run: tailscale up), then try again.', command };
    }
    const name = status.CertDomains?.[0] ?? '';
    if (!name) {
      return { ready: false, why: 'https-off', message: 'HTTPS certificates are turned off for your tailnet.', fix: `Turn on "HTTPS Certificates" at ${ADMIN_DNS} (an admin of the tailnet can), then try again.`, command };
    }
    return { ready: true, name, addresses: status.Self?.TailscaleIPs ?? [], command };
  }
  return { ready: false, why: 'missing', message: 'Tailscale is not installed on this computer (no tailscale command).', fix: 'Install it from https://tailscale.com/download and log in, or keep the local certificate authority.' };
}

/** Has tailscale fetch (or renew) the publicly trusted certificate for `name` into the two files. */
export async function tailscaleCert(command: string, name: string, certFile: string, keyFile: string): Promise<void> {
  try {
    await run(command, ['cert', '--cert-file', certFile, '--key-file', keyFile, name], 120_000);
  } catch (err) {
    const detail = ((err as { stderr?: string }).stderr ?? (err as Error).message).trim().slice(0, 300);
    throw new GatehouseError('TLS_TAILSCALE', `Tailscale could not get a certificate for ${name}: ${detail}`, 'Check that HTTPS certificates are on for the tailnet and that this computer may use them; the local certificate authority is used meanwhile.');
  }
}
