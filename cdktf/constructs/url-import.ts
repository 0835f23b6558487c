import { Construct } from 'constructs';
import { CloudwatchMetricAlarm } from '@cdktn/provider-aws/lib/cloudwatch-metric-alarm';
import type { KmsKey } from '@cdktn/provider-aws/lib/kms-key';
import { LambdaEventSourceMapping } from '@cdktn/provider-aws/lib/lambda-event-source-mapping';
import type { SnsTopic } from '@cdktn/provider-aws/lib/sns-topic';
import { SqsQueue } from '@cdktn/provider-aws/lib/sqs-queue';
import type { DynamodbTable } from '@cdktn/provider-aws/lib/dynamodb-table';
import { KEY_PREFIXES } from '../../core/constants';
import { urlImportVisibilityTimeoutSeconds } from '../props';
import type { Compute, PipelineFunction } from './compute';
import type { StackContext } from './context';
import type { SecureBucket } from './storage';

/**
 * The actions the Lambda event source mapping uses, through the function's role, to read an SQS
 * queue (AWS Lambda Developer Guide, "Using Lambda with Amazon SQS", execution role permissions).
 */
export const SQS_EVENT_SOURCE_ACTIONS = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'] as const;

/** What the URL import worker needs besides the queue. */
export interface UrlImportWorkerDependencies {
  compute: Compute;
  raw: SecureBucket;
  processed: SecureBucket;
  table: DynamodbTable;
}

/**
 * URL imports on AWS (docs/aws-deployment.md, "URL imports"): the API Lambda, outside the VPC,
 * sends one SQS message per accepted import; the import worker Lambda, also outside the VPC (it
 * downloads from the internet and needs neither MSK nor a NAT gateway), reads the queue through
 * an event source mapping with partial batch responses. A message the worker keeps failing on
 * (only dependency failures are retried) moves to the dead-letter queue after
 * `urlImport.maxReceiveCount` receives, and an alarm fires as soon as the DLQ holds one; the
 * reconciler then fails its record as abandoned.
 */
export class UrlImport extends Construct {
  readonly queue: SqsQueue;
  readonly deadLetterQueue: SqsQueue;
  readonly deadLetterAlarm: CloudwatchMetricAlarm;
  /** Set by {@link addWorker}. */
  worker!: PipelineFunction;
  eventSourceMapping!: LambdaEventSourceMapping;

  constructor(scope: Construct, id: string, private readonly ctx: StackContext, deps: { key: KmsKey; alarmTopic: SnsTopic }) {
    super(scope, id);
    const { props } = ctx;
    const prefix = props.names.functionPrefix;
    this.deadLetterQueue = new SqsQueue(this, 'dead-letter-queue', {
      name: `${prefix}-url-imports-dlq`,
      kmsMasterKeyId: deps.key.arn,
      messageRetentionSeconds: props.urlImport.deadLetterRetentionSeconds,
      tags: props.tags,
    });
    this.queue = new SqsQueue(this, 'queue', {
      name: `${prefix}-url-imports`,
      kmsMasterKeyId: deps.key.arn,
      visibilityTimeoutSeconds: urlImportVisibilityTimeoutSeconds(props),
      redrivePolicy: JSON.stringify({ deadLetterTargetArn: this.deadLetterQueue.arn, maxReceiveCount: props.urlImport.maxReceiveCount }),
      tags: props.tags,
    });
    this.deadLetterAlarm = new CloudwatchMetricAlarm(this, 'dead-letters', {
      alarmName: `${prefix}-url-import-dead-letters`,
      alarmDescription: 'URL imports the worker could not finish after every retry are in the dead-letter queue; the reconciler will fail their records as abandoned',
      namespace: 'AWS/SQS',
      metricName: 'ApproximateNumberOfMessagesVisible',
      dimensions: { QueueName: this.deadLetterQueue.name },
      statistic: 'Maximum',
      period: 300,
      evaluationPeriods: 1,
      threshold: 0,
      comparisonOperator: 'GreaterThanThreshold',
      treatMissingData: 'notBreaching',
      alarmActions: [deps.alarmTopic.arn],
      okActions: [deps.alarmTopic.arn],
    });
  }

  /**
   * The import worker (through `compute.createFunction`) and its event source mapping. Its role:
   * read and delete on this queue only, the raw object of the record and its variants, the
   * record's conditional writes, publish, the project key.
   */
  addWorker(deps: UrlImportWorkerDependencies): PipelineFunction {
    const { props } = this.ctx;
    const { compute, raw, processed, table } = deps;
    this.worker = compute.createFunction('importWorker', 'import-worker', props.lambda.importWorker, {
      environment: { ...compute.pipelineEnvironment },
      statements: [
        { sid: 'ReadImportQueue', actions: [...SQS_EVENT_SOURCE_ACTIONS], resources: [this.queue.arn] },
        { sid: 'WriteRaw', actions: ['s3:PutObject', 's3:GetObject'], resources: [`${raw.bucket.arn}/${KEY_PREFIXES.raw}*`] },
        { sid: 'WriteProcessed', actions: ['s3:PutObject'], resources: [`${processed.bucket.arn}/${KEY_PREFIXES.processed}*`] },
        { sid: 'WriteImageMetadata', actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:GetItem'], resources: [table.arn] },
        ...compute.pipelineStatements,
      ],
    });
    this.eventSourceMapping = new LambdaEventSourceMapping(this, 'queue-to-worker', {
      functionName: this.worker.fn.arn,
      eventSourceArn: this.queue.arn,
      batchSize: props.urlImport.batchSize,
      functionResponseTypes: ['ReportBatchItemFailures'],
      dependsOn: [this.worker.role],
    });
    return this.worker;
  }
}
