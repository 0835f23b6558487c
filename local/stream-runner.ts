/**
 * The local stand-in for the MSK event source mapping: a kafkajs consumer-group member that
 * turns each fetched batch into the exact MSK event, invokes the same handler function the
 * Lambda runs, and commits only what the handler finished — like the ESM, never past a
 * record that must be delivered again.
 */
import { performance } from 'node:perf_hooks';
import type { Admin, Consumer, EachBatchPayload, KafkaMessage } from 'kafkajs';
import { destroyAwsClients, type Config } from '../core';
import { createPipelineRuntime } from '../core/runtime';
import { abortableSleep, backoffDelayMs } from '../core/retry';
import type { SecretStore } from '../core/ports';
import { StartInterruptedError, type RuntimeComponent } from './runtime';
import { resumeOffsets } from '../stream-consumer/batch-failures';
import { createMskHandler, createStreamConsumer, type StreamConsumerOptions } from '../stream-consumer/consumer';
import { createKafkaClient, type KafkaClientOptions } from '../kafka/client';
import { buildMskEvent, topicPartitionKey, type MskHandlerFunction } from '../stream-consumer/msk-event';

/** Bytes fetched per partition and request: about one ESM batch (6 MB invocation payload). */
const FETCH_BYTES_PER_PARTITION = 6 * 1024 * 1024;

/** Kafka brokers refuse session timeouts below `group.min.session.timeout.ms` (default 6 s). */
export const MIN_SESSION_TIMEOUT_MS = 6_000;

/** Heartbeat intervals of slack between the longest record and the session timeout. */
export const SESSION_MARGIN_HEARTBEATS = 5;

/**
 * The group session timeout for a given fetch deadline: the deadline plus
 * {@link SESSION_MARGIN_HEARTBEATS} heartbeat intervals, and at least the broker's minimum.
 * With the defaults (30 s deadline, 3 s heartbeats) that is 45 s, Kafka's own client default.
 *
 * Why: the runner heartbeats while a batch runs, so membership only lapses when heartbeats stop
 * for a whole session. The one thing a record waits on without bound of our own is a source
 * server, and that wait ends at the fetch deadline; deriving the session from the deadline keeps
 * even a record whose heartbeats were all lost from outlasting its membership.
 *
 * @example
 * sessionTimeoutFor(30_000, 3_000); // 45_000
 * sessionTimeoutFor(1_000, 500);    // 6_000 (broker minimum)
 */
export function sessionTimeoutFor(fetchDeadlineMs: number, heartbeatIntervalMs: number): number {
  return Math.max(MIN_SESSION_TIMEOUT_MS, fetchDeadlineMs + SESSION_MARGIN_HEARTBEATS * heartbeatIntervalMs);
}

/** How often the runner heartbeats, during a batch too, unless told otherwise. */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 3_000;

/**
 * How long a (re)starting consumer may take to join its group: a restarted member may first wait
 * for the crashed member's session to expire, so `max(30 s, session timeout + 15 s)`.
 */
export function joinTimeoutFor(sessionTimeoutMs: number): number {
  return Math.max(30_000, sessionTimeoutMs + 15_000);
}

/** What the runner is doing: joining, consuming, waiting to restart a crashed consumer, or done. */
export const STREAM_RUNNER_STATES = ['starting', 'consuming', 'restarting', 'stopped'] as const;
export type StreamRunnerState = (typeof STREAM_RUNNER_STATES)[number];

/** One partition's position for the group: committed offset, log end, and the records between. */
export interface PartitionLag {
  partition: number;
  /** The group's committed offset (the next record to process); `null` when nothing is committed. */
  committed: string | null;
  /** The log end offset (high watermark). */
  end: string;
  /** Records not yet committed: end − committed (end − log start when nothing is committed). */
  lag: number;
}

/** What the runner reports on the readiness route. */
export interface StreamRunnerHealth {
  /** True only while consuming. */
  ready: boolean;
  state: StreamRunnerState;
  topic: string;
  groupId: string;
  /** Restarts since the consumer last worked. */
  restarts: number;
  /** Why the consumer last crashed, if it did. */
  lastError?: string;
  sessionTimeoutMs: number;
  /** Per partition, when the broker could be asked. */
  partitions?: PartitionLag[];
  /** Why `partitions` is missing. */
  lagError?: string;
  [detail: string]: unknown;
}

/** Options of {@link createStreamRunner}. */
export interface StreamRunnerOptions {
  /**
   * Brokers, batch size (`stream.batchSize`) and window (`stream.batchWindowMs`), restart
   * attempts (`stream.restartAttempts`), the fetch deadline the session timeout derives from
   * (`fetch.deadlineMs`), names.
   */
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
   * Backoff between redeliveries of a failed record: doubles from `initialMs` up to `maxMs`, with
   * equal jitter (`backoffDelayMs`, core/retry.ts; the fetcher's formula too).
   * @default { initialMs: 250, maxMs: 10_000 }
   */
  backoff?: { initialMs: number; maxMs: number };
  /**
   * Backoff between restarts of a crashed consumer (same formula as `backoff`).
   * @default { initialMs: 1_000, maxMs: 30_000 }
   */
  restartBackoff?: { initialMs: number; maxMs: number };
  /**
   * How often the member heartbeats, also while a batch runs; the session timeout is derived
   * from it and the fetch deadline ({@link sessionTimeoutFor}).
   * @default 3_000
   */
  heartbeatIntervalMs?: number;
  /**
   * How long each attempt to join the group (the first, in `start()`, and each restart) waits
   * before it counts as failed. A restart may wait for the crashed member's session to expire
   * first, hence the session timeout in it. A consumer that crashes before it joins fails the
   * attempt at once, with kafkajs's reason.
   * @default max(30_000, session timeout + 15_000)
   */
  joinTimeoutMs?: number;
  /** @default {} */
  kafka?: KafkaClientOptions;
  /** One line per batch and per state change. @default writes to stdout */
  log?: (line: string) => void;
  /** Called after the consumer disconnected, e.g. to close what the handler holds. @default none */
  onStop?: () => Promise<void>;
  /**
   * Called once when a crashed consumer could not be restarted within `config.stream.restartAttempts`:
   * the runner is `stopped` and consumes nothing more. `ingest start` exits non-zero on it.
   * @default none (the state is still reported by `health()`)
   */
  onFatal?: (error: Error) => void;
}

/** How long a failed join attempt waits for its consumer to disconnect before the next attempt. */
const ABANDONED_DISCONNECT_WAIT_MS = 5_000;

/** "1 attempt", "2 attempts". */
const attempts = (n: number): string => `${n} attempt${n === 1 ? '' : 's'}`;

/** Rejects with `message` after `ms` unless `work` settles first. */
function within<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
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
 * Per partition, committed offset, log end and lag of `groupId` on `topic`, sorted by partition.
 * @throws kafkajs's error when the offsets cannot be read.
 */
export async function partitionLag(admin: Admin, topic: string, groupId: string): Promise<PartitionLag[]> {
  const [ends, [committed]] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
  const byPartition = new Map((committed?.partitions ?? []).map((p) => [p.partition, p.offset]));
  return ends
    .map((p) => {
      const offset = byPartition.get(p.partition);
      const known = offset !== undefined && Number(offset) >= 0;
      return { partition: p.partition, committed: known ? offset : null, end: p.high, lag: Math.max(0, Number(p.high) - Number(known ? offset : p.low)) };
    })
    .sort((a, b) => a.partition - b.partition);
}

/**
 * A {@link RuntimeComponent} that consumes `topic` as group `groupId` and feeds `handler` MSK
 * events of at most `config.stream.batchSize` records, one partition per event.
 *
 * Like the event source mapping it stands in for, it keeps its group membership however long a
 * batch takes (it heartbeats while the handler runs; see {@link sessionTimeoutFor} for the
 * session timeout), restarts a crashed consumer with backoff, and — when it cannot — reports
 * `stopped` and calls `onFatal`. `health()` reports the state and each partition's lag.
 * `start()` resolves once the consumer joined its group; a first join that fails is retried with
 * the same backoff and limit as a restart, after which `start()` rejects with the last reason and
 * leaves no consumer connected.
 *
 * @example
 * const runner = createStreamRunner({ config, handler, secrets: runtime.secrets });
 * const { stop, health } = await runner.start();
 */
export function createStreamRunner(options: StreamRunnerOptions): RuntimeComponent {
  const { config, handler } = options;
  const topic = options.topic ?? config.kafka.imageTopic;
  const groupId = options.groupId ?? config.kafka.consumerGroupId;
  const backoff = options.backoff ?? { initialMs: 250, maxMs: 10_000 };
  const restartBackoff = options.restartBackoff ?? { initialMs: 1_000, maxMs: 30_000 };
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
  const sessionTimeoutMs = sessionTimeoutFor(config.fetch.deadlineMs, heartbeatIntervalMs);
  const joinTimeoutMs = options.joinTimeoutMs ?? joinTimeoutFor(sessionTimeoutMs);
  const log = options.log ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const batchSize = config.stream.batchSize;

  return {
    name: 'stream-runner',
    async start(signal) {
      const kafka = await createKafkaClient(config, options.secrets, { clientId: `${config.kafka.clientId}-esm`, ...options.kafka });
      const stopping = new AbortController();
      // An abort while the first join is still being tried (Ctrl-C during start) stops it.
      const interrupt = (): void => stopping.abort();
      signal?.addEventListener('abort', interrupt, { once: true });
      let state: StreamRunnerState = 'starting';
      let restarts = 0;
      let lastError: string | undefined;
      let consumer: Consumer | undefined;
      let recovering: Promise<void> | undefined;
      let admin: Admin | undefined;

      const setState = (next: StreamRunnerState, why: string): void => {
        if (state === next) return;
        state = next;
        log(`stream-runner state=${next} group=${groupId} ${why}`);
      };

      const eachBatch = (current: () => Consumer) => async ({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> => {
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
          // Heartbeats while the handler runs, so a slow batch keeps the membership (kafkajs only
          // heartbeats when asked). A failed heartbeat (e.g. a rebalance) is noted; the loop then
          // ends after this chunk's commit, and kafkajs rejoins.
          let heartbeating = false;
          let heartbeatProblem: string | undefined;
          const beat = setInterval(() => {
            if (heartbeating) return;
            heartbeating = true;
            heartbeat()
              .catch((error: unknown) => {
                heartbeatProblem = (error as Error).message;
              })
              .finally(() => {
                heartbeating = false;
              });
          }, heartbeatIntervalMs);
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
          } finally {
            clearInterval(beat);
          }
          const { commit, nextOffset } = chunkProgress(firstOffset, lastOffset, resumeAt);
          if (commit !== undefined) {
            await current().commitOffsets([{ topic: batch.topic, partition, offset: commit }]);
            resolveOffset(String(nextOffset - 1));
          }
          const ms = Math.round(performance.now() - started);
          log(
            `stream-runner topic=${batch.topic} partition=${partition} offsets=${firstOffset}-${lastOffset} records=${chunk.length} ms=${ms}` +
              (commit === undefined ? ' committed=none' : ` committed=${commit}`) +
              (problem === undefined ? '' : ` ${problem}`) +
              (heartbeatProblem === undefined ? '' : ` heartbeat failed: ${heartbeatProblem}`),
          );
          if (resumeAt === undefined) restarts = 0;
          const nextIndex = messages.findIndex((m) => Number(m.offset) >= nextOffset);
          index = nextIndex === -1 ? messages.length : nextIndex;
          if (resumeAt !== undefined) {
            failures += 1;
            await abortableSleep(backoffDelayMs(failures, backoff), stopping.signal);
          } else {
            failures = 0;
          }
          await heartbeat();
        }
        // Anything not resolved above is fetched again from the last resolved offset.
      };

      /** A new consumer, joined to the group and consuming; disconnected again if it cannot join. */
      const launch = async (): Promise<Consumer> => {
        const created: Consumer = kafka.consumer({
          groupId,
          sessionTimeout: sessionTimeoutMs,
          // A member in a batch rejoins after the batch's current chunk: give it as long as a session.
          rebalanceTimeout: Math.max(60_000, sessionTimeoutMs),
          heartbeatInterval: heartbeatIntervalMs,
          // The fetch waits up to the batching window for data, like the ESM's MaximumBatchingWindow.
          maxWaitTimeInMs: Math.max(100, config.stream.batchWindowMs),
          // kafkajs fetches 1 MiB per partition by default: with images inline that is one record
          // per batch. The ESM's batches hold up to 6 MB, so fetch that much per partition.
          maxBytesPerPartition: FETCH_BYTES_PER_PARTITION,
          maxBytes: FETCH_BYTES_PER_PARTITION * config.kafka.partitions,
          allowAutoTopicCreation: false,
          // This runner restarts crashed consumers itself (with its own backoff and limit).
          retry: { ...(options.kafka?.retry ?? { initialRetryTime: 300, retries: 5 }), restartOnFailure: async () => false },
        });
        let joinedAt = 0;
        // Set once this attempt failed: what its consumer does later (a crash when its pending
        // JoinGroup times out, a late join) is no longer the runner's business.
        let abandoned = false;
        try {
          await created.connect();
          await created.subscribe({ topics: [topic], fromBeginning: options.fromBeginning ?? true });
          // Settles on the first join, or fails with the reason the consumer crashed before it
          // joined (e.g. the group coordinator stayed unavailable through kafkajs's retries), or
          // at the join timeout. Before the join, a crash is this launch's failure, not a restart's.
          let joinFailed: ((error: Error) => void) | undefined;
          const joined = new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error(`stream-runner did not join group ${groupId} within ${joinTimeoutMs} ms`)), joinTimeoutMs);
            joinFailed = (error) => {
              clearTimeout(timer);
              reject(error);
            };
            const remove = created.on(created.events.GROUP_JOIN, () => {
              clearTimeout(timer);
              remove();
              resolve();
            });
          });
          created.on(created.events.GROUP_JOIN, () => {
            if (abandoned) return;
            joinedAt = Date.now();
            if (!stopping.signal.aborted) setState('consuming', `session timeout ${sessionTimeoutMs} ms`);
          });
          created.on(created.events.CRASH, (e) => {
            if (abandoned) return;
            const error = e.payload.error;
            log(`stream-runner consumer crashed: ${error.message}`);
            if (joinedAt === 0) {
              joinFailed?.(new Error(`stream-runner could not join group ${groupId}: ${error.message}`, { cause: error }));
              return;
            }
            // A consumer that ran a while before crashing was working: count restarts afresh.
            if (Date.now() - joinedAt > restartBackoff.maxMs) restarts = 0;
            if (!stopping.signal.aborted) recovering ??= recover(error).finally(() => (recovering = undefined));
          });
          created.on(created.events.REBALANCING, () => log(`stream-runner group ${groupId} is rebalancing; in-flight work stops at the last committed record`));
          // Like MSK, which runs one invocation per partition at a time, partitions proceed in parallel.
          // kafkajs' run() settles only once the group is joined (or joining failed), so it is
          // raced with the join's own timeout: an attempt that hangs in JoinGroup ends at the
          // timeout, and neither promise is left to reject unobserved.
          const running = created.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: eachBatch(() => created), partitionsConsumedConcurrently: config.kafka.partitions });
          // Stopping (Ctrl-C during start) ends the attempt too; the listener lives as long as it.
          const interrupted = (): void => joinFailed?.(new StartInterruptedError('the stream runner'));
          stopping.signal.addEventListener('abort', interrupted, { once: true });
          try {
            if (stopping.signal.aborted) interrupted();
            await Promise.race([joined, running.then(() => joined)]);
          } finally {
            stopping.signal.removeEventListener('abort', interrupted);
          }
        } catch (error) {
          abandoned = true;
          // A consumer stuck in JoinGroup disconnects only once that request is answered or times
          // out (the rebalance timeout, ≥ 60 s): the attempt waits a bounded time, and the
          // disconnect finishes on its own.
          await within(created.disconnect(), ABANDONED_DISCONNECT_WAIT_MS, 'disconnect still pending').catch((why: unknown) =>
            log(`stream-runner group=${groupId} a failed consumer did not disconnect within ${ABANDONED_DISCONNECT_WAIT_MS} ms (${(why as Error).message}); it closes when its request times out`),
          );
          throw error;
        }
        return created;
      };

      /**
       * Launches consumers with backoff after `failure` until one joins, at most
       * `config.stream.restartAttempts` times; after that reports `stopped`.
       * @returns the joined consumer; `undefined` when the runner is stopping; or the last reason
       *   when every attempt failed.
       */
      const relaunch = async (failure: Error): Promise<{ consumer?: Consumer; gaveUp?: Error }> => {
        let reason = failure;
        lastError = failure.message;
        while (!stopping.signal.aborted) {
          if (restarts >= config.stream.restartAttempts) {
            setState('stopped', `gave up after ${restarts} restart${restarts === 1 ? '' : 's'}: ${reason.message}`);
            return { gaveUp: reason };
          }
          restarts += 1;
          const delayMs = backoffDelayMs(restarts, restartBackoff);
          setState('restarting', `in ${delayMs} ms (attempt ${restarts} of ${config.stream.restartAttempts}) after: ${reason.message}`);
          await abortableSleep(delayMs, stopping.signal);
          if (stopping.signal.aborted) return {};
          try {
            const launched = await launch();
            log(`stream-runner consumer restarted (attempt ${restarts})`);
            return { consumer: launched };
          } catch (error) {
            reason = error as Error;
            lastError = reason.message;
            log(`stream-runner group=${groupId} restart failed (attempt ${restarts} of ${config.stream.restartAttempts}): ${reason.message}`);
          }
        }
        return {};
      };

      /** After a crash of a joined consumer: restart it, or stop for good and call `onFatal`. */
      const recover = async (crash: Error): Promise<void> => {
        const { consumer: restarted, gaveUp } = await relaunch(crash);
        if (restarted !== undefined) consumer = restarted;
        if (gaveUp !== undefined) {
          options.onFatal?.(new Error(`the stream runner could not restart its consumer (group ${groupId}) after ${attempts(restarts)}: ${gaveUp.message}`, { cause: gaveUp }));
        }
      };

      // The first join gets the same bounded retries as a restart: a group coordinator that is
      // still loading (a fresh broker creates __consumer_offsets on first use) is not fatal.
      try {
        try {
          consumer = await launch();
        } catch (error) {
          const { consumer: joined, gaveUp } = stopping.signal.aborted ? {} : await relaunch(error as Error);
          if (gaveUp !== undefined) {
            throw new Error(`the stream runner could not join group ${groupId}: the first join and ${restarts === 1 ? '1 retry' : `${restarts} retries`} failed; last: ${gaveUp.message}`, { cause: gaveUp });
          }
          if (joined === undefined) throw new StartInterruptedError('the stream runner');
          consumer = joined;
        }
      } finally {
        signal?.removeEventListener('abort', interrupt);
      }

      const health = async (): Promise<StreamRunnerHealth> => {
        const report: StreamRunnerHealth = { ready: state === 'consuming', state, topic, groupId, restarts, sessionTimeoutMs, ...(lastError === undefined ? {} : { lastError }) };
        try {
          admin ??= kafka.admin();
          const current = admin;
          report.partitions = await within(
            current.connect().then(() => partitionLag(current, topic, groupId)),
            2_000,
            'the brokers did not answer within 2000 ms',
          );
        } catch (error) {
          report.lagError = (error as Error).message;
        }
        return report;
      };

      return {
        description: `consuming ${topic} as group ${groupId} (batch ≤ ${batchSize} records, window ${config.stream.batchWindowMs} ms, session timeout ${sessionTimeoutMs} ms)`,
        health,
        async stop() {
          stopping.abort();
          try {
            await recovering;
            // Waits for the batch in flight; its finished records are already committed.
            await consumer?.disconnect();
            await admin?.disconnect().catch(() => undefined);
          } finally {
            setState('stopped', 'on request');
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
  /** @default { initialMs: 1_000, maxMs: 30_000 } */
  restartBackoff?: StreamRunnerOptions['restartBackoff'];
  /** @default 3_000 */
  heartbeatIntervalMs?: number;
  /** @default none */
  onFatal?: StreamRunnerOptions['onFatal'];
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
    async start(signal) {
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
        restartBackoff: options.restartBackoff,
        heartbeatIntervalMs: options.heartbeatIntervalMs,
        onFatal: options.onFatal,
        kafka: options.kafka,
        onStop: close,
      });
      try {
        return await runner.start(signal);
      } catch (error) {
        await close();
        throw error;
      }
    },
  };
}
