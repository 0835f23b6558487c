// The backoff formula lives in core/retry.ts (`backoffDelayMs`), shared with the stream runner.

/** Resolves after `ms` milliseconds; the default `sleep` of the fetcher. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
