import type { Command } from 'commander';
import { parseUpstream, type Settings } from '../config/settings';
import { GatehouseError, UsageError } from '../errors';
import type { PullJob } from '../ollama/pull-jobs';
import type { PullProgress } from '../ollama/pull-progress';
import { withControl, type Output } from './context';
import { table, when } from './format';
import { action, command, dataDirOption, runCommand, type Ran } from './program';

const gb = (bytes: number) => `${(bytes / 1e9).toFixed(1)} GB`;

function bar(p: PullProgress): string {
  const width = 24;
  const filled = Math.round((p.percent / 100) * width);
  const speed = p.bytesPerSecond ? ` ${(p.bytesPerSecond / 1e6).toFixed(1)} MB/s` : '';
  const eta = p.etaSeconds !== null && !p.done ? ` ${p.etaSeconds}s left` : '';
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${p.percent.toFixed(1).padStart(5)}%${speed}${eta}  ${p.status}`;
}

type ModelFlags = { dataDir?: string; json?: boolean; upstream?: string; on?: string };

/** `--on NAME`: one of the Ollama hosts (gatehouse upstreams list); the local one by default. */
const onHost = (values: ModelFlags) => (values.on ? { on: values.on } : {});

/** --upstream names an Ollama to talk to directly; without it, the running Gatehouse's (or the setting's). */
const upstreamFlag = (values: ModelFlags): Partial<Settings> => (values.upstream ? { upstream: parseUpstream(values.upstream) } : {});

async function list(values: ModelFlags, io: Output): Promise<number> {
  const { installed, running } = await withControl(values.dataDir, (control) => control.call('listModels', onHost(values)), upstreamFlag(values), io);
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

const modelOptions = (cmd: Command) =>
  cmd.addOption(dataDirOption()).option('--upstream <url>', 'the Ollama to talk to directly (default: the upstream setting)').option('--on <host>', 'one of the Ollama hosts (gatehouse upstreams list); default: local');

/** `gatehouse models …`: talks to the local Ollama directly (the upstream), never through the gateway. */
export function modelsGroup(io: Output, ran: Ran, stdoutIsTty = process.stdout.isTTY === true): Command {
  const group = command('models', "the local Ollama's models");
  modelOptions(group.command('list').description('installed models, and which are loaded'))
    .option('--json', 'as JSON')
    .action(action(ran, (values: ModelFlags) => list(values, io)));
  modelOptions(group.command('pull').description('download a model (Ctrl-C cancels)').argument('[name]', 'the model, such as llama3.2')).action(
    action(ran, (name: string | undefined, values: ModelFlags) => {
      if (!name) throw new UsageError('Say which model: gatehouse models pull llama3.2');
      return pullWithProgress(values.dataDir, name, io, stdoutIsTty, upstreamFlag(values), values.on);
    }),
  );
  modelOptions(group.command('rm').description('delete a model').argument('[name]', 'the model')).action(
    action(ran, (name: string | undefined, values: ModelFlags) => {
      if (!name) throw new UsageError('Say which model: gatehouse models rm llama3.2');
      return withControl(values.dataDir, (control) => control.call('deleteModel', { model: name, ...onHost(values) }), upstreamFlag(values), io).then(() => {
        io.out(`Deleted ${name}.`);
        return 0;
      });
    }),
  );
  return group;
}

export function modelsCommand(argv: string[], io: Output, stdoutIsTty = process.stdout.isTTY === true): Promise<number> {
  const ran = { code: 0 };
  return runCommand(modelsGroup(io, ran, stdoutIsTty), argv, io, ran);
}

/** A pull through the ControlApi (audited as the CLI's), drawn as a bar on a terminal, as lines otherwise. */
async function pullWithProgress(dataDir: string | undefined, model: string, io: Output, stdoutIsTty: boolean, flags: Partial<Settings>, on?: string): Promise<number> {
  const where = on ? { on } : {};
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
    const cancel = () => void control.call('cancelPull', { model, ...where });
    process.once('SIGINT', cancel);
    try {
      await control.call('pullModel', { model, ...where });
      const job = await finished;
      if (stdoutIsTty) process.stdout.write('\n');
      if (job.state === 'cancelled') {
        io.err(`Pull of ${model} cancelled. Ollama keeps what it downloaded and resumes next time.`);
        return 1;
      }
      if (job.state === 'failed') throw new GatehouseError('PULL_FAILED', job.error ?? `Ollama could not pull ${model}.`);
      if (!stdoutIsTty) io.out(`100.0% ${job.progress.status}`);
      io.out(`Pulled ${model}${on ? ` on ${on}` : ''}.`);
      return 0;
    } finally {
      process.removeListener('SIGINT', cancel);
    }
  }, flags, io);
}
