import type { SecurityEvent } from './security-events';

interface Window {
  event: SecurityEvent;
  count: number;
  until: number;
}

export interface AggregatorLimits {
  windowMs: number;
  /** Distinct rows per minute; past it, further kinds and addresses share one row per kind. */
  rowsPerMinute: number;
}

export const DEFAULT_AGGREGATOR_LIMITS: AggregatorLimits = { windowMs: 60_000, rowsPerMinute: 600 };

/**
 * Turns a flood of refusals into a few rows: the first event of a kind from an address is stored
 * and logged at once, and its repeats within the window become one more row, with their count,
 * when the window closes. A flood from many addresses meets a ceiling of rows per minute, past
 * which events are counted per kind under the address `*`. Nothing is lost: every event is in
 * some row's count.
 */
export class SecurityAggregator {
  private readonly open = new Map<string, Window>();
  private minute = { start: 0, rows: 0 };

  constructor(
    /** A row to store: the first event of a window, or the repeats of a closed one (with `count`). */
    private readonly out: { row(e: SecurityEvent): void },
    private readonly limits: AggregatorLimits = DEFAULT_AGGREGATOR_LIMITS,
  ) {}

  add(e: SecurityEvent): void {
    const key = `${e.kind}\u0000${e.ip}`;
    const current = this.open.get(key) ?? this.open.get(`${e.kind}\u0000*`);
    if (current && e.at < current.until) {
      current.count++;
      return;
    }
    if (e.at - this.minute.start >= 60_000) this.minute = { start: e.at, rows: 0 };
    if (++this.minute.rows > this.limits.rowsPerMinute) {
      const overflow = `${e.kind}\u0000*`;
      const shared = this.open.get(overflow);
      if (shared) shared.count++;
      else this.open.set(overflow, { event: { ...e, ip: '*', detail: `${e.detail} (and the same from other addresses)` }, count: 1, until: e.at + this.limits.windowMs });
      return;
    }
    this.open.set(key, { event: e, count: 0, until: e.at + this.limits.windowMs });
    this.out.row(e);
  }

  /** Writes the windows that have closed by `now` (every window, with `all`). */
  sweep(now: number, all = false): void {
    for (const [key, w] of this.open) {
      if (!all && now < w.until) continue;
      this.open.delete(key);
      if (w.count > 0) this.out.row({ ...w.event, detail: `repeated: ${w.event.detail}`, count: w.count });
    }
  }
}
