/**
 * `resetStackState` (what `make bench` does before it measures) on the shared local stack. It
 * empties both moto processes, so it lives with the fault tests that `make test` runs alone.
 */
import { randomUUID } from 'node:crypto';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, HeadBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { INDEX_NAMES, createAwsClients, destroyAwsClients, loadConfig, type AwsClients, type Config } from '../../core';
import { resetStackState } from '../../local/stack';

let config: Config;
let clients: AwsClients;

beforeAll(() => {
  config = loadConfig({ ...process.env, LOG_LEVEL: 'ERROR' });
  clients = createAwsClients(config);
});

afterAll(() => destroyAwsClients(clients));

it('empties S3 and DynamoDB, then leaves the bootstrap resources in place', async () => {
  const key = `reset-test/${randomUUID()}`;
  const imageId = `reset-test-${randomUUID()}`;
  await clients.s3.send(new PutObjectCommand({ Bucket: config.rawBucket, Key: key, Body: 'x' }));
  await clients.documents.send(new PutCommand({ TableName: config.table.name, Item: { imageId, status: 'RECEIVED' } }));

  const resources = await resetStackState(config);

  await expect(clients.s3.send(new GetObjectCommand({ Bucket: config.rawBucket, Key: key }))).rejects.toMatchObject({ name: 'NoSuchKey' });
  expect((await clients.documents.send(new GetCommand({ TableName: config.table.name, Key: { imageId } }))).Item).toBeUndefined();
  await expect(clients.s3.send(new HeadBucketCommand({ Bucket: config.processedBucket }))).resolves.toBeDefined();
  const table = await clients.dynamodb.send(new DescribeTableCommand({ TableName: config.table.name }));
  expect(table.Table?.GlobalSecondaryIndexes?.map((index) => index.IndexName).sort()).toEqual([INDEX_NAMES.byCustomer, INDEX_NAMES.byStatusDay]);
  const secret = await clients.secrets.send(new GetSecretValueCommand({ SecretId: config.apiKeySecretId }));
  expect(secret.SecretString).toContain('"dev"');
  expect(resources.devApiKey).toMatch(/^ik_/);
});
