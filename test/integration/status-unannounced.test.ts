/**
 * `listByStatusDay(…, { unannouncedOnly: true })` on the real DynamoDB stand-in (moto): the
 * reconciler's read of final records returns only those never announced, across every shard and
 * across pages whose read items were all announced (the filter applies after `Limit`). Each test
 * writes to its own far-future day, so no other test's records share its keys.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { createAwsClients, destroyAwsClients, loadConfig, rawKey, statusShardOf, type AwsClients, type Config, type ImageRecord } from '../../core';
import { DynamoDbMetadataStore } from '../../core/adapters/dynamodb/metadata-store';

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
  return new Date(Date.UTC(2200 + randomInt(800), randomInt(12), 1 + randomInt(28))).toISOString().slice(0, 10);
}

/** Three records in every shard (at most 300 draws), one second apart. */
function recordsInEveryShard(day: string): ImageRecord[] {
  const perShard = new Array<number>(SHARDS).fill(0);
  const records: ImageRecord[] = [];
  for (let i = 0; i < 300 && perShard.some((n) => n < 3); i++) {
    const imageId = randomUUID();
    const shard = statusShardOf(imageId, SHARDS);
    if (perShard[shard]! >= 3) continue;
    perShard[shard]! += 1;
    const createdAt = `${day}T00:00:${String(records.length).padStart(2, '0')}.000Z`;
    records.push({ imageId, status: 'RECEIVED', source: 'kafka', customerId: `unannounced-${day}`, bytes: 100, sha256: '0'.repeat(64), raw: { bucket: config.rawBucket, key: rawKey(imageId, new Date(createdAt)) }, createdAt, updatedAt: createdAt, expiresAt: Math.floor(Date.parse(createdAt) / 1000) + 7 * 86_400 });
  }
  expect(perShard).toEqual(new Array<number>(SHARDS).fill(3));
  return records;
}

it('returns only final records without notifiedAt, from every shard, across pages', async () => {
  const day = uniqueDay();
  const records = recordsInEveryShard(day);
  const later = new Date(`${day}T01:00:00Z`);
  for (const r of records) {
    expect((await store.create(r)).created).toBe(true);
    expect(await store.markProcessed(r, { width: 10, height: 10 }, later, { notificationLeaseUntil: later.getTime() + 1000 })).toBe(true);
  }
  // Two of every three announced: most pages of three read only announced records.
  const unannounced = records.filter((_, i) => i % 3 === 2);
  for (const r of records.filter((_, i) => i % 3 !== 2)) await store.markNotified(r.imageId, later);
  const now = new Date(`${day}T12:00:00Z`);

  const seen: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 30; page++) {
    const result = await store.listByStatusDay('PROCESSED', day, { limit: 3, cursor, unannouncedOnly: true }, now);
    seen.push(...result.items.map((r) => r.imageId));
    expect(result.items.every((r) => r.notifiedAt === undefined)).toBe(true);
    cursor = result.cursor;
    if (cursor === undefined) break;
  }
  expect(cursor).toBeUndefined();
  expect(seen).toEqual(unannounced.map((r) => r.imageId));

  // Without the option every processed record comes back, announced or not.
  const all = await store.listByStatusDay('PROCESSED', day, { limit: 100 }, now);
  expect(all.items.map((r) => r.imageId)).toEqual(records.map((r) => r.imageId));
});
