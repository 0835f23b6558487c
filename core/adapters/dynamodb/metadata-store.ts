import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { invalidParameterError } from '../../errors';
import { isValidImageId } from '../../keys';
import type { CreateOutcome, FinalWrite, ImageRecord, ImageStatus, MetadataStore, RecordKey, RecordPage, StatusDayQuery } from '../../ports';
import { asDependencyError } from '../dependency-error';
import { statusDayKey, statusDayKeys } from './status-key';
import { IMAGE_TABLE } from './table';

/** Attributes the table keeps that are not part of {@link ImageRecord}. */
const INTERNAL = ['statusDay', 'notifyLeaseUntil'] as const;

function toRecord(item: Record<string, unknown>): ImageRecord {
  const copy = { ...item };
  for (const name of INTERNAL) delete copy[name];
  return copy as unknown as ImageRecord;
}

/**
 * The item a failed condition returned (`ReturnValuesOnConditionCheckFailure`). The document
 * client does not unmarshall exception payloads, so it arrives in wire format.
 */
function oldItem(error: ConditionalCheckFailedException): Record<string, unknown> | undefined {
  return error.Item === undefined ? undefined : unmarshall(error.Item);
}

function isConditionFailure(error: unknown): error is ConditionalCheckFailedException {
  return error instanceof ConditionalCheckFailedException || (error as { name?: string }).name === 'ConditionalCheckFailedException';
}

function encodeCursor(key: Record<string, unknown> | undefined): string | undefined {
  return key === undefined ? undefined : Buffer.from(JSON.stringify(key)).toString('base64url');
}

const CURSOR_MAX_LENGTH = 1024;
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;
/** `Date#toISOString`'s form exactly: `createdAt` is written so, and a key condition compares strings. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * The start key a cursor stands for, checked before DynamoDB sees it: exactly the three key
 * attributes of the customer index, the caller's own customer, a valid image id and an ISO
 * timestamp. A forged or foreign cursor is a 400, never a query.
 */
function decodeCursor(cursor: string | undefined, customerId: string): Record<string, string> | undefined {
  if (cursor === undefined) return undefined;
  try {
    if (cursor.length > CURSOR_MAX_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw new Error('not base64url');
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
    const names = [IMAGE_TABLE.partitionKey, IMAGE_TABLE.customerIndex.partitionKey, IMAGE_TABLE.customerIndex.sortKey];
    if (
      typeof key === 'object' &&
      key !== null &&
      names.every((n) => typeof key[n] === 'string') &&
      Object.keys(key).length === names.length &&
      key[IMAGE_TABLE.customerIndex.partitionKey] === customerId &&
      isValidImageId(key[IMAGE_TABLE.partitionKey] as string) &&
      ISO_TIMESTAMP.test(key[IMAGE_TABLE.customerIndex.sortKey] as string)
    ) {
      return key as Record<string, string>;
    }
  } catch {
    // Falls through to the uniform error below.
  }
  throw invalidParameterError('cursor', 'a cursor returned by a previous page', cursor);
}

/** Where each queried key of a status/day page stands: not started, next start key, or done. */
type ShardPosition = 'start' | Record<string, string> | 'done';

const STATUS_CURSOR_VERSION = 1;

function encodeStatusCursor(positions: ShardPosition[]): string | undefined {
  if (positions.every((p) => p === 'done')) return undefined;
  return Buffer.from(JSON.stringify({ v: STATUS_CURSOR_VERSION, p: positions })).toString('base64url');
}

function decodeStatusCursor(cursor: string | undefined, keyCount: number): ShardPosition[] {
  if (cursor === undefined) return Array.from({ length: keyCount }, () => 'start');
  const names = [IMAGE_TABLE.partitionKey, IMAGE_TABLE.statusIndex.partitionKey, IMAGE_TABLE.statusIndex.sortKey];
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { v?: unknown; p?: unknown };
    const positions = parsed.p;
    const valid =
      parsed.v === STATUS_CURSOR_VERSION &&
      Array.isArray(positions) &&
      positions.length === keyCount &&
      positions.every(
        (p: unknown) =>
          p === 'start' ||
          p === 'done' ||
          (typeof p === 'object' && p !== null && Object.keys(p).length === names.length && names.every((n) => typeof (p as Record<string, unknown>)[n] === 'string')),
      );
    if (valid) return positions as ShardPosition[];
  } catch {
    // Falls through to the uniform error below.
  }
  throw invalidParameterError('cursor', 'a cursor returned by a previous page of the same status, day and shard count', cursor);
}

/** Options of {@link DynamoDbMetadataStore}. */
export interface DynamoDbMetadataStoreOptions {
  /**
   * Write shards of the `byStatusDay` index key; readers query all of them (see `status-key.ts`).
   * @default 1 (the unsharded key)
   */
  statusShards?: number;
  /**
   * Queries of one status/day read in flight at once.
   * @default 8
   */
  readConcurrency?: number;
}

/** {@link MetadataStore} on one DynamoDB table; every transition is a conditional write. */
export class DynamoDbMetadataStore implements MetadataStore {
  private readonly statusShards: number;
  private readonly readConcurrency: number;

  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
    { statusShards = 1, readConcurrency = 8 }: DynamoDbMetadataStoreOptions = {},
  ) {
    // Validates the count once, here, rather than on the first write.
    statusDayKey('RECEIVED', '1970-01-01', '', statusShards);
    this.statusShards = statusShards;
    this.readConcurrency = Math.max(1, readConcurrency);
  }

  private statusDay(status: ImageStatus, record: RecordKey): string {
    return statusDayKey(status, record.createdAt, record.imageId, this.statusShards);
  }

  private async call<T>(operation: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (isConditionFailure(error)) throw error;
      throw asDependencyError('DynamoDB', operation, error);
    }
  }

  async create(record: ImageRecord, final?: FinalWrite): Promise<CreateOutcome> {
    const item = { ...record, statusDay: this.statusDay(record.status, record), notifyLeaseUntil: final?.notificationLeaseUntil };
    try {
      await this.call('PutItem', () =>
        this.documents.send(
          new PutCommand({
            TableName: this.tableName,
            Item: item,
            // An expired item that DynamoDB has not deleted yet counts as gone.
            ConditionExpression: 'attribute_not_exists(#id) OR #exp < :now',
            ExpressionAttributeNames: { '#id': IMAGE_TABLE.partitionKey, '#exp': IMAGE_TABLE.ttlAttribute },
            ExpressionAttributeValues: { ':now': Math.floor(Date.parse(record.createdAt) / 1000) },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        ),
      );
      return { created: true, record };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const old = oldItem(error);
      const existing = old ? toRecord(old) : await this.getConsistent(record.imageId);
      if (existing === undefined) throw asDependencyError('DynamoDB', 'PutItem', error);
      return { created: false, record: existing };
    }
  }

  /** RECEIVED → final, taking the notification lease in the same write. */
  private async transition(record: RecordKey, fields: Partial<ImageRecord>, now: Date, final: FinalWrite): Promise<boolean> {
    const status = fields.status as ImageStatus;
    const values: Record<string, unknown> = {
      ':received': 'RECEIVED',
      ':updatedAt': now.toISOString(),
      ':statusDay': this.statusDay(status, record),
      ':lease': final.notificationLeaseUntil,
    };
    const names: Record<string, string> = { '#status': 'status', '#updatedAt': 'updatedAt', '#statusDay': 'statusDay', '#lease': 'notifyLeaseUntil' };
    const sets = ['#updatedAt = :updatedAt', '#statusDay = :statusDay', '#lease = :lease'];
    for (const [name, value] of Object.entries(fields)) {
      if (value === undefined) continue;
      names[`#${name}`] = name;
      values[`:${name}`] = value;
      sets.push(`#${name} = :${name}`);
    }
    try {
      await this.call('UpdateItem', () =>
        this.documents.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { [IMAGE_TABLE.partitionKey]: record.imageId },
            UpdateExpression: `SET ${sets.join(', ')}`,
            ConditionExpression: '#status = :received',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          }),
        ),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  markProcessed(record: RecordKey, fields: Partial<ImageRecord>, now: Date, final: FinalWrite): Promise<boolean> {
    return this.transition(record, { ...fields, status: 'PROCESSED' }, now, final);
  }

  markFailed(record: RecordKey, fields: Partial<ImageRecord>, now: Date, final: FinalWrite): Promise<boolean> {
    return this.transition(record, { ...fields, status: 'FAILED' }, now, final);
  }

  async acquireNotificationLease(imageId: string, now: Date, leaseMs: number): Promise<'acquired' | 'done' | 'busy'> {
    try {
      await this.call('UpdateItem', () =>
        this.documents.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { [IMAGE_TABLE.partitionKey]: imageId },
            UpdateExpression: 'SET #lease = :until',
            ConditionExpression: 'attribute_exists(#id) AND attribute_not_exists(#notified) AND (attribute_not_exists(#lease) OR #lease < :now)',
            ExpressionAttributeNames: { '#id': IMAGE_TABLE.partitionKey, '#lease': 'notifyLeaseUntil', '#notified': 'notifiedAt' },
            ExpressionAttributeValues: { ':until': now.getTime() + leaseMs, ':now': now.getTime() },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        ),
      );
      return 'acquired';
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const item = oldItem(error) ?? (await this.getConsistent(imageId));
      return item !== undefined && (item as { notifiedAt?: string }).notifiedAt !== undefined ? 'done' : 'busy';
    }
  }

  async markNotified(imageId: string, now: Date): Promise<void> {
    await this.call('UpdateItem', () =>
      this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [IMAGE_TABLE.partitionKey]: imageId },
          UpdateExpression: 'SET #notified = :now REMOVE #lease',
          ExpressionAttributeNames: { '#notified': 'notifiedAt', '#lease': 'notifyLeaseUntil' },
          ExpressionAttributeValues: { ':now': now.toISOString() },
        }),
      ),
    );
  }

  async releaseNotification(imageId: string, leaseUntil: number): Promise<void> {
    try {
      await this.call('UpdateItem', () =>
        this.documents.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { [IMAGE_TABLE.partitionKey]: imageId },
            UpdateExpression: 'REMOVE #lease',
            // Only our own lease: one that expired and was taken over belongs to another worker.
            ConditionExpression: '#lease = :ours',
            ExpressionAttributeNames: { '#lease': 'notifyLeaseUntil' },
            ExpressionAttributeValues: { ':ours': leaseUntil },
          }),
        ),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  private async getConsistent(imageId: string): Promise<ImageRecord | undefined> {
    const result = await this.call('GetItem', () =>
      this.documents.send(new GetCommand({ TableName: this.tableName, Key: { [IMAGE_TABLE.partitionKey]: imageId }, ConsistentRead: true })),
    );
    return result.Item === undefined ? undefined : toRecord(result.Item);
  }

  async get(imageId: string, now: Date): Promise<ImageRecord | undefined> {
    const record = await this.getConsistent(imageId);
    // DynamoDB deletes expired items lazily (within about 48 h): an expired item is gone.
    return record !== undefined && record.expiresAt > now.getTime() / 1000 ? record : undefined;
  }

  async listByCustomer(customerId: string, options: { status?: ImageStatus; limit: number; cursor?: string }, now: Date): Promise<RecordPage> {
    const index = IMAGE_TABLE.customerIndex;
    const names: Record<string, string> = { '#c': index.partitionKey, '#exp': IMAGE_TABLE.ttlAttribute };
    const values: Record<string, unknown> = { ':c': customerId, ':now': Math.floor(now.getTime() / 1000) };
    let filter = '#exp > :now';
    if (options.status !== undefined) {
      names['#status'] = 'status';
      values[':status'] = options.status;
      filter += ' AND #status = :status';
    }
    const result = await this.call('Query', () =>
      this.documents.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: index.name,
          KeyConditionExpression: '#c = :c',
          FilterExpression: filter,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ScanIndexForward: false,
          Limit: options.limit,
          ExclusiveStartKey: decodeCursor(options.cursor, customerId),
        }),
      ),
    );
    return { items: (result.Items ?? []).map(toRecord), cursor: encodeCursor(result.LastEvaluatedKey) };
  }

  /**
   * One status/day's records, oldest first, from every write shard of `byStatusDay` (and the
   * unsharded key of records written before sharding). Each page queries the keys not yet
   * exhausted, merges them by `createdAt` and returns at most `limit` records; the cursor holds
   * each key's position. `unannouncedOnly` adds `attribute_not_exists(notifiedAt)` to the filter.
   *
   * @throws InvalidParameterError for a malformed day, a limit outside 1…1000 or a cursor from another query.
   */
  async listByStatusDay(status: ImageStatus, day: string, options: StatusDayQuery, now: Date): Promise<RecordPage> {
    if (!Number.isInteger(options.limit) || options.limit < 1 || options.limit > 1000) throw invalidParameterError('limit', 'integer between 1 and 1000', options.limit);
    if (options.createdBefore !== undefined && !ISO_INSTANT.test(options.createdBefore)) throw invalidParameterError('createdBefore', 'ISO-8601 UTC instant like 2026-01-31T12:00:00.000Z', options.createdBefore);
    const index = IMAGE_TABLE.statusIndex;
    const keys = statusDayKeys(status, day, this.statusShards);
    const positions = decodeStatusCursor(options.cursor, keys.length);
    const nowSeconds = Math.floor(now.getTime() / 1000);
    // One entry per queried key: its position, the page DynamoDB returned, how much of it is used.
    const states = keys.map((key, i) => ({ key, position: positions[i] ?? 'done', items: [] as Record<string, unknown>[], last: undefined as Record<string, unknown> | undefined, taken: 0 }));
    const open = states.filter((state) => state.position !== 'done');
    const queryKey = async (state: (typeof states)[number]): Promise<void> => {
      const start = state.position;
      const result = await this.call('Query', () =>
        this.documents.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: index.name,
            KeyConditionExpression: options.createdBefore === undefined ? '#k = :k' : '#k = :k AND #created < :before',
            // `Limit` counts the items read before the filter (DynamoDB Developer Guide, "Limiting the
            // number of items in the result set"), so a page of announced records still advances.
            FilterExpression: options.unannouncedOnly === true ? '#exp > :now AND attribute_not_exists(#notified)' : '#exp > :now',
            ExpressionAttributeNames: {
              '#k': index.partitionKey,
              '#exp': IMAGE_TABLE.ttlAttribute,
              ...(options.unannouncedOnly === true ? { '#notified': 'notifiedAt' } : {}),
              ...(options.createdBefore !== undefined ? { '#created': index.sortKey } : {}),
            },
            ExpressionAttributeValues: { ':k': state.key, ':now': nowSeconds, ...(options.createdBefore !== undefined ? { ':before': options.createdBefore } : {}) },
            ScanIndexForward: true,
            Limit: options.limit,
            ExclusiveStartKey: start === 'start' || start === 'done' ? undefined : start,
          }),
        ),
      );
      state.items = result.Items ?? [];
      state.last = result.LastEvaluatedKey;
    };
    for (let next = 0; next < open.length; next += this.readConcurrency) {
      await Promise.all(open.slice(next, next + this.readConcurrency).map(queryKey));
    }

    // k-way merge that takes a prefix of each key's page in DynamoDB's own order, so every
    // key's next page starts right after the last record this page returned from it.
    const sortOf = (item: Record<string, unknown>): string => String(item[index.sortKey]);
    const items: ImageRecord[] = [];
    while (items.length < options.limit) {
      let best: (typeof states)[number] | undefined;
      for (const state of open) {
        const head = state.items[state.taken];
        const bestHead = best?.items[best.taken];
        if (head !== undefined && (bestHead === undefined || sortOf(head) < sortOf(bestHead))) best = state;
      }
      const item = best?.items[best.taken];
      if (best === undefined || item === undefined) break;
      items.push(toRecord(item));
      best.taken += 1;
    }
    const nextPositions = states.map((state): ShardPosition => {
      if (state.position === 'done') return 'done';
      if (state.taken === state.items.length) return state.last === undefined ? 'done' : (state.last as Record<string, string>);
      const lastTaken = state.items[state.taken - 1];
      if (lastTaken === undefined) return state.position;
      return { [IMAGE_TABLE.partitionKey]: String(lastTaken[IMAGE_TABLE.partitionKey]), [index.partitionKey]: state.key, [index.sortKey]: sortOf(lastTaken) };
    });
    return { items, cursor: encodeStatusCursor(nextPositions) };
  }
}
