import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bearer, call, eventually, open, startHarness } from '../helpers';

const chat = (model = 'llama3.2') => ({ model, messages: [{ role: 'user', content: 'hi' }], stream: false });

describe('the fair queue in front of Ollama', async () => {
  // One slot, and every answer takes 300 ms before its first byte: requests really wait.
  const h = await startHarness({ tls: false, fake: { firstByteDelayMs: 300 } });
  h.core.store.setSetting('upstreamSlots', 1, 'system');
  h.core.store.setSetting('queueTimeoutSeconds', 2, 'system');
  await eventually(() => h.core.settings().upstreamSlots === 1, 2000, 'the setting to apply');
  const busy = h.token('busy', { queue: 3 });
  const alice = h.token('alice');
  const ask = (token: string, body = chat()) => call(`${h.url}/api/chat`, { headers: bearer(token), body });
  const reached = () => h.fake.requests.filter((r) => r.url === '/api/chat').length;

  it('tells every answer how long it waited', async () => {
    const res = await ask(alice);
    assert.equal(res.status, 200, res.text);
    assert.match(String(res.headers['x-gatehouse-queue-wait-ms']), /^\d+$/);
    const tags = await call(`${h.url}/api/tags`, { headers: bearer(alice) });
    assert.equal(tags.headers['x-gatehouse-queue-wait-ms'], '0', 'a model list takes no slot');
  });

  it('serves a waiting interactive token between another token\'s queued requests, and says where it stands', async () => {
    const mine = [ask(busy), ask(busy), ask(busy)];
    await eventually(async () => (await call(`${h.url}/gatehouse/v1/queue`, { headers: bearer(busy) })).json<{ waiting: number }>().waiting === 2, 2000, 'two to wait');
    const queue = (await call(`${h.url}/gatehouse/v1/queue`, { headers: bearer(busy) })).json<{ slots: number; busy: number; yours: { running: number; positions: number[] } }>();
    assert.deepEqual([queue.slots, queue.busy, queue.yours.running, queue.yours.positions], [1, 1, 1, [1, 2]]);
    const started = Date.now();
    const theirs = await ask(alice);
    assert.equal(theirs.status, 200);
    // Fair: alice goes before busy's second queued request, so she waits about one answer, not three.
    assert.ok(Date.now() - started < 900, `alice waited ${Date.now() - started} ms`);
    assert.ok(Number(theirs.headers['x-gatehouse-queue-wait-ms']) > 0);
    await Promise.all(mine);
  });

  it('refuses a token past its queue with 429, and a wait past the timeout with 503 and Retry-After', async () => {
    h.fake.behaviour.firstByteDelayMs = 1500;
    const running = [ask(busy), ask(busy), ask(busy), ask(busy)];
    await eventually(async () => (await call(`${h.url}/gatehouse/v1/queue`, { headers: bearer(alice) })).json<{ waiting: number }>().waiting === 3, 2000, 'three to wait');
    const full = await ask(busy);
    assert.equal(full.status, 429);
    assert.match(full.json<{ error: string }>().error, /"busy" already has 3 request\(s\) waiting/);
    const results = await Promise.all(running);
    const timedOut = results.filter((r) => r.status === 503);
    assert.ok(timedOut.length >= 1, `statuses ${results.map((r) => r.status).join(',')}`);
    assert.equal(timedOut[0]!.headers['retry-after'], '30');
    assert.match(timedOut[0]!.json<{ error: string }>().error, /The GPU is busy: \d+ request\(s\) were ahead of yours/);
    h.fake.behaviour.firstByteDelayMs = 300;
  });

  it('forgets a waiting client that disconnects: its request never reaches Ollama', async () => {
    const first = ask(busy);
    await eventually(() => h.core.metering.live().length === 1, 2000, 'the first request to run');
    const before = reached();
    const req = open(`${h.url}/api/chat`, { headers: bearer(alice), body: chat('qwen2.5:7b') }, () => undefined);
    req.on('error', () => undefined);
    await eventually(async () => (await call(`${h.url}/gatehouse/v1/queue`, { headers: bearer(busy) })).json<{ waiting: number }>().waiting === 1, 2000, 'the request to wait');
    req.destroy();
    await eventually(async () => (await call(`${h.url}/gatehouse/v1/queue`, { headers: bearer(busy) })).json<{ waiting: number }>().waiting === 0, 2000, 'the queue to forget it');
    await first;
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(reached(), before, 'only the first request reached Ollama');
    assert.ok(!h.fake.requests.some((r) => r.body.toString().includes('qwen2.5:7b')));
  });

  it('exports the queue to Prometheus', async () => {
    const admin = h.token('scraper', { scope: 'admin' });
    const metrics = await call(`${h.url}/metrics`, { headers: bearer(admin) });
    assert.match(metrics.text, /gatehouse_slots_busy \d/);
    assert.match(metrics.text, /gatehouse_queue_depth \d/);
    assert.match(metrics.text, /gatehouse_queue_wait_seconds_count [1-9]/);
  });

  it('shows slots and waits on the Overview', async () => {
    const queue = await h.core.control.call('getQueue', {}, 'window');
    assert.equal((queue as { slots: number }).slots, 1);
    assert.ok((queue as { waitP95Ms: number | null }).waitP95Ms !== null);
  });
});
