import type { Settings } from '../config/settings';
import { GatehouseError, UsageError } from '../errors';
import { OllamaClient } from '../ollama/client';
import type { PullJob } from '../ollama/pull-jobs';
import type { PullProgress } from '../ollama/pull-progress';
import { DATA_DIR_OPTION, parse } from './args';
import { withControl, withStoreAsync, type Output } from './context';
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
        return pullWithProgress(values['data-dir'], name, io, stdoutIsTty, { upstream });
      }
      case 'rm': {
        if (!name) throw new UsageError('Say which model: gatehouse models rm llama3.2');
        await withControl(values['data-dir'], (control) => control.call('deleteModel', { model: name }), { upstream });
        io.out(`Deleted ${name}.`);
        return 0;
      }
      default:
        throw new UsageError(sub ? `Unknown models command "${sub}".\n${MODELS_USAGE}` : MODELS_USAGE);
    }
  });
}

/** A pull through the ControlApi (audited as the CLI's), drawn as a bar on a terminal, as lines otherwise. */
async function pullWithProgress(dataDir: string | undefined, model: string, io: Output, stdoutIsTty: boolean, flags: Partial<Settings>): Promise<number> {
  return withControl(dataDir, async (control) => {
    let lastLine = '';
    const finished = new Promise<PullJob>((resolve) => {
      control.on('pull', (job) => {
        const p = job.progress;
        if (job.state !== 'pulling') return resolve(job);
        if (stdoutIsTty) {
          process.stdout.write(`\r${bar(p)}\u001b[K`);
        } else if (p.status !== lastLine) {
          // Plain lines for logs and pipes: one per stage, not one per byte count.
          lastLine = p.status;
          io.out(`${p.percent.toFixed(1)}% ${p.status}`);
        }
      });
    });
    const cancel = () => void control.call('cancelPull', { model });
    process.once('SIGINT', cancel);
    try {
      await control.call('pullModel', { model });
      const job = await finished;
      if (stdoutIsTty) process.stdout.write('\n');
      if (job.state === 'cancelled') {
        io.err(`Pull of ${model} cancelled. Ollama keeps what it downloaded and resumes next time.`);
        return 1;
      }
      if (job.state === 'failed') throw new GatehouseError('PULL_FAILED', job.error ?? `Ollama could not pull ${model}.`);
      if (!stdoutIsTty) io.out(`100.0% ${job.progress.status}`);
      io.out(`Pulled ${model}.`);
      return 0;
    } finally {
      process.removeListener('SIGINT', cancel);
    }
  }, flags);
}
