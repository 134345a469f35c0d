import assert from 'node:assert/strict';
import { request as httpsRequest } from 'node:https';
import { describe, it } from 'node:test';
import { bearer, call, eventually, startHarness, type Harness } from '../helpers';
import { rawRequest } from '../helpers-raw';

const onlyLoopback = (ip: string) => ip === '127.0.0.1' || ip === '::ffff:127.0.0.1' || ip === '::1';

/** A dashboard session on this computer, to check what the attacker could not change. */
async function dashboard(h: Harness) {
  const code = new URL(h.core.adminLink()!.url).hash.replace('#login=', '');
  const res = await call(`${h.url}/admin/api/session`, { body: { code }, ...(h.ca ? { ca: h.ca } : {}) });
  assert.equal(res.status, 200, res.text);
  const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  const jar = cookies.map((c) => c.split(';')[0]!).join('; ');
  const csrf = /gatehouse-csrf[^=]*=([^;]+)/.exec(jar)![1]!;
  return { cookies, api: (op: string, args: unknown = {}) => call(`${h.url}/admin/api/${op}`, { body: args as object, ...(h.ca ? { ca: h.ca } : {}), headers: { cookie: jar, 'x-gatehouse-csrf': csrf } }) };
}

describe('the dashboard API without a session', async () => {
  const h = await startHarness({ isLocalClient: onlyLoopback });
  const tokensBefore = h.core.store.tokens.all().length;

  it('refuses a percent-encoded /admin/%61pi/createToken with 400 and creates nothing', async () => {
    for (const path of ['/admin/%61pi/createToken', '/%61dmin/api/createToken', '/admin/ap%69/createToken', '/admin/api/%63reateToken', '/admin/%2561pi/createToken']) {
      const res = await call(`${h.url}${path}`, { ca: h.ca!, body: { name: 'x', scope: 'admin' } });
      assert.equal(res.status, 400, `${path}: ${res.text}`);
      assert.ok(!res.text.includes('gth_'), path);
    }
    assert.equal(h.core.store.tokens.all().length, tokensBefore);
  });

  it('refuses an absolute-form target with 400, over a raw TLS socket', async () => {
    const body = JSON.stringify({ name: 'x', scope: 'admin' });
    for (const target of [`https://127.0.0.1:${h.info.port}/admin/api/createToken`, `http://localhost/admin/api/updateSettings`, '*']) {
      const res = await rawRequest(h.info.port, `POST ${target} HTTP/1.1\r\nHost: 127.0.0.1:${h.info.port}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`, { ca: h.ca! });
      assert.equal(res.status, 400, `${target}: ${res.text.slice(0, 300)}`);
      assert.ok(!res.text.includes('gth_'));
    }
    assert.equal(h.core.store.tokens.all().length, tokensBefore);
  });

  it('answers 401 for every spelling the router maps to an operation, and the open routes stay open', async () => {
    for (const path of ['/admin/api/createToken', '/admin/api/updateSettings', '/admin/api/beginRemoteAdmin', '/admin/api/listTokens']) {
      const res = await call(`${h.url}${path}`, { ca: h.ca!, body: {} });
      assert.equal(res.status, 401, path);
    }
    const events = await call(`${h.url}/admin/api/events`, { ca: h.ca! });
    assert.equal(events.status, 401);
    assert.equal((await call(`${h.url}/admin/api/login-info`, { ca: h.ca! })).status, 200);
  });
});

describe('CORS on the dashboard and invite pages', async () => {
  const h = await startHarness({ isLocalClient: onlyLoopback });
  const evil = { origin: 'https://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' };

  it('refuses preflights to /admin and /invite, with no Allow-Origin', async () => {
    for (const path of ['/admin/api/createToken', '/admin/%61pi/createToken', '/admin/', '/invite/inv_000000000000/redeem', '/healthz']) {
      const res = await call(`${h.url}${path}`, { ca: h.ca!, method: 'OPTIONS', headers: evil });
      assert.ok(res.status >= 400 && res.status < 500, `${path}: ${res.status}`);
      assert.equal(res.headers['access-control-allow-origin'], undefined, path);
    }
  });

  it('gives no Allow-Origin to answers from /admin and /invite', async () => {
    for (const path of ['/admin/api/login-info', '/invite/ca.crt', '/invite/inv_000000000000/info']) {
      const res = await call(`${h.url}${path}`, { ca: h.ca!, headers: { origin: 'https://evil.example', ...bearer(h.token()) } });
      assert.equal(res.headers['access-control-allow-origin'], undefined, path);
    }
  });

  it('still answers preflights on the Ollama API routes', async () => {
    const res = await call(`${h.url}/api/chat`, { ca: h.ca!, method: 'OPTIONS', headers: evil });
    assert.equal(res.status, 204);
    assert.equal(res.headers['access-control-allow-origin'], '*');
  });
});

describe('trustLoopback', async () => {
  const h = await startHarness({ isLocalClient: onlyLoopback, overrides: { trustLoopback: true } });
  const chat = { model: 'llama3.2', messages: [{ role: 'user', content: 'hi' }], stream: false };

  it('lets a program on this computer run a model without a token, and gives the answer no Allow-Origin', async () => {
    const res = await call(`${h.url}/api/chat`, { ca: h.ca!, body: chat });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers['access-control-allow-origin'], undefined);
  });

  it('does not trust a request that a web page sent, or that names another host (DNS rebinding)', async () => {
    const seen = h.fake.requests.length;
    const cases: Array<Record<string, string>> = [
      { origin: 'https://evil.example' },
      { origin: 'null' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
      { host: 'evil.example' },
      { host: `rebind.attacker.example:${h.info.port}` },
    ];
    for (const headers of cases) {
      const res = await call(`${h.url}/api/chat`, { ca: h.ca!, body: chat, headers, servername: 'localhost' });
      assert.equal(res.status, 401, JSON.stringify(headers));
      assert.match(res.json<{ error: string }>().error, /not from web pages|Send an API token/);
    }
    assert.equal(h.fake.requests.length, seen, 'nothing reached Ollama');
  });

  it('covers running models only: pull, push, create, copy and delete need a token', async () => {
    const seen = h.fake.requests.length;
    for (const [method, path, body] of [
      ['POST', '/api/pull', { model: 'llama3.2' }],
      ['POST', '/api/push', { model: 'someone/x' }],
      ['POST', '/api/create', { model: 'x', from: 'llama3.2' }],
      ['POST', '/api/copy', { source: 'llama3.2', destination: 'y' }],
      ['DELETE', '/api/delete', { model: 'llama3.2' }],
    ] as const) {
      const res = await call(`${h.url}${path}`, { ca: h.ca!, method, body });
      assert.equal(res.status, 403, path);
      assert.match(res.text, /needs an admin token/);
    }
    assert.equal(h.fake.requests.length, seen);
  });
});

describe('what a pull may name', async () => {
  const h = await startHarness({ isLocalClient: onlyLoopback });
  const admin = h.token('puller', { scope: 'admin' });

  it('refuses registries off the allow-list, addresses of this machine and its networks, and ports', async () => {
    const seen = h.fake.requests.length;
    for (const model of ['evil.example/x/y', '127.0.0.1/x/y', '127.0.0.1:5000/x/y', 'localhost/x/y', 'localhost:5000/x/y', '169.254.169.254/latest/meta', 'metadata.google.internal/x/y', 'registry.ollama.ai:8080/library/llama3.2', 'nas.local/x/y', '10.0.0.5/x/y', 'intranet/x/y']) {
      const res = await call(`${h.url}/api/pull`, { ca: h.ca!, headers: bearer(admin), body: { model } });
      assert.ok(res.status === 403 || res.status === 400, `${model}: ${res.status} ${res.text}`);
      if (res.status === 403) assert.match(res.text, /may not fetch/);
    }
    const insecure = await call(`${h.url}/api/pull`, { ca: h.ca!, headers: bearer(admin), body: { model: 'llama3.2', insecure: true } });
    assert.equal(insecure.status, 403);
    assert.match(insecure.text, /insecure/);
    const folded = await call(`${h.url}/api/pull`, { ca: h.ca!, headers: bearer(admin), body: '{"model":"llama3.2","Insecure":true}' });
    assert.equal(folded.status, 400);
    assert.equal(h.fake.requests.length, seen, 'none reached Ollama');
  });

  it('lets names on the allow-list through, with https\'s own port reduced away', async () => {
    for (const model of ['llama3.2', 'hf.co/bartowski/x-GGUF:Q4_K_M', 'REGISTRY.ollama.ai:443/library/llama3.2']) {
      const res = await call(`${h.url}/api/pull`, { ca: h.ca!, headers: bearer(admin), body: { model, stream: false } });
      assert.notEqual(res.status, 403, `${model}: ${res.text}`);
    }
  });

  it('applies the same allow-list to pulls from the dashboard', async () => {
    const { api } = await dashboard(h);
    const res = await api('pullModel', { model: 'evil.example/x/y' });
    assert.equal(res.status, 403);
    assert.match(res.text, /registry allow-list/);
  });
});

describe('one canonical model name before the ACL', async () => {
  const h = await startHarness({ isLocalClient: onlyLoopback });
  const limited = h.token('no-qwen', { scope: 'admin', denyModels: ['qwen2.5'] });

  it('refuses every spelling of a denied model, including Ollama\'s :local suffix', async () => {
    const seen = h.fake.requests.length;
    for (const model of ['qwen2.5', 'qwen2.5:local', 'QWEN2.5:LOCAL', 'library/qwen2.5:local', 'registry.ollama.ai:443/library/qwen2.5', 'REGISTRY.OLLAMA.AI/library/qwen2.5:latest', 'qwen2.5:latest:local']) {
      const res = await call(`${h.url}/api/chat`, { ca: h.ca!, headers: bearer(limited), body: { model, messages: [] } });
      assert.equal(res.status, 403, `${model}: ${res.text}`);
    }
    const both = await call(`${h.url}/api/chat`, { ca: h.ca!, headers: bearer(limited), body: { model: 'qwen2.5:local:cloud', messages: [] } });
    assert.equal(both.status, 400, 'two sources, as Ollama refuses');
    assert.equal(h.fake.requests.length, seen);
  });

  it('refuses /api/create with files or adapters to a token with an ACL, not to one without', async () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    for (const body of [{ model: 'mine', files: { 'model.gguf': digest } }, { model: 'mine', from: 'llama3.2', adapters: { 'a.gguf': digest } }]) {
      const res = await call(`${h.url}/api/create`, { ca: h.ca!, headers: bearer(limited), body });
      assert.equal(res.status, 403, res.text);
      assert.match(res.text, /files or adapters/);
    }
    const open = h.token('creator', { scope: 'admin' });
    const res = await call(`${h.url}/api/create`, { ca: h.ca!, headers: bearer(open), body: { model: 'mine', files: { 'model.gguf': digest } } });
    assert.notEqual(res.status, 403);
  });
});

describe('cloud models and web search', async () => {
  const h = await startHarness({ isLocalClient: onlyLoopback });
  const plain = h.token('plain', { scope: 'admin' });
  const cloud = h.token('cloudy', { cloud: true });

  it('are refused without the cloud permission, with a message that says why', async () => {
    const seen = h.fake.requests.length;
    for (const [path, body] of [
      ['/api/chat', { model: 'gpt-oss:120b-cloud', messages: [] }],
      ['/api/chat', { model: 'gpt-oss:cloud', messages: [] }],
      ['/api/chat', { model: 'gpt-oss:120b:cloud', messages: [] }],
      ['/v1/chat/completions', { model: 'deepseek-v3.1:671b-CLOUD', messages: [] }],
      ['/api/experimental/web_search', { query: 'x' }],
      ['/api/experimental/web_fetch', { url: 'https://example.com' }],
    ] as const) {
      const res = await call(`${h.url}${path}`, { ca: h.ca!, headers: bearer(plain), body });
      assert.equal(res.status, 403, `${path} ${JSON.stringify(body)}`);
      assert.match(res.text, /ollama\.com account/);
    }
    assert.equal(h.fake.requests.length, seen);
  });

  it('are forwarded for a token with it', async () => {
    const search = await call(`${h.url}/api/experimental/web_search`, { ca: h.ca!, headers: bearer(cloud), body: { query: 'x' } });
    assert.notEqual(search.status, 403, search.text);
    assert.equal(h.fake.requests.at(-1)?.url, '/api/experimental/web_search');
  });

  it('keeps the owner\'s account routes closed to every token', async () => {
    for (const [method, path] of [['GET', '/api/me'], ['POST', '/api/signout'], ['DELETE', '/api/user/keys/abc']] as const) {
      const res = await call(`${h.url}${path}`, { ca: h.ca!, method, headers: bearer(cloud) });
      assert.equal(res.status, 404, path);
    }
  });
});

describe('what reaches Ollama', async () => {
  const h = await startHarness({ isLocalClient: onlyLoopback, fake: { firstByteDelayMs: 0 } });
  const token = h.token();

  it('never carries the client\'s query string', async () => {
    for (const path of ['/api/tags?x=1&insecure=true', '/api/chat?model=qwen', '/v1/models?limit=1']) {
      const body = path.startsWith('/api/chat') ? { model: 'llama3.2', messages: [], stream: false } : undefined;
      const res = await call(`${h.url}${path}`, { ca: h.ca!, headers: bearer(token), ...(body ? { body } : {}) });
      assert.equal(res.status, 200, path);
      assert.equal(h.fake.requests.at(-1)?.url, path.split('?')[0]);
    }
    const blob = await call(`${h.url}/api/blobs/sha256:${'0'.repeat(64)}?redirect=x`, { ca: h.ca!, method: 'HEAD', headers: bearer(h.token('blobs', { scope: 'admin' })) });
    assert.equal(blob.status, 404);
    assert.equal(h.fake.requests.at(-1)?.url, `/api/blobs/sha256:${'0'.repeat(64)}`);
  });

  it('cancels the upstream request within a second when the client gives up before Ollama answers', async () => {
    h.fake.behaviour.firstByteDelayMs = 5000;
    const seen = h.fake.requests.length;
    const req = httpsRequest(`${h.url}/api/chat`, { method: 'POST', ca: h.ca!, headers: { ...bearer(token), 'content-type': 'application/json' } });
    req.on('error', () => {}); // the client gives up: its own request errors, as expected
    req.end(JSON.stringify({ model: 'llama3.2', messages: [], stream: false }));
    await eventually(() => h.fake.requests.length > seen, 2000, 'the request to reach Ollama');
    const upstream = h.fake.requests.at(-1)!;
    const started = Date.now();
    req.destroy();
    assert.equal(await upstream.aborted, true);
    const took = Date.now() - started;
    assert.ok(took < 1000, `Ollama saw the cancel after ${took} ms`);
    h.fake.behaviour.firstByteDelayMs = 0;
  });
});

describe('clients that go away', async () => {
  const lines: string[] = [];
  const log = { info: (m: string) => lines.push(`info ${m}`), warn: (m: string) => lines.push(`warn ${m}`), error: (m: string, e?: unknown) => lines.push(`error ${m} ${String(e)}`) };
  const h = await startHarness({ isLocalClient: onlyLoopback, log, fake: { chunks: 200, chunkDelayMs: 0 } });
  const token = h.token();

  it('are not internal errors: a hundred disconnects mid-body, on the headers and mid-stream log no error', async () => {
    const body = JSON.stringify({ model: 'llama3.2', messages: [{ role: 'user', content: 'x'.repeat(50_000) }] });
    await Promise.all(Array.from({ length: 100 }, (_, i) => new Promise<void>((resolve) => {
      const req = httpsRequest(`${h.url}/api/chat`, { method: 'POST', ca: h.ca!, headers: { ...bearer(token), 'content-type': 'application/json', 'content-length': String(body.length) } }, (res) => {
        if (i % 3 === 1) req.destroy(); // at once, on the response headers
        else res.once('data', () => req.destroy());
      });
      req.on('error', () => resolve());
      req.on('close', () => resolve());
      // A third give up while sending the body, the rest once the answer streams.
      if (i % 3 === 0) {
        req.write(body.slice(0, 20_000));
        setTimeout(() => req.destroy(), 50);
      } else {
        req.end(body);
      }
    })));
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(lines.filter((l) => l.startsWith('error')), []);
  });
});

describe('dashboard cookies without TLS', async () => {
  const h = await startHarness({ tls: false, isLocalClient: onlyLoopback });

  it('carry the port in their name, so another localhost program neither overwrites nor shares them', async () => {
    const { cookies, api } = await dashboard(h);
    assert.ok(cookies.some((c) => c.startsWith(`gatehouse-session-${h.info.port}=`)), cookies.join(' | '));
    assert.ok(cookies.some((c) => c.startsWith(`gatehouse-csrf-${h.info.port}=`)));
    assert.ok(cookies.every((c) => !c.startsWith('gatehouse-session=')));
    assert.equal((await api('getOverview')).status, 200);
    const other = await call(`${h.url}/admin/api/listTokens`, { body: {}, headers: { cookie: 'gatehouse-session=x; gatehouse-session-1=y' } });
    assert.equal(other.status, 401);
  });
});
