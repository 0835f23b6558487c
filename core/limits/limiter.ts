/**
 * The per-customer admission policy, as API Gateway usage plans apply it: a token bucket
 * (refill `ratePerSecond`, capacity `burst`) and a request count per UTC day (`dailyQuota`, the
 * usage plan's `DAY` quota period, which resets at 00:00 UTC). Pure logic over an injected
 * clock; the Router calls it through the {@link RequestLimiter} port right after authentication.
 *
 * Why our own ~100 lines instead of a kept library: `limiter` (TokenBucket) reads the system
 * clock and keeps no per-key state, eviction or day quota; `rate-limiter-flexible`'s memory
 * limiter counts fixed windows that start at a key's first request (not a refilling bucket, and
 * not a quota that resets at UTC midnight), and neither takes a clock a test can drive. This is
 * the product's own admission rule, matching the usage plans of cdktf/constructs/usage-plans.ts.
 */
import { TooManyRequestsError } from '../errors';
import { limitsFor, type CustomerLimits, type LimitsConfig } from './settings';

/** Where the limiter reads the time: epoch milliseconds. */
export interface Clock {
  now(): number;
}

/** The system clock. */
export const SYSTEM_CLOCK: Clock = { now: () => Date.now() };

/**
 * The port the Router calls after authentication: admits a request of `customerId` or refuses it.
 * @throws TooManyRequestsError (429) when the customer is over its rate or its daily quota.
 */
export interface RequestLimiter {
  admit(customerId: string): void | Promise<void>;
}

/** What the limiter decided for one request. */
export type LimitDecision = { admitted: true } | { admitted: false; limit: 'rate' | 'quota'; retryAfterSeconds: number };

/** Options of {@link InMemoryRequestLimiter}. */
export interface InMemoryRequestLimiterOptions {
  /** @default SYSTEM_CLOCK */
  clock?: Clock;
  /**
   * How often, at most, the buckets are swept for idle customers (see the class comment).
   * @default 60_000
   */
  sweepIntervalMs?: number;
}

const DAY_MS = 86_400_000;

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date (epoch ms). */
  updatedAtMs: number;
}

/**
 * The local stand-in for API Gateway usage plans: one process's buckets and day counts in memory.
 *
 * Bounded memory: a bucket that has refilled to its burst is the same as a bucket never seen, so
 * at most once per `sweepIntervalMs` the buckets are swept and every full one is dropped (exact:
 * the customer's next request starts from a full bucket, as it would have). The day counts hold
 * one number per customer admitted since 00:00 UTC and are dropped all at once when the UTC day
 * changes (also exact: the quota restarts from zero). Only authenticated customers get here, so
 * both maps are bounded by the customers that have keys.
 *
 * @example
 * const limiter = new InMemoryRequestLimiter(config.customerLimits);
 * limiter.admit('acme'); // throws TooManyRequestsError when acme is over its limits
 */
export class InMemoryRequestLimiter implements RequestLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly usedToday = new Map<string, number>();
  private day: number;
  private lastSweepMs: number;
  private readonly clock: Clock;
  private readonly sweepIntervalMs: number;

  constructor(
    private readonly limits: LimitsConfig,
    options: InMemoryRequestLimiterOptions = {},
  ) {
    this.clock = options.clock ?? SYSTEM_CLOCK;
    this.sweepIntervalMs = options.sweepIntervalMs ?? 60_000;
    const now = this.clock.now();
    this.day = Math.floor(now / DAY_MS);
    this.lastSweepMs = now;
  }

  /**
   * Admits one request or refuses it.
   * @throws TooManyRequestsError with the limit (`rate` or `quota`) and the whole seconds to wait.
   */
  admit(customerId: string): void {
    const decision = this.decide(customerId);
    if (decision.admitted) return;
    throw decision.limit === 'rate'
      ? new TooManyRequestsError('rate', decision.retryAfterSeconds, `too many requests for this customer: retry in ${decision.retryAfterSeconds} s`)
      : new TooManyRequestsError('quota', decision.retryAfterSeconds, `the daily request quota of this customer is used up; it resets at 00:00 UTC, in ${decision.retryAfterSeconds} s`);
  }

  /**
   * Decides one request and, when admitted, takes a token and counts it against today's quota.
   * A refused request takes nothing, as API Gateway does not count throttled requests.
   */
  decide(customerId: string): LimitDecision {
    const now = this.clock.now();
    const limits = limitsFor(this.limits, customerId);
    this.maintain(now);

    const used = this.usedToday.get(customerId) ?? 0;
    if (used >= limits.dailyQuota) {
      const nextMidnight = (this.day + 1) * DAY_MS;
      return { admitted: false, limit: 'quota', retryAfterSeconds: Math.max(1, Math.ceil((nextMidnight - now) / 1000)) };
    }
    const bucket = this.refilled(customerId, limits, now);
    if (bucket.tokens < 1) {
      return { admitted: false, limit: 'rate', retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / limits.ratePerSecond)) };
    }
    bucket.tokens -= 1;
    this.usedToday.set(customerId, used + 1);
    return { admitted: true };
  }

  /** How many customers the limiter holds state for (for tests and health output). */
  get tracked(): { buckets: number; dayCounts: number } {
    return { buckets: this.buckets.size, dayCounts: this.usedToday.size };
  }

  private refilled(customerId: string, limits: CustomerLimits, now: number): Bucket {
    let bucket = this.buckets.get(customerId);
    if (bucket === undefined) {
      bucket = { tokens: limits.burst, updatedAtMs: now };
      this.buckets.set(customerId, bucket);
      return bucket;
    }
    // A clock that steps back (NTP) refills nothing rather than draining the bucket.
    const elapsedMs = Math.max(0, now - bucket.updatedAtMs);
    bucket.tokens = Math.min(limits.burst, bucket.tokens + (elapsedMs / 1000) * limits.ratePerSecond);
    bucket.updatedAtMs = now;
    return bucket;
  }

  private maintain(now: number): void {
    const day = Math.floor(now / DAY_MS);
    if (day !== this.day) {
      this.day = day;
      this.usedToday.clear();
    }
    if (now - this.lastSweepMs < this.sweepIntervalMs) return;
    this.lastSweepMs = now;
    for (const [customerId, bucket] of this.buckets) {
      const limits = limitsFor(this.limits, customerId);
      const tokens = bucket.tokens + (Math.max(0, now - bucket.updatedAtMs) / 1000) * limits.ratePerSecond;
      if (tokens >= limits.burst) this.buckets.delete(customerId);
    }
  }
}
