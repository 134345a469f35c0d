import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { startFakeOllama } from '../fixtures/fake-ollama';
import { bearer, call, startHarness } from '../helpers';

const exec = promisify(execFile);

async function gatehouse(...args: string[]) {
  try {
    const { stdout, stderr } = await exec(process.execPath, ['out/cli/gatehouse.js', ...args], { env: { ...process.env, GATEHOUSE_PORT: '', GATEHOUSE_UPSTREAM: '' } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('gatehouse upstreams, models --on and usage --by upstream, through the running Gatehouse', async () => {
  const h = await startHarness({ tls: false, upstreamPollMs: 100 });
  const closet = await startFakeOllama({ models: ['mistral'], loaded: [] });
  after(() => closet.close());
  const dir = ['--data-dir', h.dataDir];

  it('adds a host, with the plain-http warning, and lists it up with its models', async () => {
    const added = await gatehouse('upstreams', 'add', closet.url, '--name', 'closet', '--slots', '2', '--insecure', ...dir);
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /Added the Ollama host "closet" \(http:\/\/127\.0\.0\.1:\d+\): up, 1 model\(s\)\./);
    assert.match(added.stderr, /Warning: Requests to "closet" travel as plain http/);
    const listed = await gatehouse('upstreams', 'list', '--json', ...dir);
    const hosts = JSON.parse(listed.stdout) as Array<{ name: string; state: string; models: string[] }>;
    assert.deepEqual(hosts.map((x) => [x.name, x.state]), [['local', 'up'], ['closet', 'up']]);
    assert.match((await gatehouse('upstreams', 'list', ...dir)).stdout, /closet\s+http:\/\/127\.0\.0\.1:\d+\s+ollama\s+up/);
  });

  it('refuses a host it must not reach with a clear message and exit code 2', async () => {
    const refused = await gatehouse('upstreams', 'add', 'http://8.8.8.8:11434', '--insecure', ...dir);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /not a loopback or private address/);
    const noUrl = await gatehouse('upstreams', 'add', ...dir);
    assert.equal(noUrl.code, 2);
    assert.match(noUrl.stderr, /Say where the Ollama host is/);
  });

  it('pulls and lists models on a named host, and reports usage by host', async () => {
    const pulled = await gatehouse('models', 'pull', 'tinyllama', '--on', 'closet', ...dir);
    assert.equal(pulled.code, 0, pulled.stderr);
    assert.match(pulled.stdout, /Pulled tinyllama on closet\./);
    const models = JSON.parse((await gatehouse('models', 'list', '--on', 'closet', '--json', ...dir)).stdout) as Array<{ name: string }>;
    assert.deepEqual(models.map((m) => m.name).sort(), ['mistral:latest', 'tinyllama:latest']);
    const token = h.token('carol');
    const chat = { model: 'mistral', messages: [{ role: 'user', content: 'hi' }], stream: false };
    assert.equal((await call(`${h.url}/api/chat`, { headers: bearer(token), body: chat })).status, 200);
    h.core.metering.flush();
    const usage = JSON.parse((await gatehouse('usage', '--by', 'upstream', '--json', ...dir)).stdout) as Array<{ upstream: string; requests: number }>;
    assert.deepEqual(usage.find((r) => r.upstream === 'closet')?.requests, 1);
  });

  it('removes the host', async () => {
    const removed = await gatehouse('upstreams', 'remove', 'closet', ...dir);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(h.core.store.upstreams.all().length, 0);
    assert.equal((await gatehouse('upstreams', 'remove', 'local', ...dir)).code, 2);
  });
});
