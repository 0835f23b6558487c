/**
 * Per-customer limits on the real local stack, through the REST adapter exactly as `ingest start`
 * wires it (the `rest-api` component of local/commands/components.ts): a burst over one
 * customer's bucket is refused with 429 + Retry-After + problem+json while another customer is
 * served in the same moment, nothing is stored for the refused requests, an override customer
 * gets its own numbers, and a small daily quota answers 429 QUOTA_EXCEEDED.
 *
 * The numbers are small and the refill rate is 0.001/s (one token per 1,000 s), so no token comes
 * back while the test runs and every count is exact without any timing assumption.
 */
import { createServer } from 'node:net';
import { randomUUID } from 'node:crypto';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ENV, keyHashPrefix, loadConfig, type Config } from '../../core';
import { IMAGE_TABLE } from '../../core/adapters/dynamodb/table';
import { createAwsClients, destroyAwsClients, type AwsClients } from '../../core/adapters/aws-clients';
import { createApiKey } from '../../core/adapters/secrets/api-key-secret';
import { imageIdForKey } from '../../core/runtime';
import { runtimeComponents } from '../../local/commands/components';
import { makeJpeg } from '../helpers/images';

const run = randomUUID().slice(0, 8);
const customers = {
  bursty: `limits-bursty-${run}`,
  calm: `limits-calm-${run}`,
  override: `limits-override-${run}`,
  quota: `limits-quota-${run}`,
} as const;
type Customer = keyof typeof customers;

/** The default every customer without an override gets in this test: burst 3, next token in 1,000 s. */
const DEFAULT_BURST = 3;
const OVERRIDE_BURST = 6;
const OVERRIDE_QUOTA = 2;

let config: Config;
let clients: AwsClients;
let baseUrl: string;
let stop: () => Promise<void>;
const keys = {} as Record<Customer, string>;
let jpeg: Buffer;

/** A free port on 127.0.0.1 for the adapter (the component takes its port from config). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  const port = await freePort();
  config = loadConfig({
    ...process.env,
    [ENV.apiPort]: String(port),
    [ENV.customerRateLimit]: '0.001',
    [ENV.customerBurstLimit]: String(DEFAULT_BURST),
    [ENV.customerLimits]: JSON.stringify({
      [customers.override]: { burst: OVERRIDE_BURST },
      [customers.quota]: { ratePerSecond: 100, burst: 100, dailyQuota: OVERRIDE_QUOTA },
    }),
  });
  clients = createAwsClients(config);
  for (const name of Object.keys(customers) as Customer[]) keys[name] = (await createApiKey(clients.secrets, config.apiKeySecretId, customers[name])).key;
  const restApi = runtimeComponents(config).find((component) => component.name === 'rest-api');
  if (restApi === undefined) throw new Error('no rest-api component');
  const started = await restApi.start();
  stop = started.stop;
  baseUrl = `http://127.0.0.1:${port}`;
  jpeg = await makeJpeg({ width: 64, height: 48 });
});

afterAll(async () => {
  await stop?.();
  destroyAwsClients(clients);
});

function upload(customer: Customer, idempotencyKey: string): Promise<Response> {
  return fetch(`${baseUrl}/v1/images`, {
    method: 'POST',
    body: jpeg,
    headers: { Authorization: `Bearer ${keys[customer]}`, 'Content-Type': 'image/jpeg', 'Idempotency-Key': idempotencyKey },
  });
}

function list(customer: Customer): Promise<Response> {
  return fetch(`${baseUrl}/v1/images?limit=1`, { headers: { Authorization: `Bearer ${keys[customer]}` } });
}

/** Every record of a customer, from the byCustomer index. */
async function recordsOf(customerId: string): Promise<string[]> {
  const result = await clients.documents.send(
    new QueryCommand({
      TableName: config.table.name,
      IndexName: IMAGE_TABLE.customerIndex.name,
      KeyConditionExpression: '#c = :c',
      ExpressionAttributeNames: { '#c': IMAGE_TABLE.customerIndex.partitionKey },
      ExpressionAttributeValues: { ':c': customerId },
    }),
  );
  return (result.Items ?? []).map((item) => String(item.imageId));
}

/** S3 objects (raw and processed) whose key names the image. */
async function objectsOf(imageId: string): Promise<string[]> {
  const found: string[] = [];
  for (const [bucket, prefix] of [
    [config.rawBucket, `raw/${keyHashPrefix(imageId)}/`],
    [config.processedBucket, `processed/${keyHashPrefix(imageId)}/${imageId}/`],
  ] as const) {
    const listed = await clients.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    found.push(...(listed.Contents ?? []).map((o) => o.Key ?? '').filter((key) => key.includes(imageId)));
  }
  return found;
}

describe('per-customer limits through the local REST adapter', () => {
  it('a burst over one customer\'s bucket gets 429 with Retry-After and problem+json while another customer is served', async () => {
    const attempts = DEFAULT_BURST + 3;
    const burstKeys = Array.from({ length: attempts }, (_, i) => `burst-${run}-${i}`);

    const [calmResponse, ...burstResponses] = await Promise.all([upload('calm', `calm-${run}`), ...burstKeys.map((key) => upload('bursty', key))]);

    expect(calmResponse?.status).toBe(201);
    const statuses = burstResponses.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(DEFAULT_BURST);
    expect(statuses.filter((s) => s === 429)).toHaveLength(attempts - DEFAULT_BURST);
    for (const response of burstResponses.filter((r) => r.status === 429)) {
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      const retryAfter = response.headers.get('retry-after') ?? '';
      expect(retryAfter).toMatch(/^\d+$/);
      // One token at 0.001/s: at most 1,000 s away, at least 1.
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
      expect(Number(retryAfter)).toBeLessThanOrEqual(1000);
      expect(await response.json()).toMatchObject({ status: 429, title: 'Too Many Requests', code: 'RATE_LIMITED', type: 'urn:image-pipeline:error:rate_limited' });
    }

    // Nothing stored for the refused requests: no record, no object; the admitted ones are all there.
    const refusedIds = burstKeys.filter((_, i) => burstResponses[i]?.status === 429).map((key) => imageIdForKey(customers.bursty, key));
    const admittedIds = burstKeys.filter((_, i) => burstResponses[i]?.status === 201).map((key) => imageIdForKey(customers.bursty, key));
    expect((await recordsOf(customers.bursty)).sort()).toEqual([...admittedIds].sort());
    for (const imageId of refusedIds) {
      expect((await clients.documents.send(new GetCommand({ TableName: config.table.name, Key: { imageId }, ConsistentRead: true }))).Item).toBeUndefined();
      expect(await objectsOf(imageId)).toEqual([]);
    }
    expect(await objectsOf(admittedIds[0] as string)).not.toEqual([]);

    // The calm customer is still served after the burst.
    expect((await list('calm')).status).toBe(200);
  });

  it('an override customer gets its own burst, above the default', async () => {
    const responses: number[] = [];
    for (let i = 0; i < OVERRIDE_BURST + 1; i += 1) responses.push((await list('override')).status);

    expect(responses.slice(0, OVERRIDE_BURST)).toEqual(Array.from({ length: OVERRIDE_BURST }, () => 200));
    expect(responses[OVERRIDE_BURST]).toBe(429);
  });

  it('a small daily quota (an override) answers 429 QUOTA_EXCEEDED with the seconds until 00:00 UTC', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < OVERRIDE_QUOTA; i += 1) statuses.push((await list('quota')).status);
    const refused = await list('quota');

    expect(statuses).toEqual(Array.from({ length: OVERRIDE_QUOTA }, () => 200));
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(await refused.json()).toMatchObject({ status: 429, code: 'QUOTA_EXCEEDED', type: 'urn:image-pipeline:error:quota_exceeded' });
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(86_400);
  });
});
