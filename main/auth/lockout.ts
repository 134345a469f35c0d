export interface LockoutPolicy {
  /** Failed attempts within the window that lock the address. */
  threshold: number;
  windowMs: number;
  lockMs: number;
}

export type LockoutState = { locked: false } | { locked: true; retryAfterSeconds: number };

interface Entry {
  failures: number[];
  lockedUntil: number;
}

/**
 * Addresses tracked at most; past that the oldest address that is not locked is forgotten, so a
 * flood cannot grow memory, and rotating through addresses cannot free a locked one.
 */
const MAX_TRACKED = 10_000;

/**
 * Locks out an address that keeps presenting invalid tokens (a guesser), for a cool-down. Only
 * that address pays: every other client, valid or not, is unaffected.
 */
export class Lockout {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly policy: () => LockoutPolicy,
    private readonly clock: () => number = Date.now,
  ) {}

  state(address: string): LockoutState {
    const entry = this.entries.get(address);
    if (!entry || entry.lockedUntil === 0) return { locked: false };
    const now = this.clock();
    if (entry.lockedUntil > now) return { locked: true, retryAfterSeconds: Math.ceil((entry.lockedUntil - now) / 1000) };
    this.entries.delete(address);
    return { locked: false };
  }

  /** Records a failed attempt; returns true when this failure locked the address. */
  fail(address: string): boolean {
    const { threshold, windowMs, lockMs } = this.policy();
    const now = this.clock();
    let entry = this.entries.get(address);
    if (!entry) {
      if (this.entries.size >= MAX_TRACKED) this.forgetOne(now);
      entry = { failures: [], lockedUntil: 0 };
      this.entries.set(address, entry);
    }
    entry.failures = entry.failures.filter((t) => now - t < windowMs);
    entry.failures.push(now);
    if (entry.failures.length >= threshold) {
      entry.failures = [];
      entry.lockedUntil = now + lockMs;
      return true;
    }
    return false;
  }

  private forgetOne(now: number): void {
    for (const [address, entry] of this.entries) {
      if (entry.lockedUntil <= now) {
        this.entries.delete(address);
        return;
      }
    }
    this.entries.delete(this.entries.keys().next().value as string); // all locked: the oldest lock goes
  }
}
