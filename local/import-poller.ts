import { DeleteMessageBatchCommand, GetQueueAttributesCommand, GetQueueUrlCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { ContextLogger } from '../core';

/** Options of {@link startImportPoller}. */
export interface ImportPollerOptions {
  sqs: SQSClient;
  queueName: string;
  /** The import worker's handler, called with SQS events exactly as the event source mapping builds them. */
  handler: (event: SQSEvent) => Promise<SQSBatchResponse>;
  log: ContextLogger;
  /** Region written into each record's `awsRegion`. */
  region: string;
  /** Messages per event (the mapping's `batchSize`). @default 4 */
  batchSize?: number;
  /** Long-poll wait per receive. @default 2 */
  waitSeconds?: number;
}

/** One SQS message as the Lambda event source mapping hands it over (`Records[]` of an SQS event). */
function toSqsRecord(message: Message, queueArn: string, region: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? '',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [name, { dataType: value.DataType ?? 'String', stringValue: value.StringValue, stringListValues: [], binaryListValues: [] }]),
    ),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

/**
 * The local stand-in for the SQS → Lambda event source mapping of the import queue: receives
 * batches, hands each to the worker as an SQS event, and deletes the messages the worker did not
 * report in `batchItemFailures` (`ReportBatchItemFailures`). A reported message, or a whole batch
 * whose handler threw, becomes visible again after the queue's visibility timeout, and the
 * queue's redrive policy moves it to the dead-letter queue after `maxReceiveCount` receives, as
 * on AWS.
 */
export async function startImportPoller(options: ImportPollerOptions): Promise<{ stop(): Promise<void> }> {
  const { sqs, log } = options;
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: options.queueName }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  const queueArn = Attributes?.QueueArn ?? '';
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const received = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: options.batchSize ?? 4, WaitTimeSeconds: options.waitSeconds ?? 2, MessageSystemAttributeNames: ['All'], MessageAttributeNames: ['All'] }),
        );
        const messages = received.Messages ?? [];
        if (messages.length === 0) continue;
        const response = await options.handler({ Records: messages.map((m) => toSqsRecord(m, queueArn, options.region)) });
        const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
        const done = messages.filter((m) => !failed.has(m.MessageId ?? ''));
        if (done.length > 0) {
          await sqs.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })) }));
        }
      } catch (error) {
        log.warn('import poll failed; the messages will be retried', { error: (error as Error).message });
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
    },
  };
}
