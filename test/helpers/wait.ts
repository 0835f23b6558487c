/**
 * Bounded waiting for tests (kafkajs `testHelpers` `waitFor`): every wait stops after a number of
 * checks and a time, whichever comes first, and a wait that runs out says what it waited for.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** Options of {@link waitUntil} and {@link pollUntil}. */
export interface WaitOptions {
  /** What is awaited, for the failure message: "the runner to commit offset 3". */
  what: string;
  /** The longest the wait may take, in milliseconds. */
  timeoutMs: number;
  /** Pause between two checks, in milliseconds. @default 100 */
  intervalMs?: number;
  /** The most checks made. @default enough to fill `timeoutMs` at `intervalMs`, plus one */
  maxChecks?: number;
}

/** A bounded wait ran out before its condition held. */
export class WaitTimeoutError extends Error {
  override readonly name = 'WaitTimeoutError';
}

interface PollResult<T> {
  value: T;
  done: boolean;
  checks: number;
  elapsedMs: number;
}

async function poll<T>(read: () => T | Promise<T>, done: (value: T) => boolean, options: WaitOptions): Promise<PollResult<T>> {
  const intervalMs = options.intervalMs ?? 100;
  const maxChecks = options.maxChecks ?? Math.ceil(options.timeoutMs / intervalMs) + 1;
  const started = Date.now();
  let checks = 0;
  for (;;) {
    const value = await read();
    checks += 1;
    const elapsedMs = Date.now() - started;
    if (done(value)) return { value, done: true, checks, elapsedMs };
    if (checks >= maxChecks || elapsedMs + intervalMs > options.timeoutMs) return { value, done: false, checks, elapsedMs };
    await sleep(intervalMs);
  }
}

/**
 * Checks `condition` until it holds (a truthy value), at most `maxChecks` times and for at most
 * `timeoutMs`; returns the truthy value.
 *
 * @throws WaitTimeoutError naming `what`, the checks made and the time spent, when it never held.
 * @example
 * await waitUntil(() => lines.some((l) => l.includes('consumer restarted')), { what: 'the consumer to restart', timeoutMs: 60_000 });
 */
export async function waitUntil<T>(condition: () => T | Promise<T>, options: WaitOptions): Promise<T> {
  const result = await poll(condition, (value) => Boolean(value), options);
  if (!result.done) throw new WaitTimeoutError(`Timed out waiting for ${options.what}: not true after ${result.checks} checks in ${result.elapsedMs} ms`);
  return result.value;
}

/**
 * Reads `read()` until `done(value)` holds or the bounds of {@link waitUntil} run out, and returns
 * the last value read either way — so the caller's `expect` shows what was there instead.
 *
 * @example
 * expect(await pollUntil(() => kit.committedOffsets(groupId, topic), (c) => c[0] === '3', { what: 'the commit', timeoutMs: 15_000 })).toEqual({ 0: '3' });
 */
export async function pollUntil<T>(read: () => T | Promise<T>, done: (value: T) => boolean, options: WaitOptions): Promise<T> {
  return (await poll(read, done, options)).value;
}
