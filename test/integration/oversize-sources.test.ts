/**
 * One behaviour for an image over MAX_IMAGE_BYTES read from S3 (docs/image-sources.md), on the
 * real local stack (moto S3/DynamoDB/SNS/SQS): the stream path's S3 claim check and the REST
 * presigned upload both end FAILED with IMAGE_TOO_LARGE, nothing is kept under raw/, the record
 * and its one image.failed notification say the size and the limit, and a redelivery repeats
 * nothing. Oversize by one byte and far oversize, each.
 */
import { randomUUID } from 'node:crypto';
import { HeadObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import { destroyAwsClients, loadConfig, type Config, type ImageRecord } from '../../core';
import { claimCheckKey, incomingKey } from '../../core/keys';
import { createPipelineRuntime, type PipelineRuntime } from '../../core/runtime';
import { IngestApi, UploadProcessor } from '../../ingest-api';
import { gatewayAuthorizer, startHttpAdapter } from '../../local/http-adapter';
import { encodeImageEvent, type ImageEvent } from '../../schemas';
import { createMskHandler, createStreamConsumer, type DeadLetter, type DeadLetterSink, type MskBatchResponse, type MskHandlerFunction } from '../../stream-consumer';
import { makeJpeg, padJpegToSize } from '../helpers/images';
import { mskEventOf } from '../helpers/msk-events';
import { openNotificationInbox, type NotificationInbox } from '../helpers/notifications';
import { createApiKey } from '../../core/adapters/secrets/api-key-secret';
import { objectCreatedEvent } from '../helpers/s3-events';

const MiB = 1024 * 1024;

/** The members of the kind: one byte over the limit, and far over it. */
const OVERSIZE: [string, (limit: number) => number][] = [
  ['by one byte', (max) => max + 1],
  ['far (25 MiB)', () => 25 * MiB],
];

/** Keeps dead letters in memory: an oversize image must be a FAILED record, never a dead letter. */
class RecordingDeadLetters implements DeadLetterSink {
  readonly letters: DeadLetter[] = [];
  async send(letter: DeadLetter): Promise<void> {
    this.letters.push(letter);
  }
  async close(): Promise<void> {}
}

let config: Config;
let runtime: PipelineRuntime;
let limit: number;
let jpeg: Buffer;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  config = loadConfig({ ...process.env, LOG_LEVEL: 'SILENT' });
  runtime = createPipelineRuntime(config, 'oversize-test');
  limit = config.limits.maxImageBytes;
  jpeg = await makeJpeg({ width: 64, height: 48 });
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  if (runtime) destroyAwsClients(runtime.clients);
});

/** A decodable JPEG of exactly `size` bytes (comment padding): a real image, only too large. */
const jpegOfSize = (size: number): Buffer => padJpegToSize(jpeg, size);

async function exists(bucket: string, key: string): Promise<boolean> {
  return runtime.clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(
    () => true,
    () => false,
  );
}

/** Objects under the record's raw location (any extension): none when nothing was kept. */
async function rawObjectsOf(record: ImageRecord): Promise<number> {
  const listed = await runtime.clients.s3.send(new ListObjectsV2Command({ Bucket: record.raw.bucket, Prefix: record.raw.key }));
  return listed.KeyCount ?? 0;
}

async function inboxFor(prefix: string): Promise<NotificationInbox> {
  const inbox = await openNotificationInbox(runtime.clients, config, prefix);
  cleanups.push(() => inbox.close());
  return inbox;
}

/** The shared assertions of the one behaviour. */
async function expectRefusedNothingKept(record: ImageRecord | undefined, inbox: NotificationInbox, size: number, source: 'kafka' | 'upload'): Promise<void> {
  expect(record).toMatchObject({ status: 'FAILED', source, customerId: inbox.customerId, bytes: 0, error: { code: 'IMAGE_TOO_LARGE' } });
  expect(record?.error?.message).toContain(`is ${size} bytes; the limit is ${limit}`);
  expect(record?.variants).toBeUndefined();
  expect(await rawObjectsOf(record as ImageRecord)).toBe(0);
  const notes = await inbox.waitFor(1);
  expect(notes.map((n) => [n.type, n.imageId, n.status, n.error?.code])).toEqual([['image.failed', record?.imageId, 'FAILED', 'IMAGE_TOO_LARGE']]);
  expect(notes[0]?.error?.message).toContain(`the limit is ${limit}`);
}

describe('the stream path: an S3 claim check over the limit', () => {
  let handler: MskHandlerFunction;
  let deadLetters: RecordingDeadLetters;
  let offset = 0;

  beforeAll(() => {
    deadLetters = new RecordingDeadLetters();
    handler = createMskHandler(createStreamConsumer(runtime, { deadLetters }));
  });

  async function deliver(event: ImageEvent): Promise<MskBatchResponse> {
    return (await handler(mskEventOf([{ topic: `oversize-${randomUUID()}`, partition: 0, offset: offset++, value: encodeImageEvent(event) }]))) as MskBatchResponse;
  }

  async function claimCheck(customerId: string, body: Buffer): Promise<{ bucket: string; key: string }> {
    const key = claimCheckKey(customerId, `${randomUUID()}.jpg`);
    await runtime.clients.s3.send(new PutObjectCommand({ Bucket: config.rawBucket, Key: key, Body: body, ContentType: 'image/jpeg' }));
    return { bucket: config.rawBucket, key };
  }

  it('exactly the limit is processed (the boundary)', async () => {
    const inbox = await inboxFor('oversize-exact');
    const ref = await claimCheck(inbox.customerId, jpegOfSize(limit));
    const event: ImageEvent = { eventId: randomUUID(), occurredAt: new Date(), customerId: inbox.customerId, attributes: {}, image: { kind: 's3', ...ref } };

    expect(await deliver(event)).toEqual({ batchItemFailures: [] });

    expect(await runtime.metadata.get(event.eventId, new Date())).toMatchObject({ status: 'PROCESSED', bytes: limit });
    expect((await inbox.waitFor(1)).map((n) => n.type)).toEqual(['image.processed']);
  });

  it.each(OVERSIZE)('over the limit %s: FAILED IMAGE_TOO_LARGE, nothing kept, the claim check left to its owner, not dead-lettered', async (_how, sizeFor) => {
    const size = sizeFor(limit);
    const inbox = await inboxFor('oversize-claim');
    const ref = await claimCheck(inbox.customerId, jpegOfSize(size));
    const event: ImageEvent = { eventId: randomUUID(), occurredAt: new Date(), customerId: inbox.customerId, fileName: 'huge.jpg', attributes: {}, image: { kind: 's3', ...ref } };

    expect(await deliver(event)).toEqual({ batchItemFailures: [] });

    const record = await runtime.metadata.get(event.eventId, new Date());
    await expectRefusedNothingKept(record, inbox, size, 'kafka');
    // The producer's claim check is theirs (their prefix, their lifecycle): neither copied nor deleted.
    expect(await exists(ref.bucket, ref.key)).toBe(true);
    expect(deadLetters.letters.filter((l) => l.message.includes(event.eventId))).toEqual([]);

    // A redelivery is answered from the record: nothing read, recorded or announced again.
    expect(await deliver(event)).toEqual({ batchItemFailures: [] });
    expect(await runtime.metadata.get(event.eventId, new Date())).toEqual(record);
  });
});

describe('the REST presigned-upload path: an upload over the limit', () => {
  function s3Event(key: string): S3Event {
    return objectCreatedEvent(config.region, config.rawBucket, key);
  }

  it.each(OVERSIZE)('an object that landed in incoming/ %s: FAILED IMAGE_TOO_LARGE, nothing kept, incoming/ removed', async (_how, sizeFor) => {
    const size = sizeFor(limit);
    const inbox = await inboxFor('oversize-upload');
    const imageId = randomUUID();
    const key = incomingKey(imageId);
    await runtime.clients.s3.send(new PutObjectCommand({ Bucket: config.rawBucket, Key: key, Body: jpegOfSize(size), ContentType: 'image/jpeg', Metadata: { 'customer-id': inbox.customerId, 'file-name': 'huge.jpg' } }));

    await new UploadProcessor(runtime).handle(s3Event(key));

    const record = await runtime.metadata.get(imageId, new Date());
    await expectRefusedNothingKept(record, inbox, size, 'upload');
    expect(record?.fileName).toBe('huge.jpg');
    expect(await exists(config.rawBucket, key)).toBe(false);
  });

  it('through the API: POST /v1/uploads, then a presigned POST of 10 MiB + 1 byte (AWS refuses it by the policy; moto lets it land, and the handler refuses it)', async () => {
    const inbox = await inboxFor('oversize-presigned');
    const { key: apiKey } = await createApiKey(runtime.clients.secrets, config.apiKeySecretId, inbox.customerId);
    const api = new IngestApi(runtime);
    const adapter = await startHttpAdapter({ host: '127.0.0.1', port: 0, maxImageBytes: limit, authorizer: gatewayAuthorizer(config, runtime.secrets), handler: (event) => api.handle(event) });
    cleanups.push(() => adapter.stop());
    const size = limit + 1;

    const created = await fetch(`${adapter.url}/v1/uploads`, { method: 'POST', headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ fileName: 'huge.jpg' }) });
    expect(created.status).toBe(201);
    const { imageId, upload, maxBytes } = (await created.json()) as { imageId: string; maxBytes: number; upload: { url: string; fields: Record<string, string> } };
    expect(maxBytes).toBe(limit);
    const form = new FormData();
    for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
    form.append('Content-Type', 'image/jpeg');
    form.append('file', new Blob([jpegOfSize(size)]), 'huge.jpg');
    const posted = await fetch(upload.url, { method: 'POST', body: form });
    const key = incomingKey(imageId);
    // AWS S3 answers 400 EntityTooLarge to this POST (the policy's content-length-range) and
    // nothing lands; moto does not enforce the range, so the object lands and the upload handler
    // is the backstop that must refuse it the same way as every other oversize source.
    expect(posted.status).toBeLessThan(300);
    expect(await exists(config.rawBucket, key)).toBe(true);

    await new UploadProcessor(runtime).handle(s3Event(key));

    await expectRefusedNothingKept(await runtime.metadata.get(imageId, new Date()), inbox, size, 'upload');
    expect(await exists(config.rawBucket, key)).toBe(false);
    const status = await fetch(`${adapter.url}/v1/images/${imageId}`, { headers: { Authorization: `Bearer ${apiKey}` } });
    expect(status.status).toBe(200);
    expect(await status.json()).toMatchObject({ imageId, status: 'FAILED', bytes: 0, error: { code: 'IMAGE_TOO_LARGE' } });
  });
});
