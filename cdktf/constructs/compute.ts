import { join } from 'node:path';
import { Construct } from 'constructs';
import { Annotations, AssetType, Fn, TerraformAsset, TerraformStack } from 'cdktn';
import { CloudwatchLogGroup } from '@cdktn/provider-aws/lib/cloudwatch-log-group';
import { IamRole } from '@cdktn/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktn/provider-aws/lib/iam-role-policy';
import type { KmsKey } from '@cdktn/provider-aws/lib/kms-key';
import { LambdaEventSourceMapping } from '@cdktn/provider-aws/lib/lambda-event-source-mapping';
import { LambdaFunction } from '@cdktn/provider-aws/lib/lambda-function';
import { LambdaFunctionEventInvokeConfig } from '@cdktn/provider-aws/lib/lambda-function-event-invoke-config';
import { SqsQueue } from '@cdktn/provider-aws/lib/sqs-queue';
import { LambdaPermission } from '@cdktn/provider-aws/lib/lambda-permission';
import { S3BucketNotification } from '@cdktn/provider-aws/lib/s3-bucket-notification';
import type { SecretsmanagerSecret } from '@cdktn/provider-aws/lib/secretsmanager-secret';
import type { SnsTopic } from '@cdktn/provider-aws/lib/sns-topic';
import type { DynamodbTable } from '@cdktn/provider-aws/lib/dynamodb-table';
import type { MskCluster } from '@cdktn/provider-aws/lib/msk-cluster';
import type { SignIn } from './auth';
import { ENV } from '../../core/config/env';
import { reconcileReceivedAfterSeconds, watermarkEnvironment } from '../props';
import { KEY_PREFIXES } from '../../core/constants';
import { formatVariantList } from '../../core/image/variants';
import { watermarkS3Objects } from '../../core/image/watermark-settings';
import { bundleLambda, findProjectRoot, placeholderBundle, type LambdaName } from '../bundling';
import { assumeRolePolicy, policyDocument, type AllowStatement } from '../iam';
import type { FunctionSizing } from '../props';
import type { StackContext } from './context';
import { TABLE_SCHEMA } from './data';
import type { Network } from './network';
import type { SecureBucket } from './storage';

/** S3 key prefixes of the data contract (core/constants.ts): permissions are scoped to exactly these. */
export { KEY_PREFIXES };

/**
 * What a function with active tracing needs to send segments to X-Ray (the two write actions of
 * the AWSXRayDaemonWriteAccess managed policy; Lambda decides sampling, so the sampling-rule
 * reads are not needed). X-Ray offers no resource-level scoping for them: resource `*`.
 * Source: https://docs.aws.amazon.com/lambda/latest/dg/services-xray.html
 */
export const XRAY_WRITE_ACTIONS = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'] as const;

/** The ENI actions Lambda needs for VPC placement and MSK polling; AWS offers no resource-level scoping for them. */
export const ENI_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DeleteNetworkInterface',
  'ec2:DescribeVpcs',
  'ec2:DescribeSubnets',
  'ec2:DescribeSecurityGroups',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
] as const;

/** What the compute construct wires together. */
export interface ComputeDependencies {
  key: KmsKey;
  raw: SecureBucket;
  processed: SecureBucket;
  failedBatches: SecureBucket;
  table: DynamodbTable;
  topic: SnsTopic;
  apiKeySecret: SecretsmanagerSecret;
  kafkaSecret: SecretsmanagerSecret;
  cluster: MskCluster;
  network: Network;
  /** The Cognito user pool and app client whose ID tokens the authorizer accepts. */
  signIn: SignIn;
  /** The URL import queue (constructs/url-import.ts): the API may only send to it. */
  importQueue: SqsQueue;
}

/** One deployed function with its role and log group. */
export interface PipelineFunction {
  fn: LambdaFunction;
  role: IamRole;
  logGroup: CloudwatchLogGroup;
  sizing: FunctionSizing;
}

/**
 * glibc allocator setting for every function (they all run sharp): two malloc arenas instead of
 * one per thread, as sharp's documentation advises for glibc. `make bench` measured the
 * consumer's peak RSS with 10 MiB JPEGs at 465 MiB by default and 299 MiB with it.
 */
export const ALLOCATOR_ENVIRONMENT: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };

/**
 * The four Lambdas (ingest-api, upload handler, stream-consumer, reconciler), each with its own
 * least-privilege role and log group; the raw bucket's `incoming/` notification to the upload
 * handler; and the MSK event source mapping with finite failure handling.
 */
export class Compute extends Construct {
  readonly ingestApi: PipelineFunction;
  readonly uploadHandler: PipelineFunction;
  readonly streamConsumer: PipelineFunction;
  /** Invoked by EventBridge Scheduler (constructs/reconciliation.ts); needs no VPC: it talks to AWS APIs only. */
  readonly reconciler: PipelineFunction;
  /** The API's Lambda REQUEST authorizer: API keys and Cognito ID tokens (authorizer/handler.ts, docs/authentication.md). */
  readonly authorizer: PipelineFunction;
  readonly eventSourceMapping: LambdaEventSourceMapping;
  /** Where S3 events the upload handler failed on, after Lambda's async retries, are kept (its on-failure destination). */
  readonly uploadFailures: SqsQueue;
  /** The environment every pipeline function shares (buckets, table, topic, variants, watermark). */
  readonly pipelineEnvironment: Readonly<Record<string, string>>;
  /** Statements every function that runs the pipeline needs besides its S3 and table grants: publish, the project key, the watermark objects. */
  readonly pipelineStatements: readonly AllowStatement[];
  private readonly keyArn: string;

  constructor(scope: Construct, id: string, private readonly ctx: StackContext, deps: ComputeDependencies) {
    super(scope, id);
    this.keyArn = deps.key.arn;
    const { props } = ctx;
    const { key, raw, processed, failedBatches, table, topic } = deps;
    const rawArn = raw.bucket.arn;
    const processedArn = processed.bucket.arn;
    const indexArns = [TABLE_SCHEMA.customerIndex.name, TABLE_SCHEMA.statusIndex.name].map((n) => `${table.arn}/index/${n}`);
    const kms: AllowStatement = { sid: 'UseProjectKey', actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [key.arn] };
    const publish: AllowStatement = { sid: 'PublishNotifications', actions: ['sns:Publish'], resources: [topic.arn] };
    const tableWrites: AllowStatement = {
      sid: 'WriteImageMetadata',
      actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:GetItem'],
      resources: [table.arn],
    };

    const watermark = watermarkEnvironment(props.images);
    const common: Record<string, string> = {
      ...ALLOCATOR_ENVIRONMENT,
      [ENV.rawBucket]: raw.bucket.bucket,
      [ENV.processedBucket]: processed.bucket.bucket,
      [ENV.imagesTable]: table.name,
      [ENV.statusIndexShards]: String(props.data.statusIndexShards),
      [ENV.snsTopicArn]: topic.arn,
      // The runtime's TTL must match the buckets' lifecycle.
      [ENV.retentionDays]: String(props.storage.objectExpirationDays),
      [ENV.logLevel]: props.lambda.logLevel,
      // Every function that renders (API, upload handler, stream consumer, reconciler) makes the same copies.
      ...(props.images.variants !== undefined ? { [ENV.imageVariants]: formatVariantList(props.images.variants, 'images.variants') } : {}),
      ...watermark.environment,
    };
    // Each rendering role may read exactly the watermark objects the settings name, nothing else.
    const watermarkObjects = watermarkS3Objects(watermark.config);
    const readWatermarks: AllowStatement[] =
      watermarkObjects.length === 0
        ? []
        : [{ sid: 'ReadWatermarkImages', actions: ['s3:GetObject'], resources: watermarkObjects.map((o) => `arn:${ctx.partition}:s3:::${o.bucket}/${o.key}`) }];
    this.pipelineEnvironment = common;
    this.pipelineStatements = [publish, kms, ...readWatermarks];

    this.ingestApi = this.createFunction('ingestApi', 'ingest-api', props.lambda.ingestApi, {
      environment: {
        ...common,
        // URL imports are handed to the import worker through this queue (docs/aws-deployment.md).
        [ENV.importQueue]: deps.importQueue.name,
        [ENV.importQueueUrl]: deps.importQueue.url,
        // The same origins as the gateway responses and the raw bucket's CORS rule (api.ts, storage.ts).
        ...(props.api.corsAllowedOrigins.length > 0 ? { [ENV.corsAllowedOrigins]: props.api.corsAllowedOrigins.join(',') } : {}),
        ...(props.api.corsAllowCredentials ? { [ENV.corsAllowCredentials]: 'true' } : {}),
      },
      statements: [
        // Presigned POSTs are signed with this role, so it needs the upload's PutObject itself.
        { sid: 'WriteRawAndIncoming', actions: ['s3:PutObject', 's3:GetObject'], resources: [`${rawArn}/${KEY_PREFIXES.raw}*`, `${rawArn}/${KEY_PREFIXES.incoming}*`] },
        { sid: 'ReadWriteProcessed', actions: ['s3:GetObject', 's3:PutObject'], resources: [`${processedArn}/${KEY_PREFIXES.processed}*`] },
        {
          sid: 'ReadWriteImageMetadata',
          actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:GetItem', 'dynamodb:Query'],
          resources: [table.arn, ...indexArns],
        },
        publish,
        { sid: 'EnqueueUrlImports', actions: ['sqs:SendMessage'], resources: [deps.importQueue.arn] },
        kms,
        ...readWatermarks,
      ],
    });

    // Credentials are checked at the gateway now: only the authorizer reads the key secret.
    this.authorizer = this.createFunction('authorizer', 'authorizer', props.lambda.authorizer, {
      environment: {
        ...common,
        [ENV.apiKeySecretId]: deps.apiKeySecret.arn,
        [ENV.cognitoUserPoolId]: deps.signIn.userPool.id,
        [ENV.cognitoUserPoolClientId]: deps.signIn.client.id,
        [ENV.authorizerCacheTtlSeconds]: String(props.api.authorizerResultTtlSeconds),
      },
      statements: [
        { sid: 'ReadApiKeys', actions: ['secretsmanager:GetSecretValue'], resources: [deps.apiKeySecret.arn] },
        // The key secret is encrypted with the project key.
        { sid: 'DecryptApiKeys', actions: ['kms:Decrypt'], resources: [key.arn] },
      ],
    });

    this.uploadFailures = new SqsQueue(this, 'upload-failures', {
      name: `${props.names.functionPrefix}-upload-failures`,
      kmsMasterKeyId: key.arn,
      messageRetentionSeconds: 14 * 86_400,
      tags: props.tags,
    });
    this.uploadHandler = this.createFunction('uploadHandler', 'upload-handler', props.lambda.uploadHandler, {
      environment: common,
      statements: [
        { sid: 'ConsumeIncoming', actions: ['s3:GetObject', 's3:DeleteObject'], resources: [`${rawArn}/${KEY_PREFIXES.incoming}*`] },
        { sid: 'WriteRaw', actions: ['s3:PutObject', 's3:GetObject'], resources: [`${rawArn}/${KEY_PREFIXES.raw}*`] },
        { sid: 'WriteProcessed', actions: ['s3:PutObject'], resources: [`${processedArn}/${KEY_PREFIXES.processed}*`] },
        tableWrites,
        publish,
        kms,
        // The on-failure destination is written with the function's own role.
        { sid: 'KeepFailedUploadEvents', actions: ['sqs:SendMessage'], resources: [this.uploadFailures.arn] },
        ...readWatermarks,
      ],
    });
    // S3 invokes asynchronously: after Lambda's retries an event that still fails (only
    // retriable dependency failures throw) is kept with its error instead of being dropped.
    new LambdaFunctionEventInvokeConfig(this, 'upload-handler-on-failure', {
      functionName: this.uploadHandler.fn.functionName,
      maximumRetryAttempts: 2,
      maximumEventAgeInSeconds: 6 * 3600,
      destinationConfig: { onFailure: { destination: this.uploadFailures.arn } },
    });

    // Reads the index and the raw objects, writes variants and conditional transitions; never
    // creates a record (no PutItem) and never touches incoming/ or another index.
    this.reconciler = this.createFunction('reconciler', 'reconciler', props.lambda.reconciler, {
      environment: { ...common, [ENV.reconcileReceivedAfterSeconds]: String(reconcileReceivedAfterSeconds(props)) },
      statements: [
        { sid: 'ReadRaw', actions: ['s3:GetObject'], resources: [`${rawArn}/${KEY_PREFIXES.raw}*`] },
        { sid: 'WriteProcessed', actions: ['s3:PutObject'], resources: [`${processedArn}/${KEY_PREFIXES.processed}*`] },
        { sid: 'TransitionImageMetadata', actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], resources: [table.arn] },
        { sid: 'ReadStatusIndex', actions: ['dynamodb:Query'], resources: [`${table.arn}/index/${TABLE_SCHEMA.statusIndex.name}`] },
        publish,
        kms,
        ...readWatermarks,
      ],
    });

    const extraSources = props.storage.extraSourceBuckets;
    const clusterArn = deps.cluster.arn;
    this.streamConsumer = this.createFunction('streamConsumer', 'stream-consumer', props.lambda.streamConsumer, {
      environment: {
        ...common,
        [ENV.kafkaBrokers]: deps.cluster.bootstrapBrokersSaslScram,
        [ENV.kafkaSsl]: 'true',
        [ENV.kafkaSecretId]: deps.kafkaSecret.arn,
        [ENV.imageTopic]: props.names.imageTopic,
        [ENV.deadLetterTopic]: props.names.deadLetterTopic,
        [ENV.consumerGroupId]: props.names.consumerGroupId,
        [ENV.allowedSourceBuckets]: [raw.bucket.bucket, ...extraSources].join(','),
        [ENV.recordTimeBudgetMs]: String(props.stream.recordTimeBudgetSeconds * 1000),
      },
      statements: [
        { sid: 'WriteRaw', actions: ['s3:PutObject', 's3:GetObject'], resources: [`${rawArn}/${KEY_PREFIXES.raw}*`] },
        { sid: 'WriteProcessed', actions: ['s3:PutObject'], resources: [`${processedArn}/${KEY_PREFIXES.processed}*`] },
        // S3-reference events may read only claim checks (the consumer narrows further to the
        // event's customer, core/sources/source-policy.ts) and the source buckets named in config.
        {
          sid: 'ReadClaimChecks',
          actions: ['s3:GetObject'],
          resources: [`${rawArn}/${KEY_PREFIXES.claims}*`, ...extraSources.map((b) => `arn:${ctx.partition}:s3:::${b}/*`)],
        },
        tableWrites,
        publish,
        // Used by the event source mapping (SASL/SCRAM) and by the dead-letter producer.
        { sid: 'ReadKafkaCredentials', actions: ['secretsmanager:GetSecretValue'], resources: [deps.kafkaSecret.arn] },
        kms,
        { sid: 'DescribeCluster', actions: ['kafka:DescribeCluster', 'kafka:DescribeClusterV2', 'kafka:GetBootstrapBrokers'], resources: [clusterArn] },
        // Lambda's VPC and MSK-poller ENIs: these EC2 actions have no resource-level permissions.
        { sid: 'ManageVpcNetworkInterfaces', actions: [...ENI_ACTIONS], resources: ['*'] },
        // The event source mapping's on-failure destination writes whole failed batches here.
        { sid: 'WriteFailedBatches', actions: ['s3:PutObject', 's3:ListBucket'], resources: [failedBatches.bucket.arn, `${failedBatches.bucket.arn}/*`] },
        // Writer schemas of Glue-framed records (the function decodes them), or the mapping's own
        // schema validation in registry mode: both read through this role.
        {
          sid: 'ReadGlueSchemas',
          actions: ['glue:GetSchemaVersion', 'glue:GetRegistry'],
          resources: [`arn:${ctx.partition}:glue:${ctx.region}:${ctx.accountId}:registry/*`, `arn:${ctx.partition}:glue:${ctx.region}:${ctx.accountId}:schema/*`],
        },
        ...readWatermarks,
      ],
      vpc: { subnetIds: deps.network.privateSubnets.map((s) => s.id), securityGroupIds: [deps.network.consumerSecurityGroup.id] },
    });

    // S3 -> upload handler for objects uploaded through presigned POSTs.
    const s3Invoke = new LambdaPermission(this, 'raw-bucket-invokes-upload-handler', {
      action: 'lambda:InvokeFunction',
      functionName: this.uploadHandler.fn.functionName,
      principal: 's3.amazonaws.com',
      sourceArn: rawArn,
      sourceAccount: ctx.accountId,
    });
    new S3BucketNotification(this, 'raw-incoming-notification', {
      bucket: raw.bucket.id,
      lambdaFunction: [{ lambdaFunctionArn: this.uploadHandler.fn.arn, events: ['s3:ObjectCreated:*'], filterPrefix: KEY_PREFIXES.incoming }],
      dependsOn: [s3Invoke, raw.policy],
    });

    const s = props.stream;
    this.eventSourceMapping = new LambdaEventSourceMapping(this, 'msk-to-stream-consumer', {
      functionName: this.streamConsumer.fn.arn,
      eventSourceArn: clusterArn,
      topics: [props.names.imageTopic],
      batchSize: s.batchSize,
      maximumBatchingWindowInSeconds: s.batchingWindowSeconds,
      startingPosition: s.startingPosition,
      sourceAccessConfiguration: [{ type: 'SASL_SCRAM_512_AUTH', uri: deps.kafkaSecret.arn }],
      amazonManagedKafkaEventSourceConfig: {
        consumerGroupId: props.names.consumerGroupId,
        // Registry mode (provisioned pollers only): the mapping decodes Glue-framed values and hands
        // JSON with valueSchemaMetadata, which the handler validates against the image event schema.
        ...(s.schemaDecoding.mode === 'event-source-mapping'
          ? {
              schemaRegistryConfig: {
                schemaRegistryUri: s.schemaDecoding.glueRegistryArn,
                eventRecordFormat: 'JSON',
                schemaValidationConfig: [{ attribute: 'VALUE' }],
              },
            }
          : {}),
      },
      // Kafka ESMs accept retry/bisect/partial-batch/destination settings only in provisioned mode.
      provisionedPollerConfig: { minimumPollers: s.minimumPollers, maximumPollers: s.maximumPollers },
      maximumRetryAttempts: s.maximumRetryAttempts,
      maximumRecordAgeInSeconds: s.maximumRecordAgeSeconds,
      bisectBatchOnFunctionError: true,
      functionResponseTypes: ['ReportBatchItemFailures'],
      // S3 keeps the whole failed invocation record (SNS/SQS get metadata only). Provider 6 accepts a
      // `kafka://` topic here, but the dead-letter topic carries only records our handler wrote, with
      // its reason headers; see docs/aws-deployment.md ("On-failure destination") for the choice.
      destinationConfig: { onFailure: { destinationArn: failedBatches.bucket.arn } },
      dependsOn: [this.streamConsumer.role],
    });
  }

  /**
   * One function with its own least-privilege role (its own logs, X-Ray, then `spec.statements`),
   * log group, tracing and the shared settings; every Lambda of the stack is made here.
   */
  createFunction(
    name: LambdaName,
    shortName: string,
    sizing: FunctionSizing,
    spec: { environment: Record<string, string>; statements: AllowStatement[]; vpc?: { subnetIds: string[]; securityGroupIds: string[] } },
  ): PipelineFunction {
    const { props } = this.ctx;
    const functionName = `${props.names.functionPrefix}-${shortName}`;
    const logGroup = new CloudwatchLogGroup(this, `${shortName}-logs`, {
      name: `/aws/lambda/${functionName}`,
      retentionInDays: props.lambda.logRetentionDays,
      tags: props.tags,
    });
    const role = new IamRole(this, `${shortName}-role`, {
      name: `${functionName}-${this.ctx.region}`,
      assumeRolePolicy: assumeRolePolicy('lambda.amazonaws.com'),
      tags: props.tags,
    });
    const policy = new IamRolePolicy(this, `${shortName}-policy`, {
      role: role.id,
      name: 'least-privilege',
      policy: policyDocument([
        // The log group is created here, so the function only writes streams into its own group.
        { sid: 'WriteOwnLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [`${logGroup.arn}:*`] },
        // Active tracing: Lambda and the Powertools Tracer send segments to X-Ray (docs/tracing.md).
        { sid: 'WriteTraces', actions: [...XRAY_WRITE_ACTIONS], resources: ['*'] },
        ...spec.statements,
      ]),
    });

    const code = this.packageCode(name);
    const fn = new LambdaFunction(this, shortName, {
      functionName,
      role: role.arn,
      runtime: props.lambda.runtime,
      architectures: [props.lambda.architecture],
      handler: code.handler,
      filename: code.asset.path,
      sourceCodeHash: Fn.filebase64sha256(code.asset.path),
      memorySize: sizing.memoryMb,
      timeout: sizing.timeoutSeconds,
      reservedConcurrentExecutions: sizing.reservedConcurrency,
      // Environment variables (secret ARNs, broker list) encrypted at rest with the project key.
      kmsKeyArn: this.keyArn,
      // Every function traces: Lambda's segment plus the Tracer's subsegments (docs/tracing.md).
      environment: { variables: { ...spec.environment, [ENV.tracingEnabled]: 'true' } },
      tracingConfig: { mode: 'Active' },
      loggingConfig: { logFormat: 'JSON', logGroup: logGroup.name },
      vpcConfig: spec.vpc,
      tags: props.tags,
      dependsOn: [policy, logGroup],
    });
    return { fn, role, logGroup, sizing };
  }

  private packageCode(name: LambdaName): { asset: TerraformAsset; handler: string } {
    const { props } = this.ctx;
    const projectRoot = props.bundling.projectRoot ?? findProjectRoot();
    const bundle =
      props.bundling.mode === 'skip'
        ? placeholderBundle(join(projectRoot, 'cdktf', 'assets'), name)
        : bundleLambda({ name, architecture: props.lambda.architecture, projectRoot });
    if (props.bundling.mode === 'skip') {
      Annotations.of(TerraformStack.of(this)).addWarning(`Bundling skipped for ${name}: this stack is not deployable.`);
    }
    const asset = new TerraformAsset(this, `${name}-code`, { path: bundle.directory, type: AssetType.ARCHIVE });
    return { asset, handler: bundle.handler };
  }
}
