import type { ActivityRow, Metrics, MetricsBreakdown, MetricsPoint } from '../../preload/contract';
import { merge, quantile, type Histogram } from '../metering/histogram';
import type { AuditRow, HourlyRow, SecurityRow } from '../store/metering-repo';

/** The local midnight before `at`: days in charts are the owner's days, not UTC's. */
export function startOfLocalDay(at: number): number {
  const d = new Date(at);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

const round = (v: number | null) => (v === null ? null : Math.round(v * 10) / 10);

/**
 * Charts from the hourly aggregates: per hour for a day or two, per day beyond. Latency
 * percentiles are read from merged histograms, so p95 over a day is a true p95, not an average.
 */
export function metricsFrom(rows: readonly HourlyRow[], days: number, now: number): Metrics {
  const bucket = days <= 2 ? 'hour' : 'day';
  const keyOf = (hour: number) => (bucket === 'hour' ? hour : startOfLocalDay(hour));
  const points = new Map<number, MetricsPoint & { d: Histogram; t: Histogram }>();
  // Every bucket in the range appears, so a quiet hour is a zero and not a gap in the line.
  const step = bucket === 'hour' ? 3_600_000 : 86_400_000;
  const first = bucket === 'hour' ? Math.floor((now - days * 86_400_000) / step) * step + step : startOfLocalDay(now - (days - 1) * 86_400_000);
  for (let at = first; at <= now; at = bucket === 'hour' ? at + step : startOfLocalDay(at + step + 3_600_000)) {
    points.set(at, { at, requests: 0, errors: 0, tokensIn: 0, tokensOut: 0, p50: null, p95: null, ttfbP50: null, d: {}, t: {} });
  }
  const byToken = new Map<string, MetricsBreakdown>();
  const byModel = new Map<string, MetricsBreakdown>();
  const add = (map: Map<string, MetricsBreakdown>, name: string, r: HourlyRow) => {
    const b = map.get(name) ?? { name, requests: 0, errors: 0, tokensIn: 0, tokensOut: 0 };
    b.requests += r.requests;
    b.errors += r.errors;
    b.tokensIn += r.prompt_tokens;
    b.tokensOut += r.completion_tokens;
    map.set(name, b);
  };
  for (const r of rows) {
    const key = keyOf(r.hour);
    let p = points.get(key);
    if (!p) {
      p = { at: key, requests: 0, errors: 0, tokensIn: 0, tokensOut: 0, p50: null, p95: null, ttfbP50: null, d: {}, t: {} };
      points.set(key, p);
    }
    p.requests += r.requests;
    p.errors += r.errors;
    p.tokensIn += r.prompt_tokens;
    p.tokensOut += r.completion_tokens;
    merge(p.d, r.durationHist);
    merge(p.t, r.ttfbHist);
    add(byToken, r.token_name || '(this computer)', r);
    add(byModel, r.model || '(no model)', r);
  }
  const series = [...points.values()]
    .sort((a, b) => a.at - b.at)
    .map(({ d, t, ...p }) => ({ ...p, p50: round(quantile(d, 0.5)), p95: round(quantile(d, 0.95)), ttfbP50: round(quantile(t, 0.5)) }));
  const sorted = (m: Map<string, MetricsBreakdown>) => [...m.values()].sort((a, b) => b.requests - a.requests || a.name.localeCompare(b.name));
  return { bucket, series, byToken: sorted(byToken), byModel: sorted(byModel) };
}

/** Audit and security rows in one shape for the Activity table, newest first. */
export function activityFrom(kind: 'audit' | 'security', audit: readonly AuditRow[], security: readonly SecurityRow[]): ActivityRow[] {
  const rows: ActivityRow[] =
    kind === 'audit'
      ? audit.map((a) => ({ id: a.id, at: a.at, who: a.actor, what: a.action, target: a.target ?? null, detail: a.detail ?? null, ip: null, count: 1 }))
      : security.map((e) => ({
          id: e.id,
          at: e.at,
          who: e.kind,
          what: e.method ? `${e.method} ${e.path}` : e.kind,
          target: e.tokenName ?? null,
          detail: e.detail,
          ip: e.ip,
          count: e.count ?? 1,
        }));
  return rows.sort((a, b) => b.at - a.at || b.id - a.id);
}
