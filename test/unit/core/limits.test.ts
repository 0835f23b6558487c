/**
 * The per-customer limiter (core/limits/limiter.ts) over a fake clock: rate, burst, refill,
 * the daily quota's reset at 00:00 UTC, idle eviction, many customers; and a property: over any
 * schedule of requests the admitted count never exceeds what the bucket and quota allow.
 */
import fc from 'fast-check';
import { DEFAULT_CUSTOMER_LIMITS, InMemoryRequestLimiter, TooManyRequestsError, ERROR_CODES, type Clock, type CustomerLimits, type LimitsConfig } from '../../../core';

class FakeClock implements Clock {
  constructor(public ms: number) {}
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

const NOON_UTC = Date.UTC(2026, 10, 30, 12, 0, 0);

function config(defaults: Partial<CustomerLimits> = {}, customers: Record<string, CustomerLimits> = {}): LimitsConfig {
  return { default: { ...DEFAULT_CUSTOMER_LIMITS, ...defaults }, customers: new Map(Object.entries(customers)) };
}

/** Admits `count` requests of `customerId` at the current time; returns how many were admitted. */
function burst(limiter: InMemoryRequestLimiter, customerId: string, count: number): number {
  let admitted = 0;
  for (let i = 0; i < count; i += 1) if (limiter.decide(customerId).admitted) admitted += 1;
  return admitted;
}

describe('token bucket', () => {
  it('admits a full burst at once, then refuses with the seconds until the next token', () => {
    const clock = new FakeClock(NOON_UTC);
    const limiter = new InMemoryRequestLimiter(config({ ratePerSecond: 2, burst: 5 }), { clock });
    expect(burst(limiter, 'acme', 5)).toBe(5);
    expect(limiter.decide('acme')).toEqual({ admitted: false, limit: 'rate', retryAfterSeconds: 1 });
  });

  it('refills at the rate, never above the burst', () => {
    const clock = new FakeClock(NOON_UTC);
    const limiter = new InMemoryRequestLimiter(config({ ratePerSecond: 2, burst: 5 }), { clock });
    burst(limiter, 'acme', 5);
    clock.advance(1500); // 3 tokens
    expect(burst(limiter, 'acme', 10)).toBe(3);
    clock.advance(3_600_000); // far more than the burst's worth
    expect(burst(limiter, 'acme', 10)).toBe(5);
  });

  it('rounds Retry-After up to whole seconds for slow rates', () => {
    const clock = new FakeClock(NOON_UTC);
    const limiter = new InMemoryRequestLimiter(config({ ratePerSecond: 0.1, burst: 1 }), { clock });
    expect(limiter.decide('slow').admitted).toBe(true);
    clock.advance(2500); // 0.25 tokens: 7.5 s to go
    expect(limiter.decide('slow')).toEqual({ admitted: false, limit: 'rate', retryAfterSeconds: 8 });
  });

  it('admit() throws TooManyRequestsError with the rate code and Retry-After seconds', () => {
    const clock = new FakeClock(NOON_UTC);
    const limiter = new InMemoryRequestLimiter(config({ ratePerSecond: 1, burst: 1 }), { clock });
    limiter.admit('acme');
    let thrown: unknown;
    try {
      limiter.admit('acme');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TooManyRequestsError);
    expect(thrown).toMatchObject({ code: ERROR_CODES.rateLimited, limit: 'rate', retryAfterSeconds: 1, retriable: true });
  });

  it('keeps customers apart: one empty bucket does not refuse another customer', () => {
    const clock = new FakeClock(NOON_UTC);
    const limiter = new InMemoryRequestLimiter(config({ ratePerSecond: 1, burst: 2 }), { clock });
    expect(burst(limiter, 'noisy', 10)).toBe(2);
    expect(burst(limiter, 'quiet', 2)).toBe(2);
  });

  it('gives an override customer its own numbers', () => {
    const clock = new FakeClock(NOON_UTC);
    const limiter = new InMemoryRequestLimiter(config({ ratePerSecond: 1, burst: 2 }, { big: { ratePerSecond: 1, burst: 7, dailyQuota: 100 } }), { clock });
    expect(burst(limiter, 'big', 10)).toBe(7);
    expect(burst(limiter, 'small', 10)).toBe(2);
  });

  it('does not drain the bucket when the clock steps back', () => {
    const clock = new FakeClock(NOON_UTC);
    const limiter = new InMemoryRequestLimiter(config({ ratePerSecond: 1, burst: 3 }), { clock });
    expect(burst(limiter, 'acme', 1)).toBe(1);
    clock.advance(-60_000);
    expect(burst(limiter, 'acme', 5)).toBe(2);
  });
});

describe('daily quota (UTC day, as the usage plan period DAY)', () => {
  it('refuses with the quota code and the seconds until 00:00 UTC, then resets at midnight', () => {
    const clock = new FakeClock(Date.UTC(2026, 10, 30, 23, 59, 0, 500));
    const limiter = new InMemoryRequestLimiter(config({ ratePerSecond: 100, burst: 100, dailyQuota: 3 }), { clock });
    expect(burst(limiter, 'acme', 3)).toBe(3);
    expect(limiter.decide('acme')).toEqual({ admitted: false, limit: 'quota', retryAfterSeconds: 60 });
    expect(() => limiter.admit('acme')).toThrow(expect.objectContaining({ code: ERROR_CODES.quotaExceeded, limit: 'quota' }) as unknown as Error);
    clock.ms = Date.UTC(2026, 11, 1, 0, 0, 0);
    expect(burst(limiter, 'acme', 5)).toBe(3);
  });

  it('counts only admitted requests: refusals by the rate do not use the quota', () => {
    const clock = new FakeClock(NOON_UTC);
    const limiter = new InMemoryRequestLimiter(config({ ratePerSecond: 1, burst: 2, dailyQuota: 4 }), { clock });
    expect(burst(limiter, 'acme', 10)).toBe(2); // 8 refused by the rate
    clock.advance(2000);
    expect(burst(limiter, 'acme', 10)).toBe(2); // quota reached at 4, not before
    clock.advance(10_000);
    expect(limiter.decide('acme')).toMatchObject({ admitted: false, limit: 'quota' });
  });
});

describe('bounded memory', () => {
  it('drops buckets that have refilled, keeping the ones still draining, and day counts at midnight', () => {
    const clock = new FakeClock(NOON_UTC);
    const limiter = new InMemoryRequestLimiter(config({ ratePerSecond: 1, burst: 10 }), { clock, sweepIntervalMs: 1000 });
    for (let i = 0; i < 1000; i += 1) limiter.decide(`idle-${i}`);
    burst(limiter, 'busy', 10);
    expect(limiter.tracked).toEqual({ buckets: 1001, dayCounts: 1001 });
    clock.advance(5000); // the idle ones (9 tokens left) are full after 1 s; busy needs 10 s
    limiter.decide('other');
    expect(limiter.tracked.buckets).toBe(2); // busy + other
    clock.ms = Date.UTC(2026, 11, 1, 0, 0, 1);
    limiter.decide('other');
    expect(limiter.tracked).toEqual({ buckets: 1, dayCounts: 1 });
  });

  it('an evicted customer starts from a full bucket, as if never seen', () => {
    const clock = new FakeClock(NOON_UTC);
    const limiter = new InMemoryRequestLimiter(config({ ratePerSecond: 1, burst: 3 }), { clock, sweepIntervalMs: 0 });
    burst(limiter, 'acme', 3);
    clock.advance(3000);
    limiter.decide('other'); // sweeps acme away
    expect(limiter.tracked.buckets).toBe(1);
    expect(burst(limiter, 'acme', 10)).toBe(3);
  });
});

describe('property: never more than burst + rate × time, nor more than the quota per UTC day', () => {
  it('holds over random schedules of several customers', () => {
    fc.assert(
      fc.property(
        fc.record({ ratePerSecond: fc.double({ min: 0.05, max: 50, noNaN: true }), burst: fc.integer({ min: 1, max: 20 }), dailyQuota: fc.integer({ min: 1, max: 60 }) }),
        fc.array(fc.record({ customer: fc.integer({ min: 0, max: 4 }), gapMs: fc.integer({ min: 0, max: 3_600_000 }) }), { maxLength: 300 }),
        (limits, schedule) => {
          const start = Date.UTC(2026, 10, 30, 20, 0, 0);
          const clock = new FakeClock(start);
          const limiter = new InMemoryRequestLimiter(config(limits), { clock, sweepIntervalMs: 10_000 });
          const admitted = new Map<number, { times: number[] }>();
          for (const { customer, gapMs } of schedule) {
            clock.advance(gapMs);
            if (limiter.decide(`c${customer}`).admitted) {
              const entry = admitted.get(customer) ?? { times: [] };
              entry.times.push(clock.ms);
              admitted.set(customer, entry);
            }
          }
          for (const { times } of admitted.values()) {
            // Token bucket: in any window [t_i, t_j], admitted ≤ burst + rate × (t_j − t_i).
            for (let i = 0; i < times.length; i += 1) {
              for (let j = i; j < times.length; j += 1) {
                const allowed = limits.burst + (limits.ratePerSecond * ((times[j] as number) - (times[i] as number))) / 1000;
                expect(j - i + 1).toBeLessThanOrEqual(allowed + 1e-9);
              }
            }
            const perDay = new Map<number, number>();
            for (const t of times) perDay.set(Math.floor(t / 86_400_000), (perDay.get(Math.floor(t / 86_400_000)) ?? 0) + 1);
            for (const count of perDay.values()) expect(count).toBeLessThanOrEqual(limits.dailyQuota);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
