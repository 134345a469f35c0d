import { toCsv } from '../../preload/csv';
import { parseDuration } from '../auth/duration';
import { UsageError } from '../errors';
import type { RequestRecord } from '../metering/records';
import { percentile } from '../metering/histogram';
import type { Command } from 'commander';
import { withStore, type Output } from './context';
import { table } from './format';
import { action, command, dataDirOption, type Ran } from './program';

type Row = Record<string, string | number | null>;

function print(rows: Row[], io: Output, format: 'table' | 'json' | 'csv', empty: string): void {
  if (format === 'json') return io.out(JSON.stringify(rows));
  const header = rows[0] ? Object.keys(rows[0]) : [];
  if (format === 'csv') return io.out(toCsv(header, rows.map((r) => header.map((h) => r[h] ?? null)), '\n'));
  io.out(rows.length ? table(header, rows.map((r) => header.map((h) => (r[h] === null || r[h] === undefined ? '-' : String(r[h]))))) : empty);
}

function formatOf(values: { json?: boolean; csv?: boolean }): 'table' | 'json' | 'csv' {
  if (values.json && values.csv) throw new UsageError('Choose one of --json and --csv.');
  return values.json ? 'json' : values.csv ? 'csv' : 'table';
}

const round = (n: number | null) => (n === null ? null : Math.round(n * 10) / 10);

/** Groups request rows and sums them, with exact latency percentiles per group. */
export function summarise(records: RequestRecord[], by: 'token' | 'model' | 'hour' | 'upstream'): Row[] {
  const groups = new Map<string, RequestRecord[]>();
  for (const r of records) {
    const key = by === 'token' ? (r.tokenName ?? '(this computer)') : by === 'model' ? (r.model ?? '(none)') : by === 'upstream' ? (r.upstream ?? '(none)') : new Date(Math.floor(r.at / 3_600_000) * 3_600_000).toISOString().slice(0, 13) + ':00Z';
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, rows]) => {
      const durations = rows.map((r) => r.durationMs).sort((a, b) => a - b);
      const ttfbs = rows.flatMap((r) => (r.ttfbMs === null ? [] : [r.ttfbMs])).sort((a, b) => a - b);
      return {
        [by]: key,
        requests: rows.length,
        errors: rows.filter((r) => r.status >= 400 || r.error !== null).length,
        aborted: rows.filter((r) => r.aborted).length,
        tokensIn: rows.reduce((n, r) => n + (r.promptTokens ?? 0), 0),
        tokensOut: rows.reduce((n, r) => n + (r.completionTokens ?? 0), 0),
        p50ms: round(percentile(durations, 0.5)),
        p95ms: round(percentile(durations, 0.95)),
        ttfbP50ms: round(percentile(ttfbs, 0.5)),
      };
    });
}

type ReportFlags = { dataDir?: string; since?: string; json?: boolean; csv?: boolean };

function usage(values: ReportFlags & { by?: string }, io: Output): number {
  const by = (values.by ?? 'token') as 'token' | 'model' | 'hour' | 'upstream';
  if (!['token', 'model', 'hour', 'upstream'].includes(by)) throw new UsageError(`--by takes token, model, hour or upstream, not "${values.by}".`);
  const since = Date.now() - parseDuration(values.since ?? '7d');
  const format = formatOf(values);
  const records = withStore(values.dataDir, (store) => store.metering.requestsSince(since));
  print(summarise(records, by), io, format, 'No requests in that period.');
  return 0;
}

function audit(values: ReportFlags & { type?: string }, io: Output): number {
  const type = values.type ?? 'admin';
  if (type !== 'admin' && type !== 'security') throw new UsageError(`--type takes admin or security, not "${values.type}".`);
  const since = Date.now() - parseDuration(values.since ?? '7d');
  const format = formatOf(values);
  const iso = (at: number) => new Date(at).toISOString();
  const rows: Row[] = withStore(values.dataDir, (store) =>
    type === 'admin'
      ? store.metering.auditSince(since).map((a) => ({ time: iso(a.at), actor: a.actor, action: a.action, target: a.target ?? null, detail: a.detail ?? null }))
      : store.metering.securitySince(since).map((e) => ({
          time: iso(e.at),
          event: e.kind,
          ip: e.ip,
          token: e.tokenName ?? null,
          fingerprint: e.fingerprint ?? null,
          route: e.method && e.path ? `${e.method} ${e.path}` : null,
          detail: e.detail,
        })),
  );
  print(rows, io, format, type === 'admin' ? 'No changes in that period.' : 'No security events in that period.');
  return 0;
}

const reportOptions = (cmd: Command) =>
  cmd.addOption(dataDirOption()).option('--since <duration>', 'how far back, such as 7d (the default) or 12h').option('--json', 'as JSON').option('--csv', 'as CSV, for a spreadsheet');

/** `gatehouse usage`: who used what, summed by token, model or hour. */
export function usageGroup(io: Output, ran: Ran): Command {
  return reportOptions(command('usage', 'requests and tokens in and out, by token, model or hour'))
    .option('--by <what>', 'token (the default), model, hour, or upstream (which Ollama host served it)')
    .action(action(ran, (values: ReportFlags & { by?: string }) => usage(values, io)));
}

/** `gatehouse audit`: what changed (admin) or what was refused (security). */
export function auditGroup(io: Output, ran: Ran): Command {
  return reportOptions(command('audit', 'what changed and who changed it; security events with --type security'))
    .option('--type <type>', 'admin (the default) or security')
    .action(action(ran, (values: ReportFlags & { type?: string }) => audit(values, io)));
}
