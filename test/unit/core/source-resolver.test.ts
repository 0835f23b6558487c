/**
 * The core's one image-source resolver: the same size rule for every source (inline, S3 claim
 * check, presigned upload, URL), each source's policy, and what is `unavailable` (an image
 * rejection, recorded with nothing kept) versus thrown (a dependency failure, retried; a bug).
 * In-memory ports; the real S3 and Kafka paths are in test/integration/oversize-sources.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { createTelemetry, DependencyError, ForbiddenSourceError, ImageTooLargeError, loadConfig, SourceFetchError, type FetchedBytes, type ImageFetcher, type ImageFetchRequest } from '../../../core';
import { HttpsImageFetcher, type fetchImage } from '../../../core/adapters/fetch';
import { claimCheckKey, incomingKey } from '../../../core/keys';
import { ImagePipeline } from '../../../core/runtime';
import { ImageSourceResolver, ingestFromSource, type ImageSourceRef } from '../../../core/sources';
import { InMemoryBlobStore, InMemoryMetadataStore, InMemoryNotifier } from '../../helpers/in-memory-ports';
import { makeJpeg } from '../../helpers/images';

const LIMIT = 4096;
const config = loadConfig({ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:1', LOG_LEVEL: 'SILENT', MAX_IMAGE_BYTES: String(LIMIT), RAW_BUCKET: 'raw-unit' });
const customerId = 'c-sources';

/** A fetcher that serves fixed bytes (or fails) and remembers what it was asked. */
class ScriptedFetcher implements ImageFetcher {
  readonly calls: { url: string; request: ImageFetchRequest }[] = [];
  constructor(private readonly answer: (url: string, request: ImageFetchRequest) => Promise<FetchedBytes>) {}
  fetch(url: string, request: ImageFetchRequest): Promise<FetchedBytes> {
    this.calls.push({ url, request });
    return this.answer(url, request);
  }
  refusal(): string | undefined {
    return undefined;
  }
}

/** What a URL fetch does with `bytes`: the real fetcher's cap, applied by the real adapter settings. */
const serving = (bytes: Buffer) => async (_url: string, request: ImageFetchRequest) => {
  if (bytes.length > request.maxBytes) throw new ImageTooLargeError(request.maxBytes, `the body is ${bytes.length} bytes; the limit is ${request.maxBytes}`);
  return { bytes };
};

function resolverWith(fetcher: ImageFetcher = new ScriptedFetcher(() => Promise.reject(new Error('no URL expected')))) {
  const blobs = new InMemoryBlobStore();
  return { blobs, resolver: new ImageSourceResolver({ config, blobs, fetcher }) };
}

describe('one size rule for every source', () => {
  const imageId = randomUUID();
  const claim = claimCheckKey(customerId, imageId);
  const upload = incomingKey(imageId);

  /** Each source kind holding `size` bytes. */
  async function sourceOf(kind: ImageSourceRef['kind'], size: number, blobs: InMemoryBlobStore): Promise<ImageSourceRef> {
    const bytes = Buffer.alloc(size, 7);
    switch (kind) {
      case 'inline':
        return { kind, data: bytes };
      case 's3':
        await blobs.put({ bucket: config.rawBucket, key: claim }, bytes, { contentType: 'image/jpeg' });
        return { kind, bucket: config.rawBucket, key: claim };
      case 'upload':
        await blobs.put({ bucket: config.rawBucket, key: upload }, bytes, { contentType: 'image/jpeg' });
        return { kind, bucket: config.rawBucket, key: upload };
      case 'url':
        return { kind, url: `https://images.example.com/${size}.jpg` };
    }
  }

  const KINDS = ['inline', 's3', 'upload', 'url'] as const;

  it.each(KINDS)('%s: exactly the limit gives the bytes', async (kind) => {
    const { blobs, resolver } = resolverWith(new ScriptedFetcher(serving(Buffer.alloc(LIMIT, 7))));

    const resolved = await resolver.resolve(await sourceOf(kind, LIMIT, blobs), { imageId, customerId });

    expect(resolved.kind).toBe('bytes');
    expect(resolved.kind === 'bytes' && resolved.bytes.length).toBe(LIMIT);
  });

  it.each(KINDS.flatMap((kind) => [[kind, 'by one byte', LIMIT + 1] as const, [kind, 'far over', LIMIT * 50] as const]))(
    '%s over the limit %s is unavailable with IMAGE_TOO_LARGE naming the limit',
    async (kind, _how, size) => {
      const { blobs, resolver } = resolverWith(new ScriptedFetcher(serving(Buffer.alloc(size, 7))));

      const resolved = await resolver.resolve(await sourceOf(kind, size, blobs), { imageId, customerId });

      expect(resolved.kind).toBe('unavailable');
      if (resolved.kind !== 'unavailable') return;
      expect(resolved.error.code).toBe('IMAGE_TOO_LARGE');
      expect(resolved.error.message).toContain(`${size} bytes; the limit is ${LIMIT}`);
    },
  );
});

describe('each source keeps its own policy', () => {
  it.each([
    ['an S3 reference outside the customer’s claim checks', { kind: 's3', bucket: 'raw-unit', key: 'raw/2026/01/01/x.jpg' }],
    ['another customer’s claim check', { kind: 's3', bucket: 'raw-unit', key: claimCheckKey('someone-else', 'e-1') }],
    ['an upload under another image’s incoming/ key', { kind: 'upload', bucket: 'raw-unit', key: incomingKey(randomUUID()) }],
    ['an upload in another bucket', { kind: 'upload', bucket: 'elsewhere', key: 'incoming/x' }],
  ] as [string, ImageSourceRef][])('%s is unavailable (FORBIDDEN_SOURCE) and nothing is read', async (_name, source) => {
    const imageId = randomUUID();
    const { blobs, resolver } = resolverWith();
    await blobs.put({ bucket: 'raw-unit', key: incomingKey(imageId) }, Buffer.from('x'), { contentType: 'image/jpeg' });
    const reads: string[] = [];
    const read = blobs.get.bind(blobs);
    blobs.get = (location, maxBytes) => {
      reads.push(location.key);
      return read(location, maxBytes);
    };

    const resolved = await resolver.resolve(source, { imageId, customerId, context: { eventId: imageId } });

    expect(resolved).toMatchObject({ kind: 'unavailable', error: { code: 'FORBIDDEN_SOURCE', context: { imageId, eventId: imageId } } });
    expect(reads).toEqual([]);
  });

  it('a missing claim check is unavailable (SOURCE_NOT_FOUND)', async () => {
    const { resolver } = resolverWith();

    const resolved = await resolver.resolve({ kind: 's3', bucket: 'raw-unit', key: claimCheckKey(customerId, 'gone') }, { imageId: randomUUID(), customerId });

    expect(resolved).toMatchObject({ kind: 'unavailable', error: { code: 'SOURCE_NOT_FOUND' } });
  });

  it('a URL is fetched with the size limit and the error context; its failure is unavailable', async () => {
    const fetcher = new ScriptedFetcher(() => Promise.reject(new SourceFetchError('HTTP 404 after 1 attempt')));
    const { resolver } = resolverWith(fetcher);
    const imageId = randomUUID();

    const resolved = await resolver.resolve({ kind: 'url', url: 'https://images.example.com/a.jpg' }, { imageId, customerId, context: { eventId: imageId } });

    expect(resolved).toMatchObject({ kind: 'unavailable', error: { code: 'SOURCE_FETCH_FAILED' } });
    expect(fetcher.calls).toEqual([{ url: 'https://images.example.com/a.jpg', request: { maxBytes: LIMIT, context: { imageId, eventId: imageId } } }]);
  });

  it('the HTTPS fetcher built from config hands the per-attempt timeout, the deadline and the port policy to every download', async () => {
    const seen: unknown[] = [];
    const download: typeof fetchImage = async (url, options) => {
      seen.push(options);
      return { bytes: Buffer.from('ok'), finalUrl: url, attempts: 1 };
    };

    await HttpsImageFetcher.fromConfig(config, download).fetch('https://images.example.com/a.jpg', { maxBytes: 123, context: { eventId: 'e-1' } });

    expect(seen).toEqual([
      { allowLoopback: config.fetch.allowLoopback, allowedPorts: config.fetch.allowedPorts, timeoutMs: config.fetch.timeoutMs, deadlineMs: config.fetch.deadlineMs, maxBytes: 123, context: { eventId: 'e-1' } },
    ]);
  });
});

describe('what is thrown instead of recorded', () => {
  it.each([
    ['a retriable S3 failure', new DependencyError('S3', 'GetObject failed: SlowDown')],
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'x')")],
  ])('%s is thrown, never turned into an unavailable image', async (_name, failure) => {
    const blobs = new InMemoryBlobStore();
    blobs.get = () => Promise.reject(failure);
    const resolver = new ImageSourceResolver({ config, blobs, fetcher: new ScriptedFetcher(() => Promise.reject(failure)) });

    await expect(resolver.resolve({ kind: 's3', bucket: 'raw-unit', key: claimCheckKey(customerId, 'k') }, { imageId: randomUUID(), customerId })).rejects.toBe(failure);
  });

  it('an unknown source kind is a typed InvalidParameterError', async () => {
    const { resolver } = resolverWith();

    await expect(resolver.resolve({ kind: 'ftp' } as unknown as ImageSourceRef, { imageId: randomUUID(), customerId })).rejects.toMatchObject({ code: 'INVALID_PARAMETER' });
  });
});

describe('ingestFromSource records the outcome the same way for every path', () => {
  function runtimeWith(fetcher: ImageFetcher) {
    const blobs = new InMemoryBlobStore();
    const metadata = new InMemoryMetadataStore();
    const notifier = new InMemoryNotifier();
    const pipeline = new ImagePipeline({ config, blobs, metadata, notifier, telemetry: createTelemetry({ serviceName: 'unit', logLevel: 'SILENT' }) });
    return { blobs, metadata, notifier, pipeline, sources: new ImageSourceResolver({ config, blobs, fetcher }) };
  }

  it('an oversize source ends FAILED (IMAGE_TOO_LARGE) with nothing kept and one image.failed', async () => {
    const runtime = runtimeWith(new ScriptedFetcher(serving(Buffer.alloc(LIMIT + 1))));
    const imageId = randomUUID();

    const { record } = await ingestFromSource(runtime, { imageId, source: 'kafka', customerId, idempotencyKey: imageId }, { kind: 'url', url: 'https://images.example.com/big.jpg' });

    expect(record).toMatchObject({ status: 'FAILED', bytes: 0, error: { code: 'IMAGE_TOO_LARGE' } });
    expect(runtime.blobs.keys()).toEqual([]);
    expect(runtime.notifier.published.map((n) => [n.type, n.record.error?.code])).toEqual([['image.failed', 'IMAGE_TOO_LARGE']]);
  });

  it('resolved bytes go through the pipeline; a final image is not fetched again', async () => {
    const jpeg = await makeJpeg({ width: 40, height: 30 });
    expect(jpeg.length).toBeLessThanOrEqual(LIMIT);
    const fetcher = new ScriptedFetcher(serving(jpeg));
    const runtime = runtimeWith(fetcher);
    const imageId = randomUUID();
    const request = { imageId, source: 'kafka' as const, customerId, idempotencyKey: imageId };

    const first = await ingestFromSource(runtime, request, { kind: 'url', url: 'https://images.example.com/a.jpg' });
    const again = await ingestFromSource(runtime, request, { kind: 'url', url: 'https://images.example.com/a.jpg' });

    expect(first).toMatchObject({ duplicate: false, record: { status: 'PROCESSED', bytes: jpeg.length } });
    expect(again).toMatchObject({ duplicate: true, record: { status: 'PROCESSED' } });
    expect(fetcher.calls.length).toBe(1);
    expect(runtime.notifier.published.length).toBe(1);
  });

  it('a forbidden source is recorded FAILED without anything being read', async () => {
    const runtime = runtimeWith(new ScriptedFetcher(() => Promise.reject(new Error('no URL expected'))));
    const imageId = randomUUID();

    const { record } = await ingestFromSource(runtime, { imageId, source: 'kafka', customerId }, { kind: 's3', bucket: 'raw-unit', key: 'processed/x/thumbnail.jpg' });

    expect(record).toMatchObject({ status: 'FAILED', error: { code: new ForbiddenSourceError('x').code } });
    expect(runtime.blobs.keys()).toEqual([]);
  });
});
