import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, describe, it } from 'node:test';
import { GatehouseError } from '../../main/errors';
import { OllamaClient } from '../../main/ollama/client';
import { PullTracker, type PullProgress } from '../../main/ollama/pull-progress';
import { Store } from '../../main/store/store';
import { startFakeOllama } from '../fixtures/fake-ollama';
import { eventually, tempDir } from '../helpers';

const run = promisify(execFile);

describe('the Ollama client', async () => {
  const fake = await startFakeOllama({ pullSteps: 5, pullStepDelayMs: 20 });
  after(() => fake.close());
  const ollama = new OllamaClient(() => fake.url);

  it('lists installed and running models with their details', async () => {
    const models = await ollama.tags();
    const llama = models.find((m) => m.name === 'llama3.2:latest');
    assert.deepEqual([llama?.family, llama?.parameterSize, llama?.quantization], ['llama', '3.2B', 'Q4_K_M']);
    assert.equal((await ollama.ps())[0]?.name, 'llama3.2:latest');
    assert.equal(await ollama.version(), '0.12.6');
  });

  it('pulls with progress events in order, reaching 100 %, and the model appears', async () => {
    const tracker = new PullTracker();
    const seen: PullProgress[] = [];
    await ollama.pull('phi4-mini', (s) => seen.push(tracker.update(s)));
    assert.equal(seen[0]?.status, 'pulling manifest');
    const percents = seen.map((p) => p.percent);
    assert.deepEqual(percents, [...percents].sort((a, b) => a - b), 'progress went backwards');
    assert.equal(seen.at(-1)?.percent, 100);
    assert.equal(seen.at(-1)?.done, true);
    assert.ok(seen.some((p) => p.status === 'verifying sha256 digest'));
    assert.ok((await ollama.tags()).some((m) => m.name === 'phi4-mini:latest'));
  });

  it("surfaces Ollama's error text when a pull fails", async () => {
    await assert.rejects(ollama.pull('missing-model', () => {}), (err: unknown) => err instanceof GatehouseError && /file does not exist/.test(err.message));
  });

  it('stops the upstream pull when cancelled', async () => {
    fake.behaviour.pullStepDelayMs = 200;
    const abort = new AbortController();
    const before = fake.control.length;
    const pulling = ollama.pull('gemma3', () => abort.abort(), abort.signal);
    await assert.rejects(pulling, (err: Error) => err.name === 'AbortError');
    await eventually(() => fake.control.length > before);
    assert.equal(await fake.control[before]!.aborted, true);
    fake.behaviour.pullStepDelayMs = 20;
  });

  it('deletes, and says plainly when a model or Ollama is missing', async () => {
    await ollama.delete('phi4-mini');
    assert.ok(!(await ollama.tags()).some((m) => m.name === 'phi4-mini:latest'));
    await assert.rejects(ollama.delete('nope'), /Ollama answered 404: model 'nope' not found/);
    await assert.rejects(new OllamaClient(() => 'http://127.0.0.1:1').tags(), (err: unknown) => err instanceof GatehouseError && err.code === 'OLLAMA_UNREACHABLE');
  });
});

describe('pull progress', () => {
  it('sums layers, smooths the speed and estimates the time left', () => {
    let now = 0;
    const t = new PullTracker(() => now);
    t.update({ status: 'pulling a', digest: 'a', total: 1000 });
    now = 1000;
    const p = t.update({ status: 'pulling a', digest: 'a', total: 1000, completed: 250 });
    assert.deepEqual([p.percent, p.bytesPerSecond, p.etaSeconds], [25, 250, 3]);
    now = 2000;
    const q = t.update({ status: 'pulling b', digest: 'b', total: 1000, completed: 0 });
    assert.equal(q.percent, 12.5);
    assert.equal(t.update({ status: 'success' }).percent, 100);
  });
});

describe('gatehouse models', async () => {
  const fake = await startFakeOllama({ pullSteps: 3, pullStepDelayMs: 1 });
  after(() => fake.close());
  const dataDir = tempDir();
  const cli = (...args: string[]) => run(process.execPath, ['out/cli/gatehouse.js', 'models', ...args, '--data-dir', dataDir, '--upstream', fake.url]);

  it('lists, pulls with plain progress lines off a terminal, and deletes, auditing both changes', async () => {
    const list = JSON.parse((await cli('list', '--json')).stdout) as Array<{ name: string; loaded: boolean }>;
    assert.ok(list.some((m) => m.name === 'llama3.2:latest' && m.loaded));
    const pull = await cli('pull', 'tinyllama');
    assert.match(pull.stdout, /^0\.0% pulling manifest$/m);
    assert.match(pull.stdout, /^100\.0% success$/m);
    assert.match(pull.stdout, /Pulled tinyllama\./);
    assert.match((await cli('rm', 'tinyllama')).stdout, /Deleted tinyllama\./);
    const store = Store.open(dataDir);
    assert.deepEqual(store.metering.auditSince(0).map((a) => `${a.actor} ${a.action} ${a.target}`), ['cli model.pulled tinyllama', 'cli model.deleted tinyllama']);
    store.close();
  });

  it('exits 1 with Ollama\'s reason when a pull fails', async () => {
    await assert.rejects(cli('pull', 'missing-thing'), (err: { code: number; stderr: string }) => err.code === 1 && /file does not exist/.test(err.stderr));
  });
});
