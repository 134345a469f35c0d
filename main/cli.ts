import type { Command } from 'commander';
import { adminGroup } from './cli/admin';
import { configGroup } from './cli/config';
import type { Output } from './cli/context';
import { inviteGroup } from './cli/invite';
import { modelsGroup } from './cli/models';
import { ollamaGroup } from './cli/ollama';
import { command, runCommand, type Ran } from './cli/program';
import { serveGroup } from './cli/serve';
import { stateCommands } from './cli/state';
import { tlsGroup } from './cli/tls';
import { webappGroup } from './cli/webapp';
import { tokenGroup } from './cli/token';
import { upstreamsGroup } from './cli/upstreams';
import { auditGroup, usageGroup } from './cli/usage';
import { describeError, GatehouseError, UsageError } from './errors';
// The bundler inlines it, so the installed CLI knows its version without the file beside it.
import { version } from '../package.json';


/** The whole CLI: every command with its options, declared once, each with its own --help. */
export function program(io: Output, ran: Ran): Command {
  const root = command('gatehouse', 'Gatehouse: a safe door to your local Ollama.')
    .version(version, '-v, --version', 'print the version')
    .addHelpText('after', '\nEvery command takes --data-dir DIR. Environment: GATEHOUSE_DATA_DIR, GATEHOUSE_HOST, GATEHOUSE_PORT, GATEHOUSE_UPSTREAM.\nMore on a command: gatehouse <command> --help');
  for (const group of [serveGroup(io, ran), adminGroup(io, ran), inviteGroup(io, ran), tokenGroup(io, ran), ...stateCommands(io, ran), tlsGroup(io, ran), webappGroup(io, ran), configGroup(io, ran), usageGroup(io, ran), auditGroup(io, ran), modelsGroup(io, ran), upstreamsGroup(io, ran), ollamaGroup(io, ran)]) {
    root.addCommand(group);
  }
  return root;
}

/** Runs one command; returns the exit code: 0 done, 1 failed, 2 bad usage. Never exits itself. */
export async function runCli(argv: string[], io: Output): Promise<number> {
  const ran = { code: 0 };
  const cli = program(io, ran);
  try {
    if (argv.length === 0) {
      io.out(cli.helpInformation().trimEnd());
      return 2;
    }
    return await runCommand(cli, argv, io, ran);
  } catch (err) {
    io.err(`gatehouse: ${describeError(err)}`);
    if (err instanceof UsageError) return 2;
    if (!(err instanceof GatehouseError) && process.env.GATEHOUSE_DEBUG) io.err((err as Error).stack ?? '');
    return 1;
  }
}

if (require.main === module) {
  const io: Output = { out: (t) => console.log(t), err: (t) => console.error(t) };
  void runCli(process.argv.slice(2), io).then((code) => {
    process.exitCode = code;
    // serve leaves nothing behind once closed; other commands have nothing pending either.
    if (code !== 0 || process.argv[2] === 'serve') setImmediate(() => process.exit(code));
  });
}
