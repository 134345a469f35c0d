/**
 * Sign-in lockout per client address: five failures in a row lock the address for a minute, and
 * every further failure after that doubles the wait (up to an hour). A success forgets the address.
 */
export class AdminLockout {
  private readonly entries = new Map<string, { failures: number; lockedUntil: number }>();

  constructor(
    private readonly clock: () => number = Date.now,
    private readonly threshold = 5,
    private readonly baseMs = 60_000,
    private readonly maxMs = 3_600_000,
  ) {}

  /** Milliseconds until this address may try again; 0 when it may now. */
  retryAfter(ip: string): number {
    const e = this.entries.get(ip);
    return e ? Math.max(0, e.lockedUntil - this.clock()) : 0;
  }

  /** Counts a failure; returns the lock it caused (ms), or 0. */
  failed(ip: string): number {
    const e = this.entries.get(ip) ?? { failures: 0, lockedUntil: 0 };
    e.failures++;
    let lockMs = 0;
    if (e.failures >= this.threshold) {
      lockMs = Math.min(this.maxMs, this.baseMs * 2 ** (e.failures - this.threshold));
      e.lockedUntil = this.clock() + lockMs;
    }
    this.entries.set(ip, e);
    if (this.entries.size > 10_000) this.entries.delete(this.entries.keys().next().value as string);
    return lockMs;
  }

  succeeded(ip: string): void {
    this.entries.delete(ip);
  }
}
