/**
 * Gateway cost, side by side in one run: the fake Ollama directly, then through Gatehouse without
 * TLS (the gateway's own cost) and with TLS (what clients get). For each workload and for 1 and 32
 * connections: requests/s, p50/p99 latency and the server process's CPU time per request.
 *
 * Reference rows calibrate the numbers on this machine: a naive Node proxy, the bare stack (fastify
 * + @fastify/http-proxy, no checks), and nginx with a static bearer check when nginx is installed
 * (apt-get install nginx-light).
 * BENCH_SECONDS sets the length of each measurement, BENCH_ROUNDS how many interleaved rounds
 * (the median is reported), BENCH_TARGETS and BENCH_WORKLOADS (name prefixes) pick what to run;
 * BENCH_PROFILE=DIR profiles the gateways.
 *
 * Two cores: the server under test gets CPU 0 to itself; wrk (one thread) and, behind a gateway,
 * the fake upstream share CPU 1. Bounded: BENCH_SECONDS per measurement (default 4).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startNginx } from './nginx';
import { startServer, type BenchServer } from './servers';
import { wrk, type WrkRequest, type WrkResult } from './wrk';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
/** Rounds over all targets; each row reports the round with the median throughput (2 cores are noisy). */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = [1, 32];

interface Workload {
  name: string;
  request: Omit<WrkRequest, 'token'>;
  chunks: number;
}

const WORKLOADS: Workload[] = [
  { name: 'chat (small, non-streaming)', chunks: 5, request: { method: 'POST', path: '/api/chat', body: '{"model":"llama3.2","messages":[{"role":"user","content":"hi"}],"stream":false}' } },
  { name: 'GET /api/tags', chunks: 5, request: { method: 'GET', path: '/api/tags' } },
  { name: 'chat stream, 200 chunks', chunks: 200, request: { method: 'POST', path: '/api/chat', body: '{"model":"llama3.2","messages":[{"role":"user","content":"hi"}]}' } },
];

interface Target {
  name: string;
  url: string;
  server: BenchServer;
  token?: string;
  wrkCpu: number;
}

interface Row {
  workload: string;
  connections: number;
  target: string;
  result: WrkResult;
  cpuUsPerRequest: number;
}

async function measure(target: Target, workload: Workload, connections: number, dir: string): Promise<Row> {
  const request = { ...workload.request, ...(target.token ? { token: target.token } : {}) };
  const before = await target.server.cpu();
  const result = await wrk(target.url, request, connections, SECONDS, target.wrkCpu, dir);
  const after = await target.server.cpu();
  if (result.errors || result.non2xx) throw new Error(`${target.name} ${workload.name}: ${result.errors} errors, ${result.non2xx} non-2xx`);
  return { workload: workload.name, connections, target: target.name, result, cpuUsPerRequest: (after - before) / result.requests };
}

function median(samples: Row[]): Row {
  const sorted = [...samples].sort((a, b) => a.result.rps - b.result.rps);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function print(rows: Row[]): void {
  const pad = (s: string | number, n: number) => String(s).padStart(n);
  console.log(`\n${'workload'.padEnd(30)} ${'conns'.padStart(5)} ${'target'.padEnd(17)} ${pad('req/s', 9)} ${pad('p50 ms', 8)} ${pad('p99 ms', 8)} ${pad('CPU µs/req', 11)}  vs direct`);
  for (const row of rows) {
    const direct = rows.find((r) => r.workload === row.workload && r.connections === row.connections && r.target === 'direct');
    const ratio =
      row.target === 'direct' || !direct
        ? ''
        : `${((row.result.rps / direct.result.rps) * 100).toFixed(0)}% req/s, p50 ${row.result.p50us - direct.result.p50us >= 0 ? '+' : ''}${((row.result.p50us - direct.result.p50us) / 1000).toFixed(3)} ms`;
    console.log(
      `${row.workload.padEnd(30)} ${pad(row.connections, 5)} ${row.target.padEnd(17)} ${pad(row.result.rps.toFixed(0), 9)} ${pad((row.result.p50us / 1000).toFixed(3), 8)} ${pad((row.result.p99us / 1000).toFixed(3), 8)} ${pad(row.cpuUsPerRequest.toFixed(1), 11)}  ${ratio}`,
    );
  }
}

async function main(): Promise<void> {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new Error('npm run bench needs wrk: apt-get install -y wrk');
  }
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
  const fake = await startServer(1, ['fake']);
  const upstream = `http://127.0.0.1:${fake.port}`;
  // BENCH_PROFILE=DIR writes V8 CPU profiles of the gateways there (open them in Chrome DevTools).
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
  const plain = await startServer(0, ['gateway', upstream, 'plain'], profile);
  const tls = await startServer(0, ['gateway', upstream, 'tls'], profile);
  const unmetered = await startServer(0, ['gateway', upstream, 'plain', 'unmetered'], profile);
  const secondFake = await startServer(1, ['fake']);
  const twoHosts = await startServer(0, ['gateway', upstream, 'plain', 'two-hosts', `http://127.0.0.1:${secondFake.port}`], profile);
  const naive = await startServer(0, ['naive', upstream]);
  const floor = await startServer(0, ['floor', upstream]);
  const nginx = await startNginx(fake.port, 0, dir);
  const allTargets: Target[] = [
    { name: 'direct', url: upstream, server: fake, wrkCpu: 0 },
    ...(nginx ? [{ name: 'nginx+bearer', url: `http://127.0.0.1:${nginx.port}`, server: nginx, token: nginx.token!, wrkCpu: 1 }] : []),
    { name: 'naive Node', url: `http://127.0.0.1:${naive.port}`, server: naive, token: naive.token!, wrkCpu: 1 },
    { name: 'stack floor', url: `http://127.0.0.1:${floor.port}`, server: floor, wrkCpu: 1 },
    { name: 'gateway', url: `http://127.0.0.1:${plain.port}`, server: plain, token: plain.token!, wrkCpu: 1 },
    { name: 'gateway 2 hosts', url: `http://127.0.0.1:${twoHosts.port}`, server: twoHosts, token: twoHosts.token!, wrkCpu: 1 },
    { name: 'gateway unmetered', url: `http://127.0.0.1:${unmetered.port}`, server: unmetered, token: unmetered.token!, wrkCpu: 1 },
    { name: 'gateway+policy', url: `http://127.0.0.1:${plain.port}`, server: plain, token: plain.policyToken!, wrkCpu: 1 },
    { name: 'gateway+TLS', url: `https://127.0.0.1:${tls.port}`, server: tls, token: tls.token!, wrkCpu: 1 },
  ];
  // BENCH_TARGETS=direct,gateway,… measures only those (for quick comparisons while optimising).
  const only = process.env.BENCH_TARGETS?.split(',');
  const targets = allTargets.filter((t) => !only || only.includes(t.name));
  console.log(`Gatehouse gateway benchmark: ${SECONDS} s per measurement, median of ${ROUNDS} rounds, wrk 1 thread, server under test pinned to CPU 0.`);
  const rows: Row[] = [];
  try {
    for (const workload of WORKLOADS.filter((w) => !process.env.BENCH_WORKLOADS || process.env.BENCH_WORKLOADS.split(',').some((name) => w.name.startsWith(name)))) {
      for (const f of [fake, secondFake]) f.send({ cmd: 'set', behaviour: { chunks: workload.chunks, chunkDelayMs: 0 } });
      for (const target of targets) {
        await wrk(target.url, { ...workload.request, ...(target.token ? { token: target.token } : {}) }, 8, 1, target.wrkCpu, dir); // warm-up
      }
      for (const connections of CONNECTIONS) {
        const samples = new Map<Target, Row[]>(targets.map((t) => [t, []]));
        for (let round = 0; round < ROUNDS; round++) {
          for (const target of targets) samples.get(target)!.push(await measure(target, workload, connections, dir));
        }
        for (const target of targets) rows.push(median(samples.get(target)!));
      }
    }
  } finally {
    await Promise.all([fake.stop(), secondFake.stop(), twoHosts.stop(), plain.stop(), tls.stop(), unmetered.stop(), naive.stop(), floor.stop(), nginx?.stop()]);
  }
  print(rows);
  const at32 = (target: string, workload: string) => rows.find((r) => r.target === target && r.workload === workload && r.connections === 32);
  /** What `target` costs over `baseline`, per workload, at 32 connections. */
  const cost = (title: string, target: string, baseline: string) => {
    console.log(`\n${title} (no TLS, 32 connections):`);
    for (const w of WORKLOADS) {
      const a = at32(target, w.name);
      const b = at32(baseline, w.name);
      if (!a || !b) continue;
      console.log(`  ${w.name.padEnd(28)} throughput ${((a.result.rps / b.result.rps - 1) * 100).toFixed(1)}%, CPU ${(a.cpuUsPerRequest - b.cpuUsPerRequest).toFixed(1)} µs/request`);
    }
  };
  cost('Policy cost (model patterns + limits vs auth alone)', 'gateway+policy', 'gateway');
  cost('Metering cost (usage reading + request rows vs metering off)', 'gateway', 'gateway unmetered');
  cost('Routing cost (two Ollama hosts with the same models vs one; lists are merged from both)', 'gateway 2 hosts', 'gateway');
  console.log('\nCPU per request at 32 connections (µs), gateway without TLS vs the references:');
  for (const w of WORKLOADS) {
    const refs = ['gateway', 'stack floor', 'naive Node', 'nginx+bearer'].map((t) => [t, at32(t, w.name)] as const).filter(([, r]) => r);
    console.log(`  ${w.name.padEnd(28)} ${refs.map(([t, r]) => `${t} ${r!.cpuUsPerRequest.toFixed(1)}`).join(', ')}`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
