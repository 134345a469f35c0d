/**
 * `node --import tsx test/bench/profile.ts [chat|stream]`: the gateway under wrk with --cpu-prof,
 * then the functions with the most self time, grouped by package, for the closing note of a
 * hot-path change. Not part of `npm run bench` (profiling slows what it measures).
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from './servers';
import { wrk } from './wrk';

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount: number }

const where = (url: string) => {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1];
  if (pkg) return pkg;
  if (url.startsWith('node:')) return url;
  const own = /\/(main|test)\/(.+)$/.exec(url);
  return own ? `${own[1]}/${own[2]}` : url || '(native)';
};

async function main(): Promise<void> {
  const kind = process.argv[2] === 'stream' ? 'stream' : 'chat';
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-prof-'));
  const fake = await startServer(1, ['fake']);
  if (kind === 'stream') fake.send({ cmd: 'set', behaviour: { chunks: 200 } });
  const gateway = await startServer(0, ['gateway', `http://127.0.0.1:${fake.port}`, 'plain'], [`--cpu-prof`, `--cpu-prof-dir=${dir}`]);
  const body = kind === 'stream' ? '{"model":"llama3.2","messages":[{"role":"user","content":"hi"}]}' : '{"model":"llama3.2","messages":[{"role":"user","content":"hi"}],"stream":false}';
  const result = await wrk(`http://127.0.0.1:${gateway.port}`, { method: 'POST', path: '/api/chat', body, token: gateway.token! }, 32, 8, 1, dir);
  await gateway.stop();
  await fake.stop();
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))!;
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nodes: Node[]; samples: number[] };
  const total = profile.samples.length;
  const byFunction = new Map<string, number>();
  const byPlace = new Map<string, number>();
  for (const node of profile.nodes) {
    const fn = `${node.callFrame.functionName || '(anonymous)'} ${where(node.callFrame.url)}:${node.callFrame.lineNumber + 1}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + node.hitCount);
    const place = node.callFrame.functionName === '(garbage collector)' ? '(gc)' : node.callFrame.functionName === '(idle)' ? '(idle)' : where(node.callFrame.url);
    byPlace.set(place, (byPlace.get(place) ?? 0) + node.hitCount);
  }
  const pct = (n: number) => `${((100 * n) / total).toFixed(1).padStart(5)} %`;
  console.log(`${kind}: ${result.requests} requests in 8 s; ${total} samples`);
  console.log('\nSelf time by place:');
  for (const [place, n] of [...byPlace].sort((a, b) => b[1] - a[1]).slice(0, 18)) console.log(`  ${pct(n)}  ${place}`);
  console.log('\nSelf time by function:');
  for (const [fn, n] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${pct(n)}  ${fn}`);
}

void main();
