import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { Agent, fetch as undiciFetch } from 'undici';
import { startHarness } from '../helpers';

const run = promisify(execFile);

describe('real client libraries through the gateway over TLS', async () => {
  const h = await startHarness({ fake: { chunks: 4 } });
  const token = h.token('clients');
  // Trust exactly the CA the CLI prints, and nothing else: `ca` replaces the system roots.
  const { stdout: caPem } = await run(process.execPath, ['out/cli/gatehouse.js', 'tls', 'ca', '--data-dir', h.dataDir]);
  assert.match(caPem, /^-----BEGIN CERTIFICATE-----/);
  const dispatcher = new Agent({ connect: { ca: caPem } });
  const trustingFetch = ((input: string | URL | Request, init?: RequestInit) =>
    undiciFetch(input as string, { ...(init as object), dispatcher })) as unknown as typeof fetch;
  const base = `https://localhost:${h.info.port}`;

  const ollama = new Ollama({ host: base, fetch: trustingFetch, headers: { Authorization: `Bearer ${token}` } });
  const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: token, fetch: trustingFetch, maxRetries: 0 });

  it('ollama-js chats without streaming', async () => {
    const res = await ollama.chat({ model: 'llama3.2', messages: [{ role: 'user', content: 'hello' }] });
    assert.equal(res.message.content, 'tok0 tok1 tok2 tok3 ');
    assert.equal(res.eval_count, 4);
  });

  it('ollama-js chats with streaming', async () => {
    const parts: string[] = [];
    let done = false;
    for await (const part of await ollama.chat({ model: 'llama3.2', messages: [{ role: 'user', content: 'hello' }], stream: true })) {
      parts.push(part.message.content);
      done = part.done;
    }
    assert.equal(parts.join(''), 'tok0 tok1 tok2 tok3 ');
    assert.equal(done, true);
  });

  it('ollama-js lists models', async () => {
    const list = await ollama.list();
    assert.ok(list.models.some((m) => m.name === 'llama3.2:latest'));
  });

  it('the openai SDK chats without streaming', async () => {
    const res = await openai.chat.completions.create({ model: 'llama3.2', messages: [{ role: 'user', content: 'hello' }] });
    assert.equal(res.choices[0]?.message.content, 'tok0 tok1 tok2 tok3 ');
    assert.equal(res.usage?.completion_tokens, 4);
  });

  it('the openai SDK chats with streaming', async () => {
    const stream = await openai.chat.completions.create({ model: 'llama3.2', messages: [{ role: 'user', content: 'hello' }], stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    assert.equal(text, 'tok0 tok1 tok2 tok3 ');
  });

  it('the openai SDK surfaces the gateway\'s refusal as an authentication error', async () => {
    const stranger = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'sk-not-ours', fetch: trustingFetch, maxRetries: 0 });
    await assert.rejects(stranger.models.list(), (err: unknown) => {
      assert.ok(err instanceof OpenAI.AuthenticationError);
      assert.match(err.message, /not a Gatehouse API token/);
      return true;
    });
  });

  it('a client that does not trust the CA cannot connect', async () => {
    await assert.rejects(undiciFetch(`${base}/healthz`, { dispatcher: new Agent() }), /fetch failed/);
  });
});
