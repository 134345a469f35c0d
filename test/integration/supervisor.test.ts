import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, describe, it } from 'node:test';
import { createCore } from '../../main/core';
import { silentLogger } from '../../main/log';
import type { OllamaInstall } from '../../main/ollama/install';
import type { OllamaStatus } from '../../main/ollama/status';
import { OllamaSupervisor, type SupervisorOptions } from '../../main/ollama/supervisor';
import { startFakeOllama } from '../fixtures/fake-ollama';
import { installFakeOllama, type FakeOllamaInstall } from '../fixtures/fake-ollama-install';
import { call, eventually, freePort, processAlive, tempDir } from '../helpers';

const FAST = { initialMs: 100, maxMs: 400, healthyResetMs: 60_000, maxFailures: 4 };

/** A supervisor over the fake `ollama` executable on a free loopback port, closed after the file. */
async function supervise(fakeBin: FakeOllamaInstall | null, options: Partial<SupervisorOptions> = {}) {
  const port = await freePort();
  const upstream = `http://127.0.0.1:${port}`;
  const install: OllamaInstall = { binary: fakeBin?.binary ?? null, app: null, systemService: false };
  const events: OllamaStatus[] = [];
  const supervisor = new OllamaSupervisor({
    upstream: () => upstream,
    platform: 'linux',
    detect: () => install,
    processes: () => Promise.resolve([]),
    serviceActive: () => Promise.resolve(false),
    lanAddresses: () => [],
    backoff: FAST,
    healthIntervalMs: 50,
    exposureIntervalMs: 60_000,
    startTimeoutMs: 5000,
    stopGraceMs: 500,
    log: silentLogger,
    ...options,
  });
  supervisor.subscribe((s) => events.push(s));
  after(() => supervisor.close());
  return { supervisor, port, upstream, events, install };
}

const running = (s: OllamaSupervisor) => () => s.status().state === 'running';

describe('Ollama supervisor, with a fake ollama executable run as a real process', () => {
  it('starts ollama serve bound to loopback only, even when the user environment says 0.0.0.0', async () => {
    const bin = installFakeOllama(tempDir());
    const { supervisor, port } = await supervise(bin, { env: { ...process.env, OLLAMA_HOST: '0.0.0.0:11434', OLLAMA_ORIGINS: '*', OLLAMA_MODELS: '/models' } });
    await supervisor.start();
    await eventually(running(supervisor), 5000, 'the child to answer');
    const [start] = bin.starts();
    assert.equal(start?.ollamaHost, `127.0.0.1:${port}`);
    assert.equal(start?.ollamaOrigins, null);
    assert.deepEqual(start?.args, ['serve']);
    const status = supervisor.status();
    assert.equal(status.owner, 'gatehouse');
    assert.equal(status.adopted, false);
    assert.equal(status.version, '0.12.6');
    assert.equal(status.pid, start?.pid);
    assert.match(status.message, /kept running by Gatehouse/);
    assert.ok(supervisor.logs().some((l) => l.includes(`Listening on 127.0.0.1:${port}`)), 'the child log is kept');
  });

  it('adopts an Ollama that already answers and starts nothing', async () => {
    const bin = installFakeOllama(tempDir());
    const { supervisor, port } = await supervise(bin);
    const running = await startFakeOllama({ port });
    after(() => running.close());
    const status = await supervisor.start();
    assert.equal(status.state, 'running');
    assert.equal(status.adopted, true);
    assert.equal(status.owner, 'unknown');
    assert.equal(bin.starts().length, 0);
    await assert.rejects(supervisor.stopOllama(), /started by another program, so Gatehouse leaves it running/);
  });

  it('restarts a crashing child with growing delays, then gives up and says so; Start tries again', async () => {
    const bin = installFakeOllama(tempDir(), { mode: 'crash', crashAfterMs: 150 });
    const { supervisor, events } = await supervise(bin);
    await supervisor.start();
    await eventually(() => supervisor.status().state === 'gave-up', 10_000, 'the supervisor to give up');
    const backoffs = events.filter((e) => e.state === 'backing-off');
    assert.deepEqual(backoffs.map((e) => e.failures), [1, 2, 3]);
    const waits = backoffs.map((e) => e.retryAt! - e.since);
    assert.deepEqual(waits.map((w) => Math.round(w / 100) * 100), [100, 200, 400]);
    const starts = bin.starts();
    assert.equal(starts.length, 4);
    const gaps = starts.slice(1).map((s, i) => s.at - starts[i]!.at);
    assert.ok(gaps[0]! < gaps[1]! && gaps[1]! < gaps[2]!, `gaps between starts grow: ${gaps.join(', ')}`);
    assert.match(supervisor.status().message, /stopped 4 times in a row/);
    assert.match(supervisor.status().fix ?? '', /Ollama log/);

    bin.control({ mode: 'serve' });
    await supervisor.startOllama();
    await eventually(running(supervisor), 5000, 'a fresh start after giving up');
    assert.equal(bin.starts().length, 5);
  });

  it('stops the child and the model runner it started, leaving no orphan', async () => {
    const bin = installFakeOllama(tempDir(), { mode: 'serve', runner: true });
    const { supervisor, upstream } = await supervise(bin);
    await supervisor.start();
    await eventually(running(supervisor), 5000, 'the child to answer');
    const { pid, runnerPid } = bin.starts()[0]!;
    assert.ok(processAlive(pid) && processAlive(runnerPid!));
    const status = await supervisor.stopOllama();
    assert.equal(status.state, 'stopped');
    await eventually(() => !processAlive(pid) && !processAlive(runnerPid!), 3000, 'both processes to be gone');
    await assert.rejects(fetch(`${upstream}/api/version`));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(bin.starts().length, 1, 'a stop on purpose is not restarted');
  });

  it('kills a child that ignores the polite request to stop, after the grace period', async () => {
    const bin = installFakeOllama(tempDir(), { mode: 'hang' });
    const { supervisor } = await supervise(bin, { stopGraceMs: 300 });
    await supervisor.start();
    await eventually(() => bin.starts().length === 1, 5000, 'the child to start');
    const { pid } = bin.starts()[0]!;
    const began = Date.now();
    await supervisor.close();
    const took = Date.now() - began;
    assert.ok(took >= 250 && took < 3000, `stopped in ${took} ms`);
    assert.equal(processAlive(pid), false);
  });

  it('restarts a child that runs but never answers', async () => {
    const bin = installFakeOllama(tempDir(), { mode: 'hang' });
    const { supervisor } = await supervise(bin, { startTimeoutMs: 300, stopGraceMs: 100 });
    await supervisor.start();
    await eventually(() => bin.starts().length >= 2, 5000, 'a second start');
    assert.equal(processAlive(bin.starts()[0]!.pid), false);
    assert.ok(supervisor.logs().some((l) => /did not answer/.test(l)));
  });

  it('never starts a competing server while the Ollama desktop app runs', async () => {
    const bin = installFakeOllama(tempDir());
    const app = { pid: 4242, ppid: 1, command: '/Applications/Ollama.app/Contents/MacOS/Ollama' };
    const { supervisor, install } = await supervise(bin, { platform: 'darwin', processes: () => Promise.resolve([app]), startTimeoutMs: 200 });
    install.app = '/Applications/Ollama.app';
    const status = await supervisor.start();
    assert.equal(status.state, 'starting');
    assert.equal(status.owner, 'desktop-app');
    await eventually(() => supervisor.status().state === 'unreachable', 3000, 'the wait to end');
    assert.match(supervisor.status().fix ?? '', /menu-bar icon/);
    assert.equal(bin.starts().length, 0);
  });

  it('reports a port taken by something that is not Ollama, and does not fight it', async () => {
    const bin = installFakeOllama(tempDir());
    const { supervisor, port } = await supervise(bin);
    const squatter = createServer((_req, res) => res.end('hello from a web server'));
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
    after(() => squatter.close());
    const status = await supervisor.start();
    assert.equal(status.state, 'unreachable');
    assert.match(status.message, /Something that is not Ollama is using/);
    assert.equal(bin.starts().length, 0);
  });

  it('says Ollama is not installed, with where to get it', async () => {
    const { supervisor } = await supervise(null);
    const status = await supervisor.start();
    assert.equal(status.state, 'not-installed');
    assert.match(status.fix ?? '', /ollama\.com\/download/);
  });

  it('only watches with manage: false (--no-supervise)', async () => {
    const bin = installFakeOllama(tempDir());
    const { supervisor } = await supervise(bin, { manage: false });
    const status = await supervisor.start();
    assert.equal(status.state, 'stopped');
    assert.equal(bin.starts().length, 0);
    await assert.rejects(supervisor.startOllama(), /--no-supervise/);
  });

  it('flags an adopted Ollama that also answers on a network address', async () => {
    const { supervisor, port, events } = await supervise(null, { lanAddresses: () => ['127.0.0.2'] });
    const exposed = await startFakeOllama({ host: '0.0.0.0', port });
    after(() => exposed.close());
    await supervisor.start();
    const status = supervisor.status();
    assert.equal(status.state, 'running');
    assert.ok(status.exposure, 'exposed');
    assert.ok(status.exposure.addresses.includes('127.0.0.2'));
    assert.match(status.exposure.message, /reachable from your network without a token/);
    assert.ok(events.some((e) => e.exposure !== null), 'an event told the tray');
  });
});

describe('the core with supervision on (what gatehouse serve runs)', () => {
  it('finds ollama on PATH, starts it, proxies to it, and stops it on close', async () => {
    const bin = installFakeOllama(tempDir(), { mode: 'serve', runner: true });
    const port = await freePort();
    const core = await createCore({
      dataDir: tempDir(),
      tls: false,
      log: silentLogger,
      overrides: { host: '127.0.0.1', port: 0, upstream: `http://127.0.0.1:${port}`, trustLoopback: true },
      ollama: { manage: true, platform: 'linux', env: { PATH: `/nonexistent:${bin.dir}` }, processes: () => Promise.resolve([]), serviceActive: () => Promise.resolve(false), lanAddresses: () => [], healthIntervalMs: 50 },
    });
    let closed = false;
    after(() => (closed ? undefined : core.close()));
    const info = await core.listen();
    assert.equal(core.ollama?.status().install.binary, bin.binary);
    await eventually(() => core.ollama?.status().state === 'running', 5000, 'Ollama to run');
    const tags = await call(`http://127.0.0.1:${info.port}/api/tags`);
    assert.equal(tags.status, 200);
    assert.ok(tags.json<{ models: unknown[] }>().models.length > 0);
    const { pid, runnerPid } = bin.starts()[0]!;
    await core.close();
    closed = true;
    assert.equal(processAlive(pid), false);
    await eventually(() => !processAlive(runnerPid!), 2000, 'the runner to be gone');
  });
});
