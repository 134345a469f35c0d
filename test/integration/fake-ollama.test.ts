import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { startFakeOllama } from '../fixtures/fake-ollama';
import { call } from '../helpers';

/**
 * The fake's behaviours, one test each, as Ollama's source has them (ollama/ollama at fb30760), so
 * a change to the fake that drifts from Ollama fails here before it misleads the gateway's tests.
 */
describe('the fake Ollama follows Ollama', async () => {
  const fake = await startFakeOllama({ chunks: 3, pullSteps: 2 });
  after(() => fake.close());
  const post = (path: string, body: object) => call(`${fake.url}${path}`, { body });
  const events = (text: string) => text.split('\n\n').filter(Boolean);

  it('api/types.go: a generate final line has done, done_reason, context, then the metrics last', async () => {
    const last = (await post('/api/generate', { model: 'llama3.2', prompt: 'a b' })).text.trim().split('\n').at(-1)!;
    assert.ok(last.indexOf('"done":true') < last.indexOf('"context"') && last.indexOf('"context"') < last.indexOf('"prompt_eval_count"'), last);
  });

  it('middleware/openai.go: the usage chunk (choices: []) only with include_usage', async () => {
    const without = (await post('/v1/chat/completions', { model: 'llama3.2', messages: [], stream: true })).text;
    assert.ok(!without.includes('"usage"'));
    const withUsage = events((await post('/v1/chat/completions', { model: 'llama3.2', messages: [], stream: true, stream_options: { include_usage: true } })).text);
    assert.match(withUsage.at(-2)!, /"choices":\[\],"usage":\{"prompt_tokens"/);
  });

  it('middleware/openai.go: /v1/completions puts a zeroed usage on every chunk once asked', async () => {
    const chunks = events((await post('/v1/completions', { model: 'llama3.2', prompt: 'a', stream: true, stream_options: { include_usage: true } })).text);
    assert.ok(chunks.slice(0, 3).every((c) => c.includes('"usage":{"prompt_tokens":0,"completion_tokens":0')));
  });

  it('middleware/openai.go: a model error mid-stream is an empty chunk and the end, no [DONE]', async () => {
    const text = (await post('/v1/chat/completions', { model: 'broken', messages: [], stream: true })).text;
    assert.ok(text.endsWith('data: {}\n\n') && !text.includes('[DONE]'), text);
  });

  it('server/routes.go: a native model error mid-stream is an {"error"} line', async () => {
    assert.match((await post('/api/chat', { model: 'broken', messages: [] })).text.trim().split('\n').at(-1)!, /^\{"error":/);
  });

  it('anthropic/anthropic.go: message_start has an estimate, message_delta the real usage, then message_stop', async () => {
    const list = events((await post('/v1/messages', { model: 'llama3.2', max_tokens: 10, stream: true, messages: [{ role: 'user', content: 'a b c d' }] })).text);
    assert.match(list[0]!, /^event: message_start\n.*"usage":\{"input_tokens":2,"output_tokens":1\}/s);
    assert.match(list.at(-2)!, /^event: message_delta\n.*"usage":\{"input_tokens":4,"output_tokens":3\}/s);
    assert.match(list.at(-1)!, /^event: message_stop/);
  });

  it('anthropic/anthropic.go: errors have Anthropic\'s shape', async () => {
    const res = await post('/v1/messages', { model: 'missing', max_tokens: 1, messages: [] });
    assert.equal(res.status, 404);
    assert.equal(res.json<{ type: string }>().type, 'error');
  });

  it('openai/responses.go: usage only in response.completed', async () => {
    const list = events((await post('/v1/responses', { model: 'llama3.2', input: 'a b', stream: true })).text);
    assert.deepEqual(list.map((e) => e.includes('"usage"')), [...list.slice(0, -1).map(() => false), true]);
    assert.match(list.at(-1)!, /^event: response\.completed/);
  });

  it('server/download.go: pull progress per layer, then success; a missing manifest is an error line', async () => {
    const lines = (await post('/api/pull', { model: 'tinyllama' })).text.trim().split('\n').map((l) => JSON.parse(l) as { status?: string });
    assert.equal(lines[0]!.status, 'pulling manifest');
    assert.equal(lines.at(-1)!.status, 'success');
    assert.match((await post('/api/pull', { model: 'missing-model' })).text, /"error":"pull model manifest: file does not exist"/);
  });

  it('internal/modelref: a :local suffix runs the local model of that name', async () => {
    assert.equal((await post('/api/show', { model: 'llama3.2:LOCAL' })).status, 200);
  });

  it('server/routes.go: /api/ps answers GET only', async () => {
    assert.equal((await call(`${fake.url}/api/ps`)).status, 200);
    assert.equal((await call(`${fake.url}/api/ps`, { method: 'HEAD' })).status, 404);
  });

  it('server/routes.go allowedHostsMiddleware: a foreign Host gets 403, loopback, private and .local names pass', async () => {
    const host = (h: string) => call(`${fake.url}/api/version`, { headers: { host: h } }).then((r) => r.status);
    const refused = await call(`${fake.url}/api/version`, { headers: { host: 'evil.example' } });
    assert.deepEqual([refused.status, refused.text], [403, '']);
    for (const ok of ['localhost', '127.0.0.1:11434', '192.168.1.5', 'box.local', 'x.internal', 'y.localhost']) assert.equal(await host(ok), 200, ok);
  });
});
