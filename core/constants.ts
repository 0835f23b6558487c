/**
 * Constants with one home each, shared by the runtime, the CDKTF app, the local bootstrap and the
 * tests (the Powertools `constants.ts` pattern): a value written once cannot drift between the
 * code that writes data and the code that grants access to it or checks it.
 *
 * Nothing here imports anything, so every layer (CDKTF included) may import it for free.
 */

/**
 * Largest image the pipeline accepts, in bytes: 10 MiB (10,485,760), the design brief's limit
 * for REST uploads, URL downloads and stream events alike. `MAX_IMAGE_BYTES` (environment)
 * overrides the runtime limit; this is its default.
 */
export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;

/**
 * Top-level S3 key prefixes. The pipeline builds keys only through `core/keys.ts`; the CDKTF app
 * grants access and the local bootstrap routes notifications by these same prefixes.
 *
 * - `raw`: the original bytes (`raw/<hash>/YYYY/MM/DD/<imageId>.<ext>`), raw bucket.
 * - `incoming`: presigned uploads waiting for the upload handler, raw bucket.
 * - `claims`: claim-check objects of events too large for Kafka (`claims/<customerId>/<eventId>`), raw bucket.
 * - `processed`: the variants (`processed/<hash>/<imageId>/<variant>.<ext>`), processed bucket.
 */
export const KEY_PREFIXES = {
  raw: 'raw/',
  incoming: 'incoming/',
  claims: 'claims/',
  processed: 'processed/',
} as const;

/**
 * Hex digits of SHA-256(imageId) put in front of the image id in `raw/` and `processed/` keys:
 * 2 digits give 256 key ranges that S3 can partition independently. S3 serves at least 3,500
 * PUT/s per partitioned prefix ("Best practices design patterns: optimizing Amazon S3
 * performance", Amazon S3 User Guide,
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/optimizing-performance.html); with
 * time-ordered ids (UUIDv7) and no hash, every write of a moment lands in one range.
 * See docs/capacity.md.
 */
export const KEY_HASH_HEX_DIGITS = 2;

/** Distinct hash prefixes of {@link KEY_HASH_HEX_DIGITS}: 16². */
export const KEY_HASH_PREFIXES = 16 ** KEY_HASH_HEX_DIGITS;

/**
 * Largest number of write shards of the `byStatusDay` index. A reader queries every shard, so the
 * bound keeps one "all of a status/day" read at a bounded number of queries.
 */
export const MAX_STATUS_SHARDS = 256;

/**
 * Names of the images table's global secondary indexes, used by the metadata store, the CDKTF
 * table, its IAM policies and alarms, the local bootstrap and docker-compose.yml (checked by a test).
 */
export const INDEX_NAMES = {
  /** "Newest first for a customer": partition `customerId`, sort `createdAt`. */
  byCustomer: 'byCustomer',
  /** "By status for a day": partition `STATUS#YYYY-MM-DD[#shard]`, sort `createdAt`. */
  byStatusDay: 'byStatusDay',
} as const;

/**
 * Why a record went to the dead-letter topic: the `x-dlq-reason` header. The decode reasons are
 * also the `reason` of a `SchemaDecodeError`.
 */
export const DEAD_LETTER_REASONS = {
  /** The first byte is no framing the consumer reads (single-object, Glue, Confluent) or the record is empty. */
  unknownFraming: 'unknown-framing',
  /** The framing's marker bytes are wrong. */
  badMagic: 'bad-magic',
  /** The message ends before its header or its body is complete. */
  truncated: 'truncated',
  /** The single-object fingerprint names no schema the reader knows. */
  unknownFingerprint: 'unknown-fingerprint',
  /** The Glue schema version id is not in the registry. */
  unknownSchemaVersion: 'unknown-schema-version',
  /** The Confluent schema id is not in the registry. */
  unknownSchemaId: 'unknown-schema-id',
  /** The registry's schema is not Avro, or does not resolve against the image event schema. */
  unresolvableWriterSchema: 'unresolvable-writer-schema',
  /** The Glue compression byte is neither none nor zlib. */
  unsupportedCompression: 'unsupported-compression',
  /** A compressed body inflates past the consumer's bound. */
  bodyTooLarge: 'body-too-large',
  /** A body marked compressed does not inflate. */
  invalidCompressedBody: 'invalid-compressed-body',
  /** The record names a registry the consumer has no client for. */
  registryNotConfigured: 'registry-not-configured',
  /** The body does not decode with the writer schema, or a field is invalid. */
  invalidBody: 'invalid-body',
  /** An event source mapping JSON record is not valid Avro JSON. */
  invalidJson: 'invalid-json',
  /** An event source mapping record declares a data format other than Avro. */
  unsupportedDataFormat: 'unsupported-data-format',
  /** The record has no value (a tombstone). */
  emptyValue: 'empty-value',
  /** A field is over its bound (customer id, file name, attributes, URL …). */
  outOfBounds: 'out-of-bounds',
  /** The record is larger than the consumer accepts. */
  messageTooLarge: 'message-too-large',
  /** The event id was used before for a different image. */
  idempotencyConflict: 'idempotency-conflict',
  /** The image was given up on for a permanent reason (it ends FAILED and announced); the event is kept for a replay. */
  rejected: 'rejected',
  /** An error nobody expected: a bug, never retried. */
  processingError: 'processing-error',
} as const;

/** One of {@link DEAD_LETTER_REASONS}. */
export type DeadLetterReason = (typeof DEAD_LETTER_REASONS)[keyof typeof DEAD_LETTER_REASONS];

/**
 * Log messages an alarm matches with a CloudWatch Logs metric filter (cdktf/constructs/observability.ts):
 * changing one here changes the filter with it.
 */
export const ALARMED_LOG_MESSAGES = {
  /** The authorizer could not check a credential (key secret or user pool keys unreadable); a refusal is not this. */
  authorizerFailed: 'authorizer failed',
} as const;
