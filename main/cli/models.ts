import { UsageError } from '../errors';
import { OllamaClient } from '../ollama/client';
import { PullTracker, type PullProgress } from '../ollama/pull-progress';
import { DATA_DIR_OPTION, parse } from './args';
import { withStoreAsync, type Output } from './context';
import { table, when } from './format';
import { cliUpstream } from './ollama';

export const MODELS_USAGE = `Usage:
  gatehouse models list [--json]      installed models, and which are loaded
  gatehouse models pull NAME          download a model (Ctrl-C cancels)
  gatehouse models rm NAME            delete a model`;

const gb = (bytes: number) => `${(bytes / 1e9).toFixed(1)} GB`;

function bar(p: PullProgress): string {
  const width = 24;
  const filled = Math.round((p.percent / 100) * width);
  const speed = p.bytesPerSecond ? ` ${(p.bytesPerSecond / 1e6).toFixed(1)} MB/s` : '';
  const eta = p.etaSeconds !== null && !p.done ? ` ${p.etaSeconds}s left` : '';
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.percent.toFixed(1).padStart(5)}%${speed}${eta}  ${p.status}`;
}

/** `gatehouse models …`: talks to the local Ollama directly (the upstream), never through the gateway. */
export async function modelsCommand(argv: string[], io: Output, stdoutIsTty = process.stdout.isTTY === true): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parse(rest, { ...DATA_DIR_OPTION, json: { type: 'boolean' }, upstream: { type: 'string' } }, 1);
  return withStoreAsync(values['data-dir'], async (store) => {
    const upstream = cliUpstream(store, values.upstream);
    const ollama = new OllamaClient(() => upstream);
    const name = positionals[0];
    switch (sub) {
      case 'list': {
        const [installed, running] = await Promise.all([ollama.tags(), ollama.ps()]);
        const loaded = new Set(running.map((r) => r.name));
        if (values.json) {
          io.out(JSON.stringify(installed.map((m) => ({ ...m, loaded: loaded.has(m.name) }))));
        } else if (installed.length === 0) {
          io.out('No models installed. Pull one with: gatehouse models pull llama3.2');
        } else {
          io.out(table(['NAME', 'SIZE', 'FAMILY', 'PARAMS', 'QUANT', 'MODIFIED', 'LOADED'], installed.map((m) => [
            m.name, gb(m.size), m.family ?? '-', m.parameterSize ?? '-', m.quantization ?? '-', m.modifiedAt ? when(Date.parse(m.modifiedAt)) : '-', loaded.has(m.name) ? 'yes' : '',
          ])));
        }
        return 0;
      }
      case 'pull': {
        if (!name) throw new UsageError('Say which model: gatehouse models pull llama3.2');
        const tracker = new PullTracker();
        const abort = new AbortController();
        const cancel = () => abort.abort();
        process.once('SIGINT', cancel);
        let lastLine = '';
        try {
          await ollama.pull(name, (status) => {
            const progress = tracker.update(status);
            if (stdoutIsTty) {
              process.stdout.write(`\r${bar(progress)}\u001b[K`);
            } else if (progress.status !== lastLine || progress.done) {
              // Plain lines for logs and pipes: one per stage, not one per byte count.
              lastLine = progress.status;
              io.out(`${progress.percent.toFixed(1)}% ${progress.status}`);
            }
          }, abort.signal);
        } catch (err) {
          if (abort.signal.aborted) {
            io.err(`${stdoutIsTty ? '\n' : ''}Pull of ${name} cancelled. Ollama keeps what it downloaded and resumes next time.`);
            return 1;
          }
          throw err;
        } finally {
          process.removeListener('SIGINT', cancel);
        }
        if (stdoutIsTty) process.stdout.write('\n');
        store.metering.audit({ at: Date.now(), actor: 'cli', action: 'model.pulled', target: name });
        io.out(`Pulled ${name}.`);
        return 0;
      }
      case 'rm': {
        if (!name) throw new UsageError('Say which model: gatehouse models rm llama3.2');
        await ollama.delete(name);
        store.metering.audit({ at: Date.now(), actor: 'cli', action: 'model.deleted', target: name });
        io.out(`Deleted ${name}.`);
        return 0;
      }
      default:
        throw new UsageError(sub ? `Unknown models command "${sub}".\n${MODELS_USAGE}` : MODELS_USAGE);
    }
  });
}
