/**
 * Issue 12 on the real local stack (Kafka for dead letters, moto for DynamoDB, S3, SNS, SQS):
 * hostile events are refused in bounded time, nothing is stored for them, permanent dependency
 * errors end the image (or the event) instead of stalling the partition, and an image given up
 * on after an earlier delivery left it RECEIVED ends FAILED and notified.
 */
import { randomUUID } from 'node:crypto';
import { logLevel } from 'kafkajs';
import { destroyAwsClients, loadConfig } from '../../core';
import { createPipelineRuntime, type PipelineRuntime } from '../../core/runtime';
import { encodeImageEvent, fingerprintOf, IMAGE_EVENT_SCHEMA, type ImageEvent } from '../../schemas';
import { frameSingleObject } from '../../schemas/framing/single-object';
import { DEAD_LETTER_HEADERS, createMskHandler, createStreamConsumer, type MskBatchResponse, type MskHandlerFunction, type StreamConsumer } from '../../stream-consumer';
import { avroLong as long, avroString as str } from '../helpers/avro-bytes';
import { makeGifBomb, makeJpeg } from '../helpers/images';
import { mskEventOf, type RecordSpec } from '../helpers/msk-events';
import { useStreamTestBed } from '../helpers/stream-test-bed';
import { openNotificationInbox } from '../helpers/notifications';
import { inOriginalOrder } from '../helpers/kafka';

const quietKafka = { logLevel: logLevel.NOTHING };
const bed = useStreamTestBed('hostile-test');

let offset = 0;

function consumerFor(env: Record<string, string>): { runtime: PipelineRuntime; consumer: StreamConsumer; handler: MskHandlerFunction } {
  const runtime = createPipelineRuntime(loadConfig({ ...process.env, LOG_LEVEL: 'SILENT', ...env }), 'hostile-test');
  const consumer = createStreamConsumer(runtime, { kafka: quietKafka });
  bed.defer(async () => {
    await consumer.close();
    destroyAwsClients(runtime.clients);
  });
  return { runtime, consumer, handler: createMskHandler(consumer) };
}

async function deliver(handler: MskHandlerFunction, values: Buffer[]): Promise<MskBatchResponse> {
  const specs: RecordSpec[] = values.map((value) => ({ topic: 'hostile-under-test', partition: 0, offset: offset++, value }));
  return (await handler(mskEventOf(specs))) as MskBatchResponse;
}

function newEvent(customerId: string, image: ImageEvent['image'], overrides: Partial<ImageEvent> = {}): ImageEvent {
  return { eventId: randomUUID(), occurredAt: new Date(), customerId, attributes: {}, image, ...overrides };
}

/** The reported ~59-byte record: a valid header and fields, then an attributes map block declaring `count` entries. */
function attributeCountBomb(eventId: string, customerId: string, count: number): Buffer {
  const body = Buffer.concat([str(eventId), long(Date.now()), str(customerId), long(0), long(0), long(count), str('k'), str('v')]);
  return frameSingleObject(fingerprintOf(IMAGE_EVENT_SCHEMA), body);
}

it('a batch of hostile events mixed with a normal one: each refused with its reason, nothing stored for them, no redelivery, the normal one PROCESSED', async () => {
  const dlq = await bed.kafka.createTopic('hostile-dlq');
  const { runtime, handler } = consumerFor({ DEAD_LETTER_TOPIC: dlq });
  const inbox = await openNotificationInbox(bed.clients, runtime.config, 'hostile-mix');
  bed.defer(() => inbox.close());
  const customer = inbox.customerId;
  const bombId = randomUUID();
  const hugeCountId = randomUUID();
  const bigAttributes = newEvent(customer, { kind: 'inline', data: Buffer.from('x') }, { attributes: { blob: 'x'.repeat(420 * 1024) } });
  const badCustomer = newEvent('acme/../other', { kind: 'inline', data: Buffer.from('x') });
  const longName = newEvent(customer, { kind: 'inline', data: Buffer.from('x') }, { fileName: '写'.repeat(300) });
  const gifBomb = newEvent(customer, { kind: 'inline', data: makeGifBomb() });
  const good = newEvent(customer, { kind: 'inline', data: await makeJpeg({ width: 320, height: 240 }) });

  const response = await deliver(handler, [
    attributeCountBomb(bombId, customer, 300_000_000),
    attributeCountBomb(hugeCountId, customer, 2 ** 50),
    encodeImageEvent(bigAttributes),
    encodeImageEvent(badCustomer),
    encodeImageEvent(longName),
    encodeImageEvent(gifBomb),
    encodeImageEvent(good),
  ]);

  // The partition keeps flowing: nothing is handed back for redelivery.
  expect(response).toEqual({ batchItemFailures: [] });
  expect(await runtime.metadata.get(good.eventId, new Date())).toMatchObject({ status: 'PROCESSED', customerId: customer });
  // The decompression bomb is an image: FAILED, with why, refused before decoding.
  const failed = await runtime.metadata.get(gifBomb.eventId, new Date());
  expect(failed).toMatchObject({ status: 'FAILED', error: { code: 'DECODE_MEMORY_EXCEEDED' } });
  expect(failed?.error?.message).toMatch(/10000×10000.*needs about \d+ MiB of memory; the decode memory limit is 256 MiB/);
  // The bad events are dead-lettered with their reasons, and nothing is stored for them.
  for (const id of [bombId, hugeCountId, bigAttributes.eventId, badCustomer.eventId, longName.eventId]) {
    expect(await runtime.metadata.get(id, new Date())).toBeUndefined();
  }
  const page = await runtime.metadata.listByCustomer(customer, { limit: 20 }, new Date());
  expect(page.items.map((r) => r.imageId).sort()).toEqual([gifBomb.eventId, good.eventId].sort());
  // Records run concurrently, so letters arrive in any order: sort them by original offset.
  const letters = inOriginalOrder(await bed.kafka.readMessages(dlq, { count: 5 })).map((letter) => letter.headers);
  expect(letters.map((h) => h[DEAD_LETTER_HEADERS.reason])).toEqual([
    'truncated',
    'truncated',
    'out-of-bounds',
    'out-of-bounds',
    'out-of-bounds',
  ]);
  expect(letters[0]?.[DEAD_LETTER_HEADERS.errorMessage]).toMatch(/attributes declares 300000000 entries/);
  expect(letters[2]?.[DEAD_LETTER_HEADERS.errorMessage]).toMatch(/attributes/);
  expect(letters[3]?.[DEAD_LETTER_HEADERS.errorMessage]).toMatch(/customerId/);
  expect(letters[4]?.[DEAD_LETTER_HEADERS.errorMessage]).toMatch(/fileName/);
  const notes = await inbox.waitFor(2);
  expect(notes.map((n) => `${n.type}:${n.imageId}`).sort()).toEqual([`image.failed:${gifBomb.eventId}`, `image.processed:${good.eventId}`].sort());
});

it('permanent dependency errors are not retried: a missing raw bucket ends the image FAILED and notified, a missing table dead-letters the event, and the partition moves on', async () => {
  const dlq = await bed.kafka.createTopic('hostile-permanent-dlq');
  const missingBucket = consumerFor({ DEAD_LETTER_TOPIC: dlq, RAW_BUCKET: `missing-${randomUUID()}`, ALLOWED_SOURCE_BUCKETS: bed.config.rawBucket });
  const missingTable = consumerFor({ DEAD_LETTER_TOPIC: dlq, IMAGES_TABLE: `missing-${randomUUID()}` });
  const inbox = await openNotificationInbox(bed.clients, missingBucket.runtime.config, 'hostile-permanent');
  bed.defer(() => inbox.close());
  const jpeg = await makeJpeg({ width: 64, height: 48 });
  const first = newEvent(inbox.customerId, { kind: 'inline', data: jpeg });
  const second = newEvent(inbox.customerId, { kind: 'inline', data: jpeg });

  const bucketResponse = await deliver(missingBucket.handler, [encodeImageEvent(first)]);
  const tableResponse = await deliver(missingTable.handler, [encodeImageEvent(second)]);

  expect(bucketResponse).toEqual({ batchItemFailures: [] });
  expect(tableResponse).toEqual({ batchItemFailures: [] });
  const record = await missingBucket.runtime.metadata.get(first.eventId, new Date());
  expect(record).toMatchObject({ status: 'FAILED', error: { code: 'DEPENDENCY_REJECTED' } });
  expect(record?.error?.message).toMatch(/S3 refused PutObject \(NoSuchBucket\)/);
  expect((await inbox.waitFor(1)).map((n) => [n.type, n.imageId, n.error?.code])).toEqual([['image.failed', first.eventId, 'DEPENDENCY_REJECTED']]);
  const letters = (await bed.kafka.readMessages(dlq, { count: 1 })).map((letter) => letter.headers);
  expect(letters.map((h) => [h[DEAD_LETTER_HEADERS.reason], h[DEAD_LETTER_HEADERS.errorCode]])).toEqual([['rejected', 'DEPENDENCY_REJECTED']]);
});

it('S3 down on the first delivery, the URL answering 503 on the second: the image ends FAILED and notified, not stuck RECEIVED', async () => {
  const dlq = await bed.kafka.createTopic('hostile-stuck-dlq');
  const jpeg = await makeJpeg({ width: 80, height: 60 });
  let answer: 'image' | 'unavailable' = 'image';
  const path = bed.server.route((_req, res) => (answer === 'image' ? res.writeHead(200, { 'content-type': 'image/jpeg' }).end(jpeg) : res.writeHead(503).end()));
  const loopback = { DEAD_LETTER_TOPIC: dlq, FETCH_ALLOW_LOOPBACK: 'true', FETCH_ALLOWED_PORTS: String(bed.server.port) };
  // S3 on a closed port: connection refused, a retriable dependency failure.
  const s3Down = consumerFor({ ...loopback, AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9' });
  const healthy = consumerFor(loopback);
  const inbox = await openNotificationInbox(bed.clients, healthy.runtime.config, 'hostile-stuck');
  bed.defer(() => inbox.close());
  const event = newEvent(inbox.customerId, { kind: 'url', url: bed.server.url(path) });

  const first = await deliver(s3Down.handler, [encodeImageEvent(event)]);
  expect(first.batchItemFailures).toHaveLength(1);
  expect(await healthy.runtime.metadata.get(event.eventId, new Date())).toMatchObject({ status: 'RECEIVED' });

  answer = 'unavailable';
  const second = await deliver(healthy.handler, [encodeImageEvent(event)]);

  expect(second).toEqual({ batchItemFailures: [] });
  expect(await healthy.runtime.metadata.get(event.eventId, new Date())).toMatchObject({ status: 'FAILED', error: { code: 'SOURCE_FETCH_FAILED' } });
  expect((await inbox.waitFor(1)).map((n) => [n.type, n.imageId])).toEqual([['image.failed', event.eventId]]);
});
