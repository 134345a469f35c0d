import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, it } from 'node:test';
import { streamKind, UsageReader, UsageStripper, type StreamKind } from '../../main/metering/usage-tap';
import { BatchWriter } from '../../main/metering/batch-writer';
import { SecurityAggregator } from '../../main/metering/security-aggregator';
import type { SecurityEvent } from '../../main/metering/security-events';
import { BUSY, CheckQueue } from '../../main/auth/check-queue';

/**
 * Shows `text` in pieces of `size` bytes (1 = every byte on its own) to a reader, or runs it
 * through a stripper; returns what the client would get and what was counted.
 */
async function tap(kind: StreamKind, text: string, size: number, strip = false) {
  const bytes = Buffer.from(text);
  const pieces: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) pieces.push(bytes.subarray(i, i + size));
  if (strip) {
    const stripper = new UsageStripper();
    const out = await buffer(Readable.from(pieces).pipe(stripper));
    return { out: out.toString(), usage: stripper.usage, bytesOut: stripper.bytesOut, pieces: stripper.pieces };
  }
  const reader = new UsageReader(kind);
  for (const piece of pieces) reader.observe(piece);
  reader.finish();
  return { out: Buffer.concat(pieces).toString(), usage: reader.usage, bytesOut: reader.bytesOut, pieces: reader.pieces };
}

const ndjson = [
  '{"model":"m","message":{"role":"assistant","content":"ä \\"done\\":true"},"done":false}',
  '{"model":"m","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","total_duration":5,"prompt_eval_count":11,"eval_count":7}',
  '',
].join('\n');

const sse = (events: unknown[]) => events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join('') + 'data: [DONE]\n\n';
const chunk = (content: string, extra: object = {}) => ({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content }, finish_reason: null }], ...extra });

describe('usage tap', () => {
  for (const size of [1, 3, 64, 100_000]) {
    it(`reads native NDJSON metrics and passes every byte, in ${size}-byte pieces`, async () => {
      const r = await tap('ndjson', ndjson, size);
      assert.equal(r.out, ndjson);
      assert.equal(r.bytesOut, Buffer.byteLength(ndjson));
      assert.deepEqual(r.usage, { promptTokens: 11, completionTokens: 7, error: null });
    });

    it(`keeps the usage chunk and zeroed usage fields from a client that did not ask, in ${size}-byte pieces`, async () => {
      const upstream = sse([
        chunk('a', { usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 } }),
        chunk('b', { usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 } }),
        { id: 'c', object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 9, completion_tokens: 2, total_tokens: 11 } },
      ]);
      const expected = sse([chunk('a'), chunk('b')]);
      const r = await tap('sse', upstream, size, true);
      assert.equal(r.out, expected);
      assert.equal(r.bytesOut, Buffer.byteLength(expected));
      assert.deepEqual(r.usage, { promptTokens: 9, completionTokens: 2, error: null });
      assert.equal(r.pieces, 2);
    });
  }

  it('counts the pieces of a stream written a line at a time, as Ollama writes them, for aborted streams', () => {
    const reader = new UsageReader('ndjson');
    for (let i = 0; i < 5; i++) reader.observe(Buffer.from(`{"response":"t${i}","done":false}\n`));
    assert.equal(reader.pieces, 5);
    assert.equal(reader.usage.completionTokens, null, 'no final metrics yet');
    reader.observe(Buffer.from('{"done":true,"prompt_eval_count":2,"eval_count":5}\n'));
    reader.finish();
    assert.equal(reader.pieces, 5);
    assert.deepEqual(reader.usage, { promptTokens: 2, completionTokens: 5, error: null });
  });

  it('reads the final line the same when it arrives split over two chunks, or after content in its chunk', () => {
    const final = '{"model":"m","done":true,"prompt_eval_count":7,"eval_count":3}\n';
    const split = new UsageReader('ndjson');
    split.observe(Buffer.from('{"response":"a","done":false}\n'));
    split.observe(Buffer.from(final.slice(0, 20)));
    split.observe(Buffer.from(final.slice(20)));
    split.finish();
    assert.deepEqual(split.usage, { promptTokens: 7, completionTokens: 3, error: null });
    const joined = new UsageReader('ndjson');
    joined.observe(Buffer.from(`{"response":"a","done":false}\n{"response":"b","done":false}\n${final}`));
    joined.finish();
    assert.deepEqual(joined.usage, { promptTokens: 7, completionTokens: 3, error: null });
  });

  it('counts only the generated pieces of a stream that ends with Ollama\'s error line', () => {
    const reader = new UsageReader('ndjson');
    for (let i = 0; i < 3; i++) reader.observe(Buffer.from(`{"response":"t${i}","done":false}\n`));
    reader.observe(Buffer.from('{"error":"model runner has unexpectedly stopped"}\n'));
    reader.finish();
    assert.equal(reader.pieces, 3, 'the error line is not a token');
    assert.equal(reader.usage.error, 'model runner has unexpectedly stopped');
  });

  it('reads the last OpenAI usage of a stream that asked for it, unchanged', async () => {
    const text = sse([chunk('a'), { id: 'c', choices: [], usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } }]);
    const r = await tap('sse', text, 7);
    assert.equal(r.out, text);
    assert.deepEqual(r.usage, { promptTokens: 3, completionTokens: 4, error: null });
  });

  it('records mid-stream errors in both stream shapes', async () => {
    const native = await tap('ndjson', '{"done":false}\n{"error":"model crashed"}\n', 5);
    assert.equal(native.usage.error, 'model crashed');
    assert.equal(native.usage.completionTokens, null);
    const openai = await tap('sse', sse([chunk('a'), { error: { message: 'boom', type: 'api_error' } }]), 5);
    assert.equal(openai.usage.error, 'boom');
  });

  it('reads non-streamed answers from their tail, native and OpenAI', async () => {
    const native = await tap('json', JSON.stringify({ model: 'm', response: 'x'.repeat(20_000), done: true, prompt_eval_count: 5, eval_count: 6 }), 1000);
    assert.deepEqual(native.usage, { promptTokens: 5, completionTokens: 6, error: null });
    const openai = await tap('json', JSON.stringify({ choices: [], usage: { prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 } }), 10);
    assert.deepEqual(openai.usage, { promptTokens: 2, completionTokens: 3, error: null });
    const error = await tap('json', '{"error":"model \\"x\\" not found"}', 10);
    assert.equal(error.usage.error, 'model "x" not found');
  });

  it('knows stream kinds by content type', () => {
    assert.equal(streamKind('application/x-ndjson'), 'ndjson');
    assert.equal(streamKind('text/event-stream; charset=utf-8'), 'sse');
    assert.equal(streamKind('application/json; charset=utf-8'), 'json');
    assert.equal(streamKind(undefined), 'other');
  });
});

describe('batch writer', () => {
  it('drops and counts rows past its bound instead of blocking, and writes the rest in one batch', () => {
    const batches: number[][] = [];
    const writer = new BatchWriter<number>((rows) => batches.push(rows), { maxQueue: 3, batchSize: 100 });
    for (let i = 0; i < 5; i++) writer.push(i);
    assert.equal(writer.dropped, 2);
    writer.flush();
    assert.deepEqual(batches, [[0, 1, 2]]);
  });

  it('keeps the rows of a failed write and retries them with a growing pause, saying so once', () => {
    let now = 0;
    const stuck: unknown[] = [];
    const recovered: number[] = [];
    let fail = true;
    const written: number[] = [];
    const writer = new BatchWriter<number>((rows) => {
      if (fail) throw new Error('database is locked');
      written.push(...rows);
    }, { intervalMs: 100, clock: () => now, onStuck: (e) => stuck.push(e), onRecovered: (n) => recovered.push(n) });
    writer.push(1);
    writer.flush();
    writer.push(2);
    now += 50;
    writer.flush();
    now += 100;
    writer.flush();
    now += 200;
    writer.flush();
    assert.equal(stuck.length, 1, 'said once, not on every retry');
    assert.deepEqual(written, []);
    fail = false;
    now += 400;
    writer.flush();
    assert.deepEqual(written, [1, 2], 'nothing lost, in order');
    assert.equal(writer.dropped, 0);
    assert.deepEqual(recovered, [2]);
  });

  it('writes what it holds on close even while backing off', () => {
    let fail = true;
    const written: number[] = [];
    const writer = new BatchWriter<number>((rows) => {
      if (fail) throw new Error('busy');
      written.push(...rows);
    });
    writer.push(1);
    writer.flush();
    fail = false;
    writer.close();
    assert.deepEqual(written, [1]);
  });
});

describe('security event aggregation', () => {
  const event = (at: number, ip = '10.0.0.9', kind: SecurityEvent['kind'] = 'admin_refused'): SecurityEvent => ({ at, kind, ip, detail: 'foreign Host' });

  it('stores the first event at once and its repeats as one counted row when the minute closes', () => {
    const rows: SecurityEvent[] = [];
    const agg = new SecurityAggregator({ row: (e) => rows.push(e) });
    for (let i = 0; i < 5000; i++) agg.add(event(1000 + i));
    agg.add(event(1000, '10.0.0.10'));
    assert.equal(rows.length, 2, 'one row per address at once');
    agg.sweep(1000 + 30_000);
    assert.equal(rows.length, 2, 'the window is still open');
    agg.sweep(1000 + 60_000);
    assert.deepEqual(rows.map((r) => [r.ip, r.count ?? 1]), [['10.0.0.9', 1], ['10.0.0.10', 1], ['10.0.0.9', 4999]]);
  });

  it('shares one row per kind past the ceiling of rows a minute, and loses no count', () => {
    const rows: SecurityEvent[] = [];
    const agg = new SecurityAggregator({ row: (e) => rows.push(e) }, { windowMs: 60_000, rowsPerMinute: 10 });
    for (let i = 0; i < 1000; i++) agg.add(event(i, `10.1.${i >> 8}.${i & 255}`));
    agg.sweep(0, true);
    assert.ok(rows.length <= 11, `${rows.length} rows`);
    assert.equal(rows.reduce((n, r) => n + (r.count ?? 1), 0), 1000);
    assert.equal(rows.at(-1)?.ip, '*');
  });
});

describe('password check queue', () => {
  it('runs two checks at a time, lets eight wait, and turns the rest away at once', async () => {
    const queue = new CheckQueue(2, 8);
    let running = 0;
    let most = 0;
    const check = () =>
      queue.run(async () => {
        most = Math.max(most, ++running);
        await new Promise((r) => setTimeout(r, 20));
        running--;
        return 'checked';
      });
    const results = await Promise.all(Array.from({ length: 14 }, check));
    assert.equal(most, 2);
    assert.equal(results.filter((r) => r === 'checked').length, 10);
    assert.equal(results.filter((r) => r === BUSY).length, 4);
    assert.equal(await check(), 'checked', 'free again afterwards');
  });
});
