/**
 * `ingest publish` against the real local stack (Kafka, moto S3): what the consumer would refuse
 * is refused with exit 2 and leaves nothing behind (no message on the topic, no claim-check
 * object); what the consumer accepts under the same FETCH_* settings (a loopback URL with the
 * port allowance the soak and tests use) is sent and ends PROCESSED.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { logLevel } from 'kafkajs';
import { loadConfig, MAX_IMAGE_BYTES } from '../../core';
import { createAwsClients, destroyAwsClients, type AwsClients } from '../../core/adapters/aws-clients';
import { createLocalStreamComponent } from '../../local/stream-runner';
import { makeJpeg } from '../helpers/images';
import { connectTestKafka, type TestKafka } from '../helpers/kafka';
import { startLoopbackServer, unusedLoopbackPort, type LoopbackServer } from '../helpers/loopback-server';
import { runIngest } from '../helpers/ingest-cli';

let dir: string;
let topic: string;
let kit: TestKafka | undefined;
let server: LoopbackServer;
let clients: AwsClients;
let stopRunner: () => Promise<void> = async () => undefined;
const saved: Record<string, string | undefined> = {};
const customer = `refusals-${randomUUID()}`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'publish-refusals-'));
  server = await startLoopbackServer();
  kit = await connectTestKafka({ clientId: 'publish-refusals-test' });
  topic = await kit.createTopic('publish-refusals');
  for (const name of ['IMAGE_TOPIC', 'FETCH_ALLOW_LOOPBACK', 'FETCH_ALLOWED_PORTS']) saved[name] = process.env[name];
  process.env.IMAGE_TOPIC = topic;
  delete process.env.FETCH_ALLOW_LOOPBACK;
  delete process.env.FETCH_ALLOWED_PORTS;
  // The consumer of this topic runs with the loopback allowance for this test's server, as the soak's does.
  const config = loadConfig({ ...process.env, FETCH_ALLOW_LOOPBACK: 'true', FETCH_ALLOWED_PORTS: String(server.port), LOG_LEVEL: 'ERROR' });
  clients = createAwsClients(config);
  const started = await createLocalStreamComponent(config, { groupId: `publish-refusals-${randomUUID()}`, log: () => undefined, kafka: { logLevel: logLevel.NOTHING } }).start();
  stopRunner = started.stop;
});

afterAll(async () => {
  await stopRunner();
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  if (clients !== undefined) destroyAwsClients(clients);
  await kit?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function claimChecksOf(customerId: string): Promise<number> {
  const config = loadConfig(process.env);
  const listed = await clients.s3.send(new ListObjectsV2Command({ Bucket: config.rawBucket, Prefix: `claims/${customerId}/` }));
  return listed.KeyCount ?? 0;
}

describe('ingest publish against the real stack', () => {
  it('refuses each event the consumer would refuse with exit 2, and nothing reaches Kafka or S3', async () => {
    const jpegPath = server.route((_req, res) => res.writeHead(200, { 'content-type': 'image/jpeg' }).end());
    const badName = join(dir, 'bad\u0007name.jpg');
    writeFileSync(badName, await makeJpeg({ width: 64, height: 48 }));
    const huge = join(dir, 'huge.jpg');
    writeFileSync(huge, '');
    truncateSync(huge, MAX_IMAGE_BYTES + 1);
    const before = await kit!.endOffsets(topic);

    const refusals: [string[], Record<string, string>, string][] = [
      [['--url', 'http://images.example.com/a.jpg'], {}, 'scheme "http:" is not allowed (https only)'],
      [['--url', 'https://172.16.0.9/a.jpg'], {}, 'address 172.16.0.9 is private (RFC 1918)'],
      [['--url', server.url(jpegPath)], {}, 'scheme "http:" is not allowed (https only)'],
      [['--url', server.url(jpegPath)], { FETCH_ALLOW_LOOPBACK: 'true' }, `port ${server.port} is not allowed`],
      [['--url', 'https://images.example.com/a.jpg', '--customer', 'team:images'], {}, 'for --customer but received "team:images"'],
      [[badName], {}, 'for fileName'],
      [[huge], {}, 'over the image limit'],
    ];
    const outcomes = [];
    for (const [args, env, message] of refusals) {
      const { code, stderr } = await runIngest(['publish', ...args, ...(args.includes('--customer') ? [] : ['--customer', customer])], env);
      outcomes.push({ args, code, refused: stderr.includes(message) });
    }

    expect(outcomes).toEqual(refusals.map(([args]) => ({ args, code: 2, refused: true })));
    expect(await kit!.endOffsets(topic)).toEqual(before);
    expect(await claimChecksOf(customer)).toBe(0);
    expect(server.hits(jpegPath)).toBe(0);
  });

  it('with brokers that refuse connections: one line naming Kafka and KAFKA_BROKERS, exit 1, and no kafkajs ERROR line per retry', async () => {
    const file = join(dir, 'unreachable.jpg');
    writeFileSync(file, await makeJpeg());
    const port = await unusedLoopbackPort();
    const { code, stderr } = await runIngest(['publish', file, '--customer', customer], { KAFKA_BROKERS: `127.0.0.1:${port}` });
    expect(code).toBe(1);
    expect(stderr.trimEnd().split('\n')).toEqual([
      `error: Kafka could not be reached (KAFKA_BROKERS): Connection error: connect ECONNREFUSED 127.0.0.1:${port} (\`ingest stack status\` shows whether the local servers are up)`,
    ]);
  });

  it('sends what the consumer accepts under the same FETCH_* settings: a loopback URL with the port allowance ends PROCESSED', async () => {
    const jpeg = await makeJpeg({ width: 120, height: 90 });
    const path = server.route((_req, res) => res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': jpeg.length }).end(jpeg));

    const { code, stdout, stderr } = await runIngest(['publish', '--url', server.url(path), '--customer', customer, '--wait', '--timeout', '60'], {
      FETCH_ALLOW_LOOPBACK: 'true',
      FETCH_ALLOWED_PORTS: String(server.port),
    });

    expect({ code, stderr: stderr.includes('error') ? stderr : '' }).toEqual({ code: 0, stderr: '' });
    const record = JSON.parse(/^\{\n[\s\S]*?\n\}$/m.exec(stdout)?.[0] ?? 'null') as { status: string; customerId: string; width: number };
    expect(record).toMatchObject({ status: 'PROCESSED', customerId: customer, width: 120, height: 90 });
    expect(server.hits(path)).toBe(1);
  });
});
