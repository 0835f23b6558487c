import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import {
  BucketAlreadyOwnedByYou,
  CreateBucketCommand,
  DeleteBucketCorsCommand,
  PutBucketCorsCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketNotificationConfigurationCommand,
} from '@aws-sdk/client-s3';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-secrets-manager';
import { CreateTopicCommand, ListSubscriptionsByTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { type Admin, Kafka, logLevel } from 'kafkajs';
import type { Config } from '../../core/config';
import { DEFAULT_NAMES } from '../../core/config';
import { KEY_PREFIXES } from '../../core/constants';
import { abortableSleep } from '../../core/retry';
import type { AwsClients } from '../../core/adapters/aws-clients';
import { ensureTableStream } from '../../core/adapters/dynamodb/change-stream';
import { IMAGE_TABLE } from '../../core/adapters/dynamodb/table';
import { GlueSchemaRegistry } from '../../core/adapters/glue/schema-registry';
import { IMAGE_EVENT_SCHEMA } from '../../schemas';
import { uploadBucketCorsRules } from '../../ingest-api/cors';
import { generateApiKey, parseApiKeySecret, type ApiKeyEntry } from '../../core/auth/api-keys';
import { ensureUserPool, type UserPoolIds } from '../../core/adapters/cognito/user-pool';
import { ENV } from '../../core/config/env';
import type { StackPaths } from './paths';

/** The names and addresses of everything the bootstrap made, for `stack status --json`. */
export interface StackResources {
  rawBucket: string;
  processedBucket: string;
  analyticsBucket: string;
  table: string;
  topics: { images: string; deadLetter: string; partitions: number };
  snsTopicArn: string;
  notificationQueueUrl: string;
  uploadQueueUrl: string;
  /** The URL import queue (API → import worker). */
  importQueueUrl: string;
  /** Its dead-letter queue, `<name>-dlq`. */
  importDeadLetterQueueUrl: string;
  secrets: { apiKeys: string };
  devApiKey: string;
  /** The dev Cognito user pool and app client (moto) whose ID tokens the local API accepts; `ingest login` signs in there. */
  userPool: UserPoolIds;
  /** The Glue schema registry (moto) and the version id of each image event schema version registered in it. */
  glueSchemas: { registry: string; schema: string; versionIds: string[] };
}

/**
 * The variables that give `loadConfig` the dev user pool (moto makes its ids at random, so they
 * are known only once the bootstrap has run): `ingest start` and the tests' global setup load
 * config with these on top of the environment.
 */
export function userPoolEnvironment(userPool: UserPoolIds): Record<string, string> {
  return { [ENV.cognitoUserPoolId]: userPool.userPoolId, [ENV.cognitoUserPoolClientId]: userPool.clientId };
}

/** Creates a bucket (idempotently) whose raw and processed copies live as long as their metadata. */
export async function ensureBucket(clients: AwsClients, bucket: string, retentionDays: number): Promise<void> {
  try {
    await clients.s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (error) {
    if (!(error instanceof BucketAlreadyOwnedByYou) && (error as { name?: string }).name !== 'BucketAlreadyOwnedByYou') throw error;
  }
  await clients.s3.send(
    new PutBucketLifecycleConfigurationCommand({
      Bucket: bucket,
      LifecycleConfiguration: {
        Rules: [
          { ID: 'expire-after-retention', Status: 'Enabled', Filter: { Prefix: '' }, Expiration: { Days: retentionDays } },
          { ID: 'abort-incomplete-uploads', Status: 'Enabled', Filter: { Prefix: '' }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } },
        ],
      },
    }),
  );
}

/** Creates the images table (both indexes, TTL, change stream) unless it exists. */
export async function ensureTable(clients: AwsClients, config: Config): Promise<void> {
  const { customerIndex, statusIndex } = IMAGE_TABLE;
  try {
    await clients.dynamodb.send(
      new CreateTableCommand({
        TableName: config.table.name,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: IMAGE_TABLE.partitionKey, AttributeType: 'S' },
          { AttributeName: customerIndex.partitionKey, AttributeType: 'S' },
          { AttributeName: statusIndex.partitionKey, AttributeType: 'S' },
          { AttributeName: customerIndex.sortKey, AttributeType: 'S' },
        ],
        KeySchema: [{ AttributeName: IMAGE_TABLE.partitionKey, KeyType: 'HASH' }],
        GlobalSecondaryIndexes: [customerIndex, statusIndex].map((index) => ({
          IndexName: index.name,
          KeySchema: [
            { AttributeName: index.partitionKey, KeyType: 'HASH' as const },
            { AttributeName: index.sortKey, KeyType: 'RANGE' as const },
          ],
          Projection: { ProjectionType: 'ALL' as const },
        })),
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitUntilTableExists({ client: clients.dynamodb, maxWaitTime: 30 }, { TableName: config.table.name });
  const ttl = await clients.dynamodb.send(new DescribeTimeToLiveCommand({ TableName: config.table.name }));
  if (ttl.TimeToLiveDescription?.TimeToLiveStatus !== 'ENABLED') {
    await clients.dynamodb.send(
      new UpdateTimeToLiveCommand({ TableName: config.table.name, TimeToLiveSpecification: { AttributeName: IMAGE_TABLE.ttlAttribute, Enabled: true } }),
    );
  }
  await clients.dynamodb.send(new DescribeTableCommand({ TableName: config.table.name }));
  // The dashboard's feed: the local stand-in for the Kinesis streaming destination.
  await ensureTableStream(clients.dynamodb, config.table.name);
}

/** How long the stack waits for Kafka's group coordinator after the broker answers. */
const GROUP_COORDINATOR_WAIT_MS = 90_000;

/**
 * Waits until a consumer group can find its coordinator. A fresh broker creates and loads
 * `__consumer_offsets` (50 partitions by default) on the first FindCoordinator request; on a busy
 * two-core machine that took longer than a consumer's join timeout, so the stack pays it here
 * rather than the first consumer group that starts.
 * @throws Error naming Kafka's last answer when the coordinator is not available within
 *   {@link GROUP_COORDINATOR_WAIT_MS}.
 */
async function waitForGroupCoordinator(admin: Admin): Promise<void> {
  const deadline = Date.now() + GROUP_COORDINATOR_WAIT_MS;
  for (;;) {
    try {
      await admin.describeGroups(['stack-bootstrap-coordinator-probe']);
      return;
    } catch (error) {
      if (Date.now() >= deadline) throw new Error(`Kafka's group coordinator was not available within ${GROUP_COORDINATOR_WAIT_MS / 1000} s: ${(error as Error).message}`);
      await abortableSleep(500);
    }
  }
}

/**
 * The image and dead-letter topics, then a group coordinator that answers.
 * @throws Error naming the brokers and KAFKA_BROKERS when Kafka cannot be reached.
 */
async function ensureTopics(config: Config): Promise<void> {
  const kafka = new Kafka({ clientId: 'stack-bootstrap', brokers: config.kafka.brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  try {
    await admin.connect();
  } catch (error) {
    throw new Error(`Kafka at ${config.kafka.brokers.join(', ')} (KAFKA_BROKERS) could not be reached to create the topics: ${(error as Error).message}`, { cause: error });
  }
  try {
    const existing = new Set(await admin.listTopics());
    const wanted = [
      { topic: config.kafka.imageTopic, numPartitions: config.kafka.partitions },
      { topic: config.kafka.deadLetterTopic, numPartitions: 1 },
    ].filter((t) => !existing.has(t.topic));
    if (wanted.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: wanted.map((t) => ({ ...t, replicationFactor: 1, configEntries: [{ name: 'max.message.bytes', value: String(config.kafka.maxMessageBytes) }] })),
      });
    }
    await waitForGroupCoordinator(admin);
  } finally {
    await admin.disconnect();
  }
}

async function ensureQueue(clients: AwsClients, name: string, queueAttributes?: Record<string, string>): Promise<{ url: string; arn: string }> {
  const { QueueUrl } = await clients.sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: queueAttributes }));
  if (QueueUrl === undefined) throw new Error(`SQS did not return a URL for queue ${name}`);
  const attributes = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  const arn = attributes.Attributes?.QueueArn;
  if (arn === undefined) throw new Error(`SQS did not return an ARN for queue ${name}`);
  return { url: QueueUrl, arn };
}

/**
 * Local settings of the URL import queue. The poller has no function timeout, so the visibility
 * timeout is the fetcher's whole deadline plus processing, not the 6 × timeout of AWS.
 */
export const LOCAL_IMPORT_QUEUE = { visibilityTimeoutSeconds: 60, maxReceiveCount: 5 } as const;

/**
 * The URL import queue (the API → import worker hand-off) and its dead-letter queue, with the
 * redrive policy AWS has: after `maxReceiveCount` receives a message moves to the DLQ.
 * @returns the import queue's URL.
 */
export async function ensureImportQueue(clients: AwsClients, name: string, deadLetterName = `${name}-dlq`): Promise<string> {
  const dlq = await ensureQueue(clients, deadLetterName);
  const queue = await ensureQueue(clients, name, {
    VisibilityTimeout: String(LOCAL_IMPORT_QUEUE.visibilityTimeoutSeconds),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: LOCAL_IMPORT_QUEUE.maxReceiveCount }),
  });
  return queue.url;
}

async function ensureNotifications(clients: AwsClients, config: Config): Promise<{ topicArn: string; queueUrl: string }> {
  const { TopicArn } = await clients.sns.send(new CreateTopicCommand({ Name: DEFAULT_NAMES.snsTopic }));
  if (TopicArn !== config.snsTopicArn) {
    throw new Error(`the local SNS topic is ${TopicArn}, but config says SNS_TOPIC_ARN=${config.snsTopicArn}`);
  }
  const queue = await ensureQueue(clients, config.local.notificationQueue);
  const subscriptions = await clients.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn }));
  if (!subscriptions.Subscriptions?.some((s) => s.Endpoint === queue.arn)) {
    await clients.sns.send(new SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: queue.arn }));
  }
  return { topicArn: TopicArn, queueUrl: queue.url };
}

/**
 * S3 → SQS for objects landing under `incoming/` of the raw bucket (the local stand-in for
 * S3 → Lambda), and the bucket's CORS rules for browsers posting presigned forms: the same
 * rules, from the same config, as the CDKTF app writes.
 * @returns the upload queue's URL.
 */
export async function ensureUploadNotifications(clients: AwsClients, config: Config): Promise<string> {
  const queue = await ensureQueue(clients, config.local.uploadQueue);
  await clients.s3.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: config.rawBucket,
      NotificationConfiguration: {
        QueueConfigurations: [
          { Id: 'incoming-uploads', QueueArn: queue.arn, Events: ['s3:ObjectCreated:*'], Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: KEY_PREFIXES.incoming }] } } },
        ],
      },
    }),
  );
  // Browsers post presigned forms straight to the bucket.
  const rules = uploadBucketCorsRules(config.cors);
  if (rules.length > 0) await clients.s3.send(new PutBucketCorsCommand({ Bucket: config.rawBucket, CORSConfiguration: { CORSRules: rules } }));
  else await clients.s3.send(new DeleteBucketCorsCommand({ Bucket: config.rawBucket }));
  return queue.url;
}

/**
 * The development key survives stack restarts (moto keeps secrets in memory only), so it is
 * kept in the git-ignored stack folder and re-registered on every bootstrap.
 */
function developmentKey(paths: StackPaths): { key: string; entry: ApiKeyEntry } {
  const file = join(paths.base, 'dev-api-key.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as { key: string; entry: ApiKeyEntry };
  const created = generateApiKey('dev');
  writeFileSync(file, JSON.stringify(created), { mode: 0o600 });
  return created;
}

async function ensureApiKeySecret(clients: AwsClients, config: Config, dev: ApiKeyEntry): Promise<void> {
  let current: ApiKeyEntry[] = [];
  try {
    const value = await clients.secrets.send(new GetSecretValueCommand({ SecretId: config.apiKeySecretId }));
    current = parseApiKeySecret(value.SecretString).keys;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
    await clients.secrets.send(new CreateSecretCommand({ Name: config.apiKeySecretId, SecretString: JSON.stringify({ keys: [dev] }) }));
    return;
  }
  if (!current.some((k) => k.sha256 === dev.sha256)) {
    await clients.secrets.send(new PutSecretValueCommand({ SecretId: config.apiKeySecretId, SecretString: JSON.stringify({ keys: [...current, dev] }) }));
  }
}

/**
 * Registers every image event schema version this code ships in the Glue schema registry, oldest
 * first, so Glue-framed producers and the consumer find them; returns their version ids.
 */
async function ensureGlueSchemas(clients: AwsClients, config: Config): Promise<string[]> {
  const registry = new GlueSchemaRegistry(clients.glue);
  const { glueRegistryName, glueSchemaName } = config.schemaRegistry;
  const versionIds: string[] = [];
  for (const schema of [IMAGE_EVENT_SCHEMA]) versionIds.push(await registry.registerAvroVersion(glueRegistryName, glueSchemaName, JSON.stringify(schema)));
  return versionIds;
}

/**
 * Creates, idempotently, every resource the pipeline uses on the local stack — the list
 * `localStackResources` (`resources.ts`) names, which `stack status`, the README and
 * docker-compose.yml are held to: buckets (with the 7-day lifecycle; the analytics bucket too),
 * the table (TTL on `expiresAt`, both indexes, its change stream), the Kafka topics, the SNS topic
 * with an SQS queue subscribed, the upload notification queue, the URL import queue and its DLQ,
 * the API-key secret, the Cognito dev user pool and app client, and the image event schema
 * versions in the Glue schema registry.
 */
export async function bootstrapStack(config: Config, clients: AwsClients, paths: StackPaths): Promise<StackResources> {
  const dev = developmentKey(paths);
  await Promise.all([
    ensureBucket(clients, config.rawBucket, config.limits.retentionDays),
    ensureBucket(clients, config.processedBucket, config.limits.retentionDays),
    ensureBucket(clients, config.analyticsBucket, config.limits.retentionDays),
    ensureTable(clients, config),
    ensureTopics(config),
  ]);
  const [notifications, uploadQueueUrl, importQueueUrl] = await Promise.all([ensureNotifications(clients, config), ensureUploadNotifications(clients, config), ensureImportQueue(clients, config.importQueue.name)]);
  await ensureApiKeySecret(clients, config, dev.entry);
  const userPool = await ensureUserPool(clients.cognito, { userPool: DEFAULT_NAMES.userPool, client: DEFAULT_NAMES.userPoolClient });
  const glueVersionIds = await ensureGlueSchemas(clients, config);
  return {
    rawBucket: config.rawBucket,
    processedBucket: config.processedBucket,
    analyticsBucket: config.analyticsBucket,
    table: config.table.name,
    topics: { images: config.kafka.imageTopic, deadLetter: config.kafka.deadLetterTopic, partitions: config.kafka.partitions },
    snsTopicArn: notifications.topicArn,
    notificationQueueUrl: notifications.queueUrl,
    uploadQueueUrl,
    importQueueUrl,
    importDeadLetterQueueUrl: importQueueUrl.replace(/[^/]+$/, `${config.importQueue.name}-dlq`),
    secrets: { apiKeys: config.apiKeySecretId },
    devApiKey: dev.key,
    userPool,
    glueSchemas: { registry: config.schemaRegistry.glueRegistryName, schema: config.schemaRegistry.glueSchemaName, versionIds: glueVersionIds },
  };
}
