import { Construct } from 'constructs';
import { CloudwatchMetricAlarm, type CloudwatchMetricAlarmMetricQuery } from '@cdktn/provider-aws/lib/cloudwatch-metric-alarm';
import { S3BucketMetric } from '@cdktn/provider-aws/lib/s3-bucket-metric';
import type { SnsTopic } from '@cdktn/provider-aws/lib/sns-topic';
import type { MskCluster } from '@cdktn/provider-aws/lib/msk-cluster';
import type { ApiGatewayRestApi } from '@cdktn/provider-aws/lib/api-gateway-rest-api';
import type { CloudwatchLogGroup } from '@cdktn/provider-aws/lib/cloudwatch-log-group';
import { CloudwatchLogMetricFilter } from '@cdktn/provider-aws/lib/cloudwatch-log-metric-filter';
import type { DynamodbTable } from '@cdktn/provider-aws/lib/dynamodb-table';
import { ALARMED_LOG_MESSAGES } from '../../core/constants';
import { TABLE_SCHEMA } from './data';
import type { StackContext } from './context';
import type { PipelineFunction } from './compute';
import type { SecureBucket } from './storage';

/** What the alarms watch. */
export interface ObservabilityTargets {
  alarmTopic: SnsTopic;
  functions: Record<string, PipelineFunction>;
  /**
   * The API's Lambda authorizer: throttles and p99 duration like the others, but no `Errors`
   * alarm (every refused credential is an `Errors` datapoint: API Gateway needs the thrown
   * `Unauthorized`); its own failures are counted from its `authorizer failed` log line instead.
   */
  authorizer: PipelineFunction;
  streamConsumer: PipelineFunction;
  cluster: MskCluster;
  failedBatches: SecureBucket;
  restApi: ApiGatewayRestApi;
  stageName: string;
  /** The stage's JSON access logs: REST APIs publish no throttle metric, so 429s are counted from them. */
  apiAccessLogs: CloudwatchLogGroup;
  table: DynamodbTable;
}

/** Namespace of the metrics this stack derives from logs. */
export const DERIVED_METRICS_NAMESPACE = 'ImagePipeline';

const FIVE_MINUTES = 300;

/**
 * Alarms, all notifying the ops topic (and back to OK): per function errors, throttles and p99
 * duration (the authorizer's failures from its log, not `Errors`); the stream consumer's `OffsetLag`; both dead-letter paths (records produced to the
 * dead-letter topic, whole batches written to the failed-batch bucket); API 5xx responses;
 * the capacity limits of docs/capacity.md: DynamoDB throttles (table and each GSI), API Gateway
 * throttling (429s) and the consumer group's `MaxOffsetLag` on the image topic.
 * Log groups with retention are created next to each function (compute) and the API (api).
 */
export class Observability extends Construct {
  readonly alarms: CloudwatchMetricAlarm[] = [];

  constructor(scope: Construct, id: string, ctx: StackContext, t: ObservabilityTargets) {
    super(scope, id);
    const { props } = ctx;
    const a = props.alarms;
    const actions = { alarmActions: [t.alarmTopic.arn], okActions: [t.alarmTopic.arn] };
    const prefix = `image-pipeline-${props.environment}`;

    for (const [name, f] of [...Object.entries(t.functions), ['authorizer', t.authorizer] as const]) {
      const dimensions = { FunctionName: f.fn.functionName };
      if (f !== t.authorizer) {
        this.add(`${name}-errors`, {
          alarmName: `${prefix}-${name}-errors`,
          alarmDescription: `${name} threw or timed out`,
          namespace: 'AWS/Lambda', metricName: 'Errors', dimensions, statistic: 'Sum', period: FIVE_MINUTES,
          evaluationPeriods: 1, threshold: a.errorThreshold, comparisonOperator: 'GreaterThanOrEqualToThreshold',
          treatMissingData: 'notBreaching', ...actions,
        });
      }
      this.add(`${name}-throttles`, {
        alarmName: `${prefix}-${name}-throttles`,
        alarmDescription: `${name} hit its concurrency limit`,
        namespace: 'AWS/Lambda', metricName: 'Throttles', dimensions, statistic: 'Sum', period: FIVE_MINUTES,
        evaluationPeriods: 1, threshold: a.throttleThreshold, comparisonOperator: 'GreaterThanOrEqualToThreshold',
        treatMissingData: 'notBreaching', ...actions,
      });
      this.add(`${name}-duration-p99`, {
        alarmName: `${prefix}-${name}-duration-p99`,
        alarmDescription: `${name} p99 duration is close to its ${f.sizing.timeoutSeconds}s timeout`,
        namespace: 'AWS/Lambda', metricName: 'Duration', dimensions, extendedStatistic: 'p99', period: FIVE_MINUTES,
        evaluationPeriods: a.evaluationPeriods, threshold: Math.round(f.sizing.timeoutSeconds * 1000 * a.durationP99FractionOfTimeout),
        comparisonOperator: 'GreaterThanThreshold', treatMissingData: 'notBreaching', ...actions,
      });
    }

    // The authorizer's own failures (key secret or user pool keys unreadable: callers get 500),
    // not the credentials it refused (authorizer/handler.ts logs those as `refused`).
    const authorizerFailed = `${prefix}-authorizer-failed`;
    new CloudwatchLogMetricFilter(this, 'authorizer-failed-filter', {
      name: authorizerFailed,
      logGroupName: t.authorizer.logGroup.name,
      pattern: `{ $.message = "${ALARMED_LOG_MESSAGES.authorizerFailed}" }`,
      metricTransformation: { name: authorizerFailed, namespace: DERIVED_METRICS_NAMESPACE, value: '1', defaultValue: '0' },
    });
    this.add('authorizer-failed', {
      alarmName: authorizerFailed,
      alarmDescription: 'The API authorizer could not check credentials (API-key secret or Cognito JWKS unreadable): callers were answered 500',
      namespace: DERIVED_METRICS_NAMESPACE, metricName: authorizerFailed, statistic: 'Sum', period: FIVE_MINUTES,
      evaluationPeriods: 1, threshold: a.errorThreshold, comparisonOperator: 'GreaterThanOrEqualToThreshold',
      treatMissingData: 'notBreaching', ...actions,
    });

    this.add('stream-offset-lag', {
      alarmName: `${prefix}-stream-consumer-offset-lag`,
      alarmDescription: 'The stream consumer is falling behind the image topic',
      namespace: 'AWS/Lambda', metricName: 'OffsetLag', dimensions: { FunctionName: t.streamConsumer.fn.functionName },
      statistic: 'Maximum', period: FIVE_MINUTES, evaluationPeriods: a.evaluationPeriods, threshold: a.offsetLagThreshold,
      comparisonOperator: 'GreaterThanThreshold', treatMissingData: 'notBreaching', ...actions,
    });

    // Topic metrics are per broker; sum them (broker ids are 1..N on MSK).
    const brokerQueries: CloudwatchMetricAlarmMetricQuery[] = Array.from({ length: props.msk.brokerCount }, (_, i) => ({
      id: `b${i + 1}`,
      returnData: false,
      metric: {
        namespace: 'AWS/Kafka', metricName: 'MessagesInPerSec', period: FIVE_MINUTES, stat: 'Sum',
        dimensions: { 'Cluster Name': t.cluster.clusterName, 'Broker ID': String(i + 1), Topic: props.names.deadLetterTopic },
      },
    }));
    this.add('dead-letter-topic', {
      alarmName: `${prefix}-dead-letter-topic-messages`,
      alarmDescription: 'Bad events were written to the dead-letter topic',
      metricQuery: [
        ...brokerQueries,
        { id: 'total', expression: `SUM([${brokerQueries.map((q) => q.id).join(',')}])`, label: 'dead-letter messages in', returnData: true },
      ],
      evaluationPeriods: 1, threshold: 0, comparisonOperator: 'GreaterThanThreshold', treatMissingData: 'notBreaching', ...actions,
    });

    const filterId = 'all-objects';
    new S3BucketMetric(this, 'failed-batches-metric', { bucket: t.failedBatches.bucket.id, name: filterId });
    this.add('failed-batches', {
      alarmName: `${prefix}-failed-batches-written`,
      alarmDescription: 'The MSK event source mapping gave up on a batch and wrote it to the failed-batch bucket',
      namespace: 'AWS/S3', metricName: 'PutRequests', dimensions: { BucketName: t.failedBatches.bucket.bucket, FilterId: filterId },
      statistic: 'Sum', period: FIVE_MINUTES, evaluationPeriods: 1, threshold: 0, comparisonOperator: 'GreaterThanThreshold',
      treatMissingData: 'notBreaching', ...actions,
    });

    this.add('api-5xx', {
      alarmName: `${prefix}-api-5xx`,
      alarmDescription: 'The ingest API returned server errors',
      namespace: 'AWS/ApiGateway', metricName: '5XXError', dimensions: { ApiName: t.restApi.name, Stage: t.stageName },
      statistic: 'Sum', period: FIVE_MINUTES, evaluationPeriods: 1, threshold: a.errorThreshold,
      comparisonOperator: 'GreaterThanOrEqualToThreshold', treatMissingData: 'notBreaching', ...actions,
    });

    // Capacity alarms (docs/capacity.md): each fires when a limit of the model is reached.
    const indexes = [undefined, TABLE_SCHEMA.customerIndex.name, TABLE_SCHEMA.statusIndex.name];
    for (const index of indexes) {
      for (const metricName of ['WriteThrottleEvents', 'ReadThrottleEvents']) {
        const what = index === undefined ? 'table' : index;
        this.add(`dynamodb-${what}-${metricName}`, {
          alarmName: `${prefix}-dynamodb-${what}-${metricName === 'WriteThrottleEvents' ? 'write' : 'read'}-throttles`,
          alarmDescription: `DynamoDB throttled ${metricName === 'WriteThrottleEvents' ? 'writes' : 'reads'} on the images ${index === undefined ? 'table' : `index ${index}`} (hot key or quota: make capacity)`,
          namespace: 'AWS/DynamoDB', metricName,
          dimensions: index === undefined ? { TableName: t.table.name } : { TableName: t.table.name, GlobalSecondaryIndexName: index },
          statistic: 'Sum', period: FIVE_MINUTES, evaluationPeriods: 1, threshold: a.throttleThreshold,
          comparisonOperator: 'GreaterThanOrEqualToThreshold', treatMissingData: 'notBreaching', ...actions,
        });
      }
    }

    const throttledMetric = `${prefix}-api-throttled`;
    new CloudwatchLogMetricFilter(this, 'api-throttled-filter', {
      name: throttledMetric,
      logGroupName: t.apiAccessLogs.name,
      pattern: '{ $.status = "429" }',
      metricTransformation: { name: throttledMetric, namespace: DERIVED_METRICS_NAMESPACE, value: '1', defaultValue: '0' },
    });
    this.add('api-throttled', {
      alarmName: throttledMetric,
      alarmDescription: 'API Gateway answered 429: a customer usage plan (rate or daily quota), the stage or the account throttle was reached',
      namespace: DERIVED_METRICS_NAMESPACE, metricName: throttledMetric, statistic: 'Sum', period: FIVE_MINUTES,
      evaluationPeriods: 1, threshold: a.throttleThreshold, comparisonOperator: 'GreaterThanOrEqualToThreshold',
      treatMissingData: 'notBreaching', ...actions,
    });

    this.add('msk-max-offset-lag', {
      alarmName: `${prefix}-image-topic-max-offset-lag`,
      alarmDescription: "The stream consumer's group lags on some partition of the image topic (MSK consumer-lag metric)",
      namespace: 'AWS/Kafka', metricName: 'MaxOffsetLag',
      dimensions: { 'Cluster Name': t.cluster.clusterName, 'Consumer Group': props.names.consumerGroupId, Topic: props.names.imageTopic },
      statistic: 'Maximum', period: FIVE_MINUTES, evaluationPeriods: a.evaluationPeriods, threshold: a.offsetLagThreshold,
      comparisonOperator: 'GreaterThanThreshold', treatMissingData: 'notBreaching', ...actions,
    });
  }

  private add(id: string, config: ConstructorParameters<typeof CloudwatchMetricAlarm>[2]): void {
    this.alarms.push(new CloudwatchMetricAlarm(this, id, config));
  }
}
