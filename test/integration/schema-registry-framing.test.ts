/**
 * Registry-framed records against the real local stack: Glue-framed events written by an
 * independent producer (the `aws-glue-schema-registry` Python package with fastavro and boto3,
 * in a temporary virtualenv) against moto's Glue, read back by the MSK handler whose decoder
 * fetches writer schemas from the same Glue; the event source mapping's JSON records; and a v2
 * writer read through the v1 reader in every framing the stack serves. Every test names its own
 * Glue registry, topics and customer.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logLevel } from 'kafkajs';
import type { MSKEvent } from 'aws-lambda';
import { DeleteRegistryCommand } from '@aws-sdk/client-glue';
import { createAwsClients, destroyAwsClients, loadConfig, type AwsClients, type Config } from '../../core';
import { createPipelineRuntime, type PipelineRuntime } from '../../core/runtime';
import { GlueSchemaRegistry } from '../../core/adapters/glue/schema-registry';
import { IMAGE_EVENT_SCHEMA, ImageEventCodec, createImageEventRegistry, frameGlue, type ImageEvent } from '../../schemas';
import { DEAD_LETTER_HEADERS, createMskHandler, createStreamConsumer, type MskBatchResponse, type MskHandlerFunction, type StreamConsumer } from '../../stream-consumer';
import { makeJpeg } from '../helpers/images';
import { mskEventOf } from '../helpers/msk-events';
import { openNotificationInbox, waitForFinalRecord } from '../helpers/notifications';
import { V2_AVSC } from '../helpers/image-events';
import { connectTestKafka, type TestKafka } from '../helpers/kafka';

const SERDE_VERSION = '1.1.3';
/** Kept between runs: building it downloads the package from PyPI once. */
const VENV = join(tmpdir(), `image-pipeline-glue-serde-${SERDE_VERSION}`);
const PRODUCER = join(__dirname, '..', 'helpers', 'glue_serde_producer.py');
const V1_DEFINITION = readFileSync(join(__dirname, '..', '..', 'schemas', 'image-event.v1.avsc'), 'utf8');
const V2_DEFINITION = JSON.stringify(V2_AVSC);
const INLINE = 'imagepipeline.events.InlineImage';

let config: Config;
let clients: AwsClients;
let runtime: PipelineRuntime;
let consumer: StreamConsumer;
let handler: MskHandlerFunction;
let kit: TestKafka;
let dlqTopic: string;
let registryName: string;
let offset = 0;
const cleanups: (() => Promise<unknown>)[] = [];

/** The venv with aws-glue-schema-registry (boto3, fastavro), built on first use. */
function ensureSerdeVenv(): string {
  const python = join(VENV, 'bin', 'python');
  if (!existsSync(join(VENV, 'ready'))) {
    execFileSync('python3', ['-m', 'venv', VENV], { stdio: 'ignore', timeout: 120_000 });
    execFileSync(join(VENV, 'bin', 'pip'), ['install', '--quiet', `aws-glue-schema-registry==${SERDE_VERSION}`], { stdio: 'ignore', timeout: 300_000 });
    execFileSync('touch', [join(VENV, 'ready')]);
  }
  return python;
}

interface ProducedRecord {
  schemaVersionId: string;
  value: Buffer;
}

/** Has the independent producer register `definition` (if new) and write `event` Glue-framed. */
function produceWithPython(event: ImageEvent & { priority?: number }, definition: string, compress: boolean): ProducedRecord {
  if (event.image.kind !== 'inline') throw new Error('the producer helper writes inline images only');
  const record: Record<string, unknown> = {
    eventId: event.eventId,
    occurredAt: event.occurredAt.getTime(),
    customerId: event.customerId,
    fileName: event.fileName ?? null,
    contentType: event.contentType ?? null,
    attributes: event.attributes,
    image: { '-type': INLINE, dataHex: event.image.data.toString('hex') },
  };
  if (event.priority !== undefined) record['priority'] = event.priority;
  const output = execFileSync(ensureSerdeVenv(), [PRODUCER], {
    input: JSON.stringify({ registry: registryName, schemaName: 'image-events-value', definition, record, compress }),
    env: { ...process.env, AWS_ENDPOINT_URL_GLUE: config.endpoints.glue ?? '', AWS_DEFAULT_REGION: config.region },
    timeout: 60_000,
  });
  const parsed = JSON.parse(output.toString('utf8')) as { schemaVersionId: string; valueHex: string };
  return { schemaVersionId: parsed.schemaVersionId, value: Buffer.from(parsed.valueHex, 'hex') };
}

/** An MSK event for `values`; a value with `metadata` is a record the ESM decoded to JSON. */
function eventOf(values: { value: Buffer; metadata?: { dataFormat: string; schemaId: string } }[]): MSKEvent {
  const specs = values.map(({ value }) => ({ topic: 'framing-under-test', partition: 0, offset: offset++, value }));
  const event = mskEventOf(specs);
  const records = event.records['framing-under-test-0'] ?? [];
  values.forEach(({ metadata }, index) => {
    if (metadata !== undefined) Object.assign(records[index] as object, { valueSchemaMetadata: metadata });
  });
  return event;
}

async function deliver(values: { value: Buffer; metadata?: { dataFormat: string; schemaId: string } }[]): Promise<MskBatchResponse> {
  return (await handler(eventOf(values))) as MskBatchResponse;
}

/** Dead letters on the test's DLQ topic (their headers), until `count` arrived or 30 s passed. */
async function readDeadLetters(count: number): Promise<Record<string, string>[]> {
  return (await kit.readMessages(dlqTopic, { count })).map((letter) => letter.headers);
}

function newEvent(customerId: string, data: Buffer): ImageEvent {
  return { eventId: randomUUID(), occurredAt: new Date(), customerId, fileName: 'framed.jpg', attributes: { test: 'framing' }, image: { kind: 'inline', data } };
}

/** Avro's JSON encoding of an event (unions wrapped, bytes as code points 0–255), as the ESM's JSON mode hands it over. */
function avroJson(event: ImageEvent, extra: Record<string, unknown> = {}): Buffer {
  if (event.image.kind !== 'inline') throw new Error('inline images only');
  return Buffer.from(
    JSON.stringify({
      eventId: event.eventId,
      occurredAt: event.occurredAt.getTime(),
      customerId: event.customerId,
      fileName: event.fileName === undefined ? null : { string: event.fileName },
      contentType: null,
      attributes: event.attributes,
      image: { [INLINE]: { data: event.image.data.toString('latin1') } },
      ...extra,
    }),
  );
}

beforeAll(async () => {
  ensureSerdeVenv();
  const base = loadConfig();
  clients = createAwsClients(base);
  kit = await connectTestKafka({ clientId: 'framing-test' });
  dlqTopic = await kit.createTopic('framing-test-dlq');
  registryName = `framing-test-${randomUUID()}`;
  // Glue allows few registries per account (moto enforces the quota too): remove ours afterwards.
  cleanups.push(() => clients.glue.send(new DeleteRegistryCommand({ RegistryId: { RegistryName: registryName } })));
  config = loadConfig({ ...process.env, DEAD_LETTER_TOPIC: dlqTopic, LOG_LEVEL: 'WARN' });
  runtime = createPipelineRuntime(config, 'framing-test');
  // The consumer reads v1 and resolves any writer Glue knows into it; v2 is known in process
  // only for the single-object case (its fingerprint cannot be fetched from a registry).
  consumer = createStreamConsumer(runtime, { codec: new ImageEventCodec({ registry: createImageEventRegistry({ writers: [V2_AVSC] }) }), kafka: { logLevel: logLevel.NOTHING } });
  handler = createMskHandler(consumer);
}, 420_000);

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await consumer?.close();
  await kit?.close();
  if (runtime) destroyAwsClients(runtime.clients);
  if (clients) destroyAwsClients(clients);
});

it('Glue-framed events from an independent producer, uncompressed and zlib, are each processed once', async () => {
  const inbox = await openNotificationInbox(clients, config, 'framing-glue');
  cleanups.push(() => inbox.close());
  const plain = newEvent(inbox.customerId, await makeJpeg({ width: 320, height: 240 }, 11));
  const zlib = newEvent(inbox.customerId, await makeJpeg({ width: 320, height: 240 }, 12));
  const plainRecord = produceWithPython(plain, V1_DEFINITION, false);
  const zlibRecord = produceWithPython(zlib, V1_DEFINITION, true);

  const first = await deliver([{ value: plainRecord.value }, { value: zlibRecord.value }]);
  const redelivered = await deliver([{ value: plainRecord.value }, { value: zlibRecord.value }]);

  expect([plainRecord.value[0], plainRecord.value[1], zlibRecord.value[0], zlibRecord.value[1]]).toEqual([0x03, 0x00, 0x03, 0x05]);
  expect(plainRecord.value.subarray(2, 18).toString('hex')).toBe(plainRecord.schemaVersionId.replace(/-/g, ''));
  expect([first, redelivered]).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);
  for (const event of [plain, zlib]) {
    expect(await waitForFinalRecord(runtime.metadata, event.eventId, 60_000)).toMatchObject({ status: 'PROCESSED', source: 'kafka', customerId: inbox.customerId, width: 320, height: 240, fileName: 'framed.jpg' });
  }
  const notes = await inbox.waitFor(2, 30_000);
  await inbox.settle(2000);
  expect(notes.map((n) => `${n.type}:${n.imageId}`).sort()).toEqual([`image.processed:${plain.eventId}`, `image.processed:${zlib.eventId}`].sort());
});

it('a Glue record naming an unknown schema version, and one with an unknown framing, are dead-lettered with their reasons', async () => {
  const body = new ImageEventCodec().encode(newEvent('framing-unknown', await makeJpeg({ width: 32, height: 32 }))).subarray(10);
  const unknownVersion = randomUUID();
  const records = [{ value: frameGlue(unknownVersion, body, 'zlib') }, { value: Buffer.from([0x7b, 0x22]) }];

  const response = await deliver(records);

  expect(response).toEqual({ batchItemFailures: [] });
  const letters = await readDeadLetters(2);
  const reasons = letters.map((l) => [l[DEAD_LETTER_HEADERS.reason], l[DEAD_LETTER_HEADERS.errorCode]]).sort();
  expect(reasons).toEqual([
    ['unknown-framing', 'SCHEMA_DECODE'],
    ['unknown-schema-version', 'UNKNOWN_SCHEMA'],
  ]);
  expect(letters.find((l) => l[DEAD_LETTER_HEADERS.reason] === 'unknown-schema-version')?.[DEAD_LETTER_HEADERS.errorMessage]).toContain(unknownVersion);
});

it('records the event source mapping decoded to JSON are processed, and invalid ones refused as strictly as Avro', async () => {
  const inbox = await openNotificationInbox(clients, config, 'framing-esm-json');
  cleanups.push(() => inbox.close());
  const { schemaVersionId } = produceWithPython(newEvent(inbox.customerId, Buffer.from([0xff, 0xd8])), V1_DEFINITION, false);
  const good = newEvent(inbox.customerId, await makeJpeg({ width: 240, height: 180 }, 13));
  const emptyCustomer = newEvent('', await makeJpeg({ width: 16, height: 16 }));
  const metadata = { dataFormat: 'AVRO', schemaId: schemaVersionId };

  const response = await deliver([
    { value: avroJson(good), metadata },
    { value: avroJson(emptyCustomer), metadata },
    { value: Buffer.from(JSON.stringify({ eventId: randomUUID() })), metadata },
  ]);

  expect(response).toEqual({ batchItemFailures: [] });
  expect(await waitForFinalRecord(runtime.metadata, good.eventId, 60_000)).toMatchObject({ status: 'PROCESSED', width: 240, height: 180, customerId: inbox.customerId });
  expect(await runtime.metadata.get(emptyCustomer.eventId, new Date())).toBeUndefined();
  const notes = await inbox.waitFor(1, 30_000);
  expect(notes.map((n) => n.imageId)).toEqual([good.eventId]);
  // The previous test left two letters on the topic; these two follow them.
  const letters = (await readDeadLetters(4)).filter((l) => Number(l[DEAD_LETTER_HEADERS.originalOffset]) >= offset - 2);
  expect(letters.map((l) => [l[DEAD_LETTER_HEADERS.reason], l[DEAD_LETTER_HEADERS.errorMessage]?.slice(0, 60)]).sort()).toEqual([
    ['invalid-body', expect.stringContaining('Expected non-empty string for event.customerId') as unknown as string],
    ['invalid-json', expect.stringContaining('The JSON record is not a valid imagepipeline.events.Ima') as unknown as string],
  ]);
});

it('a v2 writer is read through the v1 reader in every framing: single-object, Glue (plain and zlib) and ESM JSON', async () => {
  const inbox = await openNotificationInbox(clients, config, 'framing-v2');
  cleanups.push(() => inbox.close());
  const jpeg = await makeJpeg({ width: 200, height: 100 }, 14);
  const [singleObject, gluePlain, glueZlib, esmJson] = [0, 1, 2, 3].map(() => newEvent(inbox.customerId, jpeg));
  const v2Codec = new ImageEventCodec({ registry: createImageEventRegistry({ reader: V2_AVSC }) });
  const v2Registry = v2Codec.registry;
  const singleObjectValue = v2Registry.encode({ ...recordOf(singleObject!), priority: 9 });
  const plain = produceWithPython({ ...gluePlain!, priority: 9 }, V2_DEFINITION, false);
  const zlib = produceWithPython({ ...glueZlib!, priority: 9 }, V2_DEFINITION, true);

  const response = await deliver([
    { value: singleObjectValue },
    { value: plain.value },
    { value: zlib.value },
    { value: avroJson(esmJson!, { priority: 9 }), metadata: { dataFormat: 'AVRO', schemaId: plain.schemaVersionId } },
  ]);

  expect(response).toEqual({ batchItemFailures: [] });
  for (const event of [singleObject, gluePlain, glueZlib, esmJson]) {
    expect(await waitForFinalRecord(runtime.metadata, event!.eventId, 60_000)).toMatchObject({ status: 'PROCESSED', width: 200, height: 100 });
  }
  const notes = await inbox.waitFor(4, 30_000);
  expect(notes.map((n) => n.imageId).sort()).toEqual([singleObject, gluePlain, glueZlib, esmJson].map((e) => e!.eventId).sort());
});

it('`ingest publish --framing glue-zlib` names the schema version the bootstrap registered, and the consumer processes it', async () => {
  const inbox = await openNotificationInbox(clients, config, 'framing-cli');
  cleanups.push(() => inbox.close());
  const topic = await kit.createTopic('framing-cli');
  const dir = mkdtempSync(join(tmpdir(), 'framing-cli-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'cli.jpg');
  writeFileSync(file, await makeJpeg({ width: 180, height: 120 }, 15));
  const { glueRegistryName, glueSchemaName } = config.schemaRegistry;
  // Idempotent: the id of the version the stack bootstrap registered (global setup runs it).
  const bootstrapVersionId = await new GlueSchemaRegistry(clients.glue).registerAvroVersion(glueRegistryName, glueSchemaName, JSON.stringify(IMAGE_EVENT_SCHEMA));

  const cli = spawnSync(process.execPath, [join(__dirname, '..', '..', 'bin', 'ingest.js'), 'publish', file, '--customer', inbox.customerId, '--framing', 'glue-zlib'], {
    env: { ...process.env, IMAGE_TOPIC: topic },
    encoding: 'utf8',
    timeout: 60_000,
  });

  expect({ status: cli.status, stderr: cli.status === 0 ? '' : cli.stderr }).toEqual({ status: 0, stderr: '' });
  const eventId = cli.stdout.trim();
  const values = (await kit.readMessages(topic, { count: 1 })).map((message) => message.value);
  expect(values).toHaveLength(1);
  const value = values[0] as Buffer;
  expect([value[0], value[1], value.subarray(2, 18).toString('hex')]).toEqual([0x03, 0x05, bootstrapVersionId.replace(/-/g, '')]);
  expect(await deliver([{ value }])).toEqual({ batchItemFailures: [] });
  expect(await waitForFinalRecord(runtime.metadata, eventId, 60_000)).toMatchObject({ status: 'PROCESSED', customerId: inbox.customerId, width: 180, height: 120, fileName: 'cli.jpg' });
});

/** avsc's value of the v2 record for an inline event (wrapped union branch, null optionals). */
function recordOf(event: ImageEvent): Record<string, unknown> {
  if (event.image.kind !== 'inline') throw new Error('inline images only');
  return {
    eventId: event.eventId,
    occurredAt: event.occurredAt,
    customerId: event.customerId,
    fileName: event.fileName ?? null,
    contentType: null,
    attributes: event.attributes,
    image: { [INLINE]: { data: event.image.data } },
  };
}
