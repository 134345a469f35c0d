import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bearer, call, startHarness } from '../helpers';

type Who = 'inference' | 'admin' | 'anyModel' | 'none';
interface Case {
  name: string;
  who: Who;
  method?: string;
  path: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
  /** Exact status, or a range for "some clear 4xx". */
  expect: number | '4xx';
}

const json = (v: unknown) => JSON.stringify(v);
const chat = (body: string, extra: Partial<Case> = {}): Omit<Case, 'name'> => ({ who: 'inference', method: 'POST', path: '/api/chat', body, expect: 403, ...extra });

/**
 * Requests that try to get past the scope, the route table or the model ACL. Every one must get a
 * clear 4xx, and Ollama must see none of them. Tokens: `inference` and `admin` may use llama*
 * except llama3.3*; `anyModel` allows every local model ("*").
 */
const CASES: Case[] = [
  // Admin routes with an inference token, however the path is spelled.
  { name: 'pull', who: 'inference', method: 'POST', path: '/api/pull', body: json({ model: 'llama3.2' }), expect: 403 },
  { name: 'pull in upper case', who: 'inference', method: 'POST', path: '/API/PULL', body: json({ model: 'llama3.2' }), expect: 403 },
  { name: 'pull percent-encoded', who: 'inference', method: 'POST', path: '/api/%70ull', body: json({ model: 'llama3.2' }), expect: 400 },
  { name: 'pull with duplicate slashes', who: 'inference', method: 'POST', path: '//api//pull', body: json({ model: 'llama3.2' }), expect: 403 },
  { name: 'pull with a trailing slash', who: 'inference', method: 'POST', path: '/api/pull/', body: json({ model: 'llama3.2' }), expect: 403 },
  { name: 'pull with a query', who: 'inference', method: 'POST', path: '/api/pull?x=/api/chat', body: json({ model: 'llama3.2' }), expect: 403 },
  { name: 'pull via dot-dot', who: 'inference', method: 'POST', path: '/api/chat/../pull', body: json({ model: 'llama3.2' }), expect: 400 },
  { name: 'pull via dot', who: 'inference', method: 'POST', path: '/api/./pull', body: json({ model: 'llama3.2' }), expect: 400 },
  { name: 'pull via encoded dot-dot', who: 'inference', method: 'POST', path: '/api/chat/%2e%2e/pull', body: json({ model: 'llama3.2' }), expect: 400 },
  { name: 'pull via encoded slash', who: 'inference', method: 'POST', path: '/api%2fpull', body: json({ model: 'llama3.2' }), expect: 400 },
  { name: 'pull via encoded slash, upper case', who: 'inference', method: 'POST', path: '/api%2Fpull', body: json({ model: 'llama3.2' }), expect: 400 },
  { name: 'pull via backslash', who: 'inference', method: 'POST', path: '/api\\pull', body: json({ model: 'llama3.2' }), expect: 400 },
  { name: 'pull via encoded backslash', who: 'inference', method: 'POST', path: '/api%5cpull', body: json({ model: 'llama3.2' }), expect: 400 },
  { name: 'pull with an encoded NUL', who: 'inference', method: 'POST', path: '/api/pull%00', body: json({ model: 'llama3.2' }), expect: 400 },
  { name: 'pull via /v1/..', who: 'inference', method: 'POST', path: '/v1/../api/pull', body: json({ model: 'llama3.2' }), expect: 400 },
  { name: 'pull with a path parameter', who: 'inference', method: 'POST', path: '/api/pull;jsessionid=1', body: json({ model: 'llama3.2' }), expect: 404 },
  { name: 'delete', who: 'inference', method: 'DELETE', path: '/api/delete', body: json({ model: 'llama3.2' }), expect: 403 },
  { name: 'delete as POST with a method override', who: 'inference', method: 'POST', path: '/api/delete', body: json({ model: 'llama3.2' }), headers: { 'x-http-method-override': 'DELETE' }, expect: 405 },
  { name: 'delete as PATCH', who: 'admin', method: 'PATCH', path: '/api/delete', body: json({ model: 'llama3.2' }), expect: 405 },
  { name: 'chat as PUT', who: 'inference', method: 'PUT', path: '/api/chat', body: json({ model: 'llama3.2' }), expect: 405 },
  { name: 'copy', who: 'inference', method: 'POST', path: '/api/copy', body: json({ source: 'llama3.2', destination: 'llama-x' }), expect: 403 },
  { name: 'create', who: 'inference', method: 'POST', path: '/api/create', body: json({ model: 'llama-x', from: 'llama3.2' }), expect: 403 },
  { name: 'push', who: 'inference', method: 'POST', path: '/api/push', body: json({ model: 'llama3.2' }), expect: 403 },
  { name: 'blob upload', who: 'inference', method: 'POST', path: `/api/blobs/sha256:${'0'.repeat(64)}`, body: 'x', expect: 403 },
  { name: 'blob with a traversing digest', who: 'admin', method: 'POST', path: '/api/blobs/..%2f..%2fapi%2fpull', body: 'x', expect: 400 },
  { name: 'blob with a malformed digest', who: 'admin', method: 'POST', path: '/api/blobs/sha256:xyz', body: 'x', expect: 404 },
  // Routes that are never forwarded.
  { name: 'account: me', who: 'admin', method: 'GET', path: '/api/me', expect: 404 },
  { name: 'account: signout', who: 'admin', method: 'POST', path: '/api/signout', body: '{}', expect: 404 },
  { name: 'account: keys', who: 'admin', method: 'DELETE', path: '/api/user/keys/abc', expect: 404 },
  { name: 'experimental web search without the cloud permission', who: 'admin', method: 'POST', path: '/api/experimental/web_search', body: json({ query: 'x' }), expect: 403 },
  { name: 'experimental, case-mangled, without the cloud permission', who: 'admin', method: 'POST', path: '/API/Experimental/web_fetch', body: '{}', expect: 403 },
  { name: 'another experimental route', who: 'admin', method: 'POST', path: '/api/experimental/tools', body: '{}', expect: 404 },
  { name: 'status', who: 'admin', method: 'GET', path: '/api/status', expect: 404 },
  // Model ACL: other models, other spellings, other fields.
  { name: 'a model outside the allow list', ...chat(json({ model: 'qwen2.5:7b' })) },
  { name: 'the same in upper case', ...chat(json({ model: 'QWEN2.5:7B' })) },
  { name: 'the legacy name field', ...chat(json({ name: 'qwen2.5:7b' })) },
  { name: 'an allowed model plus a refused name', ...chat(json({ model: 'llama3.2', name: 'qwen2.5:7b' })) },
  { name: 'a capitalised Model key', ...chat('{"model":"llama3.2","Model":"qwen2.5:7b"}', { expect: 400 }) },
  { name: 'an upper-case MODEL key alone', ...chat('{"MODEL":"qwen2.5:7b"}', { expect: 400 }) },
  { name: 'duplicate keys, refused model last', ...chat('{"model":"llama3.2","model":"qwen2.5:7b"}') },
  { name: 'a denied model', ...chat(json({ model: 'llama3.3:70b' })) },
  { name: 'a denied model with its namespace', ...chat(json({ model: 'library/llama3.3:70b' })) },
  { name: 'a denied model with host and namespace', ...chat(json({ model: 'registry.ollama.ai/library/llama3.3' })) },
  { name: 'a denied model with the implicit tag', ...chat(json({ model: 'llama3.3' })) },
  { name: 'a digest reference', ...chat(json({ model: `llama3.2@sha256:${'a'.repeat(64)}` }), { expect: 400 }) },
  { name: 'a Cyrillic look-alike', ...chat(json({ model: 'llаma3.2' }), { expect: 400 }) },
  { name: 'a full-width look-alike', ...chat(json({ model: 'ｌｌａｍａ3.2' }), { expect: 400 }) },
  { name: 'a NUL inside the name', ...chat(json({ model: 'llama3.2\u0000qwen' }), { expect: 400 }) },
  { name: 'an escaped name', ...chat('{"model":"qwen\\u0032.5:7b"}') },
  { name: 'a 10 000-character name', ...chat(json({ model: `llama${'a'.repeat(10_000)}` }), { expect: 400 }) },
  { name: 'a number for a model', ...chat(json({ model: 1 }), { expect: 400 }) },
  { name: 'an object for a model', ...chat(json({ model: { name: 'qwen2.5' } }), { expect: 400 }) },
  { name: 'an array for a model', ...chat(json({ model: ['llama3.2', 'qwen2.5'] }), { expect: 400 }) },
  { name: 'no model at all', ...chat(json({ messages: [] }), { expect: 400 }) },
  { name: 'text/plain body', ...chat(json({ model: 'qwen2.5:7b' }), { headers: { 'content-type': 'text/plain' } }) },
  { name: 'form-encoded body', ...chat('model=llama3.2', { headers: { 'content-type': 'application/x-www-form-urlencoded' }, expect: 400 }) },
  { name: 'no content type', ...chat(json({ model: 'qwen2.5:7b' }), { headers: { 'content-type': '' } }) },
  { name: 'broken JSON', ...chat('{"model":', { expect: 400 }) },
  { name: 'two JSON values', ...chat('{"model":"llama3.2"}{"model":"qwen2.5:7b"}', { expect: 400 }) },
  { name: 'a byte-order mark', ...chat('\ufeff{"model":"qwen2.5:7b"}', { expect: 400 }) },
  { name: 'an empty body', ...chat('', { expect: 400 }) },
  { name: 'a JSON array', ...chat('[{"model":"llama3.2"}]', { expect: 400 }) },
  { name: 'JSON null', ...chat('null', { expect: 400 }) },
  { name: 'a 33 MiB body', ...chat(Buffer.alloc(33 * 1024 * 1024, 0x20).toString(), { expect: 413 }) },
  { name: 'OpenAI chat, refused model', who: 'inference', method: 'POST', path: '/v1/chat/completions', body: json({ model: 'qwen2.5:7b', messages: [] }), expect: 403 },
  { name: 'OpenAI embeddings, refused model', who: 'inference', method: 'POST', path: '/v1/embeddings', body: json({ model: 'qwen2.5:7b', input: 'x' }), expect: 403 },
  { name: 'Anthropic messages, refused model', who: 'inference', method: 'POST', path: '/v1/messages', body: json({ model: 'qwen2.5:7b', messages: [] }), expect: 403 },
  { name: 'embed with the legacy name', who: 'inference', method: 'POST', path: '/api/embed', body: json({ name: 'qwen2.5:7b', input: 'x' }), expect: 403 },
  { name: 'model info of a refused model', who: 'inference', method: 'GET', path: '/v1/models/qwen2.5:7b', expect: 403 },
  { name: 'model info in upper case', who: 'inference', method: 'GET', path: '/v1/models/QWEN2.5:7B', expect: 403 },
  { name: 'model info with a namespace (one path segment in Ollama too)', who: 'inference', method: 'GET', path: '/v1/models/library/qwen2.5:7b', expect: 404 },
  { name: 'model info, percent-encoded', who: 'inference', method: 'GET', path: '/v1/models/%71wen2.5:7b', expect: 400 },
  // Admin token, model fields of management routes.
  { name: 'copy from a refused model', who: 'admin', method: 'POST', path: '/api/copy', body: json({ source: 'qwen2.5:7b', destination: 'llama-mine' }), expect: 403 },
  { name: 'copy onto a refused name', who: 'admin', method: 'POST', path: '/api/copy', body: json({ source: 'llama3.2', destination: 'qwen2.5:7b' }), expect: 403 },
  { name: 'copy with a long-s source key', who: 'admin', method: 'POST', path: '/api/copy', body: '{"source":"llama3.2","ſource":"qwen2.5:7b","destination":"llama-x"}', expect: 400 },
  { name: 'copy without a destination', who: 'admin', method: 'POST', path: '/api/copy', body: json({ source: 'llama3.2' }), expect: 400 },
  { name: 'create from a refused model', who: 'admin', method: 'POST', path: '/api/create', body: json({ model: 'llama-new', from: 'qwen2.5:7b' }), expect: 403 },
  { name: 'pull a refused model', who: 'admin', method: 'POST', path: '/api/pull', body: json({ model: 'qwen2.5:7b' }), expect: 403 },
  { name: 'pull by legacy name', who: 'admin', method: 'POST', path: '/api/pull', body: json({ name: 'qwen2.5:7b' }), expect: 403 },
  { name: 'delete a refused model', who: 'admin', method: 'DELETE', path: '/api/delete', body: json({ model: 'qwen2.5:7b' }), expect: 403 },
  { name: 'delete with model and name', who: 'admin', method: 'DELETE', path: '/api/delete', body: json({ model: 'llama3.2', name: 'qwen2.5:7b' }), expect: 403 },
  { name: 'a cloud model under "*"', who: 'anyModel', method: 'POST', path: '/api/chat', body: json({ model: 'gpt-oss:120b-cloud', messages: [] }), expect: 403 },
  { name: 'a cloud model by its bare tag', who: 'anyModel', method: 'POST', path: '/api/generate', body: json({ model: 'deepseek-v3.1:cloud', prompt: 'x' }), expect: 403 },
  { name: 'a cloud model in OpenAI form', who: 'anyModel', method: 'POST', path: '/v1/chat/completions', body: json({ model: 'gpt-oss:120b-cloud', messages: [] }), expect: 403 },
  // Credentials.
  { name: 'no token', who: 'none', method: 'POST', path: '/api/chat', body: json({ model: 'llama3.2' }), expect: 401 },
  { name: 'a token in the query string', who: 'none', method: 'GET', path: '/api/tags?api_key=gth_x', expect: 401 },
  { name: 'basic auth', who: 'none', method: 'GET', path: '/api/tags', headers: { authorization: 'Basic dXNlcjpwYXNz' }, expect: 401 },
  { name: 'bearer with junk after it', who: 'none', method: 'GET', path: '/api/tags', headers: { authorization: 'Bearer gth_abc def' }, expect: 401 },
];

describe('a hostile-request corpus', async () => {
  const h = await startHarness();
  const tokens: Record<Who, string | undefined> = {
    inference: h.token('hostile-inference', { allowModels: ['llama*'], denyModels: ['llama3.3*'] }),
    admin: h.token('hostile-admin', { scope: 'admin', allowModels: ['llama*'], denyModels: ['llama3.3*'] }),
    anyModel: h.token('hostile-any', { allowModels: ['*'] }),
    none: undefined,
  };

  it(`has at least 60 cases (${CASES.length})`, () => assert.ok(CASES.length >= 60));

  for (const c of CASES) {
    it(`refuses ${c.name} (${c.method ?? 'GET'} ${c.path.slice(0, 60)})`, async () => {
      const before = h.fake.requests.length;
      const token = tokens[c.who];
      const headers: Record<string, string> = { ...(token ? bearer(token) : {}), ...c.headers };
      if (headers['content-type'] === '') delete headers['content-type'];
      const res = await call(`${h.url}${c.path}`, { ca: h.ca, method: c.method ?? 'GET', headers, ...(c.body !== undefined ? { body: c.body } : {}) });
      if (c.expect === '4xx') assert.ok(res.status >= 400 && res.status < 500, `${res.status} ${res.text}`);
      else assert.equal(res.status, c.expect, res.text.slice(0, 300));
      assert.equal(h.fake.requests.length, before, 'a refused request reached Ollama');
      const message = /^\/v1\/messages/i.test(c.path)
        ? res.json<{ type: string; error: { message: string } }>().error.message
        : c.path.startsWith('/v1') ? res.json<{ error: { message: string } }>().error.message : res.json<{ error: string }>().error;
      assert.ok(typeof message === 'string' && message.length > 10, `unclear error: ${res.text}`);
    });
  }

  it('still serves the same tokens for what they may do', async () => {
    const res = await call(`${h.url}/api/chat`, { ca: h.ca, headers: bearer(tokens.inference!), body: { model: 'llama3.2', messages: [], stream: false } });
    assert.equal(res.status, 200);
    const lower = await call(`${h.url}/API/Chat/`, { ca: h.ca, headers: bearer(tokens.inference!), body: { model: 'llama3.2', messages: [], stream: false } });
    assert.equal(lower.status, 200);
    assert.equal(h.fake.requests.at(-1)?.url, '/api/chat', 'the normalised path was not what Ollama saw');
  });
});
