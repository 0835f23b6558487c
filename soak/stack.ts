/**
 * The soak's own stand-ins, in a temp dir on free 127.0.0.1 ports (never the shared stack): a
 * 3-node KRaft cluster configured as the MSK stack is (replication 3, `min.insync.replicas` 2,
 * unclean leader election off; each node broker + controller), and the two moto processes
 * (DynamoDB; S3/SNS/SQS/Secrets Manager/Glue). Every process it starts, it can stop, freeze and
 * restart (soak/processes.ts makes sure none outlives the soak).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { ManagedProcess } from './processes';

export { ManagedProcess };

/** Where the soak finds Kafka's jars and moto's venv. */
export interface SoakInstall {
  kafkaLib: string;
  motoPython: string;
  motoServer: string;
}

/** Replication settings of the MSK stack (cdktf) that the soak's cluster copies. */
export const MSK_LIKE = { replicationFactor: 3, minInsyncReplicas: 2, uncleanLeaderElection: false } as const;

/** Polls `probe` until it resolves or `timeoutMs` passes. @throws Error naming `what` on timeout. */
export async function waitFor(what: string, probe: () => Promise<unknown>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      await probe();
      return;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`${what} did not answer within ${timeoutMs} ms: ${(last as Error | undefined)?.message ?? 'no answer'}`);
}

/** The soak's 3-node KRaft cluster. */
export class SoakKafkaCluster {
  readonly nodes: ManagedProcess[] = [];
  readonly brokers: string[];

  constructor(
    private readonly dir: string,
    private readonly install: SoakInstall,
    private readonly ports: { broker: number; controller: number }[],
  ) {
    this.brokers = ports.map((p) => `127.0.0.1:${p.broker}`);
  }

  /** Writes each node's config, formats its storage with one cluster id, and starts all three. */
  async start(): Promise<void> {
    const voters = this.ports.map((p, i) => `${i + 1}@127.0.0.1:${p.controller}`).join(',');
    const log4j = join(this.dir, 'kafka-log4j.properties');
    writeFileSync(log4j, ['appender.stdout.type=Console', 'appender.stdout.name=STDOUT', 'appender.stdout.layout.type=PatternLayout', 'appender.stdout.layout.pattern=[%d] %p %m (%c)%n', 'rootLogger.level=WARN', 'rootLogger.appenderRef.stdout.ref=STDOUT', ''].join('\n'));
    const java = (args: string[]): string => {
      const result = spawnSync('java', [`-Dlog4j2.configurationFile=${log4j}`, '-cp', `${this.install.kafkaLib}/*`, 'kafka.tools.StorageTool', ...args], { encoding: 'utf8' });
      if (result.status !== 0) throw new Error(`kafka-storage ${args[0]} failed: ${result.stderr || result.stdout}`);
      return result.stdout;
    };
    const clusterId = java(['random-uuid']).trim().split('\n').pop() ?? '';
    this.ports.forEach((p, i) => {
      const id = i + 1;
      const data = join(this.dir, `kafka-${id}`);
      mkdirSync(data, { recursive: true });
      const file = join(this.dir, `kafka-${id}.properties`);
      writeFileSync(
        file,
        [
          'process.roles=broker,controller',
          `node.id=${id}`,
          `controller.quorum.voters=${voters}`,
          `listeners=PLAINTEXT://127.0.0.1:${p.broker},CONTROLLER://127.0.0.1:${p.controller}`,
          `advertised.listeners=PLAINTEXT://127.0.0.1:${p.broker}`,
          'controller.listener.names=CONTROLLER',
          'inter.broker.listener.name=PLAINTEXT',
          'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
          `log.dirs=${data}`,
          `default.replication.factor=${MSK_LIKE.replicationFactor}`,
          `min.insync.replicas=${MSK_LIKE.minInsyncReplicas}`,
          `unclean.leader.election.enable=${MSK_LIKE.uncleanLeaderElection}`,
          `offsets.topic.replication.factor=${MSK_LIKE.replicationFactor}`,
          `transaction.state.log.replication.factor=${MSK_LIKE.replicationFactor}`,
          `transaction.state.log.min.isr=${MSK_LIKE.minInsyncReplicas}`,
          'group.initial.rebalance.delay.ms=0',
          'auto.create.topics.enable=false',
          '',
        ].join('\n'),
      );
      java(['format', '-t', clusterId, '-c', file, '--ignore-formatted']);
      this.nodes.push(new ManagedProcess(`kafka-${id}`, 'java', ['-Xms128m', '-Xmx384m', `-Dlog4j2.configurationFile=${log4j}`, '-cp', `${this.install.kafkaLib}/*`, 'kafka.Kafka', file], { cwd: this.dir, logFile: join(this.dir, `kafka-${id}.log`) }));
    });
    for (const node of this.nodes) node.start();
    await this.waitHealthy(120_000);
  }

  /** Waits until every broker is registered with the cluster. */
  async waitHealthy(timeoutMs: number): Promise<void> {
    await waitFor(
      'the soak Kafka cluster',
      async () => {
        const admin = new Kafka({ clientId: 'soak-probe', brokers: this.brokers, logLevel: logLevel.NOTHING, connectionTimeout: 1000, requestTimeout: 3000, retry: { retries: 0 } }).admin();
        try {
          await admin.connect();
          const cluster = await admin.describeCluster();
          if (cluster.brokers.length < this.nodes.length) throw new Error(`${cluster.brokers.length} of ${this.nodes.length} brokers up`);
        } finally {
          await admin.disconnect().catch(() => undefined);
        }
      },
      timeoutMs,
    );
  }

  /** The node id leading partition `partition` of `topic`. */
  async leaderOf(topic: string, partition = 0): Promise<number> {
    const admin = new Kafka({ clientId: 'soak-chaos', brokers: this.brokers, logLevel: logLevel.NOTHING, retry: { retries: 3 } }).admin();
    await admin.connect();
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
      const leader = metadata.topics[0]?.partitions.find((p) => p.partitionId === partition)?.leader;
      if (leader === undefined || leader < 1) throw new Error(`no leader for ${topic}/${partition}`);
      return leader;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** Creates the topics with the MSK stack's replication (before the bootstrap, which then skips them). */
  async createTopics(topics: { topic: string; numPartitions: number }[], maxMessageBytes: number): Promise<void> {
    const admin = new Kafka({ clientId: 'soak-setup', brokers: this.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await admin.createTopics({
        waitForLeaders: true,
        topics: topics.map((t) => ({ ...t, replicationFactor: MSK_LIKE.replicationFactor, configEntries: [{ name: 'max.message.bytes', value: String(maxMessageBytes) }, { name: 'min.insync.replicas', value: String(MSK_LIKE.minInsyncReplicas) }] })),
      });
    } finally {
      await admin.disconnect();
    }
  }
}

/** A moto server process (role `dynamodb` or `aws`), as local/stack/services.ts runs it. */
export function motoProcess(dir: string, install: SoakInstall, role: 'dynamodb' | 'aws', port: number): ManagedProcess {
  return new ManagedProcess(`moto-${role}`, install.motoPython, [install.motoServer, '--role', role, '-H', '127.0.0.1', '-p', String(port)], { cwd: dir, logFile: join(dir, `moto-${role}.log`) });
}
