import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GlueClient } from '@aws-sdk/client-glue';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Config } from '../config';

/** The SDK clients the adapters use, built once per process from config. */
export interface AwsClients {
  s3: S3Client;
  dynamodb: DynamoDBClient;
  documents: DynamoDBDocumentClient;
  sns: SNSClient;
  sqs: SQSClient;
  secrets: SecretsManagerClient;
  /** Glue, for the schema registry. */
  glue: GlueClient;
}

/** Options for {@link createAwsClients}. */
export interface AwsClientOptions {
  /**
   * Attempts per SDK call, including the first. The SDK retries throttling, 5xx and
   * connection errors with backoff and jitter.
   * @default 3
   */
  maxAttempts?: number;
  /**
   * Milliseconds to wait for a TCP connection before failing the attempt.
   * @default 3000
   */
  connectionTimeoutMs?: number;
  /**
   * Milliseconds a request may stay silent before it fails, so a hung dependency becomes a
   * retriable error instead of a stuck invocation.
   * @default 30000
   */
  requestTimeoutMs?: number;
}

/**
 * Builds every SDK client from config. Endpoint overrides (the local stack) apply per service;
 * with none set the clients talk to real AWS in `config.region`.
 *
 * @example
 * const clients = createAwsClients(loadConfig());
 */
export function createAwsClients(config: Config, options: AwsClientOptions = {}): AwsClients {
  const base = {
    region: config.region,
    maxAttempts: options.maxAttempts ?? 3,
    requestHandler: {
      connectionTimeout: options.connectionTimeoutMs ?? 3000,
      requestTimeout: options.requestTimeoutMs ?? 30_000,
    },
  };
  const dynamodb = new DynamoDBClient({ ...base, endpoint: config.endpoints.dynamodb });
  return {
    s3: new S3Client({ ...base, endpoint: config.endpoints.s3, forcePathStyle: config.s3ForcePathStyle }),
    dynamodb,
    documents: DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } }),
    sns: new SNSClient({ ...base, endpoint: config.endpoints.sns }),
    sqs: new SQSClient({ ...base, endpoint: config.endpoints.sqs }),
    secrets: new SecretsManagerClient({ ...base, endpoint: config.endpoints.secretsManager }),
    glue: new GlueClient({ ...base, endpoint: config.endpoints.glue }),
  };
}

/** Closes every client's sockets so a short-lived process can exit. */
export function destroyAwsClients(clients: AwsClients): void {
  clients.s3.destroy();
  clients.documents.destroy();
  clients.dynamodb.destroy();
  clients.sns.destroy();
  clients.sqs.destroy();
  clients.secrets.destroy();
  clients.glue.destroy();
}
