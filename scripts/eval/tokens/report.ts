/** Tallies of one evaluation run, per line type and per strategy. */
export interface Totals {
  lines: number;
  original: number;
  optimized: number;
}

export const emptyTotals = (): Totals => ({ lines: 0, original: 0, optimized: 0 });

export function add(totals: Totals, original: number, optimized: number): void {
  totals.lines++;
  totals.original += original;
  totals.optimized += optimized;
}

export const reductionPct = (t: Pick<Totals, 'original' | 'optimized'>) =>
  t.original === 0 ? 0 : (100 * (t.original - t.optimized)) / t.original;

export const pct = (value: number) => `${value.toFixed(1)}%`;

/** A plain left-aligned table for the console. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  return cells
    .map((r) =>
      r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '),
    )
    .join('\n');
}
