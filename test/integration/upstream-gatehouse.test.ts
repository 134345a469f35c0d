import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Results, UpstreamView } from '../../preload/contract';
import { bearer, call, startHarness } from '../helpers';

const chat = (model: string) => ({ model, messages: [{ role: 'user', content: 'hi' }], stream: false });

describe('another Gatehouse as an Ollama host', async () => {
  // The inner Gatehouse serves TLS with its own CA, in front of an Ollama that has deepseek-r1.
  const inner = await startHarness({ fake: { models: ['deepseek-r1:8b'], loaded: [] } });
  const outer = await startHarness({ tls: false, upstreamPollMs: 100 });
  const admin = (op: string, args: unknown) => outer.core.control.call(op, args, 'cli');
  const innerToken = inner.token('outer-gatehouse');
  const teammate = outer.token('bob');
  const added = (await admin('addUpstream', { url: inner.url, name: 'lab', token: innerToken, caPem: inner.ca, slots: 2 })) as Results['addUpstream'];

  it('is reached over https with its token, checked against its CA, and says it is a Gatehouse', () => {
    assert.equal(added.warning, null);
    assert.deepEqual([added.upstream.kind, added.upstream.state, added.upstream.pinnedCa, added.upstream.models], ['gatehouse', 'up', true, ['deepseek-r1:8b']]);
  });

  it("serves a teammate's request there: the inner Gatehouse sees its own token, never the teammate's", async () => {
    const res = await call(`${outer.url}/api/chat`, { headers: bearer(teammate), body: chat('deepseek-r1:8b') });
    assert.equal(res.status, 200, res.text);
    const reached = inner.fake.requests.filter((r) => r.url === '/api/chat');
    assert.equal(reached.length, 1);
    assert.equal(reached[0]!.headers.authorization, undefined, 'the inner Gatehouse strips its token before Ollama');
    inner.core.metering.flush();
    const rows = inner.core.store.metering.requestsSince(0).filter((r) => r.route === 'POST /api/chat');
    assert.deepEqual(rows.map((r) => r.tokenName), ['outer-gatehouse']);
    outer.core.metering.flush();
    const mine = outer.core.store.metering.requestsSince(0).filter((r) => r.route === 'POST /api/chat');
    assert.deepEqual(mine.map((r) => [r.tokenName, r.upstream]), [['bob', 'lab']]);
  });

  it('never shows the token: not in the host list, not in the audit log', async () => {
    const list = (await admin('listUpstreams', {})) as UpstreamView[];
    assert.ok(!JSON.stringify(list).includes(innerToken));
    outer.core.metering.flush();
    assert.ok(!JSON.stringify(outer.core.store.metering.auditSince(0)).includes(innerToken), 'not in the audit log');
  });

  it('says why a Gatehouse without its CA, or with a token it does not know, is down', async () => {
    const byName = async (name: string) => ((await admin('listUpstreams', {})) as UpstreamView[]).find((h) => h.name === name)!;
    const other = inner.url.replace('127.0.0.1', 'localhost');
    await admin('addUpstream', { url: other, name: 'no-ca', token: innerToken });
    const noCa = await byName('no-ca');
    assert.equal(noCa.state, 'down');
    assert.match(noCa.error ?? '', /certificate of https:\/\/localhost:\d+ is not trusted .*--ca/);
    await admin('removeUpstream', { name: 'no-ca' });
    await admin('addUpstream', { url: other, name: 'stranger', token: outer.token('not-known-there'), caPem: inner.ca });
    const stranger = await byName('stranger');
    assert.equal(stranger.state, 'down');
    assert.match(stranger.error ?? '', /refused Gatehouse's token \(HTTP 401\)/);
    await admin('removeUpstream', { name: 'stranger' });
  });
});
