/**
 * Fault 4 of issue 12: an event for one customer must not read another customer's object (or
 * the pipeline's own). S3 references are confined to the customer's claim-check prefix and to
 * the customer's prefix in source buckets named in config.
 */
import { ForbiddenSourceError, loadConfig } from '../../../core';
import { claimCheckKey, incomingKey, rawKey, variantKey } from '../../../core/keys';
import { assertAllowedS3Source } from '../../../core/sources/source-policy';

const config = loadConfig({ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:1', RAW_BUCKET: 'raw-bucket', ALLOWED_SOURCE_BUCKETS: 'raw-bucket,partner-drop' });

describe('S3 references are confined to the event customer’s claim checks', () => {
  it.each([
    ['customer B’s raw object', { bucket: 'raw-bucket', key: rawKey('0190a0b0-0000-7000-8000-000000000000', new Date('2024-05-17T10:00:00Z'), 'jpg') }],
    ['customer B’s claim check', { bucket: 'raw-bucket', key: claimCheckKey('beta', 'e-1') }],
    ['a presigned upload waiting under incoming/', { bucket: 'raw-bucket', key: incomingKey('0190a0b0-0000-7000-8000-000000000000') }],
    ['the claim-check prefix itself', { bucket: 'raw-bucket', key: 'claims/acme/' }],
    ['a prefix that only starts like the customer', { bucket: 'raw-bucket', key: 'claims/acme-evil/e-1' }],
    ['dot segments out of the prefix', { bucket: 'raw-bucket', key: 'claims/acme/../beta/e-1' }],
    ['an empty segment', { bucket: 'raw-bucket', key: 'claims/acme//e-1' }],
    ['a bucket not named in config', { bucket: 'someone-elses-bucket', key: 'acme/e-1' }],
    ['the processed bucket', { bucket: config.processedBucket, key: variantKey('0190a0b0-0000-7000-8000-000000000000', 'thumbnail', 'jpg') }],
    ['another customer’s folder in a named source bucket', { bucket: 'partner-drop', key: 'beta/e-1.jpg' }],
  ])('refuses %s for customer acme', (_name, ref) => {
    expect(() => assertAllowedS3Source(config, 'acme', ref)).toThrow(ForbiddenSourceError);
  });

  it.each([
    ['its own claim check', { bucket: 'raw-bucket', key: claimCheckKey('acme', 'e-1') }],
    ['its folder in a named source bucket', { bucket: 'partner-drop', key: 'acme/2024/e-1.jpg' }],
  ])('allows %s', (_name, ref) => {
    expect(() => assertAllowedS3Source(config, 'acme', ref)).not.toThrow();
  });
});
