import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ollamaCommand } from '../../main/cli/ollama';
import { OllamaClient } from '../../main/ollama/client';
import { PullJobs, type PullJob } from '../../main/ollama/pull-jobs';
import { startFakeOllama } from '../fixtures/fake-ollama';
import { eventually, freePort, tempDir } from '../helpers';

describe('shared pull jobs', async () => {
  const fake = await startFakeOllama({ pullSteps: 6, pullStepDelayMs: 25 });
  after(() => fake.close());
  const jobs = new PullJobs(new OllamaClient(() => fake.url));
  after(() => jobs.close());
  const pullsOf = (model: string) => fake.control.filter((r) => r.url === '/api/pull' && (JSON.parse(r.body.toString()) as { model?: string }).model === model).length;

  it('lets two pulls of one model share one download, with progress in order up to 100 %', async () => {
    const seen: PullJob[] = [];
    const stop = jobs.subscribe((job) => job.model.startsWith('gemma3') && seen.push(job));
    const [a, b] = await Promise.all([jobs.pull('gemma3'), jobs.pull('GEMMA3:latest')]);
    stop();
    assert.equal(pullsOf('gemma3'), 1, 'one request reached Ollama');
    assert.equal(a.state, 'done');
    assert.deepEqual(a, b);
    const percents = seen.map((j) => j.progress.percent);
    assert.deepEqual(percents, [...percents].sort((x, y) => x - y));
    assert.equal(seen.at(-1)?.progress.percent, 100);
    assert.equal(seen.at(-1)?.state, 'done');
    assert.equal(jobs.list().find((j) => j.model === 'gemma3')?.state, 'done');
  });

  it('cancels for everyone watching, and the upstream pull stops', async () => {
    const pending = jobs.pull('qwen3:8b');
    await eventually(() => fake.control.some((r) => r.url === '/api/pull' && r.body.includes('qwen3')), 2000, 'the pull to reach Ollama');
    const request = fake.control.findLast((r) => r.url === '/api/pull')!;
    assert.equal(jobs.cancel('qwen3:8b'), true);
    assert.equal((await pending).state, 'cancelled');
    assert.equal(await request.aborted, true);
    assert.equal(jobs.cancel('qwen3:8b'), false, 'nothing left to cancel');
  });

  it("ends failed with Ollama's own error text", async () => {
    const job = await jobs.pull('missing-model');
    assert.equal(job.state, 'failed');
    assert.match(job.error ?? '', /file does not exist/);
  });

  it('refuses a name that is not a model name before calling Ollama', () => {
    const pulls = fake.control.filter((r) => r.url === '/api/pull').length;
    assert.throws(() => jobs.pull('../../etc'), /not a model name/);
    assert.equal(fake.control.filter((r) => r.url === '/api/pull').length, pulls, 'nothing reached Ollama');
  });
});

describe('gatehouse ollama status', () => {
  const run = async (...argv: string[]) => {
    const out: string[] = [];
    const code = await ollamaCommand(argv, { out: (t) => out.push(t), err: (t) => out.push(t) }, { lanAddresses: () => ['127.0.0.2'], processes: () => Promise.resolve([]), serviceActive: () => Promise.resolve(false) });
    return { code, text: out.join('\n') };
  };

  it('says who runs Ollama and that it is not exposed (exit 0)', async () => {
    const fake = await startFakeOllama();
    after(() => fake.close());
    const { code, text } = await run('status', '--json', '--upstream', fake.url, '--data-dir', tempDir());
    const status = JSON.parse(text) as { state: string; version: string; exposure: unknown; owner: string };
    assert.equal(code, 0);
    assert.deepEqual([status.state, status.version, status.exposure, status.owner], ['running', '0.12.6', null, 'unknown']);
  });

  it('warns, with the fix, when Ollama answers on a network address (exit 1)', async () => {
    const port = await freePort();
    const fake = await startFakeOllama({ host: '0.0.0.0', port });
    after(() => fake.close());
    const { code, text } = await run('status', '--upstream', `http://127.0.0.1:${port}`, '--data-dir', tempDir());
    assert.equal(code, 1);
    assert.match(text, /WARNING: Ollama is reachable from your network without a token \(.*127\.0\.0\.2:\d+/);
    assert.match(text, /What to do: .*OLLAMA_HOST/);
  });

  it('exits 1 and says how to start Ollama when nothing answers', async () => {
    const { code, text } = await run('status', '--upstream', `http://127.0.0.1:${await freePort()}`, '--data-dir', tempDir());
    assert.equal(code, 1);
    assert.match(text, /Ollama is (stopped|not installed)/);
  });
});
