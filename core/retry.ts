/**
 * The project's one backoff formula, used by the URL fetcher, the local stream runner's
 * redeliveries and its consumer restarts. (Each caller keeps its own loop: the fetcher's has a
 * `Retry-After` floor and a total deadline, the runner's counts restarts across crashes.)
 *
 * Sources: Marc Brooker, "Exponential Backoff And Jitter", AWS Architecture Blog (2015),
 * https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/ — the "full",
 * "equal" and "decorrelated" jitter formulas below are that article's, capped at `maxMs`; and
 * kafkajs's `src/retry/index.js` (delays capped as its `maxRetryTime` caps them).
 */
import { invalidParameterError } from './errors';

/**
 * How the random part of a delay is drawn (AWS "Exponential Backoff And Jitter"), with
 * `step = min(maxMs, initialMs × 2^(attempt − 1))`:
 * - `none`: `step`.
 * - `equal`: `step / 2 + random(0, step / 2)`: spreads callers out, yet always waits half a step.
 * - `full`: `random(0, step)`: the least total work under contention.
 * - `decorrelated`: `min(maxMs, random(initialMs, previous × 3))`: grows from the previous delay.
 */
export const JITTER_MODES = ['none', 'equal', 'full', 'decorrelated'] as const;
export type Jitter = (typeof JITTER_MODES)[number];

/** The shape of a backoff. */
export interface BackoffOptions {
  /** First retry's step in milliseconds, doubled per retry. */
  initialMs: number;
  /** Cap on any one delay, in milliseconds. */
  maxMs: number;
  /** @default 'equal' (what the fetcher and the stream runner have always used) */
  jitter?: Jitter;
  /** A number in [0, 1); tests inject a fixed or seeded one. @default Math.random */
  random?: () => number;
}

/**
 * Delay before retry number `attempt` (1 for the first retry).
 *
 * @param previousMs the delay before the previous retry; only `decorrelated` uses it
 *   (default `initialMs`, so its first delay is `random(initialMs, 3 × initialMs)`).
 * @throws InvalidParameterError when `attempt` is not a positive integer or the bounds are not
 *   `0 ≤ initialMs ≤ maxMs` (finite).
 * @example
 * backoffDelayMs(1, { initialMs: 200, maxMs: 2_000 }); // 100–200 (equal jitter)
 * backoffDelayMs(3, { initialMs: 200, maxMs: 2_000, jitter: 'full' }); // 0–800
 */
export function backoffDelayMs(attempt: number, options: BackoffOptions, previousMs?: number): number {
  const { initialMs, maxMs, jitter = 'equal', random = Math.random } = options;
  if (!Number.isInteger(attempt) || attempt < 1) throw invalidParameterError('attempt', 'positive integer', attempt);
  if (!Number.isFinite(initialMs) || initialMs < 0) throw invalidParameterError('initialMs', 'finite number ≥ 0', initialMs);
  if (!Number.isFinite(maxMs) || maxMs < initialMs) throw invalidParameterError('maxMs', `finite number ≥ initialMs (${initialMs})`, maxMs);
  if (!(JITTER_MODES as readonly string[]).includes(jitter)) throw invalidParameterError('jitter', JITTER_MODES.map((j) => `"${j}"`).join(', '), jitter);
  // 2^(attempt−1) overflows to Infinity for huge attempts; min() keeps the cap.
  const step = Math.min(maxMs, initialMs * 2 ** (attempt - 1));
  switch (jitter) {
    case 'none':
      return Math.round(step);
    case 'equal':
      return Math.round(step / 2 + random() * (step / 2));
    case 'full':
      return Math.round(random() * step);
    case 'decorrelated': {
      const previous = Math.max(initialMs, previousMs ?? initialMs);
      return Math.round(Math.min(maxMs, initialMs + random() * (previous * 3 - initialMs)));
    }
  }
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects). */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
