/**
 * Fair sharing of one GPU, measured (not a timed test): a fake Ollama that runs K generations at
 * a time (each about 300 ms, its tokens streamed evenly) and queues the rest first come, first
 * served, as Ollama does. Token "batch" keeps 40 requests in flight; "alice" sends 10 chats one
 * after another. Reported for direct-to-Ollama, the gateway with its scheduler off, and on:
 * alice's time to first byte (p50, p95), the fake's busy fraction, and whether batch finished.
 * Bounded: each setup runs until alice is done (at most BENCH_FAIR_SECONDS, default 60).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { createCore } from '../../main/core';
import { silentLogger } from '../../main/log';
import { percentile } from '../../main/metering/histogram';
import { startFakeOllama } from '../fixtures/fake-ollama';

const K = Number(process.env.BENCH_FAIR_SLOTS ?? 4);
const CHUNKS = 10;
const CHUNK_MS = 30;
const SERVICE_MS = CHUNKS * CHUNK_MS;
const LIMIT_MS = Number(process.env.BENCH_FAIR_SECONDS ?? 60) * 1000;
const body = JSON.stringify({ model: 'llama3.2', messages: [{ role: 'user', content: 'hi' }] });

/** One streamed chat; resolves with its time to first byte, and when it is finished. */
async function chat(url: string, token: string | null): Promise<number> {
  const started = performance.now();
  const res = await request(`${url}/api/chat`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) } });
  let first = 0;
  for await (const _chunk of res.body) if (!first) first = performance.now() - started;
  return first;
}

async function scenario(name: string, url: string, tokens: { batch: string | null; alice: string | null }, fake: { busyMs(): number }) {
  const deadline = performance.now() + LIMIT_MS;
  let batchDone = 0;
  let stop = false;
  const batchLoop = async () => {
    while (!stop && performance.now() < deadline) {
      await chat(url, tokens.batch);
      batchDone++;
    }
  };
  const busyBefore = fake.busyMs();
  const started = performance.now();
  const batch = Array.from({ length: 40 }, batchLoop);
  await sleep(SERVICE_MS * 2); // the queue fills first
  const ttfb: number[] = [];
  for (let i = 0; i < 10 && performance.now() < deadline; i++) ttfb.push(await chat(url, tokens.alice));
  const elapsed = performance.now() - started;
  const busy = (fake.busyMs() - busyBefore) / (K * elapsed);
  stop = true;
  await Promise.all(batch);
  const sorted = [...ttfb].sort((a, b) => a - b);
  console.log(`${name.padEnd(28)} alice TTFB p50 ${(percentile(sorted, 0.5) ?? NaN).toFixed(0).padStart(5)} ms, p95 ${(percentile(sorted, 0.95) ?? NaN).toFixed(0).padStart(5)} ms (${(percentile(sorted, 0.5)! / SERVICE_MS).toFixed(2)} service times); busy ${(busy * 100).toFixed(1)} %; batch finished ${batchDone} requests, all 40 loops ended`);
  return { busy, p50: percentile(sorted, 0.5)! };
}

async function main(): Promise<void> {
  const fake = await startFakeOllama({ record: false, chunks: CHUNKS, chunkDelayMs: CHUNK_MS, slots: K });
  console.log(`Fair sharing: ${K} slots, ${SERVICE_MS} ms per generation; batch keeps 40 in flight, alice sends 10 one after another.`);
  const direct = await scenario('direct to Ollama (FIFO)', fake.url, { batch: null, alice: null }, fake);
  for (const slots of [0, K]) {
    const core = await createCore({ dataDir: mkdtempSync(join(tmpdir(), 'gatehouse-fair-')), tls: false, log: silentLogger, controlSocket: false, overrides: { host: '127.0.0.1', port: 0, upstream: fake.url } });
    core.store.setSetting('upstreamSlots', slots, 'system');
    const info = await core.listen();
    const tokens = { batch: core.tokens.create({ name: 'batch', queue: 64 }).token, alice: core.tokens.create({ name: 'alice' }).token };
    await sleep(300);
    const run = await scenario(slots ? `gateway, scheduler on (${slots})` : 'gateway, scheduler off', `http://127.0.0.1:${info.port}`, tokens, fake);
    if (slots) console.log(`  vs direct: busy fraction ${((run.busy / direct.busy) * 100).toFixed(1)} % of direct; alice p50 ${(direct.p50 / run.p50).toFixed(1)}× sooner`);
    await core.close();
  }
  await fake.close();
}

void main();
