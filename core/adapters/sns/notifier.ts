import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { ImageNotification, Notifier } from '../../ports';
import { asDependencyError } from '../dependency-error';

/** The JSON body of a notification (DESIGN.md "SNS notification"). */
export function notificationBody(notification: ImageNotification): Record<string, unknown> {
  const r = notification.record;
  return {
    type: notification.type,
    imageId: r.imageId,
    source: r.source,
    customerId: r.customerId,
    status: r.status,
    raw: r.raw,
    processed: Object.fromEntries(Object.entries(r.variants ?? {}).map(([name, v]) => [name, { key: v.key, format: v.format, width: v.width, height: v.height, bytes: v.bytes }])),
    metadata: { format: r.format, width: r.width, height: r.height, bytes: r.bytes, sha256: r.sha256, fileName: r.fileName, createdAt: r.createdAt },
    error: r.error,
  };
}

/** {@link Notifier} on SNS, with `type`, `source` and `customerId` as message attributes for filtering. */
export class SnsNotifier implements Notifier {
  constructor(
    private readonly sns: SNSClient,
    private readonly topicArn: string,
    private readonly processedBucket: string,
  ) {}

  async publish(notification: ImageNotification): Promise<void> {
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
          },
        }),
      );
    } catch (error) {
      throw asDependencyError('SNS', 'Publish', error);
    }
  }
}
