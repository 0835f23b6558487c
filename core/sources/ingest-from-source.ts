import type { ErrorContext } from '../errors';
import type { ImagePipeline, IngestRequest, IngestResult } from '../pipeline';
import type { ImageSourceRef, ImageSourceResolver } from './resolver';

/** What {@link ingestFromSource} needs: the pipeline and the resolver, as the runtime holds them. */
export interface SourceIngestDependencies {
  pipeline: Pick<ImagePipeline, 'ingest' | 'recordUnavailable' | 'finishedResult'>;
  sources: Pick<ImageSourceResolver, 'resolve'>;
}

/**
 * The one way an asynchronous path (stream event, presigned upload, any further event source)
 * turns a source into a final record: an image already final is answered from its record
 * without reading the source again (it may be slow, gone or changed since; inline bytes cost
 * nothing to re-read and the pipeline's conditional create recognises them); otherwise the
 * source is resolved and its bytes ingested, or — when it is unavailable — the image is
 * recorded `FAILED` with the reason and nothing kept, and announced once.
 *
 * @param context copied onto the source's errors, e.g. `{ eventId }`.
 * @throws DependencyError (retriable) when S3, DynamoDB or SNS fail; a retry is safe.
 * @throws IdempotencyKeyReusedError when the id exists for a different request (see `requestDifference`).
 * @throws InvalidParameterError when the request is over a bound.
 * @example
 * const { record } = await ingestFromSource(runtime, { imageId, source: 'kafka', customerId }, { kind: 'url', url });
 */
export async function ingestFromSource(deps: SourceIngestDependencies, request: Omit<IngestRequest, 'bytes'>, source: ImageSourceRef, context?: ErrorContext): Promise<IngestResult> {
  const { pipeline, sources } = deps;
  if (source.kind !== 'inline') {
    const finished = await pipeline.finishedResult(request);
    if (finished !== undefined) return finished;
  }
  const resolved = await sources.resolve(source, { imageId: request.imageId, customerId: request.customerId, context });
  return resolved.kind === 'bytes' ? pipeline.ingest({ ...request, bytes: resolved.bytes }) : pipeline.recordUnavailable(request, resolved.error);
}
