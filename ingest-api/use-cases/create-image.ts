import { ERROR_CODES, PipelineError, invalidParameterError, isImageRejectionCode, newImageId, type ImageRecord } from '../../core';
import { imageIdForKey, type ImagePipeline } from '../../core/runtime';
import { presentImage, type ImageView, type ImageViewDependencies } from './image-view';

/** What `POST /v1/images` needs besides the request: the pipeline, and how to show a record. */
export interface CreateImageDependencies {
  pipeline: Pick<ImagePipeline, 'ingest'>;
  views: ImageViewDependencies;
}

/** One image upload, already read from the request. */
export interface CreateImageInput {
  customerId: string;
  /** The image bytes; what they are is decided from their content. */
  bytes: Buffer;
  /** The uploader's file name, kept as metadata only (never part of a key). */
  fileName?: string;
  /** The `Idempotency-Key` header as sent, if any. */
  idempotencyKey?: string;
  /** Correlates the pipeline's log lines with the request. */
  requestId: string;
}

/** An accepted image: its processed record, and whether an earlier request with the same key made it. */
export interface CreateImageResult {
  image: ImageView;
  /** True when the `Idempotency-Key` was seen before and nothing new was made. */
  duplicate: boolean;
}

/** What this API takes as an `Idempotency-Key`: 1–255 printable ASCII characters, no spaces or controls. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * The image id of a new image: derived from the customer and the `Idempotency-Key` when there is
 * one (so a retried request finds the first one's record), else a new time-ordered id.
 * @throws InvalidParameterError for a key that is not 1–255 printable ASCII characters.
 */
export function imageIdForRequest(customerId: string, idempotencyKey: string | undefined): string {
  if (idempotencyKey === undefined) return newImageId();
  if (!IDEMPOTENCY_KEY.test(idempotencyKey)) throw invalidParameterError('Idempotency-Key', '1-255 printable ASCII characters', idempotencyKey);
  return imageIdForKey(customerId, idempotencyKey);
}

/**
 * How a FAILED record answers; "is this a rejected image?" is the core's one rule
 * (`isImageRejectionCode`). The image's own fault (bad bytes, over a limit) is a 4xx with the
 * record's code and reason; anything else that ended the record FAILED (a
 * dependency refusing us, a bug) is ours, a 500 whose detail the error map keeps generic. Either
 * way the refusal names the record, whose raw bytes are kept.
 */
function refusalFor(record: ImageRecord): PipelineError | undefined {
  if (record.status !== 'FAILED') return undefined;
  const code = record.error?.code;
  const message = record.error?.message ?? 'the image was not processed';
  const context = { imageId: record.imageId };
  if (code !== undefined && isImageRejectionCode(code)) return new PipelineError(code, message, { context });
  return new PipelineError(code === ERROR_CODES.dependencyRejected || code === ERROR_CODES.abandoned ? code : ERROR_CODES.internal, message, { context });
}

/**
 * Ingests one uploaded image through the pipeline and returns its processed record. The image
 * id is derived from the customer and `Idempotency-Key` when there is one, so a retried upload
 * (the same bytes and file name) returns the first result; anything else under that key is
 * refused (`requestDifference`, the comparison every path uses).
 *
 * @throws InvalidParameterError for a malformed `Idempotency-Key` or file name over its bounds.
 * @throws ImageTooLargeError over the image limit (nothing is stored).
 * @throws IdempotencyKeyReusedError (422) when the key was used for a different request (other
 *   bytes, another file name, or a URL import); the first record is left as it is.
 * @throws PipelineError with `context.imageId` when the record ended FAILED (its raw bytes kept,
 *   an `image.failed` notification sent): the record's code when the image was at fault, else
 *   `INTERNAL_ERROR` (or `DEPENDENCY_REJECTED`), which the error map answers as a generic 500.
 * @throws DependencyError when S3, DynamoDB or SNS fail; a retry with the same key is safe.
 * @example
 * const { image } = await createImage(deps, { customerId: 'acme', bytes, fileName: 'cat.jpg', requestId });
 */
export async function createImage(deps: CreateImageDependencies, input: CreateImageInput): Promise<CreateImageResult> {
  const key = input.idempotencyKey;
  const imageId = imageIdForRequest(input.customerId, key);
  // Bounds (length, control characters) are checked by the pipeline, the same as on the stream.
  const fileName = input.fileName === '' ? undefined : input.fileName;
  const { record, duplicate } = await deps.pipeline.ingest(
    { imageId, source: 'api', customerId: input.customerId, bytes: input.bytes, idempotencyKey: key, fileName, correlation: { requestId: input.requestId } },
    { rejectOversize: true },
  );
  const refusal = refusalFor(record);
  if (refusal !== undefined) throw refusal;
  return { image: await presentImage(deps.views, record), duplicate };
}
