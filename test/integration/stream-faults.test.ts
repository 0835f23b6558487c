/**
 * Fault tests of the stream path on the shared local stack: a frozen AWS stand-in (moto, which
 * serves S3 and SNS) while events are in flight, and a Kafka broker restart mid-stream. They
 * touch servers other tests use, so they live apart and are bounded (≤ 50 events, ≤ 2 min).
 */
import { randomUUID } from 'node:crypto';
import { logLevel } from 'kafkajs';
import { createAwsClients, destroyAwsClients, loadConfig, type AwsClients, type Config } from '../../core';
import { createPipelineRuntime, type PipelineRuntime } from '../../core/runtime';
import { StackSupervisor } from '../../local/stack';
import { ImageEventPublisher, type PublishResult } from '../../kafka';
import { DEFAULT_HEARTBEAT_INTERVAL_MS, createLocalStreamComponent, joinTimeoutFor, sessionTimeoutFor } from '../../local/stream-runner';
import { makeJpeg } from '../helpers/images';
import { openNotificationInbox, waitForFinalRecord } from '../helpers/notifications';
import { connectTestKafka, type TestKafka } from '../helpers/kafka';

// A broker restart can cost the runner its join bound (60 s with the defaults) before it consumes again.
jest.setTimeout(240_000);

const quietKafka = { logLevel: logLevel.NOTHING };
let config: Config;
let clients: AwsClients;
let runtime: PipelineRuntime;
let supervisor: StackSupervisor;
let kit: TestKafka;
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  config = loadConfig({ ...process.env, LOG_LEVEL: 'ERROR' });
  clients = createAwsClients(config);
  runtime = createPipelineRuntime(config, 'stream-faults-test');
  supervisor = new StackSupervisor(config);
  kit = await connectTestKafka({ clientId: 'stream-faults', retry: { retries: 10 } });
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  await kit.close();
  destroyAwsClients(runtime.clients);
  destroyAwsClients(clients);
});

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
  const topic = await kit.createTopic('stream-faults', 2);
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
      const committed = await kit.committedOffsets(groupId, topic);
      for (const event of events) {
        const upTo = Number(committed[event.partition] ?? -1);
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
  const end = await kit.endOffsets(topic);
  expect(await kit.waitForCommittedOffsets(groupId, topic, end, 15_000)).toEqual(end);
});

it('the Kafka broker restarted mid-stream: the runner reconnects and finishes every event once', async () => {
  const topic = await kit.createTopic('stream-faults', 1);
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
  // After a broker restart the runner may first wait out its old member's session before it can
  // rejoin: its own join bound, plus 30 s to process the events.
  const recoveryMs = joinTimeoutFor(sessionTimeoutFor(config.fetch.deadlineMs, DEFAULT_HEARTBEAT_INTERVAL_MS)) + 30_000;
  for (const event of events) expect((await waitForFinalRecord(runtime.metadata, event.eventId, recoveryMs))?.status).toBe('PROCESSED');
  await inbox.waitFor(events.length, 30_000);
  const notes = await inbox.settle(2000);
  expect(notes.map((n) => n.imageId).sort()).toEqual(events.map((e) => e.eventId).sort());
  const last = after[after.length - 1] as PublishResult;
  const next = { 0: String(Number(last.offset) + 1) };
  expect(await kit.waitForCommittedOffsets(groupId, topic, next, 20_000)).toEqual(next);
});
