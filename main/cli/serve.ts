import { createCore, type Core, type ServingInfo } from '../core';
import { resolveDataDir } from '../config/paths';
import { envOverrides, parseHost, parseSetting, parseUpstream, type Settings } from '../config/settings';
import { probeUpstream } from '../ollama/upstream-probe';
import { describeError } from '../errors';
import { consoleLogger } from '../log';
import type { Command } from 'commander';
import { action, command, dataDirOption, type Ran } from './program';
import type { OllamaStatus } from '../ollama/status';
import type { OllamaSupervisor } from '../ollama/supervisor';
import type { Output } from './context';

/** `gatehouse serve`: runs the gateway until SIGINT/SIGTERM, then lets streams finish (10 s at most). */
export function serveGroup(io: Output, ran: Ran): Command {
  return command('serve', 'run the gateway (and, unless --no-supervise, start Ollama and keep it running)')
    .addOption(dataDirOption())
    .option('--host <address>', 'the address to listen on: 0.0.0.0 (every network, the default) or 127.0.0.1 (this computer only)')
    .option('--port <n>', 'the port (default 11443; 0 picks a free one)')
    .option('--upstream <url>', 'where Ollama listens (default http://127.0.0.1:11434)')
    .option('--no-tls', 'plain HTTP, on 127.0.0.1 only unless --insecure')
    .option('--insecure', 'allow plain HTTP on a network address (tokens cross it unencrypted)')
    .option('--no-supervise', 'only forward to Ollama: never start, stop or restart it')
    .action(action(ran, (values: ServeFlags) => serve(values, io)));
}

interface ServeFlags {
  dataDir?: string;
  host?: string;
  port?: string;
  upstream?: string;
  tls: boolean;
  insecure?: boolean;
  supervise: boolean;
}

async function serve(values: ServeFlags, io: Output): Promise<number> {
  const overrides: Partial<Settings> = envOverrides();
  if (values.host !== undefined) overrides.host = parseHost(values.host);
  if (values.port !== undefined) overrides.port = parseSetting('port', values.port);
  if (values.upstream !== undefined) overrides.upstream = parseUpstream(values.upstream);

  const dataDir = resolveDataDir(values.dataDir);
  const core = await createCore({
    dataDir,
    overrides,
    tls: values.tls,
    insecure: values.insecure === true,
    log: consoleLogger,
    // --no-supervise only proxies: nothing is started, watched or probed.
    ...(values.supervise ? { ollama: { manage: true } } : {}),
  });
  let info;
  try {
    info = await core.listen();
  } catch (err) {
    await core.close();
    throw err;
  }
  await printWelcome(core, info, dataDir, io);
  return untilStopped(core, io);
}

/** Runs until SIGINT or SIGTERM, then closes the core; a second signal stops at once. */
function untilStopped(core: Core, io: Output): Promise<number> {
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        io.err('Stopping now.');
        resolve(1);
        return;
      }
      stopping = true;
      io.out(`${signal}: no new requests; letting running ones finish (up to 10 s)…`);
      core
        .close()
        .then(() => {
          io.out('Stopped.');
          resolve(0);
        })
        .catch((err: unknown) => {
          io.err(`Could not stop cleanly: ${describeError(err)}`);
          resolve(1);
        });
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
}

/** Where the gateway answers, what clients must trust, and what to do next. */
async function printWelcome(core: Core, info: ServingInfo, dataDir: string, io: Output): Promise<void> {
  const settings = core.settings();
  io.out(`Gatehouse is guarding Ollama at ${settings.upstream}. Reach it at:`);
  for (const url of info.urls) io.out(`  ${url}`);
  if (info.tls?.caFingerprint) {
    io.out(`CA certificate SHA-256: ${info.tls.caFingerprint}`);
    io.out('  Clients trust it with: gatehouse tls ca > gatehouse-ca.crt (compare the fingerprint first).');
  } else if (info.tls?.source === 'tailscale') {
    io.out(`Tailscale certificate for ${info.tls.name ?? 'this machine'}: teammates in your tailnet need nothing installed.`);
  } else if (info.tls?.source === 'acme') {
    io.out(`Publicly trusted certificate for ${info.tls.name ?? 'your domain'}: teammates need nothing installed.`);
  } else if (info.tls) {
    io.out(`Certificate SHA-256: ${info.tls.leafFingerprint}`);
  }
  if (info.webapp) {
    io.out(`The web app at ${info.webapp.upstream} is open to tokens with --web at:`);
    for (const url of info.webapp.urls) io.out(`  ${url}`);
  }
  io.out(`Data folder: ${dataDir}`);
  io.out(settings.paused ? 'Remote access is PAUSED: only this computer may use the gateway (gatehouse resume).' : 'Remote access is on.');
  if (core.ollama) reportOllama(core.ollama, io);
  else if ((await probeUpstream(settings.upstream)).kind !== 'ollama') {
    io.out(`Ollama does not answer at ${settings.upstream}: requests will get 502 until it does. Start it (ollama serve), or leave out --no-supervise so Gatehouse starts it.`);
  }
  const link = core.adminLink();
  if (link) io.out(`Dashboard on this computer (one-time sign-in link, valid 15 minutes; gatehouse admin link makes another):\n  ${link.url}`);
  if (core.verifier.activeTokens === 0) io.out('No API tokens yet, so nobody can get in. Create one: gatehouse token create --name <name>');
}

/** Prints Ollama's state now and whenever it changes, with the fix when something is wrong. */
function reportOllama(ollama: OllamaSupervisor, io: Output): void {
  let last = '';
  const print = (s: OllamaStatus) => {
    const line = `Ollama: ${s.message}${s.fix ? ` ${s.fix}` : ''}${s.exposure ? `\nWARNING: ${s.exposure.message} ${s.exposure.fix}` : ''}`;
    if (line !== last) io.out(line);
    last = line;
  };
  print(ollama.status());
  ollama.subscribe(print);
}
