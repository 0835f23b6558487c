/**
 * The soak checker's Kafka reads: has the stream runner's consumer group committed every record
 * of the image topic, and what is on the dead-letter topic up to its end.
 *
 * Why both: settling waits for every accepted image's notification, but a poison record has no
 * notification. Without the first read the checker could look at the dead-letter topic while the
 * poison record still sat uncommitted on the image topic (a stream runner killed shortly before,
 * whose successor waits out the group's session timeout), and call it missing. With both, a
 * poison key missing from a dead-letter topic read to its end, after the group committed past
 * every image-topic record, is a record the consumer skipped: a loss.
 */
import { randomUUID } from 'node:crypto';
import type { Admin, Kafka, KafkaMessage } from 'kafkajs';
import { partitionLag, type PartitionLag } from '../local/stream-runner';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** What {@link waitForGroupCaughtUp} saw last. */
export interface CaughtUp {
  /** Every partition's committed offset equals its log end. */
  caughtUp: boolean;
  /** The last reading, per partition (empty when none could be read). */
  partitions: PartitionLag[];
}

/**
 * Polls until `groupId` has committed every record of `topic` (lag 0 on every partition) or
 * `timeoutMs` has passed. A read that fails (a broker restarting) is retried at the next poll.
 *
 * @param pollMs milliseconds between readings. @default 2000
 * @example
 * const { caughtUp, partitions } = await waitForGroupCaughtUp(admin, 'images', 'image-ingest', 120_000);
 */
export async function waitForGroupCaughtUp(admin: Admin, topic: string, groupId: string, timeoutMs: number, pollMs = 2000): Promise<CaughtUp> {
  const until = Date.now() + timeoutMs;
  let partitions: PartitionLag[] = [];
  for (;;) {
    partitions = await partitionLag(admin, topic, groupId).catch(() => partitions);
    const caughtUp = partitions.length > 0 && partitions.every((p) => p.lag === 0);
    if (caughtUp || Date.now() + pollMs > until) return { caughtUp, partitions };
    await sleep(pollMs);
  }
}

/** What {@link readTopicToEnd} read. */
export interface TopicRead {
  /** Every partition was read up to the end offset it had when the read began. */
  complete: boolean;
  /** Records read (up to those end offsets). */
  records: number;
}

/**
 * Reads `topic` from its first offset up to the end offsets it has when called, in a consumer
 * group of its own (`soak-checker-<uuid>`), handing each record to `onMessage`; stops at those
 * ends or after `timeoutMs`, whichever is first. Records appended after the call are not awaited.
 *
 * @throws kafkajs's error when the end offsets cannot be read or the consumer cannot connect.
 * @example
 * const read = await readTopicToEnd(kafka, admin, 'images-dlq', 120_000, (m) => keys.add(m.key?.toString() ?? ''));
 */
export async function readTopicToEnd(kafka: Kafka, admin: Admin, topic: string, timeoutMs: number, onMessage: (message: KafkaMessage, partition: number) => void): Promise<TopicRead> {
  const ends = await admin.fetchTopicOffsets(topic);
  // Per partition, the offset the read must reach (exclusive); partitions that are empty need nothing.
  const remaining = new Map(ends.filter((p) => Number(p.high) > Number(p.low)).map((p) => [p.partition, Number(p.high)]));
  let records = 0;
  if (remaining.size === 0) return { complete: true, records };
  const consumer = kafka.consumer({ groupId: `soak-checker-${randomUUID()}` });
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const end = remaining.get(partition);
        if (end === undefined || Number(message.offset) >= end) return;
        records++;
        onMessage(message, partition);
        if (Number(message.offset) + 1 >= end) remaining.delete(partition);
      },
    });
    const until = Date.now() + timeoutMs;
    while (remaining.size > 0 && Date.now() < until) await sleep(250);
    return { complete: remaining.size === 0, records };
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}
