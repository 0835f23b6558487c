/**
 * The reconciler on the real stand-ins (moto for DynamoDB, S3 and SNS): records a worker left
 * RECEIVED (with and without its raw object) and final records never announced are repaired
 * with exactly one notification each; two runs at once and a run beside live traffic repeat
 * nothing; a record inside its notification lease is left alone.
 *
 * Stuck records are made the way they happen: a real pipeline whose clock is two hours back and
 * one of whose ports (our own) fails on purpose mid-way, as a killed worker would stop. The
 * reconciler reads the real `byStatusDay` index; its view is narrowed to this file's customer so
 * it never repairs other engineers' records on the shared stack.
 */
import { randomUUID } from 'node:crypto';
import { DependencyError, destroyAwsClients, loadConfig, type BlobStore, type MetadataStore, type Notifier } from '../../core';
import { ImagePipeline, Reconciler, createPipelineRuntime, type IngestRequest, type PipelineRuntime, type ReconcileReport } from '../../core/runtime';
import { makeJpeg } from '../helpers/images';
import { openNotificationInbox, type NotificationInbox } from '../helpers/notifications';
import { runIngest } from '../helpers/ingest-cli';
import { unusedLoopbackPort } from '../helpers/loopback-server';

// Each pass queries every write shard of three statuses on two days; on a busy shared moto that takes a while.
jest.setTimeout(300_000);

const TWO_HOURS_MS = 2 * 3_600_000;
let runtime: PipelineRuntime;
let inbox: NotificationInbox;
let seed = 100;

beforeAll(async () => {
  runtime = createPipelineRuntime(loadConfig({ ...process.env, LOG_LEVEL: 'SILENT' }), 'reconciler-test');
  inbox = await openNotificationInbox(runtime.clients, runtime.config, 'reconciler');
});

afterAll(async () => {
  await inbox.close();
  destroyAwsClients(runtime.clients);
});

/** The real metadata store, with index reads narrowed to this file's customer. */
function ownRecordsOnly(metadata: MetadataStore, customerId: string): MetadataStore {
  return new Proxy(metadata, {
    get(target, name, receiver) {
      if (name === 'listByStatusDay') {
        return async (...args: Parameters<MetadataStore['listByStatusDay']>) => {
          const page = await target.listByStatusDay(...args);
          return { ...page, items: page.items.filter((r) => r.customerId === customerId) };
        };
      }
      const value: unknown = Reflect.get(target, name, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

function reconciler(): Reconciler {
  return new Reconciler({
    pipeline: new ImagePipeline({ config: runtime.config, blobs: runtime.blobs, metadata: runtime.metadata, notifier: runtime.notifier, telemetry: runtime.telemetry }),
    metadata: ownRecordsOnly(runtime.metadata, inbox.customerId),
    blobs: runtime.blobs,
    telemetry: runtime.telemetry,
    options: { receivedAfterMs: 3_600_000, notificationLeaseMs: 30_000, maxRecords: 20_000 },
  });
}

async function request(): Promise<IngestRequest> {
  seed += 1;
  return { imageId: randomUUID(), source: 'kafka', customerId: inbox.customerId, bytes: await makeJpeg({ width: 120, height: 90 }, seed) };
}

// A worker that dies does nothing more: a retriable failure is the one the pipeline rethrows
// without recording anything (any other error now ends the image FAILED on the spot).
const crash = (): Promise<never> => Promise.reject(new DependencyError('worker', 'worker killed'));

/**
 * Runs a real pipeline, two hours in the past, that dies at `stop`: before the raw object is
 * stored, before the final write, or at the publish (optionally still holding the lease).
 */
async function leaveStuck(stop: 'before-raw' | 'before-final' | 'at-publish' | 'at-publish-holding-lease', req?: IngestRequest): Promise<IngestRequest> {
  const r = req ?? (await request());
  const blobs: BlobStore = stop === 'before-raw' ? { ...bind(runtime.blobs), put: crash } : runtime.blobs;
  const metadata: MetadataStore =
    stop === 'before-final'
      ? { ...bind(runtime.metadata), markProcessed: crash, markFailed: crash }
      : stop === 'at-publish-holding-lease'
        ? { ...bind(runtime.metadata), releaseNotification: () => Promise.resolve() }
        : runtime.metadata;
  const notifier: Notifier = stop.startsWith('at-publish') ? { publish: crash } : runtime.notifier;
  const past = new ImagePipeline({
    config: runtime.config,
    blobs,
    metadata,
    notifier,
    telemetry: runtime.telemetry,
    clock: () => new Date(Date.now() - TWO_HOURS_MS),
    // Holding the lease: a lease that outlives the two hours, as if the dead worker's lease were fresh.
    notificationLeaseMs: stop === 'at-publish-holding-lease' ? 3 * 3_600_000 : undefined,
  });
  await expect(past.ingest(r)).rejects.toThrow('worker killed');
  return r;
}

/** Every method of a port bound to it, so a spread copy can replace some of them. */
function bind<T extends object>(port: T): T {
  const bound: Record<string, unknown> = {};
  for (const name of Object.getOwnPropertyNames(Object.getPrototypeOf(port))) {
    const value: unknown = (port as Record<string, unknown>)[name];
    if (name !== 'constructor' && typeof value === 'function') bound[name] = (value as (...a: unknown[]) => unknown).bind(port);
  }
  return bound as T;
}

/** The notification types received for each id, once the inbox has been quiet for a while. */
async function notificationsFor(ids: string[]): Promise<Record<string, string[]>> {
  await inbox.waitFor((all) => ids.every((id) => all.some((n) => n.imageId === id)), 30_000);
  const all = await inbox.settle(3000);
  return Object.fromEntries(ids.map((id) => [id, all.filter((n) => n.imageId === id).map((n) => n.type)]));
}

const actionsOf = (report: ReconcileReport, ids: string[]): Record<string, string> =>
  Object.fromEntries(report.entries.filter((e) => ids.includes(e.imageId)).map((e) => [e.imageId, e.action]));

it('finishes a RECEIVED record from its raw object through the same pipeline, and announces it once', async () => {
  const req = await leaveStuck('before-final');
  expect((await runtime.metadata.get(req.imageId, new Date()))?.status).toBe('RECEIVED');

  const report = await reconciler().run();

  expect(actionsOf(report, [req.imageId])).toEqual({ [req.imageId]: 'recovered' });
  const record = await runtime.metadata.get(req.imageId, new Date());
  expect(record?.status).toBe('PROCESSED');
  expect(record?.notifiedAt).toBeDefined();
  expect(Object.keys(record?.variants ?? {}).sort()).toEqual(runtime.config.variants.map((v) => v.name).sort());
  const thumbnail = await runtime.blobs.head({ bucket: runtime.config.processedBucket, key: record?.variants?.thumbnail?.key ?? '' });
  expect(thumbnail.bytes).toBeGreaterThan(0);
  expect(await notificationsFor([req.imageId])).toEqual({ [req.imageId]: ['image.processed'] });
});

it('fails a RECEIVED record whose raw object never arrived as abandoned, and announces it once', async () => {
  const req = await leaveStuck('before-raw');

  const report = await reconciler().run();

  expect(actionsOf(report, [req.imageId])).toEqual({ [req.imageId]: 'failed-abandoned' });
  const record = await runtime.metadata.get(req.imageId, new Date());
  expect(record?.status).toBe('FAILED');
  expect(record?.error?.code).toBe('ABANDONED');
  expect(record?.error?.message).toMatch(/abandoned/);
  const notifications = await notificationsFor([req.imageId]);
  expect(notifications).toEqual({ [req.imageId]: ['image.failed'] });
  expect(inbox.received.find((n) => n.imageId === req.imageId)?.error?.code).toBe('ABANDONED');
});

it('announces a final record whose publish failed, once, and leaves one whose lease is still held', async () => {
  const unannounced = await leaveStuck('at-publish');
  const held = await leaveStuck('at-publish-holding-lease');
  expect((await runtime.metadata.get(unannounced.imageId, new Date()))?.notifiedAt).toBeUndefined();

  const dry = await reconciler().run({ dryRun: true });
  expect(actionsOf(dry, [unannounced.imageId, held.imageId])).toEqual({ [unannounced.imageId]: 'would-notify', [held.imageId]: 'would-notify' });
  const report = await reconciler().run();

  expect(actionsOf(report, [unannounced.imageId, held.imageId])).toEqual({ [unannounced.imageId]: 'notified-late', [held.imageId]: 'skipped-busy' });
  expect(await notificationsFor([unannounced.imageId])).toEqual({ [unannounced.imageId]: ['image.processed'] });
  expect(inbox.received.filter((n) => n.imageId === held.imageId)).toEqual([]);
  expect((await runtime.metadata.get(unannounced.imageId, new Date()))?.notifiedAt).toBeDefined();
  expect((await runtime.metadata.get(held.imageId, new Date()))?.notifiedAt).toBeUndefined();
});

it('`ingest reconcile --dry-run` prints the pass and each record it would touch, and changes nothing', async () => {
  const stuck = await leaveStuck('before-final');

  // The real command over the shared stack: a dry run only, so other engineers' records stay as they are.
  const { code, stdout, stderr } = await runIngest(['reconcile', '--dry-run']);

  expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  const [summary, ...entries] = stdout.trimEnd().split('\n');
  expect(summary).toMatch(/^reconcile \(dry run: nothing changed\): days \d{4}-\d{2}-\d{2}, \d{4}-\d{2}-\d{2}; \d+ candidates? read \(RECEIVED past the threshold, or final and never announced\); recovered 0, failed-abandoned 0, notified-late 0, skipped \d+, errors \d+$/);
  expect(entries).toContain(`  ${stuck.imageId}  RECEIVED  would-recover`);
  expect((await runtime.metadata.get(stuck.imageId, new Date()))?.status).toBe('RECEIVED');
});

it('`ingest reconcile` when DynamoDB does not answer names the call and the errno, points at `ingest stack status`, and exits 1', async () => {
  // A loopback port with nothing listening stands for a DynamoDB stand-in that is down.
  const port = String(await unusedLoopbackPort());
  const { code, stdout, stderr } = await runIngest(['reconcile', '--dry-run'], { DYNAMODB_PORT: port, AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${port}`, AWS_MAX_ATTEMPTS: '1' });
  expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
  expect(stderr.trimEnd()).toBe('error: DynamoDB Query failed: ECONNREFUSED (`ingest stack status` shows whether the local servers are up)');
});

it('two runs at once repair each record once between them', async () => {
  const received = await Promise.all([leaveStuck('before-final'), leaveStuck('before-final'), leaveStuck('before-final')]);
  const abandoned = await leaveStuck('before-raw');
  const unannounced = await leaveStuck('at-publish');
  const ids = [...received, abandoned, unannounced].map((r) => r.imageId);

  const reports = await Promise.all([reconciler().run(), reconciler().run()]);

  const done = reports.flatMap((r) => r.entries).filter((e) => ids.includes(e.imageId) && !e.action.startsWith('skipped'));
  expect(done.map((e) => e.action).sort()).toEqual(['failed-abandoned', 'notified-late', 'recovered', 'recovered', 'recovered']);
  expect(new Set(done.map((e) => e.imageId)).size).toBe(ids.length);
  expect(reports.flatMap((r) => r.entries).filter((e) => e.action === 'error')).toEqual([]);
  const notifications = await notificationsFor(ids);
  for (const id of ids) expect(notifications[id]).toHaveLength(1);
});

it('a run beside live traffic and live redeliveries leaves each image with one notification', async () => {
  const stuck = await Promise.all([leaveStuck('before-final'), leaveStuck('before-final'), leaveStuck('before-final')]);
  const fresh = await Promise.all([request(), request(), request(), request()]);
  const live = new ImagePipeline({ config: runtime.config, blobs: runtime.blobs, metadata: runtime.metadata, notifier: runtime.notifier, telemetry: runtime.telemetry });

  // A redelivery of a stuck record may find the reconciler holding its lease: it retries, as the stream path does.
  const ingestUntilDone = async (r: IngestRequest): Promise<void> => {
    for (let attempt = 0; attempt < 40; attempt++) {
      try {
        await live.ingest(r);
        return;
      } catch (error) {
        if ((error as { retriable?: boolean }).retriable !== true || attempt === 39) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  };
  const [report] = await Promise.all([reconciler().run(), ...fresh.map(ingestUntilDone), ...stuck.map(ingestUntilDone)]);

  const ids = [...stuck, ...fresh].map((r) => r.imageId);
  const notifications = await notificationsFor(ids);
  for (const id of ids) expect(notifications[id]).toEqual(['image.processed']);
  // Fresh images are inside every window: the reconciler never touched them.
  expect(report.entries.filter((e) => fresh.some((f) => f.imageId === e.imageId))).toEqual([]);
  expect(report.entries.filter((e) => e.action === 'error')).toEqual([]);
  for (const id of ids) expect((await runtime.metadata.get(id, new Date()))?.status).toBe('PROCESSED');
});
