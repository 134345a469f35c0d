import type { TokenRecord } from '../store/tokens-repo';

/** Aligns rows under a header, for terminal output a person reads. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export function when(ms: number | null, now = Date.now()): string {
  if (ms === null) return '-';
  const diff = ms - now;
  const abs = Math.abs(diff);
  const unit = abs < 3_600_000 ? [60_000, 'min'] : abs < 172_800_000 ? [3_600_000, 'h'] : [86_400_000, 'd'];
  const n = Math.round(abs / (unit[0] as number));
  if (n === 0) return 'just now';
  return diff < 0 ? `${n} ${unit[1]} ago` : `in ${n} ${unit[1]}`;
}

export function tokenStatus(t: TokenRecord, now = Date.now()): string {
  if (t.revokedAt !== null) return 'revoked';
  if (t.expiresAt !== null && t.expiresAt <= now) return 'expired';
  return 'active';
}

/** 1500000 → 1.5M, 20000 → 20k: budgets at a glance. */
export function compact(n: number): string {
  if (n >= 1e6) return `${+(n / 1e6).toFixed(1)}M`;
  if (n >= 1e3) return `${+(n / 1e3).toFixed(1)}k`;
  return String(n);
}

export function tokenRows(tokens: TokenRecord[], now = Date.now(), spent: (id: string) => { day: number; month: number } = () => ({ day: 0, month: 0 })): string {
  return table(
    ['ID', 'NAME', 'SCOPE', 'MODELS', 'LIMITS', 'EXPIRES', 'LAST USED', 'STATUS', 'OLLAMA KEYS'],
    tokens.map((t) => [
      t.id,
      `${t.name} (…${t.hint})`,
      [t.scope, t.metrics && t.scope !== 'admin' ? 'metrics' : '', t.cloud ? 'cloud' : '', t.web ? 'web' : ''].filter(Boolean).join('+'),
      [t.allowModels.length ? t.allowModels.join(',') : 'all', ...(t.denyModels.length ? [`not ${t.denyModels.join(',')}`] : [])].join(' '),
      [
        t.rpm ? `${t.rpm}/min` : '',
        t.concurrency ? `${t.concurrency} at once` : '',
        t.weight !== 1 ? `weight ${t.weight}` : '',
        t.priority === 'batch' ? 'batch' : '',
        t.dailyTokens ? `${compact(spent(t.id).day)} of ${compact(t.dailyTokens)} tokens today` : '',
        t.monthlyTokens ? `${compact(spent(t.id).month)} of ${compact(t.monthlyTokens)} tokens this month` : '',
      ].filter(Boolean).join(', ') || '-',
      t.expiresAt === null ? 'never' : when(t.expiresAt, now),
      when(t.lastUsedAt, now),
      tokenStatus(t, now),
      t.ollamaKeys.map((k) => k.fingerprint).join(', ') || '-',
    ]),
  );
}

/** The JSON shape `token list --json` prints: records with ISO times, never secrets or hashes. */
export function tokenJson(t: TokenRecord, now = Date.now()) {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    id: t.id,
    name: t.name,
    hint: t.hint,
    scope: t.scope,
    allowModels: t.allowModels,
    denyModels: t.denyModels,
    rpm: t.rpm,
    concurrency: t.concurrency,
    metrics: t.metrics || t.scope === 'admin',
    cloud: t.cloud,
    web: t.web,
    weight: t.weight,
    priority: t.priority,
    queue: t.queue,
    dailyTokens: t.dailyTokens,
    monthlyTokens: t.monthlyTokens,
    ollamaKeys: t.ollamaKeys.map((k) => ({ fingerprint: k.fingerprint, comment: k.comment, addedAt: iso(k.addedAt) })),
    createdAt: iso(t.createdAt),
    expiresAt: iso(t.expiresAt),
    lastUsedAt: iso(t.lastUsedAt),
    revokedAt: iso(t.revokedAt),
    status: tokenStatus(t, now),
  };
}
