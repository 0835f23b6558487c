import { InvalidParameterError, assertFileNameBounds, incomingKey, newImageId, type BlobStore, type PresignedPost } from '../../core';
import { imagePath } from '../routes';

/** What `POST /v1/uploads` needs. */
export interface CreateUploadDependencies {
  blobs: Pick<BlobStore, 'presignPost'>;
  /** The bucket whose `incoming/` prefix takes presigned uploads. */
  rawBucket: string;
  /** Largest upload the presigned policy allows. */
  maxImageBytes: number;
  /** Lifetime of the presigned POST, in seconds. */
  presignExpirySeconds: number;
}

/** A presigned upload: where to POST the file, and where its record will be. */
export interface CreatedUpload {
  imageId: string;
  upload: PresignedPost;
  maxBytes: number;
  expiresInSeconds: number;
  /** `GET` this path for the record once the upload is processed. */
  statusUrl: string;
}

/**
 * A presigned S3 POST for one image of up to the image limit, straight to the raw bucket's
 * `incoming/` prefix. The policy pins the customer (and file name) as object metadata, so the
 * upload handler learns them from S3, never from the uploader's form.
 *
 * It takes no `Idempotency-Key`: asking again is already safe (nothing is stored until the
 * bytes arrive, and an unused presigned POST expires), and a key here could not be checked
 * against the request that first used it, so one sent is refused rather than ignored.
 *
 * @throws InvalidParameterError when `fileName` is over its bounds, or an `Idempotency-Key` was sent.
 * @example
 * const created = await createUpload(deps, { customerId: 'acme', fileName: 'big photo.jpg' });
 */
export async function createUpload(deps: CreateUploadDependencies, input: { customerId: string; fileName?: string; idempotencyKey?: string }): Promise<CreatedUpload> {
  if (input.idempotencyKey !== undefined) {
    throw new InvalidParameterError(
      'POST /v1/uploads takes no Idempotency-Key: asking again for a presigned POST is safe (nothing is stored until the bytes arrive); send the request without it',
      { context: { parameter: 'Idempotency-Key' } },
    );
  }
  if (input.fileName !== undefined) assertFileNameBounds(input.fileName);
  const imageId = newImageId();
  const metadata: Record<string, string> = { 'customer-id': input.customerId };
  // S3 user metadata must be ASCII: the file name travels percent-encoded.
  if (input.fileName !== undefined) metadata['file-name'] = encodeURIComponent(input.fileName);
  const upload = await deps.blobs.presignPost(
    { bucket: deps.rawBucket, key: incomingKey(imageId) },
    { maxBytes: deps.maxImageBytes, contentTypePrefix: 'image/', metadata, expiresInSeconds: deps.presignExpirySeconds },
  );
  return { imageId, upload, maxBytes: deps.maxImageBytes, expiresInSeconds: deps.presignExpirySeconds, statusUrl: imagePath(imageId) };
}
