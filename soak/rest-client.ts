import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_NOTIFICATION_LEASE_MS } from '../core/pipeline';

/**
 * How long a soak REST client keeps retrying one request, as the API's contract asks of a client
 * (docs/rest-api.md: a 503 or 429 carries `Retry-After`, and a replay with the same
 * `Idempotency-Key` is safe): longer than a notification lease a killed adapter can leave behind
 * (a replay of an image that is final but not yet announced answers 503 until that lease ends),
 * plus an adapter restart. The budget of 15 × 2 s the soak had before was about one lease: in the
 * 10,000-image run of 2026-11-30 two clients gave up on images that then ended PROCESSED and were
 * announced by the reconciler, which the checker rightly counted as records no client was
 * answered for.
 */
export const REST_RETRY_BUDGET_MS = 2 * DEFAULT_NOTIFICATION_LEASE_MS + 60_000;

/** A refusal the client may retry: the status, and the `Retry-After` seconds when the answer gave them. */
export class RetriableAnswer extends Error {
  constructor(
    readonly status: number,
    readonly retryAfterSeconds: number | undefined,
  ) {
    super(`REST answered ${status}`);
  }
}

/** Options of {@link retryRest}. */
export interface RetryRestOptions {
  /** @default REST_RETRY_BUDGET_MS */
  budgetMs?: number;
  /** Pause after a failure that names no `Retry-After` (a reset connection, a 5xx without it). @default 2000 */
  pauseMs?: number;
}

/**
 * Runs `attempt` until it returns or the budget is spent, pausing `Retry-After` seconds after a
 * {@link RetriableAnswer} that has them and `pauseMs` after any other failure (a connection reset
 * by a killed adapter). Every attempt must be a safe replay (the same `Idempotency-Key`).
 * @throws the last failure when the budget is spent.
 */
export async function retryRest<T>(attempt: () => Promise<T>, options: RetryRestOptions = {}): Promise<T> {
  const deadline = Date.now() + (options.budgetMs ?? REST_RETRY_BUDGET_MS);
  const pauseMs = options.pauseMs ?? 2000;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      const wait = error instanceof RetriableAnswer && error.retryAfterSeconds !== undefined ? error.retryAfterSeconds * 1000 : pauseMs;
      if (Date.now() + wait > deadline) throw error;
      await sleep(wait);
    }
  }
}

/**
 * Throws a {@link RetriableAnswer} for a response that is not 201/202, carrying its `Retry-After`.
 * @throws RetriableAnswer
 */
export function expectAccepted(response: Response): void {
  if (response.status === 201 || response.status === 202) return;
  const header = response.headers.get('retry-after');
  const seconds = header !== null && /^\d+$/.test(header) ? Number(header) : undefined;
  throw new RetriableAnswer(response.status, seconds);
}
