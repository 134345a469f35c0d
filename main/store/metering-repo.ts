import type { SecurityEvent } from '../metering/security-events';
import { HOUR_MS, hourOf, type AuditEntry, type RequestRecord, type Retention } from '../metering/records';
import type { Db } from './database';

export interface AuditRow extends AuditEntry {
  id: number;
}

export interface SecurityRow extends SecurityEvent {
  id: number;
}

const DAY_MS = 86_400_000;

/** Nearest-rank percentile of an ascending list. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] as number;
}

/** Request rows, hourly aggregates, the audit log and security events. */
export class MeteringRepository {
  private readonly s;

  constructor(private readonly db: Db) {
    this.s = {
      insertRequest: db.prepare(
        `INSERT INTO requests (at, token_id, token_name, model, route, status, duration_ms, ttfb_ms, prompt_tokens,
           completion_tokens, streamed, aborted, error, ip, bytes_in, bytes_out, overhead_ms)
         VALUES (@at, @tokenId, @tokenName, @model, @route, @status, @durationMs, @ttfbMs, @promptTokens,
           @completionTokens, @streamed, @aborted, @error, @ip, @bytesIn, @bytesOut, @overheadMs)`,
      ),
      groupRows: db.prepare<[number, number, string, string], { duration_ms: number; ttfb_ms: number | null; prompt_tokens: number | null; completion_tokens: number | null; failed: number; token_name: string | null }>(
        `SELECT duration_ms, ttfb_ms, prompt_tokens, completion_tokens, (status >= 400 OR error IS NOT NULL) AS failed, token_name
         FROM requests WHERE at >= ? AND at < ? AND coalesce(token_id, '') = ? AND coalesce(model, '') = ?`,
      ),
      upsertHour: db.prepare(
        `INSERT INTO usage_hourly (hour, token_id, token_name, model, requests, errors, prompt_tokens, completion_tokens,
           duration_p50, duration_p95, ttfb_p50, ttfb_p95)
         VALUES (@hour, @tokenId, @tokenName, @model, @requests, @errors, @promptTokens, @completionTokens,
           @durationP50, @durationP95, @ttfbP50, @ttfbP95)
         ON CONFLICT (hour, token_id, model) DO UPDATE SET token_name = excluded.token_name, requests = excluded.requests,
           errors = excluded.errors, prompt_tokens = excluded.prompt_tokens, completion_tokens = excluded.completion_tokens,
           duration_p50 = excluded.duration_p50, duration_p95 = excluded.duration_p95, ttfb_p50 = excluded.ttfb_p50,
           ttfb_p95 = excluded.ttfb_p95`,
      ),
      insertAudit: db.prepare('INSERT INTO audit_log (at, actor, action, target, detail) VALUES (@at, @actor, @action, @target, @detail)'),
      insertSecurity: db.prepare(
        `INSERT INTO security_events (at, kind, ip, token_id, token_name, fingerprint, route, detail)
         VALUES (@at, @kind, @ip, @tokenId, @tokenName, @fingerprint, @route, @detail)`,
      ),
    };
  }

  /** Stores a batch of request rows and refreshes the hourly aggregates they touch, in one transaction. */
  insertRequests(rows: readonly RequestRecord[]): void {
    this.db.transaction(() => {
      const groups = new Map<string, { hour: number; tokenId: string; model: string }>();
      for (const r of rows) {
        this.s.insertRequest.run({ ...r, streamed: r.streamed ? 1 : 0, aborted: r.aborted ? 1 : 0 });
        const group = { hour: hourOf(r.at), tokenId: r.tokenId ?? '', model: r.model ?? '' };
        groups.set(`${group.hour}|${group.tokenId}|${group.model}`, group);
      }
      for (const g of groups.values()) this.refreshHour(g.hour, g.tokenId, g.model);
    })();
  }

  private refreshHour(hour: number, tokenId: string, model: string): void {
    const rows = this.s.groupRows.all(hour, hour + HOUR_MS, tokenId, model);
    const durations = rows.map((r) => r.duration_ms).sort((a, b) => a - b);
    const ttfbs = rows.flatMap((r) => (r.ttfb_ms === null ? [] : [r.ttfb_ms])).sort((a, b) => a - b);
    this.s.upsertHour.run({
      hour,
      tokenId,
      tokenName: rows.find((r) => r.token_name)?.token_name ?? '',
      model,
      requests: rows.length,
      errors: rows.reduce((n, r) => n + r.failed, 0),
      promptTokens: rows.reduce((n, r) => n + (r.prompt_tokens ?? 0), 0),
      completionTokens: rows.reduce((n, r) => n + (r.completion_tokens ?? 0), 0),
      durationP50: percentile(durations, 0.5),
      durationP95: percentile(durations, 0.95),
      ttfbP50: percentile(ttfbs, 0.5),
      ttfbP95: percentile(ttfbs, 0.95),
    });
  }

  /** Audit rows are written at once, not batched: a state change must never go unrecorded. */
  audit(entry: AuditEntry): void {
    this.s.insertAudit.run({ target: null, detail: null, ...entry });
  }

  insertSecurityEvents(events: readonly SecurityEvent[]): void {
    this.db.transaction(() => {
      for (const e of events) {
        this.s.insertSecurity.run({
          at: e.at,
          kind: e.kind,
          ip: e.ip,
          tokenId: e.tokenId ?? null,
          tokenName: e.tokenName ?? null,
          fingerprint: e.fingerprint ?? null,
          route: e.method && e.path ? `${e.method} ${e.path}` : null,
          detail: e.detail,
        });
      }
    })();
  }

  /** Deletes what is older than the retention allows. Returns the rows removed per table. */
  prune(now: number, retention: Retention): { requests: number; aggregates: number; security: number } {
    return this.db.transaction(() => ({
      requests: this.db.prepare('DELETE FROM requests WHERE at < ?').run(now - retention.requestDays * DAY_MS).changes,
      aggregates: this.db.prepare('DELETE FROM usage_hourly WHERE hour < ?').run(now - retention.aggregateDays * DAY_MS).changes,
      security: this.db.prepare('DELETE FROM security_events WHERE at < ?').run(now - retention.securityDays * DAY_MS).changes,
    }))();
  }

  requestsSince(since: number): RequestRecord[] {
    return this.db
      .prepare<[number], Record<string, unknown>>('SELECT * FROM requests WHERE at >= ? ORDER BY at')
      .all(since)
      .map((r) => ({
        at: r.at as number,
        tokenId: r.token_id as string | null,
        tokenName: r.token_name as string | null,
        model: r.model as string | null,
        route: r.route as string,
        status: r.status as number,
        durationMs: r.duration_ms as number,
        ttfbMs: r.ttfb_ms as number | null,
        promptTokens: r.prompt_tokens as number | null,
        completionTokens: r.completion_tokens as number | null,
        streamed: r.streamed === 1,
        aborted: r.aborted === 1,
        error: r.error as string | null,
        ip: r.ip as string,
        bytesIn: r.bytes_in as number,
        bytesOut: r.bytes_out as number,
        overheadMs: r.overhead_ms as number,
      }));
  }

  hourlySince(since: number) {
    return this.db
      .prepare<[number], { hour: number; token_id: string; token_name: string; model: string; requests: number; errors: number; prompt_tokens: number; completion_tokens: number; duration_p50: number | null; duration_p95: number | null; ttfb_p50: number | null; ttfb_p95: number | null }>(
        'SELECT * FROM usage_hourly WHERE hour >= ? ORDER BY hour, token_name, model',
      )
      .all(hourOf(since));
  }

  auditSince(since: number): AuditRow[] {
    return this.db.prepare<[number], AuditRow>('SELECT id, at, actor, action, target, detail FROM audit_log WHERE at >= ? ORDER BY at, id').all(since);
  }

  securitySince(since: number): SecurityRow[] {
    return this.db
      .prepare<[number], { id: number; at: number; kind: SecurityEvent['kind']; ip: string; token_id: string | null; token_name: string | null; fingerprint: string | null; route: string | null; detail: string }>(
        'SELECT * FROM security_events WHERE at >= ? ORDER BY at, id',
      )
      .all(since)
      .map((r) => {
        const [method, ...path] = (r.route ?? '').split(' ');
        return {
          id: r.id,
          at: r.at,
          kind: r.kind,
          ip: r.ip,
          ...(r.token_id ? { tokenId: r.token_id } : {}),
          ...(r.token_name ? { tokenName: r.token_name } : {}),
          ...(r.fingerprint ? { fingerprint: r.fingerprint } : {}),
          ...(r.route ? { method, path: path.join(' ') } : {}),
          detail: r.detail,
        };
      });
  }
}
