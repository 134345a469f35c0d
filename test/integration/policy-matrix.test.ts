import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bearer, call, startHarness, type CallOptions } from '../helpers';

/**
 * Tokens × routes × models: for each, the status and whether anything reached Ollama. The table of
 * what each token may use is written out by hand, not computed by the code under test.
 */
describe('the policy matrix', async () => {
  const h = await startHarness();
  const tokens = {
    inferenceAll: h.token('inference-all'),
    inferenceLlama: h.token('inference-llama', { allowModels: ['llama*'] }),
    adminNoQwen: h.token('admin-no-qwen', { scope: 'admin', denyModels: ['qwen*'] }),
    adminCloud: h.token('admin-cloud', { scope: 'admin', allowModels: ['*', 'gpt-oss*:120b-cloud'], cloud: true }),
  };
  type TokenName = keyof typeof tokens;
  const mayUse: Record<TokenName, { admin: boolean; models: string[] }> = {
    inferenceAll: { admin: false, models: ['llama3.2', 'qwen2.5:7b'] },
    inferenceLlama: { admin: false, models: ['llama3.2'] },
    adminNoQwen: { admin: true, models: ['llama3.2'] },
    adminCloud: { admin: true, models: ['llama3.2', 'qwen2.5:7b', 'gpt-oss:120b-cloud'] },
  };
  const models = ['llama3.2', 'qwen2.5:7b', 'gpt-oss:120b-cloud'];
  /** `qwen2.5:7b` → `qwen2.5-copy:7b`: a new name with the same family and tag, so the same rights. */
  const derived = (m: string) => (m.includes(':') ? m.replace(':', '-copy:') : `${m}-copy`);
  const routes: Array<{ name: string; admin: boolean; request: (model: string) => [string, CallOptions] }> = [
    { name: 'POST /api/chat', admin: false, request: (m) => ['/api/chat', { body: { model: m, messages: [], stream: false } }] },
    { name: 'POST /api/generate (legacy name)', admin: false, request: (m) => ['/api/generate', { body: { name: m, prompt: 'x', stream: false } }] },
    { name: 'POST /v1/chat/completions', admin: false, request: (m) => ['/v1/chat/completions', { body: { model: m, messages: [] } }] },
    { name: 'POST /api/embed', admin: false, request: (m) => ['/api/embed', { body: { model: m, input: 'x' } }] },
    { name: 'GET /v1/models/:model', admin: false, request: (m) => [`/v1/models/${m}`, {}] },
    { name: 'POST /api/show', admin: false, request: (m) => ['/api/show', { body: { model: m } }] },
    { name: 'POST /api/pull', admin: true, request: (m) => ['/api/pull', { body: { model: m, stream: false } }] },
    { name: 'POST /api/copy', admin: true, request: (m) => ['/api/copy', { body: { source: m, destination: derived(m) } }] },
    { name: 'DELETE /api/delete', admin: true, request: (m) => ['/api/delete', { method: 'DELETE', body: { model: derived(m) } }] },
  ];

  for (const tokenName of Object.keys(tokens) as TokenName[]) {
    for (const route of routes) {
      for (const model of models) {
        const rights = mayUse[tokenName];
        // Copy and delete name derived models ("x-copy:tag"), which have the same rights as the source.
        const allowed = (!route.admin || rights.admin) && rights.models.includes(model);
        it(`${tokenName} ${route.name} ${model} → ${allowed ? 'forwarded' : 'refused'}`, async () => {
          const [path, options] = route.request(model);
          const before = h.fake.requests.length;
          const res = await call(`${h.url}${path}`, { ...options, ca: h.ca, headers: bearer(tokens[tokenName]) });
          const reached = h.fake.requests.length > before;
          if (allowed) {
            assert.ok(reached, `${res.status} ${res.text}`);
            assert.ok(![401, 403].includes(res.status), `${res.status} ${res.text}`);
          } else {
            assert.equal(res.status, 403, res.text);
            assert.equal(reached, false, 'a refused request reached Ollama');
            const message = path.startsWith('/v1') ? res.json<{ error: { message: string } }>().error.message : res.json<{ error: string }>().error;
            assert.match(message, route.admin && !rights.admin ? /needs an admin token/ : new RegExp(`"${model.split(':')[0]}`));
          }
        });
      }
    }
  }

  it('lists only the models a token may use in /api/tags, /api/ps and /v1/models', async () => {
    h.fake.models.push({ ...h.fake.models[0]!, name: 'gpt-oss:120b-cloud' });
    const tags = await call(`${h.url}/api/tags`, { ca: h.ca, headers: bearer(tokens.inferenceLlama) });
    assert.equal(tags.status, 200);
    const names = tags.json<{ models: Array<{ name: string }> }>().models.map((m) => m.name);
    assert.ok(names.length > 0 && names.every((n) => n.startsWith('llama')), names.join());
    assert.equal(Number(tags.headers['content-length']), Buffer.byteLength(tags.text));
    const v1 = await call(`${h.url}/v1/models`, { ca: h.ca, headers: bearer(tokens.inferenceLlama) });
    assert.ok(v1.json<{ data: Array<{ id: string }> }>().data.every((m) => m.id.startsWith('llama')));
    const ps = await call(`${h.url}/api/ps`, { ca: h.ca, headers: bearer(tokens.adminNoQwen) });
    assert.ok(ps.json<{ models: Array<{ name: string }> }>().models.every((m) => !m.name.startsWith('qwen')));
    const all = await call(`${h.url}/api/tags`, { ca: h.ca, headers: bearer(tokens.inferenceAll) });
    const allNames = all.json<{ models: Array<{ name: string }> }>().models.map((m) => m.name);
    assert.ok(allNames.includes('qwen2.5:7b'));
    assert.ok(!allNames.includes('gpt-oss:120b-cloud'), 'a cloud model was listed to a token that may not use it');
    const cloud = await call(`${h.url}/api/tags`, { ca: h.ca, headers: bearer(tokens.adminCloud) });
    assert.ok(cloud.json<{ models: Array<{ name: string }> }>().models.some((m) => m.name === 'gpt-oss:120b-cloud'));
  });

  it('streams blob uploads through unread, past the JSON body limit, for admin tokens', async () => {
    const digest = `sha256:${'ab'.repeat(32)}`;
    const before = h.fake.requests.length;
    const blob = Buffer.alloc(40 * 1024 * 1024, 7);
    const res = await call(`${h.url}/api/blobs/${digest}`, { ca: h.ca, headers: { ...bearer(tokens.adminCloud), 'content-type': 'application/octet-stream' }, body: blob });
    assert.equal(res.status, 201, `${res.status} ${res.text}`);
    assert.equal(h.fake.requests[before]?.body.length, blob.length);
    const refused = await call(`${h.url}/api/blobs/${digest}`, { ca: h.ca, headers: bearer(tokens.inferenceAll), body: Buffer.alloc(10) });
    assert.equal(refused.status, 403);
  });
});
