/**
 * The batch use case's own logic — concurrency, per-partition ordering of failures, routing of
 * outcomes — with in-memory ports. The real pipeline, Kafka and AWS stand-ins are exercised by
 * test/integration/stream-consumer.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { createTelemetry, loadConfig } from '../../../core';
import { type PipelineRuntime } from '../../../core/runtime';
import { DependencyError, ForbiddenSourceError, IdempotencyKeyReusedError, SourceNotFoundError } from '../../../core/errors';
import type { IngestRequest, IngestResult } from '../../../core/pipeline';
import type { BlobStore, ImageRecord } from '../../../core/ports';
import { HttpsImageFetcher, type fetchImage } from '../../../core/adapters/fetch';
import { ImageSourceResolver } from '../../../core/sources';
import { encodeImageEvent, type ImageEvent } from '../../../schemas';
import {
  StreamBatchProcessor,
  batchItemFailures,
  deadLetterMessage,
  DEAD_LETTER_HEADERS,
  type DeadLetter,
  type DeadLetterSink,
  type DeliveredRecord,
} from '../../../stream-consumer';

const config = loadConfig({ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:1', RECORD_CONCURRENCY: '3', LOG_LEVEL: 'SILENT' });

function record(partition: number, offset: number, value: Buffer | null): DeliveredRecord {
  return { topic: 'images', partition, offset, timestamp: 1_700_000_000_000 + offset, key: null, value, headers: {} };
}

function event(image: ImageEvent['image'], overrides: Partial<ImageEvent> = {}): ImageEvent {
  return { eventId: randomUUID(), occurredAt: new Date(), customerId: 'c-unit', attributes: {}, image, ...overrides };
}

const inline = (marker: string): ImageEvent['image'] => ({ kind: 'inline', data: Buffer.from(marker) });

/** A pipeline whose behaviour per image is chosen by the inline bytes' text. */
class ScriptedPipeline {
  inFlight = 0;
  maxInFlight = 0;
  readonly started: string[] = [];
  readonly finished: string[] = [];
  readonly unavailable: { imageId: string; code: string }[] = [];
  /** A `slow` record waits until this many other records finished (at most 5 s), not a fixed time. */
  slowWaitsFor = 0;

  async ingest(request: IngestRequest): Promise<IngestResult> {
    const script = request.bytes.toString();
    this.started.push(script);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (script.startsWith('slow')) {
        const until = Date.now() + 5000;
        while (this.finished.length < this.slowWaitsFor && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 5));
      } else {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      if (script.startsWith('dependency')) throw new DependencyError('DynamoDB', 'PutItem failed: ServiceUnavailable');
      if (script.startsWith('conflict')) throw new IdempotencyKeyReusedError('exists with other bytes');
      if (script.startsWith('bug')) throw new TypeError("Cannot read properties of undefined (reading 'x')");
      return { record: { imageId: request.imageId, status: script.startsWith('bad') ? 'FAILED' : 'PROCESSED' } as ImageRecord, duplicate: false };
    } finally {
      this.inFlight -= 1;
      this.finished.push(script);
    }
  }

  /** Image ids already final, as the metadata store would have them. */
  readonly finishedIds = new Map<string, ImageRecord['status']>();

  async finishedResult(request: Pick<IngestRequest, 'imageId'>): Promise<IngestResult | undefined> {
    const status = this.finishedIds.get(request.imageId);
    return status === undefined ? undefined : { record: { imageId: request.imageId, status } as ImageRecord, duplicate: true };
  }

  async recordUnavailable(request: Omit<IngestRequest, 'bytes'>, error: { code: string }): Promise<IngestResult> {
    this.unavailable.push({ imageId: request.imageId, code: error.code });
    return { record: { imageId: request.imageId, status: 'FAILED' } as ImageRecord, duplicate: false };
  }
}

class MemoryDeadLetters implements DeadLetterSink {
  readonly letters: DeadLetter[] = [];
  failing = false;
  async send(letter: DeadLetter): Promise<void> {
    if (this.failing) throw new DependencyError('Kafka', 'broker unavailable');
    this.letters.push(letter);
  }
  async close(): Promise<void> {}
}

function processorWith(
  blobs: Partial<BlobStore> = {},
  download: typeof fetchImage = async (url) => Promise.reject(new Error(`unexpected download of ${url}`)),
): { processor: StreamBatchProcessor; pipeline: ScriptedPipeline; deadLetters: MemoryDeadLetters } {
  const pipeline = new ScriptedPipeline();
  const deadLetters = new MemoryDeadLetters();
  const runtime = {
    config,
    pipeline: pipeline as unknown as PipelineRuntime['pipeline'],
    // The real resolver and fetcher settings, over the given S3 reads and downloads.
    sources: new ImageSourceResolver({ config, blobs: blobs as BlobStore, fetcher: HttpsImageFetcher.fromConfig(config, download) }),
    telemetry: createTelemetry({ serviceName: 'unit', logLevel: 'SILENT' }),
  };
  return { processor: new StreamBatchProcessor({ runtime, deadLetters }), pipeline, deadLetters };
}

describe('StreamBatchProcessor', () => {
  it('runs records concurrently up to recordConcurrency, so one slow record does not serialise the batch', async () => {
    const { processor, pipeline } = processorWith();
    const records = ['slow-0', 'a', 'b', 'c', 'd', 'e'].map((m, i) => record(i % 2, i, encodeImageEvent(event(inline(m)))));
    // Only if the others do not wait for it can all five finish while it is still running.
    pipeline.slowWaitsFor = 5;

    const results = await processor.process(records);

    expect(results.every((r) => r.outcome.kind === 'ingested')).toBe(true);
    expect(pipeline.maxInFlight).toBe(config.stream.recordConcurrency);
    // The slow record started first and finished last: the others did not wait for it.
    expect(pipeline.started[0]).toBe('slow-0');
    expect(pipeline.finished).toEqual(['a', 'b', 'c', 'd', 'e', 'slow-0']);
  });

  it('after a dependency failure, does not start later records of that partition and reports the failure first', async () => {
    const { processor, pipeline } = processorWith();
    const records = [
      // Three workers: 10 is still running and 12 is done when 11 fails, so 13 comes after the failure.
      record(0, 10, encodeImageEvent(event(inline('slow-10')))),
      record(0, 11, encodeImageEvent(event(inline('dependency-11')))),
      record(0, 12, encodeImageEvent(event(inline('ok-12')))),
      record(0, 13, encodeImageEvent(event(inline('ok-13')))),
      record(1, 20, encodeImageEvent(event(inline('ok-20')))),
      record(1, 21, encodeImageEvent(event(inline('ok-21')))),
    ];
    // 10 runs until 11 (failed) and 12 have finished.
    pipeline.slowWaitsFor = 2;

    const results = await processor.process(records);

    expect(results.map((r) => `${r.position.offset}:${r.outcome.kind}`)).toEqual(['10:ingested', '11:retry', '12:ingested', '13:skipped', '20:ingested', '21:ingested']);
    expect(pipeline.started).not.toContain('ok-13');
    expect(batchItemFailures(results)).toEqual({ batchItemFailures: [{ itemIdentifier: { partition: 'images-0', offset: 11 } }] });
  });

  it('once mayStart says no, starts nothing more: the records left are skipped and each partition resumes at its first', async () => {
    const { processor, pipeline } = processorWith();
    const records = [0, 1, 2, 3, 4, 5].map((i) => record(i % 2, 10 + i, encodeImageEvent(event(inline(`ok-${i}`)))));
    let asked = 0;
    // Yes for the second and third record, no from the fourth on (the first is never asked).
    const results = await processor.process(records, { mayStart: () => ++asked <= 2 });

    expect(results.map((r) => `${r.position.partition}@${r.position.offset}:${r.outcome.kind}`)).toEqual(['0@10:ingested', '1@11:ingested', '0@12:ingested', '1@13:skipped', '0@14:skipped', '1@15:skipped']);
    expect(pipeline.started.sort()).toEqual(['ok-0', 'ok-1', 'ok-2']);
    expect(batchItemFailures(results)).toEqual({
      batchItemFailures: [{ itemIdentifier: { partition: 'images-0', offset: 14 } }, { itemIdentifier: { partition: 'images-1', offset: 13 } }],
    });
  });

  it('always starts the first record, even when mayStart says no from the outset, so every invocation makes progress', async () => {
    const { processor, pipeline } = processorWith();
    const records = [0, 1, 2].map((i) => record(0, i, encodeImageEvent(event(inline(`ok-${i}`)))));

    const results = await processor.process(records, { mayStart: () => false });

    expect(results.map((r) => r.outcome.kind)).toEqual(['ingested', 'skipped', 'skipped']);
    expect(pipeline.started).toEqual(['ok-0']);
    expect(batchItemFailures(results)).toEqual({ batchItemFailures: [{ itemIdentifier: { partition: 'images-0', offset: 1 } }] });
  });

  it('dead-letters undecodable values, tombstones, id conflicts and bugs with their reasons, and goes on', async () => {
    const { processor, deadLetters } = processorWith();
    const records = [
      record(0, 1, Buffer.from('{"not":"avro"}')),
      record(0, 2, null),
      record(0, 3, encodeImageEvent(event(inline('conflict')))),
      record(0, 4, encodeImageEvent(event(inline('bug')))),
      record(0, 5, encodeImageEvent(event(inline('ok')))),
    ];

    const results = await processor.process(records);

    expect(results.map((r) => r.outcome.kind)).toEqual(['dead-lettered', 'dead-lettered', 'dead-lettered', 'dead-lettered', 'ingested']);
    // Workers run concurrently, so letters arrive in completion order: compare them by offset.
    expect(deadLetters.letters.map((l) => [l.record.offset, l.reason, l.code]).sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual([
      [1, 'unknown-framing', 'SCHEMA_DECODE'],
      [2, 'empty-value', 'SCHEMA_DECODE'],
      [3, 'idempotency-conflict', 'IDEMPOTENCY_KEY_REUSED'],
      [4, 'processing-error', 'INTERNAL_ERROR'],
    ]);
    expect(batchItemFailures(results).batchItemFailures).toEqual([]);
  });

  it('does not skip a poison record whose dead letter could not be written', async () => {
    const { processor, deadLetters } = processorWith();
    deadLetters.failing = true;

    const results = await processor.process([record(3, 7, Buffer.from([0xc3, 0x01, 1, 2])), record(3, 8, encodeImageEvent(event(inline('ok'))))]);

    // The record behind it may already have run concurrently (ingestion is idempotent); what
    // matters is that the partition resumes at the poison record.
    expect(results[0]?.outcome.kind).toBe('retry');
    expect(batchItemFailures(results).batchItemFailures).toEqual([{ itemIdentifier: { partition: 'images-3', offset: 7 } }]);
  });

  it('records a FAILED image for an S3 reference outside the allowed buckets or missing, without reading it', async () => {
    const gets: string[] = [];
    const { processor, pipeline } = processorWith({
      get: async (location) => {
        gets.push(`${location.bucket}/${location.key}`);
        throw new SourceNotFoundError(`s3://${location.bucket}/${location.key} does not exist`);
      },
    });
    const forbidden = event({ kind: 's3', bucket: 'someone-elses-bucket', key: 'a.jpg' });
    const missing = event({ kind: 's3', bucket: config.rawBucket, key: 'claims/c-unit/missing.jpg' });

    await processor.process([record(0, 1, encodeImageEvent(forbidden)), record(0, 2, encodeImageEvent(missing))]);

    expect(pipeline.unavailable).toEqual([
      { imageId: forbidden.eventId, code: new ForbiddenSourceError('x').code },
      { imageId: missing.eventId, code: 'SOURCE_NOT_FOUND' },
    ]);
    expect(gets).toEqual([`${config.rawBucket}/claims/c-unit/missing.jpg`]);
  });

  it('answers an event whose image is already final from its record: no download, no S3 read, no ingest', async () => {
    const reads: string[] = [];
    const { processor, pipeline } = processorWith(
      { get: async (location) => Promise.reject(new Error(`read ${location.key}`)).finally(() => reads.push(location.key)) },
      async (url) => Promise.reject(new Error(`fetched ${url}`)).finally(() => reads.push(url)),
    );
    const byUrl = event({ kind: 'url', url: 'https://images.example.com/a.jpg' });
    const byS3 = event({ kind: 's3', bucket: config.rawBucket, key: 'b.jpg' });
    pipeline.finishedIds.set(byUrl.eventId, 'PROCESSED');
    pipeline.finishedIds.set(byS3.eventId, 'FAILED');

    const results = await processor.process([record(0, 1, encodeImageEvent(byUrl)), record(0, 2, encodeImageEvent(byS3))]);

    expect(results.map((r) => r.outcome)).toEqual([
      { kind: 'ingested', imageId: byUrl.eventId, status: 'PROCESSED', duplicate: true },
      { kind: 'ingested', imageId: byS3.eventId, status: 'FAILED', duplicate: true },
    ]);
    expect(reads).toEqual([]);
    expect(pipeline.started).toEqual([]);
  });

  it('reads the versionId an S3 reference names, and hands the fetch deadline to URL downloads', async () => {
    const locations: unknown[] = [];
    const deadlines: unknown[] = [];
    const { processor } = processorWith(
      {
        get: async (location) => {
          locations.push(location);
          return Buffer.from('ok');
        },
      },
      async (_url, options) => {
        deadlines.push(options?.deadlineMs);
        return { bytes: Buffer.from('ok'), finalUrl: 'https://images.example.com/a.jpg', attempts: 1 };
      },
    );

    await processor.process([
      record(0, 1, encodeImageEvent(event({ kind: 's3', bucket: config.rawBucket, key: 'claims/c-unit/k.jpg', versionId: 'v-3HL4kqtJlcpXroDTDmJ' }))),
      record(0, 2, encodeImageEvent(event({ kind: 'url', url: 'https://images.example.com/a.jpg' }))),
    ]);

    expect(locations).toEqual([{ bucket: config.rawBucket, key: 'claims/c-unit/k.jpg', versionId: 'v-3HL4kqtJlcpXroDTDmJ' }]);
    expect(deadlines).toEqual([config.fetch.deadlineMs]);
  });

  it('hands an S3 dependency failure back for redelivery instead of recording a failure', async () => {
    const { processor, pipeline } = processorWith({ get: async () => Promise.reject(new DependencyError('S3', 'GetObject failed: SlowDown')) });

    const results = await processor.process([record(0, 1, encodeImageEvent(event({ kind: 's3', bucket: config.rawBucket, key: 'claims/c-unit/k' })))]);

    expect(results[0]?.outcome.kind).toBe('retry');
    expect(pipeline.unavailable).toEqual([]);
  });
});

describe('deadLetterMessage', () => {
  it('keeps key, value and headers, and adds the reason and origin', () => {
    const value = Buffer.from([0xc3, 0x01, 0xde, 0xad]);
    const letter: DeadLetter = {
      record: { topic: 'images', partition: 2, offset: 99, timestamp: 1_700_000_000_123, key: Buffer.from('k'), value, headers: { trace: Buffer.from('t-1') } },
      reason: 'unknown-fingerprint',
      code: 'UNKNOWN_SCHEMA',
      message: 'x'.repeat(600),
    };

    const message = deadLetterMessage(letter, new Date('2024-01-02T03:04:05.000Z'));

    expect(message.value).toBe(value);
    expect(message.key).toEqual(Buffer.from('k'));
    expect(message.headers).toMatchObject({
      trace: Buffer.from('t-1'),
      [DEAD_LETTER_HEADERS.reason]: 'unknown-fingerprint',
      [DEAD_LETTER_HEADERS.errorCode]: 'UNKNOWN_SCHEMA',
      [DEAD_LETTER_HEADERS.originalTopic]: 'images',
      [DEAD_LETTER_HEADERS.originalPartition]: '2',
      [DEAD_LETTER_HEADERS.originalOffset]: '99',
      [DEAD_LETTER_HEADERS.originalTimestamp]: '1700000000123',
      [DEAD_LETTER_HEADERS.failedAt]: '2024-01-02T03:04:05.000Z',
    });
    expect(String(message.headers?.[DEAD_LETTER_HEADERS.errorMessage]).length).toBe(501);
  });

  it('refuses events over a bound at the edge (issue 12, fault 2): dead-lettered with the reason, nothing stored, the partition goes on', async () => {
    const { processor, pipeline, deadLetters } = processorWith();
    const over: ImageEvent[] = [
      event(inline('big-attributes'), { attributes: { blob: 'x'.repeat(420 * 1024) } }),
      event(inline('many-attributes'), { attributes: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])) }),
      event(inline('bad-customer'), { customerId: 'acme/../other' }),
      event(inline('long-name'), { fileName: 'n'.repeat(300) }),
      event(inline('control-name'), { fileName: 'a\u0007b.jpg' }),
      event({ kind: 'url', url: `https://example.org/${'p'.repeat(3000)}` }),
    ];
    const records = over.map((e, i) => record(0, i, encodeImageEvent(e)));
    records.push(record(0, over.length, Buffer.alloc(config.kafka.maxMessageBytes + 1, 0xc3)));
    records.push(record(0, over.length + 1, encodeImageEvent(event(inline('ok-after')))));

    const results = await processor.process(records);

    expect(results.map((r) => r.outcome.kind)).toEqual([...over.map(() => 'dead-lettered'), 'dead-lettered', 'ingested']);
    expect(deadLetters.letters.map((l) => l.reason)).toEqual([...over.map(() => 'out-of-bounds'), 'message-too-large']);
    expect(deadLetters.letters.every((l) => l.code === 'INVALID_PARAMETER')).toBe(true);
    expect(pipeline.started).toEqual(['ok-after']);
    expect(pipeline.unavailable).toEqual([]);
  });

  it('a bug after decoding leaves the image FAILED and notified through the pipeline before the dead letter (issue 12, fault 5)', async () => {
    const { processor, pipeline, deadLetters } = processorWith();
    const bug = event(inline('bug'));

    const results = await processor.process([record(0, 1, encodeImageEvent(bug))]);

    expect(results[0]?.outcome).toMatchObject({ kind: 'dead-lettered', reason: 'processing-error' });
    expect(pipeline.unavailable).toEqual([{ imageId: bug.eventId, code: 'INTERNAL_ERROR' }]);
    expect(deadLetters.letters).toHaveLength(1);
  });
});
