import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { Kafka, logLevel } from 'kafkajs';
import type { Config } from '../../core/config';
import { createAwsClients, destroyAwsClients } from '../../core/adapters/aws-clients';
import type { StackPaths } from './paths';

/** The names of the local stand-ins, in start order. */
export const SERVICE_NAMES = ['kafka', 'dynamodb', 'moto'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** How to run, recognise and probe one local server. */
export interface ServiceSpec {
  name: ServiceName;
  /** What it stands in for, for status output. */
  standsInFor: string;
  endpoint: string;
  /** Every port it binds; each must be free before it starts. */
  ports: number[];
  command: string;
  args: string[];
  cwd: string;
  /** A string found in the process's command line, so a recycled pid is never mistaken for it. */
  commandLineMarker: string;
  /** Work before the first start (config files, storage format). */
  prepare(): void;
  /** Resolves once the server answers a real request; rejects otherwise. */
  probe(): Promise<void>;
  /** How long a start may take before it is declared failed. */
  startTimeoutMs: number;
}

/** Kafka in KRaft mode: one process that is both broker and controller. */
function kafkaSpec(config: Config, paths: StackPaths): ServiceSpec {
  const { host } = config.local;
  const { kafka: port, kafkaController: controllerPort } = config.local.ports;
  return {
    name: 'kafka',
    standsInFor: 'Amazon MSK',
    endpoint: `${host}:${port}`,
    ports: [port, controllerPort],
    command: 'java',
    args: ['-Xms256m', '-Xmx768m', `-Dlog4j2.configurationFile=${paths.kafkaLog4j}`, '-cp', `${paths.kafkaLib}/*`, 'kafka.Kafka', paths.kafkaConfig],
    cwd: paths.base,
    commandLineMarker: 'kafka.Kafka',
    startTimeoutMs: 60_000,
    prepare() {
      mkdirSync(paths.kafkaData, { recursive: true });
      // Rewritten on every start so a changed port or host in config takes effect.
      writeFileSync(
        paths.kafkaConfig,
        [
          'process.roles=broker,controller',
          'node.id=1',
          `controller.quorum.voters=1@${host}:${controllerPort}`,
          `listeners=PLAINTEXT://${host}:${port},CONTROLLER://${host}:${controllerPort}`,
          `advertised.listeners=PLAINTEXT://${host}:${port}`,
          'controller.listener.names=CONTROLLER',
          'inter.broker.listener.name=PLAINTEXT',
          'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
          `log.dirs=${paths.kafkaData}`,
          'num.partitions=1',
          'offsets.topic.replication.factor=1',
          'transaction.state.log.replication.factor=1',
          'transaction.state.log.min.isr=1',
          'group.initial.rebalance.delay.ms=0',
          // Topics are created by the bootstrap step, as on MSK with auto-creation off.
          'auto.create.topics.enable=false',
          '',
        ].join('\n'),
      );
      // Log4j 2 properties (Kafka 4 dropped Log4j 1): INFO to stdout, the chatty loggers at WARN.
      writeFileSync(
        paths.kafkaLog4j,
        [
          'appender.stdout.type=Console',
          'appender.stdout.name=STDOUT',
          'appender.stdout.layout.type=PatternLayout',
          'appender.stdout.layout.pattern=[%d] %p %m (%c)%n',
          'rootLogger.level=INFO',
          'rootLogger.appenderRef.stdout.ref=STDOUT',
          'logger.request.name=kafka.request.logger',
          'logger.request.level=WARN',
          'logger.stateChange.name=state.change.logger',
          'logger.stateChange.level=WARN',
          '',
        ].join('\n'),
      );
      if (existsSync(join(paths.kafkaData, 'meta.properties'))) return;
      const java = (args: string[]): string => {
        const result = spawnSync('java', [`-Dlog4j2.configurationFile=${paths.kafkaLog4j}`, '-cp', `${paths.kafkaLib}/*`, 'kafka.tools.StorageTool', ...args], { encoding: 'utf8' });
        if (result.status !== 0) throw new Error(`kafka-storage ${args[0]} failed: ${result.stderr || result.stdout}`);
        return result.stdout;
      };
      const clusterIdFile = join(paths.base, 'kafka', 'cluster-id');
      if (!existsSync(clusterIdFile)) writeFileSync(clusterIdFile, java(['random-uuid']).trim().split('\n').pop() ?? '');
      java(['format', '-t', readFileSync(clusterIdFile, 'utf8').trim(), '-c', paths.kafkaConfig, '--ignore-formatted']);
    },
    async probe() {
      const kafka = new Kafka({ clientId: 'stack-probe', brokers: [`${host}:${port}`], logLevel: logLevel.NOTHING, connectionTimeout: 1000, requestTimeout: 2000, retry: { retries: 0 } });
      const admin = kafka.admin();
      try {
        await admin.connect();
        await admin.describeCluster();
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    },
  };
}

/**
 * moto in server mode serving DynamoDB, in its own process on the DynamoDB port: table state then
 * never slows the S3/SNS/SQS process, and each can be frozen on its own in fault tests. (DynamoDB
 * Local is not used: it ships under AWS's own licence terms, not an open-source licence.)
 */
function dynamoSpec(config: Config, paths: StackPaths): ServiceSpec {
  const { host } = config.local;
  const port = config.local.ports.dynamoDb;
  return {
    ...motoProcess(paths, host, port, 'dynamodb'),
    name: 'dynamodb',
    standsInFor: 'Amazon DynamoDB',
    async probe() {
      const clients = createAwsClients(config, { maxAttempts: 1, requestTimeoutMs: 2000 });
      try {
        await clients.dynamodb.send(new ListTablesCommand({ Limit: 1 }));
      } finally {
        destroyAwsClients(clients);
      }
    },
  };
}

/** The parts of a moto server process's spec that do not depend on what it serves. */
function motoProcess(paths: StackPaths, host: string, port: number, role: string): Omit<ServiceSpec, 'name' | 'standsInFor' | 'probe'> {
  return {
    endpoint: `http://${host}:${port}`,
    ports: [port],
    // Served by waitress (keep-alive, like AWS) through our launcher, not moto's Werkzeug server.
    command: join(paths.motoVenv, 'bin', 'python'),
    args: [join(paths.root, 'local', 'python', 'moto_server.py'), '--role', role, '-H', host, '-p', String(port)],
    cwd: paths.base,
    // The role keeps the two moto processes apart when the supervisor checks a pid's command line.
    commandLineMarker: `moto_server.py --role ${role} `,
    startTimeoutMs: 60_000,
    prepare() {},
  };
}

/** moto in server mode: S3, SNS, SQS, Secrets Manager, Glue and Cognito on one port. */
function motoSpec(config: Config, paths: StackPaths): ServiceSpec {
  const { host } = config.local;
  const port = config.local.ports.moto;
  return {
    ...motoProcess(paths, host, port, 'aws'),
    name: 'moto',
    standsInFor: 'Amazon S3, SNS, SQS, Secrets Manager, Glue, Cognito',
    async probe() {
      const clients = createAwsClients(config, { maxAttempts: 1, requestTimeoutMs: 2000 });
      try {
        await clients.s3.send(new ListBucketsCommand({}));
      } finally {
        destroyAwsClients(clients);
      }
    },
  };
}

/** Every local server, built from config. */
export function serviceSpecs(config: Config, paths: StackPaths): ServiceSpec[] {
  return [kafkaSpec(config, paths), dynamoSpec(config, paths), motoSpec(config, paths)];
}
