/**
 * The project's one error hierarchy. Every error the pipeline raises on purpose is a
 * {@link PipelineError}: it says what happened (`code`), whether trying again can help
 * (`retriable`), and where it happened (image id, topic, partition, offset).
 *
 * A plain `TypeError`/`RangeError` is a bug, never retriable, and is never mapped to a
 * client-facing message beyond "internal error".
 */

import { DEAD_LETTER_REASONS, type DeadLetterReason } from './constants';

/** Where an error happened; every field optional, all safe to log (no payload bytes). */
export interface ErrorContext {
  imageId?: string;
  eventId?: string;
  topic?: string;
  partition?: number;
  offset?: string;
  parameter?: string;
}

/** Stable, machine-readable error codes. Used in FAILED records, notifications and DLQ headers. */
export const ERROR_CODES = {
  invalidParameter: 'INVALID_PARAMETER',
  invalidConfig: 'INVALID_CONFIG',
  unsupportedImage: 'UNSUPPORTED_IMAGE',
  undecodableImage: 'UNDECODABLE_IMAGE',
  imageTooLarge: 'IMAGE_TOO_LARGE',
  tooManyPixels: 'TOO_MANY_PIXELS',
  schemaDecode: 'SCHEMA_DECODE',
  unknownSchema: 'UNKNOWN_SCHEMA',
  forbiddenSource: 'FORBIDDEN_SOURCE',
  sourceFetch: 'SOURCE_FETCH_FAILED',
  sourceNotFound: 'SOURCE_NOT_FOUND',
  idempotencyKeyReused: 'IDEMPOTENCY_KEY_REUSED',
  unauthorized: 'UNAUTHORIZED',
  notFound: 'NOT_FOUND',
  dependency: 'DEPENDENCY_UNAVAILABLE',
  abandoned: 'ABANDONED',
  dependencyRejected: 'DEPENDENCY_REJECTED',
  decodeBudget: 'DECODE_MEMORY_EXCEEDED',
  internal: 'INTERNAL_ERROR',
  forbidden: 'FORBIDDEN',
  methodNotAllowed: 'METHOD_NOT_ALLOWED',
  unsupportedMediaType: 'UNSUPPORTED_MEDIA_TYPE',
  malformedRequest: 'MALFORMED_REQUEST',
  requestHeadersTooLarge: 'REQUEST_HEADERS_TOO_LARGE',
  requestTimeout: 'REQUEST_TIMEOUT',
  rateLimited: 'RATE_LIMITED',
  quotaExceeded: 'QUOTA_EXCEEDED',
  urlNotAllowed: 'URL_NOT_ALLOWED',
  invalidUrl: 'INVALID_URL',
} as const;

export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** Options shared by every {@link PipelineError}. */
export interface PipelineErrorOptions {
  cause?: unknown;
  /** @default false */
  retriable?: boolean;
  context?: ErrorContext;
}

/** Root of the hierarchy. Subclasses fix `code` and usually `retriable`. */
export class PipelineError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly context: ErrorContext;

  constructor(code: ErrorCode, message: string, options: PipelineErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.context = { ...options.context };
  }

  /**
   * True when the error is about the image or its source, not about the pipeline: the image
   * ends `FAILED` (REST: a 4xx naming the image), is never retried, and its event is not
   * dead-lettered. The one answer to "is this a rejected image?" (see {@link isImageRejection}).
   */
  get rejectsImage(): boolean {
    return !this.retriable && isImageRejectionCode(this.code);
  }

  /** A JSON-safe summary for logs, FAILED records and notifications. */
  toSummary(): { code: ErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

/** A caller passed a value of the wrong shape. Build it with {@link invalidParameterError}. */
export class InvalidParameterError extends PipelineError {
  constructor(message: string, options: PipelineErrorOptions = {}) {
    super(ERROR_CODES.invalidParameter, message, options);
  }
}

/** An environment variable is missing or malformed; raised by `loadConfig()` at cold start. */
export class ConfigError extends PipelineError {
  constructor(message: string, options: PipelineErrorOptions = {}) {
    super(ERROR_CODES.invalidConfig, message, options);
  }
}

/** The bytes are not an image format the pipeline accepts (detected from content). */
export class UnsupportedImageError extends PipelineError {
  constructor(message: string, options: PipelineErrorOptions = {}) {
    super(ERROR_CODES.unsupportedImage, message, options);
  }
}

/** The bytes claim a supported format but cannot be decoded (truncated, corrupt). */
export class UndecodableImageError extends PipelineError {
  constructor(message: string, options: PipelineErrorOptions = {}) {
    super(ERROR_CODES.undecodableImage, message, options);
  }
}

/** The input is over the byte limit (10 MiB by default). */
export class ImageTooLargeError extends PipelineError {
  readonly limitBytes: number;
  constructor(limitBytes: number, message: string, options: PipelineErrorOptions = {}) {
    super(ERROR_CODES.imageTooLarge, message, options);
    this.limitBytes = limitBytes;
  }
}

/** The image's header declares more pixels than the limit; refused before decoding. */
export class TooManyPixelsError extends PipelineError {
  constructor(message: string, options: PipelineErrorOptions = {}) {
    super(ERROR_CODES.tooManyPixels, message, options);
  }
}

/** Decode reasons meaning "the writer schema is not known", coded `UNKNOWN_SCHEMA`. */
const UNKNOWN_SCHEMA_REASONS: ReadonlySet<string> = new Set([DEAD_LETTER_REASONS.unknownFingerprint, DEAD_LETTER_REASONS.unknownSchemaVersion, DEAD_LETTER_REASONS.unknownSchemaId]);

/** A Kafka message is not a valid Avro event in any framing the consumer reads. */
export class SchemaDecodeError extends PipelineError {
  /** Which check failed, e.g. `unknown-framing`, `bad-magic`, `truncated`, `unknown-fingerprint`, `unknown-schema-version`, `invalid-body`. */
  readonly reason: DeadLetterReason;
  constructor(reason: DeadLetterReason, message: string, options: PipelineErrorOptions = {}) {
    super(UNKNOWN_SCHEMA_REASONS.has(reason) ? ERROR_CODES.unknownSchema : ERROR_CODES.schemaDecode, message, options);
    this.reason = reason;
  }
}

/** A referenced source (URL, address, bucket) is not allowed. */
export class ForbiddenSourceError extends PipelineError {
  constructor(message: string, options: PipelineErrorOptions = {}) {
    super(ERROR_CODES.forbiddenSource, message, options);
  }
}

/** Fetching a referenced source failed (HTTP error, timeout, too large). */
export class SourceFetchError extends PipelineError {
  constructor(message: string, options: PipelineErrorOptions = {}) {
    super(ERROR_CODES.sourceFetch, message, options);
  }
}

/**
 * A URL import names a URL that could never be fetched, as the URL itself shows (scheme, port,
 * literal address, `localhost`): refused at submission (400), nothing recorded. A hostname
 * resolving to a forbidden address is only found when fetching: that is a FAILED record
 * ({@link ForbiddenSourceError}).
 */
export class UrlNotAllowedError extends PipelineError {
  constructor(message: string, options: PipelineErrorOptions = {}) {
    super(ERROR_CODES.urlNotAllowed, message, options);
  }
}

/**
 * A URL is not one unambiguous absolute URL as typed: whitespace, control or invisible
 * characters (which WHATWG URL parsing strips or re-encodes silently), a backslash (which
 * parsers read differently), no `//host` after the scheme, or it does not parse at all. Refused
 * at the edge — REST `400`, a stream event dead-lettered `out-of-bounds` — before anything is
 * stored or fetched (docs/input-rules.md "Source URLs").
 */
export class InvalidUrlError extends PipelineError {
  constructor(message: string, options: PipelineErrorOptions = {}) {
    super(ERROR_CODES.invalidUrl, message, options);
  }
}

/** A referenced S3 object does not exist. */
export class SourceNotFoundError extends PipelineError {
  constructor(message: string, options: PipelineErrorOptions = {}) {
    super(ERROR_CODES.sourceNotFound, message, options);
  }
}

/**
 * An image id (a REST `Idempotency-Key`, a Kafka `eventId`) was used before for a different
 * request: other content, another URL, file name, attributes or customer, or another kind of
 * request (an upload vs a URL import). The first request's record is left as it is. REST answers
 * `422` (draft-ietf-httpapi-idempotency-key-header §2.7: a key reused with a different payload);
 * the stream dead-letters the event (`idempotency-conflict`).
 */
export class IdempotencyKeyReusedError extends PipelineError {
  constructor(message: string, options: PipelineErrorOptions = {}) {
    super(ERROR_CODES.idempotencyKeyReused, message, options);
  }
}

/** Missing or unknown API key. */
export class UnauthorizedError extends PipelineError {
  constructor(message: string, options: PipelineErrorOptions = {}) {
    super(ERROR_CODES.unauthorized, message, options);
  }
}

/** A requested record does not exist (or has expired). */
export class NotFoundError extends PipelineError {
  constructor(message: string, options: PipelineErrorOptions = {}) {
    super(ERROR_CODES.notFound, message, options);
  }
}

/** A dependency (S3, DynamoDB, SNS, Secrets Manager, Kafka) failed; always retriable. */
export class DependencyError extends PipelineError {
  readonly dependency: string;
  constructor(dependency: string, message: string, options: Omit<PipelineErrorOptions, 'retriable'> = {}) {
    super(ERROR_CODES.dependency, message, { ...options, retriable: true });
    this.dependency = dependency;
  }
}

/**
 * A record stayed RECEIVED past every retry window and its raw bytes never arrived: the
 * reconciler ends it FAILED with this error so it is announced instead of sitting unfinished.
 */
export class AbandonedImageError extends PipelineError {
  constructor(message: string, options: PipelineErrorOptions = {}) {
    super(ERROR_CODES.abandoned, message, options);
  }
}

/**
 * A dependency answered that the request itself is wrong or not allowed (validation, access
 * denied, missing resource): trying again cannot help, so it is never retried. The image ends
 * FAILED (or the event is dead-lettered) with this error.
 */
export class DependencyRejectedError extends PipelineError {
  readonly dependency: string;
  constructor(dependency: string, message: string, options: Omit<PipelineErrorOptions, 'retriable'> = {}) {
    super(ERROR_CODES.dependencyRejected, message, { ...options, retriable: false });
    this.dependency = dependency;
  }
}

/** Decoding the image would need more memory than the decode budget allows; refused before decoding. */
export class DecodeBudgetError extends PipelineError {
  /** Bytes the decode was estimated to need. */
  readonly estimatedBytes: number;
  constructor(estimatedBytes: number, message: string, options: PipelineErrorOptions = {}) {
    super(ERROR_CODES.decodeBudget, message, options);
    this.estimatedBytes = estimatedBytes;
  }
}

/**
 * The caller is known but may not do this (another customer's images, a CORS origin, method or
 * header the API does not allow). HTTP 403.
 */
export class ForbiddenError extends PipelineError {
  constructor(message: string, options: PipelineErrorOptions = {}) {
    super(ERROR_CODES.forbidden, message, options);
  }
}

/** The path exists but not with this method. HTTP 405, with `Allow` listing {@link allowedMethods}. */
export class MethodNotAllowedError extends PipelineError {
  /** The methods the path does serve (RFC 9110 §15.5.6: a 405 must list them in `Allow`). */
  readonly allowedMethods: readonly string[];
  constructor(allowedMethods: readonly string[], message: string, options: PipelineErrorOptions = {}) {
    super(ERROR_CODES.methodNotAllowed, message, options);
    this.allowedMethods = [...allowedMethods];
  }
}

/** The request body's declared media type is not one the operation reads. HTTP 415. */
export class UnsupportedMediaTypeError extends PipelineError {
  constructor(message: string, options: PipelineErrorOptions = {}) {
    super(ERROR_CODES.unsupportedMediaType, message, options);
  }
}

/**
 * The request cannot be read at all: broken HTTP framing, a body that is not the JSON or
 * multipart it claims to be, no file where one is required. A wrong value of a named parameter
 * is an {@link InvalidParameterError} instead. HTTP 400.
 */
export class MalformedRequestError extends PipelineError {
  constructor(message: string, options: PipelineErrorOptions = {}) {
    super(ERROR_CODES.malformedRequest, message, options);
  }
}

/** The request line and headers together are over the server's limit. HTTP 431 (RFC 6585 §5). */
export class RequestHeadersTooLargeError extends PipelineError {
  /** The limit in bytes. */
  readonly limitBytes: number;
  constructor(limitBytes: number, message: string, options: PipelineErrorOptions = {}) {
    super(ERROR_CODES.requestHeadersTooLarge, message, options);
    this.limitBytes = limitBytes;
  }
}

/** The client did not send the whole request in time. HTTP 408. */
export class RequestTimeoutError extends PipelineError {
  constructor(message: string, options: PipelineErrorOptions = {}) {
    super(ERROR_CODES.requestTimeout, message, options);
  }
}

/** Which per-customer limit refused a request (docs/limits.md). */
export type CustomerLimitKind = 'rate' | 'quota';

/**
 * The customer is over its request rate (token bucket empty; code `RATE_LIMITED`) or its daily
 * quota (code `QUOTA_EXCEEDED`). HTTP 429 with `Retry-After` = {@link retryAfterSeconds}.
 * Retriable: the same request succeeds once the wait is over.
 */
export class TooManyRequestsError extends PipelineError {
  readonly limit: CustomerLimitKind;
  /** Whole seconds until the request can succeed: the next token, or the next UTC midnight for the quota. */
  readonly retryAfterSeconds: number;
  constructor(limit: CustomerLimitKind, retryAfterSeconds: number, message: string, options: Omit<PipelineErrorOptions, 'retriable'> = {}) {
    super(limit === 'rate' ? ERROR_CODES.rateLimited : ERROR_CODES.quotaExceeded, message, { ...options, retriable: true });
    this.limit = limit;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * Codes that describe the image or its source — bad bytes, over a limit, a source that is
 * refused, missing or failing — rather than the pipeline: recorded as FAILED, never retried.
 * Read it through {@link isImageRejection} / {@link isImageRejectionCode}.
 */
export const IMAGE_REJECTION_CODES: ReadonlySet<ErrorCode> = new Set([
  ERROR_CODES.unsupportedImage,
  ERROR_CODES.undecodableImage,
  ERROR_CODES.imageTooLarge,
  ERROR_CODES.tooManyPixels,
  ERROR_CODES.decodeBudget,
  ERROR_CODES.forbiddenSource,
  ERROR_CODES.sourceFetch,
  ERROR_CODES.sourceNotFound,
]);

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  const type = Array.isArray(value) ? 'array' : typeof value;
  if (typeof value === 'string') return `${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)} of type string`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${String(value)} of type ${type}`;
  return `a value of type ${type}`;
}

/**
 * The one way to say "this parameter is wrong": names the parameter, what was expected and
 * what arrived.
 *
 * @example
 * throw invalidParameterError('width', 'positive integer', 'spoons');
 * // Expected positive integer for width but received "spoons" of type string
 */
export function invalidParameterError(parameter: string, expected: string, actual: unknown): InvalidParameterError {
  return new InvalidParameterError(`Expected ${expected} for ${parameter} but received ${describeValue(actual)}`, {
    context: { parameter },
  });
}

/**
 * True when a stored error code (a FAILED record's `error.code`) names an image rejection, as
 * {@link PipelineError.rejectsImage} does for an error object.
 *
 * @example
 * isImageRejectionCode(record.error?.code); // true for UNSUPPORTED_IMAGE, false for DEPENDENCY_REJECTED
 */
export function isImageRejectionCode(code: string | undefined): boolean {
  return code !== undefined && IMAGE_REJECTION_CODES.has(code as ErrorCode);
}

/**
 * "Is this a rejected image?", decided once for the pipeline, the source resolver, the stream
 * and REST paths: a {@link PipelineError} whose {@link PipelineError.rejectsImage} is true. A
 * dependency failure, a bug (`TypeError`) or a refusal of the request itself (bad parameter,
 * idempotency conflict) is not.
 *
 * @example
 * if (!isImageRejection(error)) throw error; // otherwise: record the image FAILED
 */
export function isImageRejection(error: unknown): error is PipelineError {
  return error instanceof PipelineError && error.rejectsImage;
}

/** True for errors worth retrying: our retriable errors, and nothing else. A TypeError is a bug. */
export function isRetriable(error: unknown): boolean {
  return error instanceof PipelineError && error.retriable;
}
