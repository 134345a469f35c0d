import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultHostName } from '../../main/control/upstreams';
import { mergeLists } from '../../main/gateway/merged-lists';
import { Scheduler } from '../../main/gateway/scheduler';
import { checkAddress, egressRefusal, parseUpstreamUrl } from '../../main/upstreams/egress';
import { retryDelayMs } from '../../main/upstreams/health';
import { openToken, sealToken } from '../../main/upstreams/hosts';
import { rankHosts, type RoutableHost } from '../../main/upstreams/routing';

const host = (name: string, models: string[], loaded: string[] = [], state: RoutableHost['state'] = 'up'): RoutableHost => ({ name, state, models: new Set(models), loaded: new Set(loaded) });

describe('routing by model', () => {
  const hosts = [host('local', ['a', 'b']), host('closet', ['a', 'c'], ['a']), host('attic', ['a'], [], 'down')];
  it('puts the host where the model is loaded first, then the most free slots, and down hosts last', () => {
    assert.deepEqual(rankHosts(hosts, 'a', () => 1), ['closet', 'local', 'attic']);
    assert.deepEqual(rankHosts([host('x', ['m']), host('y', ['m'])], 'm', (n) => (n === 'y' ? 3 : 1)), ['y', 'x']);
    assert.deepEqual(rankHosts([host('x', ['m']), host('y', ['m'])], 'm', () => Infinity), ['x', 'y'], 'unlimited slots compare as equal, in added order');
    assert.deepEqual(rankHosts(hosts, 'zzz', () => 1), []);
  });
});

describe('the scheduler with several hosts', () => {
  const policy = () => ({ slots: 1, batchMaxWaitMs: 60_000 });
  const alice = { id: 'alice', weight: 1, priority: 'interactive' as const };
  const bob = { id: 'bob', weight: 1, priority: 'interactive' as const };
  it('takes the first free pool in the order given, and a waiter gets whichever of its pools frees first', async () => {
    const s = new Scheduler(policy, () => 0, () => new Map([['closet', 1]]));
    const first = s.tryAcquire(alice, ['closet', 'local'])!;
    const second = s.tryAcquire(alice, ['closet', 'local'])!;
    assert.deepEqual([first.pool, second.pool], ['closet', 'local']);
    assert.equal(s.tryAcquire(bob, ['closet', 'local']), null);
    const waiting = s.acquire(bob, undefined, ['closet', 'local']);
    second.release();
    const got = await waiting;
    assert.ok(got.ok && got.pool === 'local');
    assert.deepEqual(s.snapshot().busy, 2);
    assert.equal(s.freeIn('closet'), 0);
  });
  it('serves the less-served client first on a pool, counting service on every pool', async () => {
    const s = new Scheduler(policy, () => 0, () => new Map([['closet', 1]]));
    const onLocal = s.tryAcquire(alice, ['local'])!;
    const onCloset = s.tryAcquire(alice, ['closet'])!;
    const alicesNext = s.acquire(alice, undefined, ['closet']);
    const bobs = s.acquire(bob, undefined, ['closet']);
    onCloset.release();
    const [a, b] = await Promise.race([bobs.then((g) => ['bob', g] as const), alicesNext.then((g) => ['alice', g] as const)]);
    assert.equal(a, 'bob', 'alice already holds two slots');
    assert.ok(b.ok);
    onLocal.release();
  });
  it('keeps the local pool alone exactly as before: one slot, first come', () => {
    const s = new Scheduler(policy);
    assert.ok(s.tryAcquire(alice));
    assert.equal(s.mustWait(), true);
  });
});

describe('where Gatehouse may send requests', () => {
  it('refuses metadata, link-local, unspecified and multicast addresses, also IPv4-mapped', () => {
    for (const ip of ['169.254.169.254', '::ffff:169.254.169.254', 'fe80::1', 'fd00:ec2::254', '0.0.0.0', '224.0.0.1', 'ff02::1']) assert.ok(egressRefusal(ip), ip);
    for (const ip of ['127.0.0.1', '10.0.0.7', '192.168.1.20', '100.101.102.103', '8.8.8.8', '::1']) assert.equal(egressRefusal(ip), null, ip);
  });
  it('allows plain http only with --insecure and only to loopback or private addresses', () => {
    assert.throws(() => parseUpstreamUrl('http://10.0.0.7:11434', false), /plain http/);
    assert.equal(parseUpstreamUrl('http://10.0.0.7:11434', true).origin, 'http://10.0.0.7:11434');
    assert.throws(() => checkAddress('8.8.8.8', true, 'http://x'), /not a loopback or private address/);
    assert.doesNotThrow(() => checkAddress('8.8.8.8', false, 'https://x'));
    assert.throws(() => parseUpstreamUrl('https://[::ffff:a9fe:a9fe]', false), /link-local/);
    assert.throws(() => parseUpstreamUrl('https://gpu.example/?q', false), /without a path or query/);
  });
  it('backs off a failing host up to a minute', () => {
    assert.deepEqual([1, 2, 3, 8, 20].map(retryDelayMs), [1000, 2000, 4000, 60_000, 60_000]);
  });
  it('names a host from its address without clashing', () => {
    assert.equal(defaultHostName('gpu2.lan', () => false), 'gpu2');
    assert.equal(defaultHostName('10.0.0.7', () => false), '10-0-0-7');
    assert.equal(defaultHostName('local', () => false), 'local-2');
    assert.equal(defaultHostName('gpu2.lan', (n) => n === 'gpu2'), 'gpu2-2');
  });
  it('seals a token with the vault when there is one, and opens only what it sealed', () => {
    const vault = { seal: (p: string) => Buffer.from([...p].reverse().join('')), open: (b: Buffer) => [...b.toString()].reverse().join(''), describe: 'test' };
    const sealed = sealToken('gth_secret', vault);
    assert.ok(!sealed.includes('gth_secret'));
    assert.equal(openToken(sealed, vault), 'gth_secret');
    assert.equal(openToken(sealToken('gth_plain', undefined), undefined), 'gth_plain');
    assert.throws(() => openToken(sealed, undefined), /OS keystore/);
  });
});

describe('merged model lists', () => {
  it('keeps one entry per name, the first host\'s, and says every host that has it', () => {
    const merged = mergeLists(
      [
        { host: 'local', body: { models: [{ name: 'a', size: 1 }, { name: 'b' }, 'junk'] } },
        { host: 'closet', body: { models: [{ name: 'a', size: 2 }, { name: 'c' }] } },
        { host: 'attic', body: { models: 'not a list' } },
      ],
      { array: 'models', nameField: 'name' },
    );
    assert.deepEqual(merged.models, [
      { name: 'a', size: 1, gatehouse: { hosts: ['local', 'closet'] } },
      { name: 'b', gatehouse: { hosts: ['local'] } },
      { name: 'c', gatehouse: { hosts: ['closet'] } },
    ]);
  });
});
