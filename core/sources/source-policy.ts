/**
 * Which S3 objects an event may reference. A reference is a claim check: the producer put the
 * bytes there for this event's customer. So an event for customer A may read only
 * `claims/A/…` in the raw bucket, or `A/…` in a source bucket named in `ALLOWED_SOURCE_BUCKETS`:
 * never the pipeline's own `raw/`, `incoming/` or `processed/` objects, never another
 * customer's. The stream Lambda's IAM policy (cdktf/constructs/compute.ts) grants the same
 * prefixes, so a mistake here is still refused by AWS.
 */
import type { Config } from '../config';
import { ForbiddenSourceError, type ErrorContext } from '../errors';
import { CLAIM_CHECK_PREFIX } from '../keys';

/** `.` or `..` segments and empty segments: HTTP clients may normalise them away, so they are never allowed. */
const UNSAFE_SEGMENT = /(^|\/)\.{1,2}(\/|$)|\/\//;

/**
 * The key prefix an event of `customerId` may read in `bucket`, or undefined when the bucket is
 * not a source at all.
 */
export function allowedSourcePrefix(config: Pick<Config, 'rawBucket' | 'allowedSourceBuckets'>, customerId: string, bucket: string): string | undefined {
  if (bucket === config.rawBucket) return `${CLAIM_CHECK_PREFIX}${customerId}/`;
  if (config.allowedSourceBuckets.includes(bucket)) return `${customerId}/`;
  return undefined;
}

/**
 * Refuses an S3 reference outside the event customer's claim-check prefix.
 *
 * @throws ForbiddenSourceError saying which prefix the customer may use.
 * @example
 * assertAllowedS3Source(config, 'acme', { bucket: config.rawBucket, key: 'claims/acme/123' }); // ok
 */
export function assertAllowedS3Source(
  config: Pick<Config, 'rawBucket' | 'allowedSourceBuckets'>,
  customerId: string,
  ref: { bucket: string; key: string },
  context: ErrorContext = {},
): void {
  const prefix = allowedSourcePrefix(config, customerId, ref.bucket);
  if (prefix === undefined) {
    throw new ForbiddenSourceError(`s3://${ref.bucket} is not an allowed source bucket`, { context });
  }
  if (!ref.key.startsWith(prefix) || ref.key.length === prefix.length || UNSAFE_SEGMENT.test(ref.key)) {
    throw new ForbiddenSourceError(`S3 references of this customer must be objects under s3://${ref.bucket}/${prefix}`, { context });
  }
}
