import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { withUsageRequested } from '../../main/gateway/forward';
import { MAX_DEPTH, scanObject, valueOf } from '../../main/gateway/json-scan';
import { readBody } from '../../main/gateway/model-check';

const keysOf = (text: string) => {
  const scan = scanObject(Buffer.from(text));
  return scan.ok ? scan.top.entries.map((e) => [e.key, valueOf(Buffer.from(text), e)]) : scan.message;
};

describe('the bounded body scan', () => {
  it('finds the same top-level fields as JSON.parse, for any JSON object (fast-check)', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 4 })), fc.constantFrom(0, 2), (object, indent) => {
        const text = JSON.stringify(object, null, indent);
        const scanned = keysOf(text);
        assert.ok(Array.isArray(scanned), String(scanned));
        assert.deepEqual(Object.fromEntries(scanned as Array<[string, unknown]>), JSON.parse(text));
      }),
      { numRuns: 500, seed: 4242 },
    );
  });

  it('refuses what JSON.parse refuses at the structure level', () => {
    for (const text of ['', '[]', '"x"', '{', '{"a"}', '{"a":}', '{"a":1,}', '{"a":1 "b":2}', '{a:1}', '{"a":1}{"b":2}', '{"a":"unterminated}', '{"a":[1,2}', '{"a":tru}', '{"a":1}x']) {
      assert.equal(typeof keysOf(text), 'string', JSON.stringify(text));
    }
  });

  it('reads escaped keys and quotes inside strings the way Go does', () => {
    assert.deepEqual(keysOf('{"mod\\u0065l":"a\\"b\\\\","x":"}"}'), [['model', 'a"b\\'], ['x', '}']]);
    assert.deepEqual(keysOf('{"model":"a","model":"b"}'), [['model', 'a'], ['model', 'b']]);
  });

  it(`refuses nesting deeper than ${MAX_DEPTH} levels, at once and without a stack overflow`, () => {
    const deep = `{"model":"x","messages":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const started = performance.now();
    assert.match(String(keysOf(deep)), /nests deeper/);
    assert.ok(performance.now() - started < 200);
    assert.ok(Array.isArray(keysOf(`{"a":${'['.repeat(MAX_DEPTH - 1)}${']'.repeat(MAX_DEPTH - 1)}}`)));
  });

  it('reads a 32 MiB body in linear time without parsing it', () => {
    const big = Buffer.from(`{"model":"llama3.2","messages":[${Array.from({ length: 400_000 }, () => '[[1,2],{"a":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}]').join(',')}]}`);
    const scan = scanObject(big);
    assert.ok(scan.ok);
    assert.deepEqual(scan.top.entries.map((e) => e.key), ['model', 'messages']);
  });
});

describe('include_usage, spliced into the body', () => {
  const path = '/v1/chat/completions';
  const splice = (text: string) => {
    const read = readBody(Buffer.from(text));
    assert.ok(read.ok);
    const out = withUsageRequested(path, read.body);
    return out === undefined ? undefined : (JSON.parse(out.toString()) as Record<string, unknown>);
  };

  it('adds stream_options to a streamed request that did not ask, leaving the rest byte for byte', () => {
    const original = '{"model":"m","messages":[{"role":"user","content":"é ✓"}],"stream":true}';
    const read = readBody(Buffer.from(original));
    assert.ok(read.ok);
    const out = withUsageRequested(path, read.body)!.toString();
    assert.equal(out, '{"model":"m","messages":[{"role":"user","content":"é ✓"}],"stream":true,"stream_options":{"include_usage":true}}');
  });

  it('adds include_usage inside existing options, and overrides a false one as Go reads the last key', () => {
    assert.deepEqual(splice('{"model":"m","stream":true,"stream_options":{}}')?.stream_options, { include_usage: true });
    assert.deepEqual(splice('{"model":"m","stream":true,"stream_options":{"x":1}}')?.stream_options, { x: 1, include_usage: true });
    const overridden = readBody(Buffer.from('{"model":"m","stream":true,"stream_options":{"include_usage":false}}'));
    assert.ok(overridden.ok);
    assert.match(withUsageRequested(path, overridden.body)!.toString(), /"include_usage":false,"include_usage":true\}/);
  });

  it('leaves alone requests that asked, that do not stream, or whose options are not an object', () => {
    for (const text of ['{"model":"m","stream":true,"stream_options":{"include_usage":true}}', '{"model":"m"}', '{"model":"m","stream":false}', '{"model":"m","stream":true,"stream_options":"x"}']) {
      assert.equal(splice(text), undefined, text);
    }
  });
});
