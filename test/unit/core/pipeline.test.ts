/**
 * ImagePipeline over in-memory ports (test/helpers/in-memory-ports.ts, the same conditional
 * rules as the DynamoDB and S3 adapters): ingest, idempotent replay, every rejection kind, a
 * dependency failure part-way, the final-write race and the one notification. The real
 * adapters are exercised by test/integration/pipeline.test.ts.
 */
import { randomUUID } from 'node:crypto';
import {
  createTelemetry,
  DependencyError,
  ForbiddenSourceError,
  IdempotencyKeyReusedError,
  ImageTooLargeError,
  loadConfig,
  type Config,
  type FinalWrite,
  type ImageRecord,
  type RecordKey,
} from '../../../core';
import { ImagePipeline, type IngestRequest } from '../../../core/runtime';
import { InMemoryBlobStore, InMemoryMetadataStore, InMemoryNotifier } from '../../helpers/in-memory-ports';
import { makeDeepPngHeader, makeJpeg, makePixelBombPng, makeTruncatedJpeg } from '../../helpers/images';

const config = loadConfig({ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:1', LOG_LEVEL: 'SILENT' });
const LEASE_MS = 30_000;

/** Replaces `target[method]` for its next call only, with a rejection. */
function failNextCall<T extends object, K extends keyof T>(target: T, method: K, error: Error, when: (...args: never[]) => boolean = () => true): void {
  const original = target[method] as (...args: unknown[]) => Promise<unknown>;
  let failed = false;
  (target as Record<K, unknown>)[method] = (...args: unknown[]) => {
    if (!failed && (when as (...a: unknown[]) => boolean)(...args)) {
      failed = true;
      return Promise.reject(error);
    }
    return original.apply(target, args);
  };
}

function pipelineWith(settings: Pick<Config, 'limits'> = config, metadata = new InMemoryMetadataStore()) {
  const blobs = new InMemoryBlobStore();
  const notifier = new InMemoryNotifier();
  let nowMs = Date.now();
  const pipeline = new ImagePipeline({
    config: { ...config, limits: settings.limits },
    blobs,
    metadata,
    notifier,
    telemetry: createTelemetry({ serviceName: 'unit', logLevel: 'SILENT' }),
    clock: () => new Date(nowMs),
    notificationLeaseMs: LEASE_MS,
  });
  return { pipeline, blobs, metadata, notifier, advance: (ms: number) => (nowMs += ms), now: () => new Date(nowMs) };
}

const request = (bytes: Buffer, overrides: Partial<IngestRequest> = {}): IngestRequest => {
  const imageId = randomUUID();
  return { imageId, source: 'kafka', customerId: 'c-pipeline', idempotencyKey: imageId, bytes, ...overrides };
};

let jpeg: Buffer;
beforeAll(async () => {
  jpeg = await makeJpeg({ width: 320, height: 240 });
});

describe('ImagePipeline.ingest', () => {
  it('stores the raw bytes and every variant, records PROCESSED and announces it once', async () => {
    const { pipeline, blobs, metadata, notifier, now } = pipelineWith();
    const req = request(jpeg, { fileName: 'cat.jpg', attributes: { album: 'pets' } });

    const { record, duplicate } = await pipeline.ingest(req);

    expect(duplicate).toBe(false);
    expect(record).toMatchObject({ imageId: req.imageId, status: 'PROCESSED', source: 'kafka', format: 'jpeg', width: 320, height: 240, bytes: jpeg.length, fileName: 'cat.jpg', attributes: { album: 'pets' } });
    const variantKeys = Object.values(record.variants ?? {}).map((v) => `${config.processedBucket}/${v.key}`);
    expect(variantKeys.length).toBe(config.variants.length);
    expect(blobs.keys()).toEqual([`${record.raw.bucket}/${record.raw.key}`, ...variantKeys].sort());
    expect(await metadata.get(req.imageId, now())).toMatchObject({ status: 'PROCESSED', notifiedAt: expect.any(String) });
    expect(notifier.published.map((n) => [n.type, n.record.imageId])).toEqual([['image.processed', req.imageId]]);
  });

  it('a replay of the same id and bytes is a duplicate: nothing stored, written or announced again', async () => {
    const { pipeline, blobs, notifier } = pipelineWith();
    const req = request(jpeg);
    const first = await pipeline.ingest(req);
    const stored = blobs.keys();

    const replay = await pipeline.ingest({ ...req });

    expect(replay.duplicate).toBe(true);
    expect(replay.record).toMatchObject({ imageId: req.imageId, status: 'PROCESSED', sha256: first.record.sha256, updatedAt: first.record.updatedAt });
    expect(blobs.keys()).toEqual(stored);
    expect(notifier.published).toHaveLength(1);
  });

  it('the same id with other bytes is an IdempotencyKeyReusedError and changes nothing', async () => {
    const { pipeline, blobs, metadata, notifier, now } = pipelineWith();
    const req = request(jpeg);
    await pipeline.ingest(req);
    const stored = blobs.keys();

    await expect(pipeline.ingest({ ...req, bytes: await makeJpeg({ width: 32, height: 32 }) })).rejects.toBeInstanceOf(IdempotencyKeyReusedError);

    expect(blobs.keys()).toEqual(stored);
    expect((await metadata.get(req.imageId, now()))?.sha256).toBeDefined();
    expect(notifier.published).toHaveLength(1);
  });
});

describe('every rejection kind ends FAILED with its code and one image.failed', () => {
  const small = { limits: { ...config.limits, maxImageBytes: 2048 } };

  it.each([
    ['bytes that are not an image', 'UNSUPPORTED_IMAGE', () => Promise.resolve(Buffer.from('plain text, not an image'))],
    ['a truncated JPEG', 'UNDECODABLE_IMAGE', () => makeTruncatedJpeg({ width: 400, height: 300 })],
    ['a 400-megapixel PNG header', 'TOO_MANY_PIXELS', () => Promise.resolve(makePixelBombPng())],
    ['a 16-bit PNG needing more than the decode budget', 'DECODE_MEMORY_EXCEEDED', () => Promise.resolve(makeDeepPngHeader({ width: 9000, height: 9000 }))],
  ] as const)('%s: %s, raw bytes kept for inspection, no variants', async (_name, code, make) => {
    const { pipeline, blobs, notifier } = pipelineWith();
    const req = request(await make());

    const { record } = await pipeline.ingest(req);

    expect(record).toMatchObject({ status: 'FAILED', error: { code }, bytes: req.bytes.length });
    expect(record.variants).toBeUndefined();
    expect(blobs.keys()).toEqual([`${record.raw.bucket}/${record.raw.key}`]);
    expect(notifier.published.map((n) => [n.type, n.record.error?.code])).toEqual([['image.failed', code]]);
  });

  it.each([
    ['by one byte', 2049],
    ['far over', 2048 * 40],
  ])('bytes over the limit %s: IMAGE_TOO_LARGE, nothing kept (docs/image-sources.md)', async (_how, size) => {
    const { pipeline, blobs, notifier } = pipelineWith(small);
    const req = request(Buffer.alloc(size, 1));

    const { record } = await pipeline.ingest(req);

    expect(record).toMatchObject({ status: 'FAILED', bytes: 0, error: { code: 'IMAGE_TOO_LARGE', message: `the image is ${size} bytes; the limit is 2048` } });
    expect(blobs.keys()).toEqual([]);
    expect(notifier.published.map((n) => [n.type, n.record.error?.code])).toEqual([['image.failed', 'IMAGE_TOO_LARGE']]);
  });

  it('with rejectOversize (the REST body) it throws ImageTooLargeError and stores nothing at all', async () => {
    const { pipeline, blobs, metadata, notifier, now } = pipelineWith(small);
    const req = request(Buffer.alloc(2049, 1));

    await expect(pipeline.ingest(req, { rejectOversize: true })).rejects.toBeInstanceOf(ImageTooLargeError);

    expect(await metadata.get(req.imageId, now())).toBeUndefined();
    expect(blobs.keys()).toEqual([]);
    expect(notifier.published).toEqual([]);
  });

  it('a source that never gave bytes (recordUnavailable): FAILED with the reason, nothing kept', async () => {
    const { pipeline, blobs, notifier } = pipelineWith();
    const { bytes: _none, ...req } = request(jpeg);

    const { record } = await pipeline.recordUnavailable(req, new ForbiddenSourceError('s3://elsewhere is not an allowed source bucket'));

    expect(record).toMatchObject({ status: 'FAILED', bytes: 0, sha256: '', error: { code: 'FORBIDDEN_SOURCE' } });
    expect(blobs.keys()).toEqual([]);
    expect(notifier.published.map((n) => n.type)).toEqual(['image.failed']);
  });
});

describe('a dependency failure part-way leaves no half-written state', () => {
  it.each([
    ['S3 failing on a variant', 'blobs'],
    ['DynamoDB failing on the final write', 'metadata'],
  ] as const)('%s: the record stays RECEIVED and unannounced; the redelivery finishes it exactly once', async (_name, port) => {
    const { pipeline, blobs, metadata, notifier, now } = pipelineWith();
    const req = request(jpeg);
    const outage = new DependencyError(port === 'blobs' ? 'S3' : 'DynamoDB', 'ServiceUnavailable');
    if (port === 'blobs') failNextCall(blobs, 'put', outage, ((location: { bucket: string }) => location.bucket === config.processedBucket) as never);
    else failNextCall(metadata, 'markProcessed', outage);

    await expect(pipeline.ingest(req)).rejects.toBe(outage);

    const left = await metadata.get(req.imageId, now());
    expect(left).toMatchObject({ status: 'RECEIVED' });
    expect(left?.variants).toBeUndefined();
    expect(left?.notifiedAt).toBeUndefined();
    expect(notifier.published).toEqual([]);

    const redelivered = await pipeline.ingest({ ...req });

    expect(redelivered).toMatchObject({ duplicate: false, record: { status: 'PROCESSED' } });
    // Deterministic keys: the retry overwrote what the first attempt wrote, nothing extra is left.
    expect(blobs.keys().length).toBe(1 + config.variants.length);
    expect(notifier.published.map((n) => n.type)).toEqual(['image.processed']);
  });
});

/** A store in which another worker (e.g. the reconciler) makes the record final just before this worker's final write. */
class RacedMetadataStore extends InMemoryMetadataStore {
  raced = false;
  override async markProcessed(key: RecordKey, fields: Partial<ImageRecord>, now: Date, final: FinalWrite): Promise<boolean> {
    if (!this.raced) {
      this.raced = true;
      await super.markFailed(key, { error: { code: 'ABANDONED', message: 'the other worker gave up on it' } }, now, { notificationLeaseUntil: now.getTime() + LEASE_MS });
    }
    return super.markProcessed(key, fields, now, final);
  }
}

describe('the final-write race', () => {
  it('the loser neither overwrites nor announces; the winner’s status is announced once, after its lease', async () => {
    const metadata = new RacedMetadataStore();
    const { pipeline, notifier, advance, now } = pipelineWith(config, metadata);
    const req = request(jpeg);

    // The winner holds the notification lease: the loser asks to be delivered again.
    const lost = await pipeline.ingest(req).then(
      () => undefined,
      (error: unknown) => error,
    );

    expect(lost).toBeInstanceOf(DependencyError);
    expect((lost as DependencyError).retriable).toBe(true);
    expect(await metadata.get(req.imageId, now())).toMatchObject({ status: 'FAILED', error: { code: 'ABANDONED' } });
    expect(notifier.published).toEqual([]);

    // The winner died before publishing; once its lease ends the redelivery announces the stored status.
    advance(LEASE_MS + 1);
    const redelivered = await pipeline.ingest({ ...req });
    const again = await pipeline.ingest({ ...req });

    expect(redelivered.record.status).toBe('FAILED');
    expect(again.duplicate).toBe(true);
    expect(notifier.published.map((n) => [n.type, n.record.status, n.record.error?.code])).toEqual([['image.failed', 'FAILED', 'ABANDONED']]);
  });
});

describe('the notification is published once', () => {
  it('a failed publish gives the lease back; the redelivery publishes once and a later one is a duplicate', async () => {
    const { pipeline, metadata, notifier, now } = pipelineWith();
    const req = request(jpeg);
    failNextCall(notifier, 'publish', new DependencyError('SNS', 'Throttling'));

    await expect(pipeline.ingest(req)).rejects.toBeInstanceOf(DependencyError);
    const stored = await metadata.get(req.imageId, now());
    expect(stored?.status).toBe('PROCESSED');
    expect(stored?.notifiedAt).toBeUndefined();
    expect(notifier.published).toEqual([]);

    const second = await pipeline.ingest({ ...req });
    const third = await pipeline.ingest({ ...req });

    expect(second.duplicate).toBe(false);
    expect(third.duplicate).toBe(true);
    expect(notifier.published.map((n) => [n.type, n.record.imageId])).toEqual([['image.processed', req.imageId]]);
  });

  it('two workers delivering the same image at once publish one notification between them', async () => {
    const { pipeline, metadata, notifier, now } = pipelineWith();
    const req = request(jpeg);

    const outcomes = await Promise.allSettled([pipeline.ingest(req), pipeline.ingest({ ...req })]);

    // The one that lost the final write may be told to come back (the winner holds the lease), never anything else.
    for (const outcome of outcomes) if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(DependencyError);
    expect(outcomes.some((o) => o.status === 'fulfilled')).toBe(true);
    expect(await metadata.get(req.imageId, now())).toMatchObject({ status: 'PROCESSED', notifiedAt: expect.any(String) });
    expect(notifier.published.map((n) => n.type)).toEqual(['image.processed']);
  });
});
