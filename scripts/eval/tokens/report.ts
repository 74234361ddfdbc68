import { percentile } from '../../bench/stats';
import type { Evaluation } from './evaluate';

/** Tallies of one evaluation run, per line type and overall. */
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

/** A plain table for the console: first column left-aligned, the rest right-aligned. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i]!.length)));
  return cells
    .map((r) =>
      r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '),
    )
    .join('\n');
}

const totalsRow = (name: string, t: Totals) => [
  name,
  t.lines,
  t.original,
  t.optimized,
  pct(reductionPct(t)),
];

export function formatEvaluation(source: string, ev: Evaluation): string {
  const { overall, maxTokens, timesMs, changed } = ev;
  const share = (saved: number) =>
    pct(overall.original === 0 ? 0 : (100 * saved) / overall.original);
  const ms = (p: number) => percentile(timesMs, p).toFixed(2);
  return [
    `[eval:tokens] ${source}: ${ev.requests} requests, mode ${[...ev.modes].join('/')}`,
    '',
    table(
      ['set', 'requests', 'original', 'optimized', 'reduction'],
      [...[...ev.byType].map(([type, t]) => totalsRow(type, t)), totalsRow('total', overall)],
    ),
    '',
    table(
      ['strategy', 'applied', 'tokens saved', 'share of original'],
      [...ev.byStrategy].map(([name, s]) => [name, s.lines, s.saved, share(s.saved)]),
    ),
    '',
    maxTokens.lowered === 0
      ? 'max_tokens: unchanged on every request'
      : `max_tokens: lowered on ${maxTokens.lowered} requests (${maxTokens.unsetBefore} had none); ` +
        `${maxTokens.before} → ${maxTokens.after} summed where set (apart from the prompt reduction)`,
    `optimizer time per request: p50 ${ms(50)} ms, p99 ${ms(99)} ms, max ${ms(100)} ms`,
    `requests changed: ${changed.length}/${ev.requests}` +
      (changed.length > 0 && changed.length <= 10 ? ` (${changed.join(', ')})` : ''),
    ev.notIdempotent.length === 0
      ? `idempotent: a second pass changed none of the ${ev.requests} requests`
      : `NOT idempotent on ${ev.notIdempotent.length}: ${ev.notIdempotent.slice(0, 10).join('; ')}`,
  ].join('\n');
}
