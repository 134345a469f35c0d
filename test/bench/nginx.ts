import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { BenchServer } from './servers';

export const NGINX_TOKEN = 'nginx-static-token';

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });

/** CPU time of a process in microseconds, from /proc (10 ms ticks: fine over thousands of requests). */
function procCpu(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}

/**
 * nginx with one worker and a static bearer check in front of the same upstream, when nginx is
 * installed: the reference the targets were set against. Returns undefined without nginx.
 */
export async function startNginx(upstreamPort: number, cpu: number, dir: string): Promise<BenchServer | undefined> {
  if (spawnSync('nginx', ['-v']).error) return undefined;
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `worker_processes 1; daemon off; pid ${dir}/nginx.pid; error_log ${dir}/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}; proxy_temp_path ${dir}; fastcgi_temp_path ${dir}; uwsgi_temp_path ${dir}; scgi_temp_path ${dir};
  upstream ollama { server 127.0.0.1:${upstreamPort}; keepalive 64; }
  server {
    listen 127.0.0.1:${port};
    location / {
      if ($http_authorization != "Bearer ${NGINX_TOKEN}") { return 401; }
      proxy_pass http://ollama; proxy_http_version 1.1; proxy_buffering off;
      proxy_set_header Connection ""; proxy_set_header Host localhost:11434; proxy_set_header Authorization "";
    }
  }
}
`,
  );
  const master = spawn('taskset', ['-c', String(cpu), 'nginx', '-c', conf], { stdio: 'ignore' });
  let worker: number | undefined;
  for (let i = 0; i < 50 && !worker; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const out = spawnSync('pgrep', ['-P', String(master.pid)]).stdout.toString().trim();
    if (out) worker = Number(out.split('\n')[0]);
  }
  if (!worker) {
    master.kill('SIGKILL');
    return undefined;
  }
  const workerPid = worker;
  return {
    port,
    token: NGINX_TOKEN,
    pid: workerPid,
    cpu: () => Promise.resolve(procCpu(workerPid)),
    send: () => {},
    stop: () =>
      new Promise((resolve) => {
        master.once('exit', () => resolve());
        master.kill('SIGQUIT');
      }),
  };
}
