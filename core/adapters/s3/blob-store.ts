import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, NoSuchKey, NotFound, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { ImageTooLargeError, SourceNotFoundError } from '../../errors';
import type { BlobStore, ObjectLocation, PresignedPost, PresignPostOptions, PutObjectOptions } from '../../ports';
import { asDependencyError } from '../dependency-error';

/** `s3://bucket/key`, with `?versionId=…` when the location names a version. */
function describeLocation(location: ObjectLocation): string {
  const base = `s3://${location.bucket}/${location.key}`;
  return location.versionId === undefined ? base : `${base} (version ${location.versionId})`;
}

/**
 * True when S3 says the object, or the requested version of it, is not there: NoSuchKey,
 * NoSuchVersion, or — with a version id — the 400 InvalidArgument S3 gives for a version
 * id it cannot parse (e.g. one from another bucket or a bucket without versioning).
 */
function isMissing(location: ObjectLocation, error: unknown): boolean {
  const { name, $metadata } = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  // Not every 404: NoSuchBucket is a dependency (configuration) failure, retried like one.
  if (error instanceof NoSuchKey || name === 'NoSuchKey' || name === 'NoSuchVersion') return true;
  return location.versionId !== undefined && name === 'InvalidArgument' && $metadata?.httpStatusCode === 400;
}

/** {@link BlobStore} on S3. Objects are written with server-side encryption (the bucket's default key). */
export class S3BlobStore implements BlobStore {
  constructor(private readonly s3: S3Client) {}

  /**
   * Uploads without hashing the body for the signature (`UNSIGNED-PAYLOAD`: the buckets accept
   * TLS only, and S3 verifies the body against the checksum instead). The checksum is the
   * caller's SHA-256 when it has one (the raw image's, also kept on the record), otherwise the
   * SDK's CRC32. Either way the body is read once, by native code.
   */
  async put(location: ObjectLocation, body: Buffer, options: PutObjectOptions): Promise<void> {
    try {
      const command = new PutObjectCommand({
        Bucket: location.bucket,
        Key: location.key,
        Body: body,
        ContentType: options.contentType,
        Metadata: options.metadata,
        ChecksumSHA256: options.sha256?.toString('base64'),
      });
      command.middlewareStack.add(
        (next) => (args) => {
          // The signer takes a payload hash already present instead of hashing the body.
          const { headers } = args.request as { headers?: Record<string, string> };
          if (headers !== undefined) headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
          return next(args);
        },
        { step: 'build', name: 'unsignedPayload' },
      );
      await this.s3.send(command);
    } catch (error) {
      throw asDependencyError('S3', `PutObject ${location.key}`, error);
    }
  }

  /**
   * Reads the object — exactly `location.versionId` when given (S3 answers NoSuchVersion for a
   * version that does not exist, and 400 InvalidArgument for one it cannot parse; both are
   * {@link SourceNotFoundError}, never a fallback to the current object).
   */
  async get(location: ObjectLocation, maxBytes: number): Promise<Buffer> {
    try {
      const result = await this.s3.send(new GetObjectCommand({ Bucket: location.bucket, Key: location.key, VersionId: location.versionId }));
      if (result.ContentLength !== undefined && result.ContentLength > maxBytes) {
        result.Body?.transformToWebStream().cancel().catch(() => undefined);
        throw new ImageTooLargeError(maxBytes, `${describeLocation(location)} is ${result.ContentLength} bytes; the limit is ${maxBytes}`);
      }
      return Buffer.from((await result.Body?.transformToByteArray()) ?? new Uint8Array());
    } catch (error) {
      if (isMissing(location, error)) throw new SourceNotFoundError(`${describeLocation(location)} does not exist`, { cause: error });
      throw asDependencyError('S3', `GetObject ${location.key}`, error);
    }
  }

  async delete(location: ObjectLocation): Promise<void> {
    try {
      await this.s3.send(new DeleteObjectCommand({ Bucket: location.bucket, Key: location.key, VersionId: location.versionId }));
    } catch (error) {
      throw asDependencyError('S3', `DeleteObject ${location.key}`, error);
    }
  }

  presignGet(location: ObjectLocation, expiresInSeconds: number): Promise<string> {
    return getSignedUrl(this.s3, new GetObjectCommand({ Bucket: location.bucket, Key: location.key, VersionId: location.versionId }), { expiresIn: expiresInSeconds });
  }

  async presignPost(location: ObjectLocation, options: PresignPostOptions): Promise<PresignedPost> {
    const metadataFields = Object.fromEntries(Object.entries(options.metadata).map(([name, value]) => [`x-amz-meta-${name}`, value]));
    try {
      const { url, fields } = await createPresignedPost(this.s3, {
        Bucket: location.bucket,
        Key: location.key,
        Fields: metadataFields,
        Conditions: [
          ['content-length-range', 1, options.maxBytes],
          ['starts-with', '$Content-Type', options.contentTypePrefix],
          ...Object.entries(metadataFields).map(([name, value]) => ({ [name]: value })),
        ],
        Expires: options.expiresInSeconds,
      });
      return { url, fields };
    } catch (error) {
      throw asDependencyError('S3', 'presign POST', error);
    }
  }

  async head(location: ObjectLocation): Promise<{ bytes: number; contentType?: string; metadata: Record<string, string> }> {
    try {
      const result = await this.s3.send(new HeadObjectCommand({ Bucket: location.bucket, Key: location.key, VersionId: location.versionId }));
      return { bytes: result.ContentLength ?? 0, contentType: result.ContentType, metadata: result.Metadata ?? {} };
    } catch (error) {
      if (
        error instanceof NotFound ||
        (error as { name?: string }).name === 'NotFound' ||
        (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404 ||
        isMissing(location, error)
      ) {
        throw new SourceNotFoundError(`${describeLocation(location)} does not exist`, { cause: error });
      }
      throw asDependencyError('S3', `HeadObject ${location.key}`, error);
    }
  }
}
