/**
 * What makes a request a replay of the one that made an image: the one comparison every path
 * uses when an image id (REST `Idempotency-Key`, Kafka `eventId`) already names a record.
 * Stripe ("compares incoming parameters to those of the original request and errors if they're
 * not the same"), AWS (`IdempotentParameterMismatch` for a client token reused with other
 * parameters) and draft-ietf-httpapi-idempotency-key-header §2.7 (a key reused with a different
 * payload: 422) agree: a replay must repeat the first request; anything else is refused, never
 * answered with the first request's result.
 */
import { IdempotencyKeyReusedError } from './errors';
import type { ImageRecord } from './ports';

/** The parts of a request that decide which image it makes. */
export interface RequestFingerprint {
  customerId: string;
  idempotencyKey?: string;
  /** The canonical source URL of a URL import (or a Kafka URL event); undefined for bytes sent with the request. */
  sourceUrl?: string;
  fileName?: string;
  attributes?: Readonly<Record<string, string>>;
  /** The SHA-256 of the bytes, when the request carries them; undefined when they are yet to be fetched. */
  sha256?: string;
}

/** `''` and absent are the same file name (the readers drop an empty one). */
function sameFileName(a: string | undefined, b: string | undefined): boolean {
  return (a ?? '') === (b ?? '');
}

/** The same entries, in any order; `{}` and absent are the same (records keep no empty map). */
function sameAttributes(a: Readonly<Record<string, string>> | undefined, b: Readonly<Record<string, string>> | undefined): boolean {
  const left = Object.entries(a ?? {});
  const right = b ?? {};
  return left.length === Object.keys(right).length && left.every(([name, value]) => Object.hasOwn(right, name) && right[name] === value);
}

/**
 * What differs between `request` and the request that made `record`, in words a caller can act
 * on (`'another URL'`, `'other image bytes'`…), or undefined when `request` is a replay of it. The
 * content is compared only when both sides know it (a URL import's record has no digest until
 * its bytes arrive).
 *
 * @example
 * requestDifference(record, { customerId: 'acme', idempotencyKey: 'k', sourceUrl: 'https://example.com/b.jpg' }); // 'another URL'
 */
export function requestDifference(record: ImageRecord, request: RequestFingerprint): string | undefined {
  if (record.customerId !== request.customerId || record.idempotencyKey !== request.idempotencyKey) return 'another customer or idempotency key';
  if (record.sourceUrl === undefined && request.sourceUrl !== undefined) return 'image bytes (an upload), not a URL';
  if (record.sourceUrl !== undefined && request.sourceUrl === undefined) return 'a URL (a URL import), not image bytes';
  if (record.sourceUrl !== request.sourceUrl) return 'another URL';
  if (request.sha256 !== undefined && record.sha256 !== '' && record.sha256 !== request.sha256) return 'other image bytes';
  if (!sameFileName(record.fileName, request.fileName)) return 'another fileName';
  if (!sameAttributes(record.attributes, request.attributes)) return 'other attributes';
  return undefined;
}

/**
 * Refuses a request that reuses an image id made by a different request (see
 * {@link requestDifference}); the existing record is not touched.
 *
 * @throws IdempotencyKeyReusedError naming the image and what differs, never the values.
 * @example
 * assertSameRequest(existing, { customerId, idempotencyKey, sourceUrl, fileName, attributes });
 */
export function assertSameRequest(record: ImageRecord, request: RequestFingerprint): void {
  const difference = requestDifference(record, request);
  if (difference === undefined) return;
  throw new IdempotencyKeyReusedError(
    `image ${record.imageId} was first requested with ${difference}: a replay must repeat the first request unchanged; use a new ${record.source === 'kafka' ? 'eventId' : 'Idempotency-Key'} for a new image`,
    { context: { imageId: record.imageId } },
  );
}
