/**
 * The soak checker's table reads (soak/checker.ts) on the real DynamoDB stand-in (moto), in a
 * table of this test's own (created with the local bootstrap's `ensureTable`, deleted after): a
 * projected GetItem per accepted image, a COUNT of the table, and the projected listing used to
 * name records no client was answered for.
 */
import { randomUUID } from 'node:crypto';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { createAwsClients, destroyAwsClients, loadConfig, rawKey, type AwsClients, type Config, type ImageRecord } from '../../core';
import { DynamoDbMetadataStore } from '../../core/adapters/dynamodb/metadata-store';
import { ensureTable } from '../../local/stack/bootstrap';
import { countRecords, readRecords, readRecordsById } from '../../soak/checker';

jest.setTimeout(90_000);

let config: Config;
let clients: AwsClients;
let store: DynamoDbMetadataStore;

beforeAll(async () => {
  config = loadConfig({ ...process.env, LOG_LEVEL: 'ERROR', IMAGES_TABLE: `soak-checker-${randomUUID()}` });
  clients = createAwsClients(config);
  await ensureTable(clients, config);
  store = new DynamoDbMetadataStore(clients.documents, config.table.name, { statusShards: 4 });
});

afterAll(async () => {
  await clients.dynamodb.send(new DeleteTableCommand({ TableName: config.table.name })).catch(() => undefined);
  destroyAwsClients(clients);
});

function received(): ImageRecord {
  const imageId = randomUUID();
  const createdAt = new Date().toISOString();
  return { imageId, status: 'RECEIVED', source: 'kafka', customerId: 'soak', bytes: 100, sha256: '0'.repeat(64), raw: { bucket: config.rawBucket, key: rawKey(imageId, new Date(createdAt)) }, createdAt, updatedAt: createdAt, expiresAt: Math.floor(Date.parse(createdAt) / 1000) + 7 * 86_400 };
}

it('reads each accepted record, counts the table, and lists the records nobody was answered for', async () => {
  const now = new Date();
  const [processed, refused, waiting, extra] = [received(), received(), received(), received()] as [ImageRecord, ImageRecord, ImageRecord, ImageRecord];
  for (const r of [processed, refused, waiting, extra]) await store.create(r);
  await store.markProcessed(processed, { width: 10, height: 10 }, now, { notificationLeaseUntil: now.getTime() + 1000 });
  await store.markNotified(processed.imageId, now);
  await store.markFailed(refused, { error: { code: 'FORBIDDEN_SOURCE', message: 'port 1234 is not allowed' } }, now, { notificationLeaseUntil: now.getTime() + 1000 });
  const missing = randomUUID();

  const byId = await readRecordsById(clients.dynamodb, config.table.name, [processed.imageId, refused.imageId, waiting.imageId, missing]);

  expect(Object.fromEntries(byId)).toEqual({
    [processed.imageId]: { status: 'PROCESSED', count: 1, notifiedAt: now.toISOString(), errorCode: undefined },
    [refused.imageId]: { status: 'FAILED', count: 1, notifiedAt: undefined, errorCode: 'FORBIDDEN_SOURCE' },
    [waiting.imageId]: { status: 'RECEIVED', count: 1, notifiedAt: undefined, errorCode: undefined },
  });
  // One more record in the table than the accepted images found: the checker then lists them all.
  expect(await countRecords(clients.dynamodb, config.table.name)).toBe(4);
  const all = await readRecords(clients.dynamodb, config.table.name);
  expect([...all.keys()].sort()).toEqual([processed.imageId, refused.imageId, waiting.imageId, extra.imageId].sort());
  expect([...all.values()].every((r) => r.count === 1)).toBe(true);
});
