/**
 * The reconciler's own decisions with in-memory ports (same conditional rules as the DynamoDB
 * adapter): the RECEIVED threshold and the notification lease are respected to the millisecond,
 * a dry run changes nothing, reads are bounded, and each kind is counted as its metric.
 * The real stand-ins are exercised by test/integration/reconciler.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { InMemoryBlobStore, InMemoryMetadataStore, InMemoryNotifier } from '../../helpers/in-memory-ports';
import { loadConfig, rawKey, type ImageRecord, type MetadataStore, type Telemetry } from '../../../core';
import { ImagePipeline, RECONCILE_METRICS, Reconciler } from '../../../core/runtime';
import { sha256Hex } from '../../../core/hashing';
import { makeJpeg } from '../../helpers/images';

const config = loadConfig({ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:1', LOG_LEVEL: 'SILENT' });
const NOW = new Date('2026-11-30T12:00:00.000Z');
const HOUR = 3_600_000;

/** A telemetry that keeps the counts it is given and drops everything else. */
function countingTelemetry(): Telemetry & { counts: Record<string, number> } {
  const counts: Record<string, number> = {};
  const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
  return {
    ...quiet,
    counts,
    child: () => quiet,
    time: (_stage, work) => work(),
    trace: (_name, _annotations, work) => work(),
    captureAwsClient: (client) => client,
    traceHandler: (handler) => handler,
    tracing: false,
    recordOutcome: () => undefined,
    count: (name, value) => void (counts[name] = (counts[name] ?? 0) + value),
    flush: () => undefined,
  };
}

/** Pages the in-memory index `limit` records at a time with an offset cursor, like DynamoDB's LastEvaluatedKey. */
function paged(store: InMemoryMetadataStore): MetadataStore & { pagesRead: number } {
  const wrapper = Object.create(store) as MetadataStore & { pagesRead: number };
  wrapper.pagesRead = 0;
  wrapper.listByStatusDay = async (status, day, options, now) => {
    wrapper.pagesRead += 1;
    const all = (await store.listByStatusDay(status, day, { limit: 1000, unannouncedOnly: options.unannouncedOnly, createdBefore: options.createdBefore }, now)).items;
    const start = options.cursor === undefined ? 0 : Number(options.cursor);
    const end = start + options.limit;
    return { items: all.slice(start, end), cursor: end < all.length ? String(end) : undefined };
  };
  return wrapper;
}

function setup(options: { maxRecords?: number; pageSize?: number } = {}) {
  const blobs = new InMemoryBlobStore();
  const store = new InMemoryMetadataStore();
  const metadata = paged(store);
  const notifier = new InMemoryNotifier();
  const telemetry = countingTelemetry();
  const clock = () => NOW;
  const pipeline = new ImagePipeline({ config, blobs, metadata, notifier, telemetry, clock });
  const reconciler = new Reconciler({
    pipeline,
    metadata,
    blobs,
    telemetry,
    clock,
    options: { receivedAfterMs: HOUR, notificationLeaseMs: 30_000, maxRecords: options.maxRecords ?? 100, pageSize: options.pageSize },
  });
  return { blobs, metadata, notifier, telemetry, reconciler };
}

let seed = 1;
/** A record as a worker that stopped at `stage` leaves it, `ageMs` old. */
async function stuck(ctx: ReturnType<typeof setup>, ageMs: number, stage: 'received' | 'received-no-raw' | 'unannounced'): Promise<ImageRecord> {
  const created = new Date(NOW.getTime() - ageMs);
  const bytes = await makeJpeg({ width: 40, height: 30 }, seed++);
  const imageId = randomUUID();
  const record: ImageRecord = {
    imageId, status: 'RECEIVED', source: 'kafka', customerId: 'c-unit', bytes: bytes.length, sha256: sha256Hex(bytes), format: 'jpeg', contentType: 'image/jpeg',
    raw: { bucket: config.rawBucket, key: rawKey(imageId, created, 'jpg') }, createdAt: created.toISOString(), updatedAt: created.toISOString(), expiresAt: Math.floor(created.getTime() / 1000) + 7 * 86_400,
  };
  await ctx.metadata.create(record);
  if (stage !== 'received-no-raw') await ctx.blobs.put(record.raw, bytes, { contentType: 'image/jpeg' });
  if (stage === 'unannounced') await ctx.metadata.markProcessed(record, { format: 'jpeg' }, created, { notificationLeaseUntil: created.getTime() + 30_000 });
  return record;
}

const statusOf = async (ctx: ReturnType<typeof setup>, id: string) => (await ctx.metadata.get(id, NOW))?.status;

test('a RECEIVED record is left alone until it is older than the threshold, then finished or failed as abandoned', async () => {
  const ctx = setup();
  const young = await stuck(ctx, HOUR, 'received');
  const old = await stuck(ctx, HOUR + 1, 'received');
  const lost = await stuck(ctx, HOUR + 1, 'received-no-raw');

  const report = await ctx.reconciler.run();

  expect(report.entries.map((e) => [e.imageId, e.action]).sort()).toEqual([[old.imageId, 'recovered'], [lost.imageId, 'failed-abandoned']].sort());
  expect(await statusOf(ctx, young.imageId)).toBe('RECEIVED');
  expect(await statusOf(ctx, old.imageId)).toBe('PROCESSED');
  expect((await ctx.metadata.get(lost.imageId, NOW))?.error?.code).toBe('ABANDONED');
  expect(ctx.notifier.published.map((n) => [n.record.imageId, n.type]).sort()).toEqual([[old.imageId, 'image.processed'], [lost.imageId, 'image.failed']].sort());
});

test('reads only records old enough to be its business: younger ones are not even scanned', async () => {
  const ctx = setup();
  // Young: in flight (RECEIVED within the threshold) or announced-pending (final within the lease).
  for (let i = 0; i < 4; i++) await stuck(ctx, HOUR - 1000 * (i + 1), 'received');
  for (let i = 0; i < 3; i++) await stuck(ctx, 10_000 + i, 'unannounced');
  const old = await stuck(ctx, HOUR + 1, 'received');
  const unannounced = await stuck(ctx, 31_000, 'unannounced');

  const report = await ctx.reconciler.run();

  // Two records read (one per status that holds an old one), not nine.
  expect(report.scanned).toBe(2);
  expect(report.entries.map((e) => [e.imageId, e.action]).sort()).toEqual([[old.imageId, 'recovered'], [unannounced.imageId, 'notified-late']].sort());
});

test('a final record is announced only after its notification lease, once', async () => {
  const ctx = setup();
  const inLease = await stuck(ctx, 30_000, 'unannounced');
  const afterLease = await stuck(ctx, 30_001, 'unannounced');

  const first = await ctx.reconciler.run();
  const second = await ctx.reconciler.run();

  expect(first.entries.map((e) => [e.imageId, e.action])).toEqual([[afterLease.imageId, 'notified-late']]);
  expect(second.entries.filter((e) => e.imageId === afterLease.imageId)).toEqual([]);
  expect(ctx.notifier.published.map((n) => n.record.imageId)).toEqual([afterLease.imageId]);
  expect((await ctx.metadata.get(inLease.imageId, NOW))?.notifiedAt).toBeUndefined();
});

test('a dry run says what it would do and changes nothing', async () => {
  const ctx = setup();
  const old = await stuck(ctx, 2 * HOUR, 'received');
  const lost = await stuck(ctx, 2 * HOUR, 'received-no-raw');
  const unannounced = await stuck(ctx, 2 * HOUR, 'unannounced');

  const report = await ctx.reconciler.run({ dryRun: true });

  expect(Object.fromEntries(report.entries.map((e) => [e.imageId, e.action]))).toEqual({
    [old.imageId]: 'would-recover',
    [lost.imageId]: 'would-fail-abandoned',
    [unannounced.imageId]: 'would-notify',
  });
  expect(report.counts).toEqual({ recovered: 0, failedAbandoned: 0, notifiedLate: 0, skipped: 0, errors: 0 });
  expect(ctx.notifier.published).toEqual([]);
  expect(await statusOf(ctx, old.imageId)).toBe('RECEIVED');
  expect(ctx.telemetry.counts).toEqual({});
});

test('each kind is counted as its EMF metric, zeros included', async () => {
  const ctx = setup();
  await stuck(ctx, 2 * HOUR, 'received');
  await stuck(ctx, 2 * HOUR, 'received');
  await stuck(ctx, 2 * HOUR, 'unannounced');

  await ctx.reconciler.run();

  expect(ctx.telemetry.counts).toEqual({ [RECONCILE_METRICS.recovered]: 2, [RECONCILE_METRICS.failedAbandoned]: 0, [RECONCILE_METRICS.notifiedLate]: 1 });
});

test('reads stop at maxRecords per status and day, and the report says so', async () => {
  const ctx = setup({ maxRecords: 3, pageSize: 2 });
  for (let i = 0; i < 7; i++) await stuck(ctx, 2 * HOUR, 'received-no-raw');

  const report = await ctx.reconciler.run({ dryRun: true });

  expect(report.truncated).toBe(true);
  expect(report.scanned).toBe(3);
  expect(report.entries).toHaveLength(3);
  // Two pages for the 3 RECEIVED of today; one empty page for each other status/day.
  expect(ctx.metadata.pagesRead).toBe(2 + 5);
});
