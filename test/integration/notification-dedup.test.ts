/**
 * Issue 13: what the soak's "duplicated" images were — a process killed after SNS accepted the
 * publish and before `markNotified` — and what makes them harmless: every publish of one final
 * notification carries the same notification id (body field and message attribute), and on a
 * FIFO topic it is the `MessageDeduplicationId`, so the re-publish is delivered once.
 * Real stand-ins (moto for DynamoDB, S3, SNS, SQS); the only wrapper is of our own metadata port.
 */
import { randomUUID } from 'node:crypto';
import { CreateTopicCommand, DeleteTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { DependencyError, destroyAwsClients, loadConfig, type ImageRecord, type MetadataStore } from '../../core';
import { SnsNotifier } from '../../core/adapters/sns/notifier';
import { ImagePipeline, createPipelineRuntime, notificationIdFor, type IngestRequest, type PipelineRuntime } from '../../core/runtime';
import { makeJpeg } from '../helpers/images';
import { openNotificationInbox, type NotificationInbox } from '../helpers/notifications';

jest.setTimeout(90_000);

let runtime: PipelineRuntime;
let inbox: NotificationInbox;

beforeAll(async () => {
  runtime = createPipelineRuntime(loadConfig({ ...process.env, LOG_LEVEL: 'ERROR' }), 'notification-dedup-test');
  inbox = await openNotificationInbox(runtime.clients, runtime.config, 'notification-dedup');
});

afterAll(async () => {
  await inbox.close();
  destroyAwsClients(runtime.clients);
});

/** The metadata adapter, except that the first `markNotified` fails as a SIGKILL right after the publish would. */
function crashingBeforeMark(): MetadataStore {
  let crashes = 1;
  return Object.assign(Object.create(runtime.metadata) as MetadataStore, {
    markNotified: (imageId: string, now: Date) => (crashes-- > 0 ? Promise.reject(new DependencyError('process', 'killed before markNotified')) : runtime.metadata.markNotified(imageId, now)),
  });
}

/** Redelivers like the stream path does, a bounded number of times, 250 ms apart. */
async function ingestUntilDone(p: ImagePipeline, req: IngestRequest, attempts = 40): Promise<void> {
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

it('a crash between the SNS publish and markNotified: the re-publish carries the same notification id, in the body and as an attribute', async () => {
  const req: IngestRequest = { imageId: randomUUID(), source: 'kafka', customerId: inbox.customerId, bytes: await makeJpeg({ width: 96, height: 64 }, 13) };
  const p = new ImagePipeline({ config: runtime.config, blobs: runtime.blobs, metadata: crashingBeforeMark(), notifier: runtime.notifier, telemetry: runtime.telemetry, notificationLeaseMs: 1500 });

  await ingestUntilDone(p, req);

  const received = (await inbox.waitFor((all) => all.filter((n) => n.imageId === req.imageId).length >= 2, 30_000)).filter((n) => n.imageId === req.imageId);
  const expected = notificationIdFor(req.imageId, 'image.processed');
  expect(received.map((n) => [(n as { notificationId?: string }).notificationId, n.attributes.notificationId])).toEqual([
    [expected, expected],
    [expected, expected],
  ]);
  expect((await runtime.metadata.get(req.imageId, new Date()))?.notifiedAt).toBeDefined();
});

describe('on a FIFO topic', () => {
  const name = `test-dedup-${randomUUID()}`;
  let topicArn: string;
  let queueUrl: string;

  beforeAll(async () => {
    const { sns, sqs } = runtime.clients;
    topicArn = (await sns.send(new CreateTopicCommand({ Name: `${name}.fifo`, Attributes: { FifoTopic: 'true', ContentBasedDeduplication: 'false' } }))).TopicArn as string;
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `${name}.fifo`, Attributes: { FifoQueue: 'true' } }))).QueueUrl as string;
    const queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes?.QueueArn;
    await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: queueArn }));
  });

  afterAll(async () => {
    await runtime.clients.sns.send(new DeleteTopicCommand({ TopicArn: topicArn })).catch(() => undefined);
    await runtime.clients.sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => undefined);
  });

  /** Everything the queue holds now (bounded: 10 receives). */
  async function drain(): Promise<Message[]> {
    const all: Message[] = [];
    for (let i = 0; i < 10; i++) {
      const got = await runtime.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageSystemAttributeNames: ['All'] }));
      if ((got.Messages ?? []).length === 0) break;
      all.push(...(got.Messages ?? []));
    }
    return all;
  }

  it('a re-published notification is delivered once; another image is delivered too, each in its own message group', async () => {
    const notifier = new SnsNotifier(runtime.clients.sns, topicArn, runtime.config.processedBucket);
    const record = (imageId: string): ImageRecord => ({
      imageId,
      status: 'PROCESSED',
      source: 'kafka',
      customerId: 'c-fifo',
      bytes: 10,
      sha256: 'a'.repeat(64),
      raw: { bucket: runtime.config.rawBucket, key: `raw/2026/11/30/${imageId}.jpeg` },
      createdAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
      expiresAt: Math.floor(Date.now() / 1000) + 3600,
    });
    const [first, second] = [randomUUID(), randomUUID()];
    const note = (imageId: string) => ({ type: 'image.processed' as const, notificationId: notificationIdFor(imageId, 'image.processed'), record: record(imageId) });

    await notifier.publish(note(first));
    await notifier.publish(note(first));
    await notifier.publish(note(second));

    const delivered = await drain();
    const bodies = delivered.map((m) => JSON.parse((JSON.parse(m.Body ?? '{}') as { Message: string }).Message) as { imageId: string; notificationId: string });
    expect(bodies.map((b) => b.imageId).sort()).toEqual([first, second].sort());
    expect(Object.fromEntries(delivered.map((m, i) => [bodies[i]?.imageId, m.Attributes?.MessageGroupId]))).toEqual({ [first]: first, [second]: second });
  });
});
