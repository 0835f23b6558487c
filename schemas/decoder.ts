/**
 * The consumer's one decoder for image events in every framing it knows: Avro single-object
 * (writer found by fingerprint in the in-process registry), AWS Glue Schema Registry and Confluent
 * (writer fetched by id from the registry, then cached), and the JSON records a Lambda event
 * source mapping in schema-registry mode hands over. Every path ends in the same Avro body decode
 * into the reader's schema (`avro-body.ts`) and the same semantic checks (`image-event.ts`).
 */
import { InvalidParameterError, SchemaDecodeError, invalidParameterError } from '../core/errors';
import type { SchemaRegistryClient } from '../core/ports';
import { ImageEventCodec } from './codec';
import type { AvroSchema } from './fingerprint';
import { detectFraming, parseConfluentFrame, parseGlueFrame, DEFAULT_MAX_BODY_BYTES, GLUE_HEADER_LENGTH } from './framing';
import { fromImageEventRecord } from './image-event';
import type { ImageEvent } from './image-event';
import type { RegisteredSchema } from './registry';
import { DEAD_LETTER_REASONS } from '../core/constants';

/** What the event source mapping says about a record it decoded (`valueSchemaMetadata`). */
export interface EsmSchemaMetadata {
  /** e.g. `AVRO`. */
  dataFormat?: string;
  /** The writer's registry id: a Glue schema version id or a Confluent schema id. */
  schemaId?: string;
}

/** Options of {@link ImageEventDecoder}. */
export interface ImageEventDecoderOptions {
  /**
   * The reader schema and the single-object writers known in process.
   * @default new ImageEventCodec()
   */
  codec?: ImageEventCodec;
  /**
   * Where Glue-framed records' writer schemas are fetched; without it they are dead-lettered
   * with reason `registry-not-configured`.
   * @default undefined
   */
  glue?: SchemaRegistryClient;
  /**
   * Where Confluent-framed records' writer schemas are fetched; without it they are dead-lettered
   * with reason `registry-not-configured`.
   * @default undefined
   */
  confluent?: SchemaRegistryClient;
  /**
   * Largest inflated body of a zlib-compressed Glue record.
   * @default DEFAULT_MAX_BODY_BYTES (11 MiB)
   */
  maxBodyBytes?: number;
  /**
   * How long an id the registry did not know is remembered as unknown, so a burst of such
   * records costs one registry call, not one per record.
   * @default 60000
   */
  unknownSchemaTtlMs?: number;
  /** @default Date.now */
  now?: () => number;
}

/** A writer schema resolved from a registry, or why it cannot be used. */
type CachedWriter = { writer: RegisteredSchema } | { error: SchemaDecodeError; until: number };

/**
 * Decodes image events in any framing the consumer knows. Build one per process: writer schemas
 * fetched from a registry are cached for the process's life (registry versions are immutable).
 *
 * @example
 * const decoder = new ImageEventDecoder({ glue: new GlueSchemaRegistry(clients.glue) });
 * const event = await decoder.decode(record.value);
 */
export class ImageEventDecoder {
  /** The codec whose registry holds the reader schema and every writer met so far. */
  readonly codec: ImageEventCodec;
  private readonly clients: { glue?: SchemaRegistryClient; confluent?: SchemaRegistryClient };
  private readonly maxBodyBytes: number;
  private readonly unknownSchemaTtlMs: number;
  private readonly now: () => number;
  private readonly writers = new Map<string, CachedWriter>();
  private readonly pending = new Map<string, Promise<CachedWriter>>();
  /** The Glue writer of the previous record: producers write runs of one version, so this skips the map and the id text. */
  private lastGlue: { header: Buffer; writer: RegisteredSchema; label: string } | undefined;
  /** The Confluent writer of the previous record, for the same reason. */
  private lastConfluent: { schemaId: number; writer: RegisteredSchema; label: string } | undefined;

  constructor(options: ImageEventDecoderOptions = {}) {
    this.codec = options.codec ?? new ImageEventCodec();
    this.clients = { glue: options.glue, confluent: options.confluent };
    this.maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.unknownSchemaTtlMs = options.unknownSchemaTtlMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  /**
   * The event in a record of any known framing.
   *
   * @throws SchemaDecodeError whose `reason` says what failed: `unknown-framing`, `bad-magic`,
   *   `truncated`, `unsupported-compression`, `invalid-compressed-body`, `body-too-large`,
   *   `unknown-fingerprint`, `unknown-schema-version` (Glue), `unknown-schema-id` (Confluent),
   *   `registry-not-configured`, `unresolvable-writer-schema` or `invalid-body`.
   * @throws DependencyError when a registry cannot be reached (retriable).
   * @example
   * const event = await decoder.decode(record.value);
   */
  async decode(message: Buffer): Promise<ImageEvent> {
    if (!Buffer.isBuffer(message)) throw invalidParameterError('message', 'Buffer', message);
    switch (detectFraming(message)) {
      case 'single-object':
        return this.codec.decode(message);
      case 'glue': {
        const frame = parseGlueFrame(message, { maxBodyBytes: this.maxBodyBytes });
        let last = this.lastGlue;
        if (last === undefined || !frame.sameSchemaVersionAs(last.header)) {
          const schemaVersionId = frame.schemaVersionId;
          const writer = await this.writerFor('glue', schemaVersionId);
          // A copy of the header only: keeping the record would keep its (inflated) body alive.
          last = { header: Buffer.from(frame.message.subarray(0, GLUE_HEADER_LENGTH)), writer, label: `glue:${schemaVersionId}` };
          this.lastGlue = last;
        }
        return fromImageEventRecord(this.codec.registry.decodeBody(last.writer, frame.bytes, frame.offset, last.label));
      }
      case 'confluent': {
        const frame = parseConfluentFrame(message);
        let last = this.lastConfluent;
        if (last === undefined || last.schemaId !== frame.schemaId) {
          const writer = await this.writerFor('confluent', String(frame.schemaId));
          last = { schemaId: frame.schemaId, writer, label: `confluent:${frame.schemaId}` };
          this.lastConfluent = last;
        }
        return fromImageEventRecord(this.codec.registry.decodeBody(last.writer, message, frame.offset, last.label));
      }
    }
  }

  /**
   * The event in a record the event source mapping already decoded to JSON (schema-registry
   * mode, `EventRecordFormat: JSON`). The JSON is read with the writer schema named by
   * `metadata.schemaId` (through the registry that id belongs to) or, without one, the reader's,
   * then goes through the same body decode and checks as a binary record: a missing field, a
   * wrong type or a bad value is refused exactly as it would be in Avro.
   *
   * The JSON is Avro's JSON encoding (specification, "JSON Encoding"): union values other than
   * `null` wrapped as `{ "<type name>": value }`, bytes as a string of code points 0–255.
   *
   * @throws SchemaDecodeError with reason `invalid-json`, `unsupported-data-format`, or any
   *   reason of {@link ImageEventDecoder.decode} for the writer lookup and the body.
   * @example
   * const event = await decoder.decodeJson(record.value, record.valueSchemaMetadata);
   */
  async decodeJson(json: Buffer, metadata: EsmSchemaMetadata = {}): Promise<ImageEvent> {
    if (metadata.dataFormat !== undefined && metadata.dataFormat.toUpperCase() !== 'AVRO') {
      throw new SchemaDecodeError(DEAD_LETTER_REASONS.unsupportedDataFormat, `Expected valueSchemaMetadata.dataFormat AVRO but the record says ${JSON.stringify(metadata.dataFormat.slice(0, 40))}`);
    }
    const writer = metadata.schemaId === undefined ? this.codec.registry.reader : await this.writerFor(registryKindOf(metadata.schemaId), metadata.schemaId);
    let body: Buffer;
    try {
      // Avro's JSON encoding → a value of the writer's type → the writer's binary form, so the
      // record takes exactly the binary path from here on.
      body = writer.type.toBuffer(writer.type.fromString(json.toString('utf8')));
    } catch (error) {
      throw new SchemaDecodeError(DEAD_LETTER_REASONS.invalidJson, `The JSON record is not a valid ${writer.name ?? 'record'} in Avro's JSON encoding: ${(error as Error).message.slice(0, 200)}`, { cause: error });
    }
    return fromImageEventRecord(this.codec.registry.decodeBody(writer, body, 0, metadata.schemaId ?? writer.fingerprintHex));
  }

  private async writerFor(kind: 'glue' | 'confluent', schemaId: string): Promise<RegisteredSchema> {
    const key = `${kind}:${schemaId}`;
    let cached = this.writers.get(key);
    if (cached !== undefined && 'error' in cached && cached.until <= this.now()) cached = undefined;
    if (cached === undefined) {
      let pending = this.pending.get(key);
      if (pending === undefined) {
        pending = this.fetchWriter(kind, schemaId).finally(() => this.pending.delete(key));
        this.pending.set(key, pending);
      }
      cached = await pending;
      this.writers.set(key, cached);
    }
    if ('error' in cached) throw cached.error;
    return cached.writer;
  }

  /** One registry lookup; a registry failure (DependencyError) is thrown, not cached. */
  private async fetchWriter(kind: 'glue' | 'confluent', schemaId: string): Promise<CachedWriter> {
    const client = this.clients[kind];
    const registryName = kind === 'glue' ? 'AWS Glue Schema Registry' : 'Confluent schema registry';
    const until = this.now() + this.unknownSchemaTtlMs;
    if (client === undefined) {
      return { error: new SchemaDecodeError(DEAD_LETTER_REASONS.registryNotConfigured, `The record names ${registryName} schema ${schemaId} but no ${kind} registry is configured`), until };
    }
    const found = await client.getSchema(schemaId);
    if (found === undefined) {
      const reason = kind === 'glue' ? DEAD_LETTER_REASONS.unknownSchemaVersion : DEAD_LETTER_REASONS.unknownSchemaId;
      return { error: new SchemaDecodeError(reason, `${registryName} has no available schema ${kind === 'glue' ? 'version ' : ''}${schemaId}`), until };
    }
    if (found.dataFormat.toUpperCase() !== 'AVRO') {
      return { error: new SchemaDecodeError(DEAD_LETTER_REASONS.unresolvableWriterSchema, `${registryName} schema ${schemaId} is ${found.dataFormat}, not AVRO`), until: Number.POSITIVE_INFINITY };
    }
    try {
      return { writer: this.codec.registry.register(JSON.parse(found.definition) as AvroSchema) };
    } catch (error) {
      const why = error instanceof InvalidParameterError ? error.message : 'its definition is not JSON';
      // Versions are immutable: a writer that does not resolve now never will.
      return { error: new SchemaDecodeError(DEAD_LETTER_REASONS.unresolvableWriterSchema, `${registryName} schema ${schemaId} cannot be read as the image event: ${why}`, { cause: error }), until: Number.POSITIVE_INFINITY };
    }
  }
}

/** Glue ids are UUIDs; Confluent ids are integers. */
function registryKindOf(schemaId: string): 'glue' | 'confluent' {
  return /^\d+$/.test(schemaId) ? 'confluent' : 'glue';
}
