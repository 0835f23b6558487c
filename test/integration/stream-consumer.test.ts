/**
 * The stream path against the real local stack: the MSK handler invoked with MSK events (real
 * moto DynamoDB and S3/SNS/SQS, Kafka for the dead-letter topic), and the local runner
 * consuming real Kafka topics end to end. Every test uses its own ids, customer, topics and
 * consumer group.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { logLevel, type Producer } from 'kafkajs';
import sharp from 'sharp';
import { Type } from 'avsc';
import { destroyAwsClients, loadConfig, type Config, type ImageRecord } from '../../core';
import { createPipelineRuntime, type PipelineRuntime } from '../../core/runtime';
import { ImageEventCodec, createImageEventRegistry, encodeImageEvent, fingerprintOf, type ImageEvent } from '../../schemas';
import { frameSingleObject } from '../../schemas/framing/single-object';
import { DEAD_LETTER_HEADERS, createMskHandler, createStreamConsumer, type MskBatchResponse, type MskHandlerFunction, type StreamConsumer } from '../../stream-consumer';
import { CLAIM_CHECK_PREFIX, ImageEventPublisher } from '../../kafka';
import { createLocalStreamComponent, createStreamRunner } from '../../local/stream-runner';
import { handler as lambdaHandler } from '../../stream-consumer/handler';
import { makeJpeg, makeTruncatedJpeg } from '../helpers/images';
import { startSwitchableProxy } from '../helpers/switchable-proxy';
import { claimCheckKey } from '../../core/keys';
import { V2_AVSC } from '../helpers/image-events';
import { byOriginalPosition, inOriginalOrder } from '../helpers/kafka';
import { waitUntil } from '../helpers/wait';
import { mskEventOf, type RecordSpec } from '../helpers/msk-events';
import { useStreamTestBed } from '../helpers/stream-test-bed';
import { openNotificationInbox, waitForFinalRecord, type NotificationInbox } from '../helpers/notifications';

const MiB = 1024 * 1024;
const quietKafka = { logLevel: logLevel.NOTHING };
const bed = useStreamTestBed('stream-test');

function newEvent(customerId: string, image: ImageEvent['image'], overrides: Partial<ImageEvent> = {}): ImageEvent {
  return { eventId: randomUUID(), occurredAt: new Date(), customerId, fileName: 'photo.jpg', attributes: { test: 'stream' }, image, ...overrides };
}

/** Asserts the full PROCESSED outcome: record, TTL, raw object, variants (decoded). */
async function expectProcessed(runtime: PipelineRuntime, record: ImageRecord | undefined, source: { width: number; height: number }): Promise<void> {
  expect(record).toMatchObject({ status: 'PROCESSED', source: 'kafka', format: 'jpeg', width: source.width, height: source.height });
  const created = Date.parse(record?.createdAt ?? '');
  expect(record?.expiresAt).toBe(Math.floor(created / 1000) + 7 * 86_400);
  const raw = await sharp(await runtime.blobs.get(record!.raw, 20 * MiB)).metadata();
  expect([raw.format, raw.width, raw.height]).toEqual(['jpeg', source.width, source.height]);
  expect(Object.keys(record?.variants ?? {}).sort()).toEqual(runtime.config.variants.map((v) => v.name).sort());
  const thumbnail = record!.variants!.thumbnail!;
  const decoded = await sharp(await runtime.blobs.get({ bucket: runtime.config.processedBucket, key: thumbnail.key }, 20 * MiB)).metadata();
  // 200×200 cover, never enlarged: a smaller source keeps its smaller size.
  const side = Math.min(200, source.width, source.height);
  const expected = source.width >= 200 && source.height >= 200 ? [200, 200] : [Math.min(source.width, 200), Math.min(source.height, 200)];
  expect([decoded.format, decoded.width, decoded.height]).toEqual(['jpeg', thumbnail.width, thumbnail.height]);
  expect([thumbnail.width, thumbnail.height]).toEqual(side === 200 ? [200, 200] : expected);
}

describe('the MSK handler', () => {
  let dlqTopic: string;
  let config: Config;
  let runtime: PipelineRuntime;
  let consumer: StreamConsumer;
  let handler: MskHandlerFunction;
  let offset = 0;

  /** Invokes the handler with one MSK event carrying `values` on partition 0 of a test topic. */
  async function deliver(values: (Buffer | null)[], options: { partition?: number; topic?: string; invoke?: MskHandlerFunction } = {}): Promise<MskBatchResponse> {
    const specs: RecordSpec[] = values.map((value) => ({ topic: options.topic ?? 'images-under-test', partition: options.partition ?? 0, offset: offset++, value }));
    return (await (options.invoke ?? handler)(mskEventOf(specs))) as MskBatchResponse;
  }

  beforeAll(async () => {
    dlqTopic = await bed.kafka.createTopic('stream-test-dlq');
    config = loadConfig({ ...process.env, FETCH_ALLOW_LOOPBACK: 'true', FETCH_ALLOWED_PORTS: String(bed.server.port), DEAD_LETTER_TOPIC: dlqTopic, LOG_LEVEL: 'WARN' });
    runtime = createPipelineRuntime(config, 'stream-test');
    // A v1 consumer that also knows the v2 writer schema, as a registry would after v2 is registered.
    consumer = createStreamConsumer(runtime, { codec: new ImageEventCodec({ registry: createImageEventRegistry({ writers: [V2_AVSC] }) }), kafka: quietKafka });
    handler = createMskHandler(consumer);
  });

  afterAll(async () => {
    await consumer?.close();
    if (runtime) destroyAwsClients(runtime.clients);
  });

  it('processes an inline JPEG, an S3 reference and an HTTPS-style URL: PROCESSED, copies, one image.processed each', async () => {
    const inbox = await openNotificationInbox(bed.clients, config, 'stream-handler');
    bed.defer(() => inbox.close());
    const jpeg = await makeJpeg({ width: 640, height: 480 });
    const key = claimCheckKey(inbox.customerId, `stream-test-${randomUUID()}.jpg`);
    await bed.clients.s3.send(new PutObjectCommand({ Bucket: config.rawBucket, Key: key, Body: jpeg }));
    bed.defer(() => bed.clients.s3.send(new DeleteObjectCommand({ Bucket: config.rawBucket, Key: key })));
    const path = bed.server.route((_req, res) => res.writeHead(200, { 'content-type': 'image/jpeg' }).end(jpeg));
    const events = [
      newEvent(inbox.customerId, { kind: 'inline', data: jpeg }),
      newEvent(inbox.customerId, { kind: 's3', bucket: config.rawBucket, key }),
      newEvent(inbox.customerId, { kind: 'url', url: bed.server.url(path) }),
    ];

    const response = await deliver(events.map((e) => encodeImageEvent(e)));

    expect(response).toEqual({ batchItemFailures: [] });
    for (const event of events) {
      const record = await runtime.metadata.get(event.eventId, new Date());
      expect(record).toMatchObject({ imageId: event.eventId, customerId: inbox.customerId, idempotencyKey: event.eventId, fileName: 'photo.jpg', attributes: { test: 'stream' } });
      await expectProcessed(runtime, record, { width: 640, height: 480 });
    }
    const notes = await inbox.waitFor(3);
    expect(notes.map((n) => [n.type, n.imageId]).sort()).toEqual(events.map((e) => ['image.processed', e.eventId]).sort());
    expect(bed.server.hits(path)).toBe(1);
  });

  it('delivered three times, an event makes one record, one set of copies and one notification', async () => {
    const inbox = await openNotificationInbox(bed.clients, config, 'stream-dup');
    bed.defer(() => inbox.close());
    const event = newEvent(inbox.customerId, { kind: 'inline', data: await makeJpeg({ width: 300, height: 200 }, 3) });
    const value = encodeImageEvent(event);

    const responses = [await deliver([value]), await deliver([value]), await deliver([value])];

    expect(responses).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }, { batchItemFailures: [] }]);
    const record = await runtime.metadata.get(event.eventId, new Date());
    await expectProcessed(runtime, record, { width: 300, height: 200 });
    const page = await runtime.metadata.listByCustomer(inbox.customerId, { limit: 10 }, new Date());
    expect(page.items.map((r) => r.imageId)).toEqual([event.eventId]);
    expect((await inbox.settle(3000)).map((n) => [n.type, n.imageId])).toEqual([['image.processed', event.eventId]]);
  });

  it("stops starting records when the invocation's remaining time falls below the record budget; the redelivered rest are processed once", async () => {
    const inbox = await openNotificationInbox(bed.clients, config, 'stream-budget');
    bed.defer(() => inbox.close());
    const events = await Promise.all([0, 1, 2, 3].map(async (i) => newEvent(inbox.customerId, { kind: 'inline', data: await makeJpeg({ width: 120 + i, height: 90 }, 40 + i) })));
    const specs: RecordSpec[] = events.map((e) => ({ topic: 'images-budget', partition: 0, offset: offset++, value: encodeImageEvent(e) }));
    const budget = config.stream.recordTimeBudgetMs;
    // Lambda's context: time enough for the first two records, then less than the budget.
    let asked = 0;
    const shortOnTime = { getRemainingTimeInMillis: () => (++asked <= 1 ? budget + 1 : budget - 1) };

    const first = (await handler(mskEventOf(specs), shortOnTime)) as MskBatchResponse;

    expect(first).toEqual({ batchItemFailures: [{ itemIdentifier: { partition: 'images-budget-0', offset: specs[2]!.offset } }] });
    const states = await Promise.all(events.map(async (e) => (await runtime.metadata.get(e.eventId, new Date()))?.status));
    expect(states).toEqual(['PROCESSED', 'PROCESSED', undefined, undefined]);

    // The event source mapping delivers the partition again from the named offset.
    const second = (await handler(mskEventOf(specs.slice(2)), { getRemainingTimeInMillis: () => budget * 10 })) as MskBatchResponse;

    expect(second).toEqual({ batchItemFailures: [] });
    for (const e of events) expect((await runtime.metadata.get(e.eventId, new Date()))?.status).toBe('PROCESSED');
    expect((await inbox.waitFor(4)).map((n) => n.imageId).sort()).toEqual(events.map((e) => e.eventId).sort());
    expect((await inbox.settle(2000)).length).toBe(4);
  });

  it('a corrupt inline image becomes FAILED with image.failed, and the record behind it is processed', async () => {
    const inbox = await openNotificationInbox(bed.clients, config, 'stream-corrupt');
    bed.defer(() => inbox.close());
    const corrupt = newEvent(inbox.customerId, { kind: 'inline', data: await makeTruncatedJpeg() });
    const good = newEvent(inbox.customerId, { kind: 'inline', data: await makeJpeg({ width: 320, height: 240 }) });

    const response = await deliver([encodeImageEvent(corrupt), encodeImageEvent(good)]);

    expect(response).toEqual({ batchItemFailures: [] });
    const failed = await runtime.metadata.get(corrupt.eventId, new Date());
    expect(failed).toMatchObject({ status: 'FAILED', error: { code: 'UNDECODABLE_IMAGE' } });
    // The bytes that arrived are kept for inspection.
    expect((await runtime.blobs.get(failed!.raw, 20 * MiB)).length).toBe(failed!.bytes);
    await expectProcessed(runtime, await runtime.metadata.get(good.eventId, new Date()), { width: 320, height: 240 });
    const notes = await inbox.waitFor(2);
    expect(notes.map((n) => `${n.type}:${n.imageId}`).sort()).toEqual([`image.failed:${corrupt.eventId}`, `image.processed:${good.eventId}`].sort());
  });

  describe('refused sources become FAILED records with a clear code and an image.failed notification', () => {
    let strict: { runtime: PipelineRuntime; consumer: StreamConsumer; handler: MskHandlerFunction };

    beforeAll(() => {
      const strictConfig = loadConfig({ ...process.env, FETCH_ALLOW_LOOPBACK: 'false', DEAD_LETTER_TOPIC: dlqTopic, LOG_LEVEL: 'WARN' });
      const strictRuntime = createPipelineRuntime(strictConfig, 'stream-test-strict');
      const strictConsumer = createStreamConsumer(strictRuntime, { kafka: quietKafka });
      strict = { runtime: strictRuntime, consumer: strictConsumer, handler: createMskHandler(strictConsumer) };
    });

    afterAll(async () => {
      await strict.consumer.close();
      destroyAwsClients(strict.runtime.clients);
    });

    it.each([
      ['the instance metadata address', 'https://169.254.169.254/latest/meta-data/iam/security-credentials/', 'FORBIDDEN_SOURCE'],
      ['a private address', 'https://10.0.0.1/image.jpg', 'FORBIDDEN_SOURCE'],
      ['an IPv4-mapped loopback address with the loopback switch off', 'https://[::ffff:127.0.0.1]:9/image.jpg', 'FORBIDDEN_SOURCE'],
    ])('a URL to %s', async (_name, url, code) => {
      const inbox = await openNotificationInbox(bed.clients, config, 'stream-ssrf');
      bed.defer(() => inbox.close());
      const event = newEvent(inbox.customerId, { kind: 'url', url });

      const response = await deliver([encodeImageEvent(event)], { invoke: strict.handler });

      expect(response).toEqual({ batchItemFailures: [] });
      const record = await strict.runtime.metadata.get(event.eventId, new Date());
      expect(record).toMatchObject({ status: 'FAILED', bytes: 0, error: { code } });
      expect((await inbox.waitFor(1)).map((n) => [n.type, n.imageId, n.error?.code])).toEqual([['image.failed', event.eventId, code]]);
    });

    it.each([
      ['a response over 10 MiB', 'IMAGE_TOO_LARGE', () => bed.server.route((_req, res) => res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': String(11 * MiB) }).end(Buffer.alloc(11 * MiB)))],
      ['a redirect to a private address', 'FORBIDDEN_SOURCE', () => bed.server.route((_req, res) => res.writeHead(302, { location: 'http://10.0.0.1/internal.jpg' }).end())],
    ])('a URL answering with %s (loopback allowed for the test server)', async (_name, code, route) => {
      const inbox = await openNotificationInbox(bed.clients, config, 'stream-fetch');
      bed.defer(() => inbox.close());
      const event = newEvent(inbox.customerId, { kind: 'url', url: bed.server.url(route()) });

      const response = await deliver([encodeImageEvent(event)]);

      expect(response).toEqual({ batchItemFailures: [] });
      expect(await runtime.metadata.get(event.eventId, new Date())).toMatchObject({ status: 'FAILED', error: { code } });
      expect((await inbox.waitFor(1)).map((n) => [n.type, n.error?.code])).toEqual([['image.failed', code]]);
    });

    it.each([
      ['outside the allowed buckets', 'not-an-allowed-bucket', 'FORBIDDEN_SOURCE'],
      ['that does not exist', undefined, 'SOURCE_NOT_FOUND'],
    ])('an S3 reference %s', async (_name, bucket, code) => {
      const inbox = await openNotificationInbox(bed.clients, config, 'stream-s3ref');
      bed.defer(() => inbox.close());
      const event = newEvent(inbox.customerId, { kind: 's3', bucket: bucket ?? config.rawBucket, key: claimCheckKey(inbox.customerId, `missing-${randomUUID()}.jpg`) });

      const response = await deliver([encodeImageEvent(event)]);

      expect(response).toEqual({ batchItemFailures: [] });
      expect(await runtime.metadata.get(event.eventId, new Date())).toMatchObject({ status: 'FAILED', error: { code } });
      expect((await inbox.waitFor(1)).map((n) => n.error?.code)).toEqual([code]);
    });
  });

  it('sends not-Avro, unknown-fingerprint and truncated messages to the dead-letter topic with reason and origin, and processes what follows', async () => {
    const inbox = await openNotificationInbox(bed.clients, config, 'stream-poison');
    bed.defer(() => inbox.close());
    const valid = encodeImageEvent(newEvent(inbox.customerId, { kind: 'inline', data: await makeJpeg() }));
    const notAvro = Buffer.from(JSON.stringify({ eventId: randomUUID(), image: 'cat.jpg' }));
    const unknownFingerprint = Buffer.concat([Buffer.from([0xc3, 0x01]), randomBytes(8), valid.subarray(10)]);
    const truncated = valid.subarray(0, 40);
    const follower = newEvent(inbox.customerId, { kind: 'inline', data: await makeJpeg({ width: 200, height: 150 }) });
    const firstOffset = offset;

    const response = await deliver([notAvro, unknownFingerprint, truncated, encodeImageEvent(follower)], { partition: 4 });

    expect(response).toEqual({ batchItemFailures: [] });
    const letters = await bed.kafka.readMessages(dlqTopic, { count: 3 });
    // Records run concurrently, so letters are in completion order: compare by original offset.
    const ours = inOriginalOrder(letters.filter((l) => l.headers[DEAD_LETTER_HEADERS.originalPartition] === '4'));
    expect(ours.map((l) => [l.headers[DEAD_LETTER_HEADERS.reason], l.headers[DEAD_LETTER_HEADERS.errorCode], l.headers[DEAD_LETTER_HEADERS.originalTopic], l.headers[DEAD_LETTER_HEADERS.originalOffset]])).toEqual([
      ['unknown-framing', 'SCHEMA_DECODE', 'images-under-test', String(firstOffset)],
      ['unknown-fingerprint', 'UNKNOWN_SCHEMA', 'images-under-test', String(firstOffset + 1)],
      ['truncated', 'SCHEMA_DECODE', 'images-under-test', String(firstOffset + 2)],
    ]);
    expect(ours.map((l) => l.value)).toEqual([notAvro, unknownFingerprint, truncated]);
    await expectProcessed(runtime, await runtime.metadata.get(follower.eventId, new Date()), { width: 200, height: 150 });
  });

  it('applies the REST source-URL rule to image.url: refused spellings are dead-lettered out-of-bounds (INVALID_URL), others fetched, recorded and announced in canonical form; a reused eventId with other attributes is dead-lettered', async () => {
    const inbox = await openNotificationInbox(bed.clients, config, 'stream-url-rule');
    bed.defer(() => inbox.close());
    const jpeg = await makeJpeg({ width: 320, height: 240 });
    const path = bed.server.route((_req, res) => res.writeHead(200, { 'content-type': 'image/jpeg' }).end(jpeg));
    const canonical = bed.server.url(path);
    const refused = [`${canonical}\t`, `${canonical}\u0000.png`, 'https://example.com\\@evil.test/x.jpg', 'https:///a.jpg'].map((url) => newEvent(inbox.customerId, { kind: 'url', url }));
    const respelled = newEvent(inbox.customerId, { kind: 'url', url: canonical.replace(/^http:/, 'HTTP:').replace(path, `/x/..${path}`) + '#f' });
    const reused = { ...respelled, attributes: { test: 'other' } };
    // A dead-letter topic of this test's own, so the letters read are exactly these.
    const ownDlq = await bed.kafka.createTopic('stream-url-rule-dlq');
    const ownRuntime = createPipelineRuntime({ ...config, kafka: { ...config.kafka, deadLetterTopic: ownDlq } }, 'stream-url-rule');
    const ownConsumer = createStreamConsumer(ownRuntime, { kafka: quietKafka });
    bed.defer(async () => {
      await ownConsumer.close();
      destroyAwsClients(ownRuntime.clients);
    });
    const invoke = createMskHandler(ownConsumer);
    const firstOffset = offset;

    const response = await deliver([...refused.map((e) => encodeImageEvent(e)), encodeImageEvent(respelled)], { partition: 7, invoke });
    const record = await waitForFinalRecord(runtime.metadata, respelled.eventId);
    const replay = await deliver([encodeImageEvent(reused)], { partition: 7, invoke });

    expect([response, replay]).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
    const letters = inOriginalOrder(await bed.kafka.readMessages(ownDlq, { count: 5, distinctBy: byOriginalPosition }));
    expect(letters.map((l) => [l.headers[DEAD_LETTER_HEADERS.reason], l.headers[DEAD_LETTER_HEADERS.errorCode], l.headers[DEAD_LETTER_HEADERS.originalOffset]])).toEqual([
      ...refused.map((_e, i) => ['out-of-bounds', 'INVALID_URL', String(firstOffset + i)]),
      ['idempotency-conflict', 'IDEMPOTENCY_KEY_REUSED', String(firstOffset + refused.length + 1)],
    ]);
    for (const event of refused) expect(await runtime.metadata.get(event.eventId, new Date())).toBeUndefined();
    expect(record).toMatchObject({ status: 'PROCESSED', sourceUrl: canonical, attributes: { test: 'stream' } });
    expect(bed.server.hits(path)).toBe(1);
    const notes = await inbox.waitFor(1);
    expect(notes.map((n) => [n.type, n.imageId, n.sourceUrl])).toEqual([['image.processed', respelled.eventId, canonical]]);
  });

  it('accepts an event from a v2 producer (extra field with a default) through the v1 reader', async () => {
    const inbox = await openNotificationInbox(bed.clients, config, 'stream-v2');
    bed.defer(() => inbox.close());
    const eventId = randomUUID();
    const jpeg = await makeJpeg({ width: 256, height: 256 });
    // A producer in another language that only has the v2 schema file.
    const body = Type.forSchema(V2_AVSC as Parameters<typeof Type.forSchema>[0]).toBuffer({
      eventId,
      occurredAt: Date.now(),
      customerId: inbox.customerId,
      fileName: null,
      contentType: 'image/jpeg',
      attributes: { producer: 'v2' },
      image: { 'imagepipeline.events.InlineImage': { data: jpeg } },
      priority: 1,
    });

    const response = await deliver([frameSingleObject(fingerprintOf(V2_AVSC), body)]);

    expect(response).toEqual({ batchItemFailures: [] });
    const record = await runtime.metadata.get(eventId, new Date());
    expect(record?.attributes).toEqual({ producer: 'v2' });
    await expectProcessed(runtime, record, { width: 256, height: 256 });
  });

  it('reports a dependency failure as the partition resume point, and keeps other partitions going', async () => {
    // S3 on a closed port: connection refused, a retriable outage (a missing bucket would be a permanent error).
    const failingConfig = loadConfig({ ...process.env, AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9', DEAD_LETTER_TOPIC: dlqTopic, LOG_LEVEL: 'ERROR' });
    const failingRuntime = createPipelineRuntime(failingConfig, 'stream-test-dependency');
    const failingConsumer = createStreamConsumer(failingRuntime, { kafka: quietKafka });
    try {
      const customerId = `stream-dep-${randomUUID()}`;
      const unreachable = newEvent(customerId, { kind: 's3', bucket: config.rawBucket, key: claimCheckKey(customerId, 'a.jpg') });
      const behind = newEvent(customerId, { kind: 'inline', data: await makeJpeg({ width: 65, height: 65 }) });
      const event = mskEventOf([
        { topic: 'images-under-test', partition: 0, offset: 100, value: Buffer.from('poison before the outage') },
        { topic: 'images-under-test', partition: 0, offset: 101, value: encodeImageEvent(unreachable) },
        { topic: 'images-under-test', partition: 0, offset: 102, value: encodeImageEvent(behind) },
        { topic: 'images-under-test', partition: 1, offset: 7, value: Buffer.from('poison on another partition') },
      ]);

      const response = await createMskHandler(failingConsumer)(event);

      expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: { partition: 'images-under-test-0', offset: 101 } }] });
      expect(await failingRuntime.metadata.get(unreachable.eventId, new Date())).toBeUndefined();
      // The record behind may have started concurrently; it cannot have finished without S3.
      expect([undefined, 'RECEIVED']).toContain((await failingRuntime.metadata.get(behind.eventId, new Date()))?.status);
    } finally {
      await failingConsumer.close();
      destroyAwsClients(failingRuntime.clients);
    }
  });

  it('does not skip a poison record when the dead-letter topic cannot be written', async () => {
    const noDlqConfig = loadConfig({ ...process.env, DEAD_LETTER_TOPIC: `stream-test-no-such-topic-${randomUUID()}`, LOG_LEVEL: 'ERROR' });
    const noDlqRuntime = createPipelineRuntime(noDlqConfig, 'stream-test-no-dlq');
    const noDlqConsumer = createStreamConsumer(noDlqRuntime, { kafka: { ...quietKafka, retry: { retries: 1, initialRetryTime: 100 } } });
    try {
      const event = mskEventOf([
        { topic: 'images-under-test', partition: 2, offset: 50, value: Buffer.from('not avro at all') },
        { topic: 'images-under-test', partition: 2, offset: 51, value: null },
      ]);

      const response = await createMskHandler(noDlqConsumer)(event);

      expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: { partition: 'images-under-test-2', offset: 50 } }] });
    } finally {
      await noDlqConsumer.close();
      destroyAwsClients(noDlqRuntime.clients);
    }
  });

  it('the Lambda entry point (stream-consumer/handler.ts) builds itself from the environment and processes an event', async () => {
    const event = newEvent(`stream-entry-${randomUUID()}`, { kind: 'inline', data: await makeJpeg({ width: 120, height: 90 }) });

    const response = await deliver([encodeImageEvent(event)], { invoke: lambdaHandler });

    expect(response).toEqual({ batchItemFailures: [] });
    await expectProcessed(runtime, await runtime.metadata.get(event.eventId, new Date()), { width: 120, height: 90 });
  });
});

describe('the local runner, end to end through Kafka', () => {
  const lines: string[] = [];

  it('consumes published events, dead-letters poison, keeps each partition flowing and commits exactly what it finished', async () => {
    const topic = await bed.kafka.createTopic('stream-test-images', 2);
    const dlqTopic = await bed.kafka.createTopic('stream-test-runner-dlq');
    const groupId = `stream-test-group-${randomUUID()}`;
    // A small message limit so the larger image goes through the claim check.
    const config = loadConfig({ ...process.env, FETCH_ALLOW_LOOPBACK: 'true', FETCH_ALLOWED_PORTS: String(bed.server.port), DEAD_LETTER_TOPIC: dlqTopic, KAFKA_MAX_MESSAGE_BYTES: '40000', BATCH_SIZE: '4', LOG_LEVEL: 'WARN' });
    const inbox = await openNotificationInbox(bed.clients, config, 'stream-runner');
    bed.defer(() => inbox.close());
    const publisherRuntime = createPipelineRuntime(config, 'stream-test-publisher');
    bed.defer(async () => destroyAwsClients(publisherRuntime.clients));
    const publisher = await ImageEventPublisher.connect({ config, blobs: publisherRuntime.blobs, secrets: publisherRuntime.secrets, topic, kafkaOptions: quietKafka });
    bed.defer(() => publisher.disconnect());
    const raw: Producer = bed.kafka.client.producer({ idempotent: true, maxInFlightRequests: 1 });
    await raw.connect();
    bed.defer(() => raw.disconnect());

    const runner = createLocalStreamComponent(config, { topic, groupId, log: (line) => lines.push(line), kafka: quietKafka });
    const started = await runner.start();
    bed.defer(() => started.stop());

    const small = await makeJpeg({ width: 160, height: 120 });
    const large = await makeJpeg({ width: 400, height: 300 }, 5);
    expect(small.length).toBeLessThan(30_000);
    expect(large.length).toBeGreaterThan(40_000);
    const urlPath = bed.server.route((_req, res) => res.writeHead(200, { 'content-type': 'image/jpeg' }).end(small));
    const inline = await publisher.publish({ customerId: inbox.customerId, image: { kind: 'bytes', data: small } });
    const claimed = await publisher.publish({ customerId: inbox.customerId, image: { kind: 'bytes', data: large }, contentType: 'image/jpeg' });
    const byUrl = await publisher.publish({ customerId: inbox.customerId, image: { kind: 'url', url: bed.server.url(urlPath) } });
    const corrupt = await publisher.publish({ customerId: inbox.customerId, image: { kind: 'bytes', data: await makeTruncatedJpeg() } });
    const repeatedId = randomUUID();
    for (let i = 0; i < 3; i++) await publisher.publish({ eventId: repeatedId, customerId: inbox.customerId, image: { kind: 'bytes', data: small } });
    // Poison on partition 0, with good events behind it on the same partition.
    const behind = [newEvent(inbox.customerId, { kind: 'inline', data: small }), newEvent(inbox.customerId, { kind: 'inline', data: small })];
    // Partition 1 always gets one: keyed events may all hash to partition 0 (then it had no commit to compare).
    const onPartition1 = newEvent(inbox.customerId, { kind: 'inline', data: small });
    await raw.send({
      topic,
      acks: -1,
      messages: [
        { partition: 0, value: Buffer.from('plain text, not Avro') },
        { partition: 0, value: Buffer.concat([Buffer.from([0xc3, 0x01]), randomBytes(12)]) },
        { partition: 0, value: encodeImageEvent(behind[0] as ImageEvent).subarray(0, 30) },
        ...behind.map((e) => ({ partition: 0, key: e.eventId, value: encodeImageEvent(e) })),
        { partition: 1, key: onPartition1.eventId, value: encodeImageEvent(onPartition1) },
      ],
    });

    expect(inline.claimCheck).toBeUndefined();
    expect(claimed.claimCheck).toEqual({ bucket: config.rawBucket, key: `${CLAIM_CHECK_PREFIX}${inbox.customerId}/${claimed.eventId}` });
    const ids = [inline.eventId, claimed.eventId, byUrl.eventId, repeatedId, ...behind.map((e) => e.eventId), onPartition1.eventId];
    for (const id of ids) {
      const record = await waitForFinalRecord(publisherRuntime.metadata, id, 60_000);
      await expectProcessed(publisherRuntime, record, id === claimed.eventId ? { width: 400, height: 300 } : { width: 160, height: 120 });
    }
    expect(await waitForFinalRecord(publisherRuntime.metadata, corrupt.eventId, 30_000)).toMatchObject({ status: 'FAILED', error: { code: 'UNDECODABLE_IMAGE' } });
    const notes = await inbox.waitFor(ids.length + 1, 30_000);
    await inbox.settle(2000);
    expect(notes.map((n) => `${n.type}:${n.imageId}`).sort()).toEqual([...ids.map((id) => `image.processed:${id}`), `image.failed:${corrupt.eventId}`].sort());
    // Distinct by original offset: a batch redelivered after another record's retriable failure
    // dead-letters its poison again (at-least-once, as on AWS).
    const letters = await bed.kafka.readMessages(dlqTopic, { count: 3, distinctBy: byOriginalPosition });
    const byOffset = inOriginalOrder(letters);
    expect(byOffset.map((l) => l.headers[DEAD_LETTER_HEADERS.reason])).toEqual(['unknown-framing', 'unknown-fingerprint', 'truncated']);
    expect(letters.every((l) => l.headers[DEAD_LETTER_HEADERS.originalTopic] === topic && l.headers[DEAD_LETTER_HEADERS.originalPartition] === '0')).toBe(true);
    const end = await bed.kafka.endOffsets(topic);
    // Up to one redelivery backoff (≤ 10 s) after the last retriable failure, plus the commit.
    expect(await bed.kafka.waitForCommittedOffsets(groupId, topic, end, 30_000)).toEqual(end);
    expect(lines.some((l) => /^stream-runner topic=\S+ partition=\d offsets=\d+-\d+ records=\d+ ms=\d+ committed=\d+/.test(l))).toBe(true);
  });

  it('does not commit past a record whose dependency fails, and finishes it once the dependency is back', async () => {
    const topic = await bed.kafka.createTopic('stream-test-redeliver', 1);
    const groupId = `stream-test-group-${randomUUID()}`;
    // S3 behind a proxy the test switches off and on: an outage the consumer must wait out. (A
    // missing bucket would not do: it is a permanent error, and the image would end FAILED.)
    const s3 = await startSwitchableProxy(bed.config.endpoints.s3 ?? '');
    bed.defer(() => s3.close());
    const config = loadConfig({ ...process.env, AWS_ENDPOINT_URL_S3: s3.url, LOG_LEVEL: 'ERROR' });
    const runtime = createPipelineRuntime(config, 'stream-test-redeliver');
    bed.defer(async () => destroyAwsClients(runtime.clients));
    const publisher = await ImageEventPublisher.connect({ config, blobs: runtime.blobs, secrets: runtime.secrets, topic, kafkaOptions: quietKafka });
    bed.defer(() => publisher.disconnect());
    const consumer = createStreamConsumer(runtime, { kafka: quietKafka });
    bed.defer(() => consumer.close());
    const runnerLines: string[] = [];
    const runner = createStreamRunner({ config, handler: createMskHandler(consumer), secrets: runtime.secrets, topic, groupId, log: (line) => runnerLines.push(line), backoff: { initialMs: 200, maxMs: 1000 }, kafka: quietKafka });
    const started = await runner.start();
    bed.defer(() => started.stop());
    const customerId = `stream-redeliver-${randomUUID()}`;
    const jpeg = await makeJpeg({ width: 100, height: 100 });
    const lateKey = claimCheckKey(customerId, 'late.jpg');
    await bed.clients.s3.send(new PutObjectCommand({ Bucket: bed.config.rawBucket, Key: lateKey, Body: jpeg }));
    bed.defer(() => bed.clients.s3.send(new DeleteObjectCommand({ Bucket: bed.config.rawBucket, Key: lateKey })));

    const first = await publisher.publish({ customerId, image: { kind: 'bytes', data: jpeg } });
    expect((await waitForFinalRecord(runtime.metadata, first.eventId, 30_000))?.status).toBe('PROCESSED');
    s3.setOn(false);
    const waiting = await publisher.publish({ customerId, image: { kind: 's3', bucket: bed.config.rawBucket, key: lateKey } });
    const last = await publisher.publish({ customerId, image: { kind: 'bytes', data: await makeJpeg({ width: 101, height: 101 }) } });
    // The runner keeps redelivering the unreachable record; the commit stays at it.
    await waitUntil(() => runnerLines.filter((l) => l.includes(`resume at ${waiting.offset}`)).length >= 2, { what: `two redeliveries resuming at offset ${waiting.offset}`, timeoutMs: 20_000 });
    expect(await bed.kafka.committedOffsets(groupId, topic)).toEqual({ 0: waiting.offset });

    s3.setOn(true);

    await expectProcessed(runtime, await waitForFinalRecord(runtime.metadata, waiting.eventId, 30_000), { width: 100, height: 100 });
    await expectProcessed(runtime, await waitForFinalRecord(runtime.metadata, last.eventId, 30_000), { width: 101, height: 101 });
    const next = { 0: String(Number(last.offset) + 1) };
    expect(await bed.kafka.waitForCommittedOffsets(groupId, topic, next, 15_000)).toEqual(next);
  });
});
