/**
 * The stream path: the MSK handler's building blocks, the batch use case, the dead-letter
 * topic, the local event-source runner and the event publisher. The Lambda entry point is
 * `stream-consumer/handler.ts` (not re-exported: importing it builds a runtime from the environment).
 */
export { createMskHandler, createStreamConsumer } from './consumer';
export type { StreamConsumer, StreamConsumerOptions } from './consumer';
export { StreamBatchProcessor, UNEXPECTED_ERROR } from './process-batch';
export type { StreamBatchProcessorDependencies } from './process-batch';
export { batchItemFailures, needsRedelivery, resumeOffsets } from './batch-failures';
export type { RecordOutcome, RecordPosition, RecordResult } from './batch-failures';
export { buildMskEvent, decodeHeaders, encodeHeaders, parseMskEvent, topicPartitionKey } from './msk-event';
export type { BuildMskEventOptions, ConsumedRecord, DeliveredRecord, KafkaItemIdentifier, MskBatchResponse, MskHandlerFunction } from './msk-event';
export { DEAD_LETTER_HEADERS, KafkaDeadLetterSink, deadLetterMessage } from './dead-letter';
export type { DeadLetter, DeadLetterSink, KafkaDeadLetterSinkOptions } from './dead-letter';
export { createKafkaClient } from './kafka-client';
export type { KafkaClientOptions } from './kafka-client';
export { MIN_SESSION_TIMEOUT_MS, SESSION_MARGIN_HEARTBEATS, STREAM_RUNNER_STATES, chunkProgress, createLocalStreamComponent, createStreamRunner, redeliveryDelayMs, sessionTimeoutFor } from './local-runner';
export type { LocalStreamComponentOptions, PartitionLag, StreamRunnerHealth, StreamRunnerOptions, StreamRunnerState } from './local-runner';
export { CLAIM_CHECK_PREFIX, DEFAULT_MESSAGE_OVERHEAD_BYTES, ImageEventPublisher } from './producer';
export type { ConnectPublisherOptions, ImageEventPublisherOptions, PublishImage, PublishImageInput, PublishResult, PublisherFraming } from './producer';
