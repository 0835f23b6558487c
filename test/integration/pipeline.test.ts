/**
 * The shared pipeline's exactly-once notification on the real stand-ins (moto for DynamoDB, S3 and SNS):
 * the write that makes a record final also leases its notification; a worker that loses the
 * race, a failed publish and a worker that died holding the lease each end with exactly one
 * notification. The only stand-ins here are wrappers of our own ports that fail on purpose.
 */
import { randomUUID } from 'node:crypto';
import { DependencyError, destroyAwsClients, loadConfig, type MetadataStore, type Notifier } from '../../core';
import { ImagePipeline, createPipelineRuntime, type IngestRequest, type PipelineRuntime } from '../../core/runtime';
import { makeJpeg, makeTruncatedJpeg } from '../helpers/images';
import { openNotificationInbox, type NotificationInbox } from '../helpers/notifications';

jest.setTimeout(60_000);

let runtime: PipelineRuntime;
let inbox: NotificationInbox;

beforeAll(async () => {
  runtime = createPipelineRuntime(loadConfig({ ...process.env, LOG_LEVEL: 'ERROR' }), 'pipeline-test');
  inbox = await openNotificationInbox(runtime.clients, runtime.config, 'pipeline');
});

afterAll(async () => {
  await inbox.close();
  destroyAwsClients(runtime.clients);
});

/** A pipeline over the real adapters, with some of our own ports swapped for wrappers. */
function pipeline(overrides: { notifier?: Notifier; metadata?: MetadataStore; notificationLeaseMs?: number } = {}): ImagePipeline {
  return new ImagePipeline({
    config: runtime.config,
    blobs: runtime.blobs,
    metadata: overrides.metadata ?? runtime.metadata,
    notifier: overrides.notifier ?? runtime.notifier,
    telemetry: runtime.telemetry,
    notificationLeaseMs: overrides.notificationLeaseMs,
  });
}

async function request(seed: number, bytes?: Buffer): Promise<IngestRequest> {
  return { imageId: randomUUID(), source: 'kafka', customerId: inbox.customerId, bytes: bytes ?? (await makeJpeg({ width: 120, height: 90 }, seed)) };
}

/** Notifications received for one image after the inbox has been quiet for a while. */
async function notificationsFor(imageId: string): Promise<string[]> {
  await inbox.waitFor((all) => all.some((n) => n.imageId === imageId), 15_000);
  return (await inbox.settle(2000)).filter((n) => n.imageId === imageId).map((n) => n.type);
}

/** Redelivers like the stream path does: a retriable error means "try again shortly". */
async function ingestUntilDone(p: ImagePipeline, req: IngestRequest, attempts = 20): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await p.ingest(req);
      return;
    } catch (error) {
      if (!(error instanceof DependencyError) || i >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

it('the final write leases the notification: one publish, and a later delivery is a duplicate', async () => {
  const req = await request(1);
  const first = await pipeline().ingest(req);
  expect(first.record.status).toBe('PROCESSED');
  expect(first.record.notifiedAt).toBeDefined();

  const again = await pipeline().ingest(req);
  expect(again.duplicate).toBe(true);
  expect(await notificationsFor(req.imageId)).toEqual(['image.processed']);
  const stored = await runtime.metadata.get(req.imageId, new Date());
  expect(stored?.notifiedAt).toBe(first.record.notifiedAt);
  expect(stored).not.toHaveProperty('notifyLeaseUntil');
});

it('two workers racing on one image publish one notification between them', async () => {
  const req = await request(2);
  const workers = [pipeline(), pipeline(), pipeline()];
  const outcomes = await Promise.allSettled(workers.map((w) => w.ingest(req)));
  // A loser either finds the record finished or is told to come back (the lease is held).
  for (const outcome of outcomes) if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(DependencyError);
  expect(outcomes.some((o) => o.status === 'fulfilled')).toBe(true);
  await Promise.all(workers.map((w) => ingestUntilDone(w, req)));

  expect(await notificationsFor(req.imageId)).toEqual(['image.processed']);
  const page = await runtime.metadata.listByCustomer(inbox.customerId, { limit: 50 }, new Date());
  expect(page.items.filter((r) => r.imageId === req.imageId)).toHaveLength(1);
});

it('a failed publish gives the lease back, and the redelivery publishes exactly once', async () => {
  const req = await request(3);
  let failures = 1;
  const flaky: Notifier = {
    publish: async (notification) => {
      if (failures-- > 0) throw new DependencyError('SNS', 'Publish failed on purpose');
      await runtime.notifier.publish(notification);
    },
  };
  const p = pipeline({ notifier: flaky });

  await expect(p.ingest(req)).rejects.toBeInstanceOf(DependencyError);
  const between = await runtime.metadata.get(req.imageId, new Date());
  expect(between?.status).toBe('PROCESSED');
  expect(between?.notifiedAt).toBeUndefined();

  const retried = await p.ingest(req);
  expect(retried.duplicate).toBe(false);
  expect(retried.record.notifiedAt).toBeDefined();
  expect(await notificationsFor(req.imageId)).toEqual(['image.processed']);
});

it('a worker that died holding the lease blocks others only until its lease ends', async () => {
  const req = await request(4, await makeTruncatedJpeg({ width: 200, height: 150 }));
  const leaseMs = 1500;
  // Dies between the final write and the publish: the lease is neither used nor given back.
  const dying = pipeline({
    notificationLeaseMs: leaseMs,
    notifier: { publish: () => Promise.reject(new DependencyError('SNS', 'process died')) },
    metadata: Object.assign(Object.create(runtime.metadata) as MetadataStore, { releaseNotification: () => Promise.resolve() }),
  });
  const diedAt = Date.now();
  await expect(dying.ingest(req)).rejects.toBeInstanceOf(DependencyError);

  const survivor = pipeline({ notificationLeaseMs: leaseMs });
  await expect(survivor.ingest(req)).rejects.toThrow(/being published by another worker/);
  await ingestUntilDone(survivor, req);

  const record = await runtime.metadata.get(req.imageId, new Date());
  expect(record?.status).toBe('FAILED');
  // Nobody published while the dead worker's lease held.
  expect(Date.parse(record?.notifiedAt ?? '')).toBeGreaterThanOrEqual(diedAt + leaseMs);
  expect(await notificationsFor(req.imageId)).toEqual(['image.failed']);
});
