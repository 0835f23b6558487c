/**
 * Kafka plumbing shared by the stream consumer, the local stream runner, `ingest publish`, the
 * bench and the soak: the client factory (SASL/SCRAM and TLS as MSK needs them) and the
 * image-event publisher (idempotent producer, claim checks for large images, registry framings).
 */
export { createKafkaClient } from './client';
export type { KafkaClientOptions } from './client';
export { CLAIM_CHECK_PREFIX, DEFAULT_MESSAGE_OVERHEAD_BYTES, ImageEventPublisher, assertPublishable } from './producer';
export type { ConnectPublisherOptions, ImageEventPublisherOptions, PublishImage, PublishImageInput, PublishResult, PublisherFraming } from './producer';
