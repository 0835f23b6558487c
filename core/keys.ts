import { createHash, randomBytes } from 'node:crypto';
import type { Config } from './config';
import { KEY_HASH_HEX_DIGITS, KEY_PREFIXES } from './constants';

/**
 * A new time-ordered id (UUID version 7): sorts by creation time, so logs and DynamoDB sort
 * keys read in order. Used when the caller gives no identity of their own. S3 keys put
 * {@link keyHashPrefix} in front of it, so time order does not make one hot key range.
 */
export function newImageId(now: Date = new Date()): string {
  const bytes = randomBytes(16);
  const ms = BigInt(now.getTime());
  for (let i = 0; i < 6; i++) bytes[i] = Number((ms >> BigInt(8 * (5 - i))) & 0xffn);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x70;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const IMAGE_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;

/** True for ids safe to use in S3 keys and DynamoDB keys (UUIDs, or our derived hex ids). */
export function isValidImageId(imageId: string): boolean {
  return IMAGE_ID.test(imageId);
}

/**
 * The key-range spreader of an image's objects: the first {@link KEY_HASH_HEX_DIGITS} hex digits
 * of SHA-256(imageId), so `00`…`ff`. Derived from the id alone, it is the same on every retry and
 * for every variant, and it spreads sequential (UUIDv7) ids evenly over 256 ranges that S3 can
 * partition on its own: each partitioned prefix serves at least 3,500 PUT/s ("Best practices
 * design patterns: optimizing Amazon S3 performance", Amazon S3 User Guide). See docs/capacity.md.
 */
export function keyHashPrefix(imageId: string): string {
  return createHash('sha256').update(imageId).digest('hex').slice(0, KEY_HASH_HEX_DIGITS);
}

/**
 * `raw/<hash>/YYYY/MM/DD/<imageId>[.<ext>]`, dated by the record's creation (UTC), `<hash>` from
 * {@link keyHashPrefix}. Never from a caller's file name. Records store the key they were
 * written with; nothing rebuilds a stored record's key from its id.
 */
export function rawKey(imageId: string, createdAt: Date, extension?: string): string {
  const date = createdAt.toISOString().slice(0, 10).replace(/-/g, '/');
  return `${KEY_PREFIXES.raw}${keyHashPrefix(imageId)}/${date}/${imageId}${extension ? `.${extension}` : ''}`;
}

/** `processed/<hash>/<imageId>/<variant>.<ext>`, `<hash>` from {@link keyHashPrefix}. */
export function variantKey(imageId: string, variant: string, extension: string): string {
  return `${KEY_PREFIXES.processed}${keyHashPrefix(imageId)}/${imageId}/${variant}.${extension}`;
}

/** Where presigned uploads land before the upload handler picks them up. */
export function incomingKey(imageId: string): string {
  return `${KEY_PREFIXES.incoming}${imageId}`;
}

/** The image id of an `incoming/<imageId>` key, or undefined for any other key. */
export function imageIdFromIncomingKey(key: string): string | undefined {
  if (!key.startsWith(KEY_PREFIXES.incoming)) return undefined;
  // A valid id has no "/", so `incoming/<id>/more` is refused too.
  const imageId = key.slice(KEY_PREFIXES.incoming.length);
  return isValidImageId(imageId) ? imageId : undefined;
}

/** createdAt + retention days, in epoch seconds (DynamoDB TTL wants seconds). */
export function expiresAtSeconds(createdAt: Date, config: Pick<Config, 'limits'>): number {
  return Math.floor(createdAt.getTime() / 1000) + config.limits.retentionDays * 86_400;
}

/** Key prefix of claim-check objects in the raw bucket: `claims/<customerId>/<eventId>`. */
export const CLAIM_CHECK_PREFIX = KEY_PREFIXES.claims;

/** Where a producer stores the bytes of an event too large for Kafka: under its customer's claim-check prefix. */
export function claimCheckKey(customerId: string, eventId: string): string {
  return `${CLAIM_CHECK_PREFIX}${customerId}/${eventId}`;
}
