import { Construct } from 'constructs';
import { LocalBackend, TerraformOutput, TerraformStack } from 'cdktn';
import { AwsProvider } from '@cdktn/provider-aws/lib/provider';
import { DataAwsCallerIdentity } from '@cdktn/provider-aws/lib/data-aws-caller-identity';
import { DataAwsPartition } from '@cdktn/provider-aws/lib/data-aws-partition';
import type { PipelineStackProps } from './props';

/** The AWS provider line this stack is written for (`nodejs24.x`, `kafka://` destinations need 6.x). */
export const AWS_PROVIDER_CONSTRAINT = '~> 6.66';
import { Analytics } from './constructs/analytics';
import { Api } from './constructs/api';
import { SignIn } from './constructs/auth';
import { Compute } from './constructs/compute';
import type { StackContext } from './constructs/context';
import { Data } from './constructs/data';
import { Network } from './constructs/network';
import { Notifications } from './constructs/notifications';
import { Observability } from './constructs/observability';
import { Reconciliation } from './constructs/reconciliation';
import { Security } from './constructs/security';
import { Storage } from './constructs/storage';
import { Streaming, kafkaAdminCommands } from './constructs/streaming';
import { UrlImport } from './constructs/url-import';
import { UsagePlans } from './constructs/usage-plans';

/**
 * One environment of the image pipeline. Environments differ only through their props (sizes,
 * retention); the constructs are the same.
 *
 * @throws BundlingError when a Lambda entry point is missing or cannot be bundled.
 * @example
 * const app = new App({ outdir: 'cdktf.out' });
 * new ImagePipelineStack(app, 'image-pipeline-dev', resolveStackProps('dev'));
 * app.synth();
 */
export class ImagePipelineStack extends TerraformStack {
  readonly security: Security;
  readonly network: Network;
  readonly storage: Storage;
  readonly data: Data;
  readonly streaming: Streaming;
  readonly notifications: Notifications;
  readonly signIn: SignIn;
  readonly compute: Compute;
  readonly api: Api;
  readonly usagePlans: UsagePlans;
  readonly observability: Observability;
  readonly reconciliation: Reconciliation;
  /** URL imports: the queue, its DLQ and alarm, and the import worker. */
  readonly urlImport: UrlImport;
  readonly analytics?: Analytics;

  constructor(scope: Construct, id: string, props: PipelineStackProps) {
    super(scope, id);
    new AwsProvider(this, 'aws', { region: props.region, defaultTags: [{ tags: props.tags }] });
    // The prebuilt bindings pin the exact provider they were generated from (6.66.0); any later 6.x
    // keeps the same schema for what this stack uses, so `terraform init -upgrade` may take it.
    this.addOverride('terraform.required_providers.aws.version', AWS_PROVIDER_CONSTRAINT);
    // Relative to cdktf.out/stacks/<stack>/ (where Terraform runs): state lands at the repo root,
    // survives `make clean`, and no machine-specific absolute path is baked into the JSON.
    new LocalBackend(this, { path: `../../../terraform.${id}.tfstate` });
    const identity = new DataAwsCallerIdentity(this, 'caller');
    const partition = new DataAwsPartition(this, 'partition');
    const ctx: StackContext = { props, accountId: identity.accountId, partition: partition.partition, region: props.region };

    this.security = new Security(this, 'security', ctx);
    const key = this.security.key;
    this.network = new Network(this, 'network', ctx);
    this.storage = new Storage(this, 'storage', ctx, key);
    this.data = new Data(this, 'data', ctx, key);
    this.notifications = new Notifications(this, 'notifications', ctx, key);
    this.streaming = new Streaming(this, 'streaming', ctx, {
      network: this.network,
      key,
      kafkaSecret: this.security.kafkaSecret,
      kafkaSecretValue: this.security.kafkaSecretValue,
    });
    this.signIn = new SignIn(this, 'sign-in', ctx);
    this.urlImport = new UrlImport(this, 'url-import', ctx, { key, alarmTopic: this.notifications.alarmTopic });
    this.compute = new Compute(this, 'compute', ctx, {
      key,
      raw: this.storage.raw,
      processed: this.storage.processed,
      failedBatches: this.storage.failedBatches,
      table: this.data.table,
      topic: this.notifications.topic,
      apiKeySecret: this.security.apiKeySecret,
      kafkaSecret: this.security.kafkaSecret,
      cluster: this.streaming.cluster,
      network: this.network,
      signIn: this.signIn,
      importQueue: this.urlImport.queue,
    });
    this.urlImport.addWorker({ compute: this.compute, raw: this.storage.raw, processed: this.storage.processed, table: this.data.table });
    this.api = new Api(this, 'api', ctx, this.compute.ingestApi.fn, this.compute.authorizer.fn);
    this.usagePlans = new UsagePlans(this, 'usage-plans', ctx, this.api);
    this.observability = new Observability(this, 'observability', ctx, {
      alarmTopic: this.notifications.alarmTopic,
      functions: { 'ingest-api': this.compute.ingestApi, 'upload-handler': this.compute.uploadHandler, 'stream-consumer': this.compute.streamConsumer, reconciler: this.compute.reconciler, 'import-worker': this.urlImport.worker },
      authorizer: this.compute.authorizer,
      streamConsumer: this.compute.streamConsumer,
      cluster: this.streaming.cluster,
      failedBatches: this.storage.failedBatches,
      restApi: this.api.restApi,
      stageName: props.api.stageName,
      apiAccessLogs: this.api.accessLogs,
      table: this.data.table,
    });
    this.reconciliation = new Reconciliation(this, 'reconciliation', ctx, { reconciler: this.compute.reconciler, alarmTopic: this.notifications.alarmTopic });
    if (props.analytics.enabled) {
      this.analytics = new Analytics(this, 'analytics', ctx, { key, imagesTable: this.data.table });
    }

    const out = (name: string, value: string, description: string, sensitive = false): void => {
      new TerraformOutput(this, name, { value, description, sensitive });
    };
    out('api_url', this.api.url, 'Base URL of the REST API stage (routes start with /v1 and /healthz)');
    out('default_usage_plan_id', this.usagePlans.defaultPlan.id, 'Usage plan of customers without an override: USAGE_PLAN_ID for `ingest keys create` (docs/limits.md)');
    out('raw_bucket', this.storage.raw.bucket.bucket, 'Raw image bucket');
    out('processed_bucket', this.storage.processed.bucket.bucket, 'Processed image bucket');
    out('failed_batches_bucket', this.storage.failedBatches.bucket.bucket, 'On-failure destination of the MSK event source mapping');
    out('images_table', this.data.table.name, 'DynamoDB images table');
    out('notification_topic_arn', this.notifications.topic.arn, 'SNS topic for image.processed / image.failed');
    out('url_import_queue_url', this.urlImport.queue.url, 'SQS queue of URL imports (API -> import worker)');
    out('url_import_dlq_url', this.urlImport.deadLetterQueue.url, 'Dead-letter queue of URL imports the worker could not finish');
    out('alarm_topic_arn', this.notifications.alarmTopic.arn, 'SNS topic for CloudWatch alarms');
    out('bootstrap_brokers_sasl_scram', this.streaming.cluster.bootstrapBrokersSaslScram, 'MSK brokers, SASL/SCRAM over TLS');
    out('bootstrap_brokers_sasl_iam', this.streaming.cluster.bootstrapBrokersSaslIam, 'MSK brokers, IAM auth (admin tools)');
    out('user_pool_id', this.signIn.userPool.id, 'Cognito user pool of sign-in tokens (users carry custom:customer_id)');
    out('user_pool_client_id', this.signIn.client.id, 'App client whose ID tokens the API accepts');
    out('api_key_secret_arn', this.security.apiKeySecret.arn, 'Secrets Manager secret holding the API keys');
    out('kafka_secret_arn', this.security.kafkaSecret.arn, 'Secrets Manager secret with the SCRAM credentials');
    out('kafka_admin_commands', kafkaAdminCommands(props), 'One-off topic and ACL setup (run from a host in the VPC, see docs/aws-deployment.md)');
    if (this.analytics) {
      out('athena_workgroup', this.analytics.workgroup.name, 'Athena workgroup for metadata queries');
      out('glue_database', this.analytics.database.name, 'Glue database with the metadata_changes table');
    }
  }
}
