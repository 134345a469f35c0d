import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { familyOf, matchRoute, normalisePath } from '../../main/gateway/routes';

describe('path normalisation', () => {
  const ok = (raw: string, expected: string) => {
    const n = normalisePath(raw);
    assert.ok(n.ok, `${raw} refused: ${!n.ok && n.message}`);
    assert.equal(n.ok && n.path, expected, raw);
  };
  const refused = (raw: string) => assert.equal(normalisePath(raw).ok, false, `${raw} was accepted`);

  it('decodes, collapses slashes, drops a trailing slash and the query', () => {
    ok('/api/chat', '/api/chat');
    ok('/api/%63hat', '/api/chat');
    ok('//api///chat/', '/api/chat');
    ok('/api/chat?x=1', '/api/chat');
    ok('/', '/');
  });

  it('refuses what Gatehouse and Ollama could read differently', () => {
    for (const raw of ['/api/../api/pull', '/api/./chat', '/api/%2e%2e/pull', '/api%2fpull', '/api%2Fpull', '/api\\pull', '/api%5cpull', '/api/chat%00', '/api/%zz', 'api/chat', '/api/ch\u0007at']) {
      refused(raw);
    }
  });
});

describe('route matching', () => {
  it('matches the canonical path case-insensitively and forwards the canonical form', () => {
    assert.equal(matchRoute('post', '/API/Chat')?.path, '/api/chat');
    assert.equal(matchRoute('POST', '/api/chat')?.route.scope, 'inference');
    assert.equal(matchRoute('POST', '/api/pull')?.route.scope, 'admin');
    assert.equal(matchRoute('DELETE', '/api/delete')?.route.scope, 'admin');
  });

  it('lets HEAD through only where Ollama has it', () => {
    assert.ok(matchRoute('HEAD', '/api/tags'));
    assert.equal(matchRoute('HEAD', '/api/chat'), undefined);
  });

  it('keeps parameter values exact and validates them', () => {
    assert.deepEqual(matchRoute('GET', '/v1/models/Qwen2.5:7b')?.params, { model: 'Qwen2.5:7b' });
    assert.equal(matchRoute('GET', '/v1/models/library/llama3:latest'), undefined, 'one path segment, as Ollama\'s router matches it');
    assert.equal(matchRoute('HEAD', '/api/ps'), undefined, 'Ollama serves /api/ps to GET only');
    assert.equal(matchRoute('POST', '/api/blobs/sha256:' + 'a'.repeat(64))?.route.scope, 'admin');
    assert.equal(matchRoute('POST', '/api/blobs/../../etc'), undefined);
    assert.equal(matchRoute('GET', '/v1/models/<script>'), undefined);
  });

  it('knows nothing of routes it must never forward', () => {
    for (const [m, p] of [['GET', '/api/me'], ['POST', '/api/signout'], ['POST', '/api/experimental/tools'], ['DELETE', '/api/user/keys/x'], ['PUT', '/api/chat'], ['GET', '/api/status']]) {
      assert.equal(matchRoute(m as string, p as string), undefined, `${m} ${p}`);
    }
  });

  it('marks web search and fetch as needing the cloud permission, and registry routes as fetching', () => {
    for (const p of ['/api/experimental/web_search', '/api/experimental/web_fetch']) assert.equal(matchRoute('POST', p)?.route.cloud, true, p);
    for (const p of ['/api/pull', '/api/push', '/api/create']) assert.equal(matchRoute('POST', p)?.route.registry, true, p);
    assert.equal(matchRoute('POST', '/api/chat')?.route.registry, undefined);
  });

  it('tells which error shape a path expects', () => {
    assert.equal(familyOf('/v1/chat/completions'), 'openai');
    assert.equal(familyOf('/V1/models'), 'openai');
    assert.equal(familyOf('/v1/messages'), 'anthropic');
    assert.equal(familyOf('/V1/Messages/count_tokens'), 'anthropic');
    assert.equal(familyOf('/v1/messagesx'), 'openai');
    assert.equal(familyOf('/api/chat'), 'ollama');
    assert.equal(familyOf('/v10/x'), 'ollama');
  });
});
