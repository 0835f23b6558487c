/**
 * Avro image events: the schema, single-object framing, fingerprints, the in-process schema
 * registry and the codec shared by producers and consumers.
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
export type { ImageEvent, ImageSource, InlineImageSource, S3ImageSource, UrlImageSource } from './image-event';
export { SchemaRegistry } from './registry';
export type { RegisteredSchema, SchemaRegistryOptions } from './registry';
