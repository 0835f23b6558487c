import { availableParallelism } from 'node:os';
import { ConfigError } from '../errors';
import { DEFAULT_NAMES, DEFAULT_PORTS, ENV, LOCAL_ACCOUNT_ID } from './env';
import { INDEX_NAMES, MAX_IMAGE_BYTES, MAX_STATUS_SHARDS } from '../constants';
import { DEFAULT_VARIANTS, parseVariantList, type VariantSpec } from '../image/variants';
import { parseWatermarkConfig, type WatermarkConfig } from '../image/watermark-settings';
import { checkLimitValue, DEFAULT_CUSTOMER_LIMITS, parseCustomerLimits, type CustomerLimits, type LimitsConfig } from '../limits/settings';

/**
 * Default write shards of the `byStatusDay` index: 5,000 images/s × 4 write units per image on
 * the hottest key (PROCESSED) ÷ 1,000 write units/s per partition, with 20 % headroom → 25,
 * rounded up to 32. Derivation and sources: docs/capacity.md (`make capacity` recomputes it).
 */
export const DEFAULT_STATUS_SHARDS = 32;

export { DEFAULT_NAMES, DEFAULT_PORTS, ENV, LOCAL_ACCOUNT_ID } from './env';
export type { EnvName } from './env';

/**
 * Cross-origin (CORS) settings shared by the API, the local adapter, the upload bucket and the
 * CDKTF app, so the browser sees the same rules everywhere.
 */
export interface CorsConfig {
  /**
   * Exact origins (`scheme://host[:port]`, as browsers send them in `Origin`), or `['*']`.
   * Empty turns CORS off: no cross-origin page can read a response.
   * @default the local upload page's origins on the local stack; none in AWS
   */
  allowedOrigins: readonly string[];
  /**
   * Sends `Access-Control-Allow-Credentials: true`. The API authenticates with headers, not
   * cookies, so pages do not need it; the Fetch standard forbids it together with `*`.
   * @default false
   */
  allowCredentials: boolean;
}

/**
 * Checks and normalises a CORS origin list: each entry must be `*` alone or a bare http(s)
 * origin (no path, query, trailing slash or wildcard), normalised as browsers send `Origin`
 * (lower-case scheme and host, default port dropped).
 *
 * @param name the variable or prop named in errors.
 * @throws ConfigError for a malformed origin, `*` mixed with origins, or `*` with credentials
 *   (the Fetch standard's CORS check fails for `*` on a credentialed request, so a page would
 *   silently break; refusing it at start-up says why).
 * @example
 * parseCorsOrigins('CORS_ALLOWED_ORIGINS', ['https://app.example.com'], false); // ['https://app.example.com']
 */
export function parseCorsOrigins(name: string, origins: readonly string[], allowCredentials: boolean): string[] {
  if (origins.includes('*')) {
    if (origins.length > 1) throw new ConfigError(`${name} must be "*" alone or a list of origins, got "${origins.join(',')}"`);
    if (allowCredentials) throw new ConfigError(`${name} cannot be "*" when ${ENV.corsAllowCredentials} is true: browsers refuse credentialed responses to "*"; list the origins`);
    return ['*'];
  }
  return origins.map((origin) => {
    let url: URL | undefined;
    try {
      url = new URL(origin);
    } catch {
      url = undefined;
    }
    // Scheme and authority only: no path (not even "/"), query, user info or wildcard.
    const bare = url !== undefined && (url.protocol === 'http:' || url.protocol === 'https:') && /^https?:\/\/[^/?#@*]+$/i.test(origin);
    if (url === undefined || !bare) throw new ConfigError(`${name} must list origins like "https://app.example.com" (scheme, host, optional port; no path), got "${origin}"`);
    return url.origin;
  });
}

/**
 * Seconds a record may stay RECEIVED before the reconciler treats it as abandoned: a few minutes
 * past the longest retry window of any path. The longest is the MSK event source mapping's: a
 * failing batch is tried 1 + 10 times (`maximumRetryAttempts`, cdktf/props.ts) on a 300 s
 * function timeout = 55 min; the S3 → upload-handler async invoke retries twice within about
 * 3 min, API Gateway gives up after 29 s and the local runner's backoff tops out at 10 s.
 * 55 min + 5 min margin. The CDKTF app sets the deployed value from the same props.
 * @default 3600
 */
export const DEFAULT_RECONCILE_RECEIVED_AFTER_SECONDS = 3600;

/** The whole download's default limit (`FETCH_DEADLINE_MS`), unless one attempt's limit is longer. */
export const DEFAULT_FETCH_DEADLINE_MS = 30_000;

/**
 * Milliseconds one stream record may need beyond its download, in the MSK handler's time budget:
 * storing the raw object, rendering and storing the variants, two conditional writes and the SNS
 * publish (each SDK call has a 30 s request timeout and up to 3 attempts, but a record near that
 * worst case is a dependency outage, which the redelivery handles anyway).
 */
export const RECORD_PROCESSING_ALLOWANCE_MS = 60_000;

/**
 * The default time budget of one stream record: the whole download's limit plus
 * {@link RECORD_PROCESSING_ALLOWANCE_MS}. The MSK handler starts a record only while its
 * invocation has at least this long left; synth refuses a stream function timeout below it.
 * @example defaultRecordTimeBudgetMs(30_000) // 90_000
 */
export function defaultRecordTimeBudgetMs(fetchDeadlineMs: number): number {
  return fetchDeadlineMs + RECORD_PROCESSING_ALLOWANCE_MS;
}

/** Resize kernels libvips offers (sharp's `kernel` option). */
export const RESIZE_KERNELS = ['nearest', 'linear', 'cubic', 'mitchell', 'lanczos2', 'lanczos3', 'mks2013', 'mks2021'] as const;
/** JPEG chroma subsampling modes sharp accepts. */
export const CHROMA_SUBSAMPLING = ['4:2:0', '4:4:4'] as const;

/**
 * How the processed copies are encoded, beyond each variant's quality. Every field maps to one
 * sharp option; `core/image` turns them into sharp's options in one place, shared with the
 * benchmark's bare-sharp ceiling.
 */
export interface EncoderSettings {
  /** libwebp effort, 0 (fastest) to 6 (smallest); sharp's own default is 4. */
  webpEffort: number;
  /** Quality of the WebP alpha plane, 0–100 (100 is lossless alpha). */
  webpAlphaQuality: number;
  /** JPEG chroma subsampling; `4:2:0` halves the colour planes both ways. */
  jpegChromaSubsampling: (typeof CHROMA_SUBSAMPLING)[number];
  /** Trellis quantisation (smaller files at the same quality, more CPU). */
  jpegTrellisQuantisation: boolean;
  /** mozjpeg's preset (trellis, overshoot deringing, optimised progressive scans; much more CPU). */
  jpegMozjpeg: boolean;
  /** Kernel of the resize from the original to the shared intermediate. */
  resizeKernel: (typeof RESIZE_KERNELS)[number];
  /**
   * Let JPEG and WebP decoders shrink on load by the largest power of two the resize allows
   * (sharp's `fastShrinkOnLoad`); `false` keeps a factor of two in hand for the resize kernel.
   */
  fastShrinkOnLoad: boolean;
}

/** sharp 0.35's own defaults, which the pipeline used before the encoder study (issue 17). */
export const SHARP_DEFAULT_ENCODING: Readonly<EncoderSettings> = {
  webpEffort: 4,
  webpAlphaQuality: 100,
  jpegChromaSubsampling: '4:2:0',
  jpegTrellisQuantisation: false,
  jpegMozjpeg: false,
  resizeKernel: 'lanczos3',
  fastShrinkOnLoad: true,
} as const;

/**
 * The defaults chosen by the encoder-settings study of `make bench` on the real-photo corpus;
 * docs/encoder-settings.md gives the measured reason for each.
 */
export const DEFAULT_ENCODING: Readonly<EncoderSettings> = {
  ...SHARP_DEFAULT_ENCODING,
  // The WebP copy was most of the CPU per image; effort 0 cuts it to about a third.
  webpEffort: 0,
  // Lossy alpha: most of an RGBA image's WebP time and bytes went into a lossless alpha plane.
  webpAlphaQuality: 60,
} as const;

/** Service endpoint overrides; `undefined` means "the real AWS endpoint for the region". */
export interface Endpoints {
  s3?: string;
  dynamodb?: string;
  sns?: string;
  sqs?: string;
  secretsManager?: string;
  glue?: string;
  dynamodbStreams?: string;
  /** API Gateway's management API (usage plans and API keys, for `ingest keys create`). */
  apiGateway?: string;
  /** Cognito user pools (`cognito-idp`): sign-in and the pool's JWKS. */
  cognito?: string;
}

/**
 * The Cognito user pool whose ID tokens the authorizer accepts (docs/authentication.md).
 * `issuer` is what Cognito writes in `iss`; `jwksUri` is where its public keys are: the pool's
 * own `/.well-known/jwks.json` on AWS, the same path on the Cognito endpoint override locally
 * (moto serves it there and signs with the key it publishes).
 */
export interface SignInConfig {
  userPoolId: string;
  /** The app client: an ID token's `aud` must be this id. */
  clientId: string;
  issuer: string;
  jwksUri: string;
}

/**
 * API Gateway's limits on an authorizer's result TTL: 0 (no caching) to 3600 seconds
 * (API Gateway Developer Guide, "Configure a Lambda authorizer": Authorization caching).
 */
export const AUTHORIZER_CACHE_TTL_RANGE = { min: 0, max: 3600, default: 300 } as const;

/** Everything the pipeline, handlers, local stack and tools need, validated once. */
export interface Config {
  region: string;
  endpoints: Endpoints;
  /** True when any endpoint override is set: we are talking to local stand-ins. */
  isLocal: boolean;
  s3ForcePathStyle: boolean;
  rawBucket: string;
  processedBucket: string;
  /** Where the metadata change records land (Firehose in AWS, the change forwarder locally). */
  analyticsBucket: string;
  table: {
    name: string;
    customerIndex: string;
    statusIndex: string;
    /**
     * Write shards of the `byStatusDay` index key (`STATUS#YYYY-MM-DD#N`); 1 keeps the unsharded
     * `STATUS#YYYY-MM-DD`. Raise it, never lower it within the 7-day TTL (see docs/capacity.md).
     * @default 32
     */
    statusShards: number;
  };
  snsTopicArn: string;
  apiKeySecretId: string;
  /** Who may call the API: API keys and sign-in tokens, checked by the authorizer (docs/authentication.md). */
  auth: {
    /**
     * The user pool and app client of sign-in tokens; `undefined` when `COGNITO_USER_POOL_ID` and
     * `COGNITO_USER_POOL_CLIENT_ID` are unset, and then only API keys are accepted.
     * @default undefined
     */
    signIn: SignInConfig | undefined;
    /**
     * Seconds an authorizer's answer is reused per `Authorization` value (API Gateway's result
     * TTL; the local adapter uses the same). A revoked API key keeps working up to this long.
     * @default 300
     */
    cacheTtlSeconds: number;
  };
  /** Secret with Kafka SASL/SCRAM credentials; `undefined` means no SASL (local plaintext). */
  kafkaSecretId: string | undefined;
  kafka: {
    brokers: string[];
    ssl: boolean;
    clientId: string;
    imageTopic: string;
    deadLetterTopic: string;
    consumerGroupId: string;
    /** Largest message the topic accepts (Kafka's default `max.message.bytes`, ~1 MB). */
    maxMessageBytes: number;
    partitions: number;
  };
  /** Buckets an S3-reference event may point at. */
  allowedSourceBuckets: string[];
  /**
   * Schema registries for registry-framed records. Glue lookups need no name (a version id is
   * global); the names are where producers and the local bootstrap register versions.
   */
  schemaRegistry: {
    /** @default 'image-pipeline' */
    glueRegistryName: string;
    /** @default 'image-events-value' */
    glueSchemaName: string;
    /** Base URL of a Confluent-compatible registry; `undefined` disables Confluent-framed records. */
    confluentUrl: string | undefined;
  };
  limits: {
    /** @default 10 MiB ({@link MAX_IMAGE_BYTES}) */
    maxImageBytes: number;
    /** @default 100 megapixels */
    maxPixels: number;
    /**
     * Decode memory of one process, in bytes: an image needing more is refused before decoding,
     * and concurrent decodes wait for their share.
     * @default 256 MiB
     */
    maxDecodeBytes: number;
    /** @default 7 */
    retentionDays: number;
  };
  /**
   * The processed copies made of every image, from `IMAGE_VARIANTS` (a JSON array; see
   * `parseVariantList` in core/image/variants.ts and docs/variants.md).
   * @default DEFAULT_VARIANTS
   */
  variants: readonly VariantSpec[];
  /**
   * The optional watermark on chosen variants, from `WATERMARK` (the deployment's, a JSON
   * object) and `WATERMARK_CUSTOMERS` (overrides keyed by customerId); see
   * core/image/watermark-settings.ts and docs/watermarks.md.
   * @default NO_WATERMARK (none)
   */
  watermark: WatermarkConfig;
  /** @default DEFAULT_ENCODING */
  encoding: EncoderSettings;
  /**
   * Per-customer request rate, burst and daily quota (docs/limits.md): the default from
   * `CUSTOMER_RATE_LIMIT`, `CUSTOMER_BURST_LIMIT` and `CUSTOMER_DAILY_QUOTA`, overrides from
   * `CUSTOMER_LIMITS` (a JSON object keyed by customer id). Enforced by the local adapter's
   * limiter; on AWS by API Gateway usage plans built from the same numbers.
   * @default DEFAULT_CUSTOMER_LIMITS (20/s, burst 40, 10,000 a day), no overrides
   */
  customerLimits: LimitsConfig;
  /** API Gateway usage plans (AWS only). */
  usagePlans: {
    /**
     * The default plan's id (`USAGE_PLAN_ID`, the stack's `default_usage_plan_id` output): when
     * set, `ingest keys create` also gives the new customer its usage-plan key in it.
     * @default undefined (no API Gateway: the local stack)
     */
    defaultPlanId: string | undefined;
  };
  stream: {
    recordConcurrency: number;
    batchSize: number;
    batchWindowMs: number;
    /** Local runner only: restarts of a crashed consumer before the process gives up. @default 5 */
    restartAttempts: number;
    /**
     * Lambda only: the MSK handler starts a record only while its invocation has at least this
     * many milliseconds left; the rest are delivered again (stream-consumer/consumer.ts).
     * @default {@link defaultRecordTimeBudgetMs} of `fetch.deadlineMs` (90 s with the default 30 s)
     */
    recordTimeBudgetMs: number;
  };
  fetch: {
    allowLoopback: boolean;
    /** One attempt's limit (redirects included). @default 10_000 */
    timeoutMs: number;
    /**
     * The whole fetch's limit: attempts, redirects, backoff and `Retry-After` waits. Bounds the
     * time one URL record can take; the local runner derives its session timeout from it.
     * @default 30_000
     */
    deadlineMs: number;
    /**
     * Ports fetched besides 443 (and 80 for loopback plain HTTP); every other port is refused.
     * @default []
     */
    allowedPorts: number[];
  };
  presignExpirySeconds: number;
  /** The SQS queue `POST /v1/images` hands URL imports to, and the import worker reads. */
  importQueue: {
    /** `IMPORT_QUEUE`. @default 'image-pipeline-imports' */
    name: string;
    /** `IMPORT_QUEUE_URL`; when unset, the URL is looked up by name once. @default undefined */
    url?: string;
  };
  /** Which browser origins may call the API and post to the upload bucket. */
  cors: CorsConfig;
  /** The reconciler of records left RECEIVED or never announced. */
  reconcile: {
    /** Age (from createdAt) after which a RECEIVED record is finished or failed. @default 3600 ({@link DEFAULT_RECONCILE_RECEIVED_AFTER_SECONDS}) */
    receivedAfterSeconds: number;
    /** Most records one run reads per status and day (a bound on its time and read cost). @default 20000 */
    maxRecords: number;
    /** How often `ingest start` runs it locally. @default 300 */
    intervalSeconds: number;
  };
  logLevel: string;
  /** X-Ray tracing through the Powertools Tracer (docs/tracing.md). */
  tracing: {
    /**
     * Make X-Ray subsegments (`POWERTOOLS_TRACE_ENABLED`). The CDKTF app turns it on for every
     * function; locally it stays off, and even on it does nothing outside Lambda.
     * @default false
     */
    enabled: boolean;
  };
  local: {
    dataDir: string;
    host: string;
    ports: { kafka: number; kafkaController: number; dynamoDb: number; moto: number; api: number; uploadPage: number; dashboard: number };
    notificationQueue: string;
    uploadQueue: string;
  };
}

type Env = Readonly<Record<string, string | undefined>>;

function readString(env: Env, name: string, fallback?: string): string {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') {
    if (fallback === undefined) throw new ConfigError(`${name} is required but is not set`);
    return fallback;
  }
  return raw.trim();
}

function readOptional(env: Env, name: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
}

function readInt(env: Env, name: string, fallback: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const raw = readOptional(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  return value;
}

/**
 * The one reader of boolean variables: exactly `true` or `false`, lower case, nothing around them;
 * unset or empty means the default. `1`, `yes`, `TRUE` or ` true` are refused rather than guessed:
 * Powertools reads `POWERTOOLS_TRACE_ENABLED` its own way (anything but `false` is on), so only the
 * two spellings both read alike are accepted.
 */
function readBool(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw new ConfigError(`${name} must be true or false, got ${JSON.stringify(raw.slice(0, 40))} (only the lower-case words true and false, without spaces)`);
}

function readChoice<T extends string>(env: Env, name: string, choices: readonly T[], fallback: T): T {
  const raw = readOptional(env, name);
  if (raw === undefined) return fallback;
  if (!(choices as readonly string[]).includes(raw)) throw new ConfigError(`${name} must be one of ${choices.join(', ')}, got "${raw}"`);
  return raw as T;
}

function readUrl(env: Env, name: string): string | undefined {
  const raw = readOptional(env, name);
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be an http(s) URL, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`${name} must be an http(s) URL, got "${raw}"`);
  }
  return raw.replace(/\/+$/, '');
}

function readList(env: Env, name: string, fallback: string[]): string[] {
  const raw = readOptional(env, name);
  if (raw === undefined) return fallback;
  const items = raw.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (items.length === 0) throw new ConfigError(`${name} must be a comma-separated list, got "${raw}"`);
  return items;
}

function readVariants(env: Env, name: string): readonly VariantSpec[] {
  const raw = readOptional(env, name);
  return raw === undefined ? DEFAULT_VARIANTS : parseVariantList(name, raw);
}

function readLimit(env: Env, name: string, member: keyof CustomerLimits): number {
  const raw = readOptional(env, name);
  if (raw === undefined) return DEFAULT_CUSTOMER_LIMITS[member];
  // A number as JSON writes it (rates may be decimals, e.g. 0.5 for one request every 2 s).
  const value = /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
  return checkLimitValue(name, member, value);
}

function readCustomerLimits(env: Env): LimitsConfig {
  const defaults: CustomerLimits = {
    ratePerSecond: readLimit(env, ENV.customerRateLimit, 'ratePerSecond'),
    burst: readLimit(env, ENV.customerBurstLimit, 'burst'),
    dailyQuota: readLimit(env, ENV.customerDailyQuota, 'dailyQuota'),
  };
  return parseCustomerLimits(ENV.customerLimits, readOptional(env, ENV.customerLimits), defaults);
}

function readFetchSettings(env: Env): Config['fetch'] {
  const timeoutMs = readInt(env, ENV.fetchTimeoutMs, 10_000, 100, 300_000);
  const deadlineMs = readInt(env, ENV.fetchDeadlineMs, Math.max(DEFAULT_FETCH_DEADLINE_MS, timeoutMs), 100, 900_000);
  if (timeoutMs > deadlineMs) {
    throw new ConfigError(`${ENV.fetchTimeoutMs} (${timeoutMs}) must not be longer than ${ENV.fetchDeadlineMs} (${deadlineMs}): one attempt cannot outlast the whole fetch`);
  }
  return { allowLoopback: readBool(env, ENV.fetchAllowLoopback, false), timeoutMs, deadlineMs, allowedPorts: readPorts(env, ENV.fetchAllowedPorts) };
}

function readPorts(env: Env, name: string): number[] {
  const raw = readOptional(env, name);
  if (raw === undefined) return [];
  const items = raw.split(',').map((s) => s.trim());
  if (!items.every((item) => /^\d{1,5}$/.test(item) && Number(item) >= 1 && Number(item) <= 65535)) {
    throw new ConfigError(`${name} must be a comma-separated list of ports between 1 and 65535, got "${raw}"`);
  }
  return items.map(Number);
}

/**
 * Reads and validates every setting from the environment. Call once at cold start; a bad or
 * missing variable fails here with the variable's name, not on the first request.
 *
 * When no endpoint override is set the same config talks to real AWS; then the names that
 * have no sensible default there (`SNS_TOPIC_ARN`, `KAFKA_BROKERS`) are required.
 *
 * @throws ConfigError naming the variable and the problem.
 * @example
 * const config = loadConfig();            // from process.env
 * const config = loadConfig({ AWS_REGION: 'eu-west-1', ... }); // explicit, for tests
 */
export function loadConfig(env: Env = process.env): Config {
  const region = readString(env, ENV.region, 'us-east-1');
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) throw new ConfigError(`${ENV.region} must look like "eu-west-1", got "${region}"`);

  const endpoints: Endpoints = {
    s3: readUrl(env, ENV.endpointS3),
    dynamodb: readUrl(env, ENV.endpointDynamoDb),
    sns: readUrl(env, ENV.endpointSns),
    sqs: readUrl(env, ENV.endpointSqs),
    secretsManager: readUrl(env, ENV.endpointSecretsManager),
    glue: readUrl(env, ENV.endpointGlue),
    dynamodbStreams: readUrl(env, ENV.endpointDynamoDbStreams),
    apiGateway: readUrl(env, ENV.endpointApiGateway),
    cognito: readUrl(env, ENV.endpointCognito),
  };
  // DynamoDB serves its streams API on the same endpoint locally.
  endpoints.dynamodbStreams ??= endpoints.dynamodb;
  const isLocal = Object.values(endpoints).some((e) => e !== undefined);

  const ports = {
    kafka: readInt(env, ENV.kafkaPort, DEFAULT_PORTS.kafka, 1, 65535),
    kafkaController: readInt(env, ENV.kafkaControllerPort, DEFAULT_PORTS.kafkaController, 1, 65535),
    dynamoDb: readInt(env, ENV.dynamoDbPort, DEFAULT_PORTS.dynamoDb, 1, 65535),
    moto: readInt(env, ENV.motoPort, DEFAULT_PORTS.moto, 1, 65535),
    api: readInt(env, ENV.apiPort, DEFAULT_PORTS.api, 1, 65535),
    uploadPage: readInt(env, ENV.uploadPagePort, DEFAULT_PORTS.uploadPage, 1, 65535),
    dashboard: readInt(env, ENV.dashboardPort, DEFAULT_PORTS.dashboard, 1, 65535),
  };
  const host = readString(env, ENV.localHost, '127.0.0.1');
  const snsTopicName = DEFAULT_NAMES.snsTopic;
  const snsTopicArn = isLocal
    ? readString(env, ENV.snsTopicArn, `arn:aws:sns:${region}:${LOCAL_ACCOUNT_ID}:${snsTopicName}`)
    : readString(env, ENV.snsTopicArn);
  // Not every deployment talks to Kafka (the REST Lambda does not): in AWS the broker list may
  // be empty here, and the Kafka clients refuse to start without one (see requireBrokers).
  const brokers = readList(env, ENV.kafkaBrokers, isLocal ? [`${host}:${ports.kafka}`] : []);

  const rawBucket = readString(env, ENV.rawBucket, DEFAULT_NAMES.rawBucket);
  const allowCredentials = readBool(env, ENV.corsAllowCredentials, false);
  // Locally the upload page `make start` serves is the one known page; in AWS no page is known.
  const localPageOrigins = [...new Set([`http://${host}:${ports.uploadPage}`, `http://localhost:${ports.uploadPage}`])];
  const fetchSettings = readFetchSettings(env);
  const cors: CorsConfig = {
    allowedOrigins: parseCorsOrigins(ENV.corsAllowedOrigins, readList(env, ENV.corsAllowedOrigins, isLocal ? localPageOrigins : []), allowCredentials),
    allowCredentials,
  };
  const cpuCount = Math.max(1, availableParallelism());
  const variants = readVariants(env, ENV.imageVariants);

  return {
    region,
    endpoints,
    isLocal,
    s3ForcePathStyle: readBool(env, ENV.s3ForcePathStyle, isLocal),
    rawBucket,
    processedBucket: readString(env, ENV.processedBucket, DEFAULT_NAMES.processedBucket),
    analyticsBucket: readString(env, ENV.analyticsBucket, DEFAULT_NAMES.analyticsBucket),
    table: {
      name: readString(env, ENV.imagesTable, DEFAULT_NAMES.imagesTable),
      customerIndex: INDEX_NAMES.byCustomer,
      statusIndex: INDEX_NAMES.byStatusDay,
      statusShards: readInt(env, ENV.statusIndexShards, DEFAULT_STATUS_SHARDS, 1, MAX_STATUS_SHARDS),
    },
    snsTopicArn,
    apiKeySecretId: readString(env, ENV.apiKeySecretId, DEFAULT_NAMES.apiKeySecret),
    auth: {
      signIn: readSignIn(env, region, endpoints.cognito),
      cacheTtlSeconds: readInt(env, ENV.authorizerCacheTtlSeconds, AUTHORIZER_CACHE_TTL_RANGE.default, AUTHORIZER_CACHE_TTL_RANGE.min, AUTHORIZER_CACHE_TTL_RANGE.max),
    },
    kafkaSecretId: readOptional(env, ENV.kafkaSecretId),
    kafka: {
      brokers,
      ssl: readBool(env, ENV.kafkaSsl, !isLocal),
      clientId: readString(env, ENV.kafkaClientId, 'image-pipeline'),
      imageTopic: readString(env, ENV.imageTopic, DEFAULT_NAMES.imageTopic),
      deadLetterTopic: readString(env, ENV.deadLetterTopic, DEFAULT_NAMES.deadLetterTopic),
      consumerGroupId: readString(env, ENV.consumerGroupId, DEFAULT_NAMES.consumerGroupId),
      maxMessageBytes: readInt(env, ENV.kafkaMaxMessageBytes, 1_048_588, 1024),
      partitions: readInt(env, ENV.partitions, 3, 1, 1000),
    },
    allowedSourceBuckets: readList(env, ENV.allowedSourceBuckets, [rawBucket]),
    schemaRegistry: {
      glueRegistryName: readString(env, ENV.glueRegistryName, DEFAULT_NAMES.glueRegistry),
      glueSchemaName: readString(env, ENV.glueSchemaName, DEFAULT_NAMES.glueSchema),
      confluentUrl: readUrl(env, ENV.confluentRegistryUrl),
    },
    limits: {
      maxImageBytes: readInt(env, ENV.maxImageBytes, MAX_IMAGE_BYTES),
      maxPixels: readInt(env, ENV.maxPixels, 100_000_000),
      maxDecodeBytes: readInt(env, ENV.maxDecodeBytes, 256 * 1024 * 1024, 32 * 1024 * 1024),
      retentionDays: readInt(env, ENV.retentionDays, 7, 1, 3650),
    },
    variants,
    watermark: parseWatermarkConfig(
      { deployment: ENV.watermark, customers: ENV.watermarkCustomers },
      readOptional(env, ENV.watermark),
      readOptional(env, ENV.watermarkCustomers),
      variants,
    ),
    encoding: {
      webpEffort: readInt(env, ENV.webpEffort, DEFAULT_ENCODING.webpEffort, 0, 6),
      webpAlphaQuality: readInt(env, ENV.webpAlphaQuality, DEFAULT_ENCODING.webpAlphaQuality, 0, 100),
      jpegChromaSubsampling: readChoice(env, ENV.jpegChromaSubsampling, CHROMA_SUBSAMPLING, DEFAULT_ENCODING.jpegChromaSubsampling),
      jpegTrellisQuantisation: readBool(env, ENV.jpegTrellisQuantisation, DEFAULT_ENCODING.jpegTrellisQuantisation),
      jpegMozjpeg: readBool(env, ENV.jpegMozjpeg, DEFAULT_ENCODING.jpegMozjpeg),
      resizeKernel: readChoice(env, ENV.resizeKernel, RESIZE_KERNELS, DEFAULT_ENCODING.resizeKernel),
      fastShrinkOnLoad: readBool(env, ENV.fastShrinkOnLoad, DEFAULT_ENCODING.fastShrinkOnLoad),
    },
    customerLimits: readCustomerLimits(env),
    usagePlans: { defaultPlanId: readOptional(env, ENV.usagePlanId) },
    stream: {
      recordConcurrency: readInt(env, ENV.recordConcurrency, cpuCount * 2, 1, 256),
      batchSize: readInt(env, ENV.batchSize, 100, 1, 10_000),
      batchWindowMs: readInt(env, ENV.batchWindowMs, 500, 0, 300_000),
      restartAttempts: readInt(env, ENV.streamRestartAttempts, 5, 0, 100),
      recordTimeBudgetMs: readInt(env, ENV.recordTimeBudgetMs, defaultRecordTimeBudgetMs(fetchSettings.deadlineMs), 1_000, 900_000),
    },
    fetch: fetchSettings,
    presignExpirySeconds: readInt(env, ENV.presignExpirySeconds, 900, 1, 604_800),
    importQueue: { name: readString(env, ENV.importQueue, DEFAULT_NAMES.importQueue), url: readOptional(env, ENV.importQueueUrl) },
    cors,
    reconcile: {
      receivedAfterSeconds: readInt(env, ENV.reconcileReceivedAfterSeconds, DEFAULT_RECONCILE_RECEIVED_AFTER_SECONDS, 60, 86_400),
      maxRecords: readInt(env, ENV.reconcileMaxRecords, 20_000, 1, 1_000_000),
      intervalSeconds: readInt(env, ENV.reconcileIntervalSeconds, 300, 5, 86_400),
    },
    logLevel: readString(env, ENV.logLevel, 'INFO'),
    tracing: { enabled: readBool(env, ENV.tracingEnabled, false) },
    local: {
      dataDir: readString(env, ENV.localDataDir, '.local'),
      host,
      ports,
      notificationQueue: readString(env, ENV.notificationQueue, DEFAULT_NAMES.notificationQueue),
      uploadQueue: readString(env, ENV.uploadQueue, DEFAULT_NAMES.uploadQueue),
    },
  };
}

/**
 * Cognito user pool ids are `<region>_<id>` (Cognito API Reference, CreateUserPool: UserPool.Id
 * pattern `[\w-]+_[0-9a-zA-Z]+`); app client ids are 1–128 word characters (UserPoolClientType.ClientId).
 */
const USER_POOL_ID = /^[\w-]+_[0-9a-zA-Z]+$/;
const USER_POOL_CLIENT_ID = /^[\w+]{1,128}$/;

function readSignIn(env: Env, region: string, cognitoEndpoint: string | undefined): SignInConfig | undefined {
  const userPoolId = readOptional(env, ENV.cognitoUserPoolId);
  const clientId = readOptional(env, ENV.cognitoUserPoolClientId);
  if (userPoolId === undefined && clientId === undefined) return undefined;
  if (userPoolId === undefined || clientId === undefined) {
    throw new ConfigError(`${ENV.cognitoUserPoolId} and ${ENV.cognitoUserPoolClientId} go together: set both or neither`);
  }
  if (!USER_POOL_ID.test(userPoolId)) throw new ConfigError(`${ENV.cognitoUserPoolId} must look like "${region}_AbC123", got "${userPoolId}"`);
  if (!USER_POOL_CLIENT_ID.test(clientId)) throw new ConfigError(`${ENV.cognitoUserPoolClientId} must be 1-128 letters, digits, "_" or "+", got "${clientId}"`);
  // Cognito's issuer names the pool's own region (the id's prefix), whatever region the caller runs in.
  const poolRegion = userPoolId.slice(0, userPoolId.indexOf('_'));
  const issuer = `https://cognito-idp.${poolRegion}.amazonaws.com/${userPoolId}`;
  const keysBase = cognitoEndpoint === undefined ? issuer : `${cognitoEndpoint.replace(/\/+$/, '')}/${userPoolId}`;
  return { userPoolId, clientId, issuer, jwksUri: `${keysBase}/.well-known/jwks.json` };
}

/**
 * The broker list, or a ConfigError naming the variable when it is empty.
 * @throws ConfigError when `KAFKA_BROKERS` is unset outside the local stack.
 */
export function requireBrokers(config: Config): string[] {
  if (config.kafka.brokers.length === 0) throw new ConfigError(`${ENV.kafkaBrokers} is required to talk to Kafka but is not set`);
  return config.kafka.brokers;
}

/** Dummy credentials the local stand-ins accept (moto checks none). */
export const LOCAL_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' } as const;

/**
 * The environment that points every AWS SDK, the aws CLI, boto3 and any Kafka client at the
 * local stack: standard endpoint variables, region, dummy credentials, broker list and names.
 * Values already present in `env` win, so a user can move one service elsewhere.
 *
 * @example
 * Object.assign(process.env, localStackEnvironment());
 * const config = loadConfig(); // now talks to 127.0.0.1
 */
export function localStackEnvironment(env: Env = process.env): Record<string, string> {
  const host = readString(env, ENV.localHost, '127.0.0.1');
  const region = readString(env, ENV.region, 'us-east-1');
  const moto = `http://${host}:${readInt(env, ENV.motoPort, DEFAULT_PORTS.moto, 1, 65535)}`;
  const dynamodb = `http://${host}:${readInt(env, ENV.dynamoDbPort, DEFAULT_PORTS.dynamoDb, 1, 65535)}`;
  const defaults: Record<string, string> = {
    [ENV.region]: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    [ENV.endpointS3]: moto,
    [ENV.endpointSns]: moto,
    [ENV.endpointSqs]: moto,
    [ENV.endpointSecretsManager]: moto,
    [ENV.endpointGlue]: moto,
    [ENV.endpointCognito]: moto,
    [ENV.endpointDynamoDb]: dynamodb,
    [ENV.s3ForcePathStyle]: 'true',
    [ENV.kafkaBrokers]: `${host}:${readInt(env, ENV.kafkaPort, DEFAULT_PORTS.kafka, 1, 65535)}`,
    [ENV.kafkaSsl]: 'false',
  };
  const merged: Record<string, string> = {};
  for (const [name, value] of Object.entries(defaults)) merged[name] = readOptional(env, name) ?? value;
  const config = loadConfig({ ...env, ...merged });
  merged[ENV.snsTopicArn] = config.snsTopicArn;
  merged[ENV.rawBucket] = config.rawBucket;
  merged[ENV.processedBucket] = config.processedBucket;
  merged[ENV.analyticsBucket] = config.analyticsBucket;
  merged[ENV.imagesTable] = config.table.name;
  merged[ENV.imageTopic] = config.kafka.imageTopic;
  merged[ENV.deadLetterTopic] = config.kafka.deadLetterTopic;
  merged[ENV.apiKeySecretId] = config.apiKeySecretId;
  return merged;
}
