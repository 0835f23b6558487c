/**
 * Avro single-object encoding framing: a two-byte marker, the writer schema's 8-byte
 * little-endian CRC-64-AVRO fingerprint, then the Avro binary body.
 *
 * This module only deals with those bytes; which schema a fingerprint means is the
 * registry's business.
 */
import { SchemaDecodeError } from '../../core/errors';
import { DEAD_LETTER_REASONS } from '../../core/constants';

/** The two marker bytes every single-object encoded message starts with. */
export const SINGLE_OBJECT_MAGIC = [0xc3, 0x01] as const;

/** Bytes before the body: marker plus fingerprint. */
export const SINGLE_OBJECT_HEADER_LENGTH = 10;

/** Offset of the 8-byte fingerprint inside a message. */
export const SINGLE_OBJECT_FINGERPRINT_OFFSET = 2;

const FINGERPRINT_LENGTH = 8;

/**
 * Prepends the single-object header to an Avro binary body.
 *
 * @throws RangeError when the fingerprint is not 8 bytes: a programming error, not bad input.
 * @example
 * const message = frameSingleObject(fingerprintOf(schema), type.toBuffer(record));
 */
export function frameSingleObject(fingerprint: Uint8Array, body: Uint8Array): Buffer {
  if (fingerprint.length !== FINGERPRINT_LENGTH) {
    throw new RangeError(`A CRC-64-AVRO fingerprint is ${FINGERPRINT_LENGTH} bytes, got ${fingerprint.length}`);
  }
  const message = Buffer.allocUnsafe(SINGLE_OBJECT_HEADER_LENGTH + body.length);
  message[0] = SINGLE_OBJECT_MAGIC[0];
  message[1] = SINGLE_OBJECT_MAGIC[1];
  message.set(fingerprint, SINGLE_OBJECT_FINGERPRINT_OFFSET);
  message.set(body, SINGLE_OBJECT_HEADER_LENGTH);
  return message;
}

/**
 * Checks that a message starts with a complete single-object header.
 *
 * A wrong marker byte is reported even when the message is also short, because "this is not
 * single-object encoded" (JSON, Confluent framing, plain Avro) is the more useful diagnosis.
 *
 * @throws SchemaDecodeError with reason `bad-magic` when the marker is not `C3 01`, or
 *   `truncated` when the message is shorter than the 10-byte header.
 * @example
 * assertSingleObjectHeader(message);
 * const fingerprint = message.subarray(2, 10);
 */
export function assertSingleObjectHeader(message: Uint8Array): void {
  const { length } = message;
  if ((length > 0 && message[0] !== SINGLE_OBJECT_MAGIC[0]) || (length > 1 && message[1] !== SINGLE_OBJECT_MAGIC[1])) {
    throw new SchemaDecodeError(DEAD_LETTER_REASONS.badMagic, `Expected Avro single-object marker C3 01 but the message starts with ${hexPrefix(message)}`);
  }
  if (length < SINGLE_OBJECT_HEADER_LENGTH) {
    throw new SchemaDecodeError(
      DEAD_LETTER_REASONS.truncated,
      `Expected at least ${SINGLE_OBJECT_HEADER_LENGTH} bytes (marker + schema fingerprint) but the message has ${length}`,
    );
  }
}

/** The first two bytes as hex: enough to identify the framing without logging payload bytes. */
function hexPrefix(message: Uint8Array): string {
  return Buffer.from(message.subarray(0, 2)).toString('hex').toUpperCase().replace(/(..)(?=.)/g, '$1 ');
}
