import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { envOverrides } from '../config/settings';
import { dataPaths } from '../config/paths';
import { fingerprint } from '../tls/certificates';
import { readIfExists } from '../tls/files';
import type { Command } from 'commander';
import { withControl, withStore, type Output } from './context';
import { tokenStatus } from './format';
import { connectRunning } from './remote-control';
import { action, command, dataDirOption, type Ran } from './program';

async function pause(dataDir: string | undefined, io: Output, paused: boolean): Promise<number> {
  await withControl(dataDir, (control) => control.call('setPaused', { paused }), {}, io);
  io.out(
    paused
      ? 'Remote access paused: other computers now get "remote access is paused". This computer still works.'
      : 'Remote access resumed: token holders on the network can use the gateway again.',
  );
  return 0;
}

/** Answers with the HTTP status, or undefined when nothing answers within the timeout. */
function probe(url: string, timeoutMs = 1500): Promise<number | undefined> {
  return new Promise((resolve) => {
    const get = url.startsWith('https:') ? httpsRequest : httpRequest;
    // Liveness only: nothing secret is sent, so the certificate need not be checked here.
    const req = get(url, { method: 'GET', timeout: timeoutMs, rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

/** Where a running Gatehouse serves, as it says itself; else what the settings say it would. */
async function gatewayState(dataDir: string, settings: { host: string; port: number; upstream: string }) {
  const running = await connectRunning(dataDir);
  if (running) {
    running.close();
    const { info } = running;
    const scheme = info.urls[0]?.startsWith('https:') ? 'https' : 'http';
    return { gateway: `running (${scheme})`, address: info.urls.find((u) => !u.includes('//localhost')) ?? info.urls[0] ?? `port ${info.port}`, upstream: info.upstream, runningAs: { kind: info.kind, pid: info.pid, urls: info.urls } };
  }
  const local = settings.host === '0.0.0.0' || settings.host === '::' ? '127.0.0.1' : settings.host;
  const hostPart = local.includes(':') ? `[${local}]` : local;
  const [https, http] = await Promise.all([probe(`https://${hostPart}:${settings.port}/healthz`), probe(`http://${hostPart}:${settings.port}/healthz`)]);
  // Something answers on the port, but not a Gatehouse on this data folder (another one, or another program).
  const gateway = https === 200 ? 'running (https)' : http === 200 ? 'running (http)' : 'not running';
  return { gateway, address: `${settings.host}:${settings.port}`, upstream: settings.upstream, runningAs: null };
}

async function status(values: { dataDir?: string; json?: boolean }, io: Output): Promise<number> {
  const snapshot = withStore(values.dataDir, (store, dataDir) => {
    const settings = { ...store.settings.load().settings, ...envOverrides() };
    const tokens = store.tokens.all();
    const caPem = readIfExists(join(dataPaths(dataDir).tlsDir, 'ca.crt'));
    return { dataDir, settings, activeTokens: tokens.filter((t) => tokenStatus(t) === 'active').length, caPem };
  });
  const { settings } = snapshot;
  const live = await gatewayState(snapshot.dataDir, settings);
  const upstream = await probe(`${live.upstream}/api/version`);
  const status = {
    dataDir: snapshot.dataDir,
    gateway: live.gateway,
    address: live.address,
    runningAs: live.runningAs,
    remoteAccess: settings.paused ? 'paused' : 'on',
    upstream: live.upstream,
    ollama: upstream === 200 ? 'reachable' : 'not reachable',
    activeTokens: snapshot.activeTokens,
    caFingerprint: snapshot.caPem ? fingerprint(snapshot.caPem) : null,
  };
  if (values.json) {
    io.out(JSON.stringify(status));
    return 0;
  }
  const who = live.runningAs ? ` (${live.runningAs.kind === 'tray' ? 'the tray app' : 'gatehouse serve'}, pid ${live.runningAs.pid})` : '';
  io.out(`Gateway:        ${status.gateway} on ${status.address}${who}`);
  if (!live.runningAs && status.gateway === 'not running') io.out('                start it with: gatehouse serve (or open the Gatehouse app)');
  io.out(`Remote access:  ${status.remoteAccess}`);
  io.out(`Ollama:         ${status.ollama} at ${status.upstream}`);
  io.out(`Active tokens:  ${status.activeTokens}`);
  io.out(`CA SHA-256:     ${status.caFingerprint ?? 'not created yet (made on first serve)'}`);
  io.out(`Data folder:    ${status.dataDir}`);
  return 0;
}

/** `gatehouse pause`, `resume` and `status`: the running gateway's state, through the store it shares. */
export function stateCommands(io: Output, ran: Ran): Command[] {
  return [
    command('pause', 'stop use from other computers (this computer keeps working)')
      .addOption(dataDirOption())
      .action(action(ran, (values: { dataDir?: string }) => pause(values.dataDir, io, true))),
    command('resume', 'allow use from other computers again')
      .addOption(dataDirOption())
      .action(action(ran, (values: { dataDir?: string }) => pause(values.dataDir, io, false))),
    command('status', 'what is running, and where')
      .addOption(dataDirOption())
      .option('--json', 'as JSON')
      .action(action(ran, (values: { dataDir?: string; json?: boolean }) => status(values, io))),
  ];
}
