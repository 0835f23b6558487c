import { SHARP_DEFAULT_ENCODING } from '../../../core/config';
import { beatsNoise, combine, markPareto, type CandidateRow } from '../../../bench/phases/encoders';

function row(group: CandidateRow['group'], candidate: string, cpu: [number, number], bytes: number, ssim: number, change: CandidateRow['change'] = {}, scores = 4): CandidateRow {
  return { group, candidate, change, scores, cpuMs: { median: cpu[0], min: cpu[0], max: cpu[1] }, variants: {}, bytes, ssim, pareto: false, chosen: false };
}

describe('encoder study: picking settings', () => {
  it('marks rows that no other row beats on CPU, bytes and SSIM at once', () => {
    const rows = [row('jpeg', 'today', [100, 100], 1000, 0.98), row('jpeg', 'worse', [120, 120], 1100, 0.97), row('jpeg', 'smaller', [300, 300], 900, 0.979)];

    markPareto(rows);

    expect(rows.map((r) => r.pareto)).toEqual([true, false, true]);
  });

  it('does not let identical output with CPU inside the noise band replace today', () => {
    const today = row('decode', 'today', [500, 600], 1000, 0.98);

    expect(beatsNoise(row('decode', 'same output', [480, 520], 1000, 0.98), today)).toBe(false);
    expect(beatsNoise(row('decode', 'clearly faster', [300, 320], 1000, 0.98), today)).toBe(true);
    expect(beatsNoise(row('decode', 'smaller', [700, 720], 900, 0.98), today)).toBe(true);
  });

  it('combines one candidate per group additively and flags the byte and SSIM budgets', () => {
    // 2 images × 4 variants = 8 scores; the WebP group touches 1 variant × 2 images = 2 of them.
    const rows = [
      row('decode', 'kernel today', [100, 100], 10_000, 0.98, {}, 8),
      row('webp', 'effort today', [400, 400], 4_000, 0.98, {}, 2),
      row('webp', 'effort 0', [100, 100], 4_500, 0.97, { webpEffort: 0 }, 2),
      row('webp', 'effort 2', [200, 200], 4_200, 0.976, { webpEffort: 2 }, 2),
    ];

    const combos = combine(rows, SHARP_DEFAULT_ENCODING, 8);
    const byName = (name: string) => combos.find((c) => c.candidates.includes(name));

    expect(byName('effort today')).toMatchObject({ cpuMs: 500, bytes: 10_000, ssim: 0.98, withinBudget: true });
    // +500 bytes is +5 %: over the +3 % budget.
    expect(byName('effort 0')).toMatchObject({ cpuMs: 200, bytes: 10_500, withinBudget: false, settings: { ...SHARP_DEFAULT_ENCODING, webpEffort: 0 } });
    // +2 %, and SSIM −0.004 × 2/8 = −0.001: within both budgets.
    expect(byName('effort 2')?.withinBudget).toBe(true);
    expect(byName('effort 2')?.ssim).toBeCloseTo(0.979, 6);
  });
});
