/**
 * One server of the benchmark, in its own process so its CPU time can be measured alone:
 *   fake     the fake Ollama (record off)
 *   gateway  Gatehouse's core in front of it, with a token
 *   naive    a naive Node proxy with a static bearer check: the yardstick for "what Node costs"
 *   floor    fastify + @fastify/http-proxy forwarding everything, no checks: the chosen stack's floor
 * It reports {ready, port, token} over IPC, answers {cmd:'cpu'} with process.cpuUsage(),
 * and {cmd:'set', behaviour} (fake only) changes how the fake answers.
 */
import { createCore } from '../../main/core';
import { silentLogger } from '../../main/log';
import { startFakeOllama, type FakeBehaviour } from '../fixtures/fake-ollama';
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import httpProxy from '@fastify/http-proxy';
import Fastify from 'fastify';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const NAIVE_TOKEN = 'naive-static-token';

/** About what a hand-rolled Node proxy looks like: keep-alive agent, header copy, pipes both ways. */
function startNaiveProxy(upstream: string) {
  const target = new URL(upstream);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
  return http.createServer((req, res) => {
    if (req.headers.authorization !== `Bearer ${NAIVE_TOKEN}`) {
      res.writeHead(401).end();
      return;
    }
    const { authorization: _a, ...headers } = req.headers;
    const out = http.request({ host: target.hostname, port: target.port, path: req.url, method: req.method, headers: { ...headers, host: target.host }, agent }, (upstreamRes) => {
      res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
      upstreamRes.pipe(res);
    });
    out.on('error', () => res.writeHead(502).end());
    req.pipe(out);
  });
}

type Message = { cmd: 'cpu' } | { cmd: 'set'; behaviour: Partial<FakeBehaviour> } | { cmd: 'exit' };

async function main(): Promise<void> {
  const [role, upstream, tlsFlag] = process.argv.slice(2);
  const send = (m: unknown) => process.send?.(m);
  let onSet: (b: Partial<FakeBehaviour>) => void = () => {};
  let close: () => Promise<void> = async () => {};

  if (role === 'fake') {
    const fake = await startFakeOllama({ record: false });
    onSet = (b) => Object.assign(fake.behaviour, b);
    close = () => fake.close();
    send({ ready: true, port: fake.port });
  } else if (role === 'floor') {
    const app = Fastify({ logger: false });
    await app.register(httpProxy, { upstream: upstream ?? '', undici: { connections: 128 } });
    await app.listen({ host: '127.0.0.1', port: 0 });
    close = () => app.close();
    send({ ready: true, port: (app.server.address() as AddressInfo).port });
  } else if (role === 'naive') {
    const server = startNaiveProxy(upstream ?? '');
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    close = () => new Promise((r) => server.close(() => r()));
    send({ ready: true, port: (server.address() as AddressInfo).port, token: NAIVE_TOKEN });
  } else {
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'));
    const core = await createCore({
      dataDir,
      tls: tlsFlag === 'tls',
      log: silentLogger,
      // The fake serves every connection at once: slots enough for all 32, so the scheduler is in
      // the path on its fast path (a slot free), which is what the throughput numbers should include.
      overrides: { host: '127.0.0.1', port: 0, upstream: upstream ?? '', upstreamSlots: 64 },
    });
    if (process.argv[5] === 'unmetered') core.store.setSetting('usageMetering', false, 'system');
    // A second Ollama host with the same models: every request is routed between the two.
    if (process.argv[5] === 'two-hosts') await core.control.call('addUpstream', { url: process.argv[6], name: 'second', slots: 64, insecure: true }, 'system');
    const { token } = core.tokens.create({ name: 'bench' });
    // The same requests under a typical policy: patterns to match, limits to count (never reached).
    const policy = core.tokens.create({
      name: 'bench-policy',
      allowModels: ['llama*', 'qwen*', 'nomic*'],
      denyModels: ['qwen2.5:72b', 'llama3.3*'],
      rpm: 1_000_000,
      concurrency: 1000,
    }).token;
    const info = await core.listen();
    close = () => core.close();
    send({ ready: true, port: info.port, token, policyToken: policy, dataDir });
  }

  process.on('message', (m: Message) => {
    if (m.cmd === 'cpu') send({ cpu: process.cpuUsage() });
    else if (m.cmd === 'set') onSet(m.behaviour);
    else void close().then(() => process.exit(0));
  });
}

void main();
