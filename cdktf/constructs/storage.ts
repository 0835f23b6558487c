import { Construct } from 'constructs';
import { S3Bucket } from '@cdktn/provider-aws/lib/s3-bucket';
import { S3BucketCorsConfiguration } from '@cdktn/provider-aws/lib/s3-bucket-cors-configuration';
import { S3BucketLifecycleConfiguration } from '@cdktn/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketOwnershipControls } from '@cdktn/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktn/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktn/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktn/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import type { KmsKey } from '@cdktn/provider-aws/lib/kms-key';
import { uploadBucketCorsRules } from '../../ingest-api/cors';
import type { StackContext } from './context';

/** Options of one {@link SecureBucket}. */
export interface SecureBucketOptions {
  name: string;
  key: KmsKey;
  /** Every object expires after this many days. */
  expirationDays: number;
  forceDestroy: boolean;
  tags: Record<string, string>;
}

/**
 * An S3 bucket with the project's baseline: all four Block Public Access settings, SSE-KMS with
 * the project key (bucket key on, to cut KMS calls), bucket-owner-enforced ownership (no ACLs),
 * a lifecycle that expires objects and aborts stale multipart uploads, and a TLS-only policy.
 */
export class SecureBucket extends Construct {
  readonly bucket: S3Bucket;
  /** Later bucket-level resources (notifications) must wait for the policy to avoid 409 conflicts. */
  readonly policy: S3BucketPolicy;

  constructor(scope: Construct, id: string, options: SecureBucketOptions) {
    super(scope, id);
    this.bucket = new S3Bucket(this, 'bucket', { bucket: options.name, forceDestroy: options.forceDestroy, tags: options.tags });
    const block = new S3BucketPublicAccessBlock(this, 'public-access-block', {
      bucket: this.bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, 'ownership', { bucket: this.bucket.id, rule: { objectOwnership: 'BucketOwnerEnforced' } });
    new S3BucketServerSideEncryptionConfigurationA(this, 'encryption', {
      bucket: this.bucket.id,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: options.key.arn }, bucketKeyEnabled: true }],
    });
    new S3BucketLifecycleConfiguration(this, 'lifecycle', {
      bucket: this.bucket.id,
      rule: [
        {
          id: `expire-after-${options.expirationDays}-days`,
          status: 'Enabled',
          filter: [{ prefix: '' }],
          expiration: [{ days: options.expirationDays }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 1 }],
        },
      ],
    });
    this.policy = new S3BucketPolicy(this, 'tls-only', {
      bucket: this.bucket.id,
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'DenyInsecureTransport',
            Effect: 'Deny',
            Principal: '*',
            Action: 's3:*',
            Resource: [this.bucket.arn, `${this.bucket.arn}/*`],
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ],
      }),
      // S3 rejects concurrent bucket-config writes; the public-access block must land first.
      dependsOn: [block],
    });
  }
}

/** The raw and processed image buckets, the MSK failed-batch bucket and (optionally) the analytics bucket. */
export class Storage extends Construct {
  readonly raw: SecureBucket;
  readonly processed: SecureBucket;
  /** The MSK event source mapping's on-failure destination: S3 keeps the whole failed batch. */
  readonly failedBatches: SecureBucket;
  /**
   * Browsers post presigned forms straight to the raw bucket: the same rules as the local
   * bootstrap, from the same origins as the API. Undefined when no origin is configured.
   */
  readonly uploadCors?: S3BucketCorsConfiguration;

  constructor(scope: Construct, id: string, ctx: StackContext, key: KmsKey) {
    super(scope, id);
    const { props, accountId } = ctx;
    // Bucket names are global: the account id keeps two accounts' "dev" from colliding.
    const common = { key, forceDestroy: props.storage.forceDestroy, tags: props.tags };
    this.raw = new SecureBucket(this, 'raw', {
      ...common,
      name: `${props.names.rawBucket}-${accountId}`,
      expirationDays: props.storage.objectExpirationDays,
    });
    this.processed = new SecureBucket(this, 'processed', {
      ...common,
      name: `${props.names.processedBucket}-${accountId}`,
      expirationDays: props.storage.objectExpirationDays,
    });
    this.failedBatches = new SecureBucket(this, 'failed-batches', {
      ...common,
      name: `${props.names.failedBatchesBucket}-${accountId}`,
      expirationDays: props.storage.failedBatchRetentionDays,
    });
    const rules = uploadBucketCorsRules({ allowedOrigins: props.api.corsAllowedOrigins, allowCredentials: props.api.corsAllowCredentials });
    if (rules.length > 0) {
      this.uploadCors = new S3BucketCorsConfiguration(this, 'raw-upload-cors', {
        bucket: this.raw.bucket.id,
        corsRule: rules.map((rule) => ({
          allowedMethods: rule.AllowedMethods,
          allowedOrigins: rule.AllowedOrigins,
          allowedHeaders: rule.AllowedHeaders,
          exposeHeaders: rule.ExposeHeaders,
          maxAgeSeconds: rule.MaxAgeSeconds,
        })),
        // S3 rejects concurrent bucket-config writes (409): wait for the bucket's policy.
        dependsOn: [this.raw.policy],
      });
    }
  }
}
