import type { TokenRecord } from '../store/tokens-repo';

/** Local midnight of the day `at` falls in, and of the next day. */
export function dayOf(at: number): { start: number; end: number } {
  const start = new Date(at);
  start.setHours(0, 0, 0, 0);
  const end = new Date(start);
  end.setDate(end.getDate() + 1);
  return { start: start.getTime(), end: end.getTime() };
}

/** Local midnight of the 1st of the month `at` falls in, and of the next month. */
export function monthOf(at: number): { start: number; end: number } {
  const start = new Date(at);
  start.setDate(1);
  start.setHours(0, 0, 0, 0);
  const end = new Date(start);
  end.setMonth(end.getMonth() + 1);
  return { start: start.getTime(), end: end.getTime() };
}

interface Period {
  start: number;
  end: number;
  spent: Map<string, number>;
}

export type BudgetVerdict = { ok: true } | { ok: false; period: 'day' | 'month'; limit: number; spent: number; resetsAt: number; retryAfterSeconds: number };

/**
 * Tokens (prompt + completion) each API token used today and this month, in this computer's time
 * zone, kept in memory so that a request's check is a lookup. At start (and at each new day or
 * month) the totals are read back from the stored hourly usage, so a restart, even a kill -9,
 * does not reset a budget; what was counted after the last write (at most a second) is all it can lose.
 */
export class Budgets {
  /** Over the store's hourly usage: the usual way to build one. */
  static overStore(hourlySince: (since: number) => Array<{ token_id: string; prompt_tokens: number; completion_tokens: number }>, clock: () => number = Date.now): Budgets {
    return new Budgets((since) => {
      const used = new Map<string, number>();
      for (const row of hourlySince(since)) used.set(row.token_id, (used.get(row.token_id) ?? 0) + row.prompt_tokens + row.completion_tokens);
      return used;
    }, clock);
  }

  private day: Period;
  private month: Period;

  constructor(
    /** Tokens used per API token since `since`, from the store. */
    private readonly usedSince: (since: number) => Map<string, number>,
    private readonly clock: () => number = Date.now,
  ) {
    const now = this.clock();
    this.day = this.period(dayOf(now));
    this.month = this.period(monthOf(now));
  }

  add(tokenId: string, tokens: number): void {
    this.roll();
    for (const p of [this.day, this.month]) p.spent.set(tokenId, (p.spent.get(tokenId) ?? 0) + tokens);
  }

  used(tokenId: string): { day: number; month: number } {
    this.roll();
    return { day: this.day.spent.get(tokenId) ?? 0, month: this.month.spent.get(tokenId) ?? 0 };
  }

  check(token: Pick<TokenRecord, 'id' | 'dailyTokens' | 'monthlyTokens'>): BudgetVerdict {
    if (token.dailyTokens === null && token.monthlyTokens === null) return { ok: true };
    this.roll();
    const now = this.clock();
    for (const [period, limit, p] of [['day', token.dailyTokens, this.day], ['month', token.monthlyTokens, this.month]] as const) {
      const spent = p.spent.get(token.id) ?? 0;
      if (limit !== null && spent >= limit) return { ok: false, period, limit, spent, resetsAt: p.end, retryAfterSeconds: Math.max(1, Math.ceil((p.end - now) / 1000)) };
    }
    return { ok: true };
  }

  private period(bounds: { start: number; end: number }): Period {
    return { ...bounds, spent: this.usedSince(bounds.start) };
  }

  /** A new day (or month) starts from what the store says of it: nothing yet, normally. */
  private roll(): void {
    const now = this.clock();
    if (now >= this.day.end) this.day = this.period(dayOf(now));
    if (now >= this.month.end) this.month = this.period(monthOf(now));
  }
}
