import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bearer, call, startHarness } from '../helpers';
import { rawRequest } from '../helpers-raw';

describe('http:// on the HTTPS port', async () => {
  const h = await startHarness();
  const token = h.token();

  it('answers 400 saying to use https://, with the address meant, and never reads the request', async () => {
    const res = await call(`http://127.0.0.1:${h.info.port}/api/tags`, { headers: bearer(token) });
    assert.equal(res.status, 400);
    assert.match(res.json<{ error: string }>().error, new RegExp(`Gatehouse speaks HTTPS here: use https://127\\.0\\.0\\.1:${h.info.port}/api/tags`));
    assert.equal(h.fake.requests.length, 0, 'nothing reached Ollama');
  });

  it('gives a browser a link and a Location, escaped', async () => {
    const res = await call(`http://127.0.0.1:${h.info.port}/admin/`, { headers: { accept: 'text/html,*/*' } });
    assert.equal(res.status, 400);
    assert.equal(res.headers.location, `https://127.0.0.1:${h.info.port}/admin/`);
    assert.match(res.text, /<a href="https:\/\/127\.0\.0\.1:\d+\/admin\/">/);
    const hostile = await rawRequest(h.info.port, 'GET /"><script>x</script> HTTP/1.1\r\nHost: <b>\r\nAccept: text/html\r\n\r\n', { tls: false });
    assert.equal(hostile.status, 400);
    assert.ok(!hostile.text.includes('<script>') && !hostile.text.includes('<b>'));
  });

  it('still serves HTTPS on the same port', async () => {
    const res = await call(`${h.url}/api/tags`, { ca: h.ca!, headers: bearer(token) });
    assert.equal(res.status, 200);
  });
});
