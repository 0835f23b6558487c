/**
 * Avro image events: the schema, the wire framings (single-object, AWS Glue Schema Registry,
 * Confluent) and their dispatcher, fingerprints, the in-process schema registry, the codec shared
 * by producers and consumers, and the consumer's decoder for every framing.
 */
export {
  IMAGE_EVENT_SCHEMA,
  ImageEventCodec,
  createImageEventRegistry,
  decodeImageEvent,
  encodeImageEvent,
} from './codec';
export type { EncodeImageEventOptions, ImageEventCodecOptions, ImageEventRegistryOptions } from './codec';
export { fingerprintOf, parsingCanonicalForm } from './fingerprint';
export type { AvroSchema } from './fingerprint';
export { SINGLE_OBJECT_MAGIC } from './framing/single-object';
export { decodeAvroBody } from './avro-body';
export type { AvroResolver, AvroWriter } from './avro-body';
export { ImageEventDecoder } from './decoder';
export type { EsmSchemaMetadata, ImageEventDecoderOptions } from './decoder';
export {
  CONFLUENT_MAGIC,
  DEFAULT_MAX_BODY_BYTES,
  FRAMINGS,
  GLUE_COMPRESSION,
  GLUE_HEADER_VERSION,
  detectFraming,
  frameConfluent,
  frameGlue,
  frameSingleObject,
  parseConfluentFrame,
  parseGlueFrame,
} from './framing';
export type { ConfluentFrame, Framing, GlueCompression, GlueFrame, ParseGlueFrameOptions } from './framing';
export { assertEventBounds, boundedEvent } from './event-bounds';
export type { ImageEvent, ImageSource, InlineImageSource, S3ImageSource, UrlImageSource } from './image-event';
export { SchemaRegistry } from './registry';
export type { RegisteredSchema, SchemaRegistryOptions } from './registry';
