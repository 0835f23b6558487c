/**
 * Names of every environment variable the project reads. Shared by the runtime config
 * (`loadConfig`) and the CDKTF app, so the two cannot drift.
 */
export const ENV = {
  region: 'AWS_REGION',
  // Standard AWS SDK endpoint overrides: one environment serves this project and every AWS tool.
  endpointS3: 'AWS_ENDPOINT_URL_S3',
  endpointDynamoDb: 'AWS_ENDPOINT_URL_DYNAMODB',
  endpointSns: 'AWS_ENDPOINT_URL_SNS',
  endpointSqs: 'AWS_ENDPOINT_URL_SQS',
  endpointSecretsManager: 'AWS_ENDPOINT_URL_SECRETS_MANAGER',
  endpointGlue: 'AWS_ENDPOINT_URL_GLUE',
  endpointDynamoDbStreams: 'AWS_ENDPOINT_URL_DYNAMODB_STREAMS',
  endpointApiGateway: 'AWS_ENDPOINT_URL_API_GATEWAY',
  endpointCognito: 'AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER',
  s3ForcePathStyle: 'S3_FORCE_PATH_STYLE',

  rawBucket: 'RAW_BUCKET',
  processedBucket: 'PROCESSED_BUCKET',
  imagesTable: 'IMAGES_TABLE',
  statusIndexShards: 'STATUS_INDEX_SHARDS',
  snsTopicArn: 'SNS_TOPIC_ARN',
  apiKeySecretId: 'API_KEYS_SECRET_ID',
  kafkaSecretId: 'KAFKA_SECRET_ID',
  analyticsBucket: 'ANALYTICS_BUCKET',
  // Sign-in tokens (docs/authentication.md): the Cognito user pool and app client whose ID tokens the authorizer accepts.
  cognitoUserPoolId: 'COGNITO_USER_POOL_ID',
  cognitoUserPoolClientId: 'COGNITO_USER_POOL_CLIENT_ID',
  authorizerCacheTtlSeconds: 'AUTHORIZER_CACHE_TTL_SECONDS',

  kafkaBrokers: 'KAFKA_BROKERS',
  kafkaSsl: 'KAFKA_SSL',
  kafkaClientId: 'KAFKA_CLIENT_ID',
  imageTopic: 'IMAGE_TOPIC',
  deadLetterTopic: 'DEAD_LETTER_TOPIC',
  consumerGroupId: 'CONSUMER_GROUP_ID',
  kafkaMaxMessageBytes: 'KAFKA_MAX_MESSAGE_BYTES',
  allowedSourceBuckets: 'ALLOWED_SOURCE_BUCKETS',
  glueRegistryName: 'GLUE_SCHEMA_REGISTRY_NAME',
  glueSchemaName: 'GLUE_SCHEMA_NAME',
  confluentRegistryUrl: 'CONFLUENT_SCHEMA_REGISTRY_URL',

  maxImageBytes: 'MAX_IMAGE_BYTES',
  // The processed copies: a JSON array of {name, width, height, fit?, format, quality?} (docs/variants.md).
  imageVariants: 'IMAGE_VARIANTS',
  // An optional watermark on chosen variants, and per-customer overrides (docs/watermarks.md).
  watermark: 'WATERMARK',
  watermarkCustomers: 'WATERMARK_CUSTOMERS',
  maxPixels: 'MAX_PIXELS',
  maxDecodeBytes: 'MAX_DECODE_BYTES',
  retentionDays: 'RETENTION_DAYS',
  recordConcurrency: 'RECORD_CONCURRENCY',
  fetchAllowLoopback: 'FETCH_ALLOW_LOOPBACK',
  fetchAllowedPorts: 'FETCH_ALLOWED_PORTS',
  fetchTimeoutMs: 'FETCH_TIMEOUT_MS',
  fetchDeadlineMs: 'FETCH_DEADLINE_MS',
  presignExpirySeconds: 'PRESIGN_EXPIRY_SECONDS',
  // URL imports (docs/rest-api.md): the SQS queue the API hands them to; its URL when known.
  importQueue: 'IMPORT_QUEUE',
  importQueueUrl: 'IMPORT_QUEUE_URL',
  // Browsers: origins allowed to call the API and to post to the upload bucket (comma-separated).
  corsAllowedOrigins: 'CORS_ALLOWED_ORIGINS',
  corsAllowCredentials: 'CORS_ALLOW_CREDENTIALS',
  // Per-customer limits (docs/limits.md): the defaults, JSON overrides keyed by customer id, and
  // (on AWS) the default usage plan `ingest keys create` enrols new customers in.
  customerRateLimit: 'CUSTOMER_RATE_LIMIT',
  customerBurstLimit: 'CUSTOMER_BURST_LIMIT',
  customerDailyQuota: 'CUSTOMER_DAILY_QUOTA',
  customerLimits: 'CUSTOMER_LIMITS',
  usagePlanId: 'USAGE_PLAN_ID',
  logLevel: 'LOG_LEVEL',
  // X-Ray tracing (docs/tracing.md): Powertools' own variable, so the Tracer and loadConfig agree.
  tracingEnabled: 'POWERTOOLS_TRACE_ENABLED',
  reconcileReceivedAfterSeconds: 'RECONCILE_RECEIVED_AFTER_SECONDS',
  reconcileMaxRecords: 'RECONCILE_MAX_RECORDS',
  reconcileIntervalSeconds: 'RECONCILE_INTERVAL_SECONDS',
  // Encoder settings of the processed copies (see docs/encoder-settings.md for the measurements).
  webpEffort: 'WEBP_EFFORT',
  webpAlphaQuality: 'WEBP_ALPHA_QUALITY',
  jpegChromaSubsampling: 'JPEG_CHROMA_SUBSAMPLING',
  jpegTrellisQuantisation: 'JPEG_TRELLIS_QUANTISATION',
  jpegMozjpeg: 'JPEG_MOZJPEG',
  resizeKernel: 'RESIZE_KERNEL',
  fastShrinkOnLoad: 'FAST_SHRINK_ON_LOAD',

  // Local stack only (ignored in AWS).
  localDataDir: 'INGEST_LOCAL_DIR',
  localHost: 'INGEST_LOCAL_HOST',
  kafkaPort: 'KAFKA_PORT',
  kafkaControllerPort: 'KAFKA_CONTROLLER_PORT',
  dynamoDbPort: 'DYNAMODB_PORT',
  motoPort: 'MOTO_PORT',
  apiPort: 'API_PORT',
  uploadPagePort: 'UPLOAD_PAGE_PORT',
  dashboardPort: 'DASHBOARD_PORT',
  notificationQueue: 'NOTIFICATION_QUEUE',
  uploadQueue: 'UPLOAD_QUEUE',
  partitions: 'IMAGE_TOPIC_PARTITIONS',
  batchSize: 'BATCH_SIZE',
  batchWindowMs: 'BATCH_WINDOW_MS',
  streamRestartAttempts: 'STREAM_RESTART_ATTEMPTS',
  recordTimeBudgetMs: 'STREAM_RECORD_TIME_BUDGET_MS',
  apiKey: 'INGEST_API_KEY',
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];

/** Default resource names, shared by the local bootstrap, docker-compose.yml and the CDKTF app. */
export const DEFAULT_NAMES = {
  rawBucket: 'image-pipeline-raw',
  processedBucket: 'image-pipeline-processed',
  analyticsBucket: 'image-pipeline-analytics',
  imagesTable: 'image-pipeline-images',
  snsTopic: 'image-pipeline-notifications',
  notificationQueue: 'image-pipeline-notifications',
  uploadQueue: 'image-pipeline-uploads',
  importQueue: 'image-pipeline-imports',
  imageTopic: 'image-events',
  deadLetterTopic: 'image-events-dlq',
  consumerGroupId: 'image-pipeline-stream-consumer',
  apiKeySecret: 'image-pipeline/api-keys',
  kafkaSecret: 'AmazonMSK_image-pipeline',
  glueRegistry: 'image-pipeline',
  glueSchema: 'image-events-value',
  userPool: 'image-pipeline-users',
  userPoolClient: 'image-pipeline-clients',
} as const;

/** Default local ports (all bound to 127.0.0.1). */
export const DEFAULT_PORTS = {
  kafka: 9092,
  kafkaController: 9093,
  dynamoDb: 8000,
  moto: 5000,
  api: 3000,
  /** The upload page `make start` serves: its own origin, so the browser really exercises CORS. */
  uploadPage: 3001,
  dashboard: 3002,
} as const;

/** The account id moto uses; local SNS ARNs are built from it. */
export const LOCAL_ACCOUNT_ID = '123456789012';
