/**
 * The REST use cases (ingest-api/use-cases/) on plain inputs — a customer id, header values,
 * bytes — over in-memory fakes of the project’s ports (test/helpers/in-memory-ports.ts) and the real
 * pipeline: no API Gateway event, no AWS.
 */
import { randomUUID } from 'node:crypto';
import { InMemoryBlobStore, InMemoryMetadataStore, InMemoryNotifier } from '../../helpers/in-memory-ports';
import {
  DependencyRejectedError,
  ForbiddenError,
  IdempotencyKeyReusedError,
  ImageTooLargeError,
  InvalidParameterError,
  NotFoundError,
  PipelineError,
  createTelemetry,
  loadConfig,
  type BlobStore,
  type ImageRecord,
  type ObjectLocation,
  type PresignPostOptions,
  type PresignedPost,
} from '../../../core';
import { ImagePipeline, imageIdForKey } from '../../../core/runtime';
import { createImage } from '../../../ingest-api/use-cases/create-image';
import { createUpload } from '../../../ingest-api/use-cases/create-upload';
import { getImage } from '../../../ingest-api/use-cases/get-image';
import { listImages } from '../../../ingest-api/use-cases/list-images';
import { makeJpeg, randomBytes } from '../../helpers/images';

// An endpoint makes loadConfig() take the local defaults; nothing here talks to it.
const config = loadConfig({ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:1', LOG_LEVEL: 'SILENT', MAX_IMAGE_BYTES: String(2 * 1024 * 1024) });

/** The in-memory blob store, with URLs that name what they presign, and the presigned POSTs it made. */
function presigningBlobStore(): { blobs: BlobStore; posts: { location: ObjectLocation; options: PresignPostOptions }[] } {
  const posts: { location: ObjectLocation; options: PresignPostOptions }[] = [];
  const blobs: BlobStore = Object.assign(new InMemoryBlobStore(), {
    presignGet: (location: ObjectLocation, expiresInSeconds: number): Promise<string> => Promise.resolve(`memory://${location.bucket}/${location.key}?expires=${expiresInSeconds}`),
    presignPost: (location: ObjectLocation, options: PresignPostOptions): Promise<PresignedPost> => {
      posts.push({ location, options });
      return Promise.resolve({ url: `memory://${location.bucket}`, fields: { key: location.key } });
    },
  });
  return { blobs, posts };
}

function ports() {
  const { blobs } = presigningBlobStore();
  const metadata = new InMemoryMetadataStore();
  const notifier = new InMemoryNotifier();
  const pipeline = new ImagePipeline({ config, blobs, metadata, notifier, telemetry: createTelemetry({ serviceName: 'unit', logLevel: 'SILENT' }) });
  const views = { blobs, processedBucket: config.processedBucket, presignExpirySeconds: 900 };
  return { blobs, metadata, notifier, pipeline, views };
}

function record(customerId: string, createdAt: Date, fields: Partial<ImageRecord> = {}): ImageRecord {
  const imageId = randomUUID();
  return {
    imageId,
    status: 'PROCESSED',
    source: 'api',
    customerId,
    bytes: 10,
    sha256: 'ab'.repeat(32),
    raw: { bucket: config.rawBucket, key: `raw/x/${imageId}.jpg` },
    variants: { thumbnail: { key: `processed/${imageId}/thumbnail.jpg`, format: 'jpeg', contentType: 'image/jpeg', width: 200, height: 200, bytes: 5 } },
    createdAt: createdAt.toISOString(),
    updatedAt: createdAt.toISOString(),
    expiresAt: Math.floor(createdAt.getTime() / 1000) + 604_800,
    ...fields,
  };
}

describe('createImage', () => {
  let jpeg: Buffer;
  beforeAll(async () => {
    jpeg = await makeJpeg({ width: 320, height: 240 });
  });

  it('processes the image and shows it with presigned variant URLs', async () => {
    const { pipeline, views, notifier } = ports();
    const { image, duplicate } = await createImage({ pipeline, views }, { customerId: 'acme', bytes: jpeg, fileName: 'cat.jpg', requestId: 'r1' });
    expect(duplicate).toBe(false);
    expect(image).toMatchObject({ status: 'PROCESSED', source: 'api', customerId: 'acme', fileName: 'cat.jpg', format: 'jpeg', width: 320, height: 240 });
    expect(Object.keys(image.variants).length).toBeGreaterThan(0);
    for (const variant of Object.values(image.variants)) expect(variant.url).toBe(`memory://${config.processedBucket}/${variant.key}?expires=900`);
    expect(notifier.published.map((n) => n.type)).toEqual(['image.processed']);
  });

  it('the same Idempotency-Key again returns the first image, marked duplicate, with one notification', async () => {
    const { pipeline, views, notifier } = ports();
    const input = { customerId: 'acme', bytes: jpeg, idempotencyKey: 'order-17', requestId: 'r1' };
    const first = await createImage({ pipeline, views }, input);
    const second = await createImage({ pipeline, views }, { ...input, requestId: 'r2' });
    expect(first.image.imageId).toBe(imageIdForKey('acme', 'order-17'));
    expect([second.image.imageId, second.duplicate]).toEqual([first.image.imageId, true]);
    expect(notifier.published).toHaveLength(1);
  });

  it('the same key with other bytes is an IdempotencyKeyReusedError naming the image', async () => {
    const { pipeline, views } = ports();
    await createImage({ pipeline, views }, { customerId: 'acme', bytes: jpeg, idempotencyKey: 'k', requestId: 'r1' });
    const other = await makeJpeg({ width: 320, height: 240 }, 99);
    await expect(createImage({ pipeline, views }, { customerId: 'acme', bytes: other, idempotencyKey: 'k', requestId: 'r2' })).rejects.toMatchObject({
      constructor: IdempotencyKeyReusedError,
      context: { imageId: imageIdForKey('acme', 'k') },
    });
  });

  it('the same key with another file name, or with no file name, is refused; the first record stays as it was', async () => {
    const { pipeline, views, metadata } = ports();
    const first = await createImage({ pipeline, views }, { customerId: 'acme', bytes: jpeg, fileName: 'cat.jpg', idempotencyKey: 'k-f', requestId: 'r1' });
    const before = await metadata.get(first.image.imageId, new Date());

    for (const fileName of ['dog.jpg', undefined]) {
      const replayed = createImage({ pipeline, views }, { customerId: 'acme', bytes: jpeg, fileName, idempotencyKey: 'k-f', requestId: 'r2' });
      await expect(replayed).rejects.toMatchObject({ constructor: IdempotencyKeyReusedError, code: 'IDEMPOTENCY_KEY_REUSED', message: expect.stringMatching(/another fileName/) });
    }
    expect(await metadata.get(first.image.imageId, new Date())).toEqual(before);
  });

  it('the same key with the same bytes and file name (an empty name being none) is a replay', async () => {
    const { pipeline, views, notifier } = ports();
    const first = await createImage({ pipeline, views }, { customerId: 'acme', bytes: jpeg, idempotencyKey: 'k-same', requestId: 'r1' });
    const second = await createImage({ pipeline, views }, { customerId: 'acme', bytes: jpeg, fileName: '', idempotencyKey: 'k-same', requestId: 'r2' });
    expect([second.image.imageId, second.duplicate]).toEqual([first.image.imageId, true]);
    expect(notifier.published).toHaveLength(1);
  });

  it.each([
    ['empty', ''],
    ['with a space', 'with space'],
    ['256 characters', 'k'.repeat(256)],
    ['non-ASCII', 'caf\u00e9'],
    ['with a tab', 'tab\there'],
  ])('refuses an Idempotency-Key %s before storing anything', async (_name, key) => {
    const { pipeline, views, metadata } = ports();
    await expect(createImage({ pipeline, views }, { customerId: 'acme', bytes: jpeg, idempotencyKey: key, requestId: 'r' })).rejects.toBeInstanceOf(InvalidParameterError);
    expect((await metadata.listByCustomer('acme', { limit: 10 }, new Date())).items).toEqual([]);
  });

  it('a rejected image is thrown with the record’s code and id; the record is FAILED with its raw bytes kept', async () => {
    const { pipeline, views, metadata, blobs, notifier } = ports();
    const bytes = randomBytes(4096, 5);
    const error = (await createImage({ pipeline, views }, { customerId: 'acme', bytes, requestId: 'r' }).catch((e: unknown) => e)) as PipelineError;
    expect(error).toBeInstanceOf(PipelineError);
    expect(error.code).toBe('UNSUPPORTED_IMAGE');
    const stored = await metadata.get(error.context.imageId as string, new Date());
    expect(stored).toMatchObject({ status: 'FAILED', error: { code: 'UNSUPPORTED_IMAGE' } });
    expect(await blobs.get((stored as ImageRecord).raw, bytes.length)).toEqual(bytes);
    expect(notifier.published.map((n) => n.type)).toEqual(['image.failed']);
  });

  it.each([
    ['a permanent dependency refusal', 'DEPENDENCY_REJECTED', new DependencyRejectedError('S3', 'S3 refused PutObject (AccessDenied)')],
    ['a bug', 'INTERNAL_ERROR', new TypeError('x is undefined')],
    ['an invalid parameter from deep inside', 'INTERNAL_ERROR', new InvalidParameterError('Expected x for y but received z')],
  ])('a record FAILED by %s (not the image’s fault) is refused as %s, naming the image', async (_name, code, failure) => {
    const { blobs, metadata, notifier } = ports();
    blobs.put = () => Promise.reject(failure);
    const pipeline = new ImagePipeline({ config, blobs, metadata, notifier, telemetry: createTelemetry({ serviceName: 'unit', logLevel: 'SILENT' }) });
    const views = { blobs, processedBucket: config.processedBucket, presignExpirySeconds: 900 };
    const error = (await createImage({ pipeline, views }, { customerId: 'acme', bytes: await makeJpeg({ width: 32, height: 32 }), requestId: 'r' }).catch((e: unknown) => e)) as PipelineError;
    expect(error).toBeInstanceOf(PipelineError);
    expect(error.code).toBe(code);
    expect((await metadata.get(error.context.imageId as string, new Date()))?.status).toBe('FAILED');
  });

  it('bytes over the limit are an ImageTooLargeError and nothing is stored', async () => {
    const { pipeline, views, metadata } = ports();
    const bytes = Buffer.alloc(config.limits.maxImageBytes + 1, 1);
    await expect(createImage({ pipeline, views }, { customerId: 'acme', bytes, requestId: 'r' })).rejects.toBeInstanceOf(ImageTooLargeError);
    expect((await metadata.listByCustomer('acme', { limit: 10 }, new Date())).items).toEqual([]);
  });

  it('an empty file name is no file name', async () => {
    const { pipeline, views } = ports();
    const { image } = await createImage({ pipeline, views }, { customerId: 'acme', bytes: jpeg, fileName: '', requestId: 'r' });
    expect(image.fileName).toBeUndefined();
  });
});

describe('getImage', () => {
  it('shows the caller’s own image with presigned URLs', async () => {
    const { metadata, views } = ports();
    const mine = record('acme', new Date());
    await metadata.create(mine);
    const image = await getImage({ metadata, views }, { customerId: 'acme', imageId: mine.imageId });
    expect(image).toMatchObject({ imageId: mine.imageId, status: 'PROCESSED', variants: { thumbnail: { url: expect.stringContaining(`processed/${mine.imageId}/thumbnail.jpg`) } } });
  });

  it('another customer’s image is as invisible as a missing one: NotFoundError', async () => {
    const { metadata, views } = ports();
    const theirs = record('beta', new Date());
    await metadata.create(theirs);
    await expect(getImage({ metadata, views }, { customerId: 'acme', imageId: theirs.imageId })).rejects.toBeInstanceOf(NotFoundError);
    await expect(getImage({ metadata, views }, { customerId: 'acme', imageId: randomUUID() })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('an expired image is NotFoundError', async () => {
    const { metadata, views } = ports();
    const old = record('acme', new Date(Date.now() - 8 * 86_400_000));
    await metadata.create(old);
    await expect(getImage({ metadata, views }, { customerId: 'acme', imageId: old.imageId })).rejects.toBeInstanceOf(NotFoundError);
  });

  it.each([
    ['a path', '../../etc/passwd'],
    ['empty', ''],
    ['300 characters', 'x'.repeat(300)],
  ])('an id that is %s is an InvalidParameterError', async (_name, imageId) => {
    const { metadata, views } = ports();
    await expect(getImage({ metadata, views }, { customerId: 'acme', imageId })).rejects.toBeInstanceOf(InvalidParameterError);
  });
});

describe('listImages', () => {
  async function seeded() {
    const { metadata, views } = ports();
    const now = Date.now();
    const records = [record('acme', new Date(now - 3000)), record('acme', new Date(now - 1000), { status: 'FAILED' }), record('acme', new Date(now - 2000)), record('beta', new Date(now))];
    for (const r of records) await metadata.create(r);
    return { metadata, views, records };
  }

  it('lists only the caller’s images, newest first', async () => {
    const { metadata, views, records } = await seeded();
    const page = await listImages({ metadata, views }, { customerId: 'acme', query: {} });
    expect(page.items.map((i) => i.imageId)).toEqual([records[1], records[2], records[0]].map((r) => r?.imageId));
  });

  it('filters by status and honours the limit', async () => {
    const { metadata, views, records } = await seeded();
    expect((await listImages({ metadata, views }, { customerId: 'acme', query: { status: 'FAILED' } })).items.map((i) => i.imageId)).toEqual([records[1]?.imageId]);
    expect((await listImages({ metadata, views }, { customerId: 'acme', query: { limit: '1' } })).items).toHaveLength(1);
  });

  it('its own customer id in the query is allowed; another is ForbiddenError', async () => {
    const { metadata, views } = await seeded();
    expect((await listImages({ metadata, views }, { customerId: 'acme', query: { customerId: 'acme' } })).items).toHaveLength(3);
    await expect(listImages({ metadata, views }, { customerId: 'acme', query: { customerId: 'beta' } })).rejects.toBeInstanceOf(ForbiddenError);
  });

  it.each([
    ['status', { status: 'DONE' }],
    ['status', { status: 'processed' }],
    ['limit', { limit: '0' }],
    ['limit', { limit: '101' }],
    ['limit', { limit: '2.5' }],
    ['limit', { limit: 'ten' }],
    ['limit', { limit: '0x5' }],
    ['limit', { limit: '1e1' }],
    ['limit', { limit: ' 5' }],
    ['limit', { limit: '+5' }],
    ['limit', { limit: '' }],
  ])('an invalid %s (%j) is an InvalidParameterError naming it', async (parameter, query) => {
    const { metadata, views } = await seeded();
    await expect(listImages({ metadata, views }, { customerId: 'acme', query })).rejects.toMatchObject({ constructor: InvalidParameterError, context: { parameter } });
  });
});

describe('createUpload', () => {
  const deps = (blobs: BlobStore) => ({ blobs, rawBucket: 'raw-bucket', maxImageBytes: 10 * 1024 * 1024, presignExpirySeconds: 600 });

  it('presigns a POST under incoming/ that pins the customer and the percent-encoded file name', async () => {
    const { blobs, posts } = presigningBlobStore();
    const created = await createUpload(deps(blobs), { customerId: 'acme', fileName: '写真 1.jpg' });
    expect(created).toMatchObject({ maxBytes: 10 * 1024 * 1024, expiresInSeconds: 600, statusUrl: `/v1/images/${created.imageId}` });
    expect(posts).toEqual([
      {
        location: { bucket: 'raw-bucket', key: `incoming/${created.imageId}` },
        options: { maxBytes: 10 * 1024 * 1024, contentTypePrefix: 'image/', metadata: { 'customer-id': 'acme', 'file-name': encodeURIComponent('写真 1.jpg') }, expiresInSeconds: 600 },
      },
    ]);
  });

  it('refuses an Idempotency-Key (it could not be checked against a first request) and presigns nothing', async () => {
    const { blobs, posts } = presigningBlobStore();
    await expect(createUpload(deps(blobs), { customerId: 'acme', fileName: 'a.jpg', idempotencyKey: 'k-1' })).rejects.toMatchObject({
      code: 'INVALID_PARAMETER',
      context: { parameter: 'Idempotency-Key' },
      message: expect.stringMatching(/^POST \/v1\/uploads takes no Idempotency-Key/),
    });
    expect(posts).toEqual([]);
  });

  it('without a file name pins only the customer', async () => {
    const { blobs, posts } = presigningBlobStore();
    await createUpload(deps(blobs), { customerId: 'acme' });
    expect(posts[0]?.options.metadata).toEqual({ 'customer-id': 'acme' });
  });

  it.each([
    ['300 characters', 'n'.repeat(300)],
    ['a line break', 'line\nbreak.jpg'],
  ])('a file name with %s is an InvalidParameterError and nothing is presigned', async (_name, fileName) => {
    const { blobs, posts } = presigningBlobStore();
    await expect(createUpload(deps(blobs), { customerId: 'acme', fileName })).rejects.toBeInstanceOf(InvalidParameterError);
    expect(posts).toEqual([]);
  });
});
