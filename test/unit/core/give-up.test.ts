/**
 * Faults 2 and 5 of issue 12: every path that gives up on an image id leaves it final (FAILED
 * with the reason) and notified: a permanent dependency refusal, a bug, and a later delivery
 * whose source is unavailable after an earlier one left the record RECEIVED.
 */
import { randomUUID } from 'node:crypto';
import { InMemoryBlobStore, InMemoryMetadataStore, InMemoryNotifier } from '../../helpers/in-memory-ports';
import { DependencyError, DependencyRejectedError, InvalidParameterError, SourceFetchError, createTelemetry, loadConfig } from '../../../core';
import { ImagePipeline } from '../../../core/runtime';
import type { BlobStore, ObjectLocation, PutObjectOptions } from '../../../core';
import { makeJpeg } from '../../helpers/images';

const config = loadConfig({ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:1', LOG_LEVEL: 'SILENT' });

/** An in-memory blob store whose `put` fails with the given error while `failing` is set. */
class FailingBlobStore extends InMemoryBlobStore {
  failing: Error | undefined;
  override put(location: ObjectLocation, body: Buffer, options: PutObjectOptions): Promise<void> {
    return this.failing === undefined ? super.put(location, body, options) : Promise.reject(this.failing);
  }
}

function pipelineWith(blobs: BlobStore = new InMemoryBlobStore()) {
  const metadata = new InMemoryMetadataStore();
  const notifier = new InMemoryNotifier();
  const pipeline = new ImagePipeline({ config, blobs, metadata, notifier, telemetry: createTelemetry({ serviceName: 'unit', logLevel: 'SILENT' }) });
  return { pipeline, metadata, notifier };
}

const request = (bytes: Buffer) => ({ imageId: randomUUID(), source: 'kafka' as const, customerId: 'c-give-up', bytes });

describe('giving up on an image leaves it final and notified', () => {
  let jpeg: Buffer;
  beforeAll(async () => {
    jpeg = await makeJpeg({ width: 64, height: 48 });
  });

  it.each([
    ['S3 refusing the raw object (AccessDenied)', new DependencyRejectedError('S3', 'S3 refused PutObject (AccessDenied); not retried'), 'DEPENDENCY_REJECTED'],
    ['a bug in processing', new TypeError("Cannot read properties of undefined (reading 'x')"), 'INTERNAL_ERROR'],
    ['an invalid parameter from deep inside', new InvalidParameterError('Expected x for y but received z'), 'INVALID_PARAMETER'],
  ])('%s: FAILED with the reason and one image.failed', async (_name, failure, code) => {
    const blobs = new FailingBlobStore();
    blobs.failing = failure;
    const { pipeline, metadata, notifier } = pipelineWith(blobs);
    const req = request(jpeg);

    const result = await pipeline.ingest(req);

    expect(result.record.status).toBe('FAILED');
    expect(result.record.error?.code).toBe(code);
    expect((await metadata.get(req.imageId, new Date()))?.status).toBe('FAILED');
    expect(notifier.published.map((n) => [n.type, n.record.imageId])).toEqual([['image.failed', req.imageId]]);
    if (code === 'INTERNAL_ERROR') expect(result.record.error?.message).not.toContain('Cannot read');
  });

  it('a retriable dependency failure leaves the record RECEIVED for the redelivery, unannounced', async () => {
    const blobs = new FailingBlobStore();
    blobs.failing = new DependencyError('S3', 'S3 PutObject failed: ServiceUnavailable');
    const { pipeline, metadata, notifier } = pipelineWith(blobs);
    const req = request(jpeg);

    await expect(pipeline.ingest(req)).rejects.toBeInstanceOf(DependencyError);

    expect((await metadata.get(req.imageId, new Date()))?.status).toBe('RECEIVED');
    expect(notifier.published).toEqual([]);
  });

  it('S3 down on the first delivery, the URL answering 503 on the second: FAILED and notified, not stuck RECEIVED', async () => {
    const blobs = new FailingBlobStore();
    blobs.failing = new DependencyError('S3', 'S3 PutObject failed: ServiceUnavailable');
    const { pipeline, metadata, notifier } = pipelineWith(blobs);
    const req = request(jpeg);
    await expect(pipeline.ingest(req)).rejects.toBeInstanceOf(DependencyError);

    const { bytes: _bytes, ...withoutBytes } = req;
    const second = await pipeline.recordUnavailable(withoutBytes, new SourceFetchError('https://images.example.org/a.jpg answered HTTP 503'));

    expect(second.record.status).toBe('FAILED');
    expect(second.record.error?.code).toBe('SOURCE_FETCH_FAILED');
    expect((await metadata.get(req.imageId, new Date()))?.status).toBe('FAILED');
    expect(notifier.published.map((n) => [n.type, n.record.imageId, n.record.status])).toEqual([['image.failed', req.imageId, 'FAILED']]);
    // A third delivery repeats nothing.
    const third = await pipeline.recordUnavailable(withoutBytes, new SourceFetchError('again'));
    expect(third.duplicate).toBe(true);
    expect(notifier.published).toHaveLength(1);
  });

  it('refuses a request over a bound before storing anything', async () => {
    const { pipeline, metadata, notifier } = pipelineWith();
    const req = { ...request(jpeg), attributes: { blob: 'x'.repeat(420 * 1024) } };

    await expect(pipeline.ingest(req)).rejects.toBeInstanceOf(InvalidParameterError);
    await expect(pipeline.recordUnavailable(req, new SourceFetchError('x'))).rejects.toBeInstanceOf(InvalidParameterError);

    expect(await metadata.get(req.imageId, new Date())).toBeUndefined();
    expect(notifier.published).toEqual([]);
  });
});
