import { UrlNotAllowedError, assertSameRequest, type ImageFetcher, type ImportQueue, type UrlImportJob } from '../../core';
import { isAwaitingBytes, type ImagePipeline } from '../../core/runtime';
import type { UrlImportRequest } from '../request-body';
import { imageIdForRequest } from './create-image';
import { presentImage, type ImageView, type ImageViewDependencies } from './image-view';

/** What a URL import needs: the pipeline's pending record, the fetcher's URL rule, the hand-off queue, and how to show a record. */
export interface ImportImageDependencies {
  pipeline: Pick<ImagePipeline, 'recordPending'>;
  /** The same fetcher the worker downloads with: its rule refuses a URL that could never be fetched. */
  fetcher: Pick<ImageFetcher, 'refusal'>;
  queue: ImportQueue;
  views: ImageViewDependencies;
}

/** One URL import, already read from the request. */
export interface ImportImageInput {
  customerId: string;
  request: UrlImportRequest;
  /** The `Idempotency-Key` header as sent, if any. */
  idempotencyKey?: string;
  /** Correlates the log lines of the API and the worker with the request. */
  requestId: string;
}

/** An accepted URL import: its record (RECEIVED until the worker finishes), and whether an earlier request with the same key made it. */
export interface ImportImageResult {
  image: ImageView;
  /** True when the `Idempotency-Key` was seen before and nothing new was made. */
  duplicate: boolean;
}

/**
 * Accepts an image to be downloaded from a URL: refuses at once a URL the fetcher's rule could
 * never fetch (scheme, port, a literal forbidden address, `localhost`), records the image
 * RECEIVED with its source URL, and hands the download to the import worker through the queue.
 * The worker downloads through the SSRF-safe fetcher (a hostname resolving to a forbidden
 * address ends FAILED there), runs the pipeline, and announces `image.processed` or
 * `image.failed`.
 *
 * `request.url` is the canonical form the body reader made (`canonicalSourceUrl`): it is what is
 * judged, recorded, queued, fetched and announced, and what a replay is compared on.
 *
 * A replay with the same `Idempotency-Key` and the same request (URL, file name, attributes)
 * returns the first record; while that record still waits for its bytes the job is handed over
 * again (the first hand-off may have failed after the record was made; the worker repeats
 * nothing that was finished).
 *
 * @throws InvalidParameterError for a malformed `Idempotency-Key`, or a file name or attributes over their bounds.
 * @throws UrlNotAllowedError (400) when the URL itself shows it cannot be fetched; nothing is stored.
 * @throws IdempotencyKeyReusedError (422) when the key was used for a different request (another
 *   URL, file name or attributes, or an upload); the first record is left as it is.
 * @throws DependencyError when DynamoDB or SQS fail; a retry with the same key is safe.
 * @example
 * const { image } = await importImage(deps, { customerId: 'acme', request: { url: 'https://images.example.com/cat.jpg' }, requestId });
 * image.status; // 'RECEIVED'
 */
export async function importImage(deps: ImportImageDependencies, input: ImportImageInput): Promise<ImportImageResult> {
  const { customerId, request, idempotencyKey, requestId } = input;
  const imageId = imageIdForRequest(customerId, idempotencyKey);
  const refusal = deps.fetcher.refusal(request.url);
  if (refusal !== undefined) throw new UrlNotAllowedError(refusal);
  const job: UrlImportJob = { imageId, customerId, url: request.url, fileName: request.fileName, attributes: request.attributes, idempotencyKey, requestId };
  const { record, created } = await deps.pipeline.recordPending({
    imageId,
    source: 'api',
    customerId,
    fileName: request.fileName,
    attributes: request.attributes,
    idempotencyKey,
    sourceUrl: request.url,
    correlation: { requestId },
  });
  if (!created) {
    assertSameRequest(record, { customerId, idempotencyKey, sourceUrl: request.url, fileName: request.fileName, attributes: request.attributes });
    if (isAwaitingBytes(record)) await deps.queue.enqueue(job);
    return { image: await presentImage(deps.views, record), duplicate: true };
  }
  await deps.queue.enqueue(job);
  return { image: await presentImage(deps.views, record), duplicate: false };
}
