import { UsageError } from '../errors';

/** A flag's whole number above 0 (`--rpm 60`), or undefined when the flag was not given. */
export function intFlag(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`--${name} takes a whole number above 0, not "${value}".`);
  return Number(value);
}

/** A flag's number (`--weight 2.5`); the contract's rules say which ones are accepted. */
export function numberFlag(value: string, name: string): number {
  if (!/^\d+(\.\d+)?$/.test(value)) throw new UsageError(`--${name} takes a number, not "${value}".`);
  return Number(value);
}

/** A comma-separated flag (`--models llama*,qwen*`) as its entries. */
export function listFlag(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value.split(',').map((s) => s.trim()).filter(Boolean);
}
