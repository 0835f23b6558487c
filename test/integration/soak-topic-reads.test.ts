/**
 * The soak checker's Kafka reads (soak/topic-reads.ts) on the real local broker, on topics and
 * groups of this test's own: whether a consumer group has committed every record of a topic, and
 * a read of a topic up to its end offsets.
 */
import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import { readTopicToEnd, waitForGroupCaughtUp } from '../../soak/topic-reads';
import { connectTestKafka, type TestKafka } from '../helpers/kafka';

jest.setTimeout(90_000);

let kit: TestKafka;
let producer: Producer;

beforeAll(async () => {
  kit = await connectTestKafka({ clientId: 'soak-topic-reads-test' });
  producer = kit.client.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
});

afterAll(async () => {
  await producer.disconnect();
  await kit.close();
});

/** Sends `count` keyed records spread over the topic's partitions; returns the keys. */
async function produce(topic: string, count: number): Promise<string[]> {
  const keys = Array.from({ length: count }, (_, i) => `k-${i}-${randomUUID()}`);
  await producer.send({ topic, acks: -1, messages: keys.map((key) => ({ key, value: Buffer.from(key) })) });
  return keys;
}

describe('waitForGroupCaughtUp', () => {
  it('is false while a partition holds records the group has not committed, true once it committed them all', async () => {
    const topic = await kit.createTopic('soak-reads-lag', 3);
    await produce(topic, 30);
    const groupId = `soak-reads-group-${randomUUID()}`;
    const ends = await kit.endOffsets(topic);
    const partitions = Object.keys(ends).map(Number);
    const busy = partitions.find((p) => Number(ends[p]) > 0) as number;

    // Nothing committed at all: not caught up.
    const none = await waitForGroupCaughtUp(kit.admin, topic, groupId, 500, 100);
    expect(none.caughtUp).toBe(false);

    // Every partition committed at its end but one, which is one short.
    await kit.admin.setOffsets({ groupId, topic, partitions: partitions.map((p) => ({ partition: p, offset: String(p === busy ? Number(ends[p]) - 1 : Number(ends[p])) })) });
    const short = await waitForGroupCaughtUp(kit.admin, topic, groupId, 500, 100);
    expect(short.caughtUp).toBe(false);
    expect(short.partitions.find((p) => p.partition === busy)?.lag).toBe(1);

    await kit.admin.setOffsets({ groupId, topic, partitions: partitions.map((p) => ({ partition: p, offset: ends[p] as string })) });
    const done = await waitForGroupCaughtUp(kit.admin, topic, groupId, 10_000, 100);
    expect(done).toEqual({ caughtUp: true, partitions: partitions.map((p) => ({ partition: p, committed: ends[p], end: ends[p], lag: 0 })) });
  });
});

describe('readTopicToEnd', () => {
  it('reads every record of every partition up to the end offsets and says it is complete', async () => {
    const topic = await kit.createTopic('soak-reads-dlq', 3);
    const keys = await produce(topic, 40);
    const seen: string[] = [];
    const read = await readTopicToEnd(kit.client, kit.admin, topic, 30_000, (m) => seen.push(m.key?.toString() ?? ''));
    expect(read).toEqual({ complete: true, records: 40 });
    expect(seen.sort()).toEqual([...keys].sort());
  });

  it('returns at once, complete with no records, for an empty topic', async () => {
    const topic = await kit.createTopic('soak-reads-empty', 2);
    const seen: string[] = [];
    expect(await readTopicToEnd(kit.client, kit.admin, topic, 30_000, (m) => seen.push(String(m.offset)))).toEqual({ complete: true, records: 0 });
    expect(seen).toEqual([]);
  });

  it('says it is incomplete when the time runs out before the end offsets are reached', async () => {
    const topic = await kit.createTopic('soak-reads-slow', 1);
    await produce(topic, 5);
    // No time at all: the group has not even joined when the wait ends.
    const read = await readTopicToEnd(kit.client, kit.admin, topic, 0, () => undefined);
    expect(read.complete).toBe(false);
  });
});
