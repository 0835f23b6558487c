import { createHash } from 'node:crypto';
import { MAX_STATUS_SHARDS } from '../../constants';
import { invalidParameterError } from '../../errors';
import type { ImageStatus } from '../../ports';

export { MAX_STATUS_SHARDS };

/** `YYYY-MM-DD` (UTC), the day part of the `byStatusDay` key. */
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * The write shard of an image, `0 … shards-1`: the first four bytes of SHA-256(imageId) modulo the
 * shard count. Deterministic, so a retry or a status transition of the same image lands on the
 * same shard, and spread evenly whatever the id's shape (time-ordered ids share their prefix).
 *
 * @throws InvalidParameterError when `shards` is not an integer in 1…{@link MAX_STATUS_SHARDS}.
 * @example
 * statusShardOf('0f8fad5b-d9cb-469f-a165-70867728950e', 16); // a number in 0..15
 */
export function statusShardOf(imageId: string, shards: number): number {
  assertShardCount(shards);
  if (shards === 1) return 0;
  return createHash('sha256').update(imageId).digest().readUInt32BE(0) % shards;
}

/**
 * The `byStatusDay` partition key value of one record. With one shard it is the unsharded
 * `STATUS#YYYY-MM-DD` the index has always held; with more it is `STATUS#YYYY-MM-DD#N` (`N` the
 * shard number, unpadded so that raising the shard count keeps every old key among the new ones),
 * so the index keeps its name and key attribute and the running table needs no schema change.
 *
 * Source of the pattern: DynamoDB Developer Guide, "Using write sharding to distribute workloads
 * evenly" (calculated suffixes).
 *
 * @throws InvalidParameterError when `createdAt` does not start with a `YYYY-MM-DD` day or
 *   `shards` is out of range.
 * @example
 * statusDayKey('RECEIVED', '2026-11-30T10:00:00.000Z', 'abc', 16); // 'RECEIVED#2026-11-30#7' (shard depends on the id)
 */
export function statusDayKey(status: ImageStatus, createdAt: string, imageId: string, shards: number): string {
  const day = createdAt.slice(0, 10);
  return statusDayShardKey(status, day, statusShardOf(imageId, shards), shards);
}

/**
 * The key value of one shard of a status/day; {@link statusDayKey} picks the shard from the id.
 * @throws InvalidParameterError when `day` is not `YYYY-MM-DD` or `shard` is not in `0 … shards-1`.
 */
export function statusDayShardKey(status: ImageStatus, day: string, shard: number, shards: number): string {
  assertShardCount(shards);
  if (!DAY.test(day)) throw invalidParameterError('day', 'a UTC day as YYYY-MM-DD', day);
  if (!Number.isInteger(shard) || shard < 0 || shard >= shards) throw invalidParameterError('shard', `integer between 0 and ${shards - 1}`, shard);
  if (shards === 1) return `${status}#${day}`;
  return `${status}#${day}#${shard}`;
}

/**
 * Every key a reader of one status/day must query: each shard, then the unsharded
 * `STATUS#YYYY-MM-DD` key that records written before sharding was switched on still carry
 * (they stay readable until their 7-day TTL removes them; no migration is needed).
 *
 * @throws InvalidParameterError as {@link statusDayShardKey}.
 * @example
 * statusDayKeys('FAILED', '2026-11-30', 2); // ['FAILED#2026-11-30#0', 'FAILED#2026-11-30#1', 'FAILED#2026-11-30']
 */
export function statusDayKeys(status: ImageStatus, day: string, shards: number): string[] {
  const keys = Array.from({ length: shards }, (_, shard) => statusDayShardKey(status, day, shard, shards));
  if (shards > 1) keys.push(statusDayShardKey(status, day, 0, 1));
  return keys;
}

function assertShardCount(shards: number): void {
  if (!Number.isInteger(shards) || shards < 1 || shards > MAX_STATUS_SHARDS) {
    throw invalidParameterError('shards', `integer between 1 and ${MAX_STATUS_SHARDS}`, shards);
  }
}
