import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after } from 'node:test';

export interface ServeProcess {
  /** https://HOST:PORT */
  url: string;
  port: number;
  /** The one-time dashboard link `gatehouse serve` printed. */
  adminLink: string;
  output: () => string;
  child: ChildProcess;
}

const CLI = join(__dirname, '..', '..', 'out', 'cli', 'gatehouse.js');

/** Runs the built `gatehouse serve` as a real process (on 127.0.0.1 unless told) and waits for its banner. */
export async function startServe(dataDir: string, upstream: string, host = '127.0.0.1'): Promise<ServeProcess> {
  const child = spawn(process.execPath, [CLI, 'serve', '--host', host, '--port', '0', '--upstream', upstream, '--no-supervise', '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  after(async () => {
    if (child.exitCode !== null) return;
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  });
  const started = Date.now();
  while (!/\/admin\/#login=\S+/.test(out)) {
    if (child.exitCode !== null) throw new Error(`gatehouse serve exited:\n${out}`);
    if (Date.now() - started > 20_000) throw new Error(`gatehouse serve did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const url = new RegExp(`https://${host.replace(/\./g, '\\.')}:\\d+`).exec(out)![0];
  return { url, port: Number(new URL(url).port), adminLink: /https:\/\/[^/\s]+\/admin\/#login=\S+/.exec(out)![0], output: () => out, child };
}

export function runCli(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`gatehouse ${args.join(' ')} exited ${code}: ${out}`))));
  });
}
