/** Options for {@link createPipelineRuntime}. */
export interface PipelineRuntimeOptions {
  /** SDK clients to use instead of new ones from config. */
  clients?: AwsClients;
  /**
   * Whether metrics are written as EMF lines to stdout (see `TelemetryOptions.metrics`): off for a
   * command whose stdout is its report for a person (`ingest reconcile`). @default true
   */
  metrics?: boolean;
}

/**
 * The composition root: SDK clients, adapters, telemetry, the pipeline and the reconciler, wired
 * from config once per process (cold start). Loads sharp (through the pipeline); code that needs
 * only config, errors or keys imports `core` instead.
 */
import type { Config } from './config';
import { createAwsClients, type AwsClients } from './adapters/aws-clients';
import { HttpsImageFetcher } from './adapters/fetch/https-fetcher';
import { DynamoDbMetadataStore } from './adapters/dynamodb/metadata-store';
import { S3BlobStore } from './adapters/s3/blob-store';
import { SecretsManagerStore } from './adapters/secrets/secret-store';
import { SnsNotifier } from './adapters/sns/notifier';
import { SqsImportQueue } from './adapters/sqs/import-queue';
import { createTelemetry, type Telemetry } from './observability';
import { WatermarkResolver } from './image';
import { DEFAULT_NOTIFICATION_LEASE_MS, ImagePipeline } from './pipeline';
import { Reconciler, type ReconcilerOptions } from './reconciler';
import type { BlobStore, ImageFetcher, ImportQueue, MetadataStore, Notifier, SecretStore } from './ports';
import { ImageSourceResolver } from './sources';

export { DEFAULT_NOTIFICATION_LEASE_MS, ImagePipeline, imageIdForKey, isAwaitingBytes, notificationIdFor, type PendingResult, PUBLISH_SHARE_OF_LEASE, type AnnounceOutcome, type IngestRequest, type IngestResult, type PipelineDependencies, type ResumeOutcome } from './pipeline';
export { RECONCILE_METRICS, RECONCILER_SERVICE, Reconciler, type ReconcileAction, type ReconcileEntry, type ReconcileReport, type ReconcilerDependencies, type ReconcilerOptions } from './reconciler';

/** Everything a handler needs, wired from config once per process (cold start). */
export interface PipelineRuntime {
  config: Config;
  clients: AwsClients;
  pipeline: ImagePipeline;
  blobs: BlobStore;
  metadata: MetadataStore;
  notifier: Notifier;
  secrets: SecretStore;
  /** Downloads URL sources (SSRF-safe HTTPS, `config.fetch`). */
  fetcher: ImageFetcher;
  /** Resolves every image source (inline, S3 claim check, presigned upload, URL) under one set of rules. */
  sources: ImageSourceResolver;
  /** Where `POST /v1/images` hands URL imports (SQS, `config.importQueue`). */
  importQueue: ImportQueue;
  telemetry: Telemetry;
}

/**
 * The composition root: SDK clients, adapters, the URL fetcher, the source resolver, telemetry
 * and the pipeline, from config.
 *
 * @example
 * const runtime = createPipelineRuntime(loadConfig(), 'ingest-api');
 */
export function createPipelineRuntime(config: Config, serviceName: string, options: PipelineRuntimeOptions = {}): PipelineRuntime {
  const telemetry = createTelemetry({ serviceName, logLevel: config.logLevel, tracing: config.tracing.enabled, metrics: options.metrics });
  // With tracing on (in Lambda), every SDK call is a subsegment under the pipeline stage making it.
  const clients = options.clients ?? createAwsClients(config, { instrument: (client) => telemetry.captureAwsClient(client) });
  const blobs = new S3BlobStore(clients.s3);
  const metadata = new DynamoDbMetadataStore(clients.documents, config.table.name, { statusShards: config.table.statusShards });
  const notifier = new SnsNotifier(clients.sns, config.snsTopicArn, config.processedBucket);
  const secrets = new SecretsManagerStore(clients.secrets);
  const watermarks = new WatermarkResolver(config.watermark, blobs);
  const pipeline = new ImagePipeline({ config, blobs, metadata, notifier, telemetry, watermarks });
  const fetcher = HttpsImageFetcher.fromConfig(config);
  const sources = new ImageSourceResolver({ config, blobs, fetcher });
  const { url: importQueueUrl, name: importQueueName } = config.importQueue;
  const importQueue = new SqsImportQueue(clients.sqs, importQueueUrl === undefined ? { name: importQueueName } : { url: importQueueUrl });
  return { config, clients, pipeline, blobs, metadata, notifier, secrets, fetcher, sources, importQueue, telemetry };
}

/**
 * The reconciler on a runtime's ports and pipeline, with its settings from config
 * (`RECONCILE_RECEIVED_AFTER_SECONDS`, `RECONCILE_MAX_RECORDS`); `overrides` for tests and tools.
 *
 * @example
 * const report = await createReconciler(createPipelineRuntime(loadConfig(), 'reconciler')).run();
 */
export function createReconciler(runtime: PipelineRuntime, overrides: Partial<ReconcilerOptions> = {}): Reconciler {
  const { config, pipeline, metadata, blobs, telemetry } = runtime;
  return new Reconciler({
    pipeline,
    metadata,
    blobs,
    telemetry,
    options: {
      receivedAfterMs: config.reconcile.receivedAfterSeconds * 1000,
      notificationLeaseMs: DEFAULT_NOTIFICATION_LEASE_MS,
      maxRecords: config.reconcile.maxRecords,
      ...overrides,
    },
  });
}
