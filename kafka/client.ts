import { Kafka, logLevel as kafkaLogLevel, type ISocketFactory, type logCreator as LogCreator, type RetryOptions, type SASLOptions } from 'kafkajs';
import { requireBrokers, type Config } from '../core/config';
import { ConfigError } from '../core/errors';
import type { SecretStore } from '../core/ports';

/** Options of {@link createKafkaClient}. */
export interface KafkaClientOptions {
  /** @default config.kafka.clientId */
  clientId?: string;
  /** @default 3000 */
  connectionTimeoutMs?: number;
  /**
   * kafkajs retry policy for connections and requests.
   * @default { initialRetryTime: 300, retries: 5 }
   */
  retry?: RetryOptions;
  /**
   * kafkajs' own log level (`KAFKAJS_LOG_LEVEL` overrides it); its lines go to stderr through
   * {@link kafkaLogCreator}.
   * @default kafkaLogLevel.ERROR
   */
  logLevel?: kafkaLogLevel;
  /**
   * How broker connections are opened (kafkajs `socketFactory`), e.g. through a proxy.
   * @default kafkajs' own: `net.connect`, or `tls.connect` when TLS is on
   */
  socketFactory?: ISocketFactory;
}

/** kafkajs log namespaces whose errors kafkajs retries itself (see {@link kafkaLogCreator}). */
const RETRIED_BY_KAFKAJS = new Set(['Connection', 'BrokerPool']);

/**
 * kafkajs' log lines, as its console logger writes them (one JSON object per line) but all on
 * stderr, with two changes:
 * - an ERROR from its `Connection` namespace (one request's error response, or one socket that
 *   failed) or its `BrokerPool` namespace (one failed connect to a seed broker) counts as WARN:
 *   kafkajs retries those itself, and what it gives up on is logged again by the producer,
 *   consumer or admin (or thrown). At the default ERROR level a broker that is down or
 *   restarting no longer prints a line per request or per retry;
 * - no `stack` field: a stack of kafkajs' internals tells an operator nothing about a refused
 *   connection, and the message and error are kept.
 */
export const kafkaLogCreator: LogCreator =
  (configured) =>
  ({ namespace, level, label, log }) => {
    const demoted = RETRIED_BY_KAFKAJS.has(namespace) && level === kafkaLogLevel.ERROR;
    if ((demoted ? kafkaLogLevel.WARN : level) > configured) return;
    const { stack: _stack, message, ...rest } = log as { stack?: unknown; message: string; [field: string]: unknown };
    process.stderr.write(`${JSON.stringify({ level: demoted ? 'WARN' : label, ...rest, message: namespace ? `[${namespace}] ${message}` : message })}\n`);
  };

/** The Kafka credentials secret: what an MSK SASL/SCRAM secret (`AmazonMSK_…`) holds. */
interface ScramSecret {
  username: string;
  password: string;
}

function parseScramSecret(secretId: string, text: string): ScramSecret {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`the Kafka secret ${secretId} is not JSON`, { cause: error });
  }
  const { username, password } = (parsed ?? {}) as Partial<ScramSecret>;
  if (typeof username !== 'string' || username === '' || typeof password !== 'string' || password === '') {
    throw new ConfigError(`the Kafka secret ${secretId} must hold {"username": "…", "password": "…"}`);
  }
  return { username, password };
}

/**
 * A kafkajs client for the configured cluster. With `config.kafkaSecretId` set (MSK), the
 * SCRAM credentials are read through the secret-store port and the client uses SASL/SCRAM-SHA-512
 * over TLS; without it (the local stack), plaintext and no authentication.
 *
 * @throws ConfigError when no brokers are configured or the secret is not `{username,password}`.
 * @throws DependencyError when the secret cannot be read.
 * @example
 * const kafka = await createKafkaClient(config, runtime.secrets);
 */
export async function createKafkaClient(config: Config, secrets: SecretStore, options: KafkaClientOptions = {}): Promise<Kafka> {
  const brokers = requireBrokers(config);
  let sasl: SASLOptions | undefined;
  if (config.kafkaSecretId !== undefined) {
    const { username, password } = parseScramSecret(config.kafkaSecretId, await secrets.getSecretString(config.kafkaSecretId));
    sasl = { mechanism: 'scram-sha-512', username, password };
  }
  return new Kafka({
    clientId: options.clientId ?? config.kafka.clientId,
    brokers,
    // SCRAM on MSK is only offered on the TLS listener.
    ssl: sasl !== undefined || config.kafka.ssl,
    sasl,
    connectionTimeout: options.connectionTimeoutMs ?? 3000,
    retry: options.retry ?? { initialRetryTime: 300, retries: 5 },
    logLevel: options.logLevel ?? kafkaLogLevel.ERROR,
    logCreator: kafkaLogCreator,
    socketFactory: options.socketFactory,
  });
}
