/**
 * Kafka for integration tests, after kafkajs' own `testHelpers` (`createTopic`, `waitFor`,
 * `waitForMessages`): topics with unique names that are deleted afterwards, committed and end
 * offsets, and bounded reads of a topic (a dead-letter topic included).
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Admin, type KafkaConfig } from 'kafkajs';
import { loadConfig } from '../../core';
import { DEAD_LETTER_HEADERS } from '../../stream-consumer';
import { pollUntil, type WaitOptions } from './wait';

/** Offsets by partition, as kafkajs reports them (decimal strings): `{ 0: '12', 1: '4' }`. */
export type PartitionOffsets = Record<number, string>;

/** One message read from a topic; header values as UTF-8 strings. */
export interface TopicMessage {
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

/** Options of {@link TestKafka.readMessages}. */
export interface ReadMessagesOptions {
  /** Stop once this many (distinct) messages arrived. */
  count: number;
  /** Stop after this long even if fewer arrived. @default 30_000 */
  timeoutMs?: number;
  /**
   * Counts messages with the same key once (the first is kept), e.g. {@link byOriginalPosition}
   * for dead letters a redelivered batch wrote twice (at-least-once). @default every message counts
   */
  distinctBy?: (message: TopicMessage) => string;
}

/** A connected admin client plus the topics a test file made. */
export interface TestKafka {
  /** The kafkajs client, for producers and consumers of the test's own. */
  readonly client: Kafka;
  readonly admin: Admin;
  /**
   * Creates `<prefix>-<uuid>` with `partitions` partitions (replication factor 1) and waits until
   * every partition answers ListOffsets; {@link TestKafka.close} deletes it. @default partitions 1
   */
  createTopic(prefix: string, partitions?: number): Promise<string>;
  /** Offsets `groupId` has committed on `topic` (`'-1'` for a partition with no commit). */
  committedOffsets(groupId: string, topic: string): Promise<PartitionOffsets>;
  /** The end (high watermark) of each partition of `topic`: the offset the next message gets. */
  endOffsets(topic: string): Promise<PartitionOffsets>;
  /**
   * Reads the committed offsets until they equal `expected` or the wait runs out, and returns the
   * last ones read, for the caller's `expect(...).toEqual(expected)`.
   */
  waitForCommittedOffsets(groupId: string, topic: string, expected: PartitionOffsets, timeoutMs: number): Promise<PartitionOffsets>;
  /**
   * Reads `topic` from the beginning with a new consumer group until `count` messages arrived or
   * `timeoutMs` passed, and returns what arrived (the caller asserts on it).
   */
  readMessages(topic: string, options: ReadMessagesOptions): Promise<TopicMessage[]>;
  /** Deletes the topics made by {@link TestKafka.createTopic} and disconnects. */
  close(): Promise<void>;
}

/** The key of a dead letter's original record (topic, partition, offset), for `distinctBy`. */
export function byOriginalPosition(message: TopicMessage): string {
  const { headers } = message;
  return `${headers[DEAD_LETTER_HEADERS.originalTopic]}/${headers[DEAD_LETTER_HEADERS.originalPartition]}/${headers[DEAD_LETTER_HEADERS.originalOffset]}`;
}

/** Sorts dead letters by their original offset (numerically), for assertions in publish order. */
export function inOriginalOrder<T extends { headers: Record<string, string> }>(letters: T[]): T[] {
  return [...letters].sort((a, b) => Number(a.headers[DEAD_LETTER_HEADERS.originalOffset]) - Number(b.headers[DEAD_LETTER_HEADERS.originalOffset]));
}

function equalOffsets(a: PartitionOffsets, b: PartitionOffsets): boolean {
  const keys = Object.keys(b);
  return Object.keys(a).length === keys.length && keys.every((k) => a[Number(k)] === b[Number(k)]);
}

/**
 * Connects an admin client to the local stack's brokers (quiet: kafkajs logs nothing).
 *
 * @example
 * const kit = await connectTestKafka({ clientId: 'stream-test' });
 * afterAll(() => kit.close());
 * const topic = await kit.createTopic('stream-test-images', 2);
 */
export async function connectTestKafka(options: { clientId: string } & Partial<Omit<KafkaConfig, 'clientId'>>): Promise<TestKafka> {
  const kafka = new Kafka({ brokers: loadConfig().kafka.brokers, logLevel: logLevel.NOTHING, ...options });
  const admin = kafka.admin();
  await admin.connect();
  const topics: string[] = [];

  const committedOffsets = async (groupId: string, topic: string): Promise<PartitionOffsets> => {
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return Object.fromEntries((entry?.partitions ?? []).map((p) => [p.partition, p.offset]));
  };

  return {
    client: kafka,
    admin,
    async createTopic(prefix, partitions = 1) {
      const topic = `${prefix}-${randomUUID()}`;
      await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
      topics.push(topic);
      // Leaders known is not yet every leader answering: on a loaded machine a ListOffsets right
      // after creation can still fail (seen: the first read of a new topic's end offsets).
      await pollUntil(
        () => admin.fetchTopicOffsets(topic).then((offsets) => offsets.length, () => 0),
        (answered) => answered === partitions,
        { what: `every partition of ${topic} to answer ListOffsets`, timeoutMs: 30_000, intervalMs: 250 },
      );
      return topic;
    },
    committedOffsets,
    async endOffsets(topic) {
      return Object.fromEntries((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, p.high]));
    },
    waitForCommittedOffsets(groupId, topic, expected, timeoutMs) {
      const wait: WaitOptions = { what: `group ${groupId} to commit ${JSON.stringify(expected)} on ${topic}`, timeoutMs, intervalMs: 250 };
      return pollUntil(() => committedOffsets(groupId, topic), (committed) => equalOffsets(committed, expected), wait);
    },
    async readMessages(topic, { count, timeoutMs = 30_000, distinctBy }) {
      const consumer = kafka.consumer({ groupId: `test-reader-${randomUUID()}` });
      const messages: TopicMessage[] = [];
      const seen = new Set<string>();
      await consumer.connect();
      try {
        await consumer.subscribe({ topics: [topic], fromBeginning: true });
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, timeoutMs);
          void consumer.run({
            eachMessage: async ({ partition, message }) => {
              if (messages.length >= count) return;
              const headers: Record<string, string> = {};
              for (const [name, value] of Object.entries(message.headers ?? {})) headers[name] = String(value);
              const read: TopicMessage = { partition, offset: message.offset, key: message.key, value: message.value, headers };
              if (distinctBy !== undefined) {
                const key = distinctBy(read);
                if (seen.has(key)) return;
                seen.add(key);
              }
              messages.push(read);
              if (messages.length >= count) {
                clearTimeout(timer);
                resolve();
              }
            },
          });
        });
      } finally {
        await consumer.disconnect();
      }
      return messages;
    },
    async close() {
      if (topics.length > 0) await admin.deleteTopics({ topics: topics.splice(0) }).catch(() => undefined);
      await admin.disconnect();
    },
  };
}
