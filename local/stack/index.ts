import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { ENV, loadConfig, localStackEnvironment, type Config } from '../../core/config';
import { createAwsClients, destroyAwsClients } from '../../core/adapters/aws-clients';
import { bootstrapStack, type StackResources } from './bootstrap';
import { localStackResources, type LocalResource } from './resources';
import { findUserPoolIds } from '../../core/adapters/cognito/user-pool';
import { DEFAULT_NAMES } from '../../core/config';
import type { StackPaths } from './paths';
import { StackSupervisor, type ServiceStatus, type UpResult } from './supervisor';

export { PrerequisiteError } from './prerequisites';
export { InstallError } from './install';
export { ServiceStartError, StackSupervisor, type ServiceStatus, type UpResult } from './supervisor';
export { SERVICE_NAMES, type ServiceName } from './services';
export type { StackResources } from './bootstrap';
export { localStackResources, type LocalResource, type LocalResourceService } from './resources';
export { userPoolEnvironment } from './bootstrap';
export type { StackPaths } from './paths';

/**
 * Points this process at the local stack (explicit environment values win) and returns the
 * config loaded from it. Everything local — CLI, runtime, tests — starts here.
 * @param known values only the bootstrap knows (e.g. {@link userPoolEnvironment}); they win, and
 *   child processes and test workers inherit them.
 */
export function useLocalStack(known: Readonly<Record<string, string>> = {}): Config {
  const local = localStackEnvironment(process.env);
  for (const [name, value] of Object.entries({ ...local, ...known })) process.env[name] = value;
  return loadConfig(process.env);
}

/** Brings the stack up and bootstraps its resources; harmless when it is already up. */
export async function stackUp(config: Config, log: (line: string) => void = () => undefined): Promise<{ up: UpResult; resources: StackResources; supervisor: StackSupervisor }> {
  const supervisor = new StackSupervisor(config, log);
  const up = await supervisor.up();
  const clients = createAwsClients(config);
  try {
    const resources = await bootstrapStack(config, clients, supervisor.paths);
    return { up, resources, supervisor };
  } catch (error) {
    await supervisor.stop(up.started);
    throw error;
  } finally {
    destroyAwsClients(clients);
  }
}

/**
 * Empties both moto processes (moto's own `POST /moto-api/reset`) and bootstraps again, so what
 * runs next meets stand-ins holding only the bootstrap's resources: moto's CPU per request grows
 * with the state it keeps in memory, and a benchmark must not measure what earlier runs left.
 * Kafka is left as it is (each run names topics and groups of its own). Everything else using the
 * stack at the same time loses its data: call it only from the bench and the soak.
 *
 * @throws Error when a moto endpoint does not answer the reset with 200.
 */
export async function resetStackState(config: Config): Promise<StackResources> {
  const supervisor = new StackSupervisor(config);
  const endpoints = [...new Set([config.endpoints.dynamodb, config.endpoints.s3].filter((e): e is string => e !== undefined))];
  for (const endpoint of endpoints) {
    const response = await fetch(new URL('/moto-api/reset', endpoint), { method: 'POST' });
    if (!response.ok) throw new Error(`moto at ${endpoint} answered ${response.status} to a reset`);
  }
  const clients = createAwsClients(config);
  try {
    return await bootstrapStack(config, clients, supervisor.paths);
  } finally {
    destroyAwsClients(clients);
  }
}

function readDevKey(paths: StackPaths): string | undefined {
  const file = join(paths.base, 'dev-api-key.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { key: string }).key : undefined;
}

/**
 * Service states, the resources the bootstrap makes (`created`: the one list, `localStackResources`)
 * and the names, URLs and ids of those that exist, for `stack status`. Reads only; creates nothing.
 */
export async function stackStatus(config: Config): Promise<{ services: ServiceStatus[]; resources: Partial<StackResources>; created: LocalResource[] }> {
  const supervisor = new StackSupervisor(config);
  const services = await supervisor.status();
  const motoUp = services.find((s) => s.name === 'moto')?.state !== 'stopped';
  const clients = createAwsClients(config, { maxAttempts: 1, requestTimeoutMs: 2000 });
  const queueUrl = async (name: string): Promise<string | undefined> =>
    motoUp ? (await clients.sqs.send(new GetQueueUrlCommand({ QueueName: name })).catch(() => undefined))?.QueueUrl : undefined;
  try {
    const userPool = motoUp ? await findUserPoolIds(clients.cognito, { userPool: DEFAULT_NAMES.userPool, client: DEFAULT_NAMES.userPoolClient }).catch(() => undefined) : undefined;
    return {
      services,
      resources: {
        rawBucket: config.rawBucket,
        processedBucket: config.processedBucket,
        analyticsBucket: config.analyticsBucket,
        table: config.table.name,
        topics: { images: config.kafka.imageTopic, deadLetter: config.kafka.deadLetterTopic, partitions: config.kafka.partitions },
        snsTopicArn: config.snsTopicArn,
        notificationQueueUrl: await queueUrl(config.local.notificationQueue),
        uploadQueueUrl: await queueUrl(config.local.uploadQueue),
        importQueueUrl: await queueUrl(config.importQueue.name),
        importDeadLetterQueueUrl: await queueUrl(`${config.importQueue.name}-dlq`),
        secrets: { apiKeys: config.apiKeySecretId },
        devApiKey: readDevKey(supervisor.paths),
        ...(userPool === undefined ? {} : { userPool }),
      },
      created: localStackResources(config),
    };
  } finally {
    destroyAwsClients(clients);
  }
}

/** `export NAME='value'` lines for a shell: every AWS tool and Kafka client then talks to the stack. */
export function stackEnvLines(config: Config): string[] {
  const env: Record<string, string> = { ...localStackEnvironment(process.env) };
  const key = readDevKey(new StackSupervisor(config).paths);
  if (key !== undefined) env[ENV.apiKey] = key;
  return Object.entries(env).map(([name, value]) => `export ${name}='${value.replace(/'/g, `'\\''`)}'`);
}
