/**
 * URL import without AWS: the JSON body reader, the `importImage` use case and the import worker
 * over in-memory fakes of the project's ports, with the real pipeline and the real fetcher rule.
 */
import { randomUUID } from 'node:crypto';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import {
  DependencyError,
  IdempotencyKeyReusedError,
  InvalidParameterError,
  MalformedRequestError,
  SourceFetchError,
  UrlNotAllowedError,
  createTelemetry,
  loadConfig,
  type FetchedBytes,
  type ImageFetcher,
  type ImportQueue,
  type UrlImportJob,
} from '../../../core';
import { HttpsImageFetcher } from '../../../core/adapters/fetch';
import { ImagePipeline, imageIdForKey } from '../../../core/runtime';
import { ImageSourceResolver } from '../../../core/sources';
import { UrlImportWorker, readUrlImportJob } from '../../../import-worker';
import { URL_IMPORT_MAX_BODY_BYTES, isJsonContentType, readUrlImportRequest } from '../../../ingest-api/request-body';
import { createImage } from '../../../ingest-api/use-cases/create-image';
import { importImage } from '../../../ingest-api/use-cases/import-image';
import { InMemoryBlobStore, InMemoryMetadataStore, InMemoryNotifier } from '../../helpers/in-memory-ports';
import { makeJpeg } from '../../helpers/images';

const config = loadConfig({ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:1', LOG_LEVEL: 'SILENT' });
const body = (value: unknown): Buffer => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

describe('readUrlImportRequest', () => {
  it('reads the url, an optional file name and attributes', () => {
    expect(readUrlImportRequest(body({ url: 'https://images.example.com/cat.jpg' }))).toEqual({ url: 'https://images.example.com/cat.jpg' });
    expect(readUrlImportRequest(body({ url: 'https://a.example/x', fileName: 'x.jpg', attributes: { album: 'summer' } }))).toEqual({ url: 'https://a.example/x', fileName: 'x.jpg', attributes: { album: 'summer' } });
  });

  it.each([
    ['not JSON', '{"url":', MalformedRequestError, /must be JSON/],
    ['an array', '[]', MalformedRequestError, /JSON object/],
    ['null', 'null', MalformedRequestError, /JSON object/],
    ['an unknown member', { url: 'https://a.example/x', callback: 'https://evil.example' }, InvalidParameterError, /unknown member "callback".*url, fileName, attributes/],
    ['no url', { fileName: 'x.jpg' }, InvalidParameterError, /for url but received undefined/],
    ['a url that is a number', { url: 42 }, InvalidParameterError, /for url but received 42 of type number/],
    ['an empty url', { url: '' }, InvalidParameterError, /for url/],
    ['a url over 2048 bytes', { url: `https://a.example/${'é'.repeat(1020)}` }, InvalidParameterError, /at most 2048 UTF-8 bytes for url/],
    ['a file name that is not a string', { url: 'https://a.example/x', fileName: 7 }, InvalidParameterError, /for fileName/],
    ['attributes that are an array', { url: 'https://a.example/x', attributes: ['a'] }, InvalidParameterError, /for attributes/],
    ['an attribute that is not a string', { url: 'https://a.example/x', attributes: { n: 1 } }, InvalidParameterError, /for attributes\.n/],
  ])('refuses %s with a typed error', (_name, given, type, message) => {
    const read = (): unknown => readUrlImportRequest(body(given));
    expect(read).toThrow(type);
    expect(read).toThrow(message);
  });

  it('refuses a body over its bound before parsing it', () => {
    const big = Buffer.alloc(URL_IMPORT_MAX_BODY_BYTES + 1, 0x20);
    expect(() => readUrlImportRequest(big)).toThrow(/at most 65536 bytes/);
  });

  it('is chosen by an application/json Content-Type, parameters allowed', () => {
    expect(isJsonContentType('application/json')).toBe(true);
    expect(isJsonContentType('Application/JSON; charset=utf-8')).toBe(true);
    expect(isJsonContentType('application/jsonp')).toBe(false);
    expect(isJsonContentType('image/jpeg')).toBe(false);
    expect(isJsonContentType(undefined)).toBe(false);
  });
});

/** An import queue that records what it was given, and can be told to fail. */
class RecordingQueue implements ImportQueue {
  readonly jobs: UrlImportJob[] = [];
  failing = false;
  enqueue(job: UrlImportJob): Promise<void> {
    if (this.failing) return Promise.reject(new DependencyError('SQS', 'SendMessage failed'));
    this.jobs.push(job);
    return Promise.resolve();
  }
}

/** A fetcher with the production URL rule and scripted downloads. */
class ScriptedFetcher implements ImageFetcher {
  private readonly rule = new HttpsImageFetcher({});
  calls = 0;
  constructor(private readonly answer: (url: string) => Promise<FetchedBytes>) {}
  fetch(url: string): Promise<FetchedBytes> {
    this.calls += 1;
    return this.answer(url);
  }
  refusal(url: string): string | undefined {
    return this.rule.refusal(url);
  }
}

function setUp(answer: (url: string) => Promise<FetchedBytes> = () => Promise.reject(new Error('no download expected'))) {
  const blobs = new InMemoryBlobStore();
  const metadata = new InMemoryMetadataStore();
  const notifier = new InMemoryNotifier();
  const telemetry = createTelemetry({ serviceName: 'unit', logLevel: 'SILENT' });
  const pipeline = new ImagePipeline({ config, blobs, metadata, notifier, telemetry });
  const fetcher = new ScriptedFetcher(answer);
  const queue = new RecordingQueue();
  const views = { blobs: Object.assign(blobs, { presignGet: () => Promise.resolve('memory://presigned') }), processedBucket: config.processedBucket, presignExpirySeconds: 900 };
  const sources = new ImageSourceResolver({ config, blobs, fetcher });
  const worker = new UrlImportWorker({ pipeline, sources, telemetry });
  return { blobs, metadata, notifier, pipeline, fetcher, queue, views, worker, deps: { pipeline, fetcher, queue, views } };
}

function sqsEvent(...bodies: string[]): SQSEvent {
  return {
    Records: bodies.map(
      (messageBody, i): SQSRecord => ({
        messageId: `m-${i}`,
        receiptHandle: `r-${i}`,
        body: messageBody,
        attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'x', ApproximateFirstReceiveTimestamp: '0' },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:imports',
        awsRegion: 'us-east-1',
      }),
    ),
  };
}

describe('importImage', () => {
  const url = 'https://images.example.com/cat.jpg';

  it('records the image RECEIVED with its source URL and hands the job to the queue', async () => {
    const { deps, queue, metadata } = setUp();

    const { image, duplicate } = await importImage(deps, { customerId: 'acme', request: { url, fileName: 'cat.jpg', attributes: { a: 'b' } }, requestId: 'req-1' });

    expect(duplicate).toBe(false);
    expect(image).toMatchObject({ status: 'RECEIVED', source: 'api', customerId: 'acme', sourceUrl: url, bytes: 0, sha256: '', fileName: 'cat.jpg' });
    expect(await metadata.get(image.imageId, new Date())).toMatchObject({ status: 'RECEIVED', sourceUrl: url, attributes: { a: 'b' } });
    expect(queue.jobs).toEqual([{ imageId: image.imageId, customerId: 'acme', url, fileName: 'cat.jpg', attributes: { a: 'b' }, idempotencyKey: undefined, requestId: 'req-1' }]);
  });

  it.each([
    ['plain http', 'http://images.example.com/cat.jpg', /scheme "http:" is not allowed/],
    ['ftp', 'ftp://images.example.com/cat.jpg', /scheme "ftp:" is not allowed/],
    ['localhost', 'https://localhost/cat.jpg', /host "localhost" is loopback/],
    ['a name under localhost', 'https://a.b.LOCALHOST./cat.jpg', /is loopback/],
    ['a loopback literal', 'https://127.0.0.1/cat.jpg', /127\.0\.0\.1 is/],
    ['an IPv6 loopback literal', 'https://[::1]/cat.jpg', /::1 is/],
    ['a link-local literal', 'https://169.254.169.254/latest/meta-data/', /169\.254\.169\.254 is/],
    ['a private literal', 'https://192.168.1.10/cat.jpg', /192\.168\.1\.10 is/],
    ['a port other than 443', 'https://images.example.com:8080/cat.jpg', /port 8080 is not allowed/],
    ['credentials in the URL', 'https://user:pw@images.example.com/cat.jpg', /embedded credentials/],
    ['not a URL', 'images.example.com/cat.jpg', /not a valid absolute URL/],
  ])('refuses %s at once: UrlNotAllowedError, nothing stored, nothing queued', async (_name, given, reason) => {
    const { deps, queue, metadata } = setUp();
    const key = randomUUID();

    const attempt = importImage(deps, { customerId: 'acme', request: { url: given }, idempotencyKey: key, requestId: 'r' });

    await expect(attempt).rejects.toThrow(UrlNotAllowedError);
    await expect(importImage(deps, { customerId: 'acme', request: { url: given }, idempotencyKey: key, requestId: 'r' })).rejects.toThrow(reason);
    expect(await metadata.get(imageIdForKey('acme', key), new Date())).toBeUndefined();
    expect(queue.jobs).toEqual([]);
  });

  it('replays an Idempotency-Key: the same record; handed over again only while it still waits for its bytes', async () => {
    const jpeg = await makeJpeg({ width: 64, height: 48 });
    const { deps, queue, worker } = setUp(() => Promise.resolve({ bytes: jpeg }));
    const input = { customerId: 'acme', request: { url }, idempotencyKey: 'k-1', requestId: 'r' };

    const first = await importImage(deps, input);
    const waiting = await importImage(deps, input);
    await worker.handle(sqsEvent(JSON.stringify(queue.jobs[0])));
    const finished = await importImage(deps, input);

    expect(first.image.imageId).toBe(imageIdForKey('acme', 'k-1'));
    expect(waiting).toMatchObject({ duplicate: true, image: { imageId: first.image.imageId, status: 'RECEIVED' } });
    expect(finished).toMatchObject({ duplicate: true, image: { imageId: first.image.imageId, status: 'PROCESSED' } });
    expect(queue.jobs).toHaveLength(2);
  });

  it('refuses the same key with another URL, or a key already used for an upload, as a conflict', async () => {
    const { deps, pipeline, views } = setUp();
    await importImage(deps, { customerId: 'acme', request: { url }, idempotencyKey: 'k-2', requestId: 'r' });
    await createImage({ pipeline, views }, { customerId: 'acme', bytes: await makeJpeg({ width: 8, height: 8 }), idempotencyKey: 'k-3', requestId: 'r' });

    await expect(importImage(deps, { customerId: 'acme', request: { url: `${url}?v=2` }, idempotencyKey: 'k-2', requestId: 'r' })).rejects.toThrow(IdempotencyKeyReusedError);
    await expect(importImage(deps, { customerId: 'acme', request: { url }, idempotencyKey: 'k-3', requestId: 'r' })).rejects.toThrow(IdempotencyKeyReusedError);
  });

  it.each([
    ['another fileName', { url, fileName: 'dog.jpg' }, /first requested with another fileName/],
    ['a fileName where the first had none', { url, fileName: 'cat.jpg', attributes: { album: 'summer' } }, /first requested with another fileName/],
    ['other attributes', { url, attributes: { album: 'winter' } }, /first requested with other attributes/],
    ['no attributes where the first had some', { url }, /first requested with other attributes/],
    ['another URL', { url: `${url}?v=2`, attributes: { album: 'summer' } }, /first requested with another URL/],
  ])('refuses a replay with %s (IDEMPOTENCY_KEY_REUSED), queues nothing and leaves the first record as it was', async (_name, replay, message) => {
    const { deps, queue, metadata } = setUp();
    const { image } = await importImage(deps, { customerId: 'acme', request: { url, attributes: { album: 'summer' } }, idempotencyKey: 'k-r', requestId: 'r' });
    const before = await metadata.get(image.imageId, new Date());

    const replayed = importImage(deps, { customerId: 'acme', request: replay, idempotencyKey: 'k-r', requestId: 'r' });

    await expect(replayed).rejects.toThrow(IdempotencyKeyReusedError);
    await expect(replayed).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED', context: { imageId: image.imageId } });
    await expect(replayed).rejects.toThrow(message);
    expect(queue.jobs).toHaveLength(1);
    expect(await metadata.get(image.imageId, new Date())).toEqual(before);
  });

  it('a replay spelling the same URL another way (case, default port, fragment) is the same request', async () => {
    const { deps } = setUp();
    const first = readUrlImportRequest(body({ url: 'https://images.example.com/cat.jpg', fileName: 'cat.jpg' }));
    const respelled = readUrlImportRequest(body({ url: 'HTTPS://Images.EXAMPLE.com:443/cat.jpg#top', fileName: 'cat.jpg' }));

    const accepted = await importImage(deps, { customerId: 'acme', request: first, idempotencyKey: 'k-c', requestId: 'r' });
    const replayed = await importImage(deps, { customerId: 'acme', request: respelled, idempotencyKey: 'k-c', requestId: 'r' });

    expect(replayed).toMatchObject({ duplicate: true, image: { imageId: accepted.image.imageId, sourceUrl: 'https://images.example.com/cat.jpg' } });
  });

  it('the import worker fetches and records the canonical URL the API accepted, and the notification carries it', async () => {
    const jpeg = await makeJpeg({ width: 16, height: 16 });
    const fetched: string[] = [];
    const { deps, queue, worker, notifier } = setUp((u) => (fetched.push(u), Promise.resolve({ bytes: jpeg })));
    const request = readUrlImportRequest(body({ url: 'HTTPS://Images.Example.COM:443/a/../cat.jpg#x' }));

    const { image } = await importImage(deps, { customerId: 'acme', request, requestId: 'r' });
    await worker.handle(sqsEvent(JSON.stringify(queue.jobs[0])));

    expect(image.sourceUrl).toBe('https://images.example.com/cat.jpg');
    expect(queue.jobs[0]?.url).toBe('https://images.example.com/cat.jpg');
    expect(fetched).toEqual(['https://images.example.com/cat.jpg']);
    expect(notifier.published.map((n) => [n.type, n.record.sourceUrl])).toEqual([['image.processed', 'https://images.example.com/cat.jpg']]);
  });

  it('an upload cannot give bytes to a URL import that waits for them (the same key is a conflict)', async () => {
    const { deps, pipeline, views, metadata } = setUp();
    const { image } = await importImage(deps, { customerId: 'acme', request: { url }, idempotencyKey: 'k-4', requestId: 'r' });

    await expect(createImage({ pipeline, views }, { customerId: 'acme', bytes: await makeJpeg({ width: 8, height: 8 }), idempotencyKey: 'k-4', requestId: 'r' })).rejects.toThrow(IdempotencyKeyReusedError);
    expect(await metadata.get(image.imageId, new Date())).toMatchObject({ status: 'RECEIVED', bytes: 0 });
  });

  it('a failed hand-off is a retriable DependencyError; the retry with the same key hands it over', async () => {
    const { deps, queue } = setUp();
    const input = { customerId: 'acme', request: { url }, idempotencyKey: 'k-5', requestId: 'r' };
    queue.failing = true;

    await expect(importImage(deps, input)).rejects.toThrow(DependencyError);
    queue.failing = false;
    const retried = await importImage(deps, input);

    expect(retried).toMatchObject({ duplicate: true, image: { status: 'RECEIVED' } });
    expect(queue.jobs.map((j) => j.imageId)).toEqual([imageIdForKey('acme', 'k-5')]);
  });
});

describe('UrlImportWorker', () => {
  const url = 'https://images.example.com/cat.jpg';

  it('downloads, processes the waiting record and announces it once; a redelivery repeats nothing', async () => {
    const jpeg = await makeJpeg({ width: 320, height: 240 });
    const { deps, queue, worker, metadata, notifier, fetcher } = setUp(() => Promise.resolve({ bytes: jpeg }));
    const { image } = await importImage(deps, { customerId: 'acme', request: { url }, requestId: 'r' });
    const message = JSON.stringify(queue.jobs[0]);

    const first = await worker.handle(sqsEvent(message));
    const again = await worker.handle(sqsEvent(message));

    expect(first).toEqual({ batchItemFailures: [] });
    expect(again).toEqual({ batchItemFailures: [] });
    expect(await metadata.get(image.imageId, new Date())).toMatchObject({ status: 'PROCESSED', format: 'jpeg', width: 320, height: 240, bytes: jpeg.length, sourceUrl: url });
    expect(notifier.published.map((n) => [n.type, n.record.imageId])).toEqual([['image.processed', image.imageId]]);
    expect(fetcher.calls).toBe(1);
  });

  it('a source that fails ends FAILED with the reason and image.failed, without a retry through the queue', async () => {
    const { deps, queue, worker, metadata, notifier } = setUp(() => Promise.reject(new SourceFetchError('Fetching https://images.example.com/cat.jpg failed after 3 attempts: HTTP 503')));
    const { image } = await importImage(deps, { customerId: 'acme', request: { url }, requestId: 'r' });

    const response = await worker.handle(sqsEvent(JSON.stringify(queue.jobs[0])));

    expect(response).toEqual({ batchItemFailures: [] });
    expect(await metadata.get(image.imageId, new Date())).toMatchObject({ status: 'FAILED', bytes: 0, error: { code: 'SOURCE_FETCH_FAILED', message: expect.stringMatching(/after 3 attempts/) } });
    expect(notifier.published.map((n) => n.type)).toEqual(['image.failed']);
  });

  it('bytes that are not an image end FAILED with the raw bytes kept and described', async () => {
    const junk = Buffer.from('not an image at all');
    const { deps, queue, worker, metadata, blobs } = setUp(() => Promise.resolve({ bytes: junk }));
    const { image } = await importImage(deps, { customerId: 'acme', request: { url }, requestId: 'r' });

    await worker.handle(sqsEvent(JSON.stringify(queue.jobs[0])));

    const final = await metadata.get(image.imageId, new Date());
    expect(final).toMatchObject({ status: 'FAILED', bytes: junk.length, error: { code: 'UNSUPPORTED_IMAGE' } });
    expect(final!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect((await blobs.get(final!.raw, 1024)).equals(junk)).toBe(true);
  });

  it('reports a dependency failure as a batch item failure (SQS redelivers it), and the malformed message too (for the DLQ)', async () => {
    const jpeg = await makeJpeg({ width: 16, height: 16 });
    const { deps, queue, worker, blobs, metadata } = setUp(() => Promise.resolve({ bytes: jpeg }));
    const { image } = await importImage(deps, { customerId: 'acme', request: { url }, requestId: 'r' });
    const put = blobs.put.bind(blobs);
    blobs.put = () => Promise.reject(new DependencyError('S3', 'PutObject failed'));

    const response = await worker.handle(sqsEvent(JSON.stringify(queue.jobs[0]), 'not json'));

    expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['m-0', 'm-1']);
    expect(await metadata.get(image.imageId, new Date())).toMatchObject({ status: 'RECEIVED' });
    blobs.put = put;
    expect(await worker.handle(sqsEvent(JSON.stringify(queue.jobs[0])))).toEqual({ batchItemFailures: [] });
    expect(await metadata.get(image.imageId, new Date())).toMatchObject({ status: 'PROCESSED' });
  });

  it('the reconciler recovers a URL import whose raw object was stored before the worker stopped', async () => {
    const jpeg = await makeJpeg({ width: 40, height: 30 });
    const { deps, pipeline, metadata, blobs } = setUp();
    const { image } = await importImage(deps, { customerId: 'acme', request: { url }, requestId: 'r' });
    const waiting = (await metadata.get(image.imageId, new Date()))!;
    await blobs.put(waiting.raw, jpeg, { contentType: 'image/jpeg' });

    const { outcome } = await pipeline.resumeReceived(waiting);

    expect(outcome).toBe('recovered');
    expect(await metadata.get(image.imageId, new Date())).toMatchObject({ status: 'PROCESSED', bytes: jpeg.length, width: 40, height: 30 });
  });

  it('readUrlImportJob refuses a body without its required fields', () => {
    expect(() => readUrlImportJob('{"imageId":"a","customerId":"b"}')).toThrow(/imageId, customerId and url are required/);
    expect(() => readUrlImportJob('{"imageId":"a","customerId":"b","url":"https://x","attributes":{"n":1}}')).toThrow(/attributes/);
    expect(readUrlImportJob('{"imageId":"a","customerId":"b","url":"https://x"}')).toMatchObject({ imageId: 'a', customerId: 'b', url: 'https://x' });
  });
});
