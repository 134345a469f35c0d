import type { Histogram } from '../metering/histogram';
import type { AuditEntry, RequestRecord, Retention } from '../metering/records';
import type { SecurityEvent } from '../metering/security-events';
import type { Db } from './database';

export interface AuditRow extends AuditEntry {
  id: number;
}

export interface SecurityRow extends SecurityEvent {
  id: number;
}

/** One page of a log: at most `limit` rows, older than the row id `before`. */
export interface Page {
  limit: number;
  before?: number | undefined;
}

const DAY_MS = 86_400_000;

/** An hour's totals of one token and model, with its latency histograms. */
export interface StoredHour {
  requests: number;
  errors: number;
  promptTokens: number;
  completionTokens: number;
  duration: Histogram;
  ttfb: Histogram;
}

const HOUR_MS = 3_600_000;
/** The start of the hour `at` falls in: how hourly aggregates are keyed. */
export const hourOf = (at: number) => Math.floor(at / HOUR_MS) * HOUR_MS;

/** One hour × token × model of usage, with its latency histograms. */
export interface HourlyRow {
  hour: number;
  token_id: string;
  token_name: string;
  model: string;
  requests: number;
  errors: number;
  prompt_tokens: number;
  completion_tokens: number;
  durationHist: Histogram;
  ttfbHist: Histogram;
}

/** Request rows, hourly aggregates, the audit log and security events. */
export class MeteringRepository {
  private readonly s;

  constructor(private readonly db: Db) {
    this.s = {
      insertRequest: db.prepare(
        `INSERT INTO requests (at, token_id, token_name, model, route, status, duration_ms, ttfb_ms, prompt_tokens,
           completion_tokens, streamed, aborted, error, ip, bytes_in, bytes_out, overhead_ms, upstream)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      hourRow: db.prepare<[number, string, string], { requests: number; errors: number; prompt_tokens: number; completion_tokens: number; duration_hist: string; ttfb_hist: string }>(
        'SELECT requests, errors, prompt_tokens, completion_tokens, duration_hist, ttfb_hist FROM usage_hourly WHERE hour = ? AND token_id = ? AND model = ?',
      ),
      upsertHour: db.prepare(
        `INSERT INTO usage_hourly (hour, token_id, token_name, model, requests, errors, prompt_tokens, completion_tokens, duration_hist, ttfb_hist)
         VALUES (@hour, @tokenId, @tokenName, @model, @requests, @errors, @promptTokens, @completionTokens, @durationHist, @ttfbHist)
         ON CONFLICT (hour, token_id, model) DO UPDATE SET token_name = excluded.token_name, requests = excluded.requests,
           errors = excluded.errors, prompt_tokens = excluded.prompt_tokens, completion_tokens = excluded.completion_tokens,
           duration_hist = excluded.duration_hist, ttfb_hist = excluded.ttfb_hist`,
      ),
      insertAudit: db.prepare('INSERT INTO audit_log (at, actor, action, target, detail) VALUES (@at, @actor, @action, @target, @detail)'),
      insertSecurity: db.prepare(
        `INSERT INTO security_events (at, kind, ip, token_id, token_name, fingerprint, route, detail, count)
         VALUES (@at, @kind, @ip, @tokenId, @tokenName, @fingerprint, @route, @detail, @count)`,
      ),
    };
  }

  /** Runs `work` in one transaction (a batch of rows and the aggregates they change). */
  transaction(work: () => void): void {
    this.db.transaction(work)();
  }

  insertRequest(r: RequestRecord): void {
    // Positional parameters: binding 17 named ones from an object costs twice as much per row.
    this.s.insertRequest.run(
      r.at, r.tokenId, r.tokenName, r.model, r.route, r.status, r.durationMs, r.ttfbMs, r.promptTokens,
      r.completionTokens, r.streamed ? 1 : 0, r.aborted ? 1 : 0, r.error, r.ip, r.bytesIn, r.bytesOut, r.overheadMs, r.upstream ?? null,
    );
  }

  /** One hour's aggregate of a token and model, when there is one. */
  hour(hour: number, tokenId: string, model: string): StoredHour | undefined {
    const row = this.s.hourRow.get(hour, tokenId, model);
    return row && { requests: row.requests, errors: row.errors, promptTokens: row.prompt_tokens, completionTokens: row.completion_tokens, duration: JSON.parse(row.duration_hist) as Histogram, ttfb: JSON.parse(row.ttfb_hist) as Histogram };
  }

  /** Stores an hour's aggregate, replacing what was there. */
  putHour(key: { hour: number; tokenId: string; tokenName: string; model: string }, totals: StoredHour): void {
    this.s.upsertHour.run({ ...key, requests: totals.requests, errors: totals.errors, promptTokens: totals.promptTokens, completionTokens: totals.completionTokens, durationHist: JSON.stringify(totals.duration), ttfbHist: JSON.stringify(totals.ttfb) });
  }

  /**
   * An audit row written at once: state changes made through the store write theirs in the same
   * transaction. Rows about traffic (a pull through the API) go through the metering queue instead.
   */
  audit(entry: AuditEntry): void {
    this.s.insertAudit.run({ target: null, detail: null, ...entry });
  }

  insertAudits(entries: readonly AuditEntry[]): void {
    this.db.transaction(() => {
      for (const entry of entries) this.audit(entry);
    })();
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
          count: e.count ?? 1,
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
        upstream: r.upstream as string | null,
      }));
  }

  hourlySince(since: number): HourlyRow[] {
    return this.db
      .prepare<[number], Omit<HourlyRow, 'durationHist' | 'ttfbHist'> & { duration_hist: string; ttfb_hist: string }>(
        'SELECT * FROM usage_hourly WHERE hour >= ? ORDER BY hour, token_name, model',
      )
      .all(hourOf(since))
      .map(({ duration_hist, ttfb_hist, ...row }) => ({ ...row, durationHist: JSON.parse(duration_hist) as Histogram, ttfbHist: JSON.parse(ttfb_hist) as Histogram }));
  }

  /** Audit rows since `since`, oldest first; with a page, the newest `limit` before the row id `before`. */
  auditSince(since: number, page?: Page): AuditRow[] {
    if (!page) return this.db.prepare<[number], AuditRow>('SELECT id, at, actor, action, target, detail FROM audit_log WHERE at >= ? ORDER BY at, id').all(since);
    return this.db
      .prepare<[number, number, number], AuditRow>('SELECT id, at, actor, action, target, detail FROM audit_log WHERE at >= ? AND id < ? ORDER BY id DESC LIMIT ?')
      .all(since, page.before ?? Number.MAX_SAFE_INTEGER, page.limit)
      .reverse();
  }

  /** Security events since `since`, oldest first; with a page, the newest `limit` before the row id `before`. */
  securitySince(since: number, page?: Page): SecurityRow[] {
    type Row = { id: number; at: number; kind: SecurityEvent['kind']; ip: string; token_id: string | null; token_name: string | null; fingerprint: string | null; route: string | null; detail: string; count: number };
    const rows = page
      ? this.db.prepare<[number, number, number], Row>('SELECT * FROM security_events WHERE at >= ? AND id < ? ORDER BY id DESC LIMIT ?').all(since, page.before ?? Number.MAX_SAFE_INTEGER, page.limit).reverse()
      : this.db.prepare<[number], Row>('SELECT * FROM security_events WHERE at >= ? ORDER BY at, id').all(since);
    return rows
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
          count: r.count,
        };
      });
  }
}
