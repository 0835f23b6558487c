/**
 * The write-sharded `byStatusDay` index on the real DynamoDB stand-in (moto): records of one
 * status/day land in every shard, and the reader (what the reconciler and dashboards call) sees
 * all of them, across pages, together with records written under the old unsharded key.
 * Each test writes to its own far-future day, so no other test's records share its keys.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { createAwsClients, destroyAwsClients, loadConfig, rawKey, statusDayKey, statusShardOf, type AwsClients, type Config, type ImageRecord } from '../../core';
import { DynamoDbMetadataStore } from '../../core/adapters/dynamodb/metadata-store';
import { IMAGE_TABLE } from '../../core/adapters/dynamodb/table';

jest.setTimeout(60_000);

const SHARDS = 4;
let config: Config;
let clients: AwsClients;
let store: DynamoDbMetadataStore;

beforeAll(() => {
  config = loadConfig({ ...process.env, LOG_LEVEL: 'ERROR' });
  clients = createAwsClients(config);
  store = new DynamoDbMetadataStore(clients.documents, config.table.name, { statusShards: SHARDS, readConcurrency: 2 });
});

afterAll(() => destroyAwsClients(clients));

/** A day of its own, between the years 2200 and 2999. */
function uniqueDay(): string {
  const day = new Date(Date.UTC(2200 + randomInt(800), randomInt(12), 1 + randomInt(28)));
  return day.toISOString().slice(0, 10);
}

function record(day: string, second: number, customerId: string): ImageRecord {
  const createdAt = `${day}T00:00:${String(second).padStart(2, '0')}.000Z`;
  const imageId = randomUUID();
  return {
    imageId,
    status: 'RECEIVED',
    source: 'kafka',
    customerId,
    bytes: 100,
    sha256: '0'.repeat(64),
    raw: { bucket: config.rawBucket, key: rawKey(imageId, new Date(createdAt)) },
    createdAt,
    updatedAt: createdAt,
    expiresAt: Math.floor(Date.parse(createdAt) / 1000) + 7 * 86_400,
  };
}

/** Ids drawn until every shard holds at least two records, at most 200 draws. */
function recordsInEveryShard(day: string, customerId: string): ImageRecord[] {
  const perShard = new Array<number>(SHARDS).fill(0);
  const records: ImageRecord[] = [];
  for (let i = 0; i < 200 && perShard.some((n) => n < 2); i++) {
    const r = record(day, records.length, customerId);
    const shard = statusShardOf(r.imageId, SHARDS);
    if (perShard[shard]! >= 2) continue;
    perShard[shard]! += 1;
    records.push(r);
  }
  expect(perShard).toEqual(new Array<number>(SHARDS).fill(2));
  return records;
}

it('writes each record under its own shard of STATUS#day and lists all shards, oldest first', async () => {
  const day = uniqueDay();
  const records = recordsInEveryShard(day, `shards-${randomUUID()}`);
  for (const r of records) expect((await store.create(r)).created).toBe(true);

  // Each shard's key holds exactly the records whose id hashes to it.
  for (let shard = 0; shard < SHARDS; shard++) {
    const key = `RECEIVED#${day}#${shard}`;
    const result = await clients.documents.send(
      new QueryCommand({ TableName: config.table.name, IndexName: IMAGE_TABLE.statusIndex.name, KeyConditionExpression: '#k = :k', ExpressionAttributeNames: { '#k': IMAGE_TABLE.statusIndex.partitionKey }, ExpressionAttributeValues: { ':k': key } }),
    );
    const expected = records.filter((r) => statusDayKey('RECEIVED', r.createdAt, r.imageId, SHARDS) === key).map((r) => r.imageId).sort();
    expect((result.Items ?? []).map((i) => i.imageId as string).sort()).toEqual(expected);
    expect(expected).toHaveLength(2);
  }

  const now = new Date(`${day}T12:00:00Z`);
  const page = await store.listByStatusDay('RECEIVED', day, { limit: 100 }, now);
  expect(page.items.map((r) => r.imageId)).toEqual(records.map((r) => r.imageId));
  expect(page.cursor).toBeUndefined();
  expect(page.items[0]).not.toHaveProperty('statusDay');
});

it('pages through every shard with small pages, each record exactly once and in createdAt order', async () => {
  const day = uniqueDay();
  const records = recordsInEveryShard(day, `shards-${randomUUID()}`);
  for (const r of records) await store.create(r);
  const now = new Date(`${day}T12:00:00Z`);

  const seen: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await store.listByStatusDay('RECEIVED', day, { limit: 3, cursor }, now);
    expect(page.items.length).toBeLessThanOrEqual(3);
    seen.push(...page.items.map((r) => r.imageId));
    cursor = page.cursor;
    pages += 1;
  } while (cursor !== undefined && pages < 20);
  expect(seen).toEqual(records.map((r) => r.imageId));
});

it('moves a record to its status key in the same shard when it becomes final', async () => {
  const day = uniqueDay();
  const records = recordsInEveryShard(day, `shards-${randomUUID()}`);
  for (const r of records) await store.create(r);
  const finished = records.filter((_, i) => i % 2 === 0);
  const later = new Date(`${day}T01:00:00Z`);
  for (const r of finished) {
    expect(await store.markProcessed(r, { width: 10, height: 10 }, later, { notificationLeaseUntil: later.getTime() + 1000 })).toBe(true);
  }
  const now = new Date(`${day}T12:00:00Z`);
  const processed = await store.listByStatusDay('PROCESSED', day, { limit: 100 }, now);
  const received = await store.listByStatusDay('RECEIVED', day, { limit: 100 }, now);
  expect(processed.items.map((r) => r.imageId)).toEqual(finished.map((r) => r.imageId));
  expect(new Set(finished.map((r) => statusShardOf(r.imageId, SHARDS))).size).toBeGreaterThan(1);
  expect(received.items.map((r) => r.imageId)).toEqual(records.filter((_, i) => i % 2 === 1).map((r) => r.imageId));
});

it('still lists records written under the unsharded key before sharding was switched on', async () => {
  const day = uniqueDay();
  const customerId = `shards-${randomUUID()}`;
  const legacy = record(day, 0, customerId);
  // Written as the previous release did: statusDay = STATUS#YYYY-MM-DD.
  await clients.documents.send(new PutCommand({ TableName: config.table.name, Item: { ...legacy, statusDay: `RECEIVED#${day}` } }));
  const unsharded = new DynamoDbMetadataStore(clients.documents, config.table.name, { statusShards: 1 });
  const sharded = record(day, 1, customerId);
  await store.create(sharded);

  const now = new Date(`${day}T12:00:00Z`);
  expect((await store.listByStatusDay('RECEIVED', day, { limit: 10 }, now)).items.map((r) => r.imageId)).toEqual([legacy.imageId, sharded.imageId]);
  // The one-shard reader is the old layout: it sees only the old key.
  expect((await unsharded.listByStatusDay('RECEIVED', day, { limit: 10 }, now)).items.map((r) => r.imageId)).toEqual([legacy.imageId]);
});

it('treats expired records as gone and rejects a cursor from another query', async () => {
  const day = uniqueDay();
  const r = record(day, 0, `shards-${randomUUID()}`);
  await store.create(r);
  const afterExpiry = new Date((r.expiresAt + 1) * 1000);
  expect((await store.listByStatusDay('RECEIVED', day, { limit: 10 }, afterExpiry)).items).toEqual([]);
  await expect(store.listByStatusDay('RECEIVED', day, { limit: 10, cursor: 'bm90LWEtY3Vyc29y' }, new Date(`${day}T12:00:00Z`))).rejects.toThrow(/for cursor/);
  await expect(store.listByStatusDay('RECEIVED', 'yesterday', { limit: 10 }, new Date())).rejects.toThrow(/YYYY-MM-DD for day/);
});

it('reads only records created before `createdBefore` (a key condition), in every shard and across pages, and refuses a malformed instant', async () => {
  const day = uniqueDay();
  const records = recordsInEveryShard(day, `shards-${randomUUID()}`);
  for (const r of records) await store.create(r);
  const now = new Date(`${day}T12:00:00Z`);
  // records[i] was created at second i: the cut-off at second 5 keeps records 0–4 (exclusive).
  const createdBefore = `${day}T00:00:05.000Z`;
  const older = records.filter((r) => r.createdAt < createdBefore);
  expect(new Set(older.map((r) => statusShardOf(r.imageId, SHARDS))).size).toBeGreaterThan(1);
  expect(older.length).toBeLessThan(records.length);

  const seen: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await store.listByStatusDay('RECEIVED', day, { limit: 2, cursor, createdBefore }, now);
    seen.push(...page.items.map((r) => r.imageId));
    cursor = page.cursor;
    pages += 1;
  } while (cursor !== undefined && pages < 20);
  expect(seen).toEqual(older.map((r) => r.imageId));

  // With unannouncedOnly too (what the reconciler sends for final records), both apply.
  const finished = records.slice(0, 3);
  const later = new Date(`${day}T01:00:00Z`);
  for (const r of finished) expect(await store.markProcessed(r, { width: 10, height: 10 }, later, { notificationLeaseUntil: later.getTime() + 1000 })).toBe(true);
  expect((await store.listByStatusDay('PROCESSED', day, { limit: 10, unannouncedOnly: true, createdBefore: `${day}T00:00:02.000Z` }, now)).items.map((r) => r.imageId)).toEqual(finished.slice(0, 2).map((r) => r.imageId));

  for (const bad of ['2200-01-01', '2200-01-01T00:00:05Z', 'now', '2200-01-01T00:00:05.000+01:00']) {
    await expect(store.listByStatusDay('RECEIVED', day, { limit: 10, createdBefore: bad }, now)).rejects.toThrow(/createdBefore/);
  }
});
