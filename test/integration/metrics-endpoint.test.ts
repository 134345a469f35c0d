import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bearer, call, startHarness } from '../helpers';

describe('Prometheus metrics at /metrics', async () => {
  const h = await startHarness();
  const runner = h.token('runner');
  const monitor = h.token('monitor', { metrics: true });
  const admin = h.token('admin', { scope: 'admin' });
  await call(`${h.url}/api/chat`, { ca: h.ca, headers: bearer(runner), body: { model: 'llama3.2', messages: [{ role: 'user', content: 'a b c' }], stream: false } });
  await new Promise((r) => setTimeout(r, 50));

  it('is refused without a token, and to a token without the metrics permission', async () => {
    assert.equal((await call(`${h.url}/metrics`, { ca: h.ca })).status, 401);
    const res = await call(`${h.url}/metrics`, { ca: h.ca, headers: bearer(runner) });
    assert.equal(res.status, 403);
    assert.match(res.json<{ error: string }>().error, /may not read metrics/);
  });

  it('serves requests, tokens, latency, in-flight, upstream and drops to a metrics token', async () => {
    const res = await call(`${h.url}/metrics`, { ca: h.ca, headers: bearer(monitor) });
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    const text = res.text;
    assert.match(text, /gatehouse_requests_total\{status="200",model="llama3.2:latest",token="runner"\} 1/);
    assert.match(text, /gatehouse_tokens_total\{direction="in",model="llama3.2:latest",token="runner"\} 3/);
    assert.match(text, /gatehouse_tokens_total\{direction="out",model="llama3.2:latest",token="runner"\} 5/);
    assert.match(text, /gatehouse_request_duration_seconds_count\{model="llama3.2:latest"\} 1/);
    assert.match(text, /gatehouse_time_to_first_byte_seconds_bucket/);
    assert.match(text, /gatehouse_requests_in_flight 0/);
    assert.match(text, /gatehouse_upstream_up\{name="local"\} 1/);
    assert.match(text, /gatehouse_metering_dropped_total 0/);
  });

  it('serves admin tokens, and says when Ollama is down', async () => {
    await h.fake.crash();
    const res = await call(`${h.url}/metrics`, { ca: h.ca, headers: bearer(admin) });
    assert.equal(res.status, 200);
    assert.match(res.text, /gatehouse_upstream_up\{name="local"\} 0/);
  });
});

describe('/metrics from this computer with trustLoopback', async () => {
  const h = await startHarness({ overrides: { trustLoopback: true } });
  it('needs no token', async () => {
    assert.equal((await call(`${h.url}/metrics`, { ca: h.ca })).status, 200);
  });
});
