/**
 * An in-process schema registry for Avro single-object encoding: every schema version a reader
 * knows, keyed by CRC-64-AVRO fingerprint, each with its resolver into the reader's schema built
 * once at registration.
 */
import { Type } from 'avsc';
import { InvalidParameterError, SchemaDecodeError, invalidParameterError } from '../core/errors';
import { fingerprintOf, parsingCanonicalForm } from './fingerprint';
import type { AvroSchema } from './fingerprint';
import {
  SINGLE_OBJECT_FINGERPRINT_OFFSET,
  SINGLE_OBJECT_HEADER_LENGTH,
  assertSingleObjectHeader,
  frameSingleObject,
} from './framing/single-object';
import { LOGICAL_TYPES } from './logical-types';
import { decodeAvroBody } from './avro-body';
import type { AvroResolver } from './avro-body';
import { DEAD_LETTER_REASONS } from '../core/constants';

/** One schema version the registry knows. */
export interface RegisteredSchema {
  /** Full name of the schema's top-level type, e.g. `imagepipeline.events.ImageEvent`. */
  readonly name: string | undefined;
  /** The fingerprint as 16 hex digits in wire order (the bytes after `C3 01`). */
  readonly fingerprintHex: string;
  /** The Parsing Canonical Form the fingerprint was computed from. */
  readonly canonicalForm: string;
  /** The schema as registered (parsed JSON). */
  readonly schema: AvroSchema;
  /** The avsc type built from it, with the registry's logical types. */
  readonly type: Type;
}

/** Options for {@link SchemaRegistry}. */
export interface SchemaRegistryOptions {
  /** The schema decoded values are resolved into; also the default writer schema. */
  reader: AvroSchema;
  /**
   * Other versions to accept from writers and to offer for encoding.
   * @default []
   */
  writers?: readonly AvroSchema[];
}

type Resolver = AvroResolver;

interface RegistryEntry {
  readonly registered: RegisteredSchema;
  readonly fingerprint: Buffer;
  /** The fingerprint's two little-endian 32-bit halves, so lookups compare numbers, not strings. */
  readonly low: number;
  readonly high: number;
  /** `undefined` for the reader's own schema: decoding without a resolver is faster. */
  readonly resolver: Resolver | undefined;
}

/**
 * avsc options shared by every type the registry builds. Wrapped unions stay on `auto` so
 * `null | string` decodes to `null` or a string, while a union of records decodes to
 * `{ '<full name>': record }` (the only unambiguous way to tell record branches apart).
 */
const TYPE_OPTIONS = { logicalTypes: LOGICAL_TYPES, wrapUnions: 'auto', omitRecordMethods: true } as const;

function buildType(schema: AvroSchema): Type {
  try {
    // A fresh options object per call: avsc stores its name registry in it, and versions of one
    // schema share names.
    return Type.forSchema(schema as Parameters<typeof Type.forSchema>[0], { ...TYPE_OPTIONS });
  } catch (error) {
    throw new InvalidParameterError(`Expected a valid Avro schema for schema but avsc rejected it: ${errorMessage(error)}`, {
      cause: error,
      context: { parameter: 'schema' },
    });
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Short, payload-free description of an avsc type for validation messages. */
function describeType(type: Type): string {
  return type.name ?? type.typeName;
}

/**
 * Keeps every schema version a reader accepts, keyed by fingerprint, and encodes/decodes
 * single-object messages with them. Values are avsc values of the reader's schema (records,
 * `Date` for timestamp-millis, wrapped unions for unions of records).
 *
 * @example
 * const registry = new SchemaRegistry({ reader: currentSchema, writers: [previousSchema] });
 * const message = registry.encode(record); // written with the reader's (current) schema
 * const value = registry.decode(message);   // resolved into the reader's schema
 */
export class SchemaRegistry {
  /** The reader's schema: what decoded values look like, and the default writer. */
  readonly reader: RegisteredSchema;

  private readonly readerType: Type;
  /** Reader first: it is what most messages carry, and the scan stops at the first match. */
  private readonly entries: RegistryEntry[] = [];
  private readonly byHex = new Map<string, RegistryEntry>();

  /**
   * @throws InvalidParameterError when a schema is malformed or a writer schema cannot be
   *   resolved into the reader's.
   */
  constructor(options: SchemaRegistryOptions) {
    const { reader, writers = [] } = options;
    this.readerType = buildType(reader);
    this.reader = this.add(reader, fingerprintOf(reader), this.readerType, undefined).registered;
    for (const writer of writers) this.register(writer);
  }

  /**
   * Adds a writer schema version; registering a known version again returns the existing entry.
   *
   * @throws InvalidParameterError when the schema is malformed or cannot be resolved into the
   *   reader's schema (e.g. a new field without a default, a changed field type).
   * @example
   * const v2 = registry.register(JSON.parse(readFileSync('image-event.v2.avsc', 'utf8')));
   * registry.encode(record, v2);
   */
  register(schema: AvroSchema): RegisteredSchema {
    const fingerprint = fingerprintOf(schema);
    const existing = this.byHex.get(fingerprint.toString('hex'));
    if (existing !== undefined) return existing.registered;
    const type = buildType(schema);
    let resolver: Resolver;
    try {
      resolver = this.readerType.createResolver(type);
    } catch (error) {
      throw new InvalidParameterError(
        `Expected a writer schema readable as ${describeType(this.readerType)} for schema but it cannot be resolved: ${errorMessage(error)}`,
        { cause: error, context: { parameter: 'schema' } },
      );
    }
    return this.add(schema, fingerprint, type, resolver).registered;
  }

  /**
   * The version with this fingerprint (16 hex digits, wire order), if registered.
   *
   * @example
   * registry.get(fingerprintOf(schema).toString('hex'))?.name;
   */
  get(fingerprintHex: string): RegisteredSchema | undefined {
    return this.byHex.get(fingerprintHex.toLowerCase())?.registered;
  }

  /** Every registered version, the reader's first. */
  versions(): RegisteredSchema[] {
    return this.entries.map((entry) => entry.registered);
  }

  /**
   * Encodes an avsc value as a single-object message.
   *
   * @param writer - the version to write with, or its fingerprint hex; the reader's schema
   *   when omitted.
   * @throws InvalidParameterError when the writer is not registered or the value does not match
   *   its schema (the message names the first offending path).
   * @example
   * const message = registry.encode(record);
   */
  encode(value: unknown, writer?: RegisteredSchema | string): Buffer {
    const entry = writer === undefined ? this.readerEntry() : this.entryForWriter(writer);
    let body: Buffer;
    try {
      body = entry.registered.type.toBuffer(value);
    } catch (error) {
      throw this.invalidValueError(entry.registered, value, error);
    }
    return frameSingleObject(entry.fingerprint, body);
  }

  /**
   * Decodes a single-object message written with any registered version, resolved into the
   * reader's schema (fields the writer lacks take the reader's defaults; fields the reader
   * lacks are skipped).
   *
   * @throws SchemaDecodeError with reason `bad-magic`, `truncated`, `unknown-fingerprint` or
   *   `invalid-body` (undecodable body or trailing bytes).
   * @example
   * const value = registry.decode(kafkaMessage.value);
   */
  decode(message: Buffer): unknown {
    if (!Buffer.isBuffer(message)) throw invalidParameterError('message', 'Buffer', message);
    const entry = this.writerEntryOf(message);
    return decodeAvroBody(this.readerType, message, SINGLE_OBJECT_HEADER_LENGTH, { type: entry.registered.type, resolver: entry.resolver, label: entry.registered.fingerprintHex });
  }

  /**
   * Decodes an Avro body (no framing) written with a registered version, from `offset` to the
   * end of `bytes`, resolved into the reader's schema. Registry-framed records use this once
   * their writer schema has been fetched and registered.
   *
   * @param label - how to name the writer in messages, e.g. a registry's schema version id.
   * @throws SchemaDecodeError with reason `truncated` or `invalid-body`.
   * @throws InvalidParameterError when `writer` is not registered here.
   * @example
   * const writer = registry.register(schemaFromGlue);
   * const value = registry.decodeBody(writer, message, 18, schemaVersionId);
   */
  decodeBody(writer: RegisteredSchema, bytes: Buffer, offset: number, label: string = writer.fingerprintHex): unknown {
    const entry = this.entryForWriter(writer);
    return decodeAvroBody(this.readerType, bytes, offset, { type: entry.registered.type, resolver: entry.resolver, label });
  }

  /**
   * The registered version a message was written with, after checking its header.
   *
   * @throws SchemaDecodeError with reason `bad-magic`, `truncated` or `unknown-fingerprint`.
   * @example
   * const writer = registry.writerOf(message); // e.g. for a dead-letter header
   */
  writerOf(message: Buffer): RegisteredSchema {
    return this.writerEntryOf(message).registered;
  }

  private writerEntryOf(message: Buffer): RegistryEntry {
    assertSingleObjectHeader(message);
    const low = message.readUInt32LE(SINGLE_OBJECT_FINGERPRINT_OFFSET);
    const high = message.readUInt32LE(SINGLE_OBJECT_FINGERPRINT_OFFSET + 4);
    for (const entry of this.entries) {
      if (entry.low === low && entry.high === high) return entry;
    }
    const fingerprintHex = message.toString('hex', SINGLE_OBJECT_FINGERPRINT_OFFSET, SINGLE_OBJECT_HEADER_LENGTH);
    throw new SchemaDecodeError(
      DEAD_LETTER_REASONS.unknownFingerprint,
      `Unknown writer schema fingerprint ${fingerprintHex}; this reader knows ${this.entries.map((entry) => entry.registered.fingerprintHex).join(', ')}`,
    );
  }

  private readerEntry(): RegistryEntry {
    // The constructor adds the reader first, so the array is never empty here.
    return this.entries[0] as RegistryEntry;
  }

  private entryForWriter(writer: RegisteredSchema | string): RegistryEntry {
    const fingerprintHex = typeof writer === 'string' ? writer.toLowerCase() : writer.fingerprintHex;
    const entry = this.byHex.get(fingerprintHex);
    if (entry === undefined) throw invalidParameterError('writer', 'the fingerprint of a schema version registered with this registry', fingerprintHex);
    return entry;
  }

  private add(schema: AvroSchema, fingerprint: Buffer, type: Type, resolver: Resolver | undefined): RegistryEntry {
    const registered: RegisteredSchema = Object.freeze({
      name: type.name,
      fingerprintHex: fingerprint.toString('hex'),
      canonicalForm: parsingCanonicalForm(schema),
      schema,
      type,
    });
    const entry: RegistryEntry = {
      registered,
      fingerprint,
      low: fingerprint.readUInt32LE(0),
      high: fingerprint.readUInt32LE(4),
      resolver,
    };
    this.entries.push(entry);
    this.byHex.set(registered.fingerprintHex, entry);
    return entry;
  }

  private invalidValueError(writer: RegisteredSchema, value: unknown, cause: unknown): InvalidParameterError {
    let firstProblem: { path: string[]; value: unknown; type: Type } | undefined;
    writer.type.isValid(value, {
      errorHook: (path, invalidValue, type) => {
        firstProblem ??= { path, value: invalidValue, type };
      },
    });
    const parameter = firstProblem === undefined || firstProblem.path.length === 0 ? 'value' : `value.${firstProblem.path.join('.')}`;
    const error = invalidParameterError(
      parameter,
      `Avro ${firstProblem === undefined ? describeType(writer.type) : describeType(firstProblem.type)}`,
      firstProblem?.value ?? value,
    );
    return new InvalidParameterError(error.message, { cause, context: error.context });
  }
}
