/**
 * Rows to CSV, quoting what needs it. Shared by the window's Activity export and the CLI's
 * `--csv`, so both defuse formulas the same way. Pure: no Electron, no Node.
 */
export function toCsv(header: string[], rows: Array<Array<string | number | null>>, eol = '\r\n'): string {
  const cell = (v: string | number | null) => {
    if (v === null) return '';
    if (typeof v === 'number') return String(v);
    // A text cell starting like a formula is defused, so a hostile token name cannot run in a spreadsheet.
    const s = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
    return /[",\n\r']/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [header, ...rows].map((r) => r.map(cell).join(',')).join(eol);
}
