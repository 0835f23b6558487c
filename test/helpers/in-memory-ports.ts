/**
 * The pipeline's ports kept in this process's memory, with the same conditional rules as the
 * DynamoDB and S3 adapters, so the benchmark can run the real pipeline with and without AWS
 * calls and tell how much CPU the calls themselves cost. Also a counter of port calls (each
 * adapter call is one AWS request).
 */
import { ImageTooLargeError, SourceNotFoundError } from '../../core/errors';
import type { BlobStore, CreateOutcome, FinalWrite, ImageRecord, ImageNotification, ImageStatus, MetadataStore, Notifier, ObjectLocation, PresignedPost, PutObjectOptions, RecordKey, RecordPage, StatusDayQuery } from '../../core';

/** Wraps every method of `port` so each call adds one to `counter.calls`. */
export function countingCalls<T extends object>(port: T, counter: { calls: number }): T {
  return new Proxy(port, {
    get(target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        counter.calls++;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

/** Objects in a map keyed by bucket and key. */
export class InMemoryBlobStore implements BlobStore {
  private readonly objects = new Map<string, { body: Buffer; options: PutObjectOptions }>();

  put(location: ObjectLocation, body: Buffer, options: PutObjectOptions): Promise<void> {
    this.objects.set(`${location.bucket}/${location.key}`, { body, options });
    return Promise.resolve();
  }

  /** Like S3BlobStore.get: SourceNotFoundError when missing, ImageTooLargeError past `maxBytes` (the body is not handed out). */
  get(location: ObjectLocation, maxBytes: number): Promise<Buffer> {
    const found = this.objects.get(`${location.bucket}/${location.key}`);
    if (found === undefined) return Promise.reject(new SourceNotFoundError(`no object ${location.bucket}/${location.key}`));
    if (found.body.length > maxBytes) return Promise.reject(new ImageTooLargeError(maxBytes, `s3://${location.bucket}/${location.key} is ${found.body.length} bytes; the limit is ${maxBytes}`));
    return Promise.resolve(found.body);
  }

  /** `bucket/key` of every stored object, sorted: what a test asserts was (or was not) kept. */
  keys(): string[] {
    return [...this.objects.keys()].sort();
  }

  delete(location: ObjectLocation): Promise<void> {
    this.objects.delete(`${location.bucket}/${location.key}`);
    return Promise.resolve();
  }

  head(location: ObjectLocation): Promise<{ bytes: number; contentType?: string; metadata: Record<string, string> }> {
    const found = this.objects.get(`${location.bucket}/${location.key}`);
    if (found === undefined) return Promise.reject(new SourceNotFoundError(`no object ${location.bucket}/${location.key}`));
    return Promise.resolve({ bytes: found.body.length, contentType: found.options.contentType, metadata: found.options.metadata ?? {} });
  }

  presignGet(): Promise<string> {
    return Promise.reject(new Error('objects in memory have no URLs'));
  }

  presignPost(): Promise<PresignedPost> {
    return Promise.reject(new Error('objects in memory have no URLs'));
  }
}

type StoredRecord = ImageRecord & { notifyLeaseUntil?: number };

/** Records in a map, each transition checked the way the DynamoDB conditions check it. */
export class InMemoryMetadataStore implements MetadataStore {
  private readonly records = new Map<string, StoredRecord>();

  create(record: ImageRecord, final?: FinalWrite): Promise<CreateOutcome> {
    const existing = this.records.get(record.imageId);
    if (existing !== undefined && existing.expiresAt >= Date.parse(record.createdAt) / 1000) return Promise.resolve({ created: false, record: { ...existing } });
    this.records.set(record.imageId, { ...record, notifyLeaseUntil: final?.notificationLeaseUntil });
    return Promise.resolve({ created: true, record });
  }

  private transition(key: RecordKey, fields: Partial<ImageRecord>, now: Date, final: FinalWrite): Promise<boolean> {
    const record = this.records.get(key.imageId);
    if (record?.status !== 'RECEIVED') return Promise.resolve(false);
    Object.assign(record, fields, { updatedAt: now.toISOString(), notifyLeaseUntil: final.notificationLeaseUntil });
    return Promise.resolve(true);
  }

  markProcessed(key: RecordKey, fields: Partial<ImageRecord>, now: Date, final: FinalWrite): Promise<boolean> {
    return this.transition(key, { ...fields, status: 'PROCESSED' }, now, final);
  }

  markFailed(key: RecordKey, fields: Partial<ImageRecord>, now: Date, final: FinalWrite): Promise<boolean> {
    return this.transition(key, { ...fields, status: 'FAILED' }, now, final);
  }

  acquireNotificationLease(imageId: string, now: Date, leaseMs: number): Promise<'acquired' | 'done' | 'busy'> {
    const record = this.records.get(imageId);
    if (record === undefined || record.notifiedAt !== undefined) return Promise.resolve('done');
    if (record.notifyLeaseUntil !== undefined && record.notifyLeaseUntil >= now.getTime()) return Promise.resolve('busy');
    record.notifyLeaseUntil = now.getTime() + leaseMs;
    return Promise.resolve('acquired');
  }

  markNotified(imageId: string, now: Date): Promise<void> {
    const record = this.records.get(imageId);
    if (record !== undefined) {
      record.notifiedAt = now.toISOString();
      delete record.notifyLeaseUntil;
    }
    return Promise.resolve();
  }

  releaseNotification(imageId: string, leaseUntil: number): Promise<void> {
    const record = this.records.get(imageId);
    if (record !== undefined && record.notifyLeaseUntil === leaseUntil) delete record.notifyLeaseUntil;
    return Promise.resolve();
  }

  get(imageId: string, now: Date): Promise<ImageRecord | undefined> {
    const record = this.records.get(imageId);
    return Promise.resolve(record !== undefined && record.expiresAt > now.getTime() / 1000 ? { ...record } : undefined);
  }

  listByCustomer(customerId: string, options: { status?: ImageStatus; limit: number }, now: Date): Promise<RecordPage> {
    const items = [...this.records.values()]
      .filter((r) => r.customerId === customerId && r.expiresAt > now.getTime() / 1000 && (options.status === undefined || r.status === options.status))
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
      .slice(0, options.limit);
    return Promise.resolve({ items });
  }

  listByStatusDay(status: ImageStatus, day: string, options: StatusDayQuery, now: Date): Promise<RecordPage> {
    const before = options.createdBefore;
    const items = [...this.records.values()]
      .filter((r) => r.status === status && r.createdAt.startsWith(day) && r.expiresAt > now.getTime() / 1000 && (options.unannouncedOnly !== true || r.notifiedAt === undefined) && (before === undefined || r.createdAt < before))
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt))
      .slice(0, options.limit);
    return Promise.resolve({ items });
  }
}

/** Keeps the notifications it is asked to publish. */
export class InMemoryNotifier implements Notifier {
  readonly published: ImageNotification[] = [];

  publish(notification: ImageNotification): Promise<void> {
    this.published.push(notification);
    return Promise.resolve();
  }
}
