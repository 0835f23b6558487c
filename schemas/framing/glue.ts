/**
 * AWS Glue Schema Registry framing, as its serializers (Java `AWSKafkaAvroSerializer`, the Python
 * and JS SerDes) write it: header version byte `0x03`, a compression byte (`0x00` none, `0x05`
 * zlib), the writer's 16-byte schema version UUID (big-endian, as Java's `UUID` most then least
 * significant long), then the Avro binary body, zlib-deflated when the compression byte says so.
 *
 * Source: awslabs/aws-glue-schema-registry, `AWSSchemaRegistryConstants` (HEADER_VERSION_BYTE = 3,
 * COMPRESSION_BYTE = 5, COMPRESSION_DEFAULT_BYTE = 0) and `AWSDeserializerInput` header layout.
 */
import { deflateSync, inflateSync } from 'node:zlib';
import { SchemaDecodeError } from '../../core/errors';
import { DEAD_LETTER_REASONS } from '../../core/constants';

/** The first byte of every Glue-framed record. */
export const GLUE_HEADER_VERSION = 0x03;

/** The compression byte's values. */
export const GLUE_COMPRESSION = { none: 0x00, zlib: 0x05 } as const;

/** A compression the Glue framing names. */
export type GlueCompression = keyof typeof GLUE_COMPRESSION;

/** Header byte + compression byte + 16-byte UUID. */
export const GLUE_HEADER_LENGTH = 18;

const UUID_OFFSET = 2;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A parsed Glue record: which schema version wrote it, and where its (inflated) Avro body is. */
export class GlueFrame {
  constructor(
    /** The whole record as received; its bytes 2–17 are the schema version id. */
    readonly message: Buffer,
    readonly compression: GlueCompression,
    /** Bytes holding the body: the message itself, or the inflated body when compressed. */
    readonly bytes: Buffer,
    /** Where the body starts in `bytes`. */
    readonly offset: number,
  ) {}

  /** The schema version id, lowercase canonical UUID text (what `GetSchemaVersion` takes); built on demand. */
  get schemaVersionId(): string {
    const hex = this.message.toString('hex', UUID_OFFSET, GLUE_HEADER_LENGTH);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  /**
   * True when this record names the same version as `header` (another Glue record, or at least
   * its first 18 bytes): four integer compares, no allocation, for the decoder's warm path.
   */
  sameSchemaVersionAs(header: Buffer): boolean {
    const a = this.message;
    const b = header;
    return (
      a.readUInt32BE(2) === b.readUInt32BE(2) && a.readUInt32BE(6) === b.readUInt32BE(6) && a.readUInt32BE(10) === b.readUInt32BE(10) && a.readUInt32BE(14) === b.readUInt32BE(14)
    );
  }
}

/** Options of {@link parseGlueFrame}. */
export interface ParseGlueFrameOptions {
  /**
   * Largest inflated body accepted, so a small compressed record cannot expand without bound.
   * @default 11 MiB (a 10 MiB inline image plus the event's other fields)
   */
  maxBodyBytes?: number;
}

/** The default bound on an inflated body: the 10 MiB image limit plus room for the event's other fields. */
export const DEFAULT_MAX_BODY_BYTES = 11 * 1024 * 1024;

/**
 * Reads a Glue-framed record's header and, when compressed, inflates its body (bounded).
 *
 * @throws SchemaDecodeError with reason `bad-magic` (first byte not `0x03`), `truncated` (shorter
 *   than the 18-byte header), `unsupported-compression` (a compression byte other than 0x00/0x05),
 *   `body-too-large` (inflates past `maxBodyBytes`) or `invalid-compressed-body` (not zlib data).
 * @example
 * const { schemaVersionId, bytes, offset } = parseGlueFrame(record.value);
 */
export function parseGlueFrame(message: Buffer, options: ParseGlueFrameOptions = {}): GlueFrame {
  const { maxBodyBytes = DEFAULT_MAX_BODY_BYTES } = options;
  if (message.length > 0 && message[0] !== GLUE_HEADER_VERSION) {
    throw new SchemaDecodeError(DEAD_LETTER_REASONS.badMagic, `Expected the AWS Glue Schema Registry header byte 03 but the message starts with ${hexByte(message[0])}`);
  }
  if (message.length < GLUE_HEADER_LENGTH) {
    throw new SchemaDecodeError(DEAD_LETTER_REASONS.truncated, `Expected at least ${GLUE_HEADER_LENGTH} bytes (header, compression, schema version id) but the message has ${message.length}`);
  }
  const compressionByte = message[1];
  if (compressionByte === GLUE_COMPRESSION.none) return new GlueFrame(message, 'none', message, GLUE_HEADER_LENGTH);
  if (compressionByte !== GLUE_COMPRESSION.zlib) {
    throw new SchemaDecodeError(DEAD_LETTER_REASONS.unsupportedCompression, `Unknown AWS Glue Schema Registry compression byte ${hexByte(compressionByte)}; expected 00 (none) or 05 (zlib)`);
  }
  let inflated: Buffer;
  try {
    inflated = inflateSync(message.subarray(GLUE_HEADER_LENGTH), { maxOutputLength: maxBodyBytes });
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new SchemaDecodeError(DEAD_LETTER_REASONS.bodyTooLarge, `The zlib-compressed body inflates past ${maxBodyBytes} bytes`, { cause: error });
    }
    throw new SchemaDecodeError(DEAD_LETTER_REASONS.invalidCompressedBody, `The body is marked zlib-compressed but does not inflate: ${(error as Error).message}`, { cause: error });
  }
  return new GlueFrame(message, 'zlib', inflated, 0);
}

/**
 * A Glue-framed record for an Avro body written with the schema version `schemaVersionId`.
 *
 * @throws RangeError when `schemaVersionId` is not a UUID: a programming error, not bad input.
 * @example
 * const value = frameGlue(versionId, type.toBuffer(record), 'zlib');
 */
export function frameGlue(schemaVersionId: string, body: Uint8Array, compression: GlueCompression = 'none'): Buffer {
  if (!UUID_PATTERN.test(schemaVersionId)) throw new RangeError(`A Glue schema version id is a UUID, got ${JSON.stringify(schemaVersionId)}`);
  const payload = compression === 'zlib' ? deflateSync(body) : body;
  const message = Buffer.allocUnsafe(GLUE_HEADER_LENGTH + payload.length);
  message[0] = GLUE_HEADER_VERSION;
  message[1] = GLUE_COMPRESSION[compression];
  message.write(schemaVersionId.replace(/-/g, ''), UUID_OFFSET, 16, 'hex');
  message.set(payload, GLUE_HEADER_LENGTH);
  return message;
}

function hexByte(byte: number | undefined): string {
  return (byte ?? 0).toString(16).padStart(2, '0').toUpperCase();
}
