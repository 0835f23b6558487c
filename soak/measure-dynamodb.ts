/**
 * `node dist/soak/measure-dynamodb.js [sizes]`: how the cost of the pipeline's, the reconciler's
 * and the soak checker's DynamoDB calls grows with the table's size on the moto stand-in.
 *
 * It starts its own throwaway moto (the DynamoDB role, serial, as the soak and the local stack run
 * it) on a free 127.0.0.1 port in a temp dir, creates the images table with the local bootstrap's
 * `ensureTable` (GSIs and stream included), fills it with items shaped like the pipeline's
 * PROCESSED records (one customer, today, 32 status shards, six variants), and at each size
 * (default 1000,5000,20000,40000) times each call. It stops the moto when done, by any route.
 * Prints a markdown table (median / p90 in ms). See docs/soak.md.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BatchWriteItemCommand, GetItemCommand, QueryCommand, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { createAwsClients, destroyAwsClients, loadConfig, localStackEnvironment } from '../core';
import { DynamoDbMetadataStore } from '../core/adapters/dynamodb/metadata-store';
import { statusDayKey, statusDayKeys } from '../core/adapters/dynamodb/status-key';
import { IMAGE_TABLE } from '../core/adapters/dynamodb/table';
import type { ImageRecord } from '../core/ports';
import { ensureTable } from '../local/stack/bootstrap';
import { projectRoot } from '../local/stack/paths';
import { freePorts } from '../test/helpers/tcp-ports';
import { installExitGuards } from './processes';
import { motoProcess, waitFor } from './stack';

const SHARDS = 32;
const CUSTOMER = 'soak';
/** Above this many items the calls that return the whole table are not timed (minutes each). */
const HEAVY_UP_TO = 5000;
/** Above this many the projected whole-table Scan is not timed (its pages each walk past every earlier item). */
const PROJECTED_SCAN_UP_TO = 20_000;

/** An item as the pipeline leaves a processed, announced image (six variants). */
function processedItem(imageId: string, createdAt: string, customerId = CUSTOMER): Record<string, unknown> {
  const variants = Object.fromEntries(
    ['thumbnail', 'medium', 'large', 'thumbnail-webp', 'medium-webp', 'large-webp'].map((name, i) => [
      name,
      { key: `processed/ab/${imageId}/${name}.${name.endsWith('webp') ? 'webp' : 'jpg'}`, format: name.endsWith('webp') ? 'webp' : 'jpeg', width: 48 + i, height: 40 + i, bytes: 900 + i },
    ]),
  );
  return {
    imageId,
    status: 'PROCESSED',
    source: 'kafka',
    customerId,
    idempotencyKey: imageId,
    format: 'jpeg',
    contentType: 'image/jpeg',
    width: 64,
    height: 48,
    bytes: 1234,
    sha256: 'a'.repeat(64),
    hasAlpha: false,
    colorSpace: 'srgb',
    raw: { bucket: 'images-raw', key: `raw/ab/${createdAt.slice(0, 10).replaceAll('-', '/')}/${imageId}.jpg` },
    variants,
    createdAt,
    updatedAt: createdAt,
    expiresAt: Math.floor(Date.parse(createdAt) / 1000) + 7 * 86_400,
    notifiedAt: createdAt,
    statusDay: statusDayKey('PROCESSED', createdAt, imageId, SHARDS),
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
}

async function time(times: number, call: (i: number) => Promise<unknown>): Promise<string> {
  const ms: number[] = [];
  for (let i = 0; i < times; i++) {
    const t = process.hrtime.bigint();
    await call(i);
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  ms.sort((a, b) => a - b);
  const f = (n: number): string => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
  return `${f(percentile(ms, 0.5))} / ${f(percentile(ms, 0.9))}`;
}

async function main(): Promise<void> {
  installExitGuards();
  const sizes = (process.argv[2] ?? '1000,5000,20000,40000').split(',').map(Number);
  const localDir = resolve(projectRoot(), process.env.INGEST_LOCAL_DIR ?? '.local');
  const dir = mkdtempSync(join(tmpdir(), 'ingest-measure-'));
  const [port] = (await freePorts(1)) as [number];
  const moto = motoProcess(dir, { kafkaLib: '', motoPython: join(localDir, 'moto-venv', 'bin', 'python'), motoServer: join(projectRoot(), 'local', 'python', 'moto_server.py') }, 'dynamodb', port);
  const vars = { DYNAMODB_PORT: String(port), MOTO_PORT: '1', IMAGES_TABLE: `measure-${randomUUID().slice(0, 8)}` };
  const env: NodeJS.ProcessEnv = { ...process.env, ...localStackEnvironment(vars), ...vars };
  const config = loadConfig(env);
  for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] as const) process.env[name] ??= env[name];
  const clients = createAwsClients(config, { maxAttempts: 1, requestTimeoutMs: 300_000 });
  const store = new DynamoDbMetadataStore(clients.documents, config.table.name, { statusShards: SHARDS });
  const today = new Date().toISOString().slice(0, 10);
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  const ids: string[] = [];
  const rows: string[] = [];
  try {
    moto.start();
    await waitFor('the measuring moto', () => ensureTable(clients, config), 60_000);
    const dayStart = Date.parse(`${today}T00:00:00.000Z`);
    for (const size of sizes) {
      while (ids.length < size) {
        const batch = Array.from({ length: Math.min(25, size - ids.length) }, () => {
          const id = randomUUID();
          ids.push(id);
          const createdAt = new Date(dayStart + ids.length * 50).toISOString();
          return { PutRequest: { Item: marshall(processedItem(id, createdAt), { removeUndefinedValues: true }) } };
        });
        await clients.dynamodb.send(new BatchWriteItemCommand({ RequestItems: { [config.table.name]: batch } }));
      }
      const now = new Date();
      const shardKey = statusDayKeys('PROCESSED', today, SHARDS)[0] as string;
      const queryShard = (key: string, limit: number, extra: Record<string, unknown> = {}) =>
        clients.dynamodb.send(
          new QueryCommand({
            TableName: config.table.name,
            IndexName: IMAGE_TABLE.statusIndex.name,
            KeyConditionExpression: '#k = :k',
            ExpressionAttributeNames: { '#k': IMAGE_TABLE.statusIndex.partitionKey },
            ExpressionAttributeValues: { ':k': { S: key } },
            Limit: limit,
            ...extra,
          }),
        );
      const cells: string[] = [String(size)];
      cells.push(await time(20, (i) => store.get(ids[(i * 7919) % ids.length] as string, now)));
      cells.push(await time(20, () => store.create({ ...(processedItem(randomUUID(), now.toISOString(), `measure-${randomUUID()}`) as unknown as ImageRecord), status: 'RECEIVED', notifiedAt: undefined })));
      cells.push(await time(20, (i) => store.acquireNotificationLease(ids[(i * 104729) % ids.length] as string, now, 30_000)));
      // Calls that return every item are timed up to HEAVY_UP_TO items only (they cost minutes beyond).
      const heavy = size <= HEAVY_UP_TO;
      const skip = async (): Promise<string> => '—';
      cells.push(await time(3, () => queryShard(shardKey, 500)));
      cells.push(await time(3, () => queryShard(shardKey, 500, { FilterExpression: 'attribute_not_exists(#n)', ExpressionAttributeNames: { '#k': IMAGE_TABLE.statusIndex.partitionKey, '#n': 'notifiedAt' } })));
      cells.push(await time(3, () => queryShard(statusDayKeys('RECEIVED', yesterday, SHARDS)[0] as string, 500)));
      cells.push(heavy ? await time(1, () => store.listByStatusDay('PROCESSED', today, { limit: 500 }, now)) : await skip());
      cells.push(await time(3, () => store.listByCustomer(CUSTOMER, { limit: 50 }, now)));
      cells.push(await time(3, () => store.listByCustomer(`measure-${randomUUID()}`, { limit: 50 }, now)));
      cells.push(heavy ? await time(1, () => clients.dynamodb.send(new ScanCommand({ TableName: config.table.name }))) : await skip());
      const projected = { ProjectionExpression: '#id, #s, #n, #e.#c', ExpressionAttributeNames: { '#id': 'imageId', '#s': 'status', '#n': 'notifiedAt', '#e': 'error', '#c': 'code' } };
      cells.push(await time(3, () => clients.dynamodb.send(new ScanCommand({ TableName: config.table.name, Limit: 250, ...projected }))));
      // A whole-table read, one page after another: as the checker read it before (1 MB pages) and now (projected, 250 a page).
      const wholeTable = (extra: Record<string, unknown>) => async () => {
        let start: Record<string, AttributeValue> | undefined;
        for (let page = 0; page < 10_000; page++) {
          const r = await clients.dynamodb.send(new ScanCommand({ TableName: config.table.name, ExclusiveStartKey: start, ...extra }));
          start = r.LastEvaluatedKey;
          if (start === undefined) break;
        }
      };
      cells.push(heavy ? await time(1, wholeTable({})) : await skip());
      cells.push(size <= PROJECTED_SCAN_UP_TO ? await time(1, wholeTable({ Limit: 250, ...projected })) : await skip());
      // What the checker reads now: a projected GetItem per image, and a COUNT of the table.
      cells.push(await time(20, (i) => clients.dynamodb.send(new GetItemCommand({ TableName: config.table.name, Key: { imageId: { S: ids[(i * 7919) % ids.length] as string } }, ConsistentRead: true, ...projected }))));
      cells.push(await time(1, wholeTable({ Select: 'COUNT' })));
      rows.push(`| ${cells.join(' | ')} |`);
      process.stdout.write(`${rows.at(-1)}\n`);
    }
  } finally {
    destroyAwsClients(clients);
    await moto.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  process.stdout.write(
    [
      '',
      '| items | GetItem | PutItem (conditional) | UpdateItem (conditional lease) | Query 1 byStatusDay shard (Limit 500) | same, `attribute_not_exists(notifiedAt)` filter | Query an empty shard | listByStatusDay page (33 keys, 500) | Query byCustomer (50, the soak customer) | Query byCustomer (50, a customer with none) | Scan page (1 MB) | Scan page (4 attributes, 250) | whole-table Scan (1 MB pages) | whole-table Scan (4 attributes, 250 a page) | GetItem (4 attributes) | whole-table Scan, `Select: COUNT` |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
      ...rows,
      '',
    ].join('\n'),
  );
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (error: Error) => {
      process.stderr.write(`measure-dynamodb: ${error.stack ?? error.message}\n`);
      process.exit(1);
    },
  );
}
