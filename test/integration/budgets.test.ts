import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCore } from '../../main/core';
import { silentLogger } from '../../main/log';
import { bearer, call, eventually, startHarness } from '../helpers';

describe('token budgets at the gateway', async () => {
  const h = await startHarness({ tls: false });
  const ask = (token: string, url = h.url) => call(`${url}/api/chat`, { headers: bearer(token), body: { model: 'llama3.2', messages: [{ role: 'user', content: 'hi' }], stream: false } });

  it('answers 429 with Retry-After to local midnight once a daily budget is spent, and keeps it across a restart', async () => {
    const token = h.token('thrifty', { dailyTokens: 5 });
    const first = await ask(token);
    assert.equal(first.status, 200, first.text);
    const used = first.json<{ prompt_eval_count: number; eval_count: number }>();
    assert.ok(used.prompt_eval_count + used.eval_count >= 5, 'the fake answers with more than the budget');
    let spent = await ask(token);
    await eventually(async () => (spent = await ask(token)).status === 429, 2000, 'the budget to be spent');
    const midnight = new Date();
    midnight.setHours(24, 0, 0, 0);
    const retry = Number(spent.headers['retry-after']);
    assert.ok(Math.abs(Date.now() + retry * 1000 - midnight.getTime()) < 5000, `Retry-After ${retry} s points at local midnight`);
    assert.match(spent.json<{ error: string }>().error, /"thrifty" has used its daily budget of 5 tokens/);
    const other = h.token('unlimited');
    assert.equal((await ask(other)).status, 200, 'other tokens are unaffected');

    // A new core on the same data folder: the budget is still spent.
    h.core.metering.flush();
    const again = await createCore({ dataDir: h.dataDir, log: silentLogger, tls: false, controlSocket: false, overrides: { host: '127.0.0.1', port: 0, upstream: h.fake.url } });
    try {
      const info = await again.listen();
      assert.equal((await ask(token, `http://127.0.0.1:${info.port}`)).status, 429);
    } finally {
      await again.close();
    }
  });

  it('shows what each token used against its budget in the token list', async () => {
    const tokens = await h.core.control.call('listTokens', {}, 'window');
    const thrifty = (tokens as Array<{ name: string; spent: { day: number; month: number } }>).find((t) => t.name === 'thrifty')!;
    assert.ok(thrifty.spent.day >= 5 && thrifty.spent.month >= thrifty.spent.day);
  });
});
