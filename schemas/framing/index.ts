/**
 * Which framing a record uses, told by its first byte: Avro single-object (`C3`), AWS Glue Schema
 * Registry (`03`) or Confluent (`00`). One file per framing beside this one.
 */
import { SchemaDecodeError } from '../../core/errors';
import { CONFLUENT_MAGIC } from './confluent';
import { GLUE_HEADER_VERSION } from './glue';
import { SINGLE_OBJECT_MAGIC } from './single-object';
import { DEAD_LETTER_REASONS } from '../../core/constants';

/** The framings the consumer reads. */
export const FRAMINGS = ['single-object', 'glue', 'confluent'] as const;

/** One of {@link FRAMINGS}. */
export type Framing = (typeof FRAMINGS)[number];

/**
 * The framing of a record, from its first byte.
 *
 * @throws SchemaDecodeError with reason `unknown-framing` for an empty record or a first byte no
 *   framing starts with (JSON text, plain Avro, another registry's format).
 * @example
 * switch (detectFraming(record.value)) { case 'glue': … }
 */
export function detectFraming(message: Uint8Array): Framing {
  switch (message[0]) {
    case SINGLE_OBJECT_MAGIC[0]:
      return 'single-object';
    case GLUE_HEADER_VERSION:
      return 'glue';
    case CONFLUENT_MAGIC:
      return 'confluent';
    default:
      throw new SchemaDecodeError(
        DEAD_LETTER_REASONS.unknownFraming,
        message.length === 0
          ? 'The record value is empty'
          : `Unknown framing: the record starts with ${(message[0] as number).toString(16).padStart(2, '0').toUpperCase()}; expected C3 (Avro single-object), 03 (AWS Glue Schema Registry) or 00 (Confluent)`,
      );
  }
}

export { CONFLUENT_HEADER_LENGTH, CONFLUENT_MAGIC, frameConfluent, parseConfluentFrame } from './confluent';
export type { ConfluentFrame } from './confluent';
export { DEFAULT_MAX_BODY_BYTES, GLUE_COMPRESSION, GLUE_HEADER_LENGTH, GLUE_HEADER_VERSION, frameGlue, parseGlueFrame } from './glue';
export type { GlueCompression, GlueFrame, ParseGlueFrameOptions } from './glue';
export { SINGLE_OBJECT_MAGIC, frameSingleObject } from './single-object';
