/**
 * The decoder for every framing: writer lookup through the registry port (in-memory fakes of the
 * port; the Confluent adapter with its kept client against a loopback registry serving recorded
 * responses), caching, dead-letter reasons, and a v2 writer read through the v1 reader in each
 * framing and in the event source mapping's JSON.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfluentSchemaRegistry } from '../../../core/adapters/confluent/schema-registry';
import { DependencyError, SchemaDecodeError } from '../../../core/errors';
import type { RegistrySchema, SchemaRegistryClient } from '../../../core/ports';
import { ImageEventCodec, ImageEventDecoder, createImageEventRegistry, frameConfluent, frameGlue, type ImageEvent } from '../../../schemas';
import { RECORDED_EVENT, RECORDED_GLUE_PLAIN, RECORDED_GLUE_ZLIB, RECORDED_VERSION_ID } from '../../helpers/recorded-frames';
import { V1_AVSC, V2_AVSC, referenceEvent } from '../../helpers/image-events';

/** An in-memory registry port that counts lookups. */
class FakeRegistry implements SchemaRegistryClient {
  readonly lookups: string[] = [];
  failNext: Error | undefined;
  constructor(
    readonly kind: 'glue' | 'confluent',
    private readonly schemas: Record<string, RegistrySchema>,
  ) {}
  async getSchema(schemaId: string): Promise<RegistrySchema | undefined> {
    this.lookups.push(schemaId);
    const failure = this.failNext;
    this.failNext = undefined;
    if (failure !== undefined) throw failure;
    return this.schemas[schemaId];
  }
}

const avro = (schema: unknown): RegistrySchema => ({ dataFormat: 'AVRO', definition: JSON.stringify(schema) });
const V2_VERSION_ID = '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9';

async function reasonOf(action: () => Promise<unknown>): Promise<{ reason: string; code: string } | undefined> {
  try {
    await action();
  } catch (error) {
    if (error instanceof SchemaDecodeError) return { reason: error.reason, code: error.code };
    throw error;
  }
  return undefined;
}

/** The v2 avsc value of an event (wrapped union branch, nulls for absent optionals) plus `priority`. */
function v2Record(event: ImageEvent): Record<string, unknown> {
  const image = event.image;
  const branch =
    image.kind === 's3'
      ? { 'imagepipeline.events.S3ImageRef': { bucket: image.bucket, key: image.key, versionId: image.versionId ?? null } }
      : image.kind === 'url'
        ? { 'imagepipeline.events.UrlImageRef': { url: image.url } }
        : { 'imagepipeline.events.InlineImage': { data: image.data } };
  return { eventId: event.eventId, occurredAt: event.occurredAt, customerId: event.customerId, fileName: event.fileName ?? null, contentType: event.contentType ?? null, attributes: event.attributes, image: branch, priority: 9 };
}

describe('ImageEventDecoder with a Glue registry', () => {
  it('decodes the recorded Python records, plain and zlib, with one registry lookup between them', async () => {
    const glue = new FakeRegistry('glue', { [RECORDED_VERSION_ID]: avro(V1_AVSC) });
    const decoder = new ImageEventDecoder({ glue });

    const events = [await decoder.decode(RECORDED_GLUE_PLAIN), await decoder.decode(RECORDED_GLUE_ZLIB)];

    expect(events).toEqual([RECORDED_EVENT, RECORDED_EVENT]);
    expect(glue.lookups).toEqual([RECORDED_VERSION_ID]);
  });

  it('dead-letters an unknown version as unknown-schema-version (UNKNOWN_SCHEMA), remembering it for the TTL only', async () => {
    const glue = new FakeRegistry('glue', {});
    let now = 1_000;
    const decoder = new ImageEventDecoder({ glue, unknownSchemaTtlMs: 60_000, now: () => now });

    const first = await reasonOf(() => decoder.decode(RECORDED_GLUE_PLAIN));
    const again = await reasonOf(() => decoder.decode(RECORDED_GLUE_ZLIB));
    now += 60_001;
    const later = await reasonOf(() => decoder.decode(RECORDED_GLUE_PLAIN));

    expect([first, again, later]).toEqual(Array(3).fill({ reason: 'unknown-schema-version', code: 'UNKNOWN_SCHEMA' }));
    expect(glue.lookups).toEqual([RECORDED_VERSION_ID, RECORDED_VERSION_ID]);
  });

  it('passes a registry failure on as retriable and does not cache it', async () => {
    const glue = new FakeRegistry('glue', { [RECORDED_VERSION_ID]: avro(V1_AVSC) });
    glue.failNext = new DependencyError('Glue', 'Glue GetSchemaVersion failed: ThrottlingException');
    const decoder = new ImageEventDecoder({ glue });

    await expect(decoder.decode(RECORDED_GLUE_PLAIN)).rejects.toMatchObject({ retriable: true });
    await expect(decoder.decode(RECORDED_GLUE_PLAIN)).resolves.toEqual(RECORDED_EVENT);
  });

  it.each([
    ['a writer whose field types cannot resolve', avro({ ...(V1_AVSC as object), fields: [{ name: 'eventId', type: 'int' }] })],
    ['a JSON Schema', { dataFormat: 'JSON', definition: '{"type":"object"}' }],
    ['a definition that is not JSON', { dataFormat: 'AVRO', definition: '{not json' }],
  ])('dead-letters %s as unresolvable-writer-schema', async (_label, schema) => {
    const decoder = new ImageEventDecoder({ glue: new FakeRegistry('glue', { [RECORDED_VERSION_ID]: schema }) });
    expect(await reasonOf(() => decoder.decode(RECORDED_GLUE_PLAIN))).toEqual({ reason: 'unresolvable-writer-schema', code: 'SCHEMA_DECODE' });
  });

  it('dead-letters registry-framed records when no registry of that kind is configured', async () => {
    const decoder = new ImageEventDecoder();
    expect(await reasonOf(() => decoder.decode(RECORDED_GLUE_PLAIN))).toEqual({ reason: 'registry-not-configured', code: 'SCHEMA_DECODE' });
    expect(await reasonOf(() => decoder.decode(frameConfluent(7, Buffer.from([2]))))).toEqual({ reason: 'registry-not-configured', code: 'SCHEMA_DECODE' });
  });

  it('refuses a body with trailing bytes, as the single-object path does', async () => {
    const decoder = new ImageEventDecoder({ glue: new FakeRegistry('glue', { [RECORDED_VERSION_ID]: avro(V1_AVSC) }) });
    expect(await reasonOf(() => decoder.decode(Buffer.concat([RECORDED_GLUE_PLAIN, Buffer.from([0])])))).toEqual({ reason: 'invalid-body', code: 'SCHEMA_DECODE' });
  });
});

describe('the Confluent adapter with its kept client, against a loopback registry serving recorded responses', () => {
  let server: Server;
  let url: string;
  const requests: string[] = [];

  beforeAll(async () => {
    // Recorded shapes of Confluent's REST API: GET /schemas/ids/{id} → {"schema": "<definition>"}; 404 → error_code 40403.
    server = createServer((request, response) => {
      requests.push(request.url ?? '');
      const match = /^\/schemas\/ids\/(\d+)/.exec(request.url ?? '');
      const schema = match?.[1] === '21' ? V2_AVSC : match?.[1] === '20' ? V1_AVSC : undefined;
      if (schema === undefined) {
        response.writeHead(404, { 'content-type': 'application/vnd.schemaregistry.v1+json' }).end(JSON.stringify({ error_code: 40403, message: 'Schema not found' }));
        return;
      }
      response.writeHead(200, { 'content-type': 'application/vnd.schemaregistry.v1+json' }).end(JSON.stringify({ schema: JSON.stringify(schema) }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('resolves a Confluent-framed v2 record into the v1 reader, and an unknown id is unknown-schema-id', async () => {
    const confluent = new ConfluentSchemaRegistry({ url });
    const decoder = new ImageEventDecoder({ confluent });
    const event = referenceEvent();
    const v2 = createImageEventRegistry({ reader: V2_AVSC }).reader.type;

    const decoded = await decoder.decode(frameConfluent(21, v2.toBuffer(v2Record(event))));
    const unknown = await reasonOf(() => decoder.decode(frameConfluent(99, v2.toBuffer(v2Record(event)))));

    expect(decoded).toEqual(event);
    expect(unknown).toEqual({ reason: 'unknown-schema-id', code: 'UNKNOWN_SCHEMA' });
    expect(requests.filter((r) => r.startsWith('/schemas/ids/21'))).toHaveLength(1);
  });
});

describe('a v2 writer read through the v1 reader', () => {
  const v2 = createImageEventRegistry({ reader: V2_AVSC });
  const event = referenceEvent();
  const body = v2.reader.type.toBuffer(v2Record(event));
  const registries = {
    glue: new FakeRegistry('glue', { [V2_VERSION_ID]: avro(V2_AVSC) }),
    confluent: new FakeRegistry('confluent', { '21': avro(V2_AVSC) }),
  };
  const decoder = new ImageEventDecoder({ ...registries, codec: new ImageEventCodec({ registry: createImageEventRegistry({ writers: [V2_AVSC] }) }) });

  it.each([
    ['single-object', (): Buffer => v2.encode(v2Record(event))],
    ['Glue, uncompressed', (): Buffer => frameGlue(V2_VERSION_ID, body)],
    ['Glue, zlib', (): Buffer => frameGlue(V2_VERSION_ID, body, 'zlib')],
    ['Confluent', (): Buffer => frameConfluent(21, body)],
  ])('in %s framing', async (_framing, message) => {
    await expect(decoder.decode(message())).resolves.toEqual(event);
  });

  it('in the event source mapping JSON, named by its Glue version id or its Confluent id', async () => {
    const json = Buffer.from(v2.reader.type.toString(v2Record(event)));
    await expect(decoder.decodeJson(json, { dataFormat: 'AVRO', schemaId: V2_VERSION_ID })).resolves.toEqual(event);
    await expect(decoder.decodeJson(json, { dataFormat: 'AVRO', schemaId: '21' })).resolves.toEqual(event);
  });
});

describe('ImageEventDecoder.decodeJson', () => {
  const decoder = new ImageEventDecoder();
  const event = referenceEvent();
  const v1Json = (): Buffer => Buffer.from(new ImageEventCodec().registry.reader.type.toString(v2Record(event)));

  it('reads a v1 record in Avro JSON encoding with the reader schema when no schema id is given', async () => {
    await expect(decoder.decodeJson(v1Json())).resolves.toEqual(event);
  });

  it.each([
    ['invalid-json', Buffer.from('{"eventId": '), {}],
    ['invalid-json', Buffer.from(JSON.stringify({ eventId: event.eventId })), {}],
    ['unsupported-data-format', Buffer.from('{}'), { dataFormat: 'PROTOBUF' }],
  ])('refuses with %s', async (reason, json, metadata) => {
    expect((await reasonOf(() => decoder.decodeJson(json, metadata)))?.reason).toBe(reason);
  });

  it('applies the same semantic checks as the Avro path', async () => {
    const bad = { ...v2Record(event), eventId: 'not-a-uuid' };
    delete (bad as { priority?: number }).priority;
    const json = Buffer.from(new ImageEventCodec().registry.reader.type.toString(bad));
    expect(await reasonOf(() => decoder.decodeJson(json))).toEqual({ reason: 'invalid-body', code: 'SCHEMA_DECODE' });
  });
});
