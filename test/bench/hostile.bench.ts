/**
 * The gateway under hostile load, measured from outside its process: resident memory (peak and
 * after) and how long /healthz takes meanwhile, for each attack the resilience issue names. Run
 * against any version of Gatehouse to compare (the server is the bench-server gateway role).
 * Bounded: each scenario stops by itself within a few seconds; loopback only.
 */
import { spawn } from 'node:child_process';
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { startServer, type BenchServer } from './servers';

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });

function send(port: number, path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}) {
  return new Promise<{ status: number; bytes: number; ms: number }>((resolve) => {
    const started = performance.now();
    const body = options.body;
    const req = http.request({ host: '127.0.0.1', port, path, agent, method: options.method ?? (body ? 'POST' : 'GET'), headers: { ...(body ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) } : {}), ...options.headers } }, (res) => {
      let bytes = 0;
      res.on('data', (c: Buffer) => (bytes += c.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, ms: performance.now() - started }));
    });
    req.on('error', () => resolve({ status: 0, bytes: 0, ms: performance.now() - started }));
    req.end(body);
  });
}

/** Runs `attack` while sampling the server's memory and /healthz every 50 ms. */
async function during(server: BenchServer, name: string, attack: () => Promise<string>) {
  const before = rssMb(server.pid);
  let peak = before;
  const health: number[] = [];
  let running = true;
  const sampler = (async () => {
    while (running) {
      peak = Math.max(peak, rssMb(server.pid));
      health.push((await send(server.port, '/healthz')).ms);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const note = await attack();
  running = false;
  await sampler;
  await new Promise((r) => setTimeout(r, 2000));
  const sorted = [...health].sort((a, b) => a - b);
  console.log(`${name.padEnd(44)} RSS ${before.toFixed(0)} → peak ${peak.toFixed(0)} → ${rssMb(server.pid).toFixed(0)} MB; /healthz p50 ${sorted[Math.floor(sorted.length / 2)]?.toFixed(1)} ms, max ${sorted.at(-1)?.toFixed(0)} ms; ${note}`);
}

async function main(): Promise<void> {
  const fake = await startServer(1, ['fake']);
  const server = await startServer(0, ['gateway', `http://127.0.0.1:${fake.port}`, 'plain']);
  const auth = { authorization: `Bearer ${server.policyToken}` };
  try {
    const row = '[[1,2,[3,[4,[5]]]],[6,7]],';
    const big = `{"model":"qwen2.5:72b","messages":[${row.repeat(Math.floor((32 * 1024 * 1024 - 100) / row.length)).slice(0, -1)}]}`;
    await during(server, 'four 32 MiB nested bodies at once', async () => {
      const res = await Promise.all(Array.from({ length: 4 }, () => send(server.port, '/api/chat', { headers: auth, body: big })));
      return `statuses ${res.map((r) => r.status).join(',')}`;
    });
    await during(server, '10,000 invented model names, then a scrape', async () => {
      for (let i = 0; i < 10_000; i += 32) await Promise.all(Array.from({ length: 32 }, (_, j) => send(server.port, '/api/show', { headers: auth, body: JSON.stringify({ model: `qwen-invented-${i + j}` }) })));
      const scrape = await send(server.port, '/metrics', { headers: { authorization: `Bearer ${server.token}` } });
      return `/metrics ${(scrape.bytes / 1024).toFixed(1)} KB in ${scrape.ms.toFixed(0)} ms`;
    });
    await during(server, '5,000 requests with a foreign Host', async () => {
      for (let i = 0; i < 5000; i += 50) await Promise.all(Array.from({ length: 50 }, () => send(server.port, '/admin/api/getOverview', { body: '{}', headers: { host: 'evil.example' } })));
      await new Promise((r) => setTimeout(r, 1500));
      const db = new Database(join(server.dataDir!, 'gatehouse.db'), { readonly: true });
      const n = (db.prepare('SELECT count(*) AS n FROM security_events').get() as { n: number }).n;
      db.close();
      return `${n} security rows`;
    });
    await during(server, '500 slowloris connections for 13 s', async () => {
      const sockets = Array.from({ length: 500 }, () => connect({ host: '127.0.0.1', port: server.port }, function (this: ReturnType<typeof connect>) { this.write('POST /api/chat HTTP/1.1\r\nHost: localhost\r\n'); }));
      for (const s of sockets) s.on('error', () => {}).on('data', () => {});
      await new Promise((r) => setTimeout(r, 3000));
      const at3 = sockets.filter((s) => !s.destroyed).length;
      await new Promise((r) => setTimeout(r, 10_000));
      const open = sockets.filter((s) => !s.destroyed).length;
      for (const s of sockets) s.destroy();
      return `${at3} open after 3 s, ${open} after 13 s`;
    });
    await during(server, 'database locked by another program for 5 s', async () => {
      const holder = spawn(process.execPath, ['-e', `const db=require('better-sqlite3')(${JSON.stringify(join(server.dataDir!, 'gatehouse.db'))});db.exec('BEGIN IMMEDIATE');db.prepare("INSERT INTO settings (key,value,updated_at) VALUES ('lock','1',0) ON CONFLICT DO NOTHING").run();setTimeout(()=>{db.exec('COMMIT');process.exit(0)},5000)`], { stdio: 'ignore' });
      const times: number[] = [];
      const started = Date.now();
      while (Date.now() - started < 6000) {
        times.push((await send(server.port, '/api/tags', { headers: auth })).ms);
        await new Promise((r) => setTimeout(r, 200));
      }
      holder.kill();
      return `/api/tags max ${Math.max(...times).toFixed(0)} ms; server ${(await send(server.port, '/healthz')).status === 200 ? 'alive' : 'DEAD'}`;
    });
  } finally {
    agent.destroy();
    await Promise.allSettled([server.stop(), fake.stop()]);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
