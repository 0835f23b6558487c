import type { ErrorCode, ErrorContext } from './errors';

/** Where an image came in. */
export const IMAGE_SOURCES = ['api', 'upload', 'kafka'] as const;
export type ImageSource = (typeof IMAGE_SOURCES)[number];

/** Lifecycle of a record: RECEIVED → PROCESSED | FAILED. */
export const IMAGE_STATUSES = ['RECEIVED', 'PROCESSED', 'FAILED'] as const;
export type ImageStatus = (typeof IMAGE_STATUSES)[number];

/** An S3 object location. */
export interface ObjectLocation {
  bucket: string;
  key: string;
  /**
   * One version of the object (S3 `VersionId`); reads then return that version or fail as not
   * found, never the current one. Absent: the current version.
   */
  versionId?: string;
}

/** One stored processed copy, as recorded in metadata. */
export interface VariantRecord {
  key: string;
  format: string;
  contentType: string;
  width: number;
  height: number;
  bytes: number;
}

/** The metadata item, one per image id (DynamoDB table, key `imageId`). */
export interface ImageRecord {
  imageId: string;
  status: ImageStatus;
  source: ImageSource;
  customerId: string;
  /** The Kafka eventId or REST Idempotency-Key this record was made for, if any. */
  idempotencyKey?: string;
  fileName?: string;
  /** Detected from the bytes; absent when the bytes are not a recognised image. */
  format?: string;
  contentType?: string;
  width?: number;
  height?: number;
  bytes: number;
  sha256: string;
  hasAlpha?: boolean;
  colorSpace?: string;
  orientation?: number;
  capturedAt?: string;
  cameraMake?: string;
  cameraModel?: string;
  raw: ObjectLocation;
  variants?: Record<string, VariantRecord>;
  error?: { code: ErrorCode; message: string };
  /**
   * The URL a URL import downloads from (`POST /v1/images` with a JSON body). While the record is
   * RECEIVED with `bytes` 0 and `sha256` '', the bytes have not arrived yet.
   */
  sourceUrl?: string;
  attributes?: Record<string, string>;
  createdAt: string;
  updatedAt: string;
  /** createdAt + retention, in epoch seconds: the table's TTL attribute. */
  expiresAt: number;
  /** Set once the SNS notification for the final status was published. */
  notifiedAt?: string;
}

/** Options for storing an object. */
export interface PutObjectOptions {
  contentType: string;
  /** Small string metadata stored with the object (never caller-supplied names verbatim). */
  metadata?: Record<string, string>;
  /**
   * SHA-256 digest of the body when the caller already has it: the store sends it as the
   * object's checksum, which S3 verifies, instead of computing one of its own.
   */
  sha256?: Buffer;
}

/** Object storage (S3). */
export interface BlobStore {
  put(location: ObjectLocation, body: Buffer, options: PutObjectOptions): Promise<void>;
  /**
   * @throws SourceNotFoundError when the object (or the given `versionId` of it) does not exist;
   *   ImageTooLargeError past `maxBytes`.
   */
  get(location: ObjectLocation, maxBytes: number): Promise<Buffer>;
  delete(location: ObjectLocation): Promise<void>;
  /** A time-limited GET URL. */
  presignGet(location: ObjectLocation, expiresInSeconds: number): Promise<string>;
  /**
   * A presigned browser POST (url + form fields) for exactly `location`, whose policy limits
   * size and content type and pins the given metadata.
   */
  presignPost(location: ObjectLocation, options: PresignPostOptions): Promise<PresignedPost>;
  /** Size and user metadata of an object. @throws SourceNotFoundError when it does not exist. */
  head(location: ObjectLocation): Promise<{ bytes: number; contentType?: string; metadata: Record<string, string> }>;
}

/** Policy of a presigned POST. */
export interface PresignPostOptions {
  maxBytes: number;
  /** The Content-Type field must start with this, e.g. `image/`. */
  contentTypePrefix: string;
  /** `x-amz-meta-*` values the uploader cannot change. */
  metadata: Record<string, string>;
  expiresInSeconds: number;
}

/** What a client needs to POST a file straight to S3. */
export interface PresignedPost {
  url: string;
  fields: Record<string, string>;
}

/** A page of records, newest first, and the opaque cursor to the next page. */
export interface RecordPage {
  items: ImageRecord[];
  cursor?: string;
}

/** What a status transition needs to know of a record (the status index key derives from createdAt). */
export type RecordKey = Pick<ImageRecord, 'imageId' | 'createdAt'>;

/** Outcome of trying to create the RECEIVED record. */
export type CreateOutcome = { created: true; record: ImageRecord } | { created: false; record: ImageRecord };

/**
 * Options of a write that makes a record final (PROCESSED or FAILED). The worker whose write
 * makes the record final also leases its notification in that same write, so the common path
 * needs no separate lease.
 */
export interface FinalWrite {
  /** Epoch milliseconds until which the writer holds the notification lease. */
  notificationLeaseUntil: number;
}

/** What {@link MetadataStore.listByStatusDay} reads. */
export interface StatusDayQuery {
  /** Records a page, 1–1000. */
  limit: number;
  /** The previous page's `cursor`. */
  cursor?: string;
  /** Only records without `notifiedAt` come back (a filter: the store reads the others but does not return them). */
  unannouncedOnly?: boolean;
  /**
   * Only records whose `createdAt` (the index's sort key, ISO-8601 UTC as `Date#toISOString`
   * writes it) is before this instant (same form, exclusive). A key condition, so younger
   * records are not read at all.
   */
  createdBefore?: string;
}

/** The metadata table (DynamoDB). All transitions are conditional writes. */
export interface MetadataStore {
  /**
   * Creates the record (RECEIVED, or FAILED when the bytes never arrived) unless one exists for
   * the id; then returns the existing one. `final` leases the notification of a record created
   * FAILED.
   */
  create(record: ImageRecord, final?: FinalWrite): Promise<CreateOutcome>;
  /**
   * RECEIVED → PROCESSED with the final fields, taking the notification lease; false when the record
   * was no longer RECEIVED (another worker finished it and holds the lease).
   */
  markProcessed(record: RecordKey, fields: Partial<ImageRecord>, now: Date, final: FinalWrite): Promise<boolean>;
  /** RECEIVED → FAILED with the error, taking the notification lease; false as for markProcessed. */
  markFailed(record: RecordKey, fields: Partial<ImageRecord>, now: Date, final: FinalWrite): Promise<boolean>;
  /**
   * Takes the notification lease (the right to publish the final notification for a while), for a record made final by
   * a worker that did not publish (it failed or crashed): `done` when already published, `busy`
   * while another worker's lease is unexpired.
   */
  acquireNotificationLease(imageId: string, now: Date, leaseMs: number): Promise<'acquired' | 'done' | 'busy'>;
  /** Records that the notification was published. */
  markNotified(imageId: string, now: Date): Promise<void>;
  /**
   * Gives a lease back after a failed publish so a retry can take it — only the lease that ends
   * at `leaseUntil` (the caller's own): one that expired and was taken by another worker stays.
   */
  releaseNotification(imageId: string, leaseUntil: number): Promise<void>;
  /** The record, or undefined when missing or past its `expiresAt`. */
  get(imageId: string, now: Date): Promise<ImageRecord | undefined>;
  /** A customer's records, newest first, optionally of one status. */
  listByCustomer(customerId: string, options: { status?: ImageStatus; limit: number; cursor?: string }, now: Date): Promise<RecordPage>;
  /**
   * One status's records of one UTC day (`YYYY-MM-DD`, the day of `createdAt`), oldest first,
   * across every write shard of the status index: what a reconciler (records left RECEIVED) and
   * the dashboards read. See {@link StatusDayQuery} for `unannouncedOnly` (final records never
   * announced) and `createdBefore` (only records old enough to be a reconciler's business).
   */
  listByStatusDay(status: ImageStatus, day: string, options: StatusDayQuery, now: Date): Promise<RecordPage>;
}

/** The message published when an image reaches its final status. */
export interface ImageNotification {
  type: 'image.processed' | 'image.failed';
  /**
   * The same for every publish of this record's final notification (a re-publish after a crash
   * or an unknown publish outcome carries the same id): subscribers dedupe on it, and a FIFO
   * topic uses it as the `MessageDeduplicationId`.
   */
  notificationId: string;
  record: ImageRecord;
}

/** Options of one {@link Notifier.publish} call. */
export interface PublishOptions {
  /** Aborts the publish (the pipeline's deadline inside the notification lease). */
  signal?: AbortSignal;
}

/** Publishes notifications (SNS). */
export interface Notifier {
  /** @throws DependencyError (retriable) when the publish failed or was aborted: it may or may not have reached subscribers. */
  publish(notification: ImageNotification, options?: PublishOptions): Promise<void>;
}

/** What {@link ImageFetcher.fetch} needs besides the URL. */
export interface ImageFetchRequest {
  /** Largest body accepted, in bytes; a larger one is refused without being read past it. */
  maxBytes: number;
  /** Where the error happened, copied into it (event id, image id). */
  context?: ErrorContext;
}

/** The bytes a URL gave, and what the server said they are. */
export interface FetchedBytes {
  bytes: Buffer;
  /** The response's `Content-Type`, if any: a hint only, the pipeline detects by content. */
  contentType?: string;
}

/**
 * Downloads an image referenced by URL, safely: the implementation owns which schemes, hosts,
 * addresses and ports may be reached, and its own time bound (per attempt and in all).
 * Implemented by `core/adapters/fetch` (SSRF-safe HTTPS).
 */
export interface ImageFetcher {
  /**
   * @throws ForbiddenSourceError the URL, a redirect or a resolved address is not allowed.
   * @throws ImageTooLargeError the body is, or declares to be, over `maxBytes`.
   * @throws SourceFetchError HTTP error, timeout or deadline, or a connection failure that persisted.
   */
  fetch(url: string, request: ImageFetchRequest): Promise<FetchedBytes>;
  /**
   * Why {@link fetch} would refuse `url` from the URL alone — scheme, port, credentials, a literal
   * address or name the address policy forbids — or `undefined`. Lets a caller refuse at once
   * what could never be fetched; a hostname's resolved addresses are still checked by `fetch`.
   */
  refusal(url: string): string | undefined;
}

/** One URL import handed from the API to the import worker (an SQS message body, JSON). */
export interface UrlImportJob {
  imageId: string;
  customerId: string;
  /** The HTTPS URL to download, as the caller sent it. */
  url: string;
  fileName?: string;
  attributes?: Record<string, string>;
  /** The `Idempotency-Key` the record was made for, if any (the worker passes it on unchanged). */
  idempotencyKey?: string;
  /** The API request that accepted it, for log correlation. */
  requestId?: string;
}

/** Hands URL imports to the worker that downloads and ingests them (SQS). */
export interface ImportQueue {
  /** @throws DependencyError (retriable) when the queue refused or did not answer. */
  enqueue(job: UrlImportJob): Promise<void>;
}

/** Reads secrets (Secrets Manager). */
export interface SecretStore {
  getSecretString(secretId: string): Promise<string>;
}

/** A writer schema as a schema registry stores it. */
export interface RegistrySchema {
  /** The registry's data format, e.g. `AVRO` (Glue) or `AVRO` for a Confluent schema without `schemaType`. */
  dataFormat: string;
  /** The schema definition text (Avro JSON for `AVRO`). */
  definition: string;
}

/**
 * Looks writer schemas up by the id a registry-framed record carries: a Glue schema version id
 * (UUID text) or a Confluent schema id (decimal). Implementations may cache; callers cache too.
 */
export interface SchemaRegistryClient {
  /** Which registry this is, for messages: `glue` or `confluent`. */
  readonly kind: 'glue' | 'confluent';
  /**
   * The schema with this id, or `undefined` when the registry has none (or it was deleted).
   * @throws DependencyError when the registry cannot be reached or throttles (retriable).
   */
  getSchema(schemaId: string): Promise<RegistrySchema | undefined>;
}
