import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { startHarness } from '../helpers';
import { browserMissing, dashboardContext, launchChromium } from './browser';

/**
 * The page an attacker's website would serve: it tries to use this computer's tokenless access
 * (trustLoopback) and the dashboard API from the owner's own browser, with and without CORS.
 */
const attackPage = (gateway: string, token: string) => `<!doctype html><meta charset="utf-8"><title>totally harmless</title><script>
const g = ${JSON.stringify(gateway)};
const tries = {
  pullCors: () => fetch(g + '/api/pull', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model":"evil.example/x/y"}' }),
  pullNoCors: () => fetch(g + '/api/pull', { method: 'POST', mode: 'no-cors', body: '{"model":"llama3.2"}' }),
  deleteNoCors: () => fetch(g + '/api/delete', { method: 'POST', mode: 'no-cors', body: '{"model":"llama3.2"}' }),
  chatNoCors: () => fetch(g + '/api/chat', { method: 'POST', mode: 'no-cors', body: '{"model":"llama3.2","messages":[],"stream":false}' }),
  tagsCors: () => fetch(g + '/api/tags').then((r) => r.text()),
  tagsNoCors: () => fetch(g + '/api/tags', { mode: 'no-cors' }),
  createTokenNoCors: () => fetch(g + '/admin/api/createToken', { method: 'POST', mode: 'no-cors', body: '{"name":"evil","scope":"admin"}' }),
  createTokenEncoded: () => fetch(g + '/admin/%61pi/createToken', { method: 'POST', mode: 'no-cors', body: '{"name":"evil2","scope":"admin"}' }),
  settingsCors: () => fetch(g + '/admin/api/updateSettings', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"changes":{"upstream":"http://127.0.0.1:9"}}' }),
  withToken: () => fetch(g + '/api/tags', { headers: { authorization: 'Bearer ${token}' } }).then((r) => r.status),
};
window.results = (async () => {
  const out = {};
  for (const [name, run] of Object.entries(tries)) {
    try { const v = await run(); out[name] = typeof v === 'object' ? 'opaque:' + v.type : 'read:' + v; } catch (e) { out[name] = 'blocked'; }
  }
  return out;
})();
</script>`;

describe('a web page on another origin, in Chromium, against trustLoopback', { skip: browserMissing() }, async () => {
  const local = (ip: string) => ip === '127.0.0.1' || ip === '::ffff:127.0.0.1';
  const h = await startHarness({ isLocalClient: local, overrides: { trustLoopback: true } });
  const token = h.token('page-owner');
  const site = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(attackPage(`https://127.0.0.1:${h.info.port}`, token)));
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  after(() => new Promise((resolve) => site.close(resolve)));
  const browser = await launchChromium();
  const { page } = await dashboardContext(browser);

  it('reads nothing, changes nothing and reaches nothing of Ollama, with and without no-cors', async () => {
    const tokens = h.core.store.tokens.all().length;
    const settings = JSON.stringify(h.core.settings());
    await page.goto(`http://127.0.0.1:${(site.address() as AddressInfo).port}/`);
    const results = await page.evaluate(() => (globalThis as unknown as { results: Promise<Record<string, string>> }).results);
    assert.equal(results.withToken, 'read:200', `the page can reach the gateway at all: ${JSON.stringify(results)}`);
    assert.equal(results.tagsCors, 'blocked', 'a tokenless answer is not readable by the page');
    for (const name of ['pullCors', 'settingsCors']) assert.equal(results[name], 'blocked', name);
    const upstream = h.fake.requests.map((r) => `${r.method} ${r.url}`);
    assert.deepEqual(upstream.filter((r) => r !== 'GET /api/tags'), [], 'only the tokened request reached Ollama');
    assert.equal(upstream.length, 1);
    assert.equal(h.core.store.tokens.all().length, tokens);
    assert.equal(JSON.stringify(h.core.settings()), settings);
  });
});
