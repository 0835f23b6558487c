/**
 * The project's patch to kafkajs 2.2.4's `sendMessages` (patches/kafkajs+2.2.4.patch), over a
 * stand-in cluster whose partition leaders move between two attempts, as after a broker dies.
 *
 * Unpatched, responses were kept per broker across retries: when the leader of a failed
 * partition moved to a broker that had already answered for another partition, the retry sent
 * nothing to it and `send()` resolved without producing that partition's messages. The
 * 10,000-image soak lost two poison records this way (docs/soak.md).
 */
import { KafkaJSConnectionError } from 'kafkajs';

// kafkajs's own modules, as its producer wires them (not part of its public types).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const createSendMessages = require('kafkajs/src/producer/sendMessages') as (deps: unknown) => (request: unknown) => Promise<{ topicName: string; partition: number; errorCode: number; baseOffset: string }[]>;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const createRetry = require('kafkajs/src/retry') as (options: unknown) => unknown;

const TOPIC = 'images';
const quietLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

interface ProduceCall {
  nodeId: number;
  partitions: number[];
}

/** Two brokers; `leaders` maps partition → node id and can be changed between attempts. */
function standIn(leaders: Record<number, number>, failOnce: Set<number>) {
  const calls: ProduceCall[] = [];
  const broker = (nodeId: number) => ({
    nodeId,
    async produce({ topicData }: { topicData: { topic: string; partitions: { partition: number; messages: unknown[] }[] }[] }) {
      const partitions = topicData.flatMap((t) => t.partitions.map((p) => p.partition));
      calls.push({ nodeId, partitions });
      if (failOnce.delete(nodeId)) throw new KafkaJSConnectionError(`Connection error: broker ${nodeId} went away`);
      return { topics: topicData.map((t) => ({ topicName: t.topic, partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode: 0, baseOffset: String(100 + p.partition), logAppendTime: '-1', logStartOffset: '0' })) })) };
    },
  });
  const brokers = new Map([1, 2].map((id) => [id, broker(id)]));
  const cluster = {
    targetTopics: new Set([TOPIC]),
    onRefresh: (): void => undefined,
    async refreshMetadataIfNecessary() {},
    async refreshMetadata() {
      cluster.onRefresh();
    },
    async addMultipleTargetTopics() {},
    removeBroker() {},
    isConnected: () => true,
    findTopicPartitionMetadata: () => Object.entries(leaders).map(([partitionId, leader]) => ({ partitionId: Number(partitionId), leader })),
    findLeaderForPartitions: (_topic: string, partitions: string[]) => {
      const result: Record<number, number[]> = {};
      for (const p of partitions.map(Number)) (result[leaders[p] as number] ??= []).push(p);
      return result;
    },
    findBroker: async ({ nodeId }: { nodeId: string | number }) => brokers.get(Number(nodeId)),
  };
  const sequences = new Map<string, number>();
  const eosManager = {
    isTransactional: () => false,
    getTransactionalId: () => undefined,
    getProducerId: () => 7,
    getProducerEpoch: () => 0,
    acquireBrokerLock: async () => undefined,
    releaseBrokerLock: async () => undefined,
    getSequence: (topic: string, partition: number) => sequences.get(`${topic}/${partition}`) ?? 0,
    updateSequence: (topic: string, partition: number, increment: number) => void sequences.set(`${topic}/${partition}`, (sequences.get(`${topic}/${partition}`) ?? 0) + increment),
  };
  const sendMessages = createSendMessages({
    logger: quietLogger,
    cluster,
    partitioner: ({ message }: { message: { partition: number } }) => message.partition,
    eosManager,
    retrier: createRetry({ retries: 3, initialRetryTime: 1, maxRetryTime: 5 }),
  });
  return { sendMessages, cluster, calls, sequences };
}

const messagesTo = (partitions: number[]) => partitions.map((partition) => ({ key: `k${partition}`, value: `v${partition}`, partition }));

test('after a leader change, the retry sends the failed partitions to their new leader even though it already answered for another', async () => {
  // p0 and p1 on broker 1, p2 on broker 2; broker 1 dies during the first attempt and its
  // partitions move to broker 2, which had already answered for p2.
  const leaders: Record<number, number> = { 0: 1, 1: 1, 2: 2 };
  const { sendMessages, cluster, calls, sequences } = standIn(leaders, new Set([1]));
  cluster.onRefresh = () => Object.assign(leaders, { 0: 2, 1: 2 });

  const response = await sendMessages({ acks: -1, timeout: 1000, topicMessages: [{ topic: TOPIC, messages: messagesTo([0, 1, 2]) }] });

  expect(response.map((r) => r.partition).sort()).toEqual([0, 1, 2]);
  expect(calls).toEqual([
    { nodeId: 1, partitions: [0, 1] },
    { nodeId: 2, partitions: [2] },
    // The retry: only what has no response yet, to the current leader.
    { nodeId: 2, partitions: [0, 1] },
  ]);
  // Each partition's sequence advanced by its one message: p2 was not sent twice, and the failed request's sequences were given back before the retry took them.
  expect(Object.fromEntries(sequences)).toEqual({ [`${TOPIC}/0`]: 1, [`${TOPIC}/1`]: 1, [`${TOPIC}/2`]: 1 });
});

test('a retry to the same broker resends only the partitions that failed, and the result lists every partition once', async () => {
  const leaders: Record<number, number> = { 0: 1, 1: 2, 2: 2 };
  const { sendMessages, calls } = standIn(leaders, new Set([1]));

  const response = await sendMessages({ acks: -1, timeout: 1000, topicMessages: [{ topic: TOPIC, messages: messagesTo([0, 1, 2]) }] });

  expect(response.map((r) => `${r.topicName}/${r.partition}@${r.baseOffset}`).sort()).toEqual([`${TOPIC}/0@100`, `${TOPIC}/1@101`, `${TOPIC}/2@102`]);
  expect(calls).toEqual([
    { nodeId: 1, partitions: [0] },
    { nodeId: 2, partitions: [1, 2] },
    { nodeId: 1, partitions: [0] },
  ]);
});
