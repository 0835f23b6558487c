/**
 * The one list of what the local bootstrap (`bootstrap.ts`) creates. `ingest stack status` prints
 * it; `test/unit/local/stack-resources.test.ts` holds the README's bootstrap paragraph and
 * docker-compose.yml's init services to it, so none of them can leave a resource out.
 */
import type { Config } from '../../core/config';
import { DEFAULT_NAMES } from '../../core/config';

/** The AWS (or Kafka) service a local resource stands in for. */
export type LocalResourceService = 'S3' | 'DynamoDB' | 'Kafka' | 'SNS' | 'SQS' | 'Secrets Manager' | 'Cognito' | 'Glue';

/** One resource the bootstrap creates, idempotently. */
export interface LocalResource {
  service: LocalResourceService;
  /** Its name (for SNS, the topic name; for Glue, `registry/schema`). */
  name: string;
  /** What it is for, in a few words. */
  purpose: string;
  /**
   * Whether docker-compose.yml's init services create it too. The Glue schema versions are the
   * bootstrap's alone (the Avro definitions ship with the code).
   */
  inCompose: boolean;
}

/** The last segment of an SNS topic ARN: the topic's name. */
function topicName(arn: string): string {
  return arn.slice(arn.lastIndexOf(':') + 1);
}

/**
 * Everything {@link import('./bootstrap').bootstrapStack} creates for `config`, in the order a
 * reader meets them.
 * @example
 * for (const r of localStackResources(config)) console.log(`${r.service} ${r.name}: ${r.purpose}`);
 */
export function localStackResources(config: Config): LocalResource[] {
  const importQueue = config.importQueue.name;
  return [
    { service: 'S3', name: config.rawBucket, purpose: 'raw images, claim checks and presigned uploads (7-day lifecycle)', inCompose: true },
    { service: 'S3', name: config.processedBucket, purpose: 'processed copies (7-day lifecycle)', inCompose: true },
    { service: 'S3', name: config.analyticsBucket, purpose: 'the dashboard and analytics exports (7-day lifecycle)', inCompose: true },
    { service: 'DynamoDB', name: config.table.name, purpose: 'image records: TTL on expiresAt, indexes byCustomer and byStatusDay, change stream', inCompose: true },
    { service: 'Kafka', name: config.kafka.imageTopic, purpose: `image events (${config.kafka.partitions} partitions)`, inCompose: true },
    { service: 'Kafka', name: config.kafka.deadLetterTopic, purpose: 'dead letters', inCompose: true },
    { service: 'SNS', name: topicName(config.snsTopicArn), purpose: 'image.processed / image.failed notifications', inCompose: true },
    { service: 'SQS', name: config.local.notificationQueue, purpose: 'subscribed to the SNS topic', inCompose: true },
    { service: 'SQS', name: config.local.uploadQueue, purpose: 'S3 ObjectCreated events of incoming/ (presigned uploads)', inCompose: true },
    { service: 'SQS', name: importQueue, purpose: 'URL imports, API → import worker', inCompose: true },
    { service: 'SQS', name: `${importQueue}-dlq`, purpose: "the URL import queue's dead-letter queue", inCompose: true },
    { service: 'Secrets Manager', name: config.apiKeySecretId, purpose: 'API keys, with the development key of customer dev', inCompose: true },
    { service: 'Cognito', name: DEFAULT_NAMES.userPool, purpose: 'the dev user pool whose ID tokens the API accepts (ingest login)', inCompose: true },
    { service: 'Cognito', name: DEFAULT_NAMES.userPoolClient, purpose: "the dev user pool's app client", inCompose: true },
    { service: 'Glue', name: `${config.schemaRegistry.glueRegistryName}/${config.schemaRegistry.glueSchemaName}`, purpose: 'the image event schema versions', inCompose: false },
  ];
}
