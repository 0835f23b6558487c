/**
 * The one image-source resolver both paths use: inline bytes, an S3 claim check named by an
 * event, a presigned upload that landed under `incoming/`, or an HTTPS URL. One set of rules
 * (docs/image-sources.md):
 *
 * - **Size.** Every source is bounded by `config.limits.maxImageBytes` (`MAX_IMAGE_BYTES`)
 *   before its body is read past the limit: inline by length, S3 by the object's
 *   `Content-Length` (the body is not read), URLs from `Content-Length` and again while
 *   streaming.
 * - **Time.** URLs: `FETCH_TIMEOUT_MS` per attempt, `FETCH_DEADLINE_MS` in all (the fetcher's
 *   own); S3: the SDK client's connection and request timeouts and retries, whose failure is a
 *   dependency failure (retried), not an image rejection. Inline bytes are already here.
 * - **Unavailable vs rejected.** A source that cannot give acceptable bytes — refused by its
 *   policy, missing, over the size limit, or failing (HTTP error, timeout) — is
 *   `unavailable`: the image is recorded `FAILED` with the reason and nothing is kept (no
 *   bytes arrived). Bytes that arrive within the limit but are not an acceptable image are the
 *   pipeline's to reject: `FAILED` with the raw bytes kept for inspection. Both are image
 *   rejections ({@link isImageRejection}): announced as `image.failed`, never retried.
 * - **Dependency failures** (S3 throttling, 5xx, timeouts) throw a retriable
 *   `DependencyError`: the caller retries or redelivers, nothing is recorded.
 */
import type { Config } from '../config';
import { ForbiddenSourceError, ImageTooLargeError, invalidParameterError, isImageRejection, type ErrorContext, type PipelineError } from '../errors';
import { incomingKey } from '../keys';
import type { BlobStore, ImageFetcher } from '../ports';
import { assertAllowedS3Source } from './source-policy';

/** Where an image's bytes are. */
export type ImageSourceRef =
  /** The bytes themselves (a REST body, an event's inline image). */
  | { kind: 'inline'; data: Buffer }
  /** An S3 object an event references (claim check): confined to the customer's prefix, see `source-policy.ts`. */
  | { kind: 's3'; bucket: string; key: string; versionId?: string }
  /** A presigned upload: exactly `incoming/<imageId>` of the raw bucket. */
  | { kind: 'upload'; bucket: string; key: string }
  /** An HTTPS URL, fetched by the {@link ImageFetcher}. */
  | { kind: 'url'; url: string };

/** The kinds of {@link ImageSourceRef}. */
export const IMAGE_SOURCE_KINDS = ['inline', 's3', 'upload', 'url'] as const;

/** Which image a source is resolved for: the policies and error context need it. */
export interface SourceOwner {
  imageId: string;
  customerId: string;
  /** Copied onto errors, e.g. `{ eventId }`. @default {} */
  context?: ErrorContext;
}

/** The bytes of a source, or why there are none (an image rejection: record it FAILED, keep nothing). */
export type ResolvedSource = { kind: 'bytes'; bytes: Buffer } | { kind: 'unavailable'; error: PipelineError };

/** What {@link ImageSourceResolver} needs. */
export interface ImageSourceResolverDependencies {
  config: Pick<Config, 'rawBucket' | 'allowedSourceBuckets' | 'limits'>;
  blobs: BlobStore;
  fetcher: ImageFetcher;
}

/**
 * Resolves an {@link ImageSourceRef} to its bytes under the rules above.
 *
 * @example
 * const resolved = await sources.resolve({ kind: 'url', url }, { imageId, customerId });
 * if (resolved.kind === 'unavailable') await pipeline.recordUnavailable(request, resolved.error);
 */
export class ImageSourceResolver {
  constructor(private readonly deps: ImageSourceResolverDependencies) {}

  /**
   * The source's bytes, or `unavailable` with the image rejection that stopped them.
   *
   * @throws DependencyError (retriable) when S3 fails; InvalidParameterError for an unknown kind;
   *   a bug's error as it is. Never throws an image rejection.
   */
  async resolve(source: ImageSourceRef, owner: SourceOwner): Promise<ResolvedSource> {
    try {
      return { kind: 'bytes', bytes: await this.read(source, owner) };
    } catch (error) {
      if (isImageRejection(error)) return { kind: 'unavailable', error };
      throw error;
    }
  }

  private async read(source: ImageSourceRef, owner: SourceOwner): Promise<Buffer> {
    const { config, blobs, fetcher } = this.deps;
    const maxBytes = config.limits.maxImageBytes;
    const context: ErrorContext = { imageId: owner.imageId, ...owner.context };
    switch (source.kind) {
      case 'inline':
        if (source.data.length > maxBytes) throw new ImageTooLargeError(maxBytes, `the image is ${source.data.length} bytes; the limit is ${maxBytes}`, { context });
        return source.data;
      case 's3':
        assertAllowedS3Source(config, owner.customerId, source, context);
        return await blobs.get({ bucket: source.bucket, key: source.key, versionId: source.versionId }, maxBytes);
      case 'upload':
        if (source.bucket !== config.rawBucket || source.key !== incomingKey(owner.imageId)) {
          throw new ForbiddenSourceError(`an upload of image ${owner.imageId} must be ${incomingKey(owner.imageId)} in the raw bucket`, { context });
        }
        return await blobs.get({ bucket: source.bucket, key: source.key }, maxBytes);
      case 'url':
        return (await fetcher.fetch(source.url, { maxBytes, context })).bytes;
      default:
        throw invalidParameterError('image source kind', IMAGE_SOURCE_KINDS.join(', '), (source as { kind: unknown }).kind);
    }
  }
}
