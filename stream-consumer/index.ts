/**
 * The stream path: the MSK handler's building blocks, the batch use case and the dead-letter
 * topic. The local stand-in for the event source mapping is `local/stream-runner.ts`; the Kafka
 * client and the image-event publisher are `kafka/`. The Lambda entry point is
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
