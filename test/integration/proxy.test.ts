import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bearer, call, eventually, open, startHarness } from '../helpers';

describe('the proxy in front of Ollama', async () => {
  const h = await startHarness({ fake: { chunks: 5 } });
  const token = h.token('proxy-user');
  const ca = h.ca;

  it('forwards a chat with a valid token and returns Ollama\'s answer unchanged', async () => {
    const res = await call(`${h.url}/api/chat`, {
      ca,
      headers: bearer(token),
      body: { model: 'llama3.2', messages: [{ role: 'user', content: 'hi there' }], stream: false },
    });
    assert.equal(res.status, 200);
    const body = res.json<{ message: { content: string }; eval_count: number; done: boolean }>();
    assert.equal(body.message.content, 'tok0 tok1 tok2 tok3 tok4 ');
    assert.equal(body.eval_count, 5);
    assert.equal(body.done, true);
  });

  it('accepts the token from X-Api-Key too', async () => {
    const res = await call(`${h.url}/api/tags`, { ca, headers: { 'x-api-key': token } });
    assert.equal(res.status, 200);
    assert.ok(res.json<{ models: unknown[] }>().models.length >= 3);
  });

  it('never passes the token, cookies, Origin or forwarding headers to Ollama, and rewrites Host', async () => {
    const before = h.fake.requests.length;
    const res = await call(`${h.url}/api/show`, {
      ca,
      headers: {
        ...bearer(token),
        'x-api-key': token,
        cookie: 'session=secret',
        origin: 'https://evil.example',
        'x-forwarded-for': '6.6.6.6',
        forwarded: 'for=6.6.6.6',
        'x-real-ip': '6.6.6.6',
        'x-http-method-override': 'DELETE',
        'proxy-authorization': 'Basic eA==',
      },
      body: { model: 'llama3.2' },
    });
    assert.equal(res.status, 200, res.text);
    const seen = h.fake.requests.slice(before);
    assert.equal(seen.length, 1);
    const headers = seen[0]!.headers;
    for (const name of ['authorization', 'x-api-key', 'cookie', 'origin', 'x-forwarded-for', 'forwarded', 'x-real-ip', 'x-http-method-override', 'proxy-authorization']) {
      assert.equal(headers[name], undefined, `${name} reached Ollama`);
    }
    assert.equal(headers.host, `127.0.0.1:${h.fake.port}`);
    assert.ok(!seen[0]!.body.toString().includes(token));
  });

  it('sends any body to Ollama as JSON, whatever content type the client claimed', async () => {
    const before = h.fake.requests.length;
    const res = await call(`${h.url}/api/show`, {
      ca,
      headers: { ...bearer(token), 'content-type': 'application/x-www-form-urlencoded' },
      body: '{"model":"llama3.2"}',
    });
    assert.equal(res.status, 200, res.text);
    const seen = h.fake.requests[before]!;
    assert.equal(seen.headers['content-type'], 'application/json');
    assert.equal(seen.body.toString(), '{"model":"llama3.2"}');
  });

  it('passes Ollama\'s error statuses and bodies through', async () => {
    const res = await call(`${h.url}/api/chat`, { ca, headers: bearer(token), body: { model: 'nope', messages: [] } });
    assert.equal(res.status, 404);
    assert.match(res.json<{ error: string }>().error, /model "nope" not found/);
  });

  it('streams NDJSON chunk by chunk, the first long before the end, unbuffered', async () => {
    h.fake.behaviour.chunkDelayMs = 100;
    try {
      const start = Date.now();
      const arrivals: number[] = [];
      const lines: string[] = [];
      let contentType = '';
      let accel = '';
      await new Promise<void>((resolve, reject) => {
        open(`${h.url}/api/generate`, { ca, headers: bearer(token), body: { model: 'llama3.2', prompt: 'count' } }, (res) => {
          contentType = String(res.headers['content-type']);
          accel = String(res.headers['x-accel-buffering']);
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            arrivals.push(Date.now() - start);
            lines.push(...chunk.split('\n').filter(Boolean));
          });
          res.on('end', resolve);
          res.on('error', reject);
        }).on('error', reject);
      });
      assert.equal(contentType, 'application/x-ndjson');
      assert.equal(accel, 'no');
      assert.equal(lines.length, 6);
      assert.ok(arrivals.length >= 5, `expected separate chunks, got ${arrivals.length}`);
      const total = arrivals[arrivals.length - 1]!;
      assert.ok(total >= 400, `stream took ${total} ms`);
      assert.ok(arrivals[0]! < total - 300, `first chunk at ${arrivals[0]} ms of ${total} ms`);
      assert.equal((JSON.parse(lines[5]!) as { done: boolean }).done, true);
    } finally {
      h.fake.behaviour.chunkDelayMs = 0;
    }
  });

  it('aborts the upstream request when the client disconnects mid-stream', async () => {
    h.fake.behaviour.chunkDelayMs = 200;
    h.fake.behaviour.chunks = 50;
    try {
      const before = h.fake.requests.length;
      await new Promise<void>((resolve, reject) => {
        const req = open(`${h.url}/api/chat`, { ca, headers: bearer(token), body: { model: 'llama3.2', messages: [] } }, (res) => {
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        });
        req.on('error', (err) => ((err as NodeJS.ErrnoException).code === 'ECONNRESET' ? undefined : reject(err)));
      });
      await eventually(() => h.fake.requests.length > before, 2000, 'the request reaching Ollama');
      const aborted = await Promise.race([h.fake.requests[before]!.aborted, new Promise((r) => setTimeout(() => r('timeout'), 3000))]);
      assert.equal(aborted, true, 'Ollama kept generating for a client that had left');
    } finally {
      h.fake.behaviour.chunkDelayMs = 0;
      h.fake.behaviour.chunks = 5;
    }
  });

  it('refuses a 33 MiB body with 413 and forwards nothing', async () => {
    const before = h.fake.requests.length;
    const big = Buffer.alloc(33 * 1024 * 1024, 0x61);
    const res = await call(`${h.url}/api/chat`, { ca, headers: bearer(token), body: big }).catch((err: Error) => err);
    assert.ok(!(res instanceof Error), `request failed: ${res instanceof Error ? res.message : ''}`);
    assert.equal(res.status, 413);
    assert.match(res.json<{ error: string }>().error, /32 MiB/);
    assert.equal(h.fake.requests.length, before);
  });

  it('answers /healthz with "ok" and nothing else, without a token', async () => {
    const res = await call(`${h.url}/healthz`, { ca });
    assert.equal(res.status, 200);
    assert.equal(res.text, 'ok');
  });

  it('refuses routes Ollama has but Gatehouse does not forward, for every token', async () => {
    const admin = h.token('admin-404', { scope: 'admin' });
    for (const [method, path] of [['GET', '/api/me'], ['POST', '/api/signout'], ['POST', '/api/experimental/tools'], ['DELETE', '/api/user/keys/abc']] as const) {
      const res = await call(`${h.url}${path}`, { ca, method, headers: bearer(admin), ...(method === 'POST' ? { body: {} } : {}) });
      assert.equal(res.status, 404, `${method} ${path}`);
      assert.match(res.json<{ error: string }>().error, /does not forward/);
    }
  });
});

describe('when Ollama is down', async () => {
  const h = await startHarness();
  const token = h.token();
  await h.fake.crash();

  it('answers 502 saying Ollama is not reachable, and at which URL', async () => {
    const res = await call(`${h.url}/api/tags`, { ca: h.ca, headers: bearer(token) });
    assert.equal(res.status, 502);
    assert.equal(res.json<{ error: string }>().error.includes(h.fake.url), true, res.text);
    assert.match(res.text, /not reachable/);
  });

  it('uses the OpenAI error shape on /v1 routes', async () => {
    const res = await call(`${h.url}/v1/models`, { ca: h.ca, headers: bearer(token) });
    assert.equal(res.status, 502);
    const body = res.json<{ error: { message: string; type: string; code: string } }>();
    assert.equal(body.error.code, 'upstream_unreachable');
    assert.equal(body.error.type, 'server_error');
    assert.match(body.error.message, /not reachable/);
  });
});

describe('browser clients on another origin', async () => {
  const h = await startHarness();
  const token = h.token('browser');

  it('answers a CORS preflight without a token, and nothing reaches Ollama', async () => {
    const res = await call(`${h.url}/v1/chat/completions`, {
      ca: h.ca,
      method: 'OPTIONS',
      headers: { origin: 'https://chat.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers['access-control-allow-origin'], '*');
    assert.match(String(res.headers['access-control-allow-headers']), /authorization/);
    assert.equal(res.headers['access-control-allow-credentials'], undefined);
    assert.equal(h.fake.requests.length, 0);
  });

  it('lets the page read answers and refusals alike, and still strips Origin before Ollama', async () => {
    const ok = await call(`${h.url}/api/tags`, { ca: h.ca, headers: { ...bearer(token), origin: 'https://chat.example' } });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers['access-control-allow-origin'], '*');
    assert.equal(h.fake.requests.at(-1)?.headers.origin, undefined);
    const refused = await call(`${h.url}/api/tags`, { ca: h.ca, headers: { ...bearer(`${token.slice(0, -4)}AAAA`), origin: 'https://chat.example' } });
    assert.equal(refused.status, 401);
    assert.equal(refused.headers['access-control-allow-origin'], '*');
    const tokenless = await call(`${h.url}/api/tags`, { ca: h.ca, headers: { origin: 'https://chat.example' } });
    assert.equal(tokenless.status, 401);
    assert.equal(tokenless.headers['access-control-allow-origin'], undefined, 'an answer to a request without a token is not for pages');
  });

  it('still demands a token for a real OPTIONS request that is not a preflight', async () => {
    const res = await call(`${h.url}/api/chat`, { ca: h.ca, method: 'OPTIONS', headers: { origin: 'https://chat.example' } });
    assert.equal(res.status, 401);
  });
});
