import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
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
  /** Cognito user pools: the local dev pool and `ingest login` (docs/authentication.md). */
  cognito: CognitoIdentityProviderClient;
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
  /**
   * Applied to every client once built, e.g. `telemetry.captureAwsClient` so each SDK call is an
   * X-Ray subsegment (docs/tracing.md). The document client shares the DynamoDB client's
   * middleware stack, so it is covered too.
   * @default the client unchanged
   */
  instrument?: <C extends object>(client: C) => C;
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
  const instrument = options.instrument ?? (<C extends object>(client: C): C => client);
  // Instrumented before the document client is made from it: the two share one middleware stack.
  const dynamodb = instrument(new DynamoDBClient({ ...base, endpoint: config.endpoints.dynamodb }));
  return {
    s3: instrument(new S3Client({ ...base, endpoint: config.endpoints.s3, forcePathStyle: config.s3ForcePathStyle })),
    dynamodb,
    documents: DynamoDBDocumentClient.from(dynamodb, { marshallOptions: { removeUndefinedValues: true } }),
    sns: instrument(new SNSClient({ ...base, endpoint: config.endpoints.sns })),
    sqs: instrument(new SQSClient({ ...base, endpoint: config.endpoints.sqs })),
    secrets: instrument(new SecretsManagerClient({ ...base, endpoint: config.endpoints.secretsManager })),
    glue: instrument(new GlueClient({ ...base, endpoint: config.endpoints.glue })),
    cognito: instrument(new CognitoIdentityProviderClient({ ...base, endpoint: config.endpoints.cognito })),
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
  clients.cognito.destroy();
}
