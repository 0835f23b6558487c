/**
 * Wiring of the stream path: the batch processor with its dead-letter sink, and the MSK
 * handler function built from it. The Lambda entry point and the local runner both use these.
 */
import type { MSKEvent } from 'aws-lambda';
import type { PipelineRuntime } from '../core/runtime';
import { ConfluentSchemaRegistry } from '../core/adapters/confluent/schema-registry';
import { GlueSchemaRegistry } from '../core/adapters/glue/schema-registry';
import { ImageEventDecoder, type ImageEventCodec } from '../schemas';
import { batchItemFailures, needsRedelivery } from './batch-failures';
import { KafkaDeadLetterSink, type DeadLetterSink } from './dead-letter';
import { createKafkaClient, type KafkaClientOptions } from '../kafka/client';
import { parseMskEvent, type MskBatchResponse, type MskHandlerFunction } from './msk-event';
import { StreamBatchProcessor, type StreamBatchProcessorDependencies } from './process-batch';

/** A ready stream consumer: the use case, and what must be closed when the process ends. */
export interface StreamConsumer {
  processor: StreamBatchProcessor;
  deadLetters: DeadLetterSink;
  runtime: PipelineRuntime;
  /** Disconnects the dead-letter producer. */
  close(): Promise<void>;
}

/** Options of {@link createStreamConsumer}. */
export interface StreamConsumerOptions {
  /**
   * Decoder of record values (e.g. one whose registry also accepts a newer writer schema).
   * @default new ImageEventCodec()
   */
  codec?: ImageEventCodec;
  /**
   * Decoder of record values in every framing.
   * @default an ImageEventDecoder with `codec`, Glue through `runtime.clients.glue`, and the
   *   Confluent-compatible registry at `config.schemaRegistry.confluentUrl` when set
   */
  decoder?: ImageEventDecoder;
  /**
   * Where poison records go.
   * @default a KafkaDeadLetterSink on `config.kafka.deadLetterTopic`
   */
  deadLetters?: DeadLetterSink;
  /**
   * kafkajs options of the dead-letter producer's client.
   * @default {}
   */
  kafka?: KafkaClientOptions;
}

/**
 * Builds the stream consumer from a pipeline runtime. Nothing connects until the first
 * dead letter, so building it at cold start is cheap.
 *
 * @example
 * const consumer = createStreamConsumer(createPipelineRuntime(loadConfig(), 'stream-consumer'));
 */
export function createStreamConsumer(runtime: PipelineRuntime, options: StreamConsumerOptions = {}): StreamConsumer {
  const deadLetters =
    options.deadLetters ??
    new KafkaDeadLetterSink({
      topic: runtime.config.kafka.deadLetterTopic,
      kafka: () => createKafkaClient(runtime.config, runtime.secrets, { clientId: `${runtime.config.kafka.clientId}-dead-letters`, ...options.kafka }),
    });
  const { confluentUrl } = runtime.config.schemaRegistry;
  const decoder =
    options.decoder ??
    new ImageEventDecoder({
      codec: options.codec,
      glue: new GlueSchemaRegistry(runtime.clients.glue),
      confluent: confluentUrl === undefined ? undefined : new ConfluentSchemaRegistry({ url: confluentUrl }),
      maxBodyBytes: runtime.config.limits.maxImageBytes + 1024 * 1024,
    });
  const processor = new StreamBatchProcessor({ runtime, deadLetters, decoder });
  return { processor, deadLetters, runtime, close: () => deadLetters.close() };
}

/**
 * The MSK handler for a consumer: parse the event → process the batch → the partial batch
 * response naming, per partition, the first record to deliver again.
 *
 * @throws InvalidParameterError when the event is not an MSK event (the whole batch is retried).
 * @example
 * export const handler = createMskHandler(createStreamConsumer(runtime));
 */
export function createMskHandler(consumer: Pick<StreamConsumer, 'processor' | 'runtime'>): MskHandlerFunction {
  const { processor, runtime } = consumer;
  return async (event: MSKEvent): Promise<MskBatchResponse> => {
    const started = performance.now();
    const records = parseMskEvent(event);
    const results = await processor.process(records);
    const response = batchItemFailures(results);
    const counts: Record<string, number> = {};
    for (const { outcome } of results) {
      const label = outcome.kind === 'ingested' ? (outcome.duplicate ? 'duplicate' : outcome.status.toLowerCase()) : outcome.kind;
      counts[label] = (counts[label] ?? 0) + 1;
    }
    runtime.telemetry.info('batch processed', {
      records: records.length,
      ...counts,
      redeliver: results.filter((r) => needsRedelivery(r.outcome)).length,
      resumeAt: response.batchItemFailures.map((f) => `${f.itemIdentifier.partition}@${f.itemIdentifier.offset}`),
      ms: Math.round(performance.now() - started),
    });
    runtime.telemetry.flush();
    return response;
  };
}
