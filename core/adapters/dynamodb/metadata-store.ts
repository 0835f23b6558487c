import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { invalidParameterError } from '../../errors';
import type { CreateOutcome, FinalWrite, ImageRecord, ImageStatus, MetadataStore, RecordKey, RecordPage } from '../../ports';
import { asDependencyError } from '../dependency-error';
import { IMAGE_TABLE } from './table';

/** Attributes the table keeps that are not part of {@link ImageRecord}. */
const INTERNAL = ['statusDay', 'notifyLeaseUntil'] as const;

function statusDay(status: ImageStatus, createdAt: string): string {
  return `${status}#${createdAt.slice(0, 10)}`;
}

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

function decodeCursor(cursor: string | undefined): Record<string, string> | undefined {
  if (cursor === undefined) return undefined;
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
    const names = [IMAGE_TABLE.partitionKey, IMAGE_TABLE.customerIndex.partitionKey, IMAGE_TABLE.customerIndex.sortKey];
    if (names.every((n) => typeof key[n] === 'string') && Object.keys(key).length === names.length) return key as Record<string, string>;
  } catch {
    // Falls through to the uniform error below.
  }
  throw invalidParameterError('cursor', 'a cursor returned by a previous page', cursor);
}

/** {@link MetadataStore} on one DynamoDB table; every transition is a conditional write. */
export class DynamoDbMetadataStore implements MetadataStore {
  constructor(
    private readonly documents: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  private async call<T>(operation: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (isConditionFailure(error)) throw error;
      throw asDependencyError('DynamoDB', operation, error);
    }
  }

  async create(record: ImageRecord, final?: FinalWrite): Promise<CreateOutcome> {
    const item = { ...record, statusDay: statusDay(record.status, record.createdAt), notifyLeaseUntil: final?.notificationClaimUntil };
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

  /** RECEIVED → final, taking the notification claim in the same write. */
  private async transition(record: RecordKey, fields: Partial<ImageRecord>, now: Date, final: FinalWrite): Promise<boolean> {
    const status = fields.status as ImageStatus;
    const values: Record<string, unknown> = {
      ':received': 'RECEIVED',
      ':updatedAt': now.toISOString(),
      ':statusDay': statusDay(status, record.createdAt),
      ':lease': final.notificationClaimUntil,
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

  async claimNotification(imageId: string, now: Date, leaseMs: number): Promise<'claimed' | 'done' | 'busy'> {
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
      return 'claimed';
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

  async releaseNotification(imageId: string): Promise<void> {
    await this.call('UpdateItem', () =>
      this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [IMAGE_TABLE.partitionKey]: imageId },
          UpdateExpression: 'REMOVE #lease',
          ExpressionAttributeNames: { '#lease': 'notifyLeaseUntil' },
        }),
      ),
    );
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
          ExclusiveStartKey: decodeCursor(options.cursor),
        }),
      ),
    );
    return { items: (result.Items ?? []).map(toRecord), cursor: encodeCursor(result.LastEvaluatedKey) };
  }
}
