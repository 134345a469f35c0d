/**
 * Per-token request limits, kept in memory (a restart forgets them, which errs on the side of
 * serving). Both are O(1) per request and read the token's current limits on every call, so an
 * edited limit applies to the next request.
 */

export type LimitVerdict = { ok: true } | { ok: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  updatedAt: number;
  rpm: number;
}

/**
 * Requests per minute as a token bucket: a full bucket holds `rpm` requests (the burst), and it
 * refills at rpm/60 per second. So the (rpm+1)th request in a burst waits 60/rpm seconds.
 * Raising a token's limit lets its next request through; lowering it takes effect as quickly.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  /** `maxKeys` bounds memory when keys are addresses: the least recently seen key is forgotten first. */
  constructor(
    private readonly clock: () => number = Date.now,
    private readonly maxKeys = 10_000,
  ) {}

  take(key: string, rpm: number | null): LimitVerdict {
    if (!rpm) return { ok: true };
    const now = this.clock();
    const perMs = rpm / 60_000;
    const bucket = this.buckets.get(key) ?? { tokens: rpm, updatedAt: now, rpm };
    if (bucket.rpm !== rpm) {
      // An edited limit applies at once: the capacity gained (or lost) is added to (or taken from) the bucket.
      bucket.tokens = Math.max(0, bucket.tokens + rpm - bucket.rpm);
      bucket.rpm = rpm;
    }
    bucket.tokens = Math.min(rpm, bucket.tokens + (now - bucket.updatedAt) * perMs);
    bucket.updatedAt = now;
    this.buckets.delete(key);
    this.buckets.set(key, bucket);
    if (this.buckets.size > this.maxKeys) this.buckets.delete(this.buckets.keys().next().value as string);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000)) };
  }
}

/** Requests in flight per token; `release` must be called exactly once per successful `acquire`. */
export class ConcurrencyLimiter {
  private readonly inFlight = new Map<string, number>();

  acquire(key: string, max: number | null): boolean {
    const current = this.inFlight.get(key) ?? 0;
    if (max && current >= max) return false;
    this.inFlight.set(key, current + 1);
    return true;
  }

  release(key: string): void {
    const current = this.inFlight.get(key) ?? 0;
    if (current <= 1) this.inFlight.delete(key);
    else this.inFlight.set(key, current - 1);
  }

  current(key: string): number {
    return this.inFlight.get(key) ?? 0;
  }
}
