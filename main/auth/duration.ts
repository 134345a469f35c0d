import { DEFAULT_TOKEN_EXPIRY } from '../../preload/rules';
import { UsageError } from '../errors';

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** A span such as `90m`, `24h`, `7d` or `2w`, in milliseconds (for `--since`). */
export function parseDuration(input: string): number {
  const m = /^(\d{1,6})([mhdw])$/.exec(input.trim());
  if (!m || Number(m[1]) === 0) throw new UsageError(`Cannot read the span "${input}".`, 'Use a span such as 24h, 7d or 2w.');
  return Number(m[1]) * (UNITS[m[2] as string] as number);
}

/**
 * Parses an expiry given as a duration from now (`90m`, `12h`, `30d`, `2w`) or a calendar date
 * (`2027-01-31`, meaning the end of that day in UTC) into epoch milliseconds.
 */
export function parseExpiry(input: string, now = Date.now()): number {
  const text = input.trim();
  const rel = /^(\d{1,6})([mhdw])$/.exec(text);
  if (rel) {
    const ms = Number(rel[1]) * (UNITS[rel[2] as string] as number);
    if (ms <= 0) throw new UsageError(`An expiry of ${text} is already over.`);
    return now + ms;
  }
  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (date) {
    const end = Date.UTC(Number(date[1]), Number(date[2]) - 1, Number(date[3]), 23, 59, 59, 999);
    const check = new Date(end);
    if (check.getUTCMonth() !== Number(date[2]) - 1 || check.getUTCDate() !== Number(date[3])) {
      throw new UsageError(`${text} is not a calendar date.`);
    }
    if (end <= now) throw new UsageError(`The expiry date ${text} is in the past.`);
    return end;
  }
  throw new UsageError(
    `Cannot read the expiry "${input}".`,
    'Use a duration such as 12h, 30d or 2w, or a date such as 2027-01-31.',
  );
}

/**
 * A new token's expiry from what the caller gave: nothing means the default
 * (DEFAULT_TOKEN_EXPIRY), `null` or `never` means none.
 */
export function tokenExpiry(expiresIn: string | null | undefined, now = Date.now()): number | null {
  if (expiresIn === null || expiresIn?.trim() === 'never') return null;
  return parseExpiry(expiresIn === undefined || expiresIn.trim() === '' ? DEFAULT_TOKEN_EXPIRY : expiresIn, now);
}
