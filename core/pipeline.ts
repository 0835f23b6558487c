import type { Config } from './config';
import {
  AbandonedImageError,
  DependencyError,
  ERROR_CODES,
  ImageTooLargeError,
  PipelineError,
  invalidParameterError,
  SourceNotFoundError,
  isImageRejection,
  isRetriable,
  type ErrorCode,
} from './errors';
import { assertSameRequest } from './idempotency';
import { assertRequestBounds } from './input-bounds';
import { sha256Digest, sha256Hex } from './hashing';
import { detectImageFormat, FORMAT_DETAILS, processImage, type ImageInfo, type WatermarkResolver } from './image';
import { expiresAtSeconds, isValidImageId, rawKey, variantKey } from './keys';
import type { Telemetry, TraceAnnotations } from './observability';
import type { BlobStore, FinalWrite, ImageNotification, ImageRecord, ImageSource, MetadataStore, Notifier, VariantRecord } from './ports';

/** What a caller hands the pipeline: the bytes, and who and where they came from. */
export interface IngestRequest {
  imageId: string;
  source: ImageSource;
  customerId: string;
  bytes: Buffer;
  /** The Kafka eventId or REST Idempotency-Key, kept on the record. */
  idempotencyKey?: string;
  /** The caller's file name: metadata only, never part of a key. */
  fileName?: string;
  attributes?: Record<string, string>;
  /**
   * The URL the bytes were downloaded from, for a URL import: its record was made RECEIVED before
   * the bytes arrived ({@link ImagePipeline.recordPending}), and only a request naming the same
   * URL may give it bytes.
   */
  sourceUrl?: string;
  /** Log correlation: the API request id or Kafka topic/partition/offset. */
  correlation?: Record<string, string | number>;
}

/** Outcome of {@link ImagePipeline.recordPending}: the record, and whether this call made it. */
export interface PendingResult {
  record: ImageRecord;
  created: boolean;
}

/**
 * True for a record accepted before its bytes arrived (a URL import): RECEIVED, a source URL,
 * no bytes and no digest yet. Its digest, size and format are written with its final transition.
 */
export function isAwaitingBytes(record: ImageRecord): boolean {
  return record.status === 'RECEIVED' && record.sourceUrl !== undefined && record.sha256 === '' && record.bytes === 0;
}

/** What a record awaiting its bytes learns from them, written with its final transition. */
function arrivedFields(bytes: Buffer, sha256: string): Partial<ImageRecord> {
  const format = detectImageFormat(bytes);
  return { bytes: bytes.length, sha256, format, contentType: format === undefined ? undefined : FORMAT_DETAILS[format].contentType };
}

/** Outcome of one ingestion. `duplicate`: the id was already final; nothing was done again. */
export interface IngestResult {
  record: ImageRecord;
  duplicate: boolean;
}

/**
 * How long a notification lease holds by default before another worker may take it over.
 * @default 30000
 */
export const DEFAULT_NOTIFICATION_LEASE_MS = 30_000;

/**
 * What {@link ImagePipeline.resumeReceived} did: finished the record from its raw object,
 * failed it as abandoned (no raw object), or found that another worker's conditional write
 * made it final first (that worker holds its notification).
 */
export type ResumeOutcome = 'recovered' | 'failed-abandoned' | 'raced';

/** What {@link ImagePipeline.announceFinal} did: published now, found it already published, or found another worker's lease unexpired. */
export type AnnounceOutcome = 'notified' | 'done' | 'busy';

/** The final transition's fields and, when this worker's write made it, the notification lease it took (epoch ms it holds until). */
interface FinalOutcome {
  fields: Partial<ImageRecord>;
  leaseUntil: number | undefined;
}

/** The ports and settings the pipeline needs; built once per process. */
export interface PipelineDependencies {
  config: Pick<Config, 'rawBucket' | 'processedBucket' | 'limits' | 'variants' | 'encoding'>;
  blobs: BlobStore;
  metadata: MetadataStore;
  notifier: Notifier;
  telemetry: Telemetry;
  /** Picks and prepares each customer's watermark (`config.watermark`). @default none: no watermark */
  watermarks?: Pick<WatermarkResolver, 'forCustomer'>;
  /** @default () => new Date() */
  clock?: () => Date;
  /**
   * How long a notification lease holds before another worker may take it over.
   * @default 30000
   */
  notificationLeaseMs?: number;
}

/** A notification lease is held by another worker: retry later, it will be done or free. */
class NotificationInProgressError extends DependencyError {
  constructor(imageId: string) {
    super('notification', `the notification for ${imageId} is being published by another worker`, { context: { imageId } });
  }
}

/** The publish ran past its deadline inside the notification lease; the lease is given back and a retry publishes (the same notification id). */
class NotificationDeadlineError extends DependencyError {
  constructor(imageId: string) {
    super('SNS', `the notification for ${imageId} could not be published within its lease`, { context: { imageId } });
  }
}

/** What a FAILED record says of an error that made the pipeline give up on an image. */
function failureSummary(error: unknown): { code: ErrorCode; message: string } {
  if (error instanceof PipelineError) return error.toSummary();
  // A bug: the record says so without internals; the log has the stack.
  return { code: ERROR_CODES.internal, message: 'an internal error stopped processing this image' };
}

/** The X-Ray annotations one image's trace is searched by (docs/tracing.md). */
function traceAnnotations(request: Pick<IngestRequest, 'imageId' | 'customerId' | 'source'>): TraceAnnotations {
  return { imageId: request.imageId, customerId: request.customerId, source: request.source };
}

/** The `outcome` annotation of a finished ingestion: `processed`, `failed` or `duplicate`. */
function outcomeAnnotation(result: IngestResult): TraceAnnotations {
  return { outcome: result.duplicate ? 'duplicate' : result.record.status.toLowerCase() };
}

/**
 * A deterministic image id for a caller-given idempotency key: the same customer and key give
 * the same id; two customers using the same key do not collide.
 */
export function imageIdForKey(customerId: string, key: string): string {
  return uuidV8(sha256Hex(`${customerId}\u0000${key}`));
}

/** A SHA-256 hex digest formatted as an RFC 9562 version-8 (custom) UUID. */
function uuidV8(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The id of an image's final notification: derived from the image id and the notification type
 * only, so every publish of it — the first, a re-publish after a crash between the SNS publish
 * and `markNotified`, one after a publish whose outcome was unknown, the reconciler's — carries
 * the same id. A UUID (36 characters), within SNS's 128-character `MessageDeduplicationId`.
 *
 * @example
 * notificationIdFor('7d0f…', 'image.processed') // '1c4e9a2b-…' (the same on every call)
 */
export function notificationIdFor(imageId: string, type: ImageNotification['type']): string {
  return uuidV8(sha256Hex(`notification\u0000${imageId}\u0000${type}`));
}

/**
 * The share of the notification lease the SNS publish may use; the rest is kept for
 * `markNotified`, so a publish never outlives the lease that makes it the only one in flight.
 */
export const PUBLISH_SHARE_OF_LEASE = 2 / 3;

/**
 * The shared pipeline both ingestion paths call: validate by content → raw to S3 → RECEIVED
 * record → variants → PROCESSED → notification; a bad image becomes FAILED with its raw bytes
 * kept and an `image.failed` notification.
 *
 * Exactly-once in effect: the record is created with a conditional write keyed by image id;
 * every later step writes deterministic keys or makes a conditional transition, and the
 * notification is published under a lease (taken by the write that makes the record final, or
 * by a later lease when that worker failed to publish), so a redelivery finishes unfinished
 * work and repeats nothing that was finished.
 */
export class ImagePipeline {
  private readonly clock: () => Date;
  private readonly leaseMs: number;

  constructor(private readonly deps: PipelineDependencies) {
    this.clock = deps.clock ?? (() => new Date());
    this.leaseMs = deps.notificationLeaseMs ?? DEFAULT_NOTIFICATION_LEASE_MS;
  }

  /**
   * Ingests one image. Resolves with the final record (PROCESSED or FAILED) — a bad image is a
   * result, not an exception.
   *
   * Bytes over `limits.maxImageBytes` are never stored, on any path (docs/image-sources.md):
   * with `rejectOversize` the call throws; otherwise the image is recorded FAILED
   * (`IMAGE_TOO_LARGE`) with nothing kept, as {@link recordUnavailable} does.
   *
   * @throws ImageTooLargeError when `rejectOversize` is set and the bytes are over the limit
   *   (the REST path answers 413 and stores nothing).
   * @throws IdempotencyKeyReusedError when the id exists for a different request (other bytes,
   *   URL, file name, attributes or customer; see `requestDifference`); nothing is changed.
   * @throws DependencyError (retriable) when S3, DynamoDB or SNS fail; a retry is safe.
   */
  ingest(request: IngestRequest, options: { rejectOversize?: boolean } = {}): Promise<IngestResult> {
    // One X-Ray subsegment per image (docs/tracing.md): the stages and SDK calls nest under it.
    return this.deps.telemetry.trace('ingest', traceAnnotations(request), () => this.ingestImage(request, options), outcomeAnnotation);
  }

  private async ingestImage(request: IngestRequest, options: { rejectOversize?: boolean }): Promise<IngestResult> {
    const { telemetry } = this.deps;
    if (!isValidImageId(request.imageId)) throw invalidParameterError('imageId', 'a UUID or key-safe id', request.imageId);
    // The same bounds on every path, before anything is stored.
    assertRequestBounds(request);
    const log = telemetry.child({ imageId: request.imageId, source: request.source, ...request.correlation });
    const { maxImageBytes } = this.deps.config.limits;
    if (request.bytes.length > maxImageBytes) {
      const tooLarge = new ImageTooLargeError(maxImageBytes, `the image is ${request.bytes.length} bytes; the limit is ${maxImageBytes}`, { context: { imageId: request.imageId } });
      if (options.rejectOversize) throw tooLarge;
      const { bytes: _oversize, ...withoutBytes } = request;
      return this.recordUnavailable(withoutBytes, tooLarge);
    }
    const started = performance.now();
    // One hash of the input serves the record, the image checks and the raw upload's checksum.
    const digest = await telemetry.time('hash', () => sha256Digest(request.bytes));
    const sha256 = digest.toString('hex');
    const now = this.clock();
    const format = detectImageFormat(request.bytes);
    const details = format === undefined ? undefined : FORMAT_DETAILS[format];
    const draft: ImageRecord = {
      imageId: request.imageId,
      status: 'RECEIVED',
      source: request.source,
      customerId: request.customerId,
      idempotencyKey: request.idempotencyKey,
      fileName: request.fileName,
      format,
      contentType: details?.contentType,
      bytes: request.bytes.length,
      sha256,
      raw: { bucket: this.deps.config.rawBucket, key: rawKey(request.imageId, now, details?.extension) },
      sourceUrl: request.sourceUrl,
      attributes: request.attributes && Object.keys(request.attributes).length > 0 ? request.attributes : undefined,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      expiresAt: expiresAtSeconds(now, this.deps.config),
    };

    const outcome = await telemetry.time('metadata', () => this.deps.metadata.create(draft));
    const record = outcome.record;
    // Bytes for a URL import accepted earlier: kept where its record says, described by its final write.
    let arrived: Partial<ImageRecord> | undefined;
    const awaitingBytes = !outcome.created && isAwaitingBytes(record);
    // The id exists: only a replay of the request that made it may go on (content compared once known).
    if (!outcome.created) assertSameRequest(record, { ...request, sha256: awaitingBytes ? undefined : sha256 });
    if (awaitingBytes) {
      arrived = arrivedFields(request.bytes, sha256);
      Object.assign(record, arrived);
      log.info('the bytes of an accepted URL import arrived');
    } else if (!outcome.created) {
      if (record.status !== 'RECEIVED' && record.notifiedAt !== undefined) {
        log.info('duplicate delivery of a finished image; nothing to do', { status: record.status });
        return { record, duplicate: true };
      }
      log.info('resuming an unfinished image', { status: record.status });
    }

    let leaseUntil: number | undefined;
    if (record.status === 'RECEIVED') {
      let final: FinalOutcome;
      try {
        // Raw bytes first, so a FAILED record always points at what arrived.
        await telemetry.time('storeRaw', () =>
          this.deps.blobs.put(record.raw, request.bytes, { contentType: record.contentType ?? 'application/octet-stream', metadata: { 'image-id': record.imageId, sha256 }, sha256: digest }),
        );
        final = await this.finish(record, request.bytes, sha256, false, log, arrived);
      } catch (error) {
        // Retriable: the record stays RECEIVED and a redelivery (or the reconciler) finishes it.
        if (isRetriable(error)) throw error;
        // Anything else gives up on this image: it ends FAILED, with the reason, and is announced.
        const failure = failureSummary(error);
        if (failure.code === ERROR_CODES.internal) log.error('unexpected error while processing an image', { error: (error as Error)?.stack ?? String(error) });
        final = await this.recordFailure(record, failure.code, failure.message, log, arrived);
      }
      Object.assign(record, final.fields);
      leaseUntil = final.leaseUntil;
    }
    await this.notifyOnce(record, leaseUntil, log);
    const totalMs = performance.now() - started;
    telemetry.recordOutcome(record.status === 'PROCESSED' ? 'processed' : 'failed', request.bytes.length, totalMs);
    log.info('image finished', { status: record.status, totalMs: Math.round(totalMs), errorCode: record.error?.code });
    return { record, duplicate: false };
  }

  /** The notification lease a final write takes: held for the lease from now. */
  private finalWrite(): FinalWrite {
    return { notificationLeaseUntil: this.clock().getTime() + this.leaseMs };
  }

  /**
   * Inspect, render, store variants and make the final transition; returns the final fields and
   * whether this worker's write made the record final (and so holds the notification lease).
   * `arrived`: what a record awaiting its bytes learns from them, written in the same transition.
   */
  private async finish(record: ImageRecord, bytes: Buffer, sha256: string, oversize: boolean, log: ReturnType<Telemetry['child']>, arrived?: Partial<ImageRecord>): Promise<FinalOutcome> {
    const { config, blobs, metadata, telemetry } = this.deps;
    let info: ImageInfo;
    try {
      if (oversize) throw new ImageTooLargeError(config.limits.maxImageBytes, `the image is ${bytes.length} bytes; the limit is ${config.limits.maxImageBytes}`);
      // One decode for validation and every variant (inspectImage + renderVariants would decode twice).
      const watermark = await this.deps.watermarks?.forCustomer(record.customerId);
      const processed = await telemetry.time('process', () => processImage(bytes, { ...config.limits, variants: config.variants, encoding: config.encoding, sha256, watermark }));
      info = processed.info;
      const variants = processed.variants;
      const stored: Record<string, VariantRecord> = {};
      await telemetry.time('storeVariants', () =>
        Promise.all(
          variants.map(async (v) => {
            const key = variantKey(record.imageId, v.name, v.extension);
            await blobs.put({ bucket: config.processedBucket, key }, v.data, { contentType: v.contentType, metadata: { 'image-id': record.imageId } });
            stored[v.name] = { key, format: v.format, contentType: v.contentType, width: v.width, height: v.height, bytes: v.bytes };
          }),
        ),
      );
      const fields: Partial<ImageRecord> = {
        ...arrived,
        status: 'PROCESSED',
        format: info.format,
        contentType: info.contentType,
        width: info.width,
        height: info.height,
        hasAlpha: info.hasAlpha,
        colorSpace: info.colorSpace,
        orientation: info.orientation,
        capturedAt: info.capturedAt,
        cameraMake: info.cameraMake,
        cameraModel: info.cameraModel,
        variants: stored,
      };
      const now = this.clock();
      const write = this.finalWrite();
      const leaseHeld = await telemetry.time('metadata', () => metadata.markProcessed(record, fields, now, write));
      return { fields: { ...fields, updatedAt: now.toISOString() }, leaseUntil: leaseHeld ? write.notificationLeaseUntil : undefined };
    } catch (error) {
      if (!isImageRejection(error)) throw error;
      return this.recordFailure(record, error.code, error.message, log, arrived);
    }
  }

  /** The image itself is bad: FAILED with the error; never retried. `arrived` as for {@link finish}. */
  private async recordFailure(record: ImageRecord, code: ErrorCode, message: string, log: ReturnType<Telemetry['child']>, arrived?: Partial<ImageRecord>): Promise<FinalOutcome> {
    const now = this.clock();
    const fields: Partial<ImageRecord> = { ...arrived, status: 'FAILED', error: { code, message } };
    const write = this.finalWrite();
    const leaseHeld = await this.deps.telemetry.time('metadata', () => this.deps.metadata.markFailed(record, fields, now, write));
    log.warn('image rejected', { errorCode: code, error: message });
    return { fields: { ...fields, updatedAt: now.toISOString() }, leaseUntil: leaseHeld ? write.notificationLeaseUntil : undefined };
  }

  /**
   * The result for a request whose image is already final (PROCESSED or FAILED) — publishing its
   * notification first if that never happened — or `undefined` when the image is new or
   * unfinished and must be ingested. Lets a caller skip fetching bytes it would not use.
   *
   * @throws IdempotencyKeyReusedError when the final record was made by a different request
   *   (another customer, URL, file name or attributes): refused before its source is read.
   * @throws DependencyError (retriable) when DynamoDB or SNS fail.
   */
  async finishedResult(
    request: Pick<IngestRequest, 'imageId' | 'customerId' | 'idempotencyKey' | 'source' | 'correlation' | 'sourceUrl' | 'fileName' | 'attributes'>,
  ): Promise<IngestResult | undefined> {
    if (!isValidImageId(request.imageId)) return undefined;
    const record = await this.deps.telemetry.time('metadata', () => this.deps.metadata.get(request.imageId, this.clock()));
    if (record === undefined || record.status === 'RECEIVED') return undefined;
    assertSameRequest(record, request);
    const log = this.deps.telemetry.child({ imageId: request.imageId, source: request.source, ...request.correlation });
    if (record.notifiedAt !== undefined) {
      log.info('duplicate delivery of a finished image; nothing to do', { status: record.status });
      return { record, duplicate: true };
    }
    await this.notifyOnce(record, undefined, log);
    return { record, duplicate: false };
  }

  /**
   * Records a failure for an image whose bytes never arrived (a forbidden or unreachable
   * source): the record is created FAILED directly, then notified once.
   *
   * @throws IdempotencyKeyReusedError when the id exists for a different request; it is left as it is.
   */
  recordUnavailable(request: Omit<IngestRequest, 'bytes'>, error: PipelineError): Promise<IngestResult> {
    return this.deps.telemetry.trace('recordUnavailable', { ...traceAnnotations(request), errorCode: error.code }, () => this.recordUnavailableImage(request, error), outcomeAnnotation);
  }

  private async recordUnavailableImage(request: Omit<IngestRequest, 'bytes'>, error: PipelineError): Promise<IngestResult> {
    if (!isValidImageId(request.imageId)) throw invalidParameterError('imageId', 'a UUID or key-safe id', request.imageId);
    assertRequestBounds(request);
    const now = this.clock();
    const draft: ImageRecord = { ...this.bytelessDraft(request, 'FAILED', now), error: error.toSummary() };
    const log = this.deps.telemetry.child({ imageId: request.imageId, source: request.source, ...request.correlation });
    const write = this.finalWrite();
    const outcome = await this.deps.metadata.create(draft, write);
    if (!outcome.created) assertSameRequest(outcome.record, request);
    if (!outcome.created && outcome.record.notifiedAt !== undefined) return { record: outcome.record, duplicate: true };
    log.warn('image source unavailable', { errorCode: error.code, error: error.message });
    let leaseUntil = outcome.created ? write.notificationLeaseUntil : undefined;
    if (outcome.record.status === 'RECEIVED') {
      // An earlier delivery got as far as RECEIVED (e.g. its S3 write failed); giving up now must
      // still leave the record final and announced.
      const final = await this.recordFailure(outcome.record, error.code, error.message, log);
      Object.assign(outcome.record, final.fields);
      leaseUntil = final.leaseUntil;
    }
    await this.notifyOnce(outcome.record, leaseUntil, log);
    this.deps.telemetry.recordOutcome('failed', 0, 0);
    return { record: outcome.record, duplicate: false };
  }

  /**
   * The record of an image whose bytes the pipeline does not have (yet): no size, no digest, and
   * the raw key it would be stored under. Shared by {@link recordUnavailable} (FAILED) and
   * {@link recordPending} (RECEIVED), so the two cannot drift.
   */
  private bytelessDraft(request: Omit<IngestRequest, 'bytes'>, status: ImageRecord['status'], now: Date): ImageRecord {
    return {
      imageId: request.imageId,
      status,
      source: request.source,
      customerId: request.customerId,
      idempotencyKey: request.idempotencyKey,
      fileName: request.fileName,
      bytes: 0,
      sha256: '',
      raw: { bucket: this.deps.config.rawBucket, key: rawKey(request.imageId, now) },
      sourceUrl: request.sourceUrl,
      attributes: request.attributes && Object.keys(request.attributes).length > 0 ? request.attributes : undefined,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      expiresAt: expiresAtSeconds(now, this.deps.config),
    };
  }

  /**
   * Accepts a URL import before its bytes arrive: creates its record RECEIVED with the source URL
   * (no bytes, no digest) by the same conditional create as {@link ingest}, so the record is
   * visible at once. A worker later gives it bytes through {@link ingest} (or the source's failure
   * through {@link recordUnavailable}) with the same `sourceUrl`; the reconciler fails it as
   * abandoned when neither happens within its threshold. When the id exists, nothing is written
   * and the existing record is returned (`created: false`): the caller decides whether it is a
   * replay.
   *
   * @throws InvalidParameterError for a malformed id or a request over its bounds.
   * @throws DependencyError (retriable) when DynamoDB fails; a retry is safe.
   * @example
   * const { record, created } = await pipeline.recordPending({ imageId, source: 'api', customerId, sourceUrl: url });
   */
  async recordPending(request: Omit<IngestRequest, 'bytes' | 'sourceUrl'> & { sourceUrl: string }): Promise<PendingResult> {
    if (!isValidImageId(request.imageId)) throw invalidParameterError('imageId', 'a UUID or key-safe id', request.imageId);
    assertRequestBounds(request);
    const now = this.clock();
    const draft = this.bytelessDraft(request, 'RECEIVED', now);
    const outcome = await this.deps.telemetry.time('metadata', () => this.deps.metadata.create(draft));
    if (outcome.created) this.deps.telemetry.child({ imageId: request.imageId, source: request.source, ...request.correlation }).info('URL import accepted');
    return { record: outcome.record, created: outcome.created };
  }

  /**
   * Finishes a record a worker left RECEIVED (the reconciler's first case), through the same
   * steps and conditional transitions as {@link ingest}: from its raw object when that exists,
   * else FAILED with an `ABANDONED` error; then the notification, once.
   *
   * @throws DependencyError (retriable) when S3, DynamoDB or SNS fail; a retry is safe.
   */
  resumeReceived(record: ImageRecord): Promise<{ outcome: ResumeOutcome; record: ImageRecord }> {
    return this.deps.telemetry.trace('resumeReceived', traceAnnotations(record), () => this.resumeReceivedImage(record), (result) => ({ outcome: result.outcome }));
  }

  private async resumeReceivedImage(record: ImageRecord): Promise<{ outcome: ResumeOutcome; record: ImageRecord }> {
    const { config, blobs, telemetry } = this.deps;
    const log = telemetry.child({ imageId: record.imageId, source: record.source, reconciled: true });
    const started = performance.now();
    let bytes: Buffer | undefined;
    try {
      // The record's own size bounds the read: records made before oversize images stopped being
      // kept (docs/image-sources.md) may point at an oversize raw object.
      bytes = await blobs.get(record.raw, Math.max(record.bytes, config.limits.maxImageBytes));
    } catch (error) {
      if (!(error instanceof SourceNotFoundError)) throw error;
    }
    const current: ImageRecord = { ...record };
    let final: FinalOutcome;
    let outcome: ResumeOutcome;
    const sha256 = bytes === undefined ? undefined : sha256Hex(bytes);
    // A URL import's raw object is written before its digest is recorded: it is the bytes that arrived.
    const arrived = bytes !== undefined && sha256 !== undefined && isAwaitingBytes(record) ? arrivedFields(bytes, sha256) : undefined;
    if (bytes !== undefined && sha256 !== undefined && (sha256 === record.sha256 || arrived !== undefined)) {
      final = await this.finish(current, bytes, sha256, bytes.length > config.limits.maxImageBytes, log, arrived);
      outcome = 'recovered';
    } else {
      const why = bytes === undefined ? 'its raw object never arrived' : 'its raw object does not match the recorded sha256';
      const error = new AbandonedImageError(`the image was abandoned unfinished: ${why}`, { context: { imageId: record.imageId } });
      final = await this.recordFailure(current, error.code, error.message, log);
      outcome = 'failed-abandoned';
    }
    if (final.leaseUntil === undefined) return { outcome: 'raced', record: current };
    Object.assign(current, final.fields);
    await this.notifyOnce(current, final.leaseUntil, log);
    telemetry.recordOutcome(current.status === 'PROCESSED' ? 'processed' : 'failed', bytes?.length ?? 0, performance.now() - started);
    log.info('unfinished image reconciled', { outcome, status: current.status, errorCode: current.error?.code });
    return { outcome, record: current };
  }

  /**
   * Publishes the notification of a final record that was never announced (the reconciler's
   * second case): takes the notification lease only when no worker holds it, then publishes
   * the record as stored, once.
   *
   * @throws DependencyError (retriable) when DynamoDB or SNS fail; the lease is given back.
   */
  async announceFinal(imageId: string): Promise<AnnounceOutcome> {
    const { metadata, telemetry } = this.deps;
    const leasedAt = this.clock();
    const lease = await metadata.acquireNotificationLease(imageId, leasedAt, this.leaseMs);
    if (lease !== 'acquired') return lease;
    const record = await metadata.get(imageId, this.clock());
    if (record === undefined || record.status === 'RECEIVED') {
      // Not final (or gone): not ours to announce.
      await metadata.releaseNotification(imageId, leasedAt.getTime() + this.leaseMs);
      return record === undefined ? 'done' : 'busy';
    }
    const log = telemetry.child({ imageId, source: record.source, reconciled: true });
    await this.notifyOnce(record, leasedAt.getTime() + this.leaseMs, log);
    log.info('final image announced late', { status: record.status });
    return 'notified';
  }

  /**
   * Publishes the final notification once per record: lease → publish → mark. `leaseUntil`: the
   * lease this worker's final write already took (epoch ms); undefined when it holds none (a
   * redelivery resuming after a failed or crashed publish), and then it leases first.
   *
   * The publish is bounded to {@link PUBLISH_SHARE_OF_LEASE} of the lease (aborted past it), so
   * while this worker's publish may still reach SNS no other worker can hold the lease, and
   * `markNotified` has the rest of the lease. What is left is SNS Publish not being idempotent:
   * a crash after SNS accepted and before `markNotified`, or a publish whose outcome is unknown
   * (timed out or aborted after SNS accepted), is published again by whoever takes the lease
   * next — with the same {@link notificationIdFor} id, which a FIFO topic drops as a duplicate
   * and a subscriber of a standard topic dedupes on (docs/notifications.md).
   */
  private async notifyOnce(record: ImageRecord, leaseUntil: number | undefined, log: ReturnType<Telemetry['child']>): Promise<void> {
    if (record.status === 'RECEIVED' || record.notifiedAt !== undefined) return;
    const { metadata, notifier, telemetry } = this.deps;
    let until = leaseUntil;
    if (until === undefined) {
      const leasedAt = this.clock();
      const lease = await metadata.acquireNotificationLease(record.imageId, leasedAt, this.leaseMs);
      if (lease === 'done') return;
      if (lease === 'busy') throw new NotificationInProgressError(record.imageId);
      until = leasedAt.getTime() + this.leaseMs;
    }
    const type = record.status === 'PROCESSED' ? 'image.processed' : 'image.failed';
    // The publish must end while the lease still has room for markNotified.
    const budgetMs = until - this.leaseMs * (1 - PUBLISH_SHARE_OF_LEASE) - this.clock().getTime();
    try {
      // A worker stalled past its publish window (a paused process) publishes nothing: its lease is given back.
      if (budgetMs <= 0) throw new NotificationDeadlineError(record.imageId);
      const signal = AbortSignal.timeout(budgetMs);
      await telemetry.time('notify', () => notifier.publish({ type, notificationId: notificationIdFor(record.imageId, type), record }, { signal }));
    } catch (error) {
      // Nothing of ours is in flight any more (an aborted request is closed): a retry may take the lease now.
      await metadata.releaseNotification(record.imageId, until).catch(() => undefined);
      throw error;
    }
    const now = this.clock();
    await metadata.markNotified(record.imageId, now);
    record.notifiedAt = now.toISOString();
    log.debug('notification published');
  }
}
