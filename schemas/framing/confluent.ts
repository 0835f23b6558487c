/**
 * Confluent Schema Registry wire format for Avro: magic byte `0x00`, the writer schema's 4-byte
 * big-endian registry id, then the Avro binary body. (Protobuf adds message indexes after the id;
 * Avro does not.) Any Confluent-compatible registry (Confluent, Apicurio in its compatibility
 * API, Redpanda, Karapace) serves ids of this kind.
 *
 * Source: Confluent documentation, "Schema Registry: Wire format".
 */
import { SchemaDecodeError } from '../../core/errors';
import { DEAD_LETTER_REASONS } from '../../core/constants';

/** The first byte of every Confluent-framed record. */
export const CONFLUENT_MAGIC = 0x00;

/** Magic byte + 4-byte schema id. */
export const CONFLUENT_HEADER_LENGTH = 5;

/** A parsed Confluent record: the writer's schema id and where its Avro body starts. */
export interface ConfluentFrame {
  /** The registry's global schema id (a positive 32-bit integer). */
  readonly schemaId: number;
  readonly offset: number;
}

/**
 * Reads a Confluent-framed record's header.
 *
 * @throws SchemaDecodeError with reason `bad-magic` (first byte not `0x00`) or `truncated`
 *   (shorter than the 5-byte header).
 * @example
 * const { schemaId, offset } = parseConfluentFrame(record.value);
 */
export function parseConfluentFrame(message: Buffer): ConfluentFrame {
  if (message.length > 0 && message[0] !== CONFLUENT_MAGIC) {
    throw new SchemaDecodeError(DEAD_LETTER_REASONS.badMagic, `Expected the Confluent magic byte 00 but the message starts with ${(message[0] ?? 0).toString(16).padStart(2, '0').toUpperCase()}`);
  }
  if (message.length < CONFLUENT_HEADER_LENGTH) {
    throw new SchemaDecodeError(DEAD_LETTER_REASONS.truncated, `Expected at least ${CONFLUENT_HEADER_LENGTH} bytes (magic byte and schema id) but the message has ${message.length}`);
  }
  return { schemaId: message.readUInt32BE(1), offset: CONFLUENT_HEADER_LENGTH };
}

/**
 * A Confluent-framed record for an Avro body written with registry schema `schemaId`.
 *
 * @throws RangeError when `schemaId` is not a 32-bit unsigned integer: a programming error.
 * @example
 * const value = frameConfluent(42, type.toBuffer(record));
 */
export function frameConfluent(schemaId: number, body: Uint8Array): Buffer {
  if (!Number.isInteger(schemaId) || schemaId < 0 || schemaId > 0xffffffff) throw new RangeError(`A Confluent schema id is a 32-bit unsigned integer, got ${schemaId}`);
  const message = Buffer.allocUnsafe(CONFLUENT_HEADER_LENGTH + body.length);
  message[0] = CONFLUENT_MAGIC;
  message.writeUInt32BE(schemaId, 1);
  message.set(body, CONFLUENT_HEADER_LENGTH);
  return message;
}
