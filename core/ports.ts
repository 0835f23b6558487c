import type { ErrorCode } from './errors';

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
  requestKey?: string;
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
}

/** Object storage (S3). */
export interface BlobStore {
  put(location: ObjectLocation, body: Buffer, options: PutObjectOptions): Promise<void>;
  /** @throws SourceNotFoundError when the object does not exist; ImageTooLargeError past `maxBytes`. */
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

/** The metadata table (DynamoDB). All transitions are conditional writes. */
export interface MetadataStore {
  /** Creates the record (RECEIVED, or FAILED when the bytes never arrived) unless one exists for the id; then returns the existing one. */
  create(record: ImageRecord): Promise<CreateOutcome>;
  /** RECEIVED → PROCESSED with the final fields; false when the record was no longer RECEIVED. */
  markProcessed(record: RecordKey, fields: Partial<ImageRecord>, now: Date): Promise<boolean>;
  /** RECEIVED → FAILED with the error; false when the record was no longer RECEIVED. */
  markFailed(record: RecordKey, fields: Partial<ImageRecord>, now: Date): Promise<boolean>;
  /**
   * Claims the right to publish the final notification for a lease; false when it is already
   * published or another worker holds an unexpired claim.
   */
  claimNotification(imageId: string, now: Date, leaseMs: number): Promise<'claimed' | 'done' | 'busy'>;
  /** Records that the notification was published. */
  markNotified(imageId: string, now: Date): Promise<void>;
  /** Gives a claim back after a failed publish so a retry can take it. */
  releaseNotification(imageId: string): Promise<void>;
  /** The record, or undefined when missing or past its `expiresAt`. */
  get(imageId: string, now: Date): Promise<ImageRecord | undefined>;
  /** A customer's records, newest first, optionally of one status. */
  listByCustomer(customerId: string, options: { status?: ImageStatus; limit: number; cursor?: string }, now: Date): Promise<RecordPage>;
}

/** The message published when an image reaches its final status. */
export interface ImageNotification {
  type: 'image.processed' | 'image.failed';
  record: ImageRecord;
}

/** Publishes notifications (SNS). */
export interface Notifier {
  publish(notification: ImageNotification): Promise<void>;
}

/** Reads secrets (Secrets Manager). */
export interface SecretStore {
  getSecretString(secretId: string): Promise<string>;
}
