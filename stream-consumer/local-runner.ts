/**
 * The local stand-in for the MSK event source mapping: a kafkajs consumer-group member that
 * turns each fetched batch into the exact MSK event, invokes the same handler function the
 * Lambda runs, and commits only what the handler finished — like the ESM, never past a
 * record that must be delivered again.
 */
import { performance } from 'node:perf_hooks';
import type { Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
import { createPipelineRuntime, destroyAwsClients, type Config } from '../core';
import type { SecretStore } from '../core/ports';
import type { RuntimeComponent } from '../local/runtime';
import { resumeOffsets } from './batch-failures';
import { createMskHandler, createStreamConsumer, type StreamConsumerOptions } from './consumer';
import { createKafkaClient, type KafkaClientOptions } from './kafka-client';
import { buildMskEvent, topicPartitionKey, type MskHandlerFunction } from './msk-event';

/** Bytes fetched per partition and request: about one ESM batch (6 MB invocation payload). */
const FETCH_BYTES_PER_PARTITION = 6 * 1024 * 1024;

/** Options of {@link createStreamRunner}. */
export interface StreamRunnerOptions {
  /** Brokers, batch size (`stream.batchSize`) and window (`stream.batchWindowMs`), names. */
  config: Config;
  /** The function each MSK event is handed to. */
  handler: MskHandlerFunction;
  /** Reads the SASL/SCRAM secret when `config.kafkaSecretId` is set. */
  secrets: SecretStore;
  /** @default config.kafka.imageTopic */
  topic?: string;
  /** @default config.kafka.consumerGroupId */
  groupId?: string;
  /**
   * Where a group without committed offsets starts (the ESM's TRIM_HORIZON vs LATEST).
   * @default true
   */
  fromBeginning?: boolean;
  /**
   * Backoff between redeliveries of a failed record: doubles from `initialMs` up to `maxMs`, with jitter.
   * @default { initialMs: 250, maxMs: 10_000 }
   */
  backoff?: { initialMs: number; maxMs: number };
  /**
   * How long `start()` waits for the group join before giving up.
   * @default 30_000
   */
  joinTimeoutMs?: number;
  /** @default {} */
  kafka?: KafkaClientOptions;
  /** One line per batch and per state change. @default writes to stdout */
  log?: (line: string) => void;
  /** Called after the consumer disconnected, e.g. to close what the handler holds. @default none */
  onStop?: () => Promise<void>;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

/** Exponential backoff with full jitter in its upper half, capped. */
export function redeliveryDelayMs(failures: number, backoff: { initialMs: number; maxMs: number }, random: () => number = Math.random): number {
  const ceiling = Math.min(backoff.maxMs, backoff.initialMs * 2 ** Math.max(0, failures - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * The offset to commit after a chunk and where to continue: everything before `resumeAt` is
 * done; with no resume point the whole chunk is. `commit` is undefined when nothing new is done.
 */
export function chunkProgress(firstOffset: number, lastOffset: number, resumeAt: number | undefined): { commit: string | undefined; nextOffset: number } {
  const nextOffset = resumeAt ?? lastOffset + 1;
  return { commit: nextOffset > firstOffset ? String(nextOffset) : undefined, nextOffset };
}

/**
 * A {@link RuntimeComponent} that consumes `topic` as group `groupId` and feeds `handler` MSK
 * events of at most `config.stream.batchSize` records, one partition per event.
 *
 * @example
 * const runner = createStreamRunner({ config, handler, secrets: runtime.secrets });
 * const { stop } = await runner.start();
 */
export function createStreamRunner(options: StreamRunnerOptions): RuntimeComponent {
  const { config, handler } = options;
  const topic = options.topic ?? config.kafka.imageTopic;
  const groupId = options.groupId ?? config.kafka.consumerGroupId;
  const backoff = options.backoff ?? { initialMs: 250, maxMs: 10_000 };
  const log = options.log ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const batchSize = config.stream.batchSize;

  return {
    name: 'stream-runner',
    async start() {
      const kafka = await createKafkaClient(config, options.secrets, { clientId: `${config.kafka.clientId}-esm`, ...options.kafka });
      const stopping = new AbortController();
      const consumer: Consumer = kafka.consumer({
        groupId,
        // The fetch waits up to the batching window for data, like the ESM's MaximumBatchingWindow.
        maxWaitTimeInMs: Math.max(100, config.stream.batchWindowMs),
        // kafkajs fetches 1 MiB per partition by default: with images inline that is one record
        // per batch. The ESM's batches hold up to 6 MB, so fetch that much per partition.
        maxBytesPerPartition: FETCH_BYTES_PER_PARTITION,
        maxBytes: FETCH_BYTES_PER_PARTITION * config.kafka.partitions,
        allowAutoTopicCreation: false,
      });

      const eachBatch = async ({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> => {
        const { partition } = batch;
        const messages: KafkaMessage[] = batch.messages;
        let index = 0;
        let failures = 0;
        while (index < messages.length && isRunning() && !isStale() && !stopping.signal.aborted) {
          const chunk = messages.slice(index, index + batchSize);
          const firstOffset = Number((chunk[0] as KafkaMessage).offset);
          const lastOffset = Number((chunk[chunk.length - 1] as KafkaMessage).offset);
          const event = buildMskEvent(
            chunk.map((m) => ({ topic: batch.topic, partition, offset: m.offset, timestamp: m.timestamp, key: m.key, value: m.value, headers: m.headers })),
            { bootstrapServers: config.kafka.brokers.join(',') },
          );
          const started = performance.now();
          let resumeAt: number | undefined;
          let problem: string | undefined;
          try {
            const resume = resumeOffsets(event, await handler(event));
            if (resume === 'invalid') {
              problem = 'the handler returned an invalid batchItemFailures; retrying the whole batch';
              resumeAt = firstOffset;
            } else {
              resumeAt = resume.get(topicPartitionKey(batch.topic, partition));
              if (resumeAt !== undefined) problem = `batchItemFailures resume at ${resumeAt}`;
            }
          } catch (error) {
            problem = `the handler failed: ${(error as Error).message}`;
            resumeAt = firstOffset;
          }
          const { commit, nextOffset } = chunkProgress(firstOffset, lastOffset, resumeAt);
          if (commit !== undefined) {
            await consumer.commitOffsets([{ topic: batch.topic, partition, offset: commit }]);
            resolveOffset(String(nextOffset - 1));
          }
          const ms = Math.round(performance.now() - started);
          log(
            `stream-runner topic=${batch.topic} partition=${partition} offsets=${firstOffset}-${lastOffset} records=${chunk.length} ms=${ms}` +
              (commit === undefined ? ' committed=none' : ` committed=${commit}`) +
              (problem === undefined ? '' : ` ${problem}`),
          );
          const nextIndex = messages.findIndex((m) => Number(m.offset) >= nextOffset);
          index = nextIndex === -1 ? messages.length : nextIndex;
          if (resumeAt !== undefined) {
            failures += 1;
            await pause(redeliveryDelayMs(failures, backoff), stopping.signal);
          } else {
            failures = 0;
          }
          await heartbeat();
        }
        // Anything not resolved above is fetched again from the last resolved offset.
      };

      await consumer.connect();
      try {
        await consumer.subscribe({ topics: [topic], fromBeginning: options.fromBeginning ?? true });
        const joined = new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`stream-runner did not join group ${groupId} within ${options.joinTimeoutMs ?? 30_000} ms`)), options.joinTimeoutMs ?? 30_000);
          const remove = consumer.on(consumer.events.GROUP_JOIN, () => {
            clearTimeout(timer);
            remove();
            resolve();
          });
        });
        consumer.on(consumer.events.CRASH, (e) => log(`stream-runner consumer crashed (restart: ${String(e.payload.restart)}): ${e.payload.error.message}`));
        consumer.on(consumer.events.REBALANCING, () => log(`stream-runner group ${groupId} is rebalancing; in-flight work stops at the last committed record`));
        // Like MSK, which runs one invocation per partition at a time, partitions proceed in parallel.
        await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch, partitionsConsumedConcurrently: config.kafka.partitions });
        await joined;
      } catch (error) {
        await consumer.disconnect().catch(() => undefined);
        throw error;
      }
      return {
        description: `consuming ${topic} as group ${groupId} (batch ≤ ${batchSize} records, window ${config.stream.batchWindowMs} ms)`,
        async stop() {
          stopping.abort();
          try {
            // Waits for the batch in flight; its finished records are already committed.
            await consumer.disconnect();
          } finally {
            await options.onStop?.();
          }
        },
      };
    },
  };
}

/** Options of {@link createLocalStreamComponent}. */
export interface LocalStreamComponentOptions extends StreamConsumerOptions {
  /** @default config.kafka.imageTopic */
  topic?: string;
  /** @default config.kafka.consumerGroupId */
  groupId?: string;
  /** @default writes to stdout */
  log?: (line: string) => void;
  /** @default { initialMs: 250, maxMs: 10_000 } */
  backoff?: StreamRunnerOptions['backoff'];
}

/**
 * The stream path as `ingest start` runs it: its own pipeline runtime, the same handler the
 * Lambda uses, and the runner feeding it; stopping it closes all of them.
 *
 * @example
 * const stop = await startRuntime([createLocalStreamComponent(config)], console.log);
 */
export function createLocalStreamComponent(config: Config, options: LocalStreamComponentOptions = {}): RuntimeComponent {
  return {
    name: 'stream-runner',
    async start() {
      const runtime = createPipelineRuntime(config, 'stream-consumer');
      const consumer = createStreamConsumer(runtime, options);
      const close = async (): Promise<void> => {
        await consumer.close().catch(() => undefined);
        destroyAwsClients(runtime.clients);
      };
      const runner = createStreamRunner({
        config,
        handler: createMskHandler(consumer),
        secrets: runtime.secrets,
        topic: options.topic,
        groupId: options.groupId,
        log: options.log,
        backoff: options.backoff,
        kafka: options.kafka,
        onStop: close,
      });
      try {
        return await runner.start();
      } catch (error) {
        await close();
        throw error;
      }
    },
  };
}
