import { envOverrides, parseUpstream } from '../config/settings';
import { UsageError } from '../errors';
import { OllamaSupervisor, type SupervisorOptions } from '../ollama/supervisor';
import type { Store } from '../store/store';
import { DATA_DIR_OPTION, parse } from './args';
import { withStoreAsync, type Output } from './context';

export const OLLAMA_USAGE = `Usage:
  gatehouse ollama status [--json]    is Ollama installed, running, who runs it, is it exposed`;

/** The Ollama the CLI talks to: --upstream, else GATEHOUSE_UPSTREAM, else the stored setting. */
export function cliUpstream(store: Store, flag: string | undefined): string {
  return flag ? parseUpstream(flag) : { ...store.settings.load().settings, ...envOverrides() }.upstream;
}

/**
 * `gatehouse ollama status`: one look, from this process (a running `gatehouse serve` keeps its own
 * watch). `probe` lets tests narrow the exposure check to loopback stand-ins.
 */
export async function ollamaCommand(argv: string[], io: Output, probe: Partial<SupervisorOptions> = {}): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'status') throw new UsageError(sub ? `Unknown ollama command "${sub}".\n${OLLAMA_USAGE}` : OLLAMA_USAGE);
  const { values } = parse(rest, { ...DATA_DIR_OPTION, json: { type: 'boolean' }, upstream: { type: 'string' } });
  return withStoreAsync(values['data-dir'], async (store) => {
    const upstream = cliUpstream(store, values.upstream);
    const watcher = new OllamaSupervisor({ upstream: () => upstream, manage: false, ...probe });
    try {
      const s = await watcher.start();
      if (values.json) {
        io.out(JSON.stringify({ state: s.state, owner: s.owner, adopted: s.adopted, version: s.version, upstream: s.upstream, install: s.install, exposure: s.exposure, message: s.message, fix: s.fix }));
      } else {
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
      return s.state === 'running' && !s.exposure ? 0 : 1;
    } finally {
      await watcher.close();
    }
  });
}
