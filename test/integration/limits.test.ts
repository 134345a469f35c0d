import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import type { SecurityEvent } from '../../main/metering/security-events';
import { bearer, call, open, startHarness } from '../helpers';

const run = promisify(execFile);

describe('rate and concurrency limits', async () => {
  const events: SecurityEvent[] = [];
  const h = await startHarness({ security: (e) => events.push(e) });

  it('answers the (rpm+1)th request in a minute with 429 and a correct Retry-After', async () => {
    const token = h.token('three-a-minute', { rpm: 3 });
    for (let i = 0; i < 3; i++) assert.equal((await call(`${h.url}/api/version`, { ca: h.ca, headers: bearer(token) })).status, 200);
    const before = h.fake.requests.length;
    const res = await call(`${h.url}/api/version`, { ca: h.ca, headers: bearer(token) });
    assert.equal(res.status, 429);
    assert.equal(res.headers['retry-after'], '20');
    assert.match(res.json<{ error: string }>().error, /limited to 3 requests per minute/);
    assert.equal(h.fake.requests.length, before);
    assert.ok(events.some((e) => e.kind === 'rate_limited' && e.tokenName === 'three-a-minute'));
  });

  it('applies an rpm edited by the CLI at the running server within one second', async () => {
    const token = h.token('edited', { rpm: 1 });
    assert.equal((await call(`${h.url}/api/version`, { ca: h.ca, headers: bearer(token) })).status, 200);
    assert.equal((await call(`${h.url}/api/version`, { ca: h.ca, headers: bearer(token) })).status, 429);
    await run(process.execPath, ['out/cli/gatehouse.js', 'token', 'update', 'edited', '--rpm', '600', '--data-dir', h.dataDir]);
    const start = Date.now();
    let status = 429;
    while (status === 429 && Date.now() - start < 1000) {
      await new Promise((r) => setTimeout(r, 25));
      status = (await call(`${h.url}/api/version`, { ca: h.ca, headers: bearer(token) })).status;
    }
    assert.equal(status, 200, 'the raised limit did not apply within a second');
  });

  it('refuses a request over the concurrency cap while the first streams, and serves it after', async () => {
    const token = h.token('one-at-a-time', { concurrency: 1 });
    h.fake.behaviour.chunkDelayMs = 60;
    try {
      let firstDone!: () => void;
      const finished = new Promise<void>((r) => (firstDone = r));
      await new Promise<void>((started) => {
        open(`${h.url}/api/chat`, { ca: h.ca, headers: bearer(token), body: { model: 'llama3.2', messages: [] } }, (res) => {
          res.once('data', () => started());
          res.on('end', () => firstDone());
          res.resume();
        });
      });
      const second = await call(`${h.url}/api/chat`, { ca: h.ca, headers: bearer(token), body: { model: 'llama3.2', messages: [], stream: false } });
      assert.equal(second.status, 429);
      assert.match(second.json<{ error: string }>().error, /already has 1 request\(s\) running/);
      await finished;
      await new Promise((r) => setTimeout(r, 20));
      const third = await call(`${h.url}/api/chat`, { ca: h.ca, headers: bearer(token), body: { model: 'llama3.2', messages: [], stream: false } });
      assert.equal(third.status, 200);
    } finally {
      h.fake.behaviour.chunkDelayMs = 0;
    }
  });

  it('frees the concurrency slot when a client hangs up mid-stream', async () => {
    const token = h.token('hangs-up', { concurrency: 1 });
    h.fake.behaviour.chunkDelayMs = 100;
    h.fake.behaviour.chunks = 30;
    try {
      await new Promise<void>((resolve) => {
        const req = open(`${h.url}/api/chat`, { ca: h.ca, headers: bearer(token), body: { model: 'llama3.2', messages: [] } }, (res) => {
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        });
        req.on('error', () => {});
      });
      await new Promise((r) => setTimeout(r, 100));
      assert.equal((await call(`${h.url}/api/version`, { ca: h.ca, headers: bearer(token) })).status, 200);
    } finally {
      h.fake.behaviour.chunkDelayMs = 0;
      h.fake.behaviour.chunks = 5;
    }
  });

  it('gives new tokens the default limits from settings', () => {
    h.core.store.settings.set('defaultRpm', 42);
    const created = h.core.tokens.create({ name: 'defaulted' });
    assert.equal(created.record.rpm, 42);
    h.core.store.settings.set('defaultRpm', 0);
  });
});

describe('lockout of addresses that guess tokens', async () => {
  const events: SecurityEvent[] = [];
  const h = await startHarness({ security: (e) => events.push(e) });
  h.core.store.settings.set('lockoutThreshold', 3);
  h.core.store.settings.set('lockoutSeconds', 1);
  h.core.store.changed();
  const valid = h.token('valid');
  const from = (address: string, token: string) => call(`${h.url}/api/version`, { ca: h.ca, headers: bearer(token), localAddress: address });

  it('locks the guessing address out, costing a valid client elsewhere nothing, and releases it after the cool-down', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await from('127.0.0.2', `gth_guess${i}`)).status, 401);
    const locked = await from('127.0.0.2', valid);
    assert.equal(locked.status, 429);
    assert.match(locked.json<{ error: string }>().error, /Too many invalid API tokens came from 127\.0\.0\.2/);
    assert.ok(Number(locked.headers['retry-after']) >= 1);
    assert.equal((await from('127.0.0.3', valid)).status, 200);
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal((await from('127.0.0.2', valid)).status, 200);
  });

  it('records failed attempts and the lockout as security events, with a fingerprint and never the secret', () => {
    const failures = events.filter((e) => e.kind === 'auth_failed' && e.ip === '127.0.0.2');
    assert.equal(failures.length, 3);
    assert.match(failures[0]!.fingerprint ?? '', /^[0-9a-f]{12}$/);
    assert.ok(!JSON.stringify(events).includes('gth_guess'));
    assert.equal(events.filter((e) => e.kind === 'lockout').length, 1);
  });
});
