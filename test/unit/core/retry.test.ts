import { InvalidParameterError } from '../../../core/errors';
import { JITTER_MODES, abortableSleep, backoffDelayMs, type BackoffOptions } from '../../../core/retry';

/** mulberry32: a small seeded PRNG, so "random" draws are the same on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const lowest = () => 0;
const highest = () => 0.999999999;

describe('backoffDelayMs (core/retry.ts)', () => {
  it('equal jitter, the fetcher defaults (200 ms → 2 s): doubles per retry within [step/2, step], capped', () => {
    const fetcher = { initialMs: 200, maxMs: 2_000 };
    expect([1, 2, 3, 10].map((n) => backoffDelayMs(n, { ...fetcher, random: lowest }))).toEqual([100, 200, 400, 1_000]);
    expect([1, 2, 3, 10].map((n) => backoffDelayMs(n, { ...fetcher, random: highest }))).toEqual([200, 400, 800, 2_000]);
  });

  it('equal jitter, the stream runner defaults: redelivery (250 ms → 10 s) and restart (1 s → 30 s)', () => {
    const redelivery = { initialMs: 250, maxMs: 10_000 };
    expect([1, 2, 3, 6, 9].map((n) => backoffDelayMs(n, { ...redelivery, random: lowest }))).toEqual([125, 250, 500, 4_000, 5_000]);
    expect([1, 2, 3, 6, 9].map((n) => backoffDelayMs(n, { ...redelivery, random: highest }))).toEqual([250, 500, 1_000, 8_000, 10_000]);
    const restart = { initialMs: 1_000, maxMs: 30_000 };
    expect([1, 2, 3, 6, 10].map((n) => backoffDelayMs(n, { ...restart, random: lowest }))).toEqual([500, 1_000, 2_000, 15_000, 15_000]);
    expect([1, 2, 3, 6, 10].map((n) => backoffDelayMs(n, { ...restart, random: highest }))).toEqual([1_000, 2_000, 4_000, 30_000, 30_000]);
  });

  it('is the default when no jitter is named', () => {
    const random = seeded(7);
    const again = seeded(7);
    const draws = Array.from({ length: 50 }, (_, i) => backoffDelayMs((i % 8) + 1, { initialMs: 100, maxMs: 5_000, random }));
    expect(draws).toHaveLength(50);
    expect(draws).toEqual(Array.from({ length: 50 }, (_, i) => backoffDelayMs((i % 8) + 1, { initialMs: 100, maxMs: 5_000, jitter: 'equal', random: again })));
  });

  it('none: the bare capped step', () => {
    expect([1, 2, 3, 4, 5, 50, 5_000].map((n) => backoffDelayMs(n, { initialMs: 100, maxMs: 1_000, jitter: 'none' }))).toEqual([100, 200, 400, 800, 1_000, 1_000, 1_000]);
  });

  it('full jitter: every draw of a seeded random lies in [0, step], and the draws really vary', () => {
    const options: BackoffOptions = { initialMs: 100, maxMs: 3_000, jitter: 'full', random: seeded(42) };
    for (const attempt of [1, 2, 3, 4, 5, 6, 12]) {
      const step = Math.min(3_000, 100 * 2 ** (attempt - 1));
      const draws = Array.from({ length: 200 }, () => backoffDelayMs(attempt, options));
      expect(draws).toHaveLength(200);
      expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...draws)).toBeLessThanOrEqual(step);
      // 200 uniform draws: the spread covers most of the range (not a constant).
      expect(Math.max(...draws) - Math.min(...draws)).toBeGreaterThan(step * 0.8);
    }
    expect(backoffDelayMs(3, { ...options, random: lowest })).toBe(0);
    expect(backoffDelayMs(3, { ...options, random: highest })).toBe(400);
  });

  it('decorrelated jitter: each delay lies in [initial, min(cap, 3 × previous)], chained from the last one', () => {
    const options: BackoffOptions = { initialMs: 100, maxMs: 5_000, jitter: 'decorrelated', random: seeded(3) };
    let previous: number | undefined;
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 100; attempt++) {
      const delay = backoffDelayMs(attempt, options, previous);
      expect(delay).toBeGreaterThanOrEqual(100);
      expect(delay).toBeLessThanOrEqual(Math.min(5_000, 3 * (previous ?? 100)));
      delays.push(delay);
      previous = delay;
    }
    expect(delays).toHaveLength(100);
    expect(Math.max(...delays)).toBeGreaterThan(2_500); // it grows towards the cap
    expect(backoffDelayMs(1, { ...options, random: lowest })).toBe(100);
    expect(backoffDelayMs(1, { ...options, random: highest })).toBe(300);
    expect(backoffDelayMs(9, { ...options, random: highest }, 4_000)).toBe(5_000);
  });

  it.each([
    ['attempt 0', () => backoffDelayMs(0, { initialMs: 1, maxMs: 2 }), /positive integer for attempt but received 0/],
    ['a fractional attempt', () => backoffDelayMs(1.5, { initialMs: 1, maxMs: 2 }), /for attempt but received 1\.5/],
    ['a negative initialMs', () => backoffDelayMs(1, { initialMs: -1, maxMs: 2 }), /for initialMs but received -1/],
    ['maxMs below initialMs', () => backoffDelayMs(1, { initialMs: 10, maxMs: 5 }), /finite number ≥ initialMs \(10\) for maxMs but received 5/],
    ['an unknown jitter', () => backoffDelayMs(1, { initialMs: 1, maxMs: 2, jitter: 'half' as never }), /"none", "equal", "full", "decorrelated" for jitter but received "half"/],
  ])('refuses %s with the uniform message', (_label, call, message) => {
    expect(call).toThrow(InvalidParameterError);
    expect(call).toThrow(message);
  });

  it('knows four jitter modes', () => {
    expect(JITTER_MODES).toEqual(['none', 'equal', 'full', 'decorrelated']);
  });
});

describe('abortableSleep (core/retry.ts)', () => {
  it('abortableSleep resolves at once for an already aborted signal', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(abortableSleep(60_000, controller.signal)).resolves.toBeUndefined();
  });
});
