import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Scheduler, type Client, type Grant } from '../../main/gateway/scheduler';

/** A scheduler with a hand-driven clock, and clients that keep `depth` requests queued. */
function setup(slots = 1, batchMaxWaitMs = 120_000) {
  let now = 0;
  const scheduler = new Scheduler(() => ({ slots, batchMaxWaitMs }), () => now);
  const running: Array<{ id: string; release: () => void }> = [];
  const served: string[] = [];
  const submit = (client: Client, signal?: AbortSignal) =>
    scheduler.acquire(client, signal).then((grant: Grant) => {
      if (!grant.ok) return grant;
      served.push(client.id);
      running.push({ id: client.id, release: grant.release });
      return grant;
    });
  /** Finishes the oldest running request and lets the next one in. */
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  const finishOne = async () => {
    await settle();
    now += 100;
    running.shift()?.release();
    await settle();
  };
  return { scheduler, submit, finishOne, served, advance: (ms: number) => (now += ms) };
}

const client = (id: string, weight = 1, priority: Client['priority'] = 'interactive'): Client => ({ id, weight, priority });

describe('the fair scheduler', () => {
  it('gives a slot at once while one is free, without a promise to wait on', () => {
    const { scheduler } = setup(2);
    assert.ok(scheduler.tryAcquire(client('a')));
    assert.ok(scheduler.tryAcquire(client('a')));
    assert.equal(scheduler.tryAcquire(client('b')), null, 'both slots are busy');
  });

  it('shares slots equally between two busy tokens, whoever queued first and most', async () => {
    const { submit, finishOne, served } = setup(1);
    void submit(client('first'));
    for (let i = 0; i < 200; i++) void submit(client('flood'));
    for (let i = 0; i < 50; i++) void submit(client('steady'));
    for (let i = 0; i < 100; i++) await finishOne();
    const counts = (id: string) => served.slice(1, 101).filter((s) => s === id).length;
    assert.ok(Math.abs(counts('flood') - counts('steady')) <= 10, `flood ${counts('flood')} vs steady ${counts('steady')}`);
  });

  it('serves by weight: a weight of 3 gets three times the share of 1', async () => {
    const { submit, finishOne, served } = setup(1);
    void submit(client('warm'));
    for (let i = 0; i < 100; i++) {
      void submit(client('heavy', 3));
      void submit(client('light', 1));
    }
    for (let i = 0; i < 80; i++) await finishOne();
    const window = served.slice(1, 81);
    const heavy = window.filter((s) => s === 'heavy').length;
    assert.ok(heavy >= 56 && heavy <= 64, `heavy got ${heavy} of 80`);
  });

  it('serves interactive before batch, until a batch request has waited past the guard', async () => {
    const { submit, finishOne, served, advance } = setup(1, 1000);
    void submit(client('busy'));
    void submit(client('nightly', 1, 'batch'));
    for (let i = 0; i < 3; i++) void submit(client('alice'));
    await finishOne();
    await finishOne();
    assert.deepEqual(served.slice(1), ['alice', 'alice'], 'batch waits while interactive requests do');
    advance(1000);
    await finishOne();
    assert.equal(served.at(-1), 'nightly', 'the starvation guard lets it in');
  });

  it('forgets a waiting request whose client went away, and it never gets a slot', async () => {
    const { scheduler, submit, finishOne, served } = setup(1);
    void submit(client('busy'));
    const gone = new AbortController();
    const left = submit(client('leaver'), gone.signal);
    void submit(client('stayer'));
    assert.deepEqual(scheduler.positionsOf('stayer'), [2]);
    gone.abort();
    assert.deepEqual(await left, { ok: false, reason: 'cancelled' });
    assert.deepEqual(scheduler.positionsOf('stayer'), [1]);
    await finishOne();
    assert.deepEqual(served, ['busy', 'stayer']);
    assert.equal(scheduler.snapshot().waiting, 0);
  });

  it('gives a client that was idle no saved-up credit against those that kept working', async () => {
    const { submit, finishOne, served } = setup(1);
    void submit(client('a'));
    for (let i = 0; i < 20; i++) void submit(client('a'));
    for (let i = 0; i < 10; i++) await finishOne();
    for (let i = 0; i < 20; i++) void submit(client('late'));
    for (let i = 0; i < 10; i++) await finishOne();
    const lately = served.slice(-10);
    assert.ok(lately.filter((s) => s === 'late').length <= 6, `late took ${lately.join(',')}`);
  });
});
