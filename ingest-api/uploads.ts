import type { S3Event } from 'aws-lambda';
import { assertCustomerIdBounds, imageIdFromIncomingKey, isRetriable, PipelineError, ERROR_CODES } from '../core';
import { type PipelineRuntime } from '../core/runtime';
import { ingestFromSource } from '../core/sources';

/** Reads the percent-encoded file name the presigned policy pinned; a malformed one is dropped, not fatal. */
function fileNameFromMetadata(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/**
 * Runs the pipeline for presigned uploads that landed under `incoming/`, through the core's
 * source resolver (the same size rule as every other source). The customer comes from
 * the object's metadata, which the presigned policy pinned, never from the uploader's form.
 * Throws (so S3's async invocation or the local poller retries, then the on-failure
 * destination keeps the event) only on retriable dependency failures. Any other failure gives
 * up on the image: it ends FAILED with the reason, is announced, and its `incoming/` object is
 * removed.
 */
export class UploadProcessor {
  constructor(private readonly runtime: PipelineRuntime) {}

  async handle(event: S3Event): Promise<void> {
    const { config, blobs, telemetry } = this.runtime;
    try {
      for (const record of event.Records ?? []) {
        const bucket = record.s3.bucket.name;
        let key: string;
        try {
          // S3 event keys are URL-encoded with '+' for spaces.
          key = decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
        } catch {
          telemetry.warn('ignoring an S3 event whose key is not valid percent-encoding', { bucket });
          continue;
        }
        const imageId = imageIdFromIncomingKey(key);
        const log = telemetry.child({ imageId, bucket, key, eventName: record.eventName });
        if (bucket !== config.rawBucket || imageId === undefined || !record.eventName.startsWith('ObjectCreated')) {
          log.warn('ignoring an S3 event outside incoming/ of the raw bucket');
          continue;
        }
        const location = { bucket, key };
        let head;
        try {
          head = await blobs.head(location);
        } catch (error) {
          // Already processed and deleted by an earlier delivery of the same event.
          if (error instanceof PipelineError && error.code === 'SOURCE_NOT_FOUND') continue;
          throw error;
        }
        const customerId = head.metadata['customer-id'];
        const fileName = fileNameFromMetadata(head.metadata['file-name']);
        try {
          assertCustomerIdBounds(customerId, 'customer-id metadata');
          // The core's one resolver: an object over MAX_IMAGE_BYTES is refused without reading it
          // and recorded FAILED (IMAGE_TOO_LARGE) with nothing kept, as on the stream path.
          await ingestFromSource(this.runtime, { imageId, source: 'upload', customerId, fileName, correlation: { key } }, { kind: 'upload', bucket, key });
        } catch (error) {
          if (isRetriable(error)) throw error;
          await this.giveUp(imageId, customerId, fileName, key, error);
        }
        // The raw copy now lives under raw/ (or the upload was refused); the incoming object has served its purpose.
        await blobs.delete(location);
      }
    } finally {
      telemetry.flush();
    }
  }

  /** A non-retriable failure: FAILED with the reason and announced, when there is a customer to announce it to. */
  private async giveUp(imageId: string, customerId: string | undefined, fileName: string | undefined, key: string, error: unknown): Promise<void> {
    const { pipeline, telemetry } = this.runtime;
    const log = telemetry.child({ imageId, key });
    const reason = error instanceof PipelineError ? error : new PipelineError(ERROR_CODES.internal, 'an internal error stopped processing this upload', { cause: error });
    log.warn('giving up on an upload', { errorCode: reason.code, error: reason.message });
    try {
      assertCustomerIdBounds(customerId);
      await pipeline.recordUnavailable({ imageId, source: 'upload', customerId, fileName, correlation: { key } }, reason);
    } catch (recordError) {
      if (isRetriable(recordError)) throw recordError;
      // No valid customer (the policy pins one, so this object did not come through it) or a
      // file name over its bounds: retry without it; otherwise the log is the only trace.
      if (fileName !== undefined && customerId !== undefined) {
        await this.giveUp(imageId, customerId, undefined, key, error);
        return;
      }
      log.error('could not record the upload as FAILED', { error: (recordError as Error)?.message ?? String(recordError) });
    }
  }
}
