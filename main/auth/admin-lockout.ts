import ipaddr from 'ipaddr.js';
import type { LockoutRow, LockoutsRepository } from '../store/lockouts-repo';

/** Who a sign-in attempt counts against: the address, or for IPv6 its /64 (one home or one VPS). */
export function lockoutKey(ip: string): string {
  try {
    const parsed = ipaddr.process(ip);
    if (parsed.kind() === 'ipv4') return parsed.toString();
    const parts = (parsed as ipaddr.IPv6).parts.slice(0, 4);
    return `${parts.map((p) => p.toString(16)).join(':')}::/64`;
  } catch {
    return ip;
  }
}

export type SignInTurn =
  | { ok: true; key: string }
  | { ok: false; retryAfterMs: number; reason: 'address' | 'everyone' };

export interface SignInLimits {
  /** Failures in a row that lock an address: the first lock lasts `baseMs`, each further failure doubles it. */
  threshold: number;
  baseMs: number;
  maxMs: number;
  /** Attempts per minute from all addresses together: a spread-out guesser meets this. */
  globalPerMinute: number;
}

export const DEFAULT_SIGN_IN_LIMITS: SignInLimits = { threshold: 5, baseMs: 60_000, maxMs: 3_600_000, globalPerMinute: 30 };

/** Addresses remembered at most; past that an unlocked one is forgotten first, never a locked one. */
const MAX_TRACKED = 10_000;

/**
 * Sign-in lockout for the dashboard's password form. An attempt counts as a failure *before* the
 * password is checked (a success then clears it), so parallel attempts from one address cannot all
 * reach scrypt; failures are stored, so a restart does not reset them; and a global ceiling caps
 * attempts from everyone, for a guesser with many addresses.
 */
export class AdminLockout {
  private readonly entries = new Map<string, LockoutRow>();
  private recent: number[] = [];

  constructor(
    private readonly repo?: LockoutsRepository,
    private readonly clock: () => number = Date.now,
    private readonly limits: SignInLimits = DEFAULT_SIGN_IN_LIMITS,
    private readonly onStoreError: (err: unknown) => void = () => {},
  ) {
    for (const row of this.persisted(() => repo?.all() ?? []) ?? []) this.entries.set(row.key, row);
  }

  /** Milliseconds until this address may try again; 0 when it may now. */
  retryAfter(ip: string): number {
    const e = this.entries.get(lockoutKey(ip));
    return e ? Math.max(0, e.lockedUntil - this.clock()) : 0;
  }

  /** Takes a turn for one attempt, counting it as failed until `succeeded` says otherwise. */
  begin(ip: string): SignInTurn {
    const now = this.clock();
    const key = lockoutKey(ip);
    const locked = this.retryAfter(ip);
    if (locked > 0) return { ok: false, retryAfterMs: locked, reason: 'address' };
    this.recent = this.recent.filter((t) => now - t < 60_000);
    if (this.recent.length >= this.limits.globalPerMinute) return { ok: false, retryAfterMs: 60_000 - (now - this.recent[0]!), reason: 'everyone' };
    this.recent.push(now);
    const entry = this.entries.get(key) ?? { key, failures: 0, lockedUntil: 0 };
    entry.failures++;
    if (entry.failures >= this.limits.threshold) {
      entry.lockedUntil = now + Math.min(this.limits.maxMs, this.limits.baseMs * 2 ** (entry.failures - this.limits.threshold));
    }
    this.remember(entry);
    this.persisted(() => this.repo?.save(entry, now));
    return { ok: true, key };
  }

  /** The attempt was right: the address starts afresh. */
  succeeded(key: string): void {
    if (!this.entries.delete(key)) return;
    this.persisted(() => this.repo?.remove(key));
  }

  private remember(entry: LockoutRow): void {
    this.entries.delete(entry.key);
    this.entries.set(entry.key, entry);
    if (this.entries.size <= MAX_TRACKED) return;
    const now = this.clock();
    for (const [key, e] of this.entries) {
      if (e.lockedUntil <= now) {
        this.entries.delete(key);
        this.persisted(() => this.repo?.remove(key));
        return;
      }
    }
  }

  /** A store that cannot write (locked, full) must not stop sign-in checks: memory still holds. */
  private persisted<T>(write: () => T): T | undefined {
    try {
      return write();
    } catch (err) {
      this.onStoreError(err);
      return undefined;
    }
  }
}
