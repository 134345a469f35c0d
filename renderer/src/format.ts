const units = ['B', 'KB', 'MB', 'GB', 'TB'];

export function bytes(n: number): string {
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v >= 10 || i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

export function count(n: number): string {
  return new Intl.NumberFormat().format(n);
}

/** "3 minutes ago", "in 5 days", or a date when it is far. */
export function ago(at: number | null | undefined, now = Date.now()): string {
  if (!at) return 'never';
  const diff = at - now;
  const abs = Math.abs(diff);
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  if (abs < 60_000) return diff < 0 ? 'just now' : 'in a moment';
  if (abs < 3_600_000) return rtf.format(Math.round(diff / 60_000), 'minute');
  if (abs < 86_400_000) return rtf.format(Math.round(diff / 3_600_000), 'hour');
  if (abs < 30 * 86_400_000) return rtf.format(Math.round(diff / 86_400_000), 'day');
  return new Date(at).toLocaleDateString();
}

const SPAN_UNITS: Record<string, string> = { m: 'minute', h: 'hour', d: 'day', w: 'week' };

/** A span as the CLI writes it ("90d") in words ("90 days"). */
export function spanText(span: string): string {
  const m = /^(\d+)([mhdw])$/.exec(span);
  if (!m) return span;
  return `${m[1]} ${SPAN_UNITS[m[2]!]}${m[1] === '1' ? '' : 's'}`;
}

export function dateTime(at: number): string {
  return new Date(at).toLocaleString();
}

export function ms(v: number | null): string {
  if (v === null) return '–';
  return v >= 1000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`;
}

export function download(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
