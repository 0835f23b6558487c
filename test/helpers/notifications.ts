import { randomUUID } from 'node:crypto';
import { SubscribeCommand, UnsubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteMessageBatchCommand, DeleteQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { AwsClients, Config } from '../../core';

/** One notification as a subscriber receives it: the JSON body and the message attributes. */
export interface ReceivedNotification {
  body: Record<string, unknown> & { type: string; imageId: string; status: string };
  attributes: Record<string, string>;
}

/**
 * A queue of the test's own, subscribed to the pipeline's SNS topic with a filter on
 * `customerId`, so a test sees exactly its own customer's notifications.
 */
export async function subscribeToNotifications(clients: AwsClients, config: Config, customerId: string): Promise<{
  /**
   * Polls until `done(all received so far)` is true or `timeoutMs` passed, then returns every
   * notification received so far (the caller asserts on them).
   */
  waitFor(done: (received: ReceivedNotification[]) => boolean, timeoutMs?: number): Promise<ReceivedNotification[]>;
  dispose(): Promise<void>;
}> {
  const { QueueUrl } = await clients.sqs.send(new CreateQueueCommand({ QueueName: `test-notifications-${randomUUID()}` }));
  const attributes = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  const { SubscriptionArn } = await clients.sns.send(
    new SubscribeCommand({
      TopicArn: config.snsTopicArn,
      Protocol: 'sqs',
      Endpoint: attributes.Attributes?.QueueArn,
      Attributes: { FilterPolicy: JSON.stringify({ customerId: [customerId] }) },
    }),
  );
  const received: ReceivedNotification[] = [];
  return {
    async waitFor(done, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (!done(received) && Date.now() < deadline) {
        const batch = await clients.sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
        for (const message of batch.Messages ?? []) {
          const envelope = JSON.parse(message.Body ?? '{}') as { Message: string; MessageAttributes?: Record<string, { Value: string }> };
          received.push({
            body: JSON.parse(envelope.Message) as ReceivedNotification['body'],
            attributes: Object.fromEntries(Object.entries(envelope.MessageAttributes ?? {}).map(([k, v]) => [k, v.Value])),
          });
        }
        if (batch.Messages?.length) {
          await clients.sqs.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: batch.Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) }));
        }
      }
      return [...received];
    },
    async dispose() {
      await clients.sns.send(new UnsubscribeCommand({ SubscriptionArn }));
      await clients.sqs.send(new DeleteQueueCommand({ QueueUrl }));
    },
  };
}
