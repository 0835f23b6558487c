import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { ImageNotification, Notifier, PublishOptions } from '../../ports';
import { asDependencyError } from '../dependency-error';

/** The JSON body of a notification (DESIGN.md "SNS notification"; every field in docs/notifications.md "The message body"). */
export function notificationBody(notification: ImageNotification): Record<string, unknown> {
  const r = notification.record;
  return {
    type: notification.type,
    notificationId: notification.notificationId,
    imageId: r.imageId,
    source: r.source,
    customerId: r.customerId,
    // Only for an image downloaded from a URL (a REST URL import, a Kafka URL event): the canonical URL that was fetched.
    ...(r.sourceUrl === undefined ? {} : { sourceUrl: r.sourceUrl }),
    status: r.status,
    raw: r.raw,
    processed: Object.fromEntries(Object.entries(r.variants ?? {}).map(([name, v]) => [name, { key: v.key, format: v.format, width: v.width, height: v.height, bytes: v.bytes }])),
    metadata: { format: r.format, width: r.width, height: r.height, bytes: r.bytes, sha256: r.sha256, fileName: r.fileName, createdAt: r.createdAt },
    error: r.error,
  };
}

/**
 * Whether a topic ARN names a FIFO topic: SNS requires FIFO topic names to end in `.fifo`
 * (SNS CreateTopic, `FifoTopic` attribute), and only those accept `MessageGroupId` and
 * `MessageDeduplicationId`.
 */
export function isFifoTopicArn(topicArn: string): boolean {
  return topicArn.endsWith('.fifo');
}

/**
 * {@link Notifier} on SNS, with `type`, `source`, `customerId` and `notificationId` as message
 * attributes (subscribers filter on the first three and dedupe on the last). On a FIFO topic
 * (ARN ending `.fifo`) the notification id is also the `MessageDeduplicationId`, so SNS itself
 * drops a re-publish of the same notification within its 5-minute deduplication interval, and
 * the image id is the `MessageGroupId` (no ordering is needed across images; one group per image
 * keeps FIFO throughput at the regional maximum with `FifoThroughputScope=MessageGroup`).
 */
export class SnsNotifier implements Notifier {
  private readonly fifo: boolean;

  constructor(
    private readonly sns: SNSClient,
    private readonly topicArn: string,
    private readonly processedBucket: string,
  ) {
    this.fifo = isFifoTopicArn(topicArn);
  }

  /** @throws DependencyError (retriable) when SNS fails or the signal aborts the request; DependencyRejectedError when SNS refuses it. */
  async publish(notification: ImageNotification, options: PublishOptions = {}): Promise<void> {
    const { record } = notification;
    const body = { ...notificationBody(notification), processedBucket: this.processedBucket };
    try {
      await this.sns.send(
        new PublishCommand({
          TopicArn: this.topicArn,
          Message: JSON.stringify(body),
          MessageAttributes: {
            type: { DataType: 'String', StringValue: notification.type },
            source: { DataType: 'String', StringValue: record.source },
            customerId: { DataType: 'String', StringValue: record.customerId },
            notificationId: { DataType: 'String', StringValue: notification.notificationId },
          },
          ...(this.fifo ? { MessageGroupId: record.imageId, MessageDeduplicationId: notification.notificationId } : {}),
        }),
        { abortSignal: options.signal },
      );
    } catch (error) {
      throw asDependencyError('SNS', 'Publish', error);
    }
  }
}
