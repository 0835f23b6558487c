/**
 * Wiring of the stream path: the batch processor with its dead-letter sink, and the MSK
 * handler function built from it. The Lambda entry point and the local runner both use these.
 */
import type { Context, MSKEvent } from 'aws-lambda';
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
 * Given Lambda's `context`, it starts a record only while the invocation has at least
 * `config.stream.recordTimeBudgetMs` left (`getRemainingTimeInMillis`); the records it did not
 * start are named for redelivery. Without that, a batch that outlasts the function's timeout is
 * killed whole: every record is delivered again, finished ones too, and a batch that always takes
 * longer than the timeout would hold its partitions for good.
 *
 * @throws InvalidParameterError when the event is not an MSK event (the whole batch is retried).
 * @example
 * export const handler = createMskHandler(createStreamConsumer(runtime));
 */
export function createMskHandler(consumer: Pick<StreamConsumer, 'processor' | 'runtime'>): MskHandlerFunction {
  const { processor, runtime } = consumer;
  const budgetMs = runtime.config.stream.recordTimeBudgetMs;
  return async (event: MSKEvent, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<MskBatchResponse> => {
    const started = performance.now();
    const records = parseMskEvent(event);
    let stoppedWithMs: number | undefined;
    const mayStart =
      context === undefined
        ? undefined
        : (): boolean => {
            const remaining = context.getRemainingTimeInMillis();
            if (remaining >= budgetMs) return true;
            stoppedWithMs ??= remaining;
            return false;
          };
    const results = await processor.process(records, { mayStart });
    if (stoppedWithMs !== undefined) {
      runtime.telemetry.warn('stopped starting records: the invocation may not have time to finish them; they will be delivered again', {
        remainingMs: stoppedWithMs,
        recordTimeBudgetMs: budgetMs,
        notStarted: results.filter((r) => r.outcome.kind === 'skipped').length,
      });
    }
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
