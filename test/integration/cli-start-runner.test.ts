/**
 * `ingest start` when its stream runner dies for good: the process says so and exits non-zero,
 * rather than serving a healthy-looking API over a dead consumer. The runner is killed for real:
 * the child's own image topic (a unique one) is deleted under it, so every restart fails.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { loadConfig } from '../../core';
import { projectRoot } from '../../local/stack/paths';
import { freePorts } from '../helpers/tcp-ports';

const cli = join(projectRoot(), 'bin', 'ingest.js');

/** Resolves with everything printed once `pattern` appears on stdout, or rejects after `ms`. */
function waitForOutput(child: ChildProcessWithoutNullStreams, pattern: RegExp, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`no ${String(pattern)} within ${ms} ms; output so far:\n${output}`)), ms);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (pattern.test(output)) {
        clearTimeout(timer);
        resolve(output);
      }
    });
  });
}

describe('`ingest start` over a stream runner that cannot restart', () => {
  let child: ChildProcessWithoutNullStreams | undefined;
  let admin: Admin;
  const topic = `cli-runner-images-${randomUUID()}`;
  const deadLetterTopic = `cli-runner-dlq-${randomUUID()}`;

  beforeAll(async () => {
    admin = new Kafka({ clientId: 'cli-start-runner-test', brokers: loadConfig().kafka.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
  });

  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await admin.deleteTopics({ topics: [deadLetterTopic] }).catch(() => undefined);
    await admin.disconnect();
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
    child = spawn(process.execPath, [cli, 'start'], { env });
    const exited = new Promise<number | null>((resolve) => child?.once('exit', resolve));
    await waitForOutput(child, /ready\. Ctrl-C to stop\./, 90_000);
    const ready = await fetch(`http://127.0.0.1:${apiPort}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ ready: true, components: { 'stream-runner': { state: 'consuming', topic } } });
    const failing = waitForOutput(child, /error: the stream runner could not restart its consumer/, 60_000);

    await admin.deleteTopics({ topics: [topic] });

    const output = await failing;
    expect(output).toMatch(/stream-runner state=stopped group=cli-runner-\S+ gave up after 1 restart: /);
    expect(await exited).toBe(1);
    await expect(fetch(`http://127.0.0.1:${apiPort}/readyz`)).rejects.toThrow();
  });
});
