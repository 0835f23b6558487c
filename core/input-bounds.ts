/**
 * The bounds every field of an ingestion request obeys, on both paths (REST and stream), checked
 * at the edge before any work is done. They keep the DynamoDB item well under its 400 KB limit
 * (DynamoDB Developer Guide, "Service, account, and table quotas": item size) and the SNS message
 * under 256 KB (SNS API Reference, Publish: "Message"), whatever a caller sends:
 * file name ≤ 1 KiB + attributes ≤ 16 KiB + the pipeline's own fields (~4 KiB with every variant)
 * leave more than 90% of either limit unused.
 */
import { invalidParameterError } from './errors';

/** The limits, in UTF-8 bytes where a length is given in bytes. */
export const INPUT_BOUNDS = {
  /** Customer ids: 1–64 letters, digits, `_`, `.`, `-`, starting with a letter or digit; the same for API keys and events. */
  customerId: /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/,
  /** A file name: 1–255 characters (any script) and at most 1024 UTF-8 bytes, no control characters. */
  fileNameMaxChars: 255,
  fileNameMaxBytes: 1024,
  /** The claimed media type of an event: at most 255 bytes. */
  contentTypeMaxBytes: 255,
  /** Attributes: at most 50 entries, keys 1–128 bytes, values ≤ 1024 bytes, 16 KiB in all. */
  attributesMaxCount: 50,
  attributeKeyMaxBytes: 128,
  attributeValueMaxBytes: 1024,
  attributesMaxTotalBytes: 16 * 1024,
  /** S3 limits (S3 User Guide, "Naming Amazon S3 objects"): bucket 3–63, key ≤ 1024 bytes. */
  bucketMaxBytes: 63,
  objectKeyMaxBytes: 1024,
  versionIdMaxBytes: 1024,
  /** A URL to fetch: at most 2048 bytes. */
  urlMaxBytes: 2048,
} as const;

/** C0/C1 controls and DEL: never part of a file name we keep or echo. */
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;
/** A UTF-16 surrogate without its pair: not a character, and not encodable as UTF-8. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function utf8Length(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** The customer-id rule in words, as every message that refuses one states it. */
export const CUSTOMER_ID_RULE = '1-64 letters, digits, "_", "." or "-", starting with a letter or digit';

/**
 * Checks a customer id against {@link INPUT_BOUNDS}.customerId: the one rule for API keys, REST
 * and stream events, `ingest publish`, `WATERMARK_CUSTOMERS` and the dashboard's filter.
 * @throws InvalidParameterError naming `parameter`.
 * @example
 * assertCustomerIdBounds('acme-eu.1');                 // ok
 * assertCustomerIdBounds('acme:eu', '--customer');     // throws, naming --customer
 */
export function assertCustomerIdBounds(customerId: unknown, parameter = 'customerId'): asserts customerId is string {
  if (typeof customerId !== 'string' || !INPUT_BOUNDS.customerId.test(customerId)) {
    throw invalidParameterError(parameter, CUSTOMER_ID_RULE, customerId);
  }
}

/**
 * Checks a file name: 1–255 characters, ≤ 1024 UTF-8 bytes, no control characters.
 * @throws InvalidParameterError naming `parameter`.
 */
export function assertFileNameBounds(fileName: unknown, parameter = 'fileName'): asserts fileName is string {
  const expected = `file name of 1-${INPUT_BOUNDS.fileNameMaxChars} characters (${INPUT_BOUNDS.fileNameMaxBytes} UTF-8 bytes at most) without control characters`;
  if (typeof fileName !== 'string' || fileName.length === 0 || [...fileName].length > INPUT_BOUNDS.fileNameMaxChars) throw invalidParameterError(parameter, expected, fileName);
  if (utf8Length(fileName) > INPUT_BOUNDS.fileNameMaxBytes || CONTROL_CHARACTERS.test(fileName) || LONE_SURROGATE.test(fileName)) {
    throw invalidParameterError(parameter, expected, fileName);
  }
}

/**
 * Checks attributes: count, key and value lengths, total size.
 * @throws InvalidParameterError naming the offending attribute.
 */
export function assertAttributesBounds(attributes: Readonly<Record<string, string>> | undefined, parameter = 'attributes'): void {
  if (attributes === undefined) return;
  const entries = Object.entries(attributes);
  if (entries.length > INPUT_BOUNDS.attributesMaxCount) {
    throw invalidParameterError(parameter, `at most ${INPUT_BOUNDS.attributesMaxCount} entries`, `${entries.length} entries`);
  }
  let total = 0;
  for (const [key, value] of entries) {
    const keyBytes = utf8Length(key);
    if (keyBytes === 0 || keyBytes > INPUT_BOUNDS.attributeKeyMaxBytes) {
      throw invalidParameterError(`${parameter} key`, `1-${INPUT_BOUNDS.attributeKeyMaxBytes} UTF-8 bytes`, key);
    }
    const valueBytes = utf8Length(value);
    if (valueBytes > INPUT_BOUNDS.attributeValueMaxBytes) {
      throw invalidParameterError(`${parameter}.${key.slice(0, 40)}`, `at most ${INPUT_BOUNDS.attributeValueMaxBytes} UTF-8 bytes`, `${valueBytes} bytes`);
    }
    total += keyBytes + valueBytes;
  }
  if (total > INPUT_BOUNDS.attributesMaxTotalBytes) {
    throw invalidParameterError(parameter, `at most ${INPUT_BOUNDS.attributesMaxTotalBytes} UTF-8 bytes of keys and values`, `${total} bytes`);
  }
}

/** What {@link assertRequestBounds} checks: the caller-given fields both paths store. */
export interface BoundedFields {
  customerId: string;
  fileName?: string;
  attributes?: Readonly<Record<string, string>>;
}

/**
 * Checks the caller-given fields of an ingestion request (REST or stream) against
 * {@link INPUT_BOUNDS}.
 *
 * @throws InvalidParameterError naming the first field over its bound.
 * @example
 * assertRequestBounds({ customerId: 'acme', fileName: '写真.jpg', attributes: { camera: 'x100' } });
 */
export function assertRequestBounds(fields: BoundedFields): void {
  assertCustomerIdBounds(fields.customerId);
  if (fields.fileName !== undefined) assertFileNameBounds(fields.fileName);
  assertAttributesBounds(fields.attributes);
}

/** A string field of at most `maxBytes` UTF-8 bytes. @throws InvalidParameterError */
export function assertMaxBytes(value: string, maxBytes: number, parameter: string): void {
  if (utf8Length(value) > maxBytes) throw invalidParameterError(parameter, `at most ${maxBytes} UTF-8 bytes`, `${utf8Length(value)} bytes`);
}
