import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli } from '../../main/cli';
import { tempDir } from '../helpers';

/** Runs the CLI in this process, capturing what it prints. */
async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

describe('the CLI helps', () => {
  const dataDir = tempDir();

  it('answers --help on every command and subcommand with its own options, exit 0', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--help'], /Usage: gatehouse \[options\] \[command\][\s\S]*token/],
      [['token', 'create', '--help'], /Usage: gatehouse token create[\s\S]*--name <name>[\s\S]*--rpm <n>/],
      [['token', 'update', '--help'], /--no-metrics/],
      [['invite', 'create', '--help'], /--name <name>[\s\S]*--models <patterns>[\s\S]*--endpoint <url>/],
      [['serve', '--help'], /--no-supervise/],
      [['models', 'pull', '--help'], /--upstream <url>/],
      [['admin', 'sessions', '--help'], /--revoke-all/],
      [['help', 'usage'], /--by <what>/],
    ];
    for (const [argv, shows] of cases) {
      const res = await cli(...argv);
      assert.equal(res.code, 0, argv.join(' '));
      assert.match(res.stdout, shows, argv.join(' '));
      assert.equal(res.stderr, '');
    }
  });

  it('prints its version', async () => {
    const res = await cli('--version');
    assert.equal(res.code, 0);
    assert.match(res.stdout, /^\d+\.\d+\.\d+/);
  });

  it('answers a mistyped option with the nearest one, the command\'s usage, and exit 2', async () => {
    const res = await cli('token', 'create', '--nme', 'x', '--data-dir', dataDir);
    assert.equal(res.code, 2);
    assert.equal(res.stderr, "gatehouse: Unknown option '--nme' (did you mean --name?). See: gatehouse token create --help");
    assert.match(res.stdout, /Usage: gatehouse token create/);
  });

  it('suggests the nearest command, and shows a group\'s commands when none is given', async () => {
    const typo = await cli('token', 'crate');
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /did you mean create\?/);
    const bare = await cli('invite');
    assert.equal(bare.code, 2);
    assert.match(bare.stdout, /create[\s\S]*list[\s\S]*revoke/);
    assert.equal(bare.stderr.split('\n').length, 1);
  });

  it('refuses an extra argument instead of ignoring it', async () => {
    const res = await cli('token', 'revoke', 'a', 'b', '--data-dir', dataDir);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /too many arguments/i);
  });
});
