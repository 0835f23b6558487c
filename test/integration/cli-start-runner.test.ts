/**
 * `ingest start` when its stream runner dies for good: the process says so and exits non-zero,
 * rather than serving a healthy-looking API over a dead consumer. The runner is killed for real:
 * the child's own image topic (a unique one) is deleted under it, so every restart fails.
 */
import { randomUUID } from 'node:crypto';
import { startIngest, type IngestProcess } from '../helpers/ingest-process';
import { connectTestKafka, type TestKafka } from '../helpers/kafka';
import { freePorts } from '../helpers/tcp-ports';

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
