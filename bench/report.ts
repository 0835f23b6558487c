/**
 * The benchmark's output: the headline figures with their targets (the table), and the
 * `bench/results.json` document holding them, the machine, and every detail behind them.
 */

/** One headline figure and the limit it is held against. */
export interface Figure {
  key: string;
  label: string;
  value: number;
  unit: string;
  /** `min`: the value must be at least `limit`; `max`: at most. Absent: reported only. */
  kind?: 'min' | 'max';
  limit?: number;
  /** Why the figure is missing or what qualifies it, e.g. "phase timed out". */
  note?: string;
}

/** Whether a figure meets its target: `pass`, `MISS`, `n/a` (no target) or `missed` (no value). */
export function verdict(figure: Figure): 'pass' | 'MISS' | 'n/a' | 'missed' {
  if (!Number.isFinite(figure.value)) return 'missed';
  if (figure.kind === undefined || figure.limit === undefined) return 'n/a';
  return figure.kind === 'min' ? (figure.value >= figure.limit ? 'pass' : 'MISS') : figure.value <= figure.limit ? 'pass' : 'MISS';
}

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return '—';
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  // Small differences (an SSIM delta of −0.0012) would print as "-0.00".
  if (value !== 0 && Math.abs(value) < 0.1) return value.toFixed(4);
  return value.toFixed(2);
}

/**
 * The table: figure, value, target, value ÷ target, verdict. A ratio ≥ 1 passes a `≥` target
 * and ≤ 1 passes a `≤` target.
 */
export function renderTable(figures: readonly Figure[]): string {
  const rows = figures.map((f) => [
    f.label,
    `${formatNumber(f.value)} ${f.unit}`.trim(),
    f.limit === undefined ? '' : `${f.kind === 'min' ? '≥' : '≤'} ${formatNumber(f.limit)}`,
    f.limit === undefined || !Number.isFinite(f.value) ? '' : `${(f.value / f.limit).toFixed(2)}×`,
    verdict(f),
    f.note ?? '',
  ]);
  const header = ['figure', 'value', 'target', 'vs target', 'verdict', 'note'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i] as number)).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** `NaN` and infinities become `null` in JSON; numbers are rounded to what is meaningful. */
export function jsonNumber(value: number, digits = 2): number | null {
  if (!Number.isFinite(value)) return null;
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
