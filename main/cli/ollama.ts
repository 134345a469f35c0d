import { envOverrides, parseUpstream } from '../config/settings';
import { OllamaSupervisor, type SupervisorOptions } from '../ollama/supervisor';
import type { Store } from '../store/store';
import type { Command } from 'commander';
import type { OllamaStatus } from '../../preload/contract';
import { withStoreAsync, type Output } from './context';
import { action, command, dataDirOption, runCommand, type Ran } from './program';
import { connectRunning, talkedTo } from './remote-control';

/** The Ollama the CLI talks to: --upstream, else GATEHOUSE_UPSTREAM, else the stored setting. */
export function cliUpstream(store: Store, flag: string | undefined): string {
  return flag ? parseUpstream(flag) : { ...store.settings.load().settings, ...envOverrides() }.upstream;
}

/**
 * `gatehouse ollama status`: one look, from this process (a running `gatehouse serve` keeps its own
 * watch). `probe` lets tests narrow the exposure check to loopback stand-ins.
 */
export function ollamaGroup(io: Output, ran: Ran, probe: Partial<SupervisorOptions> = {}): Command {
  const group = command('ollama', 'the local Ollama itself');
  group
    .command('status')
    .description('is Ollama installed, running, who runs it, is it exposed (exit 1 when not running or exposed)')
    .addOption(dataDirOption())
    .option('--upstream <url>', 'the Ollama to look at (default: the upstream setting)')
    .option('--json', 'as JSON')
    .action(action(ran, (values: { dataDir?: string; upstream?: string; json?: boolean }) => status(values, io, probe)));
  return group;
}

export function ollamaCommand(argv: string[], io: Output, probe: Partial<SupervisorOptions> = {}): Promise<number> {
  const ran = { code: 0 };
  return runCommand(ollamaGroup(io, ran, probe), argv, io, ran);
}

/** One look from this process (for an Ollama no running Gatehouse watches). */
async function lookOnce(upstream: string, probe: Partial<SupervisorOptions>): Promise<OllamaStatus> {
  const watcher = new OllamaSupervisor({ upstream: () => upstream, manage: false, ...probe });
  try {
    return await watcher.start();
  } finally {
    await watcher.close();
  }
}

function print(s: OllamaStatus, json: boolean | undefined, io: Output): void {
  if (json) {
    io.out(JSON.stringify({ state: s.state, owner: s.owner, adopted: s.adopted, version: s.version, upstream: s.upstream, install: s.install, exposure: s.exposure, message: s.message, fix: s.fix }));
    return;
  }
  io.out(s.message);
  if (s.fix) io.out(`  What to do: ${s.fix}`);
  const where = [s.install.binary && `CLI ${s.install.binary}`, s.install.app && `app ${s.install.app}`, s.install.systemService && 'systemd service ollama'].filter(Boolean);
  io.out(`Installed: ${where.length ? where.join(', ') : 'no'}`);
  if (s.exposure) {
    io.out(`WARNING: ${s.exposure.message}`);
    io.out(`  What to do: ${s.exposure.fix}`);
  } else {
    io.out('Not reachable from the network without a token: good.');
  }
}

/** The running Gatehouse's own watch when it keeps one (its upstream, its supervisor), else one look. */
async function status(values: { dataDir?: string; upstream?: string; json?: boolean }, io: Output, probe: Partial<SupervisorOptions>): Promise<number> {
  return withStoreAsync(values.dataDir, async (store, dataDir) => {
    const running = values.upstream ? null : await connectRunning(dataDir);
    const watched = running ? await running.control.call('getOllamaStatus', {}).finally(() => running.close()) : null;
    const s = watched ?? (await lookOnce(running?.info.upstream ?? cliUpstream(store, values.upstream), probe));
    print(s, values.json, io);
    if (running) io.err(talkedTo(running));
    return s.state === 'running' && !s.exposure ? 0 : 1;
  });
}
