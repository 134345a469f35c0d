import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export interface BenchServer {
  port: number;
  /** The server's process (taskset execs node, so this is the node process itself). */
  pid: number;
  /** Gateways: their data folder. */
  dataDir?: string;
  token?: string;
  /** Gateways: a second token with model patterns and limits, to price the policy. */
  policyToken?: string;
  /** Process CPU time (user + system) in microseconds so far. */
  cpu(): Promise<number>;
  send(message: unknown): void;
  stop(): Promise<void>;
}

/** Starts a bench-server.ts role in its own process, pinned to one CPU. */
export function startServer(cpu: number, args: string[], nodeFlags: string[] = []): Promise<BenchServer> {
  const child: ChildProcess = spawn('taskset', ['-c', String(cpu), process.execPath, ...nodeFlags, '--import', 'tsx', join(__dirname, 'bench-server.ts'), ...args], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`bench server ${args[0]} exited with ${code}`)));
    child.once('message', (m: { port: number; token?: string; policyToken?: string; dataDir?: string }) => {
      child.removeAllListeners('exit');
      resolve({
        port: m.port,
        pid: child.pid!,
        ...(m.dataDir ? { dataDir: m.dataDir } : {}),
        ...(m.token ? { token: m.token } : {}),
        ...(m.policyToken ? { policyToken: m.policyToken } : {}),
        send: (message) => child.send(message as object),
        cpu: () =>
          new Promise((res) => {
            child.once('message', (r: { cpu: { user: number; system: number } }) => res(r.cpu.user + r.cpu.system));
            child.send({ cmd: 'cpu' });
          }),
        stop: () =>
          new Promise((res) => {
            child.once('exit', () => res());
            child.send({ cmd: 'exit' });
            setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
          }),
      });
    });
  });
}
