import type { Config } from './config';
import { createAwsClients, type AwsClients } from './adapters/aws-clients';
import { DynamoDbMetadataStore } from './adapters/dynamodb/metadata-store';
import { S3BlobStore } from './adapters/s3/blob-store';
import { SecretsManagerStore } from './adapters/secrets/secret-store';
import { SnsNotifier } from './adapters/sns/notifier';
import { createTelemetry, type Telemetry } from './observability';
import { ImagePipeline } from './pipeline';
import type { BlobStore, MetadataStore, Notifier, SecretStore } from './ports';

export * from './config';
export * from './errors';
export * from './ports';
export { sha256Digest, sha256Hex } from './hashing';
export { ImagePipeline, imageIdForKey, type IngestRequest, type IngestResult, type PipelineDependencies } from './pipeline';
export { createTelemetry, type ContextLogger, type Telemetry } from './observability';
export { newImageId, isValidImageId, incomingKey, imageIdFromIncomingKey, rawKey, variantKey, CLAIM_CHECK_PREFIX, claimCheckKey } from './keys';
export { createAwsClients, destroyAwsClients, type AwsClients } from './adapters/aws-clients';
export { findCustomerForKey, generateApiKey, hashApiKey, parseApiKeySecret, assertCustomerId } from './auth/api-keys';
export { notificationBody } from './adapters/sns/notifier';
export { statusDayKey, statusDayKeys, statusShardOf, MAX_STATUS_SHARDS } from './adapters/dynamodb/status-key';
export { INPUT_BOUNDS, assertAttributesBounds, assertCustomerIdBounds, assertFileNameBounds, assertMaxBytes, assertRequestBounds, type BoundedFields } from './input-bounds';

/** Everything a handler needs, wired from config once per process (cold start). */
export interface PipelineRuntime {
  config: Config;
  clients: AwsClients;
  pipeline: ImagePipeline;
  blobs: BlobStore;
  metadata: MetadataStore;
  notifier: Notifier;
  secrets: SecretStore;
  telemetry: Telemetry;
}

/**
 * The composition root: SDK clients, adapters, telemetry and the pipeline, from config.
 *
 * @example
 * const runtime = createPipelineRuntime(loadConfig(), 'ingest-api');
 */
export function createPipelineRuntime(config: Config, serviceName: string, clients: AwsClients = createAwsClients(config)): PipelineRuntime {
  const telemetry = createTelemetry({ serviceName, logLevel: config.logLevel });
  const blobs = new S3BlobStore(clients.s3);
  const metadata = new DynamoDbMetadataStore(clients.documents, config.table.name, { statusShards: config.table.statusShards });
  const notifier = new SnsNotifier(clients.sns, config.snsTopicArn, config.processedBucket);
  const secrets = new SecretsManagerStore(clients.secrets);
  const pipeline = new ImagePipeline({ config, blobs, metadata, notifier, telemetry });
  return { config, clients, pipeline, blobs, metadata, notifier, secrets, telemetry };
}
