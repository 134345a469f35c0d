import { Command, CommanderError, Option } from 'commander';
import { UsageError } from '../errors';
import type { Output } from './context';

/** The exit code a command's action reports (0 done, 1 failed); usage errors are thrown instead. */
export interface Ran {
  code: number;
}

/** A command (or group) of the gatehouse CLI; every leaf takes --data-dir. */
export function command(name: string, summary: string): Command {
  return new Command(name).description(summary).helpOption('-h, --help', 'show this help').allowExcessArguments(false);
}

export const dataDirOption = () => new Option('--data-dir <dir>', 'where Gatehouse keeps its data (default: GATEHOUSE_DATA_DIR, else the per-user folder)');

/** Wraps an action so its exit code reaches the caller. */
export function action<A extends unknown[]>(ran: Ran, run: (...args: A) => Promise<number> | number): (...args: A) => Promise<void> {
  return async (...args: A) => {
    ran.code = await run(...args);
  };
}

/** The full name of a command, for "see gatehouse token create --help". */
function pathOf(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * Output to our streams; errors are thrown (never process.exit), with the command that raised them.
 * Commander writes only help to writeErr (a group called without a command), and help goes to stdout.
 */
function configure(cmd: Command, io: Output): void {
  cmd
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.out(s.trimEnd()), outputError: () => undefined })
    .showSuggestionAfterError(true)
    .exitOverride((err) => {
      throw Object.assign(err, { command: cmd });
    });
  for (const sub of cmd.commands) configure(sub, io);
}

/**
 * Parses `argv` for `cmd` and runs the action it names. --help and --version answer with 0; a
 * mistake (an unknown option or command, a missing value) prints the command's help and throws a
 * UsageError of one line that names the nearest option, so the CLI exits 2.
 */
export async function runCommand(cmd: Command, argv: string[], io: Output, ran: Ran): Promise<number> {
  configure(cmd, io);
  try {
    await cmd.parseAsync(argv, { from: 'user' });
    return ran.code;
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    if (err.exitCode === 0) return 0;
    const failing = (err as CommanderError & { command?: Command }).command ?? cmd;
    if (err.code === 'commander.help') {
      // A group called without a subcommand: its help (printed), then one line to say so.
      throw new UsageError(`Say what to do: ${pathOf(failing)} <command>. See: ${pathOf(failing)} --help`);
    }
    if (err.code === 'commander.unknownOption' || err.code === 'commander.unknownCommand') io.out(failing.helpInformation().trimEnd());
    const sentence = err.message.replace(/^error: /, '').replace(/\s*\n\s*/g, ' ').replace(/\(Did you mean/, '(did you mean');
    throw new UsageError(`${sentence.charAt(0).toUpperCase()}${sentence.slice(1)}. See: ${pathOf(failing)} --help`);
  }
}
