import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Budgets, dayOf, monthOf } from '../../main/auth/budgets';
import { storeRequests } from '../../main/metering/hourly';
import { Store } from '../../main/store/store';
import { tempDir } from '../helpers';

const usage = (at: number, tokenId: string, prompt: number, completion: number) => ({
  at, tokenId, tokenName: tokenId, model: 'llama3.2:latest', route: 'POST /api/chat', status: 200, durationMs: 1, ttfbMs: 1,
  promptTokens: prompt, completionTokens: completion, streamed: false, aborted: false, error: null, ip: '127.0.0.1', bytesIn: 1, bytesOut: 1, overheadMs: 0,
});
const token = (dailyTokens: number | null, monthlyTokens: number | null = null) => ({ id: 'tk_a', dailyTokens, monthlyTokens });

describe('token budgets', () => {
  // The 10th of a month, 15:00 local time.
  const start = new Date(2027, 2, 10, 15, 0, 0).getTime();

  it('refuses a token past its daily budget until local midnight, then lets it in again', () => {
    let now = start;
    const budgets = Budgets.overStore(() => [], () => now);
    budgets.add('tk_a', 600);
    assert.equal(budgets.check(token(1000)).ok, true);
    budgets.add('tk_a', 400);
    const spent = budgets.check(token(1000));
    assert.ok(!spent.ok);
    assert.equal(spent.period, 'day');
    assert.equal(spent.resetsAt, new Date(2027, 2, 11).getTime());
    assert.equal(spent.retryAfterSeconds, 9 * 3600);
    now = new Date(2027, 2, 11, 0, 0, 1).getTime();
    assert.equal(budgets.check(token(1000)).ok, true, 'a new day');
  });

  it('counts the month across days, and renews it on the 1st', () => {
    let now = start;
    const budgets = Budgets.overStore(() => [], () => now);
    budgets.add('tk_a', 700);
    now += 86_400_000;
    budgets.add('tk_a', 700);
    const spent = budgets.check(token(null, 1000));
    assert.ok(!spent.ok && spent.period === 'month' && spent.resetsAt === new Date(2027, 3, 1).getTime());
    now = new Date(2027, 3, 1, 8).getTime();
    assert.equal(budgets.check(token(null, 1000)).ok, true);
  });

  it('is restored from the stored usage after a restart, so a crash does not reset it', () => {
    const dir = tempDir();
    const store = Store.open(dir);
    storeRequests(store.metering, [usage(start - 3600_000, 'tk_a', 300, 500), usage(start - 3 * 86_400_000, 'tk_a', 1000, 1000), usage(start, 'tk_b', 5, 5)]);
    store.close();
    const reopened = Store.open(dir);
    const budgets = Budgets.overStore((since) => reopened.metering.hourlySince(since), () => start);
    assert.deepEqual(budgets.used('tk_a'), { day: 800, month: 2800 });
    assert.equal(budgets.check(token(800)).ok, false);
    reopened.close();
  });

  it('knows the local day and month boundaries', () => {
    assert.deepEqual(dayOf(start), { start: new Date(2027, 2, 10).getTime(), end: new Date(2027, 2, 11).getTime() });
    assert.deepEqual(monthOf(new Date(2027, 11, 31, 23).getTime()), { start: new Date(2027, 11, 1).getTime(), end: new Date(2028, 0, 1).getTime() });
  });
});
