import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { bearer, call, eventually, open, recordOf as recordOfToken, startHarness, trustingFetch } from '../helpers';

describe('usage metering with real clients', async () => {
  const h = await startHarness({ fake: { chunks: 4 } });
  const trusting = trustingFetch(h.ca!);
  const base = `https://localhost:${h.info.port}`;
  const messages = [{ role: 'user' as const, content: 'one two three' }]; // the fake counts 3 prompt tokens

  const recordOf = (tokenName: string) => recordOfToken(h, tokenName);
  const clients = (name: string) => {
    const token = h.token(name);
    return {
      ollama: new Ollama({ host: base, fetch: trusting, headers: { Authorization: `Bearer ${token}` } }),
      openai: new OpenAI({ baseURL: `${base}/v1`, apiKey: token, fetch: trusting, maxRetries: 0 }),
    };
  };

  it('native, not streamed: exact counts', async () => {
    await clients('native-json').ollama.chat({ model: 'llama3.2', messages });
    const r = await recordOf('native-json');
    assert.deepEqual([r.promptTokens, r.completionTokens, r.streamed, r.aborted, r.error, r.status], [3, 4, false, false, null, 200]);
    assert.equal(r.model, 'llama3.2:latest');
    assert.equal(r.route, 'POST /api/chat');
    assert.ok(r.ttfbMs !== null && r.ttfbMs <= r.durationMs);
    assert.ok(r.bytesIn > 0 && r.bytesOut > 0 && r.overheadMs >= 0);
  });

  it('native, streamed: exact counts', async () => {
    for await (const _part of await clients('native-stream').ollama.generate({ model: 'llama3.2', prompt: 'one two three', stream: true })) {
      /* drain */
    }
    const r = await recordOf('native-stream');
    assert.deepEqual([r.promptTokens, r.completionTokens, r.streamed, r.aborted, r.error], [3, 4, true, false, null]);
  });

  it('native, streamed, aborted by the client: recorded as aborted with what was generated so far', async () => {
    h.fake.behaviour.chunkDelayMs = 150;
    h.fake.behaviour.chunks = 20;
    try {
      const stream = await clients('native-abort').ollama.chat({ model: 'llama3.2', messages, stream: true });
      let parts = 0;
      for await (const _part of stream) {
        if (++parts === 2) stream.abort();
      }
    } catch (err) {
      assert.equal((err as Error).name, 'AbortError');
    } finally {
      h.fake.behaviour.chunkDelayMs = 0;
      h.fake.behaviour.chunks = 4;
    }
    const r = await recordOf('native-abort');
    assert.equal(r.aborted, true);
    assert.equal(r.promptTokens, null);
    assert.ok(r.completionTokens !== null && r.completionTokens >= 2 && r.completionTokens < 20, String(r.completionTokens));
  });

  it('native, streamed, mid-stream error: recorded as an error', async () => {
    await assert.rejects(async () => {
      for await (const _part of await clients('native-broken').ollama.chat({ model: 'broken', messages, stream: true })) {
        /* drain */
      }
    }, /an error was encountered/);
    const r = await recordOf('native-broken');
    assert.equal(r.status, 200);
    assert.match(r.error ?? '', /an error was encountered while running the model/);
  });

  it('OpenAI, not streamed: exact counts', async () => {
    await clients('openai-json').openai.chat.completions.create({ model: 'llama3.2', messages });
    const r = await recordOf('openai-json');
    assert.deepEqual([r.promptTokens, r.completionTokens, r.streamed, r.aborted, r.error], [3, 4, false, false, null]);
  });

  it('OpenAI, streamed without asking for usage: exact counts, and the client gets no usage it did not ask for', async () => {
    const stream = await clients('openai-stream').openai.chat.completions.create({ model: 'llama3.2', messages, stream: true });
    const chunks = [];
    for await (const c of stream) chunks.push(c);
    assert.ok(chunks.every((c) => c.usage === undefined || c.usage === null), 'the client received a usage chunk');
    assert.ok(chunks.every((c) => c.choices.length > 0));
    const r = await recordOf('openai-stream');
    assert.deepEqual([r.promptTokens, r.completionTokens, r.streamed, r.error], [3, 4, true, null]);
    const sent = JSON.parse(h.fake.requests.at(-1)!.body.toString()) as { stream_options?: { include_usage?: boolean } };
    assert.equal(sent.stream_options?.include_usage, true);
  });

  it('OpenAI completions, streamed, asking for usage: the client gets it, and it is counted', async () => {
    const stream = await clients('openai-usage').openai.completions.create({ model: 'llama3.2', prompt: 'one two three', stream: true, stream_options: { include_usage: true } });
    let usage;
    for await (const c of stream) if (c.usage && c.usage.total_tokens > 0) usage = c.usage;
    assert.deepEqual(usage, { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 });
    const r = await recordOf('openai-usage');
    assert.deepEqual([r.promptTokens, r.completionTokens], [3, 4]);
  });

  it('OpenAI, streamed, aborted by the client', async () => {
    h.fake.behaviour.chunkDelayMs = 150;
    h.fake.behaviour.chunks = 20;
    try {
      const stream = await clients('openai-abort').openai.chat.completions.create({ model: 'llama3.2', messages, stream: true });
      let parts = 0;
      for await (const _c of stream) if (++parts === 2) stream.controller.abort();
    } catch {
      /* the SDK may surface the abort */
    } finally {
      h.fake.behaviour.chunkDelayMs = 0;
      h.fake.behaviour.chunks = 4;
    }
    const r = await recordOf('openai-abort');
    assert.equal(r.aborted, true);
    assert.ok(r.completionTokens !== null && r.completionTokens >= 2 && r.completionTokens < 20);
  });

  it('OpenAI, streamed, cut short by a model error (an empty chunk and no [DONE], as Ollama sends it): recorded as truncated', async () => {
    try {
      for await (const _c of await clients('openai-broken').openai.chat.completions.create({ model: 'broken', messages, stream: true })) {
        /* drain */
      }
    } catch {
      /* the client may or may not notice; the record must */
    }
    const r = await recordOf('openai-broken');
    assert.match(r.error ?? '', /ended before it was complete \(no \[DONE\]\)/);
  });

  it('an Ollama error status is recorded with its message', async () => {
    await assert.rejects(clients('native-404').ollama.chat({ model: 'missing-model', messages }));
    const r = await recordOf('native-404');
    assert.equal(r.status, 404);
    assert.match(r.error ?? '', /not found/);
  });

  it('rolls requests up per hour, token and model', () => {
    h.core.metering.flush();
    const hours = h.core.store.metering.hourlySince(0).filter((a) => a.token_name === 'native-json');
    assert.equal(hours.length, 1);
    assert.deepEqual([hours[0]!.requests, hours[0]!.prompt_tokens, hours[0]!.completion_tokens, hours[0]!.model], [1, 3, 4, 'llama3.2:latest']);
    assert.ok(Object.keys(hours[0]!.durationHist).length > 0 && Object.keys(hours[0]!.ttfbHist).length > 0, 'the hour keeps its latency histograms');
  });
});

describe('with usage metering turned off', async () => {
  const h = await startHarness();
  h.core.store.setSetting('usageMetering', false, 'cli');
  const token = h.token('unmetered');

  it('serves requests and records none of them', async () => {
    const res = await call(`${h.url}/api/chat`, { ca: h.ca, headers: bearer(token), body: { model: 'llama3.2', messages: [], stream: false } });
    assert.equal(res.status, 200);
    await new Promise((r) => setTimeout(r, 50));
    h.core.metering.flush();
    assert.equal(h.core.store.metering.requestsSince(0).length, 0);
  });
});

describe('a client that did not ask for usage', async () => {
  const h = await startHarness({ fake: { chunks: 6, fixedTime: 1_790_000_000_000 } });
  const token = h.token('bytes');

  /** The raw bytes of a streamed answer. */
  const raw = (url: string, headers: Record<string, string>, body: object, ca?: string) =>
    new Promise<Buffer>((resolve, reject) => {
      open(url, { headers, body, ...(ca ? { ca } : {}) }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(Buffer.concat(chunks)));
        res.on('error', reject);
      }).on('error', reject);
    });

  for (const path of ['/v1/chat/completions', '/v1/completions']) {
    it(`receives byte for byte what Ollama sends without the injection (${path})`, async () => {
      const body = path.endsWith('chat/completions') ? { model: 'llama3.2', messages: [{ role: 'user', content: 'a b' }], stream: true } : { model: 'llama3.2', prompt: 'a b', stream: true };
      const before = h.core.store.metering.requestsSince(0).length;
      const direct = await raw(`${h.fake.url}${path}`, {}, body);
      const through = await raw(`${h.url}${path}`, bearer(token), body, h.ca);
      assert.ok(direct.length > 100);
      assert.equal(through.toString(), direct.toString());
      // The client may see the end of the stream a moment before the gateway records the request.
      await eventually(() => {
        h.core.metering.flush();
        return h.core.store.metering.requestsSince(0).length > before;
      }, 2000, 'the request to be recorded');
      const last = h.core.store.metering.requestsSince(0).at(-1)!;
      assert.deepEqual([last.promptTokens, last.completionTokens], [2, 6]);
      assert.equal(last.bytesOut, direct.length);
    });
  }
});

describe('the audit log and stored security events', async () => {
  const h = await startHarness({ actor: 'window' });

  it('records token and setting changes with their actor', () => {
    h.core.tokens.create({ name: 'audited', rpm: 5 });
    h.core.tokens.update('audited', { rpm: 10 });
    h.core.tokens.revoke('audited');
    h.core.store.setSetting('paused', true, 'tray');
    h.core.store.setSetting('paused', false, 'tray');
    const entries = h.core.store.metering.auditSince(0).map((a) => `${a.actor} ${a.action} ${a.target ?? ''}`);
    assert.deepEqual(entries, ['window token.created audited', 'window token.updated audited', 'window token.revoked audited', 'tray remote.paused paused', 'tray remote.resumed paused']);
  });

  it('records model pulls and deletes made through the API, with the token that made them', async () => {
    const admin = h.token('puller', { scope: 'admin' });
    assert.equal((await call(`${h.url}/api/pull`, { ca: h.ca, headers: bearer(admin), body: { model: 'tinyllama', stream: false } })).status, 200);
    assert.equal((await call(`${h.url}/api/delete`, { ca: h.ca, method: 'DELETE', headers: bearer(admin), body: { model: 'tinyllama' } })).status, 200);
    // Written through the metering queue (never on the request path), within its flush interval.
    const entries = () => h.core.store.metering.auditSince(0).filter((a) => a.actor === 'api').map((a) => `${a.action} ${a.target} ${a.detail}`);
    await eventually(() => (h.core.metering.flush(), entries().length === 2), 3000, 'both audit rows');
    assert.deepEqual(entries(), ['model.pulled tinyllama:latest token puller', 'model.deleted tinyllama:latest token puller']);
  });

  it('stores security events', async () => {
    await call(`${h.url}/api/tags`, { ca: h.ca, headers: bearer('gth_nope') });
    h.core.metering.flush();
    const events = h.core.store.metering.securitySince(0);
    assert.equal(events.at(-1)?.kind, 'auth_failed');
    assert.equal(events.at(-1)?.path, '/api/tags');
  });
});
