import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConcurrencyLimiter, RateLimiter } from '../../main/auth/limits';
import { Lockout } from '../../main/auth/lockout';
import { canonicalPattern, compileAcl } from '../../main/auth/model-acl';
import { canonicalModelName, isCloudModel } from '../../main/auth/model-names';
import { DEFAULT_REGISTRIES, parseRegistryList, registryRefusal } from '../../main/auth/registries';
import { checkModels, goFold } from '../../main/gateway/model-check';
import { filterModelList } from '../../main/gateway/model-lists';
import { matchRoute } from '../../main/gateway/routes';

const canonical = (raw: string) => {
  const parsed = canonicalModelName(raw);
  return parsed.ok ? parsed.canonical : `!${parsed.message}`;
};

describe('model names', () => {
  it('resolve like Ollama: default host, namespace and tag, any case', () => {
    for (const raw of ['llama3.2', 'LLaMA3.2', 'llama3.2:latest', 'library/llama3.2', 'registry.ollama.ai/library/llama3.2:latest']) {
      assert.equal(canonical(raw), 'llama3.2:latest', raw);
    }
    assert.equal(canonical('someone/model:1b'), 'someone/model:1b');
    assert.equal(canonical('hf.co/bartowski/Llama-3.2-1B-GGUF:Q4_K_M'), 'hf.co/bartowski/llama-3.2-1b-gguf:q4_k_m');
    assert.equal(canonical('localhost:5000/team/model:v1'), 'localhost:5000/team/model:v1');
  });

  it('refuses digests, look-alikes and anything outside the name alphabet', () => {
    for (const raw of ['llama3.2@sha256:abc', 'llаma3.2', 'llama 3', '../x', 'a/b/c/d', '', ':latest', 'llama3.2:', 'x\u0000y']) {
      assert.match(canonical(raw), /^!/, raw);
    }
  });

  it('reduce Ollama\'s :local suffix and https\'s own port, as Ollama would', () => {
    for (const raw of ['qwen2.5:local', 'QWEN2.5:LOCAL', 'qwen2.5:latest:local', 'registry.ollama.ai:443/library/qwen2.5', 'Registry.Ollama.AI:443/library/qwen2.5:local']) {
      assert.equal(canonical(raw), 'qwen2.5:latest', raw);
    }
    assert.equal(canonical('qwen2.5:7b:local'), 'qwen2.5:7b');
    assert.equal(canonical('localhost:5000/team/model:v1'), 'localhost:5000/team/model:v1', 'other ports stay: they name another server');
    assert.match(canonical('qwen2.5:local:cloud'), /either :local or :cloud/);
    assert.match(canonical('qwen2.5:cloud:local'), /either :local or :cloud/);
  });

  it('spell cloud models as Ollama pulls them and mark them', () => {
    for (const [raw, expected] of <Array<[string, string]>>[['gpt-oss:cloud', 'gpt-oss:cloud'], ['gpt-oss:120b:cloud', 'gpt-oss:120b-cloud'], ['gpt-oss:120b-cloud', 'gpt-oss:120b-cloud'], ['GPT-OSS:120B-CLOUD', 'gpt-oss:120b-cloud']]) {
      const parsed = canonicalModelName(raw);
      assert.ok(parsed.ok && parsed.cloud, raw);
      assert.equal(canonical(raw), expected, raw);
    }
    const local = canonicalModelName('llama3.2');
    assert.ok(local.ok && !local.cloud && local.host === null);
    const hf = canonicalModelName('HF.co/a/b:q4');
    assert.ok(hf.ok && hf.host === 'hf.co');
  });

  it('recognises cloud models', () => {
    assert.ok(isCloudModel('gpt-oss:120b-cloud'));
    assert.ok(isCloudModel('deepseek-v3.1:cloud'));
    assert.ok(isCloudModel('kimi-k2-cloud:latest'));
    assert.ok(!isCloudModel('llama3.2:latest'));
    assert.ok(!isCloudModel('cloudy:latest'));
  });
});

describe('model ACL', () => {
  it('normalises patterns like names', () => {
    assert.equal(canonicalPattern('llama3.2'), 'llama3.2:latest');
    assert.equal(canonicalPattern('library/qwen*'), 'qwen*');
    assert.equal(canonicalPattern('Qwen2.5:*'), 'qwen2.5:*');
  });

  const table: Array<[string[], string[], string, boolean, boolean?]> = [
    [[], [], 'llama3.2:latest', true],
    [[], [], 'gpt-oss:120b-cloud', false],
    [['*'], [], 'gpt-oss:120b-cloud', false],
    [['gpt-oss:120b-cloud'], [], 'gpt-oss:120b-cloud', false],
    [['gpt-oss:120b-cloud'], [], 'gpt-oss:120b-cloud', true, true],
    [[], [], 'gpt-oss:120b-cloud', true, true],
    [['*-cloud'], [], 'gpt-oss:120b-cloud', true, true],
    [['llama*'], [], 'gpt-oss:120b-cloud', false, true],
    [['llama3.2'], [], 'llama3.2:latest', true],
    [['llama3.2'], [], 'llama3.2:1b', false],
    [['llama3.2:*'], [], 'llama3.2:1b', true],
    [['qwen*'], [], 'qwen2.5:7b', true],
    [['qwen*'], ['qwen2.5:72b'], 'qwen2.5:72b', false],
    [[], ['qwen*'], 'someone/qwen-tuned:latest', false],
    [[], ['qwen*'], 'llama3.2:latest', true],
    [['qwen*'], [], 'someone/qwen:latest', false],
    [['*'], ['*'], 'llama3.2:latest', false],
  ];
  for (const [allow, deny, model, expected, cloud = false] of table) {
    it(`allow ${JSON.stringify(allow)} deny ${JSON.stringify(deny)}${cloud ? ' cloud' : ''}: ${model} → ${expected ? 'allowed' : 'refused'}`, () => {
      assert.equal(compileAcl(allow, deny, cloud).check(model).allowed, expected);
    });
  }
});

describe('registry allow-list', () => {
  const list = parseRegistryList(DEFAULT_REGISTRIES);
  const cases: Array<[string, boolean]> = [
    ['registry.ollama.ai', true], ['hf.co', true], ['huggingface.co', true], ['ollama.com', true],
    ['evil.example', false], ['hf.co.evil.example', false], ['localhost', false], ['localhost:5000', false], ['127.0.0.1', false],
    ['10.0.0.5', false], ['169.254.169.254', false], ['hf.co:8443', false], ['nas.local', false], ['metadata.google.internal', false], ['intranet', false],
  ];
  for (const [host, ok] of cases) {
    it(`${ok ? 'lets Ollama fetch from' : 'refuses'} ${host}`, () => assert.equal(registryRefusal(host, list) === null, ok, String(registryRefusal(host, list))));
  }
  it('refuses addresses of this machine even when the owner listed them', () => {
    assert.match(String(registryRefusal('10.0.0.5', ['10.0.0.5'])), /IP address/);
    assert.match(String(registryRefusal('localhost', ['localhost'])), /this computer/);
  });
});

describe('model check of a request body', () => {
  const acl = compileAcl(['llama*'], ['llama3.3*']);
  const chat = matchRoute('POST', '/api/chat')!;
  const copy = matchRoute('POST', '/api/copy')!;
  const create = matchRoute('POST', '/api/create')!;
  const run = (route: typeof chat, body: string) => checkModels(route.route, route.params, Buffer.from(body), { acl, tokenName: 't', registries: ['registry.ollama.ai', 'hf.co'] });
  const status = (route: typeof chat, body: string) => {
    const r = run(route, body);
    return r.ok ? 200 : r.problem.status;
  };

  it('checks model, and the legacy name when both are sent', () => {
    assert.equal(status(chat, '{"model":"llama3.2"}'), 200);
    assert.equal(status(chat, '{"model":"llama3.2","name":"qwen2.5"}'), 403);
    assert.equal(status(chat, '{"name":"qwen2.5"}'), 403);
  });

  it('refuses case and Unicode-folded spellings that Go would read as the model field', () => {
    assert.equal(goFold('ſource'), 'source');
    assert.equal(goFold('\u212aey'), 'key');
    for (const body of ['{"model":"llama3.2","Model":"qwen2.5"}', '{"MODEL":"qwen2.5"}', '{"model":"llama3.2","nAme":"x"}']) {
      assert.equal(status(chat, body), 400, body);
    }
    assert.equal(status(copy, '{"source":"llama3.2","ſource":"qwen","destination":"llama-copy"}'), 400);
  });

  it('checks both sides of a copy and the base of a create', () => {
    assert.equal(status(copy, '{"source":"llama3.2","destination":"llama-mine"}'), 200);
    assert.equal(status(copy, '{"source":"qwen2.5","destination":"llama-mine"}'), 403);
    assert.equal(status(copy, '{"source":"llama3.2","destination":"qwen-mine"}'), 403);
    assert.equal(status(copy, '{"source":"llama3.2"}'), 400);
    assert.equal(status(create, '{"model":"llama-new","from":"qwen2.5"}'), 403);
    assert.equal(status(create, '{"model":"llama-new","from":"llama3.2"}'), 200);
  });

  it('refuses bodies that are not one JSON object naming a model', () => {
    for (const body of ['', 'model=llama3.2', '[{"model":"llama3.2"}]', '"llama3.2"', '{"model":"llama3.2"}{"model":"qwen"}', '{"model":null}', '{"model":["llama3.2"]}', '{"messages":[]}']) {
      assert.equal(status(chat, body), 400, JSON.stringify(body));
    }
  });

  it('names the refused model in the message', () => {
    const r = run(chat, '{"model":"llama3.3:70b"}');
    assert.ok(!r.ok);
    assert.match(r.problem.message, /"llama3.3:70b" is not available to the token "t": denied/);
  });
});

describe('filtered model lists', () => {
  it('keeps only allowed models and drops cloud ones', () => {
    const text = JSON.stringify({ models: [{ name: 'llama3.2:latest' }, { name: 'qwen2.5:7b' }, { name: 'gpt-oss:120b-cloud' }, { name: 42 }] });
    const filtered = JSON.parse(filterModelList(text, { array: 'models', nameField: 'name' }, compileAcl(['llama*', 'gpt*'], []))!) as { models: Array<{ name: string }> };
    assert.deepEqual(filtered.models.map((m) => m.name), ['llama3.2:latest']);
    assert.equal(filterModelList('not json', { array: 'models', nameField: 'name' }, compileAcl([], [])), undefined);
  });
});

describe('limits', () => {
  it('lets a burst of rpm requests through, then says when the next one may come', () => {
    let now = 0;
    const rate = new RateLimiter(() => now);
    for (let i = 0; i < 6; i++) assert.ok(rate.take('t', 6).ok, `request ${i + 1}`);
    const refused = rate.take('t', 6);
    assert.deepEqual(refused, { ok: false, retryAfterSeconds: 10 });
    now += 10_000;
    assert.ok(rate.take('t', 6).ok);
    assert.equal(rate.take('t', 6).ok, false);
    assert.ok(rate.take('t', null).ok, 'no limit set');
  });

  it('applies an edited limit to the next request, raised or lowered', () => {
    const now = 0;
    const rate = new RateLimiter(() => now);
    for (let i = 0; i < 2; i++) rate.take('t', 2);
    assert.equal(rate.take('t', 2).ok, false);
    assert.ok(rate.take('t', 100).ok, 'the raised limit did not apply');
    for (let i = 0; i < 50; i++) rate.take('t', 100);
    assert.equal(rate.take('t', 10).ok, false, 'the lowered limit did not apply');
  });

  it('counts requests in flight per token', () => {
    const c = new ConcurrencyLimiter();
    assert.ok(c.acquire('a', 2));
    assert.ok(c.acquire('a', 2));
    assert.equal(c.acquire('a', 2), false);
    assert.ok(c.acquire('b', 2));
    c.release('a');
    assert.ok(c.acquire('a', 2));
    assert.equal(c.current('a') + c.current('b'), 3);
  });

  it('locks an address out after the threshold, for the cool-down only, and no one else', () => {
    let now = 0;
    const lockout = new Lockout(() => ({ threshold: 3, windowMs: 60_000, lockMs: 30_000 }), () => now);
    assert.equal(lockout.fail('1.1.1.1'), false);
    assert.equal(lockout.fail('1.1.1.1'), false);
    assert.equal(lockout.fail('1.1.1.1'), true);
    assert.deepEqual(lockout.state('1.1.1.1'), { locked: true, retryAfterSeconds: 30 });
    assert.deepEqual(lockout.state('2.2.2.2'), { locked: false });
    now += 30_001;
    assert.deepEqual(lockout.state('1.1.1.1'), { locked: false });
  });

  it('forgets failures outside the window', () => {
    let now = 0;
    const lockout = new Lockout(() => ({ threshold: 3, windowMs: 1000, lockMs: 1000 }), () => now);
    lockout.fail('x');
    lockout.fail('x');
    now += 1500;
    assert.equal(lockout.fail('x'), false);
  });
});
