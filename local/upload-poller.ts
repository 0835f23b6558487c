import { DeleteMessageCommand, GetQueueUrlCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { S3Event } from 'aws-lambda';
import type { ContextLogger } from '../core';

/** Options of {@link startUploadPoller}. */
export interface UploadPollerOptions {
  sqs: SQSClient;
  queueName: string;
  /** The upload handler, called with the S3 event exactly as S3 → Lambda would deliver it. */
  handler: (event: S3Event) => Promise<void>;
  log: ContextLogger;
  /** Long-poll wait per receive. @default 2 */
  waitSeconds?: number;
}

/**
 * The local stand-in for S3 → Lambda: S3 sends ObjectCreated notifications to an SQS queue,
 * this poller hands each S3 event to the upload handler, and deletes the message only after
 * the handler succeeded (a failure becomes visible again and is retried, as Lambda retries).
 */
export async function startUploadPoller(options: UploadPollerOptions): Promise<{ stop(): Promise<void> }> {
  const { QueueUrl } = await options.sqs.send(new GetQueueUrlCommand({ QueueName: options.queueName }));
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const received = await options.sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: options.waitSeconds ?? 2, VisibilityTimeout: 60 }));
        for (const message of received.Messages ?? []) {
          const event = JSON.parse(message.Body ?? '{}') as S3Event & { Event?: string };
          // S3 sends a one-off s3:TestEvent when the notification is configured.
          if (event.Records !== undefined) await options.handler(event);
          await options.sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: message.ReceiptHandle }));
        }
      } catch (error) {
        options.log.warn('upload poll failed; the message will be retried', { error: (error as Error).message });
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
