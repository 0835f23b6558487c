import type { S3Event } from 'aws-lambda';
import { imageIdFromIncomingKey, PipelineError, type PipelineRuntime } from '../core';

/**
 * Runs the pipeline for presigned uploads that landed under `incoming/`. The customer comes from
 * the object's metadata, which the presigned policy pinned, never from the uploader's form.
 * Throws (so S3's async invocation or the local poller retries) only on dependency failures.
 */
export class UploadProcessor {
  constructor(private readonly runtime: PipelineRuntime) {}

  async handle(event: S3Event): Promise<void> {
    const { config, blobs, pipeline, telemetry } = this.runtime;
    try {
      for (const record of event.Records ?? []) {
        const bucket = record.s3.bucket.name;
        // S3 event keys are URL-encoded with '+' for spaces.
        const key = decodeURIComponent(record.s3.object.key.replace(/\+/g, ' '));
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
        if (customerId === undefined) {
          log.warn('ignoring an upload without the customer-id the presigned policy sets');
          continue;
        }
        const fileName = head.metadata['file-name'] === undefined ? undefined : decodeURIComponent(head.metadata['file-name']);
        const bytes = await blobs.get(location, config.limits.maxImageBytes + 1);
        await pipeline.ingest({ imageId, source: 'upload', customerId, bytes, fileName, correlation: { key } });
        // The raw copy now lives under raw/; the incoming object has served its purpose.
        await blobs.delete(location);
      }
    } finally {
      telemetry.flush();
    }
  }
}
