/**
 * Issue 13, the soak's duplicates: SNS Publish is not idempotent, so the pipeline (1) keeps each
 * publish inside the notification lease that makes it the only one in flight, (2) never gives
 * back a lease that another worker took over, and (3) gives every publish of one record's final
 * notification the same id, so what cannot be avoided (a crash after SNS accepted, before
 * `markNotified`) is a re-publish that a FIFO topic or a subscriber drops.
 * Over in-memory ports with the DynamoDB adapter's conditional rules (bench/in-memory-ports.ts).
 */
import { randomUUID } from 'node:crypto';
import { InMemoryBlobStore, InMemoryMetadataStore, InMemoryNotifier } from '../../helpers/in-memory-ports';
import { DependencyError, createTelemetry, loadConfig, type FinalWrite, type ImageNotification, type ImageRecord, type Notifier, type PublishOptions, type RecordKey } from '../../../core';
import { ImagePipeline, notificationIdFor } from '../../../core/runtime';
import { makeJpeg } from '../../helpers/images';

const config = loadConfig({ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:1', LOG_LEVEL: 'SILENT' });
const telemetry = createTelemetry({ serviceName: 'unit', logLevel: 'SILENT' });

/** A clock the test moves by hand. */
function manualClock(start = Date.parse('2026-11-30T12:00:00Z')) {
  let now = start;
  return { now: () => new Date(now), advance: (ms: number) => void (now += ms) };
}

/** In-memory metadata whose `markNotified` throws once, as if the process died right after SNS accepted the publish. */
class CrashOnceBeforeMark extends InMemoryMetadataStore {
  crashes = 1;
  override markNotified(imageId: string, now: Date): Promise<void> {
    if (this.crashes-- > 0) return Promise.reject(new DependencyError('process', 'killed between the publish and markNotified'));
    return super.markNotified(imageId, now);
  }
}

/** A notifier that never answers: it settles only when the pipeline's signal aborts it (a frozen SNS). */
class HangingNotifier implements Notifier {
  readonly signals: (AbortSignal | undefined)[] = [];
  publish(_notification: ImageNotification, options: PublishOptions = {}): Promise<void> {
    this.signals.push(options.signal);
    return new Promise((_resolve, reject) => options.signal?.addEventListener('abort', () => reject(new DependencyError('SNS', 'SNS Publish failed: AbortError'))));
  }
}

let jpeg: Buffer;
beforeAll(async () => {
  jpeg = await makeJpeg({ width: 64, height: 48 });
});

const request = () => ({ imageId: randomUUID(), source: 'kafka' as const, customerId: 'c-lease', bytes: jpeg });

describe('notification id', () => {
  it('is the same for every publish of one notification, differs by image and type, and fits a MessageDeduplicationId', () => {
    const imageId = randomUUID();
    const id = notificationIdFor(imageId, 'image.processed');

    expect(notificationIdFor(imageId, 'image.processed')).toBe(id);
    expect(notificationIdFor(imageId, 'image.failed')).not.toBe(id);
    expect(notificationIdFor(randomUUID(), 'image.processed')).not.toBe(id);
    // SNS: up to 128 characters, alphanumerics and punctuation.
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(notificationIdFor('i'.repeat(128), 'image.failed').length).toBeLessThanOrEqual(128);
  });
});

describe('publishing inside the notification lease', () => {
  it('a crash between the publish and markNotified: the redelivery after the lease re-publishes with the same notification id', async () => {
    const clock = manualClock();
    const metadata = new CrashOnceBeforeMark();
    const notifier = new InMemoryNotifier();
    const pipeline = new ImagePipeline({ config, blobs: new InMemoryBlobStore(), metadata, notifier, telemetry, clock: clock.now, notificationLeaseMs: 30_000 });
    const req = request();

    await expect(pipeline.ingest(req)).rejects.toThrow(/killed between/);
    // The dead worker's lease holds until it ends: a redelivery inside it publishes nothing.
    await expect(pipeline.ingest(req)).rejects.toThrow(/being published by another worker/);
    clock.advance(30_001);
    const redelivered = await pipeline.ingest(req);

    expect(redelivered.record.notifiedAt).toBeDefined();
    const ids = notifier.published.map((n) => n.notificationId);
    expect(ids).toEqual([notificationIdFor(req.imageId, 'image.processed'), notificationIdFor(req.imageId, 'image.processed')]);
  });

  it('a publish that does not answer is aborted within its share of the lease and the lease is given back', async () => {
    const leaseMs = 300;
    const metadata = new InMemoryMetadataStore();
    const hanging = new HangingNotifier();
    const req = request();
    const stalled = new ImagePipeline({ config, blobs: new InMemoryBlobStore(), metadata, notifier: hanging, telemetry, notificationLeaseMs: leaseMs });

    await expect(stalled.ingest(req)).rejects.toBeInstanceOf(DependencyError);

    expect(hanging.signals).toHaveLength(1);
    expect(hanging.signals[0]?.aborted).toBe(true);
    const record = await metadata.get(req.imageId, new Date());
    expect(record?.status).toBe('PROCESSED');
    expect(record?.notifiedAt).toBeUndefined();
    // Given back: the next delivery publishes at once instead of waiting out the lease.
    const notifier = new InMemoryNotifier();
    const retried = await new ImagePipeline({ config, blobs: new InMemoryBlobStore(), metadata, notifier, telemetry, notificationLeaseMs: leaseMs }).ingest(req);
    expect(retried.record.notifiedAt).toBeDefined();
    expect(notifier.published.map((n) => n.notificationId)).toEqual([notificationIdFor(req.imageId, 'image.processed')]);
  });

  it('a worker stalled past its publish window publishes nothing and leaves the lease another worker took over', async () => {
    const clock = manualClock();
    const leaseMs = 30_000;
    let takenOverUntil: number | undefined;
    // The final write succeeds, then the worker stalls (a paused process) until its lease ended and another worker took one.
    class StallAfterFinalWrite extends InMemoryMetadataStore {
      override async markProcessed(record: RecordKey, fields: Partial<ImageRecord>, now: Date, final: FinalWrite): Promise<boolean> {
        const made = await super.markProcessed(record, fields, now, final);
        clock.advance(leaseMs + 1);
        expect(await this.acquireNotificationLease(record.imageId, clock.now(), leaseMs)).toBe('acquired');
        takenOverUntil = clock.now().getTime() + leaseMs;
        return made;
      }
    }
    const metadata = new StallAfterFinalWrite();
    const notifier = new InMemoryNotifier();
    const req = request();

    await expect(new ImagePipeline({ config, blobs: new InMemoryBlobStore(), metadata, notifier, telemetry, clock: clock.now, notificationLeaseMs: leaseMs }).ingest(req)).rejects.toThrow(/within its lease/);

    expect(notifier.published).toEqual([]);
    expect(takenOverUntil).toBeDefined();
    // The other worker's lease still stands.
    expect(await metadata.acquireNotificationLease(req.imageId, clock.now(), leaseMs)).toBe('busy');
  });
});
