import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface WrkResult {
  requests: number;
  seconds: number;
  rps: number;
  p50us: number;
  p99us: number;
  errors: number;
  non2xx: number;
}

export interface WrkRequest {
  method: 'GET' | 'POST';
  path: string;
  body?: string;
  token?: string;
}

/** wrk's Lua: the request, and a done() that prints exact percentiles as JSON. */
function script(req: WrkRequest): string {
  const headers = [
    req.body ? 'wrk.headers["Content-Type"] = "application/json"' : '',
    req.token ? `wrk.headers["Authorization"] = "Bearer ${req.token}"` : '',
  ].join('\n');
  return `wrk.method = "${req.method}"
${req.body ? `wrk.body = [[${req.body}]]` : ''}
${headers}
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('JSON {"requests":%d,"duration":%d,"p50":%d,"p99":%d,"errors":%d,"non2xx":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
`;
}

/** Runs wrk pinned to `cpu` for `seconds` with `connections` connections on one thread. */
export async function wrk(baseUrl: string, req: WrkRequest, connections: number, seconds: number, cpu: number, dir: string): Promise<WrkResult> {
  const file = join(dir, `req-${Math.random().toString(36).slice(2)}.lua`);
  writeFileSync(file, script(req));
  const { stdout } = await run('taskset', ['-c', String(cpu), 'wrk', '-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '10s', '-s', file, `${baseUrl}${req.path}`], {
    timeout: (seconds + 30) * 1000,
  });
  const line = stdout.split('\n').find((l) => l.startsWith('JSON '));
  if (!line) throw new Error(`wrk printed no result:\n${stdout}`);
  const r = JSON.parse(line.slice(5)) as { requests: number; duration: number; p50: number; p99: number; errors: number; non2xx: number };
  const secs = r.duration / 1e6;
  return { requests: r.requests, seconds: secs, rps: r.requests / secs, p50us: r.p50, p99us: r.p99, errors: r.errors, non2xx: r.non2xx };
}
