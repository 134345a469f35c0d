/**
 * A mergeable latency histogram: 20 logarithmic buckets per decade of milliseconds (each about
 * 12 % wide), kept sparse. Hourly aggregates add a batch of requests to it in O(batch) and read
 * p50/p95 from it, instead of re-sorting an hour of raw rows on every write.
 */
export type Histogram = Record<number, number>;

const PER_DECADE = 20;
const MAX_BUCKET = 7 * PER_DECADE; // 10^7 ms, about 2.8 hours

export function bucketOf(ms: number): number {
  if (!(ms > 1)) return 0;
  return Math.min(MAX_BUCKET, Math.floor(Math.log10(ms) * PER_DECADE));
}

export function addTo(histogram: Histogram, ms: number): void {
  const b = bucketOf(ms);
  histogram[b] = (histogram[b] ?? 0) + 1;
}

export function merge(into: Histogram, from: Histogram): Histogram {
  for (const [b, n] of Object.entries(from)) into[Number(b)] = (into[Number(b)] ?? 0) + n;
  return into;
}

/** The p-quantile, as the geometric middle of the bucket it falls in (within about 6 %). */
export function quantile(histogram: Histogram, p: number): number | null {
  const buckets = Object.entries(histogram)
    .map(([b, n]) => [Number(b), n] as const)
    .sort((a, b) => a[0] - b[0]);
  const total = buckets.reduce((sum, [, n]) => sum + n, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(p * total));
  let seen = 0;
  for (const [b, n] of buckets) {
    seen += n;
    if (seen >= rank) return b === 0 ? 1 : 10 ** ((b + 0.5) / PER_DECADE);
  }
  return null;
}

/** Nearest-rank percentile of an ascending list (exact, for reports over raw rows). */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] as number;
}
