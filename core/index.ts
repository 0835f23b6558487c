/**
 * The core's light entry point: config, errors, ports, keys, input bounds, API-key helpers and the
 * AWS SDK adapters' wiring. It never loads sharp or the pipeline; importing config or an error
 * class costs no native module. The composition root (the pipeline, the reconciler and
 * `createPipelineRuntime`) is `core/runtime`.
 */
export * from './config';
export * from './errors';
export * from './ports';
export * from './limits';
export { sha256Digest, sha256Hex } from './hashing';
export { createTelemetry, subsegmentName, type ContextLogger, type Telemetry, type TraceAnnotations } from './observability';
export { newImageId, isValidImageId, incomingKey, imageIdFromIncomingKey, keyHashPrefix, rawKey, variantKey, CLAIM_CHECK_PREFIX, claimCheckKey } from './keys';
export * from './constants';
export { DEFAULT_VARIANTS, formatVariantList, parseVariantList, validateVariantSpecs, type VariantSpec } from './image/variants';
export { createAwsClients, destroyAwsClients, type AwsClients } from './adapters/aws-clients';
export { findCustomerForKey, generateApiKey, hashApiKey, parseApiKeySecret, assertCustomerId } from './auth/api-keys';
export { notificationBody } from './adapters/sns/notifier';
export { statusDayKey, statusDayKeys, statusShardOf } from './adapters/dynamodb/status-key';
export { CUSTOMER_ID_RULE, INPUT_BOUNDS, assertAttributesBounds, assertCustomerIdBounds, assertFileNameBounds, assertMaxBytes, assertRequestBounds, type BoundedFields } from './input-bounds';
export { canonicalSourceUrl } from './source-url';
export { assertSameRequest, requestDifference, type RequestFingerprint } from './idempotency';
