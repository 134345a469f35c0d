import type { MeteringRepository, StoredHour } from '../store/metering-repo';
import { hourOf } from '../store/metering-repo';
import { addTo, merge } from './histogram';
import type { RequestRecord } from './records';

interface HourGroup extends StoredHour {
  hour: number;
  tokenId: string;
  tokenName: string;
  model: string;
}

/** A batch's rows summed per hour × token × model, with their latency histograms. */
function groupByHour(rows: readonly RequestRecord[]): HourGroup[] {
  const groups = new Map<string, HourGroup>();
  for (const r of rows) {
    const hour = hourOf(r.at);
    const model = r.modelLabel ?? r.model ?? '';
    const key = `${hour}|${r.tokenId ?? ''}|${model}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { hour, tokenId: r.tokenId ?? '', tokenName: r.tokenName ?? '', model, requests: 0, errors: 0, promptTokens: 0, completionTokens: 0, duration: {}, ttfb: {} }));
    g.requests++;
    if (r.status >= 400 || r.error !== null) g.errors++;
    g.promptTokens += r.promptTokens ?? 0;
    g.completionTokens += r.completionTokens ?? 0;
    addTo(g.duration, r.durationMs);
    if (r.ttfbMs !== null) addTo(g.ttfb, r.ttfbMs);
  }
  return [...groups.values()];
}

/**
 * Stores a batch of request rows and adds them to their hourly aggregates, in one transaction.
 * The cost is proportional to the batch, not to the hour: latency percentiles come from merged
 * histograms rather than from re-reading raw rows.
 */
export function storeRequests(repo: MeteringRepository, rows: readonly RequestRecord[]): void {
  repo.transaction(() => {
    for (const r of rows) repo.insertRequest(r);
    for (const g of groupByHour(rows)) {
      const old = repo.hour(g.hour, g.tokenId, g.model);
      repo.putHour(g, {
        requests: g.requests + (old?.requests ?? 0),
        errors: g.errors + (old?.errors ?? 0),
        promptTokens: g.promptTokens + (old?.promptTokens ?? 0),
        completionTokens: g.completionTokens + (old?.completionTokens ?? 0),
        duration: old ? merge(old.duration, g.duration) : g.duration,
        ttfb: old ? merge(old.ttfb, g.ttfb) : g.ttfb,
      });
    }
  });
}
