import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { Ollama } from 'ollama';
import OpenAI, { toFile } from 'openai';
import { Agent, fetch as undiciFetch } from 'undici';
import { OllamaIdentity } from '../fixtures/ollama-signer';
import { call, eventually, startHarness } from '../helpers';

/**
 * Every client family a teammate uses, each streaming a chat through Gatehouse over TLS that trusts
 * only Gatehouse's CA: ollama-js and the OpenAI SDK with a bearer token, the Anthropic SDK with
 * x-api-key, and the ollama command's signed requests (its format, from ollama/ollama's client).
 */
describe('the client matrix', async () => {
  const h = await startHarness({ fake: { chunks: 4 }, overrides: { bodyLimitMiB: 1 } });
  const dispatcher = new Agent({ connect: { ca: h.ca! } });
  const trustingFetch = ((input: string | URL | Request, init?: RequestInit) => undiciFetch(input as string, { ...(init as object), dispatcher })) as unknown as typeof fetch;
  const base = `https://localhost:${h.info.port}`;
  const token = h.token('matrix', { allowModels: ['llama3.2'] });

  const metered = (route: string) =>
    eventually(() => (h.core.metering.flush(), h.core.store.metering.requestsSince(0).some((r) => r.route === route && r.tokenName !== null)), 3000, `${route} metered`).then(
      () => h.core.store.metering.requestsSince(0).filter((r) => r.route === route).at(-1)!,
    );

  it('ollama-js streams a chat', async () => {
    const ollama = new Ollama({ host: base, fetch: trustingFetch, headers: { Authorization: `Bearer ${token}` } });
    let text = '';
    for await (const part of await ollama.chat({ model: 'llama3.2', messages: [{ role: 'user', content: 'hi' }], stream: true })) text += part.message.content;
    assert.ok(text.length > 0);
  });

  it('the OpenAI SDK streams a chat', async () => {
    const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: token, fetch: trustingFetch, maxRetries: 0 });
    let text = '';
    for await (const chunk of await openai.chat.completions.create({ model: 'llama3.2', messages: [{ role: 'user', content: 'hi' }], stream: true })) text += chunk.choices[0]?.delta.content ?? '';
    assert.ok(text.length > 0);
  });

  describe('the Anthropic SDK', () => {
    const anthropic = (apiKey: string) => new Anthropic({ baseURL: base, apiKey, fetch: trustingFetch, maxRetries: 0 });

    it('streams a message with x-api-key and anthropic-version; the usage of message_delta is metered', async () => {
      const stream = anthropic(token).messages.stream({ model: 'llama3.2', max_tokens: 64, messages: [{ role: 'user', content: 'hello there' }] });
      let text = '';
      stream.on('text', (t) => (text += t));
      const final = await stream.finalMessage();
      assert.ok(text.length > 0);
      const sent = h.fake.requests.at(-1)!;
      assert.equal(sent.headers['x-api-key'], undefined, 'the token stays in the gateway');
      const record = await metered('POST /v1/messages');
      assert.equal(record.tokenName, 'matrix');
      assert.equal(record.completionTokens, final.usage.output_tokens);
      assert.equal(record.completionTokens, 4);
      assert.equal(record.promptTokens, final.usage.input_tokens);
    });

    it('gets refusals in Anthropic\'s error shape, as the SDK\'s own error classes', async () => {
      const cases: Array<[string, () => Promise<unknown>, new (...args: never[]) => Error, string, RegExp]> = [
        ['a wrong key', () => anthropic('sk-ant-not-ours').messages.create({ model: 'llama3.2', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] }), Anthropic.AuthenticationError, 'authentication_error', /not a Gatehouse API token/],
        ['a model the token may not use', () => anthropic(token).messages.create({ model: 'qwen2.5:7b', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] }), Anthropic.PermissionDeniedError, 'permission_error', /not available to the token "matrix"/],
        ['no model', () => anthropic(token).messages.create({ max_tokens: 8, messages: [] } as never), Anthropic.BadRequestError, 'invalid_request_error', /names no model/],
      ];
      for (const [name, run, kind, type, message] of cases) {
        await assert.rejects(run(), (err: unknown) => {
          assert.ok(err instanceof kind, `${name}: ${String(err)}`);
          const e = err as InstanceType<typeof Anthropic.APIError>;
          assert.deepEqual([(e.error as { type: string }).type, e.type], ['error', type], name);
          assert.match(e.apiMessage ?? '', message, name);
          return true;
        });
      }
      const limited = h.token('matrix-limited', { rpm: 1 });
      await anthropic(limited).messages.create({ model: 'llama3.2', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] });
      await assert.rejects(anthropic(limited).messages.create({ model: 'llama3.2', max_tokens: 8, messages: [{ role: 'user', content: 'x' }] }), Anthropic.RateLimitError);
    });
  });

  describe('the ollama command (signed requests)', () => {
    const identity = new OllamaIdentity('teammate@laptop');
    const admin = new OllamaIdentity('ops@server');
    h.core.tokens.create({ name: 'matrix-ollama', allowModels: ['llama3.2'], ollamaKeys: [identity.line] });
    h.core.tokens.create({ name: 'matrix-ops', scope: 'admin', ollamaKeys: [admin.line] });
    /** A fetch that signs every request as api/client.go does with OLLAMA_AUTH=1. */
    const signingFetch = (who: OllamaIdentity) =>
      ((input: string | URL | Request, init?: RequestInit) => {
        const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
        const signed = who.sign(init?.method ?? 'GET', url.pathname);
        return trustingFetch(`${url.origin}${signed.path}`, { ...init, headers: { ...(init?.headers as Record<string, string>), ...signed.headers } });
      }) as typeof fetch;

    it('streams a chat as the token its key belongs to', async () => {
      const ollama = new Ollama({ host: base, fetch: signingFetch(identity) });
      let text = '';
      for await (const part of await ollama.chat({ model: 'llama3.2', messages: [{ role: 'user', content: 'hi' }], stream: true })) text += part.message.content;
      assert.ok(text.length > 0);
      assert.equal((await metered('POST /api/chat')).tokenName, 'matrix-ollama');
      await assert.rejects(ollama.chat({ model: 'qwen2.5:7b', messages: [{ role: 'user', content: 'hi' }] }), /not available to the token "matrix-ollama"/);
    });

    it('pulls with an admin token\'s key, and answers the heartbeat', async () => {
      const ollama = new Ollama({ host: base, fetch: signingFetch(admin) });
      const pulled = await ollama.pull({ model: 'qwen2.5:7b', stream: false });
      assert.equal(pulled.status, 'success');
      const heartbeat = identity.sign('HEAD', '/');
      assert.equal((await call(`${base}${heartbeat.path}`, { method: 'HEAD', headers: heartbeat.headers, ca: h.ca! })).status, 200);
    });
  });

  describe('audio transcription (a multipart upload)', () => {
    // The SDK's own fetch (Node's), so its FormData is the one that fetch knows; still only the CA.
    const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: token, fetchOptions: { dispatcher } as never, maxRetries: 0 });
    const audio = Buffer.alloc(200_000, 7);

    it('passes the file through whole when the model is allowed', async () => {
      const result = await openai.audio.transcriptions.create({ file: await toFile(audio, 'hello.wav'), model: 'llama3.2' });
      assert.equal(result.text, `${audio.length} bytes of audio heard by llama3.2`);
      assert.match(String(h.fake.requests.at(-1)!.headers['content-type']), /^multipart\/form-data; boundary=/);
    });

    it('refuses a model the token may not use, a second model field and an oversized file before Ollama sees them', async () => {
      const before = h.fake.requests.length;
      await assert.rejects(openai.audio.transcriptions.create({ file: await toFile(audio, 'a.wav'), model: 'qwen2.5:7b' }), (err: unknown) => err instanceof OpenAI.PermissionDeniedError);
      await assert.rejects(openai.audio.transcriptions.create({ file: await toFile(Buffer.alloc(1_200_000), 'big.wav'), model: 'llama3.2' }), (err: unknown) => (err as { status?: number }).status === 413);
      const boundary = 'gatehouse-test';
      const part = (name: string, value: string, file = '') => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"${file ? `; filename="${file}"` : ''}\r\n\r\n${value}\r\n`;
      const twice = `${part('model', 'llama3.2')}${part('model', 'qwen2.5:7b')}${part('file', 'RIFF', 'a.wav')}--${boundary}--\r\n`;
      const res = await call(`${base}/v1/audio/transcriptions`, { ca: h.ca!, body: twice, headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}` } });
      assert.equal(res.status, 400, res.text);
      assert.match(res.json<{ error: { message: string } }>().error.message, /gives the field "model" 2 times/);
      const asFile = `${part('model', 'qwen2.5:7b', 'm.txt')}${part('file', 'RIFF', 'a.wav')}--${boundary}--\r\n`;
      const hidden = await call(`${base}/v1/audio/transcriptions`, { ca: h.ca!, body: asFile, headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}` } });
      assert.equal(hidden.status, 400, hidden.text);
      const hostileForms: Array<[string, string, string]> = [
        ['no boundary', 'multipart/form-data; charset=utf-8', part('model', 'llama3.2')],
        ['a body that is not the form it says', `multipart/form-data; boundary=${boundary}`, 'just some bytes'],
        ['an odd part name', `multipart/form-data; boundary=${boundary}`, `--${boundary}\r\nContent-Disposition: form-data; name="mo\\del"\r\n\r\nqwen2.5:7b\r\n${part('model', 'llama3.2')}--${boundary}--\r\n`],
      ];
      for (const [name, type, form] of hostileForms) {
        const res = await call(`${base}/v1/audio/transcriptions`, { ca: h.ca!, body: form, headers: { authorization: `Bearer ${token}`, 'content-type': type } });
        assert.equal(res.status, 400, `${name}: ${res.text}`);
        assert.ok(res.json<{ error: { message: string } }>().error.message.length > 10, name);
      }
      const json = await call(`${base}/v1/audio/transcriptions`, { ca: h.ca!, body: { model: 'llama3.2' }, headers: { authorization: `Bearer ${token}` } });
      assert.equal(json.status, 400);
      assert.match(json.text, /multipart\/form-data/);
      assert.equal(h.fake.requests.length, before, 'nothing reached Ollama');
    });
  });
});
