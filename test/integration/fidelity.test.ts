import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import type { RequestRecord } from '../../main/metering/records';
import { bearer, call, recordOf as recordOfToken, recordsOf, startHarness, trustingFetch } from '../helpers';

const exec = promisify(execFile);

/** A zstd frame (RFC 8878) with a 128 KiB window and the given blocks; the last is marked last. */
function zstdFrame(blocks: Buffer[]): Buffer {
  const marked = blocks.map((b, i) => {
    if (i < blocks.length - 1) return b;
    const copy = Buffer.from(b);
    copy[0] = copy[0]! | 1;
    return copy;
  });
  return Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x38]), ...marked]);
}
const blockHeader = (type: number, size: number) => {
  const v = (size << 3) | (type << 1);
  return Buffer.from([v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff]);
};
const rawBlock = (data: Buffer) => Buffer.concat([blockHeader(0, data.length), data]);
const rleBlock = (byte: number, repeat: number) => Buffer.concat([blockHeader(1, repeat), Buffer.from([byte])]);

/**
 * Metering against the fake as real Ollama answers (its source: anthropic/anthropic.go,
 * openai/responses.go, api/types.go, middleware/openai.go), through the clients people use.
 */
describe('metering what Ollama really sends, through real clients', async () => {
  const h = await startHarness({ fake: { chunks: 12 } });
  const trusting = trustingFetch(h.ca!);
  const base = `https://localhost:${h.info.port}`;
  const prompt = 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen';

  const recordOf = (tokenName: string) => recordOfToken(h, tokenName);
  const counts = (r: RequestRecord) => [r.promptTokens, r.completionTokens, r.error];

  it('Anthropic messages, streamed: the counts of message_delta, not message_start\'s estimate', async () => {
    const anthropic = new Anthropic({ baseURL: base, apiKey: h.token('claude-stream'), fetch: trusting, maxRetries: 0 });
    const stream = anthropic.messages.stream({ model: 'llama3.2', max_tokens: 100, messages: [{ role: 'user', content: prompt }] });
    const final = await stream.finalMessage();
    assert.equal(final.usage.output_tokens, 12);
    assert.deepEqual(counts(await recordOf('claude-stream')), [17, 12, null]);
  });

  it('Anthropic messages, not streamed', async () => {
    const anthropic = new Anthropic({ baseURL: base, apiKey: h.token('claude-json'), fetch: trusting, maxRetries: 0 });
    const message = await anthropic.messages.create({ model: 'llama3.2', max_tokens: 100, messages: [{ role: 'user', content: prompt }] });
    assert.equal(message.usage.input_tokens, 17);
    assert.deepEqual(counts(await recordOf('claude-json')), [17, 12, null]);
  });

  it('Responses, streamed: the usage of response.completed, an event larger than the tail', async () => {
    const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: h.token('codex-stream'), fetch: trusting, maxRetries: 0 });
    const instructions = 'Be brief. '.repeat(1500); // echoed in response.completed, which then exceeds 8 KB
    let completed = 0;
    for await (const event of await openai.responses.create({ model: 'llama3.2', input: prompt, instructions, stream: true })) {
      if (event.type === 'response.completed') completed = JSON.stringify(event).length;
    }
    assert.ok(completed > 8192, `response.completed is ${completed} bytes`);
    assert.deepEqual(counts(await recordOf('codex-stream')), [17, 12, null]);
  });

  it('Responses, not streamed', async () => {
    const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: h.token('codex-json'), fetch: trusting, maxRetries: 0 });
    const response = await openai.responses.create({ model: 'llama3.2', input: prompt });
    assert.equal(response.usage?.input_tokens, 17);
    assert.deepEqual(counts(await recordOf('codex-json')), [17, 12, null]);
  });

  it('native generate resuming a 30,000-id context: the metrics after it, not one token per chunk', async () => {
    const ollama = new Ollama({ host: base, fetch: trusting, headers: { Authorization: `Bearer ${h.token('resumed')}` } });
    const context = Array.from({ length: 30_000 }, (_, i) => 1000 + i);
    let last: { context?: number[] } = {};
    for await (const part of await ollama.generate({ model: 'llama3.2', prompt, context, stream: true })) last = part;
    assert.equal(last.context?.length, 30_003);
    assert.deepEqual(counts(await recordOf('resumed')), [17, 12, null]);
  });

  it('error answers, GET / and lists record no generated tokens', async () => {
    const token = h.token('no-phantoms');
    assert.equal((await call(`${h.url}/api/chat`, { ca: h.ca!, headers: bearer(token), body: { model: 'not-installed', messages: [] } })).status, 404);
    assert.equal((await call(`${h.url}/`, { ca: h.ca!, headers: bearer(token) })).status, 200);
    assert.equal((await call(`${h.url}/api/tags`, { ca: h.ca!, headers: bearer(token) })).status, 200);
    const rows = await recordsOf(h, 'no-phantoms', 3);
    assert.deepEqual(rows.map((r) => r.completionTokens), [null, null, null]);
  });

  it('a pull of 400 progress lines records no generated tokens', async () => {
    Object.assign(h.fake.behaviour, { pullSteps: 400, pullStepDelayMs: 0 });
    const lines = await call(`${h.url}/api/pull`, { ca: h.ca!, headers: bearer(h.token('puller', { scope: 'admin' })), body: { model: 'tinyllama' } });
    assert.ok(lines.text.trim().split('\n').length >= 400, `${lines.text.split('\n').length} lines`);
    const r = await recordOf('puller');
    assert.deepEqual([r.promptTokens, r.completionTokens], [null, null]);
  });

  it('a completions stream cut short by a model error is recorded as truncated, with the pieces generated', async () => {
    const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: h.token('cut-short'), fetch: trusting, maxRetries: 0 });
    try {
      for await (const _c of await openai.completions.create({ model: 'broken', prompt, stream: true })) {
        /* drain */
      }
    } catch {
      /* the client may not notice */
    }
    const r = await recordOf('cut-short');
    assert.match(r.error ?? '', /ended before it was complete/);
    assert.equal(r.completionTokens, 2);
  });

  it('decompresses a zstd body (Codex sends them) and sends Ollama plain JSON; a zstd bomb gets 413', async () => {
    const token = h.token('zstd');
    const json = Buffer.from(JSON.stringify({ model: 'llama3.2', input: prompt }));
    const ok = await call(`${h.url}/v1/responses`, { ca: h.ca!, headers: { ...bearer(token), 'content-encoding': 'zstd' }, body: zstdFrame([rawBlock(json)]) });
    assert.equal(ok.status, 200, ok.text);
    const seen = h.fake.requests.at(-1)!;
    assert.equal(seen.body.toString(), json.toString());
    assert.equal(seen.headers['content-encoding'], undefined);
    const bomb = zstdFrame(Array.from({ length: 300 }, () => rleBlock(0x20, 128 * 1024)));
    assert.ok(bomb.length < 2000);
    const refused = await call(`${h.url}/v1/responses`, { ca: h.ca!, headers: { ...bearer(token), 'content-encoding': 'zstd' }, body: bomb });
    assert.equal(refused.status, 413);
    assert.match(refused.text, /once decompressed/);
    const gzip = await call(`${h.url}/v1/responses`, { ca: h.ca!, headers: { ...bearer(token), 'content-encoding': 'gzip' }, body: json });
    assert.equal(gzip.status, 415);
  });

  it('asks Ollama only what its router answers: no HEAD /api/ps, /v1/models/ with one segment', async () => {
    const token = h.token('shapes');
    assert.equal((await call(`${h.url}/api/ps`, { ca: h.ca!, method: 'HEAD', headers: bearer(token) })).status, 405);
    assert.equal((await call(`${h.url}/v1/models/library/llama3.2`, { ca: h.ca!, headers: bearer(token) })).status, 404);
    assert.equal((await call(`${h.url}/v1/models/llama3.2:latest`, { ca: h.ca!, headers: bearer(token) })).status, 200);
  });

  it('treats a model Ollama lists with remote_host as a cloud model, whatever its name', async () => {
    h.fake.models.push({ name: 'team-assistant:latest', size: 1, digest: 'f'.repeat(64), family: 'llama', parameterSize: '1T', quantization: 'cloud', remoteHost: 'https://ollama.com:443' });
    await h.core.metering.refreshModels();
    const plain = h.token('no-cloud');
    const refused = await call(`${h.url}/api/chat`, { ca: h.ca!, headers: bearer(plain), body: { model: 'team-assistant', messages: [], stream: false } });
    assert.equal(refused.status, 403);
    assert.match(refused.text, /ollama\.com account/);
    const listed = (await call(`${h.url}/api/tags`, { ca: h.ca!, headers: bearer(plain) })).json<{ models: Array<{ name: string }> }>().models.map((m) => m.name);
    assert.ok(!listed.includes('team-assistant:latest') && listed.includes('llama3.2:latest'), listed.join(', '));
    const cloudy = h.token('with-cloud', { cloud: true });
    assert.equal((await call(`${h.url}/api/chat`, { ca: h.ca!, headers: bearer(cloudy), body: { model: 'team-assistant', messages: [], stream: false } })).status, 200);
    h.fake.models.pop();
  });

  it('gatehouse usage shows the exact counts', async () => {
    h.core.metering.flush();
    const { stdout } = await exec(process.execPath, ['out/cli/gatehouse.js', 'usage', '--by', 'token', '--json', '--data-dir', h.dataDir]);
    const rows = JSON.parse(stdout) as Array<{ token: string; tokensIn: number; tokensOut: number }>;
    const of = (token: string) => rows.find((r) => r.token === token);
    for (const token of ['claude-stream', 'claude-json', 'codex-stream', 'codex-json', 'resumed']) assert.deepEqual([of(token)?.tokensIn, of(token)?.tokensOut], [17, 12], token);
    assert.deepEqual([of('puller')?.tokensIn, of('puller')?.tokensOut], [0, 0]);
  });
});
