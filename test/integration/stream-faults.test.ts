/**
 * Fault tests of the stream path on the shared local stack: a frozen AWS stand-in (moto, which
 * serves S3 and SNS) while events are in flight, and a Kafka broker restart mid-stream. They
 * touch servers other tests use, so they live apart and are bounded (≤ 50 events, ≤ 2 min).
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { createAwsClients, destroyAwsClients, loadConfig, type AwsClients, type Config } from '../../core';
import { createPipelineRuntime, type PipelineRuntime } from '../../core/runtime';
import { StackSupervisor } from '../../local/stack';
import { ImageEventPublisher, type PublishResult } from '../../kafka';
import { createLocalStreamComponent } from '../../local/stream-runner';
import { makeJpeg } from '../helpers/images';
import { openNotificationInbox, waitForFinalRecord } from '../helpers/notifications';

jest.setTimeout(120_000);

const quietKafka = { logLevel: logLevel.NOTHING };
let config: Config;
let clients: AwsClients;
let runtime: PipelineRuntime;
let supervisor: StackSupervisor;
let admin: Admin;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  config = loadConfig({ ...process.env, LOG_LEVEL: 'ERROR' });
  clients = createAwsClients(config);
  runtime = createPipelineRuntime(config, 'stream-faults-test');
  supervisor = new StackSupervisor(config);
  admin = new Kafka({ clientId: 'stream-faults', brokers: config.kafka.brokers, logLevel: logLevel.NOTHING, retry: { retries: 10 } }).admin();
  await admin.connect();
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await admin.disconnect();
  destroyAwsClients(runtime.clients);
  destroyAwsClients(clients);
});

async function createTopic(partitions: number): Promise<string> {
  const topic = `stream-faults-${randomUUID()}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
  cleanups.push(() => admin.deleteTopics({ topics: [topic] }));
  return topic;
}

async function committedOffsets(groupId: string, topic: string): Promise<Map<number, number>> {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return new Map((entry?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
}

async function endOffsets(topic: string): Promise<Map<number, number>> {
  return new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
}

async function publishAll(publisher: ImageEventPublisher, customerId: string, count: number, seed: number): Promise<PublishResult[]> {
  const results: PublishResult[] = [];
  for (let i = 0; i < count; i++) {
    results.push(await publisher.publish({ customerId, image: { kind: 'bytes', data: await makeJpeg({ width: 96 + i, height: 64 }, seed + i) } }));
  }
  return results;
}

async function startRunner(topic: string, groupId: string, lines: string[]): Promise<void> {
  const started = await createLocalStreamComponent(config, { topic, groupId, log: (line) => lines.push(line), backoff: { initialMs: 200, maxMs: 2000 }, kafka: { ...quietKafka, retry: { initialRetryTime: 300, retries: 10 } } }).start();
  cleanups.push(() => started.stop());
}

// moto keeps its state only in memory, so a stopped-and-started moto would come back without the
// buckets and queues; SIGSTOP/SIGCONT stops the S3 stand-in (no request is answered) and
// resumes it with its state, which is what an S3 outage looks like to the consumer.
it('the S3 stand-in stopped while 50 events are in flight, then resumed: nothing is committed past unfinished work, and every event ends PROCESSED exactly once', async () => {
  const topic = await createTopic(2);
  const groupId = `stream-faults-${randomUUID()}`;
  const inbox = await openNotificationInbox(clients, config, 'stream-faults-freeze');
  cleanups.push(() => inbox.close());
  const publisher = await ImageEventPublisher.connect({ config, blobs: runtime.blobs, secrets: runtime.secrets, topic, kafkaOptions: quietKafka });
  cleanups.push(() => publisher.disconnect());
  const events = await publishAll(publisher, inbox.customerId, 50, 100);
  const lines: string[] = [];

  const violations: string[] = [];
  supervisor.signal('moto', 'SIGSTOP');
  try {
    await startRunner(topic, groupId, lines);
    // While S3 and SNS hang, check that every committed offset covers finished records only.
    const until = Date.now() + 6000;
    while (Date.now() < until) {
      const committed = await committedOffsets(groupId, topic);
      for (const event of events) {
        const upTo = committed.get(event.partition) ?? -1;
        if (Number(event.offset) < upTo) {
          const record = await runtime.metadata.get(event.eventId, new Date());
          if (record?.status !== 'PROCESSED' || record.notifiedAt === undefined) violations.push(`${event.partition}@${event.offset} committed but ${record?.status ?? 'absent'}`);
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  } finally {
    supervisor.signal('moto', 'SIGCONT');
  }

  expect(violations).toEqual([]);
  for (const event of events) expect((await waitForFinalRecord(runtime.metadata, event.eventId, 60_000))?.status).toBe('PROCESSED');
  await inbox.waitFor(events.length, 30_000);
  const notes = await inbox.settle(3000);
  expect(notes.map((n) => `${n.type}:${n.imageId}`).sort()).toEqual(events.map((e) => `image.processed:${e.eventId}`).sort());
  const end = await endOffsets(topic);
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && JSON.stringify([...(await committedOffsets(groupId, topic))].sort()) !== JSON.stringify([...end].sort())) {
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  expect([...(await committedOffsets(groupId, topic))].sort()).toEqual([...end].sort());
});

it('the Kafka broker restarted mid-stream: the runner reconnects and finishes every event once', async () => {
  const topic = await createTopic(1);
  const groupId = `stream-faults-${randomUUID()}`;
  const inbox = await openNotificationInbox(clients, config, 'stream-faults-kafka');
  cleanups.push(() => inbox.close());
  const lines: string[] = [];
  const firstPublisher = await ImageEventPublisher.connect({ config, blobs: runtime.blobs, secrets: runtime.secrets, topic, kafkaOptions: quietKafka });
  const before = await publishAll(firstPublisher, inbox.customerId, 10, 300);
  await firstPublisher.disconnect();
  await startRunner(topic, groupId, lines);
  await waitForFinalRecord(runtime.metadata, (before[0] as PublishResult).eventId, 30_000);

  await supervisor.restart('kafka');

  const secondPublisher = await ImageEventPublisher.connect({ config, blobs: runtime.blobs, secrets: runtime.secrets, topic, kafkaOptions: { ...quietKafka, retry: { initialRetryTime: 300, retries: 10 } } });
  cleanups.push(() => secondPublisher.disconnect());
  const after = await publishAll(secondPublisher, inbox.customerId, 10, 400);
  const events = [...before, ...after];
  for (const event of events) expect((await waitForFinalRecord(runtime.metadata, event.eventId, 60_000))?.status).toBe('PROCESSED');
  await inbox.waitFor(events.length, 30_000);
  const notes = await inbox.settle(2000);
  expect(notes.map((n) => n.imageId).sort()).toEqual(events.map((e) => e.eventId).sort());
  const last = after[after.length - 1] as PublishResult;
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && (await committedOffsets(groupId, topic)).get(0) !== Number(last.offset) + 1) {
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  expect((await committedOffsets(groupId, topic)).get(0)).toBe(Number(last.offset) + 1);
});
