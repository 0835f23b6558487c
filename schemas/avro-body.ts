/**
 * The one place an Avro binary body is decoded with a known writer schema into the reader's
 * schema. Every framing (single-object, AWS Glue Schema Registry, Confluent) and the event source
 * mapping's JSON records end here, so checks on the body (e.g. bounds on block counts and
 * lengths) have a single place to hook in.
 */
import type { Type } from 'avsc';
import { SchemaDecodeError } from '../core/errors';
import { assertBodyBounds } from './body-bounds';
import { DEAD_LETTER_REASONS } from '../core/constants';

/** avsc's resolver from a writer type into a reader type. */
export type AvroResolver = ReturnType<Type['createResolver']>;

/** The writer side of a decode: how to resolve it, and how to name it in error messages. */
export interface AvroWriter {
  /** The writer's own type: the bounds pre-pass reads the body with it. */
  readonly type: Type;
  /**
   * Resolver into the reader's type; `undefined` when the writer is the reader's own schema
   * (decoding without a resolver is faster).
   */
  readonly resolver: AvroResolver | undefined;
  /** Names the writer schema in messages, e.g. its fingerprint or registry id; never payload. */
  readonly label: string;
}

/**
 * Decodes the Avro binary body that fills `bytes` from `offset` to its end, written with
 * `writer`, into a value of `readerType` (fields the writer lacks take the reader's defaults;
 * fields the reader lacks are skipped).
 *
 * Every length and block count is first checked against the bytes left (`body-bounds.ts`), so
 * the work is bounded by the body's size.
 *
 * @throws SchemaDecodeError with reason `truncated` (the body ends before the value does, or a
 *   length or count needs more bytes than are left) or `invalid-body` (undecodable, an index out
 *   of range, or bytes left over after the value).
 * @example
 * const value = decodeAvroBody(readerType, message, 10, { type: writerType, resolver, label: fingerprintHex });
 */
export function decodeAvroBody(readerType: Type, bytes: Buffer, offset: number, writer: AvroWriter): unknown {
  // Lengths and counts are checked against the bytes left before avsc loops over them.
  assertBodyBounds(writer.type, bytes, offset);
  let result: { value: unknown; offset: number };
  try {
    result = readerType.decode(bytes, offset, writer.resolver);
  } catch (error) {
    throw new SchemaDecodeError(DEAD_LETTER_REASONS.invalidBody, `Body does not decode with writer schema ${writer.label}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  // avsc reports reading past the end (a cut body, or a corrupt length) as offset -1.
  if (result.offset < 0) {
    throw new SchemaDecodeError(DEAD_LETTER_REASONS.truncated, `Body ends before the value written with schema ${writer.label} is complete`);
  }
  if (result.offset !== bytes.length) {
    throw new SchemaDecodeError(DEAD_LETTER_REASONS.invalidBody, `Body has ${bytes.length - result.offset} trailing byte(s) after the value written with schema ${writer.label}`);
  }
  return result.value;
}
