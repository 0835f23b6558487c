/**
 * The image event codec: {@link ImageEvent} ⇄ Avro single-object encoded bytes, through a
 * {@link SchemaRegistry} whose reader is a version of the image event schema.
 */
import { InvalidParameterError } from '../core/errors';
import type { AvroSchema } from './fingerprint';
import { fromImageEventRecord, toImageEventRecord } from './image-event';
import type { ImageEvent } from './image-event';
import { IMAGE_EVENT_V1_SCHEMA } from './image-event.v1';
import { SchemaRegistry } from './registry';
import type { RegisteredSchema } from './registry';

/**
 * The schema producers write by default and readers resolve into: version 1.
 */
export const IMAGE_EVENT_SCHEMA: AvroSchema = IMAGE_EVENT_V1_SCHEMA;

/** Options for {@link createImageEventRegistry}. */
export interface ImageEventRegistryOptions {
  /**
   * The image event version decoded events are resolved into.
   * @default IMAGE_EVENT_SCHEMA
   */
  reader?: AvroSchema;
  /**
   * Further versions to accept (older or newer writers) and to offer for encoding.
   * @default []
   */
  writers?: readonly AvroSchema[];
}

/**
 * A registry for image events: reader {@link IMAGE_EVENT_SCHEMA} unless told otherwise.
 *
 * @throws InvalidParameterError when a schema is malformed or a writer is not readable as the reader.
 * @example
 * const registry = createImageEventRegistry({ writers: [imageEventV2Schema] });
 * const codec = new ImageEventCodec({ registry });
 */
export function createImageEventRegistry(options: ImageEventRegistryOptions = {}): SchemaRegistry {
  const { reader = IMAGE_EVENT_SCHEMA, writers = [] } = options;
  return new SchemaRegistry({ reader, writers });
}

/** Options for {@link ImageEventCodec}. */
export interface ImageEventCodecOptions {
  /**
   * Where writer schemas are looked up and which version events are read as.
   * @default createImageEventRegistry()
   */
  registry?: SchemaRegistry;
}

/** Options for {@link ImageEventCodec.encode}. */
export interface EncodeImageEventOptions {
  /**
   * The registered version to write with, or its fingerprint hex.
   * @default the registry's reader schema (the current version)
   */
  writer?: RegisteredSchema | string;
}

/**
 * Encodes and decodes image events as Avro single-object messages. Build one per process and
 * reuse it: types and resolvers are built once, not per message.
 *
 * @example
 * const codec = new ImageEventCodec();
 * const message = codec.encode({ eventId, occurredAt: new Date(), customerId: 'c-1', attributes: {},
 *   image: { kind: 's3', bucket: 'uploads', key: 'a/b.jpg' } });
 * const event = codec.decode(message);
 */
export class ImageEventCodec {
  /** The registry holding every schema version this codec reads and writes. */
  readonly registry: SchemaRegistry;

  /**
   * @throws InvalidParameterError when the registry's reader is not a version of the image
   *   event schema that the current version can be read from and into.
   */
  constructor(options: ImageEventCodecOptions = {}) {
    const { registry = createImageEventRegistry() } = options;
    assertImageEventReader(registry);
    this.registry = registry;
  }

  /**
   * The single-object message for an event.
   *
   * @throws InvalidParameterError naming the first invalid property, or when `writer` is not
   *   registered.
   * @example
   * producer.send({ topic, messages: [{ key: event.eventId, value: codec.encode(event) }] });
   */
  encode(event: ImageEvent, options: EncodeImageEventOptions = {}): Buffer {
    return this.registry.encode(toImageEventRecord(event), options.writer);
  }

  /**
   * The event in a single-object message written with any registered version.
   *
   * @throws SchemaDecodeError whose `reason` is `bad-magic`, `truncated`, `unknown-fingerprint`
   *   or `invalid-body` (undecodable body, trailing bytes, or a field failing its rule, e.g. an
   *   `eventId` that is not a UUID or an empty `customerId`).
   * @example
   * const event = codec.decode(record.value);
   */
  decode(message: Buffer): ImageEvent {
    return fromImageEventRecord(this.registry.decode(message));
  }
}

/**
 * The mapping in `image-event.ts` reads records of the current version's shape, so the reader
 * must be an evolution of it: same record name, and resolvable both ways with the current version.
 */
function assertImageEventReader(registry: SchemaRegistry): void {
  const current = new SchemaRegistry({ reader: IMAGE_EVENT_SCHEMA });
  const { reader } = registry;
  const expectedName = current.reader.name;
  try {
    if (reader.name !== expectedName) throw new Error(`its record is named ${String(reader.name)}`);
    current.reader.type.createResolver(reader.type);
    reader.type.createResolver(current.reader.type);
  } catch (error) {
    throw new InvalidParameterError(
      `Expected a version of ${String(expectedName)} compatible with the current one for registry.reader but ${error instanceof Error ? error.message : String(error)}`,
      { cause: error, context: { parameter: 'registry.reader' } },
    );
  }
}

let defaultCodec: ImageEventCodec | undefined;

/** The shared codec behind {@link encodeImageEvent} and {@link decodeImageEvent}, built on first use. */
function sharedCodec(): ImageEventCodec {
  defaultCodec ??= new ImageEventCodec();
  return defaultCodec;
}

/**
 * Encodes an event with the current schema version, using a shared default codec.
 *
 * @throws InvalidParameterError naming the first invalid property.
 * @example
 * const value = encodeImageEvent({ eventId: randomUUID(), occurredAt: new Date(), customerId: 'c-1',
 *   attributes: {}, image: { kind: 'inline', data: jpegBytes } });
 */
export function encodeImageEvent(event: ImageEvent, options?: EncodeImageEventOptions): Buffer {
  return sharedCodec().encode(event, options);
}

/**
 * Decodes a message written with the current schema version, using a shared default codec.
 * Use an {@link ImageEventCodec} with its own registry to accept other versions.
 *
 * @throws SchemaDecodeError whose `reason` is `bad-magic`, `truncated`, `unknown-fingerprint`
 *   or `invalid-body`.
 * @example
 * const event = decodeImageEvent(message.value);
 */
export function decodeImageEvent(message: Buffer): ImageEvent {
  return sharedCodec().decode(message);
}
