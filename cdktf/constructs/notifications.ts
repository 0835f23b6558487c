import { Construct } from 'constructs';
import type { KmsKey } from '@cdktn/provider-aws/lib/kms-key';
import { SnsTopic } from '@cdktn/provider-aws/lib/sns-topic';
import { SnsTopicSubscription } from '@cdktn/provider-aws/lib/sns-topic-subscription';
import { SqsQueue } from '@cdktn/provider-aws/lib/sqs-queue';
import { SqsQueuePolicy } from '@cdktn/provider-aws/lib/sqs-queue-policy';
import type { StackContext } from './context';

/** Values of the `type` message attribute the pipeline publishes (see DESIGN.md, SNS notification). */
export const NOTIFICATION_TYPES = { processed: 'image.processed', failed: 'image.failed' } as const;

/** The filter policy that lets only failures through (matched on the `type` message attribute). */
export const FAILURE_FILTER_POLICY = { type: [NOTIFICATION_TYPES.failed] } as const;

/**
 * The KMS-encrypted notification topic (image.processed / image.failed, told apart by the `type`
 * message attribute), its optional subscribers, and a separate KMS-encrypted ops topic for alarms
 * so operators' paging is not mixed with per-image traffic.
 */
export class Notifications extends Construct {
  readonly topic: SnsTopic;
  readonly alarmTopic: SnsTopic;
  readonly queue?: SqsQueue;

  constructor(scope: Construct, id: string, ctx: StackContext, key: KmsKey) {
    super(scope, id);
    const { props } = ctx;
    const { fifo } = props.notifications;
    // FIFO: SNS requires the `.fifo` suffix; the pipeline's notifier sees it in the topic ARN and
    // sends MessageGroupId (the image id) and MessageDeduplicationId (the notification id).
    // Deduplication per message group, whose throughput scope is the regional maximum.
    const fifoName = (name: string): string => (fifo ? `${name}.fifo` : name);
    this.topic = new SnsTopic(this, 'topic', {
      name: fifoName(props.names.notificationTopic),
      kmsMasterKeyId: key.arn,
      ...(fifo ? { fifoTopic: true, contentBasedDeduplication: false, fifoThroughputScope: 'MessageGroup' } : {}),
      tags: props.tags,
    });
    this.alarmTopic = new SnsTopic(this, 'alarm-topic', { name: props.names.alarmTopic, kmsMasterKeyId: key.arn, tags: props.tags });

    if (props.notifications.failureEmail !== undefined) {
      new SnsTopicSubscription(this, 'failure-email', {
        topicArn: this.topic.arn,
        protocol: 'email',
        endpoint: props.notifications.failureEmail,
        filterPolicyScope: 'MessageAttributes',
        filterPolicy: JSON.stringify(FAILURE_FILTER_POLICY),
      });
    }
    if (props.notifications.alarmEmail !== undefined) {
      new SnsTopicSubscription(this, 'alarm-email', { topicArn: this.alarmTopic.arn, protocol: 'email', endpoint: props.notifications.alarmEmail });
    }
    if (props.notifications.createQueue) {
      this.queue = new SqsQueue(this, 'queue', {
        name: fifoName(props.names.notificationTopic),
        ...(fifo ? { fifoQueue: true } : {}),
        kmsMasterKeyId: key.arn,
        messageRetentionSeconds: 4 * 24 * 60 * 60,
        tags: props.tags,
      });
      new SqsQueuePolicy(this, 'queue-policy', {
        queueUrl: this.queue.url,
        policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'NotificationTopicDelivers',
              Effect: 'Allow',
              Principal: { Service: 'sns.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Resource: this.queue.arn,
              Condition: { ArnEquals: { 'aws:SourceArn': this.topic.arn } },
            },
          ],
        }),
      });
      new SnsTopicSubscription(this, 'queue-subscription', {
        topicArn: this.topic.arn,
        protocol: 'sqs',
        endpoint: this.queue.arn,
        rawMessageDelivery: true,
      });
    }
  }
}
