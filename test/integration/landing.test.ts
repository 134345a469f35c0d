import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bearer, call, startHarness } from '../helpers';

describe('the Share link in a browser', async () => {
  const h = await startHarness();
  const ca = h.ca!;

  it('sends a browser\'s page load of / without a token to the landing page', async () => {
    const res = await call(`${h.url}/`, { ca, headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    assert.equal(res.status, 302);
    assert.equal(res.headers.location, '/invite/share');
    assert.equal(h.fake.requests.filter((r) => r.url === '/').length, 0, 'nothing of Ollama was read');
    const page = await call(`${h.url}/invite/share`, { ca });
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /text\/html/);
    assert.match(page.text, /Ollama through Gatehouse/);
  });

  it('leaves API clients with Ollama\'s own answer, and its refusal without a token', async () => {
    const token = h.token();
    const api = await call(`${h.url}/`, { ca, headers: bearer(token) });
    assert.equal(api.text, 'Ollama is running');
    const browserWithToken = await call(`${h.url}/`, { ca, headers: { ...bearer(token), accept: 'text/html' } });
    assert.equal(browserWithToken.text, 'Ollama is running');
    assert.equal((await call(`${h.url}/`, { ca })).status, 401);
    assert.equal((await call(`${h.url}/api/tags`, { ca, headers: { accept: 'text/html' } })).status, 401, 'only / lands');
  });
});
