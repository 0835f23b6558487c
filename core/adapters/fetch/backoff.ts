/**
 * Delay before retry number `retryNumber` (1 for the first retry): exponential from `baseMs`,
 * capped at `maxMs`, with "equal jitter" — half fixed, half random — so a burst of consumers
 * hitting the same failing host spreads out, yet every retry still waits at least half its step.
 *
 * @example
 * backoffDelayMs(1, 200, 2_000); // 100–200
 * backoffDelayMs(3, 200, 2_000); // 400–800
 */
export function backoffDelayMs(retryNumber: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const step = Math.min(maxMs, baseMs * 2 ** Math.max(0, retryNumber - 1));
  return Math.round(step / 2 + random() * (step / 2));
}

/** Resolves after `ms` milliseconds; the default `sleep` of the fetcher. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
