/**
 * The local runner's pure rules: the session timeout it derives from the fetch deadline, and the
 * backoff it shares between redeliveries and restarts. Its behaviour against Kafka is exercised
 * by test/integration/stream-runner-resilience.test.ts.
 */
import { loadConfig } from '../../../core';
import { MIN_SESSION_TIMEOUT_MS, SESSION_MARGIN_HEARTBEATS, sessionTimeoutFor } from '../../../local/stream-runner';

describe('sessionTimeoutFor', () => {
  it('is the fetch deadline plus five heartbeats: 45 s with the defaults, Kafka’s own client default', () => {
    const config = loadConfig({ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:1' });

    expect(sessionTimeoutFor(config.fetch.deadlineMs, 3_000)).toBe(45_000);
    expect(SESSION_MARGIN_HEARTBEATS).toBe(5);
  });

  it.each([
    [30_000, 3_000, 45_000],
    [120_000, 3_000, 135_000],
    [3_000, 500, MIN_SESSION_TIMEOUT_MS],
    [100, 100, MIN_SESSION_TIMEOUT_MS],
  ])('deadline %i ms, heartbeat %i ms → %i ms, always longer than the deadline and at least the broker minimum', (deadline, heartbeat, expected) => {
    const session = sessionTimeoutFor(deadline, heartbeat);

    expect(session).toBe(expected);
    expect(session).toBeGreaterThan(deadline);
    expect(session).toBeGreaterThanOrEqual(MIN_SESSION_TIMEOUT_MS);
  });
});
