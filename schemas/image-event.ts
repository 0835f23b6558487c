/**
 * The image event as TypeScript sees it, and the one place that maps it to and from avsc's
 * representation of the Avro record (wrapped unions, `null` for absent optionals).
 */
import { SchemaDecodeError, invalidParameterError } from '../core/errors';
import type { ErrorContext, InvalidParameterError } from '../core/errors';
import { DEAD_LETTER_REASONS } from '../core/constants';

/** Image bytes carried in the event itself; for images well under Kafka's ~1 MB message limit. */
export interface InlineImageSource {
  kind: 'inline';
  data: Buffer;
}

/** An S3 object holding the image (claim check for large images). */
export interface S3ImageSource {
  kind: 's3';
  bucket: string;
  key: string;
  versionId?: string;
}

/** An HTTPS URL to fetch the image from; the fetcher, not the codec, enforces the address policy. */
export interface UrlImageSource {
  kind: 'url';
  url: string;
}

/** Where an event's image bytes are, discriminated by `kind`. */
export type ImageSource = InlineImageSource | S3ImageSource | UrlImageSource;

/** An image ingestion event (`imagepipeline.events.ImageEvent`). */
export interface ImageEvent {
  /** UUID chosen by the producer; decoded in lowercase canonical form. */
  eventId: string;
  occurredAt: Date;
  /** Tenant id; never empty. */
  customerId: string;
  /** Informational only: never used for storage keys or format detection. */
  fileName?: string;
  /** Informational only: the format is detected from the bytes. */
  contentType?: string;
  attributes: Record<string, string>;
  image: ImageSource;
}

/** How a TypeScript property type is carried in Avro. `never` for a type the codec cannot map yet. */
type WireKind<T> = [T] extends [string]
  ? 'string'
  : [T] extends [Date]
    ? 'timestamp-millis'
    : [T] extends [Buffer]
      ? 'bytes'
      : [T] extends [ImageSource]
        ? 'image-source'
        : [T] extends [Record<string, string>]
          ? 'map<string>'
          : never;

/** A property's wire kind and optionality, both computed from its TypeScript type. */
interface FieldSpec<T, K extends keyof T> {
  readonly wire: WireKind<NonNullable<T[K]>>;
  readonly optional: undefined extends T[K] ? true : false;
}

/** Exactly one spec per property of `T`: a missing or extra key does not compile. */
type FieldSpecs<T> = { readonly [K in keyof T]-?: FieldSpec<T, K> };

/**
 * A runtime mirror of {@link ImageEvent}'s properties. The compiler ties it to the interface
 * (keys, wire kinds, optionality); a unit test ties it to the `.avsc`. Together they make the
 * TypeScript type and the schema unable to drift. Encoding validates events against it.
 */
export const IMAGE_EVENT_FIELDS = {
  eventId: { wire: 'string', optional: false },
  occurredAt: { wire: 'timestamp-millis', optional: false },
  customerId: { wire: 'string', optional: false },
  fileName: { wire: 'string', optional: true },
  contentType: { wire: 'string', optional: true },
  attributes: { wire: 'map<string>', optional: false },
  image: { wire: 'image-source', optional: false },
} as const satisfies FieldSpecs<ImageEvent>;

type SourceOfKind<K extends ImageSource['kind']> = Omit<Extract<ImageSource, { kind: K }>, 'kind'>;

/**
 * Each {@link ImageSource} kind's Avro record (the key of avsc's wrapped union) and a mirror of
 * its properties, held to the TypeScript types the same way as {@link IMAGE_EVENT_FIELDS}.
 */
export const IMAGE_SOURCE_BRANCHES = {
  inline: {
    record: 'imagepipeline.events.InlineImage',
    fields: { data: { wire: 'bytes', optional: false } },
  },
  s3: {
    record: 'imagepipeline.events.S3ImageRef',
    fields: {
      bucket: { wire: 'string', optional: false },
      key: { wire: 'string', optional: false },
      versionId: { wire: 'string', optional: true },
    },
  },
  url: {
    record: 'imagepipeline.events.UrlImageRef',
    fields: { url: { wire: 'string', optional: false } },
  },
} as const satisfies { readonly [K in ImageSource['kind']]: { readonly record: string; readonly fields: FieldSpecs<SourceOfKind<K>> } };

const INLINE_RECORD = IMAGE_SOURCE_BRANCHES.inline.record;
const S3_RECORD = IMAGE_SOURCE_BRANCHES.s3.record;
const URL_RECORD = IMAGE_SOURCE_BRANCHES.url.record;

/** avsc's value for the reader schema's record; only ever produced by a registry decode. */
interface ImageEventRecord {
  eventId: string;
  occurredAt: Date;
  customerId: string;
  fileName: string | null;
  contentType: string | null;
  attributes: Record<string, string>;
  image: {
    [INLINE_RECORD]?: { data: Buffer };
    [S3_RECORD]?: { bucket: string; key: string; versionId: string | null };
    [URL_RECORD]?: { url: string };
  };
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Matches any string with a non-whitespace character, without allocating a trimmed copy. */
const HAS_CONTENT = /\S/;

/**
 * The avsc value to encode for an event, after validating it against {@link IMAGE_EVENT_FIELDS}
 * and the semantic rules the decoder also enforces.
 *
 * @throws InvalidParameterError naming the first invalid property (e.g. `event.eventId`).
 */
export function toImageEventRecord(event: ImageEvent): ImageEventRecord {
  if (typeof event !== 'object' || event === null) throw invalidParameterError('event', 'ImageEvent object', event);
  assertMatchesSpecs(event as unknown as Record<string, unknown>, IMAGE_EVENT_FIELDS, 'event');
  const problem = semanticProblem(event.eventId, event.customerId, event.occurredAt, event.image);
  if (problem !== undefined) throw problem.error;
  return {
    eventId: event.eventId,
    occurredAt: event.occurredAt,
    customerId: event.customerId,
    fileName: event.fileName ?? null,
    contentType: event.contentType ?? null,
    attributes: event.attributes,
    image: toImageSourceRecord(event.image),
  };
}

function toImageSourceRecord(image: ImageSource): ImageEventRecord['image'] {
  switch (image.kind) {
    case 'inline':
      return { [INLINE_RECORD]: { data: image.data } };
    case 's3':
      return { [S3_RECORD]: { bucket: image.bucket, key: image.key, versionId: image.versionId ?? null } };
    case 'url':
      return { [URL_RECORD]: { url: image.url } };
  }
}

/**
 * The event for a decoded record of the image event schema (any version resolved into it),
 * after the semantic checks the schema cannot express.
 *
 * @throws SchemaDecodeError with reason `invalid-body` naming the offending field.
 */
export function fromImageEventRecord(value: unknown): ImageEvent {
  // The registry's reader schema guarantees this shape; the codec checks that reader at construction.
  const record = value as ImageEventRecord;
  const image = fromImageSourceRecord(record.image);
  const problem = semanticProblem(record.eventId, record.customerId, record.occurredAt, image);
  if (problem !== undefined) {
    throw new SchemaDecodeError(DEAD_LETTER_REASONS.invalidBody, problem.error.message, { context: problem.context });
  }
  const event: ImageEvent = {
    eventId: record.eventId.toLowerCase(),
    occurredAt: record.occurredAt,
    customerId: record.customerId,
    attributes: record.attributes,
    image,
  };
  // Absent optionals stay absent rather than present-but-undefined, so events compare and log cleanly.
  if (record.fileName != null) event.fileName = record.fileName;
  if (record.contentType != null) event.contentType = record.contentType;
  return event;
}

function fromImageSourceRecord(union: ImageEventRecord['image']): ImageSource {
  const inline = union[INLINE_RECORD];
  if (inline !== undefined) return { kind: 'inline', data: inline.data };
  const s3 = union[S3_RECORD];
  if (s3 !== undefined) {
    return s3.versionId === null
      ? { kind: 's3', bucket: s3.bucket, key: s3.key }
      : { kind: 's3', bucket: s3.bucket, key: s3.key, versionId: s3.versionId };
  }
  const url = union[URL_RECORD];
  if (url !== undefined) return { kind: 'url', url: url.url };
  // Only reachable when the reader schema gained a branch this mapping does not know.
  throw new SchemaDecodeError(DEAD_LETTER_REASONS.invalidBody, `Expected one of ${INLINE_RECORD}, ${S3_RECORD}, ${URL_RECORD} for image`, {
    context: { parameter: 'image' },
  });
}

interface SemanticProblem {
  error: InvalidParameterError;
  context: ErrorContext;
}

/** Rules the schema cannot express, shared by encode and decode so both accept the same events. */
function semanticProblem(eventId: string, customerId: string, occurredAt: Date, image: ImageSource): SemanticProblem | undefined {
  if (!UUID_PATTERN.test(eventId)) return problem('eventId', 'UUID (8-4-4-4-12 hex digits)', eventId, {});
  const context: ErrorContext = { eventId };
  if (!HAS_CONTENT.test(customerId)) return problem('customerId', 'non-empty string', customerId, context);
  if (Number.isNaN(occurredAt.getTime())) return problem('occurredAt', 'timestamp within the range of a Date', occurredAt, context);
  switch (image.kind) {
    case 'inline':
      return undefined;
    case 's3':
      if (!HAS_CONTENT.test(image.bucket)) return problem('image.bucket', 'non-empty string', image.bucket, context);
      if (!HAS_CONTENT.test(image.key)) return problem('image.key', 'non-empty string', image.key, context);
      return undefined;
    case 'url':
      if (!HAS_CONTENT.test(image.url)) return problem('image.url', 'non-empty string', image.url, context);
      return undefined;
  }
}

function problem(field: string, expected: string, actual: unknown, context: ErrorContext): SemanticProblem {
  const error = invalidParameterError(`event.${field}`, expected, actual);
  return { error, context: { ...context, parameter: `event.${field}` } };
}

type WireKindName = 'string' | 'timestamp-millis' | 'bytes' | 'image-source' | 'map<string>';

/** Structural validation of an object against its field mirror, for clear errors before avsc sees it. */
function assertMatchesSpecs(
  value: Record<string, unknown>,
  specs: { readonly [field: string]: { readonly wire: WireKindName; readonly optional: boolean } },
  path: string,
): void {
  for (const [field, spec] of Object.entries(specs)) {
    const fieldValue = value[field];
    const fieldPath = `${path}.${field}`;
    if (fieldValue === undefined && spec.optional) continue;
    switch (spec.wire) {
      case 'string':
        if (typeof fieldValue !== 'string') throw invalidParameterError(fieldPath, 'string', fieldValue);
        break;
      case 'timestamp-millis':
        if (!(fieldValue instanceof Date)) throw invalidParameterError(fieldPath, 'Date', fieldValue);
        break;
      case 'bytes':
        if (!Buffer.isBuffer(fieldValue)) throw invalidParameterError(fieldPath, 'Buffer', fieldValue);
        break;
      case 'map<string>':
        assertStringMap(fieldValue, fieldPath);
        break;
      case 'image-source':
        assertImageSource(fieldValue, fieldPath);
        break;
    }
  }
}

function assertStringMap(value: unknown, path: string): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalidParameterError(path, 'object of string values', value);
  }
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') throw invalidParameterError(`${path}.${key}`, 'string', entry);
  }
}

function assertImageSource(value: unknown, path: string): void {
  const kinds = Object.keys(IMAGE_SOURCE_BRANCHES) as ImageSource['kind'][];
  const kind = typeof value === 'object' && value !== null ? (value as { kind?: unknown }).kind : undefined;
  const branch = kinds.find((candidate) => candidate === kind);
  if (branch === undefined) throw invalidParameterError(`${path}.kind`, `one of ${kinds.join(', ')}`, kind);
  assertMatchesSpecs(value as Record<string, unknown>, IMAGE_SOURCE_BRANCHES[branch].fields, path);
}
