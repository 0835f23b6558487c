/**
 * `ingest start` when its stream runner dies for good: the process says so and exits non-zero,
 * rather than serving a healthy-looking API over a dead consumer. The runner is killed for real:
 * the child's own image topic (a unique one) is deleted under it, so every restart fails.
 * And while the runner is still joining its group, `/readyz` says so, and Ctrl-C stops the start.
 */
import { randomUUID } from 'node:crypto';
import { startIngest, type IngestProcess } from '../helpers/ingest-process';
import { connectTestKafka, type TestKafka } from '../helpers/kafka';
import { freePorts } from '../helpers/tcp-ports';
import { waitUntil } from '../helpers/wait';
import type { Consumer } from 'kafkajs';

describe('`ingest start` over a stream runner that cannot restart', () => {
  let ingest: IngestProcess | undefined;
  let kit: TestKafka;
  const topic = `cli-runner-images-${randomUUID()}`;
  const deadLetterTopic = `cli-runner-dlq-${randomUUID()}`;

  beforeAll(async () => {
    kit = await connectTestKafka({ clientId: 'cli-start-runner-test' });
  });

  afterAll(async () => {
    ingest?.kill();
    await kit?.admin.deleteTopics({ topics: [deadLetterTopic] }).catch(() => undefined);
    await kit?.close();
  });

  it('reports the runner on /readyz, then says why and exits non-zero once the consumer cannot be restarted', async () => {
    const [apiPort] = await freePorts(1);
    const env = {
      ...process.env,
      API_PORT: String(apiPort),
      IMAGE_TOPIC: topic,
      DEAD_LETTER_TOPIC: deadLetterTopic,
      CONSUMER_GROUP_ID: `cli-runner-${randomUUID()}`,
      STREAM_RESTART_ATTEMPTS: '1',
      LOG_LEVEL: 'ERROR',
    };
    ingest = startIngest(['start'], env);
    await ingest.waitForOutput(/ready\. Ctrl-C to stop\./, 90_000);
    const ready = await fetch(`http://127.0.0.1:${apiPort}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, components: { 'stream-runner': { state: 'consuming', topic } } });
    const failing = ingest.waitForOutput(/error: the stream runner could not restart its consumer/, 60_000);

    await kit.admin.deleteTopics({ topics: [topic] });

    const output = await failing;
    expect(output).toMatch(/stream-runner state=stopped group=cli-runner-\S+ gave up after 1 restart: /);
    expect(await ingest.exited).toBe(1);
    await expect(fetch(`http://127.0.0.1:${apiPort}/readyz`)).rejects.toThrow();
  });
});

describe('`ingest start` while its stream runner is still joining', () => {
  let ingest: IngestProcess | undefined;
  let kit: TestKafka;
  let holder: Consumer | undefined;
  let release: () => void = () => undefined;

  beforeAll(async () => {
    kit = await connectTestKafka({ clientId: 'cli-start-joining-test' });
  });

  afterAll(async () => {
    ingest?.kill();
    release();
    await holder?.disconnect().catch(() => undefined);
    await kit?.close();
  });

  it('answers /readyz 503 with the runner "starting", and on Ctrl-C stops what it started and exits 130', async () => {
    const topic = await kit.createTopic('cli-joining');
    const groupId = `cli-joining-${randomUUID()}`;
    // A member that holds a batch without heartbeating: a new member's JoinGroup waits for it
    // to rejoin, up to its 60 s rebalance timeout, so the runner stays in its first join.
    holder = kit.client.consumer({ groupId, sessionTimeout: 60_000, rebalanceTimeout: 60_000, heartbeatInterval: 3_000 });
    await holder.connect();
    await holder.subscribe({ topics: [topic], fromBeginning: true });
    let holding = false;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    await holder.run({
      eachMessage: async () => {
        holding = true;
        await held;
      },
    });
    const producer = kit.client.producer();
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ value: 'hold' }] });
    await producer.disconnect();
    await waitUntil(() => holding, { what: 'the holding member to take its batch', timeoutMs: 30_000 });

    const [apiPort] = await freePorts(1);
    ingest = startIngest(['start'], { ...process.env, API_PORT: String(apiPort), IMAGE_TOPIC: topic, CONSUMER_GROUP_ID: groupId, LOG_LEVEL: 'ERROR' });
    await ingest.waitForOutput(/rest-api: /, 90_000);
    const readiness = await fetch(`http://127.0.0.1:${apiPort}/readyz`);
    expect(readiness.status).toBe(503);
    expect(await readiness.json()).toMatchObject({ ready: false, components: { 'stream-runner': { ready: false, state: 'starting' } } });

    const stopping = ingest.waitForOutput(/interrupted before the pipeline was ready; stopping …[\s\S]*stopped: /, 30_000);
    ingest.child.kill('SIGINT');
    await stopping;
    expect(await ingest.exited).toBe(130);
    await expect(fetch(`http://127.0.0.1:${apiPort}/readyz`)).rejects.toThrow();
  });
});
