import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, symlinkSync, mkdirSync, existsSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { ListSubscriptionsByTopicCommand, PublishCommand, SubscribeCommand, UnsubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, DeleteQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { Kafka, logLevel } from 'kafkajs';
import { loadConfig, localStackEnvironment, type Config } from '../../core/config';
import { createAwsClients, destroyAwsClients, type AwsClients } from '../../core/adapters/aws-clients';
import { findCustomerForKey, parseApiKeySecret } from '../../core/auth/api-keys';
import { ServiceStartError, StackSupervisor, stackStatus, stackUp } from '../../local/stack';
import { projectRoot, stackPaths } from '../../local/stack/paths';
import { freePorts } from '../helpers/tcp-ports';
import { installStack } from '../../local/stack/install';
import { bootstrapStack } from '../../local/stack/bootstrap';

let config: Config;
let clients: AwsClients;

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

/**
 * An environment for a second, separate stack: its own folder and ports where nothing listens
 * (never bound: these tests fail before any server starts), and none of the running stack's
 * endpoints, so the running stack cannot be mistaken for it.
 */
function isolatedStackEnv(overrides: Record<string, string>): Record<string, string> {
  const base: Record<string, string> = {};
  const localNames = new Set(Object.keys(localStackEnvironment({})));
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined && !localNames.has(name)) base[name] = value;
  const env = { ...base, KAFKA_PORT: '1', KAFKA_CONTROLLER_PORT: '2', DYNAMODB_PORT: '3', MOTO_PORT: '4', ...overrides };
  return { ...env, ...localStackEnvironment(env) };
}

beforeAll(() => {
  config = loadConfig();
  clients = createAwsClients(config);
});

afterAll(() => destroyAwsClients(clients));

describe('the local stack serves real requests', () => {
  it('Kafka: a produced message is consumed from a fresh topic', async () => {
    const topic = `stack-test-${randomUUID()}`;
    const kafka = new Kafka({ clientId: 'stack-test', brokers: config.kafka.brokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    const producer = kafka.producer();
    const consumer = kafka.consumer({ groupId: `stack-test-${randomUUID()}` });
    await Promise.all([admin.connect(), producer.connect(), consumer.connect()]);
    try {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
      const value = `hello-${randomUUID()}`;
      await producer.send({ topic, acks: -1, messages: [{ key: 'k', value }] });
      await consumer.subscribe({ topic, fromBeginning: true });
      const received = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no message within 30 s')), 30_000);
        void consumer.run({
          eachMessage: async ({ message }) => {
            clearTimeout(timer);
            resolve(message.value?.toString() ?? '');
          },
        });
      });
      expect(received).toBe(value);
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  });

  it('Kafka: the image and dead-letter topics exist with the configured partitions', async () => {
    const admin = new Kafka({ clientId: 'stack-test', brokers: config.kafka.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [config.kafka.imageTopic, config.kafka.deadLetterTopic] });
      const partitions = Object.fromEntries(topics.map((t) => [t.name, t.partitions.length]));
      expect(partitions).toEqual({ [config.kafka.imageTopic]: config.kafka.partitions, [config.kafka.deadLetterTopic]: 1 });
    } finally {
      await admin.disconnect();
    }
  });

  it('DynamoDB: an item is written and read back, and the table has TTL on expiresAt and both indexes', async () => {
    const imageId = `stack-test-${randomUUID()}`;
    await clients.documents.send(new PutCommand({ TableName: config.table.name, Item: { imageId, status: 'RECEIVED', expiresAt: 1_900_000_000 } }));
    try {
      const { Item } = await clients.documents.send(new GetCommand({ TableName: config.table.name, Key: { imageId } }));
      expect(Item).toEqual({ imageId, status: 'RECEIVED', expiresAt: 1_900_000_000 });
    } finally {
      await clients.documents.send(new DeleteCommand({ TableName: config.table.name, Key: { imageId } }));
    }
    const ttl = await clients.dynamodb.send(new DescribeTimeToLiveCommand({ TableName: config.table.name }));
    expect(ttl.TimeToLiveDescription).toMatchObject({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
    const table = await clients.dynamodb.send(new DescribeTableCommand({ TableName: config.table.name }));
    expect(table.Table?.GlobalSecondaryIndexes?.map((i) => i.IndexName).sort()).toEqual([config.table.customerIndex, config.table.statusIndex].sort());
  });

  it('S3: an object is stored and read back', async () => {
    const Key = `stack-test/${randomUUID()}`;
    await clients.s3.send(new PutObjectCommand({ Bucket: config.rawBucket, Key, Body: 'bytes', ContentType: 'text/plain' }));
    try {
      const got = await clients.s3.send(new GetObjectCommand({ Bucket: config.rawBucket, Key }));
      expect(await got.Body?.transformToString()).toBe('bytes');
    } finally {
      await clients.s3.send(new DeleteObjectCommand({ Bucket: config.rawBucket, Key }));
    }
  });

  it('SNS: a published message arrives on a subscribed SQS queue, and the notification queue is subscribed', async () => {
    const subscribed = await clients.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: config.snsTopicArn }));
    expect(subscribed.Subscriptions?.map((s) => s.Endpoint)).toContainEqual(expect.stringContaining(config.local.notificationQueue));

    // A queue of this test's own, so no other test's notifications are consumed here.
    const { QueueUrl } = await clients.sqs.send(new CreateQueueCommand({ QueueName: `stack-test-${randomUUID()}` }));
    const attributes = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    const { SubscriptionArn } = await clients.sns.send(new SubscribeCommand({ TopicArn: config.snsTopicArn, Protocol: 'sqs', Endpoint: attributes.Attributes?.QueueArn }));
    try {
      const marker = randomUUID();
      await clients.sns.send(new PublishCommand({ TopicArn: config.snsTopicArn, Message: JSON.stringify({ marker }), MessageAttributes: { type: { DataType: 'String', StringValue: 'stack.test' } } }));
      const received = await clients.sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 5, MaxNumberOfMessages: 10 }));
      const envelope = JSON.parse(received.Messages?.[0]?.Body ?? '{}') as { Message?: string; MessageAttributes?: Record<string, { Value: string }> };
      expect(JSON.parse(envelope.Message ?? '{}')).toEqual({ marker });
      expect(envelope.MessageAttributes?.type?.Value).toBe('stack.test');
    } finally {
      await clients.sns.send(new UnsubscribeCommand({ SubscriptionArn }));
      await clients.sqs.send(new DeleteQueueCommand({ QueueUrl }));
    }
  });

  it('Secrets Manager: the API-key secret holds the development key for customer "dev"', async () => {
    const status = await stackStatus(config);
    const secret = await clients.secrets.send(new GetSecretValueCommand({ SecretId: config.apiKeySecretId }));
    expect(findCustomerForKey(parseApiKeySecret(secret.SecretString), status.resources.devApiKey ?? '')).toBe('dev');
  });
});

describe('the bootstrap', () => {
  it('names Kafka, the brokers and KAFKA_BROKERS in one line when the brokers cannot be reached', async () => {
    const [port] = await freePorts(1);
    const broken = loadConfig({ ...process.env, KAFKA_BROKERS: `127.0.0.1:${port}` });
    const failure = await bootstrapStack(broken, clients, stackPaths(broken)).catch((error: unknown) => error as Error);
    expect(failure).toBeInstanceOf(Error);
    expect((failure as Error).message).toMatch(new RegExp(`^Kafka at 127\\.0\\.0\\.1:${port} \\(KAFKA_BROKERS\\) could not be reached to create the topics: .*ECONNREFUSED`));
  });
});

describe('the supervisor', () => {
  it('`up` on a running stack starts nothing and reports every server running', async () => {
    const { up } = await stackUp(config);
    expect(up.started).toEqual([]);
    const { services } = await stackStatus(config);
    expect(services.map((s) => [s.name, s.state === 'stopped' ? 'stopped' : 'up'])).toEqual([
      ['kafka', 'up'],
      ['dynamodb', 'up'],
      ['moto', 'up'],
    ]);
  });

  describe('with a stack folder of its own', () => {
    let dir: string;
    let blocker: Server;
    let takenPort: number;

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'stack-test-'));
      blocker = createServer((socket) => socket.destroy());
      await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
      takenPort = (blocker.address() as { port: number }).port;
    });

    afterAll(async () => {
      await new Promise((resolve) => blocker.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    });

    const isolatedConfig = (overrides: Record<string, string>): Config => loadConfig(isolatedStackEnv({ INGEST_LOCAL_DIR: dir, ...overrides }));

    it('`down` with nothing running is harmless', async () => {
      await expect(new StackSupervisor(isolatedConfig({})).stop()).resolves.toEqual([]);
    });

    it('a port taken by another program fails at once with the port named, and starts nothing', async () => {
      const supervisor = new StackSupervisor(isolatedConfig({ KAFKA_PORT: String(takenPort) }));
      const failure = await supervisor.up().catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ServiceStartError);
      expect((failure as Error).message).toContain(`port ${takenPort}`);
      expect((failure as Error).message).toContain('kafka');
      expect(existsSync(join(dir, 'run')) ? readdirSync(join(dir, 'run')) : []).toEqual([]);
      expect(existsSync(join(dir, 'kafka', 'lib'))).toBe(false);
    });
  });
});

describe('a server that fails to start', () => {
  it('reports its log path and last lines, and leaves nothing it started running', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stack-fail-'));
    try {
      // Reuse the installed servers through links to the main stack folder (installed here if
      // the running stack came from elsewhere, e.g. docker compose or another checkout).
      const mainPaths = stackPaths(loadConfig());
      await installStack(mainPaths, () => undefined);
      const main = mainPaths.base;
      mkdirSync(join(dir, 'kafka'));
      symlinkSync(join(main, 'kafka', 'lib'), join(dir, 'kafka', 'lib'));
      symlinkSync(join(main, 'moto-venv'), join(dir, 'moto-venv'));
      const [kafkaPort, dynamoPort, motoPort] = await freePorts(3);
      // Broker and controller on one port: Kafka refuses this configuration and exits.
      const supervisor = new StackSupervisor(
        loadConfig(isolatedStackEnv({ INGEST_LOCAL_DIR: dir, KAFKA_PORT: String(kafkaPort), KAFKA_CONTROLLER_PORT: String(kafkaPort), DYNAMODB_PORT: String(dynamoPort), MOTO_PORT: String(motoPort) })),
      );
      const failure = (await supervisor.up().catch((error: unknown) => error)) as ServiceStartError;
      expect(failure).toBeInstanceOf(ServiceStartError);
      expect(failure.service).toBe('kafka');
      expect(failure.logFile).toBe(join(dir, 'logs', 'kafka.log'));
      expect(failure.logTail?.length).toBeGreaterThan(0);
      expect(readdirSync(join(dir, 'run'))).toEqual([]);
      for (const port of [dynamoPort, motoPort]) expect(await portAnswers(port as number)).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the ingest command line', () => {
  const cli = join(projectRoot(), 'bin', 'ingest.js');

  it('names the missing prerequisite in one line when java is not installed', () => {
    const bin = mkdtempSync(join(tmpdir(), 'no-java-'));
    try {
      mkdirSync(join(bin, 'bin'));
      symlinkSync(process.execPath, join(bin, 'bin', 'node'));
      // A stack folder and ports of its own, so the running stack is not simply reused.
      const env = { ...isolatedStackEnv({ INGEST_LOCAL_DIR: join(bin, 'stack') }), PATH: join(bin, 'bin') };
      const result = spawnSync(process.execPath, [cli, 'stack', 'up'], { env, encoding: 'utf8' });
      expect(result.status).toBe(1);
      expect(result.stderr.trim().split('\n').filter((l) => l.startsWith('error'))).toEqual([
        'error: java not found: install a Java 17+ runtime (e.g. the openjdk-17-jre-headless package)',
      ]);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  it('prints help for every command', () => {
    const list = spawnSync(process.execPath, [cli, '--help'], { encoding: 'utf8' });
    expect(list.status).toBe(0);
    const usages = list.stdout.split('\n').filter((l) => l.startsWith('  ingest ')).map((l) => l.trim().split(/\s{2,}/)[0] ?? '');
    expect(usages.length).toBeGreaterThanOrEqual(6);
    for (const usage of usages) {
      const words = usage.split(' ').slice(1).filter((w) => /^[a-z]+$/.test(w));
      const help = spawnSync(process.execPath, [cli, ...words, '--help'], { encoding: 'utf8' });
      expect({ usage, status: help.status, starts: help.stdout.startsWith(`Usage: ${usage}`) }).toEqual({ usage, status: 0, starts: true });
    }
  });

  it('`stack env` exports the standard AWS endpoint variables, credentials, brokers and the API key', () => {
    const result = spawnSync(process.execPath, [cli, 'stack', 'env'], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    for (const name of ['AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL_DYNAMODB', 'AWS_ENDPOINT_URL_SNS', 'AWS_ENDPOINT_URL_SQS', 'AWS_ENDPOINT_URL_SECRETS_MANAGER', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'KAFKA_BROKERS', 'INGEST_API_KEY']) {
      expect(result.stdout).toMatch(new RegExp(`^export ${name}='[^']+'$`, 'm'));
    }
    expect(result.stdout).toContain(`export AWS_ENDPOINT_URL_DYNAMODB='${config.endpoints.dynamodb}'`);
  });

  it('`stack status --json` lists each service, everything the bootstrap creates, and the names, URLs and ids of what exists', async () => {
    const { resources: bootstrapped } = await stackUp(config);

    const result = spawnSync(process.execPath, [cli, 'stack', 'status', '--json'], { encoding: 'utf8' });

    expect(result.status).toBe(0);
    const status = JSON.parse(result.stdout) as {
      services: { name: string; state: string; endpoint: string }[];
      resources: Record<string, unknown>;
      created: { service: string; name: string }[];
    };
    expect(status.services.map((s) => s.name)).toEqual(['kafka', 'dynamodb', 'moto']);
    expect(status.resources).toMatchObject({
      rawBucket: config.rawBucket,
      processedBucket: config.processedBucket,
      analyticsBucket: config.analyticsBucket,
      table: config.table.name,
      topics: { images: config.kafka.imageTopic, deadLetter: config.kafka.deadLetterTopic },
      snsTopicArn: config.snsTopicArn,
      notificationQueueUrl: expect.stringContaining(config.local.notificationQueue),
      uploadQueueUrl: bootstrapped.uploadQueueUrl,
      importQueueUrl: bootstrapped.importQueueUrl,
      importDeadLetterQueueUrl: bootstrapped.importDeadLetterQueueUrl,
      secrets: { apiKeys: config.apiKeySecretId },
      userPool: bootstrapped.userPool,
    });
    expect(bootstrapped.importDeadLetterQueueUrl).toMatch(new RegExp(`/${config.importQueue.name}-dlq$`));
    expect(status.created.map((r) => `${r.service} ${r.name}`)).toEqual(
      expect.arrayContaining([`SQS ${config.importQueue.name}`, `SQS ${config.importQueue.name}-dlq`, 'Cognito image-pipeline-users', 'Cognito image-pipeline-clients']),
    );
  });
});
