import { AUTHORIZER_CACHE_TTL_RANGE, DEFAULT_FETCH_DEADLINE_MS, DEFAULT_STATUS_SHARDS, defaultRecordTimeBudgetMs, parseCorsOrigins } from '../core/config';
import { DEFAULT_NAMES, ENV } from '../core/config/env';
import { MAX_STATUS_SHARDS } from '../core/constants';
import { ConfigError, invalidParameterError } from '../core/errors';
import { DEFAULT_VARIANTS, formatVariantList, parseVariantList, type VariantSpec } from '../core/image/variants';
import { parseWatermarkConfig, type WatermarkConfig } from '../core/image/watermark-settings';
import { checkLimitValue, DEFAULT_CUSTOMER_LIMITS, parseCustomerLimits, type CustomerLimits, type LimitsConfig } from '../core/limits/settings';

/**
 * Per-customer limits of a deployment, the same shape and numbers as the runtime's
 * `CUSTOMER_RATE_LIMIT` / `CUSTOMER_BURST_LIMIT` / `CUSTOMER_DAILY_QUOTA` / `CUSTOMER_LIMITS`.
 */
export interface CustomerLimitsProps {
  /** Every customer without an override: the default usage plan. @default DEFAULT_CUSTOMER_LIMITS (20/s, burst 40, 10,000 a day) */
  default: CustomerLimits;
  /** customerId → its own numbers (members left out take the default's): one usage plan + API key each. @default {} */
  customers: Readonly<Record<string, Partial<CustomerLimits>>>;
}

/** The watermark settings of a deployment: `WATERMARK` and `WATERMARK_CUSTOMERS` as objects. */
export interface WatermarkProps {
  /** The deployment's watermark (the `WATERMARK` object). @default undefined (none) */
  deployment?: Record<string, unknown>;
  /** customerId → override object, or `null` for none (the `WATERMARK_CUSTOMERS` object). @default undefined */
  customers?: Record<string, Record<string, unknown> | null>;
}

/**
 * Most characters the two watermark variables may take: Lambda allows 4 KB of environment
 * variables per function in all (AWS Lambda quotas), shared with every other setting; a larger
 * mark belongs in S3.
 */
export const MAX_WATERMARK_ENV_CHARS = 2048;

/** CPU architecture of the Lambdas; also decides which sharp Linux binary goes into the bundles. */
export type LambdaArchitecture = 'arm64' | 'x86_64';

/** Where a new consumer group starts reading the image topic. */
export type StartingPosition = 'TRIM_HORIZON' | 'LATEST';

/** Size and concurrency of one Lambda function. */
export interface FunctionSizing {
  /** @default 1024 */
  memoryMb: number;
  /** @default 29 for the API functions, 300 for the stream consumer */
  timeoutSeconds: number;
  /** Reserved concurrency; `undefined` leaves the function on the account's unreserved pool. */
  reservedConcurrency?: number;
}

/** Resource names; every default derives from `DEFAULT_NAMES` plus the environment. */
export interface PipelineNames {
  rawBucket: string;
  processedBucket: string;
  /** Where the MSK event source mapping writes whole failed batches (its on-failure destination). */
  failedBatchesBucket: string;
  /** Metadata change records for Athena/QuickSight, and Athena query results. */
  analyticsBucket: string;
  imagesTable: string;
  notificationTopic: string;
  alarmTopic: string;
  apiKeySecret: string;
  /** Must start with `AmazonMSK_`: MSK only associates secrets with that prefix. */
  kafkaSecret: string;
  kafkaUsername: string;
  imageTopic: string;
  deadLetterTopic: string;
  consumerGroupId: string;
  cluster: string;
  api: string;
  functionPrefix: string;
  /** The Cognito user pool of sign-in tokens, and its app client (docs/authentication.md). */
  userPool: string;
  userPoolClient: string;
}

/** Everything an environment's stack needs. Build it with {@link resolveStackProps}. */
export interface PipelineStackProps {
  /** Short environment name (`dev`, `prod`, ...): suffix of every resource name. */
  environment: string;
  /** @default 'us-east-1' */
  region: string;
  names: PipelineNames;
  tags: Record<string, string>;
  network: {
    /** @default '10.40.0.0/16' */
    vpcCidr: string;
    /** Private + public subnet pairs, one per AZ. @default 3 */
    availabilityZoneCount: number;
    /** NAT gateways (1 or one per AZ): the VPC Lambda and the MSK pollers reach AWS APIs and HTTPS sources through them. */
    natGateways: number;
  };
  storage: {
    /** Raw and processed objects expire after this many days, matching the metadata TTL. @default 7 */
    objectExpirationDays: number;
    /** @default 14 */
    failedBatchRetentionDays: number;
    /** Buckets (besides the raw bucket) that S3-reference events may point at. @default [] */
    extraSourceBuckets: string[];
    /** Lets `terraform destroy` delete non-empty buckets. @default true in dev, false in prod */
    forceDestroy: boolean;
  };
  images: {
    /**
     * The processed copies every function makes, passed to the Lambdas as `IMAGE_VARIANTS`
     * (JSON). `undefined` leaves the variable unset, so the runtime uses `DEFAULT_VARIANTS`.
     * Checked at synth by the runtime's own validator. Each variant is one more PUT per image:
     * re-run `make capacity` (`measured.processedPuts`) when the count changes.
     * @default undefined (thumbnail, medium, large, large-webp)
     */
    variants: readonly VariantSpec[] | undefined;
    /**
     * The optional watermark, passed to the rendering Lambdas as `WATERMARK` and
     * `WATERMARK_CUSTOMERS` (the JSON objects of docs/watermarks.md) and checked at synth by the
     * runtime's own parser. Images must be `s3://` objects (each rendering role gets
     * `s3:GetObject` on exactly those objects) or data URLs: a file path on the synth machine
     * is not in the bundle. Both values together stay within {@link MAX_WATERMARK_ENV_CHARS}.
     * @default undefined (no watermark)
     */
    watermark?: WatermarkProps;
  };
  data: {
    /** @default false in dev, true in prod */
    deletionProtection: boolean;
    /**
     * Write shards of the `byStatusDay` index key, passed to the Lambdas as `STATUS_INDEX_SHARDS`.
     * Raise it, never lower it within the 7-day TTL. @default 32 (`make capacity`: 5,000 images/s peak)
     */
    statusIndexShards: number;
    /**
     * On-demand warm throughput (write units/s) for the table and each GSI, so a peak above twice
     * the previous one is not throttled while DynamoDB scales. `undefined` = none.
     * @default undefined in dev, 32000 in prod (`make capacity`: 5,000 images/s × 6 WCU on byStatusDay)
     */
    warmWriteUnitsPerSecond?: number;
  };
  msk: {
    /** @default '4.1.x.kraft' (KRaft metadata, no ZooKeeper; the local stack runs Apache Kafka 4.1.2) */
    kafkaVersion: string;
    /** @default 'kafka.t3.small' in dev, 'kafka.m7g.large' in prod */
    instanceType: string;
    /** At least 3 (replication factor 3) and a multiple of the AZ count. @default 3 */
    brokerCount: number;
    /** @default 20 in dev, 500 in prod */
    volumeSizeGb: number;
    /** One concurrent stream invocation per partition. @default 3 in dev, 180 in prod (`make capacity`) */
    imageTopicPartitions: number;
    /** @default 3 */
    deadLetterTopicPartitions: number;
    /** @default 7 in dev, 30 in prod */
    brokerLogRetentionDays: number;
  };
  lambda: {
    /** @default 'arm64' */
    architecture: LambdaArchitecture;
    /** @default 'nodejs24.x' (Node.js 24 LTS; `nodejs22.x` is deprecated on 2027-04-30) */
    runtime: string;
    /** @default 14 in dev, 90 in prod */
    logRetentionDays: number;
    /** @default 'INFO' */
    logLevel: string;
    ingestApi: FunctionSizing;
    uploadHandler: FunctionSizing;
    streamConsumer: FunctionSizing;
    /** @default 1024 MB, 300 s, unreserved */
    reconciler: FunctionSizing;
    /** The API's REQUEST authorizer (authorizer/handler.ts). @default 512 MB, 10 s, unreserved */
    authorizer: FunctionSizing;
    /**
     * The URL import worker: one attempt's fetch deadline (FETCH_DEADLINE_MS, 30 s) plus processing
     * for a batch of `urlImport.batchSize` images side by side. @default 2048 MB, 90 s, unreserved
     */
    importWorker: FunctionSizing;
  };
  /** URL imports: the API → SQS → import worker hand-off (cdktf/constructs/url-import.ts). */
  urlImport: {
    /** Messages per worker invocation (processed side by side). @default 4 */
    batchSize: number;
    /**
     * Receives before SQS moves a message to the dead-letter queue. Only dependency failures
     * (S3, DynamoDB, SNS) are retried through the queue; a failing source is final at once. @default 5
     */
    maxReceiveCount: number;
    /** How long the DLQ keeps a message (its maximum). @default 14 days (1209600 s) */
    deadLetterRetentionSeconds: number;
  };
  /** The scheduled reconciler (core/reconciler.ts). */
  reconcile: {
    /** EventBridge Scheduler expression. @default 'rate(15 minutes)' */
    scheduleExpression: string;
    /**
     * Age after which a RECEIVED record is finished or failed. @default the stream path's retry
     * window — (stream.maximumRetryAttempts + 1) × lambda.streamConsumer.timeoutSeconds — plus 300 s
     * (see {@link reconcileReceivedAfterSeconds})
     */
    receivedAfterSeconds?: number;
  };
  stream: {
    /** @default 100 */
    batchSize: number;
    /** @default 1 */
    batchingWindowSeconds: number;
    /** TRIM_HORIZON: a new consumer group does not skip events published before it existed. @default 'TRIM_HORIZON' */
    startingPosition: StartingPosition;
    /**
     * Finite on purpose: the AWS default (-1) retries a failing batch forever and stalls the
     * partition. 10 rides out a short dependency outage; after that the batch goes to the
     * failed-batch bucket (whole records, replayable) and the partition moves on. @default 10
     */
    maximumRetryAttempts: number;
    /** -1 = no age limit; the retry count already bounds the stall. @default -1 */
    maximumRecordAgeSeconds: number;
    /** Provisioned-mode pollers: Kafka retry/bisect/partial-batch/destination controls need provisioned mode. @default 1 in dev, 36 in prod */
    minimumPollers: number;
    /** One poller drives up to 5 concurrent invocations and ~5 MB/s. @default 3 in dev, 36 in prod */
    maximumPollers: number;
    /**
     * Who decodes registry-framed records (see docs/aws-deployment.md, "Schema registry framing").
     * `function`: the consumer reads single-object, Glue and Confluent framing itself and fetches
     * Glue writer schemas with `glue:GetSchemaVersion` (cached per container). `event-source-mapping`:
     * the mapping validates records against the Glue registry `glueRegistryArn` and hands the
     * function JSON (`EventRecordFormat: JSON`); records it cannot decode never reach the function.
     * @default { mode: 'function' }
     */
    schemaDecoding: { mode: 'function' } | { mode: 'event-source-mapping'; glueRegistryArn: string };
    /**
     * The stream function starts a record only while its invocation has at least this long left
     * (`STREAM_RECORD_TIME_BUDGET_MS`); the records it did not start are returned as batch item
     * failures and delivered again, instead of the whole batch dying at the timeout. Must be
     * shorter than `lambda.streamConsumer.timeoutSeconds` (synth refuses otherwise).
     * @default 90 (the 30 s download deadline + 60 s, `defaultRecordTimeBudgetMs` in core/config)
     */
    recordTimeBudgetSeconds: number;
  };
  api: {
    /** Stage name; the routes carry their own `/v1` prefix. @default the environment name */
    stageName: string;
    /**
     * Steady-state requests per second for the whole stage, all customers together: the
     * account-protection ceiling above the per-customer usage plans (docs/limits.md).
     * @default 50 in dev, 5000 in prod
     */
    throttleRateLimit: number;
    /** @default 100 in dev, 5000 in prod (the account's burst bucket) */
    throttleBurstLimit: number;
    /**
     * Per-customer rate, burst and daily quota: the default usage plan, and one plan (with the
     * customer's API key) per override. Checked at synth by the runtime's own parser; no plan may
     * exceed the stage throttle, which would cap it anyway.
     * @default { default: DEFAULT_CUSTOMER_LIMITS, customers: {} }
     */
    customerLimits: CustomerLimitsProps;
    /**
     * Whether this stack owns the account-wide API Gateway CloudWatch role (needed for access logs).
     * Turn off when another stack in the account already sets it. @default true
     */
    manageAccountLoggingRole: boolean;
    /**
     * Browser origins allowed to call the API and to post presigned uploads to the raw bucket
     * (`https://app.example.com`, or `*` alone). Goes to the ingest Lambda's
     * `CORS_ALLOWED_ORIGINS`, the gateway responses and the raw bucket's CORS rule, so the three
     * agree. Empty = no browser access. @default []
     */
    corsAllowedOrigins: string[];
    /** `Access-Control-Allow-Credentials: true`; refused with `*`. @default false */
    corsAllowCredentials: boolean;
    /**
     * Seconds API Gateway reuses the REQUEST authorizer's answer per `Authorization` value
     * (0–3600). A revoked API key keeps working up to this long (docs/authentication.md).
     * @default 300
     */
    authorizerResultTtlSeconds: number;
    /** Lifetime of an ID token issued to the app client, in minutes (Cognito: 5–1440). @default 60 */
    idTokenValidityMinutes: number;
  };
  notifications: {
    /** Receives `image.failed` notifications (filtered by the `type` attribute). @default undefined */
    failureEmail?: string;
    /** Receives CloudWatch alarms on the ops topic. @default undefined */
    alarmEmail?: string;
    /** Create an SQS queue subscribed (raw delivery) to every notification. @default true */
    createQueue: boolean;
    /**
     * Make the notification topic (and the queue) FIFO: SNS then drops a re-published
     * notification (same `notificationId`, the `MessageDeduplicationId`) within its 5-minute
     * deduplication interval. FIFO topics deliver only to SQS queues, so no email subscription
     * (`failureEmail` is refused), and the names end in `.fifo` (docs/notifications.md).
     * @default false
     */
    fifo: boolean;
  };
  alarms: {
    /** Lambda `Errors` sum per 5 minutes at or above which an alarm fires. @default 1 */
    errorThreshold: number;
    /** @default 1 */
    throttleThreshold: number;
    /** p99 duration alarm threshold as a fraction of the function timeout. @default 0.8 */
    durationP99FractionOfTimeout: number;
    /** Max `OffsetLag` (records) of the stream consumer before alarming. @default 10000 in dev, 1000 in prod */
    offsetLagThreshold: number;
    /** @default 3 */
    evaluationPeriods: number;
  };
  analytics: {
    /** Glue/Athena over the metadata change stream. @default true */
    enabled: boolean;
    /** @default 90 in dev, 400 in prod */
    retentionDays: number;
    /** QuickSight data source + data set; `undefined` skips QuickSight (accounts without it). */
    quicksight?: {
      /** QuickSight user or group ARN granted on the data source and data set. */
      principalArn: string;
      /** @default 'aws-quicksight-service-role-v0' */
      serviceRoleName: string;
    };
  };
  bundling: {
    /**
     * `esbuild` builds the real bundles. `skip` packs a placeholder instead: only for the tests that
     * assert infrastructure guarantees and must not depend on handler code or the npm registry.
     * Deliberately not settable from the environment, so `make synth` always bundles; a stack
     * synthesised with `skip` is not deployable and carries a warning annotation.
     * @default 'esbuild'
     */
    mode: 'esbuild' | 'skip';
    /** Checkout holding the handler sources and node_modules. @default the repository this app lives in */
    projectRoot?: string;
  };
}

/** Partial overrides accepted by {@link resolveStackProps}: any leaf may be left out. */
export type PipelineStackOverrides = {
  [K in keyof PipelineStackProps]?: PipelineStackProps[K] extends Record<string, unknown>
    ? Partial<PipelineStackProps[K]>
    : PipelineStackProps[K];
};

/** Environment variables the infrastructure app reads (never the Lambdas). `<ENV>` = upper-cased environment. */
export const INFRA_ENV = {
  environments: 'PIPELINE_ENVIRONMENTS',
  region: 'PIPELINE_REGION',
  failureEmail: 'PIPELINE_FAILURE_EMAIL',
  notificationFifo: 'PIPELINE_NOTIFICATION_FIFO',
  alarmEmail: 'PIPELINE_ALARM_EMAIL',
  lambdaArchitecture: 'PIPELINE_LAMBDA_ARCHITECTURE',
  mskInstanceType: 'PIPELINE_MSK_INSTANCE_TYPE',
  mskBrokerCount: 'PIPELINE_MSK_BROKER_COUNT',
  mskVolumeSizeGb: 'PIPELINE_MSK_VOLUME_SIZE_GB',
  availabilityZoneCount: 'PIPELINE_AZ_COUNT',
  offsetLagThreshold: 'PIPELINE_ALARM_OFFSET_LAG',
  errorThreshold: 'PIPELINE_ALARM_ERRORS',
  quicksightPrincipalArn: 'PIPELINE_QUICKSIGHT_PRINCIPAL_ARN',
  esmGlueRegistryArn: 'PIPELINE_ESM_GLUE_REGISTRY_ARN',
  // The runtime's own names with the infra prefix, so `PIPELINE_PROD_CORS_ALLOWED_ORIGINS` works too.
  corsAllowedOrigins: `PIPELINE_${ENV.corsAllowedOrigins}`,
  corsAllowCredentials: `PIPELINE_${ENV.corsAllowCredentials}`,
  imageVariants: `PIPELINE_${ENV.imageVariants}`,
  watermark: `PIPELINE_${ENV.watermark}`,
  watermarkCustomers: `PIPELINE_${ENV.watermarkCustomers}`,
  customerRateLimit: `PIPELINE_${ENV.customerRateLimit}`,
  customerBurstLimit: `PIPELINE_${ENV.customerBurstLimit}`,
  customerDailyQuota: `PIPELINE_${ENV.customerDailyQuota}`,
  customerLimits: `PIPELINE_${ENV.customerLimits}`,
} as const;

const KAFKA_SECRET_PREFIX = 'AmazonMSK_';

function sizing(memoryMb: number, timeoutSeconds: number, reservedConcurrency?: number): FunctionSizing {
  return { memoryMb, timeoutSeconds, reservedConcurrency };
}

/** Per-environment differences: sizes and retention only. */
const SIZE_PRESETS = {
  dev: {
    forceDestroy: true,
    deletionProtection: false,
    instanceType: 'kafka.t3.small',
    volumeSizeGb: 20,
    imageTopicPartitions: 3,
    brokerLogRetentionDays: 7,
    logRetentionDays: 14,
    natGateways: 1,
    minimumPollers: 1,
    maximumPollers: 3,
    streamMemoryMb: 1024,
    throttleRateLimit: 50,
    throttleBurstLimit: 100,
    offsetLagThreshold: 10_000,
    analyticsRetentionDays: 90,
    // Unreserved in dev: new accounts have too little concurrency to reserve any (AWS keeps 10 unreserved).
    reserved: { ingestApi: undefined, uploadHandler: undefined, streamConsumer: undefined },
    warmWriteUnitsPerSecond: undefined,
  },
  prod: {
    forceDestroy: false,
    deletionProtection: true,
    instanceType: 'kafka.m7g.large',
    volumeSizeGb: 500,
    // Sized by `make capacity` for 1,000 images/s sustained and 5,000/s for a minute (docs/capacity.md):
    // 175 partitions at 2 vCPUs and 4 records per invocation, rounded up to a multiple of 3 brokers.
    imageTopicPartitions: 180,
    brokerLogRetentionDays: 30,
    logRetentionDays: 90,
    natGateways: 3,
    // One poller drives up to 5 concurrent invocations: 180 partitions need 36 all the time.
    minimumPollers: 36,
    maximumPollers: 36,
    streamMemoryMb: 3538,
    throttleRateLimit: 5000,
    throttleBurstLimit: 5000,
    offsetLagThreshold: 1_000,
    analyticsRetentionDays: 400,
    // The REST peak needs 2,685 concurrent at 537 ms per image: raise the account's concurrency
    // quota (default 1,000) to at least 3,100 before applying prod.
    reserved: { ingestApi: 2700, uploadHandler: 50, streamConsumer: 180 },
    warmWriteUnitsPerSecond: 30_000,
  },
} as const;

/** Default names for an environment, derived from the runtime's `DEFAULT_NAMES` so infra and code agree. */
export function defaultNames(environment: string): PipelineNames {
  const suffix = `-${environment}`;
  return {
    rawBucket: DEFAULT_NAMES.rawBucket + suffix,
    processedBucket: DEFAULT_NAMES.processedBucket + suffix,
    failedBatchesBucket: `image-pipeline-failed-batches${suffix}`,
    analyticsBucket: `image-pipeline-analytics${suffix}`,
    imagesTable: DEFAULT_NAMES.imagesTable + suffix,
    notificationTopic: DEFAULT_NAMES.snsTopic + suffix,
    alarmTopic: `image-pipeline-alarms${suffix}`,
    apiKeySecret: DEFAULT_NAMES.apiKeySecret + suffix,
    kafkaSecret: DEFAULT_NAMES.kafkaSecret + suffix,
    kafkaUsername: 'image-pipeline',
    // Topics and the group live in a per-environment cluster, so they keep the runtime's names.
    imageTopic: DEFAULT_NAMES.imageTopic,
    deadLetterTopic: DEFAULT_NAMES.deadLetterTopic,
    consumerGroupId: DEFAULT_NAMES.consumerGroupId,
    cluster: `image-pipeline${suffix}`,
    api: `image-pipeline${suffix}`,
    functionPrefix: `image-pipeline${suffix}`,
    userPool: DEFAULT_NAMES.userPool + suffix,
    userPoolClient: DEFAULT_NAMES.userPoolClient + suffix,
  };
}

/**
 * Builds complete, validated stack props for an environment: the preset for its size class
 * (`prod` for `prod`, `dev` for everything else), then `overrides` on top.
 *
 * @throws InvalidParameterError when a value breaks an AWS or durability constraint
 *   (e.g. fewer than 3 brokers, broker count not a multiple of the AZ count, a secret name
 *   without the `AmazonMSK_` prefix, an API timeout above API Gateway's 29 s).
 * @example
 * const props = resolveStackProps('dev', { notifications: { failureEmail: 'ops@example.com' } });
 */
export function resolveStackProps(environment: string, overrides: PipelineStackOverrides = {}): PipelineStackProps {
  if (!/^[a-z][a-z0-9]{0,9}$/.test(environment)) {
    throw invalidParameterError('environment', 'a short lower-case name like "dev" or "prod"', environment);
  }
  const preset = environment === 'prod' ? SIZE_PRESETS.prod : SIZE_PRESETS.dev;
  const base: PipelineStackProps = {
    environment,
    region: 'us-east-1',
    names: defaultNames(environment),
    tags: { project: 'image-pipeline', environment },
    network: { vpcCidr: '10.40.0.0/16', availabilityZoneCount: 3, natGateways: preset.natGateways },
    storage: { objectExpirationDays: 7, failedBatchRetentionDays: 14, extraSourceBuckets: [], forceDestroy: preset.forceDestroy },
    images: { variants: undefined },
    data: { deletionProtection: preset.deletionProtection, statusIndexShards: DEFAULT_STATUS_SHARDS, warmWriteUnitsPerSecond: preset.warmWriteUnitsPerSecond },
    msk: {
      kafkaVersion: '4.1.x.kraft',
      instanceType: preset.instanceType,
      brokerCount: 3,
      volumeSizeGb: preset.volumeSizeGb,
      imageTopicPartitions: preset.imageTopicPartitions,
      deadLetterTopicPartitions: 3,
      brokerLogRetentionDays: preset.brokerLogRetentionDays,
    },
    lambda: {
      architecture: 'arm64',
      runtime: 'nodejs24.x',
      logRetentionDays: preset.logRetentionDays,
      logLevel: 'INFO',
      ingestApi: sizing(1024, 29, preset.reserved.ingestApi),
      uploadHandler: sizing(1024, 29, preset.reserved.uploadHandler),
      streamConsumer: sizing(preset.streamMemoryMb, 300, preset.reserved.streamConsumer),
      reconciler: sizing(1024, 300),
      authorizer: sizing(512, 10),
      importWorker: sizing(2048, 90),
    },
    urlImport: { batchSize: 4, maxReceiveCount: 5, deadLetterRetentionSeconds: 14 * 86_400 },
    reconcile: { scheduleExpression: 'rate(15 minutes)' },
    stream: {
      batchSize: 100,
      batchingWindowSeconds: 1,
      startingPosition: 'TRIM_HORIZON',
      maximumRetryAttempts: 10,
      maximumRecordAgeSeconds: -1,
      minimumPollers: preset.minimumPollers,
      maximumPollers: preset.maximumPollers,
      schemaDecoding: { mode: 'function' },
      recordTimeBudgetSeconds: defaultRecordTimeBudgetMs(DEFAULT_FETCH_DEADLINE_MS) / 1000,
    },
    api: {
      stageName: environment,
      throttleRateLimit: preset.throttleRateLimit,
      throttleBurstLimit: preset.throttleBurstLimit,
      customerLimits: { default: { ...DEFAULT_CUSTOMER_LIMITS }, customers: {} },
      manageAccountLoggingRole: true,
      corsAllowedOrigins: [],
      corsAllowCredentials: false,
      authorizerResultTtlSeconds: AUTHORIZER_CACHE_TTL_RANGE.default,
      idTokenValidityMinutes: 60,
    },
    notifications: { failureEmail: undefined, alarmEmail: undefined, createQueue: true, fifo: false },
    alarms: {
      errorThreshold: 1,
      throttleThreshold: 1,
      durationP99FractionOfTimeout: 0.8,
      offsetLagThreshold: preset.offsetLagThreshold,
      evaluationPeriods: 3,
    },
    analytics: { enabled: true, retentionDays: preset.analyticsRetentionDays, quicksight: undefined },
    bundling: { mode: 'esbuild' },
  };
  const merged = mergeOverrides(base, overrides);
  validateStackProps(merged);
  return merged;
}

function mergeOverrides(base: PipelineStackProps, overrides: PipelineStackOverrides): PipelineStackProps {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(overrides)) {
    if (value === undefined) continue;
    const current = out[key];
    const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
    out[key] = isPlainObject(current) && isPlainObject(value) ? { ...current, ...value } : value;
  }
  return out as unknown as PipelineStackProps;
}

function requireIntInRange(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw invalidParameterError(name, `integer between ${min} and ${max}`, value);
  }
}

function validateSizing(name: string, s: FunctionSizing, maxTimeout: number): void {
  requireIntInRange(`${name}.memoryMb`, s.memoryMb, 128, 10_240);
  requireIntInRange(`${name}.timeoutSeconds`, s.timeoutSeconds, 1, maxTimeout);
  if (s.reservedConcurrency !== undefined) requireIntInRange(`${name}.reservedConcurrency`, s.reservedConcurrency, 1, 10_000);
}

/**
 * Checks the constraints AWS or the durability settings impose, so a bad prop fails at synth
 * instead of half-way through `terraform apply`.
 * @throws InvalidParameterError naming the prop, what was expected and what arrived;
 *   ConfigError for a malformed CORS origin (the runtime's own {@link parseCorsOrigins}).
 */
export function validateStackProps(p: PipelineStackProps): void {
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(p.region)) throw invalidParameterError('region', 'an AWS region like "eu-west-1"', p.region);
  if (!p.names.kafkaSecret.startsWith(KAFKA_SECRET_PREFIX)) {
    throw invalidParameterError('names.kafkaSecret', `a name starting with ${KAFKA_SECRET_PREFIX} (MSK rejects others)`, p.names.kafkaSecret);
  }
  requireIntInRange('network.availabilityZoneCount', p.network.availabilityZoneCount, 2, 6);
  requireIntInRange('network.natGateways', p.network.natGateways, 1, p.network.availabilityZoneCount);
  requireIntInRange('msk.brokerCount', p.msk.brokerCount, 3, 30);
  if (p.msk.brokerCount % p.network.availabilityZoneCount !== 0) {
    throw invalidParameterError('msk.brokerCount', `a multiple of the AZ count (${p.network.availabilityZoneCount})`, p.msk.brokerCount);
  }
  requireIntInRange('msk.volumeSizeGb', p.msk.volumeSizeGb, 1, 16_384);
  requireIntInRange('msk.imageTopicPartitions', p.msk.imageTopicPartitions, 1, 1000);
  requireIntInRange('msk.deadLetterTopicPartitions', p.msk.deadLetterTopicPartitions, 1, 1000);
  if (p.images.variants !== undefined) formatVariantList(p.images.variants, 'images.variants');
  if (p.images.watermark !== undefined) watermarkEnvironment(p.images);
  requireIntInRange('data.statusIndexShards', p.data.statusIndexShards, 1, MAX_STATUS_SHARDS);
  if (p.data.warmWriteUnitsPerSecond !== undefined) requireIntInRange('data.warmWriteUnitsPerSecond', p.data.warmWriteUnitsPerSecond, 1, 40_000);
  requireIntInRange('storage.objectExpirationDays', p.storage.objectExpirationDays, 1, 3650);
  requireIntInRange('storage.failedBatchRetentionDays', p.storage.failedBatchRetentionDays, 1, 3650);
  validateSizing('lambda.ingestApi', p.lambda.ingestApi, 29);
  validateSizing('lambda.uploadHandler', p.lambda.uploadHandler, 900);
  validateSizing('lambda.streamConsumer', p.lambda.streamConsumer, 900);
  validateSizing('lambda.reconciler', p.lambda.reconciler, 900);
  validateSizing('lambda.authorizer', p.lambda.authorizer, 29);
  requireIntInRange('api.authorizerResultTtlSeconds', p.api.authorizerResultTtlSeconds, AUTHORIZER_CACHE_TTL_RANGE.min, AUTHORIZER_CACHE_TTL_RANGE.max);
  requireIntInRange('api.idTokenValidityMinutes', p.api.idTokenValidityMinutes, 5, 1440);
  validateSizing('lambda.importWorker', p.lambda.importWorker, 900);
  requireIntInRange('urlImport.batchSize', p.urlImport.batchSize, 1, 10);
  requireIntInRange('urlImport.maxReceiveCount', p.urlImport.maxReceiveCount, 1, 1000);
  requireIntInRange('urlImport.deadLetterRetentionSeconds', p.urlImport.deadLetterRetentionSeconds, 60, 1_209_600);
  // SQS caps the visibility timeout at 12 hours.
  requireIntInRange('SQS visibility timeout (6 × lambda.importWorker.timeoutSeconds)', urlImportVisibilityTimeoutSeconds(p), 1, 43_200);
  if (p.reconcile.receivedAfterSeconds !== undefined && p.reconcile.receivedAfterSeconds <= urlImportRetryWindowSeconds(p)) {
    // Else the reconciler would fail a URL import as abandoned while the queue may still deliver it.
    throw invalidParameterError('reconcile.receivedAfterSeconds', `more than the URL import queue's retry window (${urlImportRetryWindowSeconds(p)} s)`, p.reconcile.receivedAfterSeconds);
  }
  if (!/^(rate\(\d+ (minute|minutes|hour|hours)\)|cron\(.+\))$/.test(p.reconcile.scheduleExpression)) {
    throw invalidParameterError('reconcile.scheduleExpression', 'an EventBridge Scheduler expression like "rate(15 minutes)"', p.reconcile.scheduleExpression);
  }
  requireIntInRange('reconcile.receivedAfterSeconds', reconcileReceivedAfterSeconds(p), 60, 86_400);
  if (!/^nodejs(\d+)\.x$/.test(p.lambda.runtime) || Number(/^nodejs(\d+)/.exec(p.lambda.runtime)?.[1]) < 22) {
    throw invalidParameterError('lambda.runtime', 'a Node.js 22+ Lambda runtime like "nodejs24.x"', p.lambda.runtime);
  }
  if (p.lambda.architecture !== 'arm64' && p.lambda.architecture !== 'x86_64') {
    throw invalidParameterError('lambda.architecture', '"arm64" or "x86_64"', p.lambda.architecture);
  }
  requireIntInRange('stream.batchSize', p.stream.batchSize, 1, 10_000);
  requireIntInRange('stream.batchingWindowSeconds', p.stream.batchingWindowSeconds, 0, 300);
  // 0..10000 only: -1 (infinite) is exactly the partition-stalling default this stack avoids.
  requireIntInRange('stream.maximumRetryAttempts', p.stream.maximumRetryAttempts, 0, 10_000);
  // A budget at least as long as the timeout would leave each invocation only its first record.
  requireIntInRange('stream.recordTimeBudgetSeconds (below lambda.streamConsumer.timeoutSeconds)', p.stream.recordTimeBudgetSeconds, 1, p.lambda.streamConsumer.timeoutSeconds - 1);
  if (p.stream.maximumRecordAgeSeconds !== -1) requireIntInRange('stream.maximumRecordAgeSeconds', p.stream.maximumRecordAgeSeconds, 60, 604_800);
  requireIntInRange('stream.minimumPollers', p.stream.minimumPollers, 1, 200);
  requireIntInRange('stream.maximumPollers', p.stream.maximumPollers, p.stream.minimumPollers, 2000);
  const decoding = p.stream.schemaDecoding;
  if (decoding.mode === 'event-source-mapping' && !/^arn:aws[a-z-]*:glue:[a-z0-9-]+:\d{12}:registry\/[A-Za-z0-9_$#.-]{1,255}$/.test(decoding.glueRegistryArn)) {
    throw invalidParameterError('stream.schemaDecoding.glueRegistryArn', 'a Glue registry ARN (arn:aws:glue:<region>:<account>:registry/<name>)', decoding.glueRegistryArn);
  }
  requireIntInRange('api.throttleRateLimit', p.api.throttleRateLimit, 1, 10_000);
  requireIntInRange('api.throttleBurstLimit', p.api.throttleBurstLimit, 1, 5_000);
  customerLimitsConfig(p.api);
  // The runtime's own check, so synth refuses exactly what the Lambda's loadConfig would.
  parseCorsOrigins('api.corsAllowedOrigins', p.api.corsAllowedOrigins, p.api.corsAllowCredentials);
  if (p.alarms.durationP99FractionOfTimeout <= 0 || p.alarms.durationP99FractionOfTimeout > 1) {
    throw invalidParameterError('alarms.durationP99FractionOfTimeout', 'a number in (0, 1]', p.alarms.durationP99FractionOfTimeout);
  }
  requireIntInRange('alarms.offsetLagThreshold', p.alarms.offsetLagThreshold, 1, Number.MAX_SAFE_INTEGER);
  requireIntInRange('alarms.evaluationPeriods', p.alarms.evaluationPeriods, 1, 100);
  // SNS FIFO topics deliver to SQS only (Amazon SNS Developer Guide, "FIFO topics").
  if (p.notifications.fifo && p.notifications.failureEmail !== undefined) {
    throw invalidParameterError('notifications.failureEmail', 'no email subscription on a FIFO notification topic (FIFO topics deliver only to SQS)', p.notifications.failureEmail);
  }
  if (p.analytics.quicksight && !p.analytics.enabled) {
    throw invalidParameterError('analytics.quicksight', 'analytics.enabled = true (QuickSight reads the Athena tables)', 'QuickSight without analytics');
  }
  if (p.analytics.quicksight && !/^arn:aws[a-z-]*:quicksight:/.test(p.analytics.quicksight.principalArn)) {
    throw invalidParameterError('analytics.quicksight.principalArn', 'a QuickSight user or group ARN', p.analytics.quicksight.principalArn);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

function lookup(env: Env, environment: string, name: string): string | undefined {
  // PIPELINE_PROD_X beats PIPELINE_X so one shell can size dev and prod differently.
  const specific = name.replace(/^PIPELINE_/, `PIPELINE_${environment.toUpperCase()}_`);
  const raw = env[specific] ?? env[name];
  return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
}

function intFromEnv(env: Env, environment: string, name: string): number | undefined {
  const raw = lookup(env, environment, name);
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw)) throw invalidParameterError(name, 'a non-negative integer', raw);
  return Number(raw);
}

/**
 * Reads the environments to synthesise from `PIPELINE_ENVIRONMENTS`.
 * @default ['dev', 'prod']
 * @example
 * environmentsFromEnv({ PIPELINE_ENVIRONMENTS: 'dev' }); // ['dev']
 */
export function environmentsFromEnv(env: Env): string[] {
  const raw = env[INFRA_ENV.environments];
  if (raw === undefined || raw.trim() === '') return ['dev', 'prod'];
  return raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

/**
 * Turns `PIPELINE_*` environment variables into overrides for one environment. Each variable
 * may also be given per environment (`PIPELINE_PROD_MSK_BROKER_COUNT`).
 * The AWS region falls back to the runtime's `AWS_REGION`.
 *
 * @throws InvalidParameterError when a numeric variable is not a number; ConfigError for a bad
 *   `PIPELINE_IMAGE_VARIANTS` (the runtime's own parser).
 * @example
 * const props = resolveStackProps('prod', overridesFromEnv('prod', process.env));
 */
export function overridesFromEnv(environment: string, env: Env): PipelineStackOverrides {
  const get = (name: string): string | undefined => lookup(env, environment, name);
  const overrides: PipelineStackOverrides = {};
  const region = get(INFRA_ENV.region) ?? env.AWS_REGION;
  if (region !== undefined && region.trim() !== '') overrides.region = region.trim();

  const failureEmail = get(INFRA_ENV.failureEmail);
  const alarmEmail = get(INFRA_ENV.alarmEmail);
  const fifo = get(INFRA_ENV.notificationFifo);
  if (failureEmail !== undefined || alarmEmail !== undefined || fifo !== undefined) {
    overrides.notifications = { failureEmail, alarmEmail, ...(fifo !== undefined ? { fifo: /^(1|true|yes)$/i.test(fifo) } : {}) };
  }

  const architecture = get(INFRA_ENV.lambdaArchitecture);
  if (architecture !== undefined) overrides.lambda = { architecture: architecture as LambdaArchitecture };

  const msk: Partial<PipelineStackProps['msk']> = {};
  const instanceType = get(INFRA_ENV.mskInstanceType);
  if (instanceType !== undefined) msk.instanceType = instanceType;
  const brokerCount = intFromEnv(env, environment, INFRA_ENV.mskBrokerCount);
  if (brokerCount !== undefined) msk.brokerCount = brokerCount;
  const volume = intFromEnv(env, environment, INFRA_ENV.mskVolumeSizeGb);
  if (volume !== undefined) msk.volumeSizeGb = volume;
  if (Object.keys(msk).length > 0) overrides.msk = msk;

  const azCount = intFromEnv(env, environment, INFRA_ENV.availabilityZoneCount);
  if (azCount !== undefined) overrides.network = { availabilityZoneCount: azCount, natGateways: environment === 'prod' ? azCount : 1 };

  const alarms: Partial<PipelineStackProps['alarms']> = {};
  const lag = intFromEnv(env, environment, INFRA_ENV.offsetLagThreshold);
  if (lag !== undefined) alarms.offsetLagThreshold = lag;
  const errors = intFromEnv(env, environment, INFRA_ENV.errorThreshold);
  if (errors !== undefined) alarms.errorThreshold = errors;
  if (Object.keys(alarms).length > 0) overrides.alarms = alarms;

  const glueRegistryArn = get(INFRA_ENV.esmGlueRegistryArn);
  if (glueRegistryArn !== undefined) overrides.stream = { schemaDecoding: { mode: 'event-source-mapping', glueRegistryArn } };
  const origins = get(INFRA_ENV.corsAllowedOrigins);
  const credentials = get(INFRA_ENV.corsAllowCredentials);
  if (origins !== undefined || credentials !== undefined) {
    overrides.api = {
      ...(origins !== undefined ? { corsAllowedOrigins: origins.split(',').map((o) => o.trim()).filter((o) => o.length > 0) } : {}),
      ...(credentials !== undefined ? { corsAllowCredentials: /^(1|true|yes)$/i.test(credentials) } : {}),
    };
  }
  const customerLimits = customerLimitsFromEnv(get);
  if (customerLimits !== undefined) overrides.api = { ...overrides.api, customerLimits };

  const variants = get(INFRA_ENV.imageVariants);
  if (variants !== undefined) overrides.images = { variants: parseVariantList(INFRA_ENV.imageVariants, variants) };
  const watermark = get(INFRA_ENV.watermark);
  const watermarkCustomers = get(INFRA_ENV.watermarkCustomers);
  if (watermark !== undefined || watermarkCustomers !== undefined) {
    const json = (name: string, text: string | undefined) => {
      if (text === undefined) return undefined;
      try {
        return JSON.parse(text) as Record<string, never>;
      } catch (error) {
        throw new ConfigError(`${name} must be a JSON object, but it is not valid JSON (${(error as Error).message})`);
      }
    };
    overrides.images = {
      ...overrides.images,
      watermark: { deployment: json(INFRA_ENV.watermark, watermark), customers: json(INFRA_ENV.watermarkCustomers, watermarkCustomers) },
    };
  }

  const principalArn = get(INFRA_ENV.quicksightPrincipalArn);
  if (principalArn !== undefined) {
    overrides.analytics = { quicksight: { principalArn, serviceRoleName: 'aws-quicksight-service-role-v0' } };
  }
  return overrides;
}

/**
 * The URL import queue's visibility timeout: 6 × the worker's timeout, as AWS advises for an SQS
 * event source ("Configuring an Amazon SQS queue to use with Lambda", AWS Lambda Developer Guide),
 * so a message is not received again while a batch, with the mapping's own retries, still runs.
 * @example
 * urlImportVisibilityTimeoutSeconds(resolveStackProps('dev')); // 6 × 90 = 540
 */
export function urlImportVisibilityTimeoutSeconds(p: Pick<PipelineStackProps, 'lambda'>): number {
  return 6 * p.lambda.importWorker.timeoutSeconds;
}

/**
 * The longest a URL import message can keep coming back before SQS moves it to the DLQ:
 * `maxReceiveCount` receives, each hidden for the visibility timeout. A record still RECEIVED
 * after this will never be finished by the worker: the reconciler's threshold must be longer.
 * @example
 * urlImportRetryWindowSeconds(resolveStackProps('dev')); // 5 × 540 = 2700
 */
export function urlImportRetryWindowSeconds(p: Pick<PipelineStackProps, 'lambda' | 'urlImport'>): number {
  return p.urlImport.maxReceiveCount * urlImportVisibilityTimeoutSeconds(p);
}

/**
 * Seconds a record may stay RECEIVED before the deployed reconciler finishes or fails it: the
 * explicit `reconcile.receivedAfterSeconds`, else a few minutes past the longest retry window —
 * the MSK event source mapping tries a failing batch `maximumRetryAttempts + 1` times, each up
 * to the consumer's timeout; the URL import queue delivers a message up to `maxReceiveCount`
 * times, a visibility timeout apart ({@link urlImportRetryWindowSeconds}); the upload handler's
 * async retries and API Gateway's 29 s are shorter.
 *
 * @example
 * reconcileReceivedAfterSeconds(resolveStackProps('dev')); // max((10 + 1) × 300, 5 × 540) + 300 = 3600
 */
export function reconcileReceivedAfterSeconds(p: Pick<PipelineStackProps, 'reconcile' | 'stream' | 'lambda' | 'urlImport'>): number {
  return p.reconcile.receivedAfterSeconds ?? Math.max((p.stream.maximumRetryAttempts + 1) * p.lambda.streamConsumer.timeoutSeconds, urlImportRetryWindowSeconds(p)) + 300;
}

/**
 * The `WATERMARK` / `WATERMARK_CUSTOMERS` variables of the rendering Lambdas for `images`, and
 * the S3 objects they read, checked with the runtime's own parser against the variant list.
 * @throws ConfigError naming `images.watermark` and the member; for an image file path, a text
 *   mark without `fontFile`, or when the values pass {@link MAX_WATERMARK_ENV_CHARS}.
 * @example
 * const { environment, config } = watermarkEnvironment(props.images); // config: for watermarkS3Objects
 */
export function watermarkEnvironment(images: PipelineStackProps['images']): { environment: Record<string, string>; config: WatermarkConfig } {
  const { watermark } = images;
  if (watermark === undefined) return { environment: {}, config: { default: undefined, customers: new Map() } };
  const deployment = watermark.deployment === undefined ? undefined : JSON.stringify(watermark.deployment);
  const customers = watermark.customers === undefined ? undefined : JSON.stringify(watermark.customers);
  // The font lives in the function (a layer under /opt), not on the synth machine.
  const config = parseWatermarkConfig({ deployment: 'images.watermark.deployment', customers: 'images.watermark.customers' }, deployment, customers, images.variants ?? DEFAULT_VARIANTS, { checkFontFile: false });
  for (const s of [config.default, ...config.customers.values()]) {
    // The Lambda runtime has no system fonts: without its own font file Pango draws boxes.
    if (s?.mark.kind === 'text' && s.mark.fontFile === undefined) {
      throw new ConfigError('images.watermark has a text mark without "fontFile": Lambda has no system fonts, so Pango would draw empty boxes; ship a TTF in a layer and name it (e.g. "/opt/fonts/DejaVuSans-Bold.ttf")');
    }
    if (s?.mark.kind === 'image' && s.mark.source.kind === 'bytes' && s.mark.source.origin === 'file') {
      throw new ConfigError('images.watermark names an image by file path: the Lambda bundle does not carry it; use an "s3://bucket/key" object or a data URL');
    }
  }
  const size = (deployment?.length ?? 0) + (customers?.length ?? 0);
  if (size > MAX_WATERMARK_ENV_CHARS) {
    throw new ConfigError(`images.watermark takes ${size} characters of Lambda environment; the limit here is ${MAX_WATERMARK_ENV_CHARS} (Lambda allows 4 KB in all): put the image in S3`);
  }
  return {
    environment: { ...(deployment !== undefined ? { [ENV.watermark]: deployment } : {}), ...(customers !== undefined ? { [ENV.watermarkCustomers]: customers } : {}) },
    config,
  };
}

function customerLimitsFromEnv(get: (name: string) => string | undefined): CustomerLimitsProps | undefined {
  const names = [INFRA_ENV.customerRateLimit, INFRA_ENV.customerBurstLimit, INFRA_ENV.customerDailyQuota, INFRA_ENV.customerLimits];
  if (names.every((name) => get(name) === undefined)) return undefined;
  const number = (name: string, member: keyof CustomerLimits): number => {
    const raw = get(name);
    if (raw === undefined) return DEFAULT_CUSTOMER_LIMITS[member];
    return checkLimitValue(name, member, /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw);
  };
  const defaults: CustomerLimits = {
    ratePerSecond: number(INFRA_ENV.customerRateLimit, 'ratePerSecond'),
    burst: number(INFRA_ENV.customerBurstLimit, 'burst'),
    dailyQuota: number(INFRA_ENV.customerDailyQuota, 'dailyQuota'),
  };
  // The runtime's own parser checks the JSON; the props keep the customer's own members only.
  const text = get(INFRA_ENV.customerLimits);
  parseCustomerLimits(INFRA_ENV.customerLimits, text, defaults);
  return { default: defaults, customers: text === undefined ? {} : (JSON.parse(text) as Record<string, Partial<CustomerLimits>>) };
}

/**
 * The per-customer limits the usage plans are built from, checked with the runtime's own
 * parser (so synth refuses exactly what `loadConfig` would), and against the stage throttle: a
 * plan above it could never be reached, since every request also passes the stage's limit.
 * @throws ConfigError naming `api.customerLimits`, the customer and the member; InvalidParameterError
 *   for a plan above `api.throttleRateLimit` / `api.throttleBurstLimit`.
 * @example
 * customerLimitsConfig(props.api).customers.get('acme'); // acme's complete numbers
 */
export function customerLimitsConfig(api: Pick<PipelineStackProps['api'], 'customerLimits' | 'throttleRateLimit' | 'throttleBurstLimit'>): LimitsConfig {
  const { default: fallback, customers } = api.customerLimits;
  const defaults: CustomerLimits = {
    ratePerSecond: checkLimitValue('api.customerLimits.default.ratePerSecond', 'ratePerSecond', fallback.ratePerSecond),
    burst: checkLimitValue('api.customerLimits.default.burst', 'burst', fallback.burst),
    dailyQuota: checkLimitValue('api.customerLimits.default.dailyQuota', 'dailyQuota', fallback.dailyQuota),
  };
  const config = parseCustomerLimits('api.customerLimits.customers', JSON.stringify(customers), defaults);
  for (const [where, limits] of [['api.customerLimits.default', config.default], ...[...config.customers].map(([id, l]) => [`api.customerLimits.customers["${id}"]`, l] as const)] as const) {
    if (limits.ratePerSecond > api.throttleRateLimit) throw invalidParameterError(`${where}.ratePerSecond`, `at most the stage throttle api.throttleRateLimit (${api.throttleRateLimit})`, limits.ratePerSecond);
    if (limits.burst > api.throttleBurstLimit) throw invalidParameterError(`${where}.burst`, `at most the stage burst api.throttleBurstLimit (${api.throttleBurstLimit})`, limits.burst);
  }
  return config;
}
