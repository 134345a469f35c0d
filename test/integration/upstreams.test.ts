import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Events, Overview, Results, UpstreamView } from '../../preload/contract';
import { bearer, call, eventually, open, startHarness } from '../helpers';
import { startFakeOllama } from '../fixtures/fake-ollama';

const chat = (model: string, stream = false) => ({ model, messages: [{ role: 'user', content: 'hi' }], stream });
const chats = (fake: { requests: Array<{ url: string; body: Buffer }> }, model?: string) =>
  fake.requests.filter((r) => r.url === '/api/chat' && (!model || (JSON.parse(r.body.toString()) as { model: string }).model === model)).length;

describe('several Ollama hosts behind one Gatehouse', async () => {
  // local: llama3.2 and qwen2.5 (nothing loaded); closet: llama3.2 (loaded) and mistral; attic: phi4 (loaded) and gemma3.
  const h = await startHarness({ tls: false, upstreamPollMs: 100, fake: { models: ['llama3.2', 'qwen2.5:7b'], loaded: [] } });
  const closet = await startFakeOllama({ models: ['llama3.2', 'mistral', 'phi4'], loaded: ['llama3.2'], chunks: 3 });
  const attic = await startFakeOllama({ models: ['phi4', 'gemma3'], loaded: ['phi4'], chunks: 3 });
  after(() => Promise.all([closet.close(), attic.close()]));
  const admin = (op: string, args: unknown) => h.core.control.call(op, args, 'cli');
  const token = h.token('alice');
  const ask = (path: string, body: object, t = token) => call(`${h.url}${path}`, { headers: bearer(t), body });
  const hosts = async () => (await admin('listUpstreams', {})) as UpstreamView[];
  const hostNamed = async (name: string) => (await hosts()).find((x) => x.name === name)!;

  const added = (await admin('addUpstream', { url: closet.url, name: 'closet', slots: 2, insecure: true })) as Results['addUpstream'];
  await admin('addUpstream', { url: attic.url, name: 'attic', slots: 2, insecure: true });

  it('lists the local Ollama first and each added host with what it has, and warns about plain http', async () => {
    assert.match(added.warning ?? '', /plain http: anyone on that network can read prompts/);
    const list = await hosts();
    assert.deepEqual(list.map((x) => [x.name, x.kind, x.state]), [['local', 'local', 'up'], ['closet', 'ollama', 'up'], ['attic', 'ollama', 'up']]);
    assert.deepEqual(list[1]!.models, ['llama3.2:latest', 'mistral:latest', 'phi4:latest']);
    assert.deepEqual(list[1]!.loaded, ['llama3.2:latest']);
    assert.equal(list[1]!.slots, 2);
  });

  it('sends a request to the host where its model is loaded, and a model only one host has to that host', async () => {
    assert.equal((await ask('/api/chat', chat('llama3.2'))).status, 200);
    assert.equal(chats(closet, 'llama3.2'), 1, 'llama3.2 is loaded on the closet');
    assert.equal(chats(h.fake, 'llama3.2'), 0);
    assert.equal((await ask('/api/chat', chat('qwen2.5:7b'))).status, 200);
    assert.equal(chats(h.fake, 'qwen2.5:7b'), 1);
    assert.equal((await ask('/v1/chat/completions', chat('gemma3'))).status, 200);
    assert.equal(attic.requests.filter((r) => r.url === '/v1/chat/completions').length, 1);
  });

  it('prefers the host with free slots when the loaded one is full', async () => {
    closet.behaviour.chunkDelayMs = 150;
    const before = chats(h.fake, 'llama3.2');
    const streams = [0, 1].map(() => ask('/api/chat', chat('llama3.2', true)));
    await eventually(() => chats(closet, 'llama3.2') >= 3, 2000, 'two streams on the closet');
    assert.equal((await ask('/api/chat', chat('llama3.2'))).status, 200);
    assert.equal(chats(h.fake, 'llama3.2'), before + 1, 'the third went to the local host, which has llama3.2 and free slots');
    await Promise.all(streams);
    closet.behaviour.chunkDelayMs = 0;
  });

  it('answers a model no host has with 404 in the family shape, naming it, and sends nothing anywhere', async () => {
    const counts = () => [h.fake, closet, attic].map((f) => f.requests.length).join();
    const was = counts();
    const native = await ask('/api/chat', chat('nosuch:7b'));
    assert.equal(native.status, 404);
    assert.deepEqual(native.json(), { error: 'model "nosuch:7b" not found on any of the 3 Ollama hosts, try pulling it first' });
    const openai = await ask('/v1/chat/completions', chat('nosuch'));
    assert.equal(openai.status, 404);
    assert.equal(openai.json<{ error: { type: string; message: string } }>().error.type, 'not_found_error');
    assert.match(openai.json<{ error: { message: string } }>().error.message, /model "nosuch" not found/);
    assert.equal(counts(), was);
  });

  it('merges /api/tags, /api/ps and /v1/models across hosts, once per name, saying where each lives', async () => {
    const tags = (await call(`${h.url}/api/tags`, { headers: bearer(token) })).json<{ models: Array<{ name: string; gatehouse: { hosts: string[] } }> }>();
    const where = Object.fromEntries(tags.models.map((m) => [m.name, m.gatehouse.hosts]));
    assert.deepEqual(where, {
      'llama3.2:latest': ['local', 'closet'],
      'qwen2.5:7b': ['local'],
      'mistral:latest': ['closet'],
      'phi4:latest': ['closet', 'attic'],
      'gemma3:latest': ['attic'],
    });
    const ps = (await call(`${h.url}/api/ps`, { headers: bearer(token) })).json<{ models: Array<{ name: string }> }>();
    assert.deepEqual(ps.models.map((m) => m.name).sort(), ['llama3.2:latest', 'phi4:latest']);
    const v1 = (await call(`${h.url}/v1/models`, { headers: bearer(token) })).json<{ object: string; data: Array<{ id: string }> }>();
    assert.equal(v1.object, 'list');
    assert.equal(v1.data.length, 5);
  });

  it("filters the merged list by the token's model ACL", async () => {
    const narrow = h.token('narrow', { allowModels: ['phi4*', 'mistral'] });
    const tags = (await call(`${h.url}/api/tags`, { headers: bearer(narrow) })).json<{ models: Array<{ name: string }> }>();
    assert.deepEqual(tags.models.map((m) => m.name).sort(), ['mistral:latest', 'phi4:latest']);
    assert.equal((await ask('/api/chat', chat('gemma3'), narrow)).status, 403);
  });

  it('records which host served each request', () => {
    h.core.metering.flush();
    const rows = h.core.store.metering.requestsSince(0).filter((r) => r.route === 'POST /api/chat' && r.status === 200);
    assert.ok(rows.some((r) => r.upstream === 'closet') && rows.some((r) => r.upstream === 'local'), JSON.stringify(rows.map((r) => r.upstream)));
  });

  it('pulls to a named host with progress, and routes to the new model at once', async () => {
    const events: Array<Events['pull']> = [];
    const off = h.core.control.on('pull', (job) => events.push(job));
    const job = (await admin('pullModel', { model: 'tinyllama', on: 'closet' })) as Results['pullModel'];
    assert.equal(job.on, 'closet');
    await eventually(() => events.some((e) => e.state === 'done'), 3000, 'the pull to finish');
    off();
    assert.ok(closet.models.some((m) => m.name === 'tinyllama:latest'), 'the closet has it');
    assert.ok(!h.fake.models.some((m) => m.name === 'tinyllama:latest'), 'the local host does not');
    assert.ok(events.every((e) => e.on === 'closet') && events.some((e) => e.progress.percent > 0 && e.progress.percent < 100));
    await eventually(async () => (await ask('/api/chat', chat('tinyllama'))).status === 200, 2000, 'tinyllama to be routed');
    assert.equal(chats(closet, 'tinyllama'), 1);
    const listed = (await admin('listModels', { on: 'closet' })) as Results['listModels'];
    assert.ok(listed.installed.some((m) => m.name === 'tinyllama:latest'));
    await admin('deleteModel', { model: 'tinyllama', on: 'closet' });
    assert.ok(!closet.models.some((m) => m.name === 'tinyllama:latest'));
    await assert.rejects(admin('listModels', { on: 'nowhere' }), /no Ollama host called "nowhere"/);
  });

  it('moves a request that fails before its first byte to another host with the model, and marks the failed one down', async () => {
    // phi4 is loaded on the attic, so the attic is tried first; it answers 500 (its runner died).
    attic.behaviour.failWith = 500;
    const res = await ask('/api/chat', chat('phi4'));
    assert.equal(res.status, 200, res.text);
    assert.equal(chats(closet, 'phi4'), 1, 'the closet answered');
    const down = await hostNamed('attic');
    assert.equal(down.state, 'down');
    assert.match(down.error ?? '', /answered (POST \/api\/chat with )?HTTP 500/);
    const overview = (await admin('getOverview', {})) as Overview;
    assert.deepEqual(overview.upstreams, { total: 3, down: [{ name: 'attic', error: down.error }] });
    const metrics = await call(`${h.url}/metrics`, { headers: bearer(h.token('prom', { metrics: true })) });
    assert.match(metrics.text, /gatehouse_upstream_up\{name="attic"\} 0/);
    assert.match(metrics.text, /gatehouse_upstream_up\{name="closet"\} 1/);
    // While it is down, phi4 goes straight to the closet.
    assert.equal((await ask('/api/chat', chat('phi4'))).status, 200);
    assert.equal(chats(closet, 'phi4'), 2);
    attic.behaviour.failWith = undefined;
    await eventually(async () => (await hostNamed('attic')).state === 'up', 4000, 'the attic to be checked again and come back');
  });

  it('never replays a stream that has begun: a host that dies mid-answer cuts it, and nothing else gets it', async () => {
    attic.behaviour.chunkDelayMs = 200;
    attic.behaviour.chunks = 10;
    const closetBefore = chats(closet, 'gemma3');
    const text = await new Promise<string>((resolve) => {
      const req = open(`${h.url}/api/chat`, { headers: bearer(token), body: chat('gemma3', true) }, (res) => {
        let got = '';
        res.on('data', (c: Buffer) => {
          got += c.toString();
          if (got.includes('\n')) void attic.crash();
        });
        res.on('close', () => resolve(got));
        res.on('error', () => resolve(got));
      });
      req.on('error', () => resolve(''));
    });
    assert.ok(text.length > 0 && !text.includes('"done":true'), 'the stream was cut short');
    assert.equal(chats(closet, 'gemma3'), closetBefore);
    await eventually(async () => (await hostNamed('attic')).state === 'down', 3000, 'the dead host to be marked down');
    const gone = await ask('/api/chat', chat('gemma3'));
    assert.equal(gone.status, 502, 'only the dead host has gemma3');
    assert.match(gone.json<{ error: string }>().error, /Ollama host "attic"/);
  });

  it('refuses hosts it must not add, and stores nothing for them', async () => {
    const before = h.core.store.upstreams.all().length;
    const refusals: Array<[unknown, RegExp]> = [
      [{ url: 'http://10.0.0.7:11434' }, /plain http/],
      [{ url: 'https://169.254.169.254' }, /link-local/],
      [{ url: 'http://[fe80::1]:11434', insecure: true }, /link-local/],
      [{ url: 'http://8.8.8.8:11434', insecure: true }, /not a loopback or private address/],
      [{ url: 'https://user:pw@gpu2.example:11443' }, /no user name or password/],
      [{ url: 'https://gpu2.example:11443/api' }, /without a path/],
      [{ url: 'ftp://gpu2.example' }, /starts with https/],
      [{ url: h.fake.url, insecure: true }, /is the local Ollama/],
      [{ url: closet.url, insecure: true, name: 'again' }, /already the Ollama host "closet"/],
      [{ url: 'http://127.0.0.1:1', insecure: true, name: 'local' }, /"local" is the name of the local Ollama/],
      [{ url: 'http://127.0.0.1:1', insecure: true, name: 'Bad Name' }, /name: a host name is/],
      [{ url: 'http://127.0.0.1:1', insecure: true, token: 'secret' }, /token/],
      [{ url: 'http://127.0.0.1:1', insecure: true, caPem: 'not a certificate' }, /not a PEM certificate/],
      [{ url: 'http://127.0.0.1:1', insecure: true, slots: 1000 }, /slots/],
      [{ url: 'https://no-such-host.invalid:11443' }, /does not resolve/],
    ];
    for (const [args, why] of refusals) await assert.rejects(admin('addUpstream', args), why, JSON.stringify(args));
    await assert.rejects(admin('removeUpstream', { name: 'local' }), /cannot be removed/);
    await assert.rejects(admin('removeUpstream', { name: 'nowhere' }), /no Ollama host called "nowhere"/);
    assert.equal(h.core.store.upstreams.all().length, before);
  });

  it('removes a host: requests stop going there, and its models leave the merged list', async () => {
    await admin('removeUpstream', { name: 'attic' });
    assert.deepEqual((await hosts()).map((x) => x.name), ['local', 'closet']);
    const tags = (await call(`${h.url}/api/tags`, { headers: bearer(token) })).json<{ models: Array<{ name: string }> }>();
    assert.ok(!tags.models.some((m) => m.name === 'gemma3:latest'));
    h.core.metering.flush();
    const audit = h.core.store.metering.auditSince(0).map((a) => `${a.action} ${a.target ?? ''}`);
    assert.ok(audit.includes('upstream.added closet') && audit.includes('upstream.removed attic'), audit.join(', '));
  });
});
