/**
 * A private SQS queue subscribed to the pipeline's SNS topic with a filter on one customer, so
 * a test sees exactly its own customer's notifications; plus a waiter for final records.
 */
import { randomUUID } from 'node:crypto';
import { SubscribeCommand, UnsubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteMessageBatchCommand, DeleteQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { AwsClients, Config, ImageRecord, MetadataStore } from '../../core';

/** A notification as a subscriber receives it: the JSON body plus the SNS message attributes. */
export interface ReceivedNotification {
  type: 'image.processed' | 'image.failed';
  imageId: string;
  customerId: string;
  source: string;
  status: string;
  /** The canonical URL of an image downloaded from one (optional field of the body). */
  sourceUrl?: string;
  error?: { code: string; message: string };
  /** The SNS message attributes (`type`, `source`, `customerId`). */
  attributes: Record<string, string>;
}

/** A queue receiving only one customer's notifications. */
export interface NotificationInbox {
  customerId: string;
  /** Everything received so far. */
  readonly received: ReceivedNotification[];
  /**
   * Receives until `count` notifications arrived, or `done(received)` holds, or `timeoutMs`
   * passed; then returns everything received (the caller asserts on it).
   */
  waitFor(until: number | ((received: ReceivedNotification[]) => boolean), timeoutMs?: number): Promise<ReceivedNotification[]>;
  /** Keeps receiving for `ms` more, to show that nothing further arrives. */
  settle(ms: number): Promise<ReceivedNotification[]>;
  close(): Promise<void>;
}

/** A new SQS queue subscribed to the pipeline's topic, receiving one customer's notifications. */
export interface CustomerQueue {
  queueUrl: string;
  /** Removes the subscription and deletes the queue. */
  remove(): Promise<void>;
}

/**
 * Creates a queue named `<prefix>-<uuid>` and subscribes it to the pipeline's SNS topic with the
 * filter `{ customerId: [customerId] }`. Shared by the tests' inbox and the benchmark's.
 */
export async function subscribeCustomerQueue(clients: AwsClients, config: Config, customerId: string, prefix: string): Promise<CustomerQueue> {
  const { QueueUrl } = await clients.sqs.send(new CreateQueueCommand({ QueueName: `${prefix}-${randomUUID()}` }));
  const queueUrl = QueueUrl as string;
  const attributes = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
  const { SubscriptionArn } = await clients.sns.send(
    new SubscribeCommand({
      TopicArn: config.snsTopicArn,
      Protocol: 'sqs',
      Endpoint: attributes.Attributes?.QueueArn,
      Attributes: { FilterPolicy: JSON.stringify({ customerId: [customerId] }) },
    }),
  );
  return {
    queueUrl,
    async remove() {
      await clients.sns.send(new UnsubscribeCommand({ SubscriptionArn })).catch(() => undefined);
      await clients.sqs.send(new DeleteQueueCommand({ QueueUrl: queueUrl })).catch(() => undefined);
    },
  };
}

/**
 * Creates the queue and a subscription filtered on one customer: `{ customerId }` for a known
 * customer (e.g. an API key's), or a prefix to make a fresh one.
 */
export async function openNotificationInbox(clients: AwsClients, config: Config, customer: string | { customerId: string }): Promise<NotificationInbox> {
  const customerId = typeof customer === 'string' ? `${customer}-${randomUUID()}` : customer.customerId;
  const queue = await subscribeCustomerQueue(clients, config, customerId, 'test-inbox');
  const { queueUrl } = queue;
  const received: ReceivedNotification[] = [];
  const receiveOnce = async (): Promise<void> => {
    const result = await clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    const messages = result.Messages ?? [];
    for (const message of messages) {
      const envelope = JSON.parse(message.Body ?? '{}') as { Message?: string; MessageAttributes?: Record<string, { Value: string }> };
      received.push({
        ...(JSON.parse(envelope.Message ?? '{}') as Omit<ReceivedNotification, 'attributes'>),
        attributes: Object.fromEntries(Object.entries(envelope.MessageAttributes ?? {}).map(([k, v]) => [k, v.Value])),
      });
    }
    if (messages.length > 0) {
      await clients.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) }));
    }
  };
  return {
    customerId,
    received,
    async waitFor(until, timeoutMs = 60_000) {
      const done = typeof until === 'number' ? (all: ReceivedNotification[]) => all.length >= until : until;
      const deadline = Date.now() + timeoutMs;
      while (!done(received) && Date.now() < deadline) await receiveOnce();
      return [...received];
    },
    async settle(ms) {
      const deadline = Date.now() + ms;
      while (Date.now() < deadline) await receiveOnce();
      return [...received];
    },
    close: () => queue.remove(),
  };
}

/** Polls the metadata store until the record is final and notified, or `timeoutMs` passes. */
export async function waitForFinalRecord(metadata: MetadataStore, imageId: string, timeoutMs = 60_000): Promise<ImageRecord | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const record = await metadata.get(imageId, new Date());
    if ((record !== undefined && record.status !== 'RECEIVED' && record.notifiedAt !== undefined) || Date.now() > deadline) return record;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
